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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runner/engine/containers.h"
#include "runner/engine/fmt_duration.h"
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
	OP_U64_ADD, /* a u64 plus its field's add (timestamp_raw) */
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
	OP_NODE, /* k8s.node: its text kept while the containers' version
		  * stays */
	OP_DURATION, /* below 1s written here, else safe text */
	OP_L3EP_LIST, /* IPv4 entries written here, else safe text */
	OP_GROUP, /* the text of a group of steps, kept per key */
	OP_YAML_IP, /* an IPv4 address, plain in YAML, else generic */
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
		return 1; /* its text, by containers_version() */
	default:
		return 0;
	}
}

bool output_tabulable(const struct field *f)
{
	if (!output_whole_int(f))
		return false;
	switch (f->kind) {
	case FK_ENUM:
	case FK_ONEOF:
	case FK_PROTO:
	case FK_SIGNAL:
	case FK_ERRNO:
	case FK_SYSCALL:
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
	if (f->add)
		return f->kind == FK_UINT && !f->is_signed && f->size == 8 ?
			       OP_U64_ADD :
			       OP_GENERIC;
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

/* When OP_TAB step st shows its table's text, as field_shown() tells:
 * always, when the bytes of its field's value.shown-if are not 0 (a
 * string's first one, or a whole integer), or ask field_shown(). */
static void tab_cond(const struct fieldset *fs, const struct field *f,
		     struct json_step *st)
{
	const struct field *c = f->shown_if >= 0 ? &fs->f[f->shown_if] : NULL;

	st->cond = COND_GENERIC;
	if (!c || c->kind == FK_BYTES || c->kind == FK_INTARRAY ||
	    c->kind == FK_L3EP_LIST || c->is_struct)
		st->cond = COND_NONE;
	else if (c->kind == FK_STRING || output_whole_int(c))
		st->cond = COND_NONZERO;
	st->cond_off = c ? c->off : 0;
	st->cond_size = !c ? 0 : c->kind == FK_STRING ? 1 : (__u8)c->size;
}

/* Render values 0..TAB_VALUES-1 of step st's field through the generic
 * code into the table. */
static int build_tab(struct output *o, struct json_step *st, char *ev)
{
	const struct field *f = &o->fs->f[st->field];
	size_t need = TAB_VALUES * output_value_max(o, f) + TAB_PAD;
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
 * then each next step's prefix and value.  k8s.node's (OP_NODE) is the
 * OP_K8S steps right after it (ig's key order puts it among them), its
 * text theirs only: the node's value is written first. */
static int build_run(struct output *o, size_t s)
{
	struct json_step *st = &o->steps[s];
	__u8 op = st->op == OP_NODE ? OP_K8S : st->op;
	size_t e = s + 1, need = 8, len = 0;
	char *text;

	while (e < o->n_steps && o->steps[e].op == op &&
	       (op != OP_RUNTIME || o->steps[e].off == st->off))
		e++;
	st->run = 0;
	if (st->op == OP_NODE && e == s + 1)
		return 0;
	for (size_t k = s + 1; k < e; k++)
		need += o->steps[k].prefix_len + 8;
	text = realloc(o->tab_text, o->tab_len + need + TAB_PAD);
	if (!text)
		return -1;
	o->tab_text = text;
	text += o->tab_len;
	if (st->op != OP_NODE) {
		len = strlen(none_text(o, st));
		memcpy(text, none_text(o, st), len);
	}
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

/* Event bytes a value depends on: their span [lo, hi), each of them
 * marked in mask (size bytes, the event's); out: some lie past it. */
struct deps {
	__u32 lo, hi;
	unsigned char *mask;
	size_t size;
	bool out;
};

static void deps_add(struct deps *d, __u32 a, __u32 n)
{
	if (a > d->size || n > d->size - a) {
		d->out = true;
		return;
	}
	if (a < d->lo)
		d->lo = a;
	if (a + n > d->hi)
		d->hi = a + n;
	memset(d->mask + a, 1, n);
}

/* A field whose value changes with every event as a rule: times, ids. */
static bool changes_always(const struct fieldset *fs, const struct field *f)
{
	const struct field *x = f->raw_of >= 0 ? &fs->f[f->raw_of] : f;

	return f->kind == FK_HEX || x->kind == FK_TIMESTAMP ||
	       x->kind == FK_DURATION;
}

/*
 * The event bytes step st's value depends on, whichever way its op takes
 * (the generic code included), added to d; false if it depends on more
 * than the event's bytes (containers, pods, the clock) or is not worth
 * keeping.
 */
static bool step_deps(const struct output *o, const struct json_step *st,
		      struct deps *d)
{
	const struct fieldset *fs = o->fs;
	const struct field *f = st->field >= 0 ? &fs->f[st->field] : NULL;

	if (!f || f->bit_size || changes_always(fs, f))
		return false;
	deps_add(d, f->off, f->size * (f->count ? f->count : 1));
	switch (st->op) {
	case OP_U8:
	case OP_U16:
	case OP_U32:
	case OP_U64:
	case OP_S8:
	case OP_S16:
	case OP_S32:
	case OP_S64:
	case OP_BOOL:
	case OP_STRING:
	case OP_ID_NAME:
	case OP_L3EP_LIST:
		break;
	case OP_TAB:
		if (f->shown_if >= 0) {
			const struct field *c = &fs->f[f->shown_if];

			if (!c->size)
				return false;
			deps_add(d, c->off, c->size);
		}
		break;
	case OP_GENERIC: /* YAML: strings by yaml_scalar() */
		if (f->kind != FK_STRING)
			return false;
		break;
	case OP_IP:
	case OP_YAML_IP:
		deps_add(d, f->addr_off, 16);
		deps_add(d, f->ver_off, f->ver_size);
		if (f->port_size)
			deps_add(d, f->port_off, f->port_size);
		break;
	default:
		return false;
	}
	return !d->out;
}

/* Whether step st writes the port of an l4 endpoint as an unsigned
 * integer: a value new with every query of a stub resolver (a socket per
 * query, its port chosen by the kernel). */
static bool port_step(const struct output *o, const struct json_step *st)
{
	const struct field *f = &o->fs->f[st->field], *ep;

	if (f->parent < 0 ||
	    (st->op != OP_U8 && st->op != OP_U16 && st->op != OP_U32))
		return false;
	ep = &o->fs->f[f->parent];
	return ep->kind == FK_L4EP && f->off == ep->port_off &&
	       f->size == ep->port_size;
}

/* A group's bytes lie within this span: build_groups() looks at each of
 * its steps' spans a few times. */
#define GROUP_SPAN 4096

/*
 * The words of a key that cover the bytes marked in m in [lo, hi), each
 * at the first byte not covered yet (or the event's last 8): into word
 * (unless NULL); how many, or one more than JSON_GROUP_KEY / 8 when it
 * takes more.
 */
static __u32 key_words(const struct fieldset *fs, const unsigned char *m,
		       __u32 lo, __u32 hi, __u32 *word)
{
	__u32 n = 0, size = (__u32)fs->event_size;

	if (size < 8 || hi - lo > GROUP_SPAN)
		return JSON_GROUP_KEY / 8 + 1;
	for (__u32 b = lo; b < hi; b++) {
		if (!m[b])
			continue;
		if (n == JSON_GROUP_KEY / 8)
			return n + 1;
		if (b > size - 8)
			b = size - 8;
		if (word)
			word[n] = b;
		n++;
		b += 7;
	}
	return n;
}

/* Event bytes and their words for the keys of groups (build_groups()). */
struct key_build {
	struct output *o;
	unsigned char *m; /* the steps' bytes (zero between uses) */
};

/* Of each of the n words at word, the bytes marked in m (mask), those
 * marks then cleared in [lo, hi). */
static void word_masks(struct key_build *kb, const __u32 *word, __u32 n,
		       __u64 *mask, __u32 lo, __u32 hi)
{
	for (__u32 i = 0; i < n; i++)
		for (__u32 x = 0; x < 8; x++)
			if (kb->m[word[i] + x])
				mask[i] |= 0xffULL << (8 * x);
	if (hi > lo)
		memset(kb->m + lo, 0, hi - lo);
}

/*
 * The words of the key of steps [s, e) (into word, unless NULL): how
 * many, or JSON_GROUP_KEY / 8 + 1 if one of them depends on more than the
 * event's bytes or on values new with every event, or they take more.
 * With masks, of each word the bytes the steps depend on (full) and
 * those all but step s + hole (if not 0) depend on (mask).
 */
static __u32 range_words(struct key_build *kb, size_t s, size_t e, __u32 *word,
			 __u32 hole, __u64 *full, __u64 *mask)
{
	const struct fieldset *fs = kb->o->fs;
	struct deps d = { .lo = UINT32_MAX,
			  .mask = kb->m,
			  .size = fs->event_size };
	__u32 n = JSON_GROUP_KEY / 8 + 1;
	bool ok = true;

	for (size_t k = s; k < e && ok; k++)
		ok = step_deps(kb->o, &kb->o->steps[k], &d);
	if (ok)
		n = key_words(fs, kb->m, d.lo, d.hi, word);
	if (!ok || !full || n > JSON_GROUP_KEY / 8) {
		if (d.hi > d.lo)
			memset(kb->m + d.lo, 0, d.hi - d.lo);
		return n;
	}
	word_masks(kb, word, n, full, d.lo, d.hi);
	d = (struct deps){ .lo = UINT32_MAX,
			   .mask = kb->m,
			   .size = fs->event_size };
	for (size_t k = s; k < e; k++)
		if (!hole || k - s != hole)
			step_deps(kb->o, &kb->o->steps[k], &d);
	word_masks(kb, word, n, mask, d.lo, d.hi);
	return n;
}

static bool range_fits(struct key_build *kb, size_t s, size_t e)
{
	return range_words(kb, s, e, NULL, 0, NULL, NULL) <= JSON_GROUP_KEY / 8;
}

/* Group steps [s, e): its key, its hole (a port after the first step). */
static int group_add(struct key_build *kb, size_t s, size_t e)
{
	struct output *o = kb->o;
	struct json_group *g, *ng;
	size_t text = 0;

	ng = realloc(o->groups, (o->n_groups + 1) * sizeof(*ng));
	if (!ng)
		return -1;
	o->groups = ng;
	g = &ng[o->n_groups];
	memset(g, 0, sizeof(*g));
	for (size_t k = s; k < e; k++)
		text += (k > s ? o->steps[k].prefix_len : 0) +
			o->fs->f[o->steps[k].field].max_json;
	for (size_t k = s + 1; k < e && !g->hole; k++) {
		if (port_step(o, &o->steps[k])) {
			g->hole = (__u32)(k - s);
			g->hole_off = o->steps[k].off;
			g->hole_size = (__u8)o->fs->f[o->steps[k].field].size;
		}
	}
	g->n = (__u32)(e - s);
	g->n_words = range_words(kb, s, e, g->word, g->hole, g->full, g->mask);
	g->key_len = 8 * g->n_words;
	g->text_max = (__u32)text;
	g->way_size = (__u32)(sizeof(struct json_group_way) + g->key_len +
			      text + PREFIX_PAD + 7) &
		      ~7U;
	g->ways = calloc(JSON_GROUP_WAYS, g->way_size);
	if (!g->ways)
		return -1;
	g->op = o->steps[s].op;
	o->steps[s].op = OP_GROUP;
	o->steps[s].group = (__u32)o->n_groups++;
	return 0;
}

/* The member of the event struct that field i is in, or -1 at the top
 * (-2: no field). */
static int top_of(const struct fieldset *fs, int i)
{
	if (i < 0 || fs->f[i].parent < 0)
		return i < 0 ? -2 : -1;
	while (fs->f[i].parent >= 0)
		i = fs->f[i].parent;
	return i;
}

/*
 * Groups: runs of at least 2 steps whose values depend on the bytes of at
 * most JSON_GROUP_KEY / 8 words of the event together, wherever they are
 * (ig's key order puts values far apart in the event side by side): the
 * longest runs in one member of the event struct (or of top-level
 * values), and then a top-level value alone between two members joins
 * the run before it or else the one after it, if its bytes fit.
 * runs[r] = [start, end) of run r, 1 step or more.
 */
static int build_groups(struct output *o)
{
	const struct fieldset *fs = o->fs;
	struct key_build kb = { .o = o };
	size_t(*runs)[2] = calloc(o->n_steps + 1, sizeof(*runs));
	size_t n_runs = 0, s = 0;
	int r = -1;

	kb.m = calloc(fs->event_size + 1, 1);
	if (!kb.m || !runs)
		goto out;
	while (s < o->n_steps) {
		size_t e = s + 1;
		int top;

		if (!range_fits(&kb, s, e)) {
			s++;
			continue;
		}
		top = top_of(fs, o->steps[s].field);
		while (e < o->n_steps && top_of(fs, o->steps[e].field) == top &&
		       range_fits(&kb, s, e + 1))
			e++;
		runs[n_runs][0] = s;
		runs[n_runs++][1] = e;
		s = e;
	}
	for (size_t i = 0; i < n_runs; i++) {
		size_t *a = runs[i], *p = i ? runs[i - 1] : NULL;
		size_t *nx = i + 1 < n_runs ? runs[i + 1] : NULL;

		if (a[1] - a[0] != 1 || top_of(fs, o->steps[a[0]].field) != -1)
			continue;
		if (p && p[1] == a[0] && p[1] - p[0] >= 2 &&
		    range_fits(&kb, p[0], a[1])) {
			p[1] = a[1];
			a[0] = a[1];
		} else if (nx && nx[0] == a[1] && nx[1] - nx[0] >= 2 &&
			   range_fits(&kb, a[0], nx[1])) {
			nx[0] = a[0];
			a[1] = a[0];
		}
	}
	for (size_t i = 0; i < n_runs; i++)
		if (runs[i][1] - runs[i][0] >= 2 &&
		    group_add(&kb, runs[i][0], runs[i][1]) < 0)
			goto out;
	r = 0;
out:
	free(kb.m);
	free(runs);
	return r;
}

/*
 * YAML: the ops that write quoted text write it as yaml.v2 would, through
 * the generic code (yaml_scalar()), but IPv4 addresses, plain always
 * (digits and three dots: no number, no timestamp, no indicator).
 */
static void yaml_ops(struct output *o)
{
	for (size_t s = 0; s < o->n_steps; s++) {
		struct json_step *st = &o->steps[s];

		switch (st->op) {
		case OP_IP:
			st->op = OP_YAML_IP;
			break;
		case OP_STRING:
		case OP_HEX:
		case OP_DURATION:
		case OP_L3EP_LIST:
		case OP_SAFE_TEXT:
			st->op = OP_GENERIC;
			break;
		default:
			break;
		}
	}
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
			st->op = output_whole_int(f) ? OP_HEX : OP_SAFE_TEXT;
			st->size = (__u8)f->size;
			break;
		case FK_USER:
		case FK_GROUP:
			st->op = output_whole_int(f) ? OP_ID_NAME : OP_GENERIC;
			break;
		case FK_DURATION:
			/* (a negative value below 4 bytes, loaded without
			 * its sign, would look short) */
			st->op = output_whole_int(f) && f->shown_if < 0 &&
						 (!f->is_signed ||
						  f->size >= 4) ?
					 OP_DURATION :
					 OP_SAFE_TEXT;
			st->size = (__u8)f->size;
			break;
		case FK_L3EP_LIST:
			st->op = f->ver_size && f->ver_size <= 8 ?
					 OP_L3EP_LIST :
					 OP_SAFE_TEXT;
			break;
		case FK_TIMESTAMP:
			st->op = f->ts_fmt ? OP_GENERIC :
				 output_whole_int(f) && f->size == 8 &&
						 f->shown_if < 0 ?
					     OP_TIME :
					     OP_SAFE_TEXT;
			break;
		default:
			st->op = output_text_is_safe(f) ? OP_SAFE_TEXT :
							  OP_GENERIC;
			if (output_tabulable(f)) {
				if (build_tab(o, st, ev) < 0) {
					free(ev);
					return -1;
				}
				st->op = OP_TAB;
				st->size = (__u8)f->size;
				tab_cond(o->fs, f, st);
			}
			break;
		}
	}
	free(ev);
	if (o->mode == OUTPUT_YAML)
		yaml_ops(o);
	for (size_t s = 0; s < o->n_steps; s++) {
		o->steps[s].memo = (__u32)n_memo;
		n_memo += memo_slots(o->steps[s].op);
		if ((o->steps[s].op == OP_RUNTIME || o->steps[s].op == OP_K8S ||
		     o->steps[s].op == OP_NODE) &&
		    build_run(o, s) < 0)
			return -1;
	}
	o->memo = calloc(n_memo + 1, sizeof(*o->memo));
	return o->memo ? build_groups(o) : -1;
}

#define LOAD(type, p)                         \
	({                                    \
		type _v;                      \
		memcpy(&_v, (p), sizeof(_v)); \
		_v;                           \
	})

/*
 * The list of l3 endpoints at p as fmt_l3ep_list() writes it, quoted,
 * when its set entries are all IPv4 (or none is set): its length; else 0.
 */
static size_t l3ep_list4(const struct field *f, const char *p, char *out)
{
	size_t n = 1;

	out[0] = '"';
	for (__u32 i = 0; i < f->count; i++) {
		const char *e = p + (size_t)i * f->size;
		__u64 ver = field_load_uint(e + f->ver_off, f->ver_size);

		if (ver == 6)
			return 0;
		if (ver != 4)
			continue;
		if (n > 1)
			out[n++] = ',';
		n += fmt_ip4(out + n, (const __u8 *)e + f->addr_off);
	}
	out[n++] = '"';
	return n;
}

/* A duration d below one second as fmt_duration() writes it, quoted;
 * may write 8 bytes past the value.  Its length. */
static size_t duration_short(__u64 d, char *out)
{
	size_t n = 1 + fmt_duration_short(out + 1, (__u32)d);

	out[0] = '"';
	out[n] = '"';
	return n + 1;
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
 * its text is kept for the containers' version it was written in. */
static size_t node(struct output *o, const struct json_step *st, const void *ev,
		   char *out)
{
	struct json_memo *m = &o->memo[st->memo];
	__s64 version = (__s64)ns_memo_version(o->fs->containers);
	size_t n;

	if (m->valid && m->key == version) {
		memcpy(out, m->text, m->len);
		return m->len;
	}
	n = output_json_value(o, &o->fs->f[st->field], ev, out);
	m->valid = n <= sizeof(m->text);
	if (m->valid) {
		memcpy(m->text, out, n);
		m->len = (__u8)n;
		m->key = version;
	}
	return n;
}

/* Whether mount namespace mntns is no container's. */
static bool runtime_none(struct output *o, __u64 mntns)
{
	const struct containers *c = o->fs->containers;
	struct ns_memo *m = ns_memo_way(o->rt_memo, mntns, 0);

	if (ns_memo_kept(m, mntns, 0, c))
		return m->answer;
	return ns_memo_keep(m, mntns, 0, c,
			    !c || !containers_lookup(o->fs->containers, mntns));
}

/* Whether ev is in no pod (fieldset_pod(), by the fields it reads). */
static bool pod_none(struct output *o, const char *ev)
{
	const struct containers *c = o->fs->containers;
	__u64 mntns, netns;
	struct ns_memo *m;
	const char *ctr;

	fieldset_pod_ns(o->fs, ev, &mntns, &netns);
	m = ns_memo_way(o->k8s_memo, mntns, netns);
	if (ns_memo_kept(m, mntns, netns, c))
		return m->answer;
	return ns_memo_keep(m, mntns, netns, c, !fieldset_pod(o->fs, ev, &ctr));
}

/* Group g's key in event ev into k, each word's bytes under mask, and
 * its hash: the way to look in, the key itself is compared.  Unrolled
 * (up to 8 words: JSON_GROUP_KEY), each word's rotation a constant. */
static inline __u64 key_load(const char *ev, const struct json_group *g,
			     const __u64 *mask, __u64 *k)
{
	__u64 h = 0, w;

#define KEY_WORD(i)                     \
	memcpy(&w, ev + g->word[i], 8); \
	k[i] = w & mask[i];             \
	h ^= k[i] << (8 * (i)&31) | k[i] >> (64 - (8 * (i)&31)) % 64
	switch (g->n_words) {
	case 8:
		KEY_WORD(7);
		/* fall through */
	case 7:
		KEY_WORD(6);
		/* fall through */
	case 6:
		KEY_WORD(5);
		/* fall through */
	case 5:
		KEY_WORD(4);
		/* fall through */
	case 4:
		KEY_WORD(3);
		/* fall through */
	case 3:
		KEY_WORD(2);
		/* fall through */
	case 2:
		KEY_WORD(1);
		/* fall through */
	default:
		KEY_WORD(0);
	}
#undef KEY_WORD
	return h * 0x9E3779B97F4A7C15ULL;
}

/* Whether kept (a key stored by group_keep()) is key k of group g. */
static inline bool key_eq(const char *kept, const __u64 *k,
			  const struct json_group *g)
{
	__u64 d = 0, x;

#define KEY_DIFF(i)                    \
	memcpy(&x, kept + 8 * (i), 8); \
	d |= x ^ k[i]
	switch (g->n_words) {
	case 8:
		KEY_DIFF(7);
		/* fall through */
	case 7:
		KEY_DIFF(6);
		/* fall through */
	case 6:
		KEY_DIFF(5);
		/* fall through */
	case 5:
		KEY_DIFF(4);
		/* fall through */
	case 4:
		KEY_DIFF(3);
		/* fall through */
	case 3:
		KEY_DIFF(2);
		/* fall through */
	case 2:
		KEY_DIFF(1);
		/* fall through */
	default:
		KEY_DIFF(0);
	}
#undef KEY_DIFF
	return !d;
}

/* len bytes from src, 32 at a time: over-copies up to 31 bytes past
 * both (the way has room past the longest text, out its pad). */
static void copy_padded(char *out, const char *src, __u32 len)
{
	for (__u32 i = 0; i < len; i += PREFIX_PAD)
		memcpy(out + i, src + i, PREFIX_PAD);
}

static struct json_group_way *group_way(const struct json_group *g, __u64 h)
{
	size_t way = h >> (64 - JSON_GROUP_WAY_BITS);

	return (struct json_group_way *)(g->ways + way * g->way_size);
}

/* tries between looks at a group's hits */
#define GROUP_WINDOW 1024
/* tries with a group's hole on, then whole keys again */
#define GROUP_HOLE_TRIES 65536

/* Group g's hole on (its value out of the key) or off: the texts kept
 * the other way are dropped. */
static void group_hole_on(struct json_group *g, bool on)
{
	g->hole_on = on;
	for (size_t i = 0; i < JSON_GROUP_WAYS; i++)
		((struct json_group_way *)(g->ways + i * g->way_size))->len = 0;
	g->tries = g->hits = 0;
}

/*
 * After a miss of group g, every GROUP_WINDOW tries: a group with a hole
 * turns it on when more than 1 in 8 of its whole keys missed (a port new
 * with every query: a hit then costs a port written, a miss the group's
 * every step); else a group that hit less than half of them is bypassed
 * for a while (a miss costs about what a hit saves).
 */
static size_t group_missed(struct json_group *g)
{
	if (g->tries < GROUP_WINDOW)
		return 0;
	if (g->hole && !g->hole_on && g->hits < g->tries / 8 * 7) {
		group_hole_on(g, true);
		return 0;
	}
	if (g->hits < g->tries / 2)
		g->skip = 65536;
	g->tries = g->hits = 0;
	return 0;
}

/* Group g's text for ev into out if kept: its length, else 0. */
static size_t group_hit(struct json_group *g, const char *ev, char *out)
{
	__u64 k[JSON_GROUP_KEY / 8];
	__u64 h = key_load(ev, g, g->full, k);
	const struct json_group_way *w = group_way(g, h);

	g->tries++;
	if (w->hash == h && w->len && key_eq(w->data, k, g)) {
		g->hits++;
		copy_padded(out, w->data + g->key_len, w->len);
		return w->len;
	}
	return group_missed(g);
}

/* group_hit() of a group with its hole on: the text kept before it, the
 * hole's value, the rest. */
static size_t group_hit_hole(struct json_group *g, const char *ev, char *out)
{
	__u64 k[JSON_GROUP_KEY / 8];
	__u64 h = key_load(ev, g, g->mask, k);
	const struct json_group_way *w = group_way(g, h);
	const char *text = w->data + g->key_len;
	size_t m;

	g->tries++;
	if (w->hash == h && w->len && key_eq(w->data, k, g)) {
		g->hits++;
		copy_padded(out, text, w->head);
		m = fmt_u32_wide(out + w->head,
				 (__u32)field_load_uint(ev + g->hole_off,
							g->hole_size));
		copy_padded(out + w->head + m, text + w->head,
			    w->len - w->head);
		m += w->len;
		if (g->tries >= GROUP_HOLE_TRIES)
			group_hole_on(g, false);
		return m;
	}
	return group_missed(g);
}

/* Keep group g's text for ev: head, then (after its hole's value) tail. */
static void group_keep(struct json_group *g, const char *ev, const char *head,
		       size_t head_len, const char *tail, size_t tail_len)
{
	__u64 k[JSON_GROUP_KEY / 8];
	__u64 h = key_load(ev, g, g->hole_on ? g->mask : g->full, k);
	struct json_group_way *w = group_way(g, h);

	if (head_len + tail_len > g->text_max || !head_len)
		return;
	w->hash = h;
	w->len = (__u32)(head_len + tail_len);
	w->head = (__u32)head_len;
	memcpy(w->data, k, g->key_len);
	memcpy(w->data + g->key_len, head, head_len);
	memcpy(w->data + g->key_len + head_len, tail, tail_len);
}

/* A group's text being written (after a miss), from out[from]: its hole's
 * value is out[head, tail). */
struct json_keep {
	struct json_group *g;
	const struct json_step *first;
	size_t from, head, tail;
};

/*
 * At step st of the group k writes, out filled up to n: at its hole, the
 * head ends after the hole's prefix; at the next step, the rest starts;
 * at the group's end, its text is kept.  The next step to call at, or
 * NULL.
 */
static const struct json_step *keep_step(struct json_keep *k,
					 const struct json_step *st,
					 const char *ev, const char *out,
					 size_t n)
{
	__u32 i = (__u32)(st - k->first);
	__u32 hole = k->g->hole_on ? k->g->hole : 0;

	if (!hole) {
		group_keep(k->g, ev, out + k->from, n - k->from, out, 0);
		return NULL;
	}
	if (i == hole) {
		k->head = n + st->prefix_len;
		return st + 1;
	}
	if (i == hole + 1) {
		k->tail = n;
		if (i < k->g->n)
			return k->first + k->g->n;
	}
	group_keep(k->g, ev, out + k->from, k->head - k->from, out + k->tail,
		   n - k->tail);
	return NULL;
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
	/* a group whose text is being written: keep_step() at keep_at */
	const struct json_step *keep_at = NULL;
	struct json_keep keep = { 0 };

	for (; st < end; st++) {
		const char *pre = o->prefixes + st->prefix_off;
		const char *p = ev + st->off;
		const struct json_tab_ent *e;
		const struct field *f;
		struct json_group *g;
		__u8 op = st->op;
		size_t len;
		__u64 v;

		if (__builtin_expect(st == keep_at, 0))
			keep_at = keep_step(&keep, st, ev, out, n);

		/* over-copies into space the next value or max_event's pad
		 * owns */
		memcpy(out + n, pre, PREFIX_PAD);
		if (__builtin_expect(st->prefix_len > PREFIX_PAD, 0))
			memcpy(out + n + PREFIX_PAD, pre + PREFIX_PAD,
			       st->prefix_len - PREFIX_PAD);
		n += st->prefix_len;
again:
		switch (op) {
		case OP_NONE:
			break;
		case OP_GROUP:
			g = &o->groups[st->group];
			op = g->op;
			if (g->skip) {
				g->skip--;
				goto again;
			}
			len = g->hole_on ? group_hit_hole(g, ev, out + n) :
					   group_hit(g, ev, out + n);
			if (!len) {
				keep = (struct json_keep){ .g = g,
							   .first = st,
							   .from = n };
				keep_at = st + (g->hole_on ? g->hole : g->n);
				goto again;
			}
			n += len;
			st += g->n - 1;
			break;
		case OP_U8:
			n += fmt_u32_wide(out + n, LOAD(__u8, p));
			break;
		case OP_U16:
			n += fmt_u32_wide(out + n, LOAD(__u16, p));
			break;
		case OP_U32:
			n += fmt_u32_wide(out + n, LOAD(__u32, p));
			break;
		case OP_U64:
			v = LOAD(__u64, p);
			if (v <= 0xffffffffULL)
				n += fmt_u32_wide(out + n, (__u32)v);
			else if (v < 100000000ULL << 32) /* times in ns */
				n += fmt_split8_wide(out + n, v);
			else
				n += fmt_u64(out + n, v);
			break;
		case OP_U64_ADD:
			n += fmt_u64(out + n,
				     LOAD(__u64, p) + o->fs->f[st->field].add);
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
			    (st->cond == COND_NONE ||
			     (st->cond == COND_NONZERO ?
				      field_load_uint(ev + st->cond_off,
						      st->cond_size) != 0 :
				      field_shown(o->fs, f, ev)))) {
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
				rt_none = runtime_none(
					o, field_load_uint(p, st->size));
			}
			if (!rt_none)
				goto generic;
			goto run;
		case OP_K8S:
k8s:
			if (k8s_none < 0)
				k8s_none = pod_none(o, ev);
			if (op != OP_K8S)
				goto node_run;
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
		case OP_YAML_IP:
			f = &o->fs->f[st->field];
			if (field_load_uint(ev + f->ver_off, f->ver_size) != 4)
				goto generic;
			n += fmt_ip4(out + n, (const __u8 *)ev + f->addr_off);
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
			if (!st->run)
				break;
			goto k8s;
node_run:
			if (!k8s_none)
				break;
			goto run;
		case OP_DURATION:
			v = field_load_uint(p, st->size);
			if (v >= 1000000000ULL)
				goto safe_text;
			n += duration_short(v, out + n);
			break;
		case OP_L3EP_LIST:
			len = l3ep_list4(&o->fs->f[st->field], p, out + n);
			if (!len)
				goto safe_text;
			n += len;
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
	if (keep_at == end)
		keep_step(&keep, end, ev, out, n);
	return n;
}
