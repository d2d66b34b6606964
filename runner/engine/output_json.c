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

/* [lo, hi) grown to cover [a, a + n) */
static void span_add(__u32 *lo, __u32 *hi, __u32 a, __u32 n)
{
	if (a < *lo)
		*lo = a;
	if (a + n > *hi)
		*hi = a + n;
}

/* Event bytes a value depends on: their span [lo, hi), and with mask,
 * each of them marked in mask[0, len) (bytes from base). */
struct deps {
	__u32 lo, hi;
	unsigned char *mask;
	__u32 base, len;
};

static void deps_add(struct deps *d, __u32 a, __u32 n)
{
	span_add(&d->lo, &d->hi, a, n);
	for (__u32 x = a; d->mask && x < a + n; x++)
		if (x >= d->base && x - d->base < d->len)
			d->mask[x - d->base] = 0xff;
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
		return true;
	case OP_TAB:
		if (f->shown_if >= 0) {
			const struct field *c = &fs->f[f->shown_if];

			if (!c->size)
				return false;
			deps_add(d, c->off, c->size);
		}
		return true;
	case OP_IP:
		deps_add(d, f->addr_off, 16);
		deps_add(d, f->ver_off, f->ver_size);
		if (f->port_size)
			deps_add(d, f->port_off, f->port_size);
		return true;
	default:
		return false;
	}
}

/* The span [lo, hi) of step st's bytes (step_deps()). */
static bool step_span(const struct output *o, const struct json_step *st,
		      __u32 *lo, __u32 *hi)
{
	struct deps d = { .lo = UINT32_MAX };

	if (!step_deps(o, st, &d))
		return false;
	*lo = d.lo;
	*hi = d.hi;
	return true;
}

/* The first member of the event struct that f is in (or f). */
static int top_of(const struct fieldset *fs, int i)
{
	while (fs->f[i].parent >= 0)
		i = fs->f[i].parent;
	return i;
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

/* Group g of steps [s, e): its hole (a port after the first step), and
 * the bytes of its key [lo, hi) the other steps' values depend on. */
static void group_key(const struct output *o, struct json_group *g, size_t s,
		      size_t e, __u32 lo, __u32 hi)
{
	struct deps d = { .lo = UINT32_MAX,
			  .mask = (unsigned char *)g->mask,
			  .base = lo,
			  .len = hi - lo };

	for (size_t k = s + 1; k < e && !g->hole; k++) {
		if (port_step(o, &o->steps[k])) {
			g->hole = (__u32)(k - s);
			g->hole_off = o->steps[k].off;
			g->hole_size = (__u8)o->fs->f[o->steps[k].field].size;
		}
	}
	for (size_t k = s; k < e; k++)
		if (!g->hole || k - s != g->hole)
			step_deps(o, &o->steps[k], &d);
}

static int group_add(struct output *o, size_t s, size_t e, __u32 lo, __u32 hi)
{
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
	g->n = (__u32)(e - s);
	g->lo = lo;
	g->key_len = hi - lo;
	g->text_max = (__u32)text;
	g->way_size = (__u32)(sizeof(struct json_group_way) + g->key_len +
			      text + PREFIX_PAD + 7) &
		      ~7U;
	g->ways = calloc(JSON_GROUP_WAYS, g->way_size);
	if (!g->ways)
		return -1;
	group_key(o, g, s, e, lo, hi);
	g->op = o->steps[s].op;
	o->steps[s].op = OP_GROUP;
	o->steps[s].group = (__u32)o->n_groups++;
	return 0;
}

/*
 * Groups: runs of at least 2 steps in one member of the event struct (or
 * of top-level values) whose values depend on at most JSON_GROUP_KEY
 * bytes of the event together.
 */
static int build_groups(struct output *o)
{
	const struct fieldset *fs = o->fs;
	size_t s = 0;

	while (s < o->n_steps) {
		__u32 lo, hi, a, b;
		size_t e = s + 1;
		int top;

		if (!step_span(o, &o->steps[s], &lo, &hi) ||
		    hi - lo > JSON_GROUP_KEY) {
			s++;
			continue;
		}
		top = fs->f[o->steps[s].field].parent >= 0 ?
			      top_of(fs, o->steps[s].field) :
			      -1;
		for (; e < o->n_steps; e++) {
			const struct json_step *se = &o->steps[e];
			__u32 nlo = lo, nhi = hi;

			if (!step_span(o, se, &a, &b))
				break;
			if ((fs->f[se->field].parent >= 0 ?
				     top_of(fs, se->field) :
				     -1) != top)
				break;
			span_add(&nlo, &nhi, a, b - a);
			if (nhi - nlo > JSON_GROUP_KEY)
				break;
			lo = nlo;
			hi = nhi;
		}
		/* the key read 8 bytes at a time: more bytes than needed
		 * only make it stricter */
		hi = lo + ((hi - lo + 7) & ~7U);
		if (hi > fs->event_size && fs->event_size >= hi - lo)
			lo = (__u32)fs->event_size - (hi - lo),
			hi = (__u32)fs->event_size;
		if (e - s >= 2 && hi <= fs->event_size &&
		    group_add(o, s, e, lo, hi) < 0)
			return -1;
		s = e;
	}
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
	for (size_t s = 0; s < o->n_steps; s++) {
		o->steps[s].memo = (__u32)n_memo;
		n_memo += memo_slots(o->steps[s].op);
		if ((o->steps[s].op == OP_RUNTIME ||
		     o->steps[s].op == OP_K8S) &&
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

/* The way of a key (len: a multiple of 8; with mask, its bytes under
 * it): only picks where to look, the key itself is compared. */
static inline __u64 key_hash(const char *p, const __u64 *mask, __u32 len)
{
	__u64 h = 0, w;

	for (__u32 i = 0; i < len; i += 8) {
		memcpy(&w, p + i, 8);
		if (mask)
			w &= mask[i / 8];
		h ^= w << (i & 31) | w >> (64 - (i & 31)) % 64;
	}
	return h * 0x9E3779B97F4A7C15ULL;
}

static inline bool key_eq(const char *a, const char *b, const __u64 *mask,
			  __u32 len)
{
	__u64 d = 0, x, y;

	for (__u32 i = 0; i < len; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		d |= mask ? (x ^ y) & mask[i / 8] : x ^ y;
	}
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
	const char *key = ev + g->lo;
	__u64 h = key_hash(key, NULL, g->key_len);
	const struct json_group_way *w = group_way(g, h);

	g->tries++;
	if (w->hash == h && w->len && key_eq(w->data, key, NULL, g->key_len)) {
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
	const char *key = ev + g->lo;
	__u64 h = key_hash(key, g->mask, g->key_len);
	const struct json_group_way *w = group_way(g, h);
	const char *text = w->data + g->key_len;
	size_t m;

	g->tries++;
	if (w->hash == h && w->len &&
	    key_eq(w->data, key, g->mask, g->key_len)) {
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
	const char *key = ev + g->lo;
	__u64 h = g->hole_on ? key_hash(key, g->mask, g->key_len) :
			       key_hash(key, NULL, g->key_len);
	struct json_group_way *w = group_way(g, h);

	if (head_len + tail_len > g->text_max || !head_len)
		return;
	w->hash = h;
	w->len = (__u32)(head_len + tail_len);
	w->head = (__u32)head_len;
	memcpy(w->data, key, g->key_len);
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
			if (k8s_none < 0)
				k8s_none = pod_none(o, ev);
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
