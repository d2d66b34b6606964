/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * trace_dns: DNS queries and responses (UDP and TCP, IPv4 and IPv6) in every
 * network namespace, decoded in the kernel, with the process on each end
 * and the latency of each answered query.
 *
 * A socket filter (attached by the runner to a packet socket in every
 * network namespace, netns inode in skb->cb[0]) sees every packet of every
 * interface in both directions.  For DNS ports it copies the message once
 * into a per-CPU scratch buffer and walks it with bpf_loop(), one name label
 * or one answer record per step, masking every index right before use, and
 * builds the event beside it; the used front of the event goes to the ring
 * buffer.
 *
 * Packets carry no process.  The process behind a local socket is kept in
 * `sockets`, keyed by {netns, protocol, local port} (a server bound to one
 * address of a DNS port in `addr_owners`, by that address too: servers
 * share port 53 on other addresses), and filled only for sockets that do
 * DNS, from hooks that run in the context of the task using that socket
 * when it starts to: an iterator over every open file
 * (sockets that existed before the runner), cgroup socket hooks on bind(2)
 * (servers started later), connect(2) (the owner waits on the socket, in
 * socket storage, until its first packet leaves: net_dev_queue) and
 * unconnected sends (the first query of a short-lived client, a server's
 * responses).  The filter looks up the local end of each packet: its
 * source when it leaves, its destination when it arrives.  No kprobes or
 * fentry, and nothing that runs on every softirq or send.
 *
 * A response is matched to its query in the same namespace by {client
 * address and port, protocol, DNS id, side}, giving the latency seen by
 * the client (query out, response in) or by the server (in, out).
 *
 * This file holds the event, the maps, the params and the filter itself;
 * its parts sit beside it: owners.bpf.h (process owners of DNS sockets),
 * wire.bpf.h (the message walkers), packet.bpf.h (headers below DNS),
 * inflight.bpf.h (queries in flight, unanswered ones, wake-ups),
 * tcpstream.bpf.h (DNS over TCP: messages across segments) and
 * loop.bpf.h (loops the verifier checks once: can_loop, OPAQUE).
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#include <gadget/buffer.h>
#include <gadget/common.h>
#include <gadget/counter.h>
#include <gadget/filter.h>
#include <gadget/macros.h>
#include <gadget/rest.h>
#include <gadget/types.h>

#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF

#define DNS_HDR_LEN 12
#define DNS_MSG_MAX 2048 /* bytes of a message that are decoded */
#define DNS_NAME_LEN 256 /* presentation form, NUL included */
#define DNS_NAME_STEPS 512 /* label bytes + length bytes + pointers */
#define DNS_MAX_HOPS 16 /* compression pointers followed per name */
/* record headers, questions' types and classes, owner-name labels:
 * enough for every record of the DNS_MSG_MAX bytes decoded, as each step
 * moves past 2 bytes or more (a label its length and a byte, a pointer
 * 2; the root label 1, but a record header of 10 or a type and class of
 * 4 follows it) */
#define DNS_RR_STEPS (DNS_MSG_MAX / 2 + 1)
#define MAX_ADDRESSES 8
#define MAX_CNAMES 4 /* CNAME records whose targets are decoded */
#define MAX_PORTS 16
#define IPV6_MAX_EXT_HDRS 8
#define L3_OFFSET_MAX 128 /* link-layer header bytes */
#define NS_PER_S (1000ULL * 1000 * 1000)
#define SWEEP_NS NS_PER_S /* how often queries in flight are checked */

/*
 * Clamp an index for the verifier right where it is used (see DESIGN.md);
 * the masks are DNS_MSG_MAX - 1 and DNS_NAME_LEN - 1.
 */
_Static_assert(DNS_MSG_MAX == 2048 && DNS_NAME_LEN == 256, "index masks");
#define MSG_IDX(i)                                      \
	({                                              \
		__u32 __i = (i);                        \
		asm volatile("%0 &= 2047" : "+r"(__i)); \
		__i;                                    \
	})
#define NAME_IDX(i)                                    \
	({                                             \
		__u32 __i = (i);                       \
		asm volatile("%0 &= 255" : "+r"(__i)); \
		__i;                                   \
	})

/* skb->pkt_type, as the kernel numbers it (PACKET_HOST ...). */
enum dns_pkt_type : __u8 {
	HOST = 0,
	BROADCAST = 1,
	MULTICAST = 2,
	OTHERHOST = 3,
	OUTGOING = 4,
	LOOPBACK = 5,
	USER = 6,
	KERNEL = 7,
};

enum dns_opcode : __u8 {
	Query = 0,
	IQuery = 1,
	Status = 2,
	Notify = 4,
	Update = 5,
	DSO = 6,
};

enum dns_rcode : __u8 {
	Success = 0,
	FormatError = 1,
	ServerFailure = 2,
	NameError = 3,
	NotImplemented = 4,
	Refused = 5,
	YXDomain = 6,
	YXRRSet = 7,
	NXRRSet = 8,
	NotAuth = 9,
	NotZone = 10,
};

/*
 * Question types by the names ig's trace_dns gives them (its
 * go/program.go: ALL for 255, which dig and tshark call ANY; WKS, MINFO),
 * so that its users' filters (-F qtype==ALL) and outputs hold here; and
 * more, which ig shows as numbers.
 */
enum dns_qtype : __u16 {
	A = 1,
	NS = 2,
	CNAME = 5,
	SOA = 6,
	WKS = 11,
	PTR = 12,
	HINFO = 13,
	MINFO = 14,
	MX = 15,
	TXT = 16,
	AAAA = 28,
	SRV = 33,
	NAPTR = 35,
	OPT = 41,
	DS = 43,
	RRSIG = 46,
	NSEC = 47,
	DNSKEY = 48,
	SVCB = 64,
	HTTPS = 65,
	AXFR = 252,
	ALL = 255,
	CAA = 257,
};

/*
 * One packet.  Members are laid out without holes but one (before name,
 * for name_copy()); their order is the default order of JSON keys and
 * columns.  The fields every record fills come first, the variable ones
 * last (name, addresses, cnames): a record is cut after the last byte it
 * uses, and the runner reads the missing tail as zeros, so a query's
 * record ends with its name (~4 cache lines of the ring instead of 16)
 * and a response's with its last address or CNAME target.
 */
struct event_t {
	gadget_timestamp timestamp_raw;
	gadget_netns_id netns_id;
	__u16 id;
	enum dns_pkt_type pkt_type_raw;
	enum dns_opcode opcode_raw;
	struct gadget_l4endpoint_t src;
	struct gadget_l4endpoint_t dst;
	struct gadget_process proc;
	struct gadget_l3endpoint_t nameserver;
	bool qr_raw;
	bool aa;
	enum dns_qtype qtype_raw;
	__u16 qclass;
	__u16 num_answers;
	enum dns_rcode rcode_raw;
	bool tc;
	bool rd;
	bool ra;
	__u32 ttl;
	gadget_duration latency_ns_raw;
	__u16 data_len; /* packet bytes after the struct (ebpf.rest.len) */
	bool unanswered;
	char name[DNS_NAME_LEN] __attribute__((aligned(8)));
	struct gadget_l3endpoint_t addresses[MAX_ADDRESSES];
	char cnames[DNS_NAME_LEN];
};

/*
 * Each record carries, after the whole event, the packet from its IP
 * header on, up to PACKET_MAX bytes (gadget.yaml: ebpf.rest.name and
 * ebpf.rest.len), for pcap-ng output; when no output writes them
 * (gadget_rest_wanted false, gadget/rest.h), records are the used front
 * of the event alone.
 */
#define PACKET_MAX 512

/* Ports whose UDP/TCP traffic is DNS; a 0 ends the list. */
const volatile __u16 ports[MAX_PORTS] = { 53, 5353 };
GADGET_PARAM(ports);

/* Seconds after which a query without response is reported; 0: never. */
const volatile __u32 unanswered_timeout = 5;
GADGET_PARAM(unanswered_timeout);

/*
 * 4 MiB: about 11k records of slack (a query's ~240 bytes, a response's
 * ~500), ~25 ms at full load on a 2-core machine.  The runner reads it at
 * nice -10 (--nice) and maps it once; every page of the ring is resident
 * memory of the runner.  A stall of the reader longer than ~12 ms happens
 * here now and then: with 976-byte records (8.5k in 8 MiB) 4 MiB lost
 * events at the max rate in 2 of 15 runs, 8 MiB never (bench/RESULTS.md,
 * the reader's section); with these, 8, 4 and 2 MiB lost none in 6 runs
 * each, and 4 MiB costs the filter what 8 did (bpf13).
 */
#define EVENTS_SIZE (1 << 22)
GADGET_TRACER_MAP(events, EVENTS_SIZE);
GADGET_TRACER(dns, events, event_t);

/* The socket a process sends or receives DNS on. */
struct sock_key {
	gadget_netns_id netns;
	__u16 port; /* local, host order */
	__u8 proto;
	__u8 pad;
};

struct sock_owner {
	struct gadget_process proc;
	__u64 updated; /* boot ns */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sock_key);
	__type(value, struct sock_owner);
} sockets SEC(".maps");

/* A query in flight, seen from one side (client or server). */
struct query_key {
	__u8 client_addr[16];
	gadget_netns_id netns;
	__u16 client_port;
	__u16 id;
	__u8 proto;
	__u8 from_client; /* the query was sent from this namespace */
	__u8 pad[2];
};

/* A query's key, and the time in its slot when found (query_find()). */
struct query_find {
	struct query_key key;
	__u32 i; /* query_find()'s map key: its frame has no room */
	__u8 qr; /* a response */
	__u8 overflowed; /* its bucket */
	__u64 then;
};

/*
 * Queries in flight, in an array (a slot costs no lock and no allocation,
 * where a hash map update costs both on every query): a query takes a
 * free slot of its bucket (4 slots side by side, inflight.bpf.h), or when
 * the bucket is full the slot its whole key hashes to, whatever was
 * there.  A query that loses its slot before its response comes, to one
 * that hashes alike, loses its latency; it is counted in
 * gadget_counter_untracked.  A retransmission (same key) keeps the slot
 * and the time of the first one.  Queries that get no response within
 * unanswered_timeout are reported by the sweep (once a second, by a
 * bpf_timer) as unanswered, from the copy of their fields and short
 * names in the slot (long names in query_names).
 *
 * `sent` guards the slot and its info like a sequence lock: a writer
 * clears it, writes, and sets it; a reader (response or sweep) reads it,
 * reads the slot, and frees the slot only by a compare-and-swap from the
 * value it read, so one of them, never both, takes the query.
 */
#define QUERY_SLOTS 65536
#define SHORT_NAME 64

/* A query in flight: its key, and what its unanswered event needs but
 * its process; its name when short.  Two cache lines on a 128-byte
 * boundary: the line a response reads, and beside it the name (fetched
 * with it; a name in a separate table was one more cache miss per query
 * packet). */
struct query_slot {
	struct query_key key; /* the client's address, port, protocol, id */
	__u16 server_port;
	__u16 qtype;
	__u64 sent; /* boot ns of the query; 0: free */
	__u8 server_addr[16];
	__u16 qclass;
	__u8 pkt_type;
	__u8 flags; /* QUERY_* */
	__u8 overflowed; /* first slot of a bucket: inflight.bpf.h */
	__u8 pad[3];
	char name[SHORT_NAME]; /* a short name (QUERY_LONG clear) */
};
_Static_assert(sizeof(struct query_slot) == 128, "two cache lines");

#define QUERY_RD 0x01 /* recursion desired */
#define QUERY_V6 0x02 /* IPv6 addresses */
#define QUERY_INFO 0x04 /* the fields above are the query's */
#define QUERY_LONG 0x08 /* its name is in query_names */
#define QUERY_OPCODE_SHIFT 4

/*
 * The long names (SHORT_NAME bytes or more) of the queries in flight, at
 * their slots' index.  The process of an unanswered query is its
 * socket's owner when the sweep finds it.
 */

struct query_name {
	char name[DNS_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, QUERY_SLOTS);
	__type(key, __u32);
	__type(value, struct query_name);
} query_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, QUERY_SLOTS);
	__type(key, __u32);
	__uint(map_flags, BPF_F_MMAPABLE); /* slots on 128-byte boundaries */
	__type(value, struct query_slot);
} queries SEC(".maps");

/*
 * Per-CPU decoding state: the message, the walkers' cursor and the event
 * being built (the walkers reach it through a struct walk on the filter's
 * stack).  The event is built here, in lines this CPU reuses for every
 * packet, and bpf_ringbuf_output() copies the front it uses to the ring:
 * reserved in place, a 976-byte record touched ~11 cold lines of the ring
 * per packet, most of them for zeros (bench/RESULTS.md, bpf13).
 */
struct scratch {
	__u32 len; /* bytes of the message in msg */
	__u32 pos; /* walker cursor into msg */
	__u32 out; /* name walker: bytes written to ev.name */
	__u32 end; /* name walker: offset just past the name, 0 = not yet */
	__u32 hops; /* name walker: compression pointers followed */
	__u16 records; /* record walker: answers left */
	__u16 questions; /* record walker: questions to skip before them */
	__u8 in_owner; /* record walker: skipping an owner name */
	__u8 name_ok; /* name walker: reached the root label */
	__u8 truncated; /* name walker: no room left in ev.name */
	__u8 naddr; /* record walker: addresses stored */
	__u16 kept; /* name walker: bytes of ev.name up to the last dot
		     * that leaves room for "..." */
	__u16 steps; /* name walker: steps taken, one per byte or pointer */
	__u8 ncnames; /* record walker: CNAME targets found */
	__u8 cname; /* CNAME walker: the target being written */
	__u16 cname_start; /* CNAME walker: its first byte in ev.cnames */
	__u16 cnames_kept; /* CNAME walker: bytes of the whole targets */
	__u32 ttl; /* record walker: smallest TTL so far */
	__u16 cname_at[MAX_CNAMES]; /* record walker: targets' offsets */
	__u8 cname_next; /* CNAME walker: start the next target */
	__u8 has_ttl; /* record walker: ttl is set */
	__u16 cnames_fit; /* CNAME walker: of those, the ones that leave
			   * room for ",..." */
	struct query_find find; /* query_latency()'s */
	__u8 msg[DNS_MSG_MAX + 32]; /* slack for masked multi-byte reads */
	struct event_t ev;
	__u8 packet[PACKET_MAX]; /* right after ev: one record with it */
};
_Static_assert(__builtin_offsetof(struct scratch, packet) ==
		       __builtin_offsetof(struct scratch, ev) +
			       sizeof(struct event_t),
	       "the packet follows the event");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratches SEC(".maps");

static __always_inline bool is_dns_port(__u16 port)
{
	if (!port)
		return false;
	for (int i = 0; i < MAX_PORTS; i++) {
		__u16 p = ports[i]; /* one load: ports is volatile */

		if (!p)
			return false;
		if (p == port)
			return true;
	}
	return false;
}

/*
 * is_dns_port(a) || is_dns_port(b), in one pass over the ports: the loop
 * is unrolled at each use, and the verifier removes, one range at a time,
 * the steps after the list's end (ports is known to it): one loop instead
 * of two is half the code every packet runs and the kernel removes.
 */
static __always_inline bool is_dns_port_pair(__u16 a, __u16 b)
{
	for (int i = 0; i < MAX_PORTS; i++) {
		__u16 p = ports[i];

		if (!p)
			return false;
		if (p == a || p == b)
			return true;
	}
	return false;
}

static const __u32 zero;

#define CLOCK_BOOTTIME 7
#define barrier() asm volatile("" ::: "memory")

extern void *bpf_cast_to_kern_ctx(void *) __ksym;

/* The parts, in this order: each uses what is defined above it. */
#include "loop.bpf.h"
#include "owners.bpf.h"
#include "wire.bpf.h"
#include "packet.bpf.h"
#include "inflight.bpf.h"

/* The event of one message (below the filter); TCP finds messages first. */
__noinline int dns_message(struct __sk_buff *skb, const struct l4_info *l4,
			   int off, struct scratch *s, bool packet);
#include "tcpstream.bpf.h"

/*
 * The filter: one pass over a packet, from its headers to its message
 * (UDP) or its messages (a TCP segment: tcp_segment()), each decoded by
 * dns_message() below.
 */
SEC("socket")
int trace_dns(struct __sk_buff *skb)
{
	struct l4_info l4 = {};
	struct scratch *s;
	__u32 len;
	int off, err = -1;

	off = l3_offset(skb);
	if (off < 0 || surely_not_dns(skb, off))
		return 0;
	if (skb->protocol == bpf_htons(ETH_P_IP))
		err = parse_ipv4(skb, off, &l4);
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		err = parse_ipv6(skb, off, &l4);
	if (err == UNDECODED)
		gadget_counter_add(&gadget_counter_undecoded, 1);
	if (err)
		return 0;

	s = bpf_map_lookup_elem(&scratches, &zero);
	if (!s)
		return 0;
	if (l4.src.proto_raw == IPPROTO_TCP)
		return tcp_segment(skb, &l4, off, s);
	len = l4.dns_len; /* >= DNS_HDR_LEN */
	if (len > DNS_MSG_MAX)
		len = DNS_MSG_MAX;
	len = MSG_IDX(len - 1) + 1; /* 1..DNS_MSG_MAX, for the verifier */
	if (bpf_skb_load_bytes(skb, l4.dns_off, s->msg, len))
		return 0;
	s->len = len;
	return dns_message(skb, &l4, off, s, true);
}

/*
 * One message, in s->msg (s->len bytes), of the packet skb whose network
 * header is at off: its event, built in s->ev, with the packet's bytes
 * when packet is true.  For UDP the packet's only message; for TCP each
 * one tcpstream.bpf.h finds.  The longest function here: its steps share
 * the event, and the walkers it calls are in the parts above; what is
 * left is their order.  A global function: the verifier checks it once,
 * by itself, and its stack is not the filter's (TCP calls it from a
 * bpf_loop() step, and it runs bpf_loop() walkers: all four frames share
 * 512 bytes).
 */
__noinline int dns_message(struct __sk_buff *skb, const struct l4_info *l4,
			   int off, struct scratch *s, bool packet)
{
	struct event_t *ev;
	struct walk w;
	struct sock_key key;
	struct sock_owner *owner;
	gadget_netns_id netns;
	__u16 id, flags, qdcount, ancount;
	__u32 name_len = 0, used;
	__u64 now, latency;
	bool outgoing, qr;
	__u32 len;

	if (!l4 || !s)
		return 0;
	ev = &s->ev;
	now = bpf_ktime_get_boot_ns();
	netns = skb->cb[0];
	outgoing = skb->pkt_type == OUTGOING;
	id = msg_u16(s, 0);
	flags = msg_u16(s, 2);
	qr = flags >> 15;
	qdcount = msg_u16(s, 4);
	ancount = msg_u16(s, 6);

	/* the local end of the packet: its source when it leaves */
	key.netns = netns;
	key.proto = l4->src.proto_raw;
	key.port = outgoing ? l4->src.port : l4->dst.port;
	key.pad = 0;
	owner = owner_of(&key,
			 outgoing ? l4->src.addr_raw.v6 : l4->dst.addr_raw.v6);
	if (gadget_should_discard_process(owner ? &owner->proc : NULL))
		return 0;

	/* s->ev holds the last packet's event: the owner first (one
	 * if/else: one verifier state after it), then the fixed fields
	 * the header, src and dst below do not write, and the name
	 * whole (an answer's record carries it whole, and the query's
	 * slot copies its front: no bytes of an older name after it);
	 * addresses are cleared as they are written (record_step()), and
	 * all that follows the name when the record is the whole event
	 * (only for pcap-ng: gadget_rest_wanted is set before load) */
	if (owner)
		ev->proc = owner->proc;
	else
		__builtin_memset(&ev->proc, 0, sizeof(ev->proc));
	if (gadget_rest_wanted)
		__builtin_memset(&ev->nameserver, 0,
				 sizeof(*ev) -
					 offsetof(struct event_t, nameserver));
	else
		__builtin_memset(&ev->nameserver, 0,
				 offsetof(struct event_t, addresses) -
					 offsetof(struct event_t, nameserver));
	/* the packet from its IP header: what pcap-ng calls LINKTYPE_RAW;
	 * only when some output writes it (gadget/rest.h) */
	_Static_assert(PACKET_MAX == 512, "mask below");
	len = skb->len > (__u32)off && gadget_rest_wanted ? skb->len - off : 0;
	if (len > PACKET_MAX)
		len = PACKET_MAX;
	if (len && packet) {
		len -= 1;
		asm volatile("%0 &= 511" : "+r"(len));
		len += 1; /* 1..PACKET_MAX, for the verifier */
		if (!bpf_skb_load_bytes(skb, off, s->packet, len))
			ev->data_len = len;
	}

	ev->timestamp_raw = now;
	ev->netns_id = netns;
	ev->pkt_type_raw = skb->pkt_type;
	ev->src = l4->src;
	ev->dst = l4->dst;
	ev->id = id;
	ev->qr_raw = qr;
	ev->opcode_raw = flags >> 11 & 0xF;
	ev->aa = flags >> 10 & 1;
	ev->tc = flags >> 9 & 1;
	ev->rd = flags >> 8 & 1;
	ev->ra = flags >> 7 & 1;
	ev->rcode_raw = flags & 0xF;
	ev->num_answers = ancount;
	__builtin_memcpy(&ev->nameserver.addr_raw,
			 qr ? &l4->src.addr_raw : &l4->dst.addr_raw,
			 sizeof(ev->nameserver.addr_raw));
	ev->nameserver.version = l4->src.version;

	w.s = s;
	w.ev = ev;
	s->end = DNS_HDR_LEN;
	if (qdcount)
		name_len = name_fast(s, ev);
	if (name_len) {
		s->name_ok = 1;
	} else if (qdcount) {
		s->pos = DNS_HDR_LEN;
		s->out = s->end = s->hops = s->kept = s->steps = 0;
		s->name_ok = s->truncated = 0;
		bpf_loop(DNS_NAME_STEPS, name_step, &w, 0);
		/* a name too long to show, cut short or looping ends in
		 * "..." after its last whole label (no real name does) */
		name_len = s->out;
		if (!s->name_ok || s->truncated) {
			name_len = s->kept ? s->kept - 1 : 0;
			if (name_len > DNS_NAME_LEN - 4) /* never */
				name_len = DNS_NAME_LEN - 4;
			ev->name[NAME_IDX(name_len)] = '.';
			ev->name[NAME_IDX(name_len + 1)] = '.';
			ev->name[NAME_IDX(name_len + 2)] = '.';
			name_len += 3;
		}
	}
	/* one state for the verifier from here on, whichever way the
	 * name was read (loop.bpf.h) */
	name_len = OPAQUE(name_len);
	if (qdcount) {
		ev->name[NAME_IDX(name_len)] = '\0';
		if (s->name_ok && s->end + 4 <= s->len) {
			ev->qtype_raw = msg_u16(s, s->end);
			ev->qclass = msg_u16(s, s->end + 2);
			s->end += 4;
		} else {
			ancount = 0; /* where would answers start? */
		}
	}
	/* the record ends after its last byte in use: the name's NUL
	 * and what follows it are the zeros the runner reads in place of
	 * a missing tail */
	used = offsetof(struct event_t, name) + NAME_IDX(name_len);
	/* answers follow the questions (none in mDNS announcements): the
	 * first one read above, the others skipped by the walker */
	if (qr && ancount) {
		s->pos = s->end;
		s->records = ancount;
		s->questions = qdcount ? qdcount - 1 : 0;
		s->in_owner = 1;
		s->naddr = s->ncnames = s->has_ttl = 0;
		bpf_loop(DNS_RR_STEPS, record_step, &w, 0);
		if (s->has_ttl)
			ev->ttl = s->ttl;
		if (s->naddr)
			used = offsetof(struct event_t, addresses) +
			       (s->naddr & (MAX_ADDRESSES * 2 - 1)) *
				       sizeof(ev->addresses[0]);
		if (s->ncnames) {
			/* the addresses after the last one written are
			 * an older event's: cleared, the record goes on */
#pragma unroll
			for (int i = 0; i < MAX_ADDRESSES; i++)
				if (i >= s->naddr)
					__builtin_memset(
						&ev->addresses[i], 0,
						sizeof(ev->addresses[i]));
			s->out = s->cname = s->cnames_kept = 0;
			s->cnames_fit = 0;
			s->truncated = 0;
			s->cname_next = 1;
			bpf_loop(DNS_NAME_STEPS, cname_step, &w, 0);
			/* a target cut or unreadable: ",..." after the
			 * whole ones ("..." alone when none) */
			len = s->cnames_kept;
			if (s->cname < s->ncnames) {
				len = s->cnames_fit;
				if (len > DNS_NAME_LEN - 5) /* never */
					len = DNS_NAME_LEN - 5;
				if (len)
					ev->cnames[NAME_IDX(len++)] = ',';
				ev->cnames[NAME_IDX(len)] = '.';
				ev->cnames[NAME_IDX(len + 1)] = '.';
				ev->cnames[NAME_IDX(len + 2)] = '.';
				len += 3;
			}
			ev->cnames[NAME_IDX(len)] = '\0';
			used = offsetof(struct event_t, cnames) + NAME_IDX(len);
		}
	}

	latency = query_latency(l4, netns, id, now, qr, outgoing, ev, name_len,
				s);
	ev->latency_ns_raw = latency;
	/* the whole event before the packet; the used front alone */
	if (ev->data_len)
		used = sizeof(*ev) + (ev->data_len & (PACKET_MAX * 2 - 1));
	if (used > sizeof(*ev) + PACKET_MAX)
		return 0; /* never: for the verifier */
	if (bpf_ringbuf_output(&events, ev, used, wakeup_flags(now)))
		gadget_count_lost(); /* the query is remembered all the same */
	if (!qr)
		sweep_arm();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
