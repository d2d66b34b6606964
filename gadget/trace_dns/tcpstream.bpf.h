/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * trace_dns, DNS over TCP: messages across segments.
 * A part of program.bpf.c, included once at its place there: it
 * uses the types, maps and params defined before it (one eBPF
 * object is one compilation unit).
 */
#ifndef TRACE_DNS_TCPSTREAM_BPF_H
#define TRACE_DNS_TCPSTREAM_BPF_H

/*
 * Over TCP each message follows its 2-byte length (RFC 1035 4.2.2), and
 * nothing ties messages to segments: a length may come alone, a segment
 * may hold several messages, a message may span several segments.  Each
 * direction of each connection, as one namespace sees it (leaving or
 * arriving: on lo a namespace sees each segment both ways), is a flow in
 * `tcp_flows`: the sequence number it expects next and where it stands in
 * the framing.  A message whose first DNS_MSG_MAX bytes span segments is
 * gathered in a partial buffer (`tcp_partials`); a longer message is
 * decoded from those bytes, the rest skipped, and counted (oversized).
 *
 * A flow seen from its SYN knows where its messages start.  Otherwise
 * (the runner started later, the flow was evicted, bytes were missed) a
 * segment is taken to start with a message only when it looks like one
 * (tcp_looks_like_start()); the segments before one that does are
 * skipped.  Bytes seen before (a
 * retransmission) are not decoded again.  A gap in the sequence (a
 * segment this host never saw, or not yet: out of order) loses the
 * framing until a segment that looks like a message start.  Each of
 * these, and a partial buffer taken by another flow, is counted once per
 * segment in tcp_skipped: never decoded from a guessed place.
 *
 * A flow is updated without a lock: two CPUs with segments of the same
 * flow at once (not seen in practice: a socket sends under its lock, and
 * receive steering keeps a flow on one CPU) may count a gap.
 */

/* Messages over TCP longer than DNS_MSG_MAX: decoded from that many. */
GADGET_COUNTER(oversized);

/* TCP segments not decoded, whole or in part (see above). */
GADGET_COUNTER(tcp_skipped);

/* One direction of a connection, as one namespace sees it. */
struct tcp_flow_key {
	__u8 saddr[16];
	__u8 daddr[16];
	gadget_netns_id netns;
	__u16 sport;
	__u16 dport;
	__u8 outgoing; /* seen leaving; on lo it is also seen arriving */
	__u8 pad[3];
};

enum tcp_framing : __u8 {
	TCP_UNSYNCED = 0, /* where the next message starts is unknown */
	TCP_START, /* a length comes next */
	TCP_LENGTH, /* the length's second byte comes next */
	TCP_MESSAGE, /* in a message: gathering its first bytes */
	TCP_SKIP, /* in a message decoded already, or not to be */
};

struct tcp_flow {
	__u32 next; /* the sequence number of the byte expected next */
	__u16 len; /* the current message's length */
	__u16 left; /* its bytes still to come */
	__u16 got; /* its first bytes gathered (TCP_MESSAGE) */
	enum tcp_framing framing;
	__u8 hi; /* TCP_LENGTH: the length's first byte */
};

#define TCP_FLOWS 8192

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TCP_FLOWS);
	__type(key, struct tcp_flow_key);
	__type(value, struct tcp_flow);
} tcp_flows SEC(".maps");

/*
 * Messages being gathered.  Each is seen at every hop at once (a client's
 * namespace sending it, the server's receiving it): two flows gathering
 * at the same moment are the rule, not the exception.  So a flow has two
 * slots to choose from (two parts of its hash), takes a free one, and
 * frees it when its message is whole; only when both are taken does it
 * take the one taken longest ago (a message abandoned half-way, or many
 * split messages at once), and the message that had it is skipped and
 * counted.  With one slot per flow, 1 split message in 256 lost the
 * decoding at one of its hops.  Slots are claimed without a lock: two
 * CPUs starting messages in the same free slot at the same moment lose
 * one of them, counted.
 */
#define TCP_PARTIALS 256

struct tcp_partial {
	struct tcp_flow_key key; /* whose message this is */
	__u64 claimed; /* boot ns when its message took the slot; 0: free */
	/* its first bytes, up to DNS_MSG_MAX: an append at a variable
	 * offset of a variable length is bounded for the verifier by the
	 * sum of both bounds */
	__u8 buf[2 * DNS_MSG_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TCP_PARTIALS);
	__type(key, __u32);
	__type(value, struct tcp_partial);
} tcp_partials SEC(".maps");

/* Steps per segment, each a whole message or a piece of one. */
#define TCP_SEG_STEPS 512

/*
 * The segment being walked, per CPU: the stack is short (dns_message()
 * runs below tcp_step(), below the filter).
 */
struct tcp_seg {
	struct tcp_flow_key key;
	__u32 pos; /* offset in the packet of the next byte to read */
	__u32 end; /* and of the payload's end */
	int off; /* of the network header */
	bool sent; /* an event carries the packet already */
	bool ready; /* s->msg holds a message to decode */
	bool skipped; /* bytes of the segment not decoded: count it */
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcp_seg);
} tcp_segs SEC(".maps");

/* What tcp_step() works on, on tcp_segment()'s stack. */
struct tcp_walk {
	struct __sk_buff *skb;
	const struct l4_info *l4;
	struct scratch *s;
	struct tcp_flow *f;
	struct tcp_seg *g;
};

static const struct tcp_flow tcp_flow_new;

/* Does p hold a message of key's? A global function: checked once. */
__noinline int tcp_partial_is(const struct tcp_partial *p,
			      const struct tcp_flow_key *key)
{
	const __u32 *a, *b;

	_Static_assert(sizeof(*key) == 11 * 4, "tcp_flow_key is 11 words");
	if (!p || !key || !p->claimed)
		return false;
	a = (const __u32 *)&p->key;
	b = (const __u32 *)key;
	for (int k = 0; k < 11; k++)
		if (a[k] != b[k])
			return false;
	return true;
}

/*
 * The slot of key's message in tcp_partials, one of its two: taken for
 * it when claim (its own still, else a free one, else the one taken
 * longest ago), else -1 unless key's message holds one.  A global
 * function: the verifier checks its hash once, not on each way through
 * tcp_gather().
 */
__noinline int tcp_partial_slot(const struct tcp_flow_key *key, int claim)
{
	struct tcp_partial *p, *q;
	__u32 h, i, j;
	__u64 now;

	if (!key)
		return -1;
	h = words_hash((const __u32 *)key, 11);
	i = h & (TCP_PARTIALS - 1);
	j = h >> 8 & (TCP_PARTIALS - 1);
	if (j == i)
		j ^= 1;
	p = bpf_map_lookup_elem(&tcp_partials, &i);
	q = bpf_map_lookup_elem(&tcp_partials, &j);
	if (!p || !q)
		return -1;
	if (tcp_partial_is(q, key)) {
		p = q;
		i = j;
	} else if (!tcp_partial_is(p, key)) {
		if (!claim)
			return -1;
		/* p unless q is free, or p was taken after q */
		if (!q->claimed || (p->claimed && p->claimed > q->claimed)) {
			p = q;
			i = j;
		}
		p->key = *key;
	}
	if (claim) {
		now = bpf_ktime_get_boot_ns();
		p->claimed = now ? now : 1;
	}
	return i;
}

/* The partial buffer of key's message, as tcp_partial_slot() finds it. */
static __always_inline struct tcp_partial *
tcp_partial(const struct tcp_flow_key *key, bool claim)
{
	int i = tcp_partial_slot(key, claim);
	__u32 k = i;

	if (i < 0)
		return NULL;
	return bpf_map_lookup_elem(&tcp_partials, &k);
}

/* The first len (1..DNS_MSG_MAX) bytes of p's message into s->msg: one
 * helper call, where a loop would be thousands of verifier steps. */
static __always_inline int tcp_partial_copy(struct scratch *s,
					    struct tcp_partial *p, __u32 len)
{
	struct bpf_dynptr buf;

	if (bpf_dynptr_from_mem(p->buf, DNS_MSG_MAX, 0, &buf))
		return -1;
	return bpf_dynptr_read(s->msg, MSG_IDX(len - 1) + 1, &buf, 0, 0);
}

/*
 * Does a message start at pos, with room bytes of payload from there?
 * Only a whole one is taken, with a sane header: at most one question,
 * the Z bit clear, a known opcode.  (Read from the middle of a message,
 * the "length" is whatever two bytes are there, mostly past the
 * segment's end.)
 */
static __always_inline bool tcp_looks_like_start(struct __sk_buff *skb,
						 __u32 pos, __u32 room)
{
	__u16 h[4]; /* length, id, flags, question count */
	__u16 len, flags, opcode;

	if (room < 2 + DNS_HDR_LEN || bpf_skb_load_bytes(skb, pos, h, 8))
		return false;
	len = bpf_ntohs(h[0]);
	flags = bpf_ntohs(h[2]);
	opcode = flags >> 11 & 0xF;
	return len >= DNS_HDR_LEN && len <= room - 2 && bpf_ntohs(h[3]) <= 1 &&
	       !(flags & 0x0040) && opcode <= DSO && opcode != 3;
}

/* A length, or its first byte; -1 when it cannot be read. */
static __always_inline int tcp_length(struct tcp_walk *t, struct tcp_flow *f,
				      struct tcp_seg *g)
{
	__u8 b[2];
	__u32 len;

	if (f->framing == TCP_START && g->end - g->pos >= 2) {
		if (bpf_skb_load_bytes(t->skb, g->pos, b, 2))
			return -1;
		g->pos += 2;
		len = b[0] << 8 | b[1];
	} else {
		if (bpf_skb_load_bytes(t->skb, g->pos, b, 1))
			return -1;
		g->pos += 1;
		if (f->framing == TCP_START) {
			f->hi = b[0];
			f->framing = TCP_LENGTH;
			return 0;
		}
		len = f->hi << 8 | b[0];
	}
	f->len = f->left = len;
	f->got = 0;
	/* shorter than a header: not DNS, skipped */
	f->framing = len >= DNS_HDR_LEN ? TCP_MESSAGE :
		     len		? TCP_SKIP :
					  TCP_START;
	if (len > DNS_MSG_MAX)
		gadget_counter_add(&gadget_counter_oversized, 1);
	return 0;
}

/*
 * The bytes of the current message in this segment: its first
 * DNS_MSG_MAX bytes straight from the packet when they are all here,
 * else gathered in its partial buffer; g->ready once they are whole.  A
 * global function: the verifier checks it once, not on each of the ways
 * through tcp_step() that lead to it.
 */
__noinline int tcp_gather(struct __sk_buff *skb, struct scratch *s,
			  struct tcp_flow *f, struct tcp_seg *g)
{
	__u32 room, want, n, got, keep;
	struct tcp_partial *p;

	if (!s || !f || !g)
		return 0;
	room = g->end - g->pos;
	want = f->len;
	n = f->left;
	got = f->got;

	if (want > DNS_MSG_MAX)
		want = DNS_MSG_MAX;
	if (n > room)
		n = room;
	if (!got && room >= want) {
		if (!bpf_skb_load_bytes(skb, g->pos, s->msg,
					MSG_IDX(want - 1) + 1)) {
			s->len = want;
			g->ready = true;
		}
		got = want;
	} else {
		/* got < want here, and n >= 1 */
		keep = want - got;
		if (keep > n)
			keep = n;
		p = tcp_partial(&g->key, !got);
		if (p && !bpf_skb_load_bytes(skb, g->pos, &p->buf[MSG_IDX(got)],
					     MSG_IDX(keep - 1) + 1)) {
			got += keep;
			if (got == want) {
				if (!tcp_partial_copy(s, p, want)) {
					s->len = want;
					g->ready = true;
				}
				p->claimed = 0; /* whole: the slot is free */
			}
		} else {
			g->skipped = true; /* taken by another flow */
			got = want; /* the rest is skipped */
		}
	}
	f->got = got;
	f->left -= n;
	g->pos += n;
	if (!f->left)
		f->framing = TCP_START;
	else if (got == want)
		f->framing = TCP_SKIP;
	return 0;
}

/*
 * One step through a segment: a length and what follows of its message,
 * or what is left of one; that message decoded once its first bytes are
 * whole.  Returns 1 to stop: at the end of the segment, or where no
 * message can be found.
 */
static long tcp_step(__u64 i, void *ctx)
{
	struct tcp_walk *t = ctx;
	struct tcp_flow *f = t->f;
	struct tcp_seg *g = t->g;
	__u32 n;

	if (g->pos >= g->end)
		return 1;
	if (f->framing == TCP_UNSYNCED) {
		if (!tcp_looks_like_start(t->skb, g->pos, g->end - g->pos))
			return 1;
		f->framing = TCP_START;
	}
	if (f->framing == TCP_START || f->framing == TCP_LENGTH) {
		if (tcp_length(t, f, g))
			return 1;
		if (g->pos >= g->end)
			return 1;
	}
	if (f->framing == TCP_MESSAGE) {
		tcp_gather(t->skb, t->s, f, g);
	} else if (f->framing == TCP_SKIP) {
		n = g->end - g->pos;
		if (n > f->left)
			n = f->left;
		f->left -= n;
		g->pos += n;
		if (!f->left)
			f->framing = TCP_START;
	}
	if (g->ready) {
		g->ready = false;
		/* the packet once, with its first message */
		dns_message(t->skb, t->l4, g->off, t->s, !g->sent);
		g->sent = true;
	}
	return 0;
}

/*
 * A TCP segment on a DNS port (with payload, or opening or closing a
 * connection): its flow followed, its messages decoded.
 */
static __always_inline int tcp_segment(struct __sk_buff *skb,
				       const struct l4_info *l4, int off,
				       struct scratch *s)
{
	__u32 seq = l4->seq, len = l4->dns_len;
	struct tcp_walk t;
	struct tcp_flow *f;
	struct tcp_seg *g;
	__s32 d;

	g = bpf_map_lookup_elem(&tcp_segs, &zero);
	if (!g)
		return 0;
	__builtin_memcpy(g->key.saddr, l4->src.addr_raw.v6, 16);
	__builtin_memcpy(g->key.daddr, l4->dst.addr_raw.v6, 16);
	g->key.netns = skb->cb[0];
	g->key.sport = l4->src.port;
	g->key.dport = l4->dst.port;
	g->key.outgoing = skb->pkt_type == OUTGOING;
	g->key.pad[0] = g->key.pad[1] = g->key.pad[2] = 0;
	if (l4->tcp_flags & TCP_RST) {
		bpf_map_delete_elem(&tcp_flows, &g->key);
		return 0;
	}
	if (l4->tcp_flags & TCP_SYN) {
		/* a new connection: messages start after the SYN's number */
		seq++;
		bpf_map_update_elem(&tcp_flows, &g->key, &tcp_flow_new,
				    BPF_ANY);
		f = bpf_map_lookup_elem(&tcp_flows, &g->key);
		if (!f)
			return 0;
		f->next = seq;
		f->framing = TCP_START;
	}
	f = bpf_map_lookup_elem(&tcp_flows, &g->key);
	if (!f) {
		if (!len)
			return 0;
		bpf_map_update_elem(&tcp_flows, &g->key, &tcp_flow_new,
				    BPF_ANY);
		f = bpf_map_lookup_elem(&tcp_flows, &g->key);
		if (!f)
			return 0;
		f->next = seq; /* TCP_UNSYNCED */
	}

	g->pos = l4->dns_off;
	g->end = g->pos + len;
	g->off = off;
	g->sent = g->ready = g->skipped = false;
	d = seq - f->next;
	if (d < 0) {
		/* bytes seen before: a retransmission, or late */
		g->skipped = len > 0;
		if ((__u32)-d >= len)
			goto out;
		g->pos += -d;
	} else if (d > 0) {
		/* bytes never seen: the framing is lost */
		g->skipped = true;
		f->framing = TCP_UNSYNCED;
	}
	f->next = seq + len;
	if (g->pos < g->end) {
		t.skb = skb;
		t.l4 = l4;
		t.s = s;
		t.f = f;
		t.g = g;
		bpf_loop(TCP_SEG_STEPS, tcp_step, &t, NOT_INLINED);
		if (g->pos < g->end) {
			g->skipped = true;
			f->framing = TCP_UNSYNCED;
		}
	}
out:
	if (g->skipped)
		gadget_counter_add(&gadget_counter_tcp_skipped, 1);
	if (l4->tcp_flags & TCP_FIN)
		bpf_map_delete_elem(&tcp_flows, &g->key);
	return 0;
}

#endif /* TRACE_DNS_TCPSTREAM_BPF_H */
