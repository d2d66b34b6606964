// SPDX-License-Identifier: Apache-2.0
/*
 * The hot loop of -o json: each step of the JSON lines program (output.c)
 * gets an operation chosen once, so that most values are written without
 * looking at their field again: integers and booleans loaded at a fixed
 * size, strings escaped in place, and values that are names of small
 * numbers (enums, one-of, protocols, signals, errnos) copied from a table
 * rendered once by the generic code, so the text is the same byte for byte.
 * Whatever else falls back to output_json_value().
 */
#include <stdlib.h>
#include <string.h>

#include "runner/engine/containers.h"
#include "runner/engine/output_internal.h"

#define TAB_VALUES 64 /* values 0..63 of a named field come from a table */
#define PREFIX_PAD OUTPUT_JSON_PAD /* prefixes: copied 16 bytes at once */

enum {
	OP_NONE, /* the prefix only */
	OP_GENERIC,
	OP_U8,
	OP_U16,
	OP_U32,
	OP_U64,
	OP_S8,
	OP_S16,
	OP_S32,
	OP_S64,
	OP_BOOL,
	OP_STRING,
	OP_TAB, /* table for 0..TAB_VALUES-1, else generic */
	OP_RUNTIME, /* "" outside containers, else generic */
	OP_K8S, /* "" (or false) outside pods, else generic */
	OP_SAFE_TEXT, /* the text quoted, no escaping needed */
};

/* A value whose text depends on its own bytes only, as a small number. */
static bool tabulable(const struct field *f)
{
	if (f->bit_size || !f->size || f->size > 8 || f->count != 1)
		return false;
	switch (f->kind) {
	case FK_ENUM:
	case FK_ONEOF:
	case FK_PROTO:
	case FK_SIGNAL:
	case FK_ERRNO:
		return true;
	default:
		return false;
	}
}

static __u8 int_op(const struct field *f)
{
	static const __u8 u[9] = {
		[1] = OP_U8, [2] = OP_U16, [4] = OP_U32, [8] = OP_U64
	};
	static const __u8 s[9] = {
		[1] = OP_S8, [2] = OP_S16, [4] = OP_S32, [8] = OP_S64
	};

	if (f->bit_size || f->count != 1 || f->size > 8)
		return OP_GENERIC;
	if (f->kind == FK_UINT && !f->is_signed)
		return u[f->size] ? u[f->size] : OP_GENERIC;
	if (f->kind == FK_SINT && f->is_signed)
		return s[f->size] ? s[f->size] : OP_GENERIC;
	return OP_GENERIC;
}

/* Render values 0..TAB_VALUES-1 of step st's field through the generic
 * code into the table. */
static int build_tab(struct output *o, struct json_step *st, char *ev)
{
	const struct field *f = &o->fs->f[st->field];
	size_t need = TAB_VALUES * f->max_json;
	char *text;

	text = realloc(o->tab_text, o->tab_len + need);
	if (!text)
		return -1;
	o->tab_text = text;
	st->tab = (__u32)(o->tab_ent_len);
	for (__u64 v = 0; v < TAB_VALUES; v++) {
		struct json_tab_ent *e = &o->tab_ent[o->tab_ent_len++];

		memset(ev + f->off, 0, f->size);
		memcpy(ev + f->off, &v, f->size); /* little-endian hosts */
		e->off = (__u32)o->tab_len;
		e->len = (__u32)output_json_value(o, f, ev,
						  o->tab_text + o->tab_len);
		o->tab_len += e->len;
	}
	return 0;
}

/* FK_K8S field f finds the pod fieldset_pod() finds, and shows "" (or
 * false, not quoted) outside pods. */
static bool k8s_fast(const struct fieldset *fs, const struct field *f)
{
	const struct field *k = fs->k8s >= 0 ? &fs->f[fs->k8s] : NULL;

	if (!k || f->info == K8S_NODE ||
	    (f->info == K8S_HOSTNETWORK && f->json_string))
		return false;
	return f->off == k->off && f->size == k->size &&
	       f->netns_off == k->netns_off && f->netns_size == k->netns_size;
}

int output_json_compile(struct output *o)
{
	size_t n_tab = 0, plen = 0;
	char *ev, *p;

	for (size_t s = 0; s < o->n_steps; s++) {
		struct json_step *st = &o->steps[s];

		if (st->field >= 0 && tabulable(&o->fs->f[st->field]))
			n_tab++;
		if (st->prefix_off + st->prefix_len > plen)
			plen = st->prefix_off + st->prefix_len;
	}
	o->tab_ent = calloc(n_tab * TAB_VALUES + 1, sizeof(*o->tab_ent));
	ev = calloc(1, o->fs->event_size + 8);
	/* room to copy the last prefix 16 bytes at a time */
	p = realloc(o->prefixes, plen + PREFIX_PAD);
	if (!o->tab_ent || !ev || !p) {
		free(ev);
		if (p)
			o->prefixes = p;
		return -1;
	}
	o->prefixes = p;
	memset(p + plen, 0, PREFIX_PAD);
	for (size_t s = 0; s < o->n_steps; s++) {
		struct json_step *st = &o->steps[s];
		const struct field *f;

		st->op = OP_NONE;
		if (st->field < 0)
			continue;
		f = &o->fs->f[st->field];
		st->off = f->off;
		switch (f->kind) {
		case FK_UINT:
		case FK_SINT:
			st->op = int_op(f);
			break;
		case FK_BOOL:
			st->op = !f->bit_size && f->size && f->size <= 8 ?
					 OP_BOOL :
					 OP_GENERIC;
			st->size = (__u8)f->size;
			break;
		case FK_STRING:
			st->op = OP_STRING;
			break;
		case FK_RUNTIME:
			st->op = f->size && f->size <= 8 && !f->bit_size ?
					 OP_RUNTIME :
					 OP_GENERIC;
			st->size = (__u8)f->size;
			break;
		case FK_K8S:
			st->op = k8s_fast(o->fs, f) ? OP_K8S : OP_GENERIC;
			break;
		default:
			st->op = output_text_is_safe(f->kind) ? OP_SAFE_TEXT :
								OP_GENERIC;
			if (tabulable(f)) {
				if (build_tab(o, st, ev) < 0) {
					free(ev);
					return -1;
				}
				st->op = OP_TAB;
				st->size = (__u8)f->size;
			}
			break;
		}
	}
	free(ev);
	return 0;
}

#define LOAD(type, p)                         \
	({                                    \
		type _v;                      \
		memcpy(&_v, (p), sizeof(_v)); \
		_v;                           \
	})

size_t output_json_render(struct output *o, const void *event, char *out)
{
	const struct json_step *st = o->steps, *end = o->steps + o->n_steps;
	const char *ev = event;
	size_t n = 0;
	/* per event: whether the mount namespace at rt_off is no
	 * container's (-1: not known yet), whether the event is in no pod */
	int rt_none = -1, k8s_none = -1;
	__u32 rt_off = 0;

	for (; st < end; st++) {
		const char *pre = o->prefixes + st->prefix_off;
		const char *p = ev + st->off;
		const struct json_tab_ent *e;
		__u64 v;

		/* over-copies into space the next value or max_event's pad
		 * owns */
		memcpy(out + n, pre, PREFIX_PAD);
		if (st->prefix_len > PREFIX_PAD)
			memcpy(out + n + PREFIX_PAD, pre + PREFIX_PAD,
			       st->prefix_len - PREFIX_PAD);
		n += st->prefix_len;
		switch (st->op) {
		case OP_NONE:
			break;
		case OP_U8:
			n += fmt_u64(out + n, LOAD(__u8, p));
			break;
		case OP_U16:
			n += fmt_u64(out + n, LOAD(__u16, p));
			break;
		case OP_U32:
			n += fmt_u64(out + n, LOAD(__u32, p));
			break;
		case OP_U64:
			n += fmt_u64(out + n, LOAD(__u64, p));
			break;
		case OP_S8:
			n += fmt_s64(out + n, LOAD(__s8, p));
			break;
		case OP_S16:
			n += fmt_s64(out + n, LOAD(__s16, p));
			break;
		case OP_S32:
			n += fmt_s64(out + n, LOAD(__s32, p));
			break;
		case OP_S64:
			n += fmt_s64(out + n, LOAD(__s64, p));
			break;
		case OP_BOOL:
			if (field_load_uint(p, st->size)) {
				memcpy(out + n, "true", 4);
				n += 4;
			} else {
				memcpy(out + n, "false", 5);
				n += 5;
			}
			break;
		case OP_STRING:
			n += output_json_string(out + n, p,
						o->fs->f[st->field].size);
			break;
		case OP_TAB:
			v = field_load_uint(p, st->size);
			if (v < TAB_VALUES &&
			    field_shown(o->fs, &o->fs->f[st->field], ev)) {
				e = &o->tab_ent[st->tab + v];
				memcpy(out + n, o->tab_text + e->off, e->len);
				n += e->len;
				break;
			}
			goto generic;
		case OP_RUNTIME:
			if (rt_none < 0 || rt_off != st->off) {
				rt_off = st->off;
				rt_none = !o->fs->containers ||
					  !containers_lookup(
						  o->fs->containers,
						  field_load_uint(p, st->size));
			}
			if (!rt_none)
				goto generic;
			memcpy(out + n, "\"\"", 2);
			n += 2;
			break;
		case OP_K8S:
			if (k8s_none < 0) {
				const char *c;

				k8s_none = !fieldset_pod(o->fs, ev, &c);
			}
			if (!k8s_none)
				goto generic;
			if (o->fs->f[st->field].info == K8S_HOSTNETWORK) {
				memcpy(out + n, "false", 5);
				n += 5;
			} else {
				memcpy(out + n, "\"\"", 2);
				n += 2;
			}
			break;
		case OP_SAFE_TEXT:
			out[n] = '"';
			n += 1 + field_text(&o->rc, &o->fs->f[st->field], ev,
					    out + n + 1);
			out[n++] = '"';
			break;
		default:
generic:
			n += output_json_value(o, &o->fs->f[st->field], ev,
					       out + n);
			break;
		}
	}
	return n;
}
