/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * trace_dns, the DNS message walkers (names, answer records).
 * A part of program.bpf.c, included once at its place there: it
 * uses the types, maps and params defined before it (one eBPF
 * object is one compilation unit).
 */
#ifndef TRACE_DNS_WIRE_BPF_H
#define TRACE_DNS_WIRE_BPF_H

/*
 * Message decoding.  The walkers run as bpf_loop() callbacks on the
 * per-CPU scratch state and the event being built: one step of the name
 * walker reads one whole label (or a pointer, or the root label), one step
 * of the record walker one owner-name label or one record header.
 */

/* What the walkers work on, on the filter's stack (no lookup per step). */
struct walk {
	struct scratch *s;
	struct event_t *ev;
};

/* Is c written as is by dig (RFC 1035 presentation format)?  A table:
 * one load, where comparisons would be a branch each for the verifier. */
static const __u8 name_plain[256] = {
	/* all printable but '"' $ ( ) . ; @ and the backslash */
	['!'] = 1,	   ['#'] = 1,	      ['%' ... '\''] = 1,
	['*' ... '-'] = 1, ['/' ... ':'] = 1, ['<' ... '?'] = 1,
	['A' ... '['] = 1, [']' ... '~'] = 1,
};

static __always_inline bool name_char_plain(__u8 c)
{
	return name_plain[c];
}

/* Append one label byte to name, escaped as dig does. */
static __always_inline void name_put(struct scratch *s, char *name, __u8 c)
{
	__u32 o = s->out;

	if (s->truncated)
		return;
	if (name_char_plain(c)) {
		if (o + 1 > DNS_NAME_LEN - 1)
			goto full;
		name[NAME_IDX(o)] = c;
		s->out = o + 1;
		return;
	}
	if (c > 0x20 && c < 0x7f) { /* a special character: \c */
		if (o + 2 > DNS_NAME_LEN - 1)
			goto full;
		name[NAME_IDX(o)] = '\\';
		name[NAME_IDX(o + 1)] = c;
		s->out = o + 2;
		return;
	}
	if (o + 4 > DNS_NAME_LEN - 1) /* anything else: \DDD */
		goto full;
	name[NAME_IDX(o)] = '\\';
	name[NAME_IDX(o + 1)] = '0' + c / 100;
	name[NAME_IDX(o + 2)] = '0' + c / 10 % 10;
	name[NAME_IDX(o + 3)] = '0' + c % 10;
	s->out = o + 4;
	return;
full:
	s->truncated = 1;
}

/* A ',' between two names, or the end when it does not fit. */
static __always_inline void name_dot_sep(struct scratch *s, char *name)
{
	__u32 o = s->out;

	if (o + 1 > DNS_NAME_LEN - 1) {
		s->truncated = 1;
		return;
	}
	name[NAME_IDX(o)] = ',';
	s->out = o + 1;
}

static __always_inline void name_dot(struct scratch *s, char *name)
{
	__u32 o = s->out;

	if (s->truncated)
		return;
	if (o + 1 > DNS_NAME_LEN - 1) {
		s->truncated = 1;
		return;
	}
	name[NAME_IDX(o)] = '.';
	s->out = o + 1;
	/* a name cut after this label ends in "..." in place of its dot:
	 * only where "..." and the NUL fit (a label past that is shown
	 * whole or not at all) */
	if (o <= DNS_NAME_LEN - 4)
		s->kept = o + 1;
}

/* The bytes of a label from the first one name_walk() cannot copy as is:
 * one bpf_loop() step each, so the verifier checks name_put() once. */
struct name_rest {
	struct scratch *s;
	char *name;
	__u32 at; /* the byte's offset in s->msg, for step 0 */
};

static long name_rest_step(__u64 i, void *ctx)
{
	struct name_rest *r = ctx;

	name_put(r->s, r->name, r->s->msg[MSG_IDX(r->at + i)]);
	return 0;
}

/*
 * One step of the question-name walk; returns 1 to stop.  The budget is
 * DNS_NAME_STEPS steps of one byte or pointer each: a label costs its
 * length byte and its bytes, taken all at once or not at all (a name that
 * runs out of steps or of message is no name).
 */
__noinline long name_walk(struct scratch *s, struct event_t *ev, bool cnames,
			  __u32 start)
{
	__u32 pos, steps, ptr, n, o;
	char *name;
	__u8 b;

	if (!s || !ev)
		return 1;
	name = cnames ? ev->cnames : ev->name;
	pos = s->pos;
	steps = s->steps;
	if (pos >= s->len || steps >= DNS_NAME_STEPS)
		return 1;
	b = s->msg[MSG_IDX(pos)];
	if (b == 0) { /* the root label ends the name */
		if (!s->end)
			s->end = pos + 1;
		if (s->out == start)
			name_dot(s, name);
		s->name_ok = 1;
		return 1;
	}
	if ((b & 0xC0) == 0xC0) { /* compression pointer, only backwards */
		if (pos + 1 >= s->len || ++s->hops > DNS_MAX_HOPS)
			return 1;
		ptr = (b & 0x3F) << 8 | s->msg[MSG_IDX(pos + 1)];
		if (ptr >= pos)
			return 1;
		if (!s->end)
			s->end = pos + 2;
		s->pos = ptr;
		s->steps = steps + 1;
		return 0;
	}
	if (b & 0xC0) /* obsolete label types */
		return 1;
	if (steps + 1 + b > DNS_NAME_STEPS || pos + 1 + b > s->len)
		return 1;
	n = 0;
	o = s->out;
	/* plain bytes while the label and its dot fit: no escaping; a
	 * can_loop loop (loop.bpf.h) on cursors bounded in its condition,
	 * which the verifier checks in a few passes */
	if (!s->truncated && o + b < DNS_NAME_LEN - 1) {
		__u64 at = pos + 1, lim = pos + 1 + b, out = o;

		while (at < lim && at < DNS_MSG_MAX && out < DNS_NAME_LEN &&
		       can_loop) {
			__u8 c = s->msg[MSG_IDX(at)];

			if (!name_char_plain(c))
				break;
			name[NAME_IDX(out++)] = c;
			at++;
		}
		s->out = out;
		/* OPAQUE: one state, however the loop ended */
		n = OPAQUE(at - (pos + 1));
	}
	if (n < b) { /* the rest, escaped: rare */
		struct name_rest r = { s, name, pos + 1 + n };

		bpf_loop(b - n, name_rest_step, &r, NOT_INLINED);
	}
	name_dot(s, name);
	s->pos = pos + 1 + b;
	s->steps = steps + 1 + b;
	return 0;
}

/*
 * The common question name, read in one pass without a callback per
 * label: labels of plain bytes only (written as they are), no pointer, at
 * most NAME_FAST bytes on the wire, so it always fits.  Returns its
 * length in name and sets s->end past it, or returns 0 for any other name
 * (then name_step() reads it from the start).  Inlined (as a global
 * function each query took ~15-20 ns more, bench/progrun); a can_loop
 * loop, which the verifier checks in a few passes where a loop counted to
 * NAME_FAST took it ~45k instructions.
 */
#define NAME_FAST 96
_Static_assert(NAME_FAST + 1 < DNS_NAME_LEN, "a fast name always fits");

static __always_inline __u32 name_fast(struct scratch *s, struct event_t *ev)
{
	__u64 pos, o, left;
	char *name;
	__u8 c;

	if (!s || !ev)
		return 0;
	name = ev->name;
	if (s->len <= DNS_HDR_LEN)
		return 0;
	if (s->msg[DNS_HDR_LEN] == 0) { /* the root, "." */
		name[0] = '.';
		s->end = DNS_HDR_LEN + 1;
		return 1;
	}
	/* each cursor is OPAQUE and bounded in the loop's condition: the
	 * state at can_loop after a byte is within the one before it, and
	 * the verifier stops there (loop.bpf.h) */
	pos = OPAQUE(DNS_HDR_LEN);
	o = OPAQUE(0);
	left = OPAQUE(0);
	while (pos < s->len && pos < DNS_HDR_LEN + NAME_FAST &&
	       o < NAME_FAST + 1 && can_loop) {
		c = s->msg[MSG_IDX(pos)];
		pos++;
		if (left) { /* a byte of a label */
			if (!name_char_plain(c))
				return 0;
			name[NAME_IDX(o++)] = c;
			if (--left == 0)
				name[NAME_IDX(o++)] = '.';
			continue;
		}
		if (c == 0) { /* the root label */
			s->end = pos;
			return o;
		}
		if (c & 0xC0)
			return 0;
		left = c;
	}
	return 0;
}

static long name_step(__u64 i, void *ctx)
{
	struct walk *w = ctx;

	return name_walk(w->s, w->ev, false, 0) ? 1 : 0;
}

/*
 * One step of the CNAME-target walk: the targets the record walker found,
 * one after the other into ev.cnames, comma-separated, each with the
 * budget of a question name.  A target that cannot be read, or does not
 * fit whole, ends the list at the last whole one.
 */
static long cname_step(__u64 i, void *ctx)
{
	struct walk *w = ctx;
	struct scratch *s = w->s;
	char *cnames = w->ev->cnames;
	__u32 k = s->cname;

	if (k >= s->ncnames || k >= MAX_CNAMES)
		return 1;
	if (s->cname_next) {
		s->cname_next = 0;
		s->pos = s->cname_at[k & (MAX_CNAMES - 1)];
		s->steps = s->hops = 0;
		s->end = 1; /* where it ends matters not */
		s->name_ok = 0;
		if (k)
			name_dot_sep(s, cnames);
		s->cname_start = s->out;
	}
	if (!name_walk(s, w->ev, true, s->cname_start))
		return 0;
	if (!s->name_ok || s->truncated)
		return 1;
	s->cnames_kept = s->out;
	/* the list cut after this target ends in ",...": where that and
	 * the NUL fit */
	if (s->out <= DNS_NAME_LEN - 5)
		s->cnames_fit = s->out;
	s->cname = k + 1;
	s->cname_next = 1;
	return 0;
}

static __always_inline __u16 msg_u16(struct scratch *s, __u32 pos)
{
	return (__u16)s->msg[MSG_IDX(pos)] << 8 | s->msg[MSG_IDX(pos + 1)];
}

/* One step of the answer walk: one owner-name label, the type and class
 * of a question after the first, or one record. */
static long record_step(__u64 i, void *ctx)
{
	struct walk *w = ctx;
	struct scratch *s = w->s;
	__u32 pos, rdata, n, ttl;
	__u16 type, class, rdlen;
	__u8 b;

	pos = s->pos;
	if (s->in_owner) {
		if (pos >= s->len)
			return 1;
		b = s->msg[MSG_IDX(pos)];
		if (b == 0) {
			s->pos = pos + 1;
			s->in_owner = 0;
		} else if ((b & 0xC0) == 0xC0) {
			s->pos = pos + 2;
			s->in_owner = 0;
		} else if (b & 0xC0) {
			return 1;
		} else {
			s->pos = pos + 1 + b;
		}
		return 0;
	}
	if (s->questions) {
		if (pos + 4 > s->len)
			return 1;
		s->pos = pos + 4;
		s->in_owner = 1;
		s->questions--;
		return 0;
	}
	if (pos + 10 > s->len)
		return 1;
	type = msg_u16(s, pos);
	class = msg_u16(s, pos + 2);
	rdlen = msg_u16(s, pos + 8);
	rdata = pos + 10;
	if (rdata + rdlen > s->len)
		return 1;
	ttl = (__u32)msg_u16(s, pos + 4) << 16 | msg_u16(s, pos + 6);
	if (!s->has_ttl || ttl < s->ttl)
		s->ttl = ttl;
	s->has_ttl = 1;
	n = s->ncnames;
	if ((class & 0x7FFF) == 1 && type == CNAME && rdlen && n < MAX_CNAMES) {
		s->cname_at[n & (MAX_CNAMES - 1)] = rdata;
		s->ncnames = n + 1;
	}
	n = s->naddr;
	/* class IN; mDNS sets the top bit to flush caches */
	if ((class & 0x7FFF) == 1 && n < MAX_ADDRESSES) {
		struct gadget_l3endpoint_t *a = &w->ev->addresses[n & 7];

		/* whole: it held an older event's (dns_message()) */
		if ((type == A && rdlen == 4) || (type == AAAA && rdlen == 16))
			__builtin_memset(a, 0, sizeof(*a));
		if (type == A && rdlen == 4) {
			__builtin_memcpy(&a->addr_raw.v4,
					 &s->msg[MSG_IDX(rdata)], 4);
			a->version = 4;
			s->naddr = n + 1;
		} else if (type == AAAA && rdlen == 16) {
			__builtin_memcpy(a->addr_raw.v6,
					 &s->msg[MSG_IDX(rdata)], 16);
			a->version = 6;
			s->naddr = n + 1;
		}
	}
	s->pos = rdata + rdlen;
	s->in_owner = 1;
	if (--s->records == 0)
		return 1;
	return 0;
}

#endif /* TRACE_DNS_WIRE_BPF_H */
