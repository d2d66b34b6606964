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
#include "runner/engine/fmt_int.h"
#include "runner/engine/output_internal.h"

#define PREFIX_PAD OUTPUT_JSON_PAD /* prefixes: copied 32 bytes at once */
#define TAB_PAD 16 /* table values up to 16 bytes: copied 16 at once */

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
	OP_IP, /* an IPv4 address written here, else generic */
	OP_HEX, /* FK_HEX of a whole integer */
	OP_ID_NAME, /* user or group: the text of the last id kept */
	OP_TIME, /* timestamp: the text around the nanoseconds kept per
		  * second */
	OP_NODE, /* k8s.node: the text of the last node name kept */
	OP_DURATION, /* 0 written here, else safe text */
	OP_L3EP_LIST, /* "" when no entry is set, else safe text */
};

#define ID_WAYS 4 /* OP_ID_NAME: the last ids of 4 classes kept */

/* Memo entries a step keeps. */
static size_t memo_slots(__u8 op)
{
	switch (op) {
	case OP_ID_NAME:
		return ID_WAYS;
	case OP_TIME:
		return 1;
	case OP_NODE:
		return 2; /* the name, its JSON text */
	default:
		return 0;
	}
}

bool output_tabulable(const struct field *f)
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

/* A value read whole: 1 to 8 bytes, not a bitfield, not an array. */
static bool whole_int(const struct field *f)
{
	return !f->bit_size && f->size && f->size <= 8 && f->count == 1;
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

void output_tab_event(const struct fieldset *fs, const struct field *f,
		      char *ev, __u64 v)
{
	if (f->shown_if >= 0) {
		const struct field *c = &fs->f[f->shown_if];

		/* a nonzero low byte, or bit, or first character */
		if (c->bit_size)
			ev[c->off + c->bit_off / 8] |= 1 << (c->bit_off % 8);
		else
			ev[c->off] = 1;
	}
	memset(ev + f->off, 0, f->size);
	memcpy(ev + f->off, &v, f->size); /* little-endian hosts */
}

/* Render values 0..TAB_VALUES-1 of step st's field through the generic
 * code into the table. */
static int build_tab(struct output *o, struct json_step *st, char *ev)
{
	const struct field *f = &o->fs->f[st->field];
	size_t need = TAB_VALUES * f->max_json + TAB_PAD;
	char *text;

	text = realloc(o->tab_text, o->tab_len + need);
	if (!text)
		return -1;
	o->tab_text = text;
	st->tab = (__u32)(o->tab_ent_len);
	for (__u64 v = 0; v < TAB_VALUES; v++) {
		struct json_tab_ent *e = &o->tab_ent[o->tab_ent_len++];

		output_tab_event(o->fs, f, ev, v);
		e->off = (__u32)o->tab_len;
		e->len = (__u32)output_json_value(o, f, ev,
						  o->tab_text + o->tab_len);
		o->tab_len += e->len;
	}
	memset(o->tab_text + o->tab_len, 0, TAB_PAD);
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

/* The value of step st outside containers and pods. */
static const char *none_text(const struct output *o, const struct json_step *st)
{
	if (st->op == OP_K8S && o->fs->f[st->field].info == K8S_HOSTNETWORK)
		return "false";
	return "\"\"";
}

/* Step s's run: the steps from s on of its op (OP_RUNTIME: of its mount
 * namespace too), and their text outside containers and pods: its value,
 * then each next step's prefix and value. */
static int build_run(struct output *o, size_t s)
{
	struct json_step *st = &o->steps[s];
	size_t e = s + 1, need = 8, len;
	char *text;

	while (e < o->n_steps && o->steps[e].op == st->op &&
	       (st->op != OP_RUNTIME || o->steps[e].off == st->off))
		e++;
	for (size_t k = s + 1; k < e; k++)
		need += o->steps[k].prefix_len + 8;
	text = realloc(o->tab_text, o->tab_len + need + TAB_PAD);
	if (!text)
		return -1;
	o->tab_text = text;
	text += o->tab_len;
	len = strlen(none_text(o, st));
	memcpy(text, none_text(o, st), len);
	for (size_t k = s + 1; k < e; k++) {
		const struct json_step *sk = &o->steps[k];
		size_t vl = strlen(none_text(o, sk));

		memcpy(text + len, o->prefixes + sk->prefix_off,
		       sk->prefix_len);
		len += sk->prefix_len;
		memcpy(text + len, none_text(o, sk), vl);
		len += vl;
	}
	memset(text + len, 0, TAB_PAD);
	st->run = (__u32)(e - s);
	st->run_off = (__u32)o->tab_len;
	st->run_len = (__u32)len;
	o->tab_len += len;
	return 0;
}

int output_json_compile(struct output *o)
{
	size_t n_tab = 0, plen = 0, n_memo = 0;
	char *ev, *p;

	for (size_t s = 0; s < o->n_steps; s++) {
		struct json_step *st = &o->steps[s];

		if (st->field >= 0 && output_tabulable(&o->fs->f[st->field]))
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
			st->op = f->info == K8S_NODE && f->json_string ?
					 OP_NODE :
				 k8s_fast(o->fs, f) ? OP_K8S :
						      OP_GENERIC;
			break;
		case FK_IPADDR:
		case FK_L3EP:
			st->op = f->ver_size && f->ver_size <= 8 ? OP_IP :
								   OP_SAFE_TEXT;
			break;
		case FK_HEX:
			st->op = whole_int(f) ? OP_HEX : OP_SAFE_TEXT;
			st->size = (__u8)f->size;
			break;
		case FK_USER:
		case FK_GROUP:
			st->op = whole_int(f) ? OP_ID_NAME : OP_GENERIC;
			break;
		case FK_DURATION:
			st->op = whole_int(f) && f->shown_if < 0 ? OP_DURATION :
								   OP_SAFE_TEXT;
			st->size = (__u8)f->size;
			break;
		case FK_L3EP_LIST:
			st->op = f->ver_size && f->ver_size <= 8 ?
					 OP_L3EP_LIST :
					 OP_SAFE_TEXT;
			break;
		case FK_TIMESTAMP:
			st->op = whole_int(f) && f->size == 8 &&
						 f->shown_if < 0 ?
					 OP_TIME :
					 OP_SAFE_TEXT;
			break;
		default:
			st->op = output_text_is_safe(f->kind) ? OP_SAFE_TEXT :
								OP_GENERIC;
			if (output_tabulable(f)) {
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
	for (size_t s = 0; s < o->n_steps; s++) {
		o->steps[s].memo = (__u32)n_memo;
		n_memo += memo_slots(o->steps[s].op);
		if ((o->steps[s].op == OP_RUNTIME ||
		     o->steps[s].op == OP_K8S) &&
		    build_run(o, s) < 0)
			return -1;
	}
	o->memo = calloc(n_memo + 1, sizeof(*o->memo));
	return o->memo ? 0 : -1;
}

#define LOAD(type, p)                         \
	({                                    \
		type _v;                      \
		memcpy(&_v, (p), sizeof(_v)); \
		_v;                           \
	})

/* Whether an entry of the list of l3 endpoints at p has a version. */
static bool l3ep_list_set(const struct field *f, const char *p)
{
	for (__u32 i = 0; i < f->count; i++) {
		__u64 ver = field_load_uint(
			p + (size_t)i * f->size + f->ver_off, f->ver_size);

		if (ver == 4 || ver == 6)
			return true;
	}
	return false;
}

/* The value of a user or group field, from the step's memo when its id
 * is the last one's (the names come from idcache, which keeps them for
 * the life of the process anyway). */
static size_t id_name(struct output *o, const struct json_step *st,
		      const void *ev, char *out)
{
	const struct field *f = &o->fs->f[st->field];
	__s64 id = (__s64)field_u64(f, ev);
	struct json_memo *m =
		&o->memo[st->memo + ((__u64)id * 0x9E3779B97F4A7C15ULL >> 62)];
	size_t n;

	if (m->valid && m->key == id) {
		memcpy(out, m->text, m->len);
		return m->len;
	}
	n = output_json_value(o, f, ev, out);
	m->valid = n <= sizeof(m->text);
	if (m->valid) {
		memcpy(m->text, out, n);
		m->len = (__u8)n;
		m->key = id;
	}
	return n;
}

/*
 * A timestamp: the text around its nanoseconds is kept for its second.
 * In a new second the generic code writes the value, and the memo keeps
 * what comes before the 9 digits after the first '.' and what follows
 * them; values in that second then need only their digits.
 */
static size_t timestamp(struct output *o, const struct json_step *st,
			const void *ev, char *out)
{
	const struct field *f = &o->fs->f[st->field];
	struct json_memo *m = &o->memo[st->memo];
	__s64 ns = (__s64)(field_load_uint((const char *)ev + st->off, 8) +
			   (__u64)o->fs->boot_to_real_ns);
	__s64 sec = ns / 1000000000LL;
	__s64 nsec = ns % 1000000000LL;
	const char *dot;
	size_t n, head;

	if (nsec < 0) {
		nsec += 1000000000LL;
		sec--;
	}
	if (m->valid && m->key == sec) {
		head = m->len;
		memcpy(out, m->text, PREFIX_PAD);
		if (head > PREFIX_PAD)
			memcpy(out + PREFIX_PAD, m->text + PREFIX_PAD,
			       head - PREFIX_PAD);
		out[head] = '0' + (char)(nsec / 100000000);
		fmt_8digits(out + head + 1, (__u32)(nsec % 100000000));
		memcpy(out + head + 9, m->text + head, 8);
		return head + 9 + m->tail_len;
	}
	n = output_json_value(o, f, ev, out);
	dot = memchr(out, '.', n);
	m->valid = false;
	if (!dot)
		return n;
	head = dot + 1 - out;
	for (size_t i = head; i < head + 9; i++)
		if (i >= n || out[i] < '0' || out[i] > '9')
			return n;
	if (n - 9 - head > 8 || n - 9 + 8 > sizeof(m->text))
		return n;
	memset(m->text, 0, sizeof(m->text));
	memcpy(m->text, out, head);
	memcpy(m->text + head, out + head + 9, n - head - 9);
	m->len = (__u8)head;
	m->tail_len = (__u8)(n - head - 9);
	m->key = sec;
	m->valid = true;
	return n;
}

/* k8s.node: the same for every event, but the pods' state may change it:
 * the text is kept for the name it was written for. */
static size_t node(struct output *o, const struct json_step *st, const void *ev,
		   char *out)
{
	const struct fieldset *fs = o->fs;
	struct json_memo *name = &o->memo[st->memo], *text = name + 1;
	const char *s = fs->containers ? containers_node(fs->containers) : "";
	size_t n;

	if (name->valid && text->valid && !strcmp(s, name->text)) {
		memcpy(out, text->text, text->len);
		return text->len;
	}
	n = output_json_value(o, &fs->f[st->field], ev, out);
	name->valid = strlen(s) < sizeof(name->text);
	text->valid = n <= sizeof(text->text);
	if (name->valid && text->valid) {
		strcpy(name->text, s);
		memcpy(text->text, out, n);
		text->len = (__u8)n;
	}
	return n;
}

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
		const struct field *f;
		__u64 v;

		/* over-copies into space the next value or max_event's pad
		 * owns */
		memcpy(out + n, pre, PREFIX_PAD);
		if (__builtin_expect(st->prefix_len > PREFIX_PAD, 0))
			memcpy(out + n + PREFIX_PAD, pre + PREFIX_PAD,
			       st->prefix_len - PREFIX_PAD);
		n += st->prefix_len;
		switch (st->op) {
		case OP_NONE:
			break;
		case OP_U8:
			n += fmt_u32(out + n, LOAD(__u8, p));
			break;
		case OP_U16:
			n += fmt_u32(out + n, LOAD(__u16, p));
			break;
		case OP_U32:
			n += fmt_u32(out + n, LOAD(__u32, p));
			break;
		case OP_U64:
			v = LOAD(__u64, p);
			n += v <= 0xffffffffULL ? fmt_u32(out + n, (__u32)v) :
						  fmt_u64(out + n, v);
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
			f = &o->fs->f[st->field];
			if (v < TAB_VALUES &&
			    (f->shown_if < 0 || field_shown(o->fs, f, ev))) {
				e = &o->tab_ent[st->tab + v];
				if (e->len <= TAB_PAD)
					memcpy(out + n, o->tab_text + e->off,
					       TAB_PAD);
				else
					memcpy(out + n, o->tab_text + e->off,
					       e->len);
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
			goto run;
		case OP_K8S:
			if (k8s_none < 0) {
				const char *c;

				k8s_none = !fieldset_pod(o->fs, ev, &c);
			}
			if (!k8s_none)
				goto generic;
run:
			/* this step's value, the next ones' prefixes and
			 * values: all alike outside containers and pods */
			memcpy(out + n, o->tab_text + st->run_off, st->run_len);
			n += st->run_len;
			st += st->run - 1;
			break;
		case OP_IP:
			f = &o->fs->f[st->field];
			if (field_load_uint(ev + f->ver_off, f->ver_size) != 4)
				goto safe_text;
			out[n] = '"';
			n += 1 + fmt_ip4(out + n + 1,
					 (const __u8 *)ev + f->addr_off);
			out[n++] = '"';
			break;
		case OP_HEX:
			v = field_load_uint(p, st->size);
			out[n] = '"';
			n += 1 + fmt_hex(out + n + 1, v, 2 * st->size);
			out[n++] = '"';
			break;
		case OP_ID_NAME:
			n += id_name(o, st, ev, out + n);
			break;
		case OP_TIME:
			n += timestamp(o, st, ev, out + n);
			break;
		case OP_NODE:
			n += node(o, st, ev, out + n);
			break;
		case OP_DURATION:
			if (field_load_uint(p, st->size))
				goto safe_text;
			memcpy(out + n, "\"0s\"", 4);
			n += 4;
			break;
		case OP_L3EP_LIST:
			if (l3ep_list_set(&o->fs->f[st->field], p))
				goto safe_text;
			memcpy(out + n, "\"\"", 2);
			n += 2;
			break;
		case OP_SAFE_TEXT:
safe_text:
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
