/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * trace_dns, queries in flight: latency, unanswered queries, wake-ups.
 * A part of program.bpf.c, included once at its place there: it
 * uses the types, maps and params defined before it (one eBPF
 * object is one compilation unit).
 */
#ifndef TRACE_DNS_INFLIGHT_BPF_H
#define TRACE_DNS_INFLIGHT_BPF_H

/* One 32-bit word mixed into h (multiply, xor-shift). */
static __always_inline __u32 word_mix(__u32 h, __u32 w)
{
	h = (h ^ w) * 0x9E3779B1u;
	return h ^ h >> 15;
}

/* n 32-bit words mixed: the slot of a key in a direct-mapped table.  n
 * is a constant: the loop unrolls. */
static __always_inline __u32 words_hash(const __u32 *w, int n)
{
	__u32 h = 0;

	for (int i = 0; i < n; i++)
		h = word_mix(h, w[i]);
	return h;
}

/* The slot of a query in a direct-mapped table: its bucket's fallback. */
static __always_inline __u32 query_slot_of(const struct query_key *key)
{
	_Static_assert(sizeof(*key) == 7 * 4, "query_key is 7 words");
	return words_hash((const __u32 *)key, 7) & (QUERY_SLOTS - 1);
}

/*
 * The bucket of a query: QUERY_WAYS slots side by side (512 bytes, in one
 * page), chosen by its key without the namespace and the side, so the
 * observations of one query (the client's send and the server's receive,
 * then the response both ways) use the same bucket, and the second of
 * each pair, on the same CPU a few microseconds later, finds its lines
 * and their page in this CPU's caches.  A query takes a free way; when
 * every way is taken (five or more observers of one query, or buckets
 * shared under load) it takes its direct-mapped slot, as every query did
 * before buckets, and marks the bucket: while the mark holds, a query or
 * response not found in that bucket is looked for there too.
 *
 * A mark is a sweep generation (1-255, then 1 again), not a flag, so that
 * it ends: each sweep pass renews the mark of the bucket of every query
 * it finds in flight outside its bucket, and clears, at each bucket's
 * first slot, a mark older than the previous pass.  A query that takes a
 * direct-mapped slot marks its bucket with the next generation, so that
 * the pass under way, which may already be past its slot, keeps the mark
 * for the next pass to renew.  Without a sweep (unanswered_timeout 0) a
 * mark is never cleared: its queries never leave.
 */
#define QUERY_WAYS 4
_Static_assert(QUERY_SLOTS % QUERY_WAYS == 0, "whole buckets");

static __always_inline __u32 query_bucket_of(const struct query_key *key)
{
	const __u32 *w = (const __u32 *)key;
	__u32 h = words_hash(w, 4); /* the client's address */

	_Static_assert(
		__builtin_offsetof(struct query_key, client_port) == 5 * 4 &&
			__builtin_offsetof(struct query_key, id) == 5 * 4 + 2,
		"port and id are word 5");
	h = word_mix(word_mix(h, w[5]), key->proto);
	return (h & (QUERY_SLOTS / QUERY_WAYS - 1)) * QUERY_WAYS;
}

static __always_inline bool query_key_eq(const struct query_key *a,
					 const struct query_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] &&
	       ((const __u32 *)a)[6] == ((const __u32 *)b)[6];
}

/* Queries that could not be followed: their slot was taken. */
GADGET_COUNTER(untracked);

/* The sweep's timer, armed by the first query after an idle time. */
struct sweeper {
	struct bpf_timer timer;
	__u64 armed;
	__u64 now; /* the sweep's time */
	__u64 live; /* the sweep's count of queries still in flight */
	__u64 marks; /* the sweep's count of bucket marks kept */
	__u8 gen; /* the pass's generation: 0 before the first */
	__u8 pad[7];
};

/* Sweep generations: 1 to 255, then 1 again (0: no mark). */
static __always_inline __u8 gen_next(__u8 g)
{
	return g == 255 ? 1 : g + 1;
}

/* Does a bucket mark of generation m hold in pass g? */
static __always_inline bool mark_holds(__u8 m, __u8 g)
{
	return m && (m == g || m == gen_next(g) || gen_next(m) == g);
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sweeper);
} sweepers SEC(".maps");

static int sweep(void *map, __u32 *key, struct sweeper *sw);

static __always_inline void sweep_arm(void)
{
	struct sweeper *sw;

	if (!unanswered_timeout)
		return;
	sw = bpf_map_lookup_elem(&sweepers, &zero);
	if (!sw || sw->armed || __sync_val_compare_and_swap(&sw->armed, 0, 1))
		return;
	bpf_timer_init(&sw->timer, &sweepers, CLOCK_BOOTTIME); /* or EBUSY */
	bpf_timer_set_callback(&sw->timer, sweep);
	bpf_timer_start(&sw->timer, SWEEP_NS, 0);
}

/*
 * Copy a name of n bytes (a multiple of 8) between ev->name, slot->name
 * and query_name, all 8-byte aligned: 8 bytes per load and store, where
 * a copy of char arrays is a load and a store per byte (and as many
 * instructions for the verifier to check).
 */
_Static_assert(__builtin_offsetof(struct event_t, name) % 8 == 0 &&
		       __builtin_offsetof(struct query_slot, name) % 8 == 0,
	       "names 8-byte aligned");

static __always_inline void name_copy(char *dst, const char *src, int n)
{
	__u64 *d = (__u64 *)dst;
	const __u64 *s = (const __u64 *)src;

#pragma unroll
	for (int i = 0; i < n / 8; i++)
		d[i] = s[i];
}

/* Keep in slot i the fields of the query of ev that its unanswered
 * event needs (name_len: the length of ev->name). */
static __always_inline void query_info_set(struct query_slot *slot, __u32 i,
					   const struct event_t *ev,
					   __u32 name_len)
{
	struct query_name *n;

	slot->flags = 0;
	if (!ev || !unanswered_timeout)
		return;
	if (name_len < SHORT_NAME) {
		name_copy(slot->name, ev->name, SHORT_NAME);
	} else {
		n = bpf_map_lookup_elem(&query_names, &i);
		if (!n)
			return;
		name_copy(n->name, ev->name, sizeof(n->name));
	}
	__builtin_memcpy(slot->server_addr, ev->dst.addr_raw.v6, 16);
	slot->server_port = ev->dst.port;
	slot->qtype = ev->qtype_raw;
	slot->qclass = ev->qclass;
	slot->pkt_type = ev->pkt_type_raw;
	slot->flags = QUERY_INFO | (ev->rd ? QUERY_RD : 0) |
		      (ev->dst.version == 6 ? QUERY_V6 : 0) |
		      (name_len < SHORT_NAME ? 0 : QUERY_LONG) |
		      ev->opcode_raw << QUERY_OPCODE_SHIFT;
}

/*
 * Most packets are IPv4 or IPv6 with UDP or TCP right after an IP header
 * without options or extension headers: one load, from the network
 * header at off, shows they are not DNS (or not UDP/TCP at all).
 * Anything else takes the full parse, which decides the same for these.
 */
static __always_inline bool surely_not_dns(struct __sk_buff *skb, int off)
{
	__u8 h[40 + 4];
	__u16 sport, dport;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, off, h, 20 + 4))
			return false;
		if (h[0] != 0x45)
			return false;
		if (h[9] != IPPROTO_UDP && h[9] != IPPROTO_TCP)
			return true;
		sport = h[20] << 8 | h[21];
		dport = h[22] << 8 | h[23];
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, off, h, sizeof(h)))
			return false;
		if (h[0] >> 4 != 6)
			return false;
		if (h[6] != IPPROTO_UDP && h[6] != IPPROTO_TCP)
			return false;
		sport = h[40] << 8 | h[41];
		dport = h[42] << 8 | h[43];
	} else {
		return false;
	}
	return !is_dns_port_pair(sport, dport);
}

#define QUERY_FOUND 0x80000000u

/*
 * The slot of the query f->key: QUERY_FOUND | its index, f->then its
 * time, when it is in flight; else, for a query (f->qr false), the slot to
 * write it in (a free way, or its direct-mapped slot), QUERY_SLOTS for a
 * response.  A global function: the verifier checks it once, not on each
 * way dns_message() reaches it.
 */
__noinline int query_find(struct query_find *f)
{
	struct sweeper *sw;
	struct query_slot *slot;
	__u32 base, free = QUERY_SLOTS;
	__u64 then;

	if (!f)
		return QUERY_SLOTS;
	base = query_bucket_of(&f->key);
	/* its way in the bucket, if it has one (a response, a
	 * retransmission), and the first free way */
#pragma unroll
	for (int w = 0; w < QUERY_WAYS; w++) {
		f->i = base + w;
		slot = bpf_map_lookup_elem(&queries, &f->i);
		if (!slot)
			return QUERY_SLOTS;
		if (w == 0)
			f->overflowed = slot->overflowed;
		then = slot->sent;
		if (then && query_key_eq(&slot->key, &f->key)) {
			f->then = then;
			return QUERY_FOUND | f->i;
		}
		if (!then && free == QUERY_SLOTS)
			free = f->i;
	}
	/* else its direct-mapped slot, if the bucket has overflowed there,
	 * or if a query finds the bucket full */
	if (!f->overflowed && (f->qr || free != QUERY_SLOTS))
		return f->qr ? QUERY_SLOTS : free;
	f->i = query_slot_of(&f->key);
	slot = bpf_map_lookup_elem(&queries, &f->i);
	if (!slot)
		return QUERY_SLOTS;
	then = slot->sent;
	if (then && query_key_eq(&slot->key, &f->key)) {
		f->then = then;
		return QUERY_FOUND | f->i;
	}
	if (f->qr)
		return QUERY_SLOTS;
	if (free != QUERY_SLOTS)
		return free;
	if (then) /* its query loses its slot */
		gadget_counter_add(&gadget_counter_untracked, 1);
	free = f->i;
	f->i = 0;
	sw = bpf_map_lookup_elem(&sweepers, &f->i);
	f->i = base;
	slot = bpf_map_lookup_elem(&queries, &f->i);
	if (slot && sw)
		slot->overflowed = gen_next(sw->gen);
	return free;
}

/*
 * Match a response with its query, both seen in this namespace; remember
 * a query (ev: its event, sent to the ring or lost).
 */
static __always_inline __u64 query_latency(const struct l4_info *l4,
					   gadget_netns_id netns, __u16 id,
					   __u64 now, bool qr, bool outgoing,
					   const struct event_t *ev,
					   __u32 name_len, struct scratch *s)
{
	const struct gadget_l4endpoint_t *client = qr ? &l4->dst : &l4->src;
	struct query_find *f = &s->find;
	struct query_slot *slot;
	__u32 i;

	__builtin_memcpy(f->key.client_addr, client->addr_raw.v6, 16);
	f->key.netns = netns;
	f->key.client_port = client->port;
	f->key.id = id;
	f->key.proto = client->proto_raw;
	f->key.from_client = qr ? !outgoing : outgoing;
	f->qr = qr;
	i = query_find(f);
	if (i == QUERY_SLOTS || (!qr && (i & QUERY_FOUND)))
		return 0; /* a response not followed, or a retransmission */
	if (!qr) {
		slot = bpf_map_lookup_elem(&queries, &i);
		if (!slot)
			return 0;
		slot->sent = 0; /* while the slot is half written */
		barrier();
		slot->key = f->key;
		query_info_set(slot, i, ev, name_len);
		barrier();
		slot->sent = now;
		return 0;
	}
	i &= ~QUERY_FOUND;
	slot = bpf_map_lookup_elem(&queries, &i);
	if (!slot ||
	    __sync_val_compare_and_swap(&slot->sent, f->then, 0) != f->then)
		return 0; /* taken by the sweep or a new query */
	return now > f->then ? now - f->then : 0;
}

/*
 * The sweep: once a second while queries are in flight, every slot whose
 * query has waited unanswered_timeout becomes an event.
 */
struct sweep_ctx {
	struct sweeper *sw; /* the state, in a map: not tracked precisely */
};

/* A query in flight in slot k outside its bucket keeps its bucket's
 * mark. */
static __always_inline void sweep_renew(const struct query_slot *slot, __u32 k,
					__u8 gen)
{
	__u32 b = query_bucket_of(&slot->key);
	struct query_slot *first;

	if (b == (k & ~(__u32)(QUERY_WAYS - 1)))
		return;
	first = bpf_map_lookup_elem(&queries, &b);
	if (first)
		first->overflowed = gen;
}

static long sweep_slot(__u64 i, void *ctx)
{
	struct sweeper *c = ((struct sweep_ctx *)ctx)->sw;
	__u32 k = i;
	struct query_slot *slot = bpf_map_lookup_elem(&queries, &k);
	struct sock_owner *owner;
	struct query_name *n;
	struct sock_key sk;
	struct event_t *ev;
	__u64 then;

	if (!slot)
		return 1;
	if (!(k % QUERY_WAYS) && slot->overflowed) {
		if (mark_holds(slot->overflowed, c->gen))
			c->marks++;
		else
			slot->overflowed = 0;
	}
	then = slot->sent;
	if (!then)
		return 0;
	if (c->now < then + unanswered_timeout * NS_PER_S) {
		c->live++;
		sweep_renew(slot, k, c->gen);
		return 0;
	}
	n = bpf_map_lookup_elem(&query_names, &k);
	if (!n || !(slot->flags & QUERY_INFO)) {
		__sync_val_compare_and_swap(&slot->sent, then, 0);
		return 0;
	}
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		if (__sync_val_compare_and_swap(&slot->sent, then, 0) == then)
			gadget_count_lost();
		return 0;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	barrier();
	ev->netns_id = slot->key.netns;
	ev->id = slot->key.id;
	__builtin_memcpy(ev->src.addr_raw.v6, slot->key.client_addr, 16);
	ev->src.port = slot->key.client_port;
	__builtin_memcpy(ev->dst.addr_raw.v6, slot->server_addr, 16);
	ev->dst.port = slot->server_port;
	ev->src.proto_raw = ev->dst.proto_raw = slot->key.proto;
	ev->src.version = ev->dst.version = slot->flags & QUERY_V6 ? 6 : 4;
	if (slot->flags & QUERY_LONG)
		name_copy(ev->name, n->name, sizeof(ev->name));
	else
		name_copy(ev->name, slot->name, SHORT_NAME);
	ev->qtype_raw = slot->qtype;
	ev->qclass = slot->qclass;
	ev->pkt_type_raw = slot->pkt_type;
	ev->opcode_raw = slot->flags >> QUERY_OPCODE_SHIFT;
	ev->rd = slot->flags & QUERY_RD;
	barrier();
	if (__sync_val_compare_and_swap(&slot->sent, then, 0) != then) {
		bpf_ringbuf_discard(ev, 0); /* answered, or taken meanwhile */
		return 0;
	}
	/* the owner of the local socket: the client's, or the server's */
	sk.netns = ev->netns_id;
	sk.proto = ev->src.proto_raw;
	sk.port = slot->key.from_client ? ev->src.port : ev->dst.port;
	sk.pad = 0;
	owner = owner_of(&sk, slot->key.from_client ? slot->key.client_addr :
						      slot->server_addr);
	if (owner)
		ev->proc = owner->proc;
	ev->timestamp_raw = c->now;
	ev->name[DNS_NAME_LEN - 1] = '\0';
	__builtin_memcpy(&ev->nameserver.addr_raw, &ev->dst.addr_raw,
			 sizeof(ev->nameserver.addr_raw));
	ev->nameserver.version = ev->dst.version;
	ev->latency_ns_raw = c->now - then;
	ev->unanswered = true;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

static int sweep(void *map, __u32 *key, struct sweeper *sw)
{
	struct sweep_ctx c = { .sw = sw };

	/* a query recorded from now on arms the timer again by itself */
	sw->armed = 0;
	sw->now = bpf_ktime_get_boot_ns();
	sw->live = 0;
	sw->marks = 0;
	sw->gen = gen_next(sw->gen);
	bpf_loop(QUERY_SLOTS, sweep_slot, &c, NOT_INLINED);
	/* on while queries are in flight, or marks are left to clear */
	if ((sw->live || sw->marks) &&
	    !__sync_val_compare_and_swap(&sw->armed, 0, 1))
		bpf_timer_start(&sw->timer, SWEEP_NS, 0);
	return 0;
}

/*
 * The reader is woken when the ring holds more than 1/8 of its size, at
 * most once per WAKEUP_GAP_NS per CPU; it reads the ring every few
 * milliseconds anyway.  Waking it on every record while it lags, as
 * gadget_wakeup_flags() does, costs an inter-processor interrupt per
 * record (on a virtual machine a VM exit, ~2.5 us, measured here), which
 * is kept for when the ring is more than half full: it slows the senders
 * down before records are lost.  Otherwise no flag: the kernel wakes the
 * reader for the first record after the ring was read to its end, which
 * the runner allows only once it has been quiet (gadget/buffer.h).
 */
#define WAKEUP_GAP_NS (1000 * 1000)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64); /* boot ns of the last forced wake-up */
} woken SEC(".maps");

static __always_inline __u64 wakeup_flags(__u64 now)
{
	/* the size the runner gave the ring (--ring-size), not EVENTS_SIZE */
	__u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA), *last;

	if (avail <= size / 8)
		return 0;
	if (avail > size / 2)
		return BPF_RB_FORCE_WAKEUP;
	last = bpf_map_lookup_elem(&woken, &zero);
	if (!last || now - *last < WAKEUP_GAP_NS)
		return 0;
	*last = now;
	return BPF_RB_FORCE_WAKEUP;
}

#endif /* TRACE_DNS_INFLIGHT_BPF_H */
