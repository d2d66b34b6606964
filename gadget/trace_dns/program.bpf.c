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
 * builds the event in place in the ring buffer.
 *
 * Packets carry no process.  The process behind a local socket is kept in
 * `sockets`, keyed by {netns, protocol, local port}, and filled only for
 * sockets that do DNS, from hooks that run in the context of the task
 * using that socket when it starts to: an iterator over every open file
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
#include <gadget/types.h>

#define AF_INET 2
#define AF_INET6 10
#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IP_OFFSET 0x1FFF

#define DNS_HDR_LEN 12
#define DNS_MSG_MAX 2048 /* bytes of a message that are decoded */
#define DNS_NAME_LEN 256 /* presentation form, NUL included */
#define DNS_NAME_STEPS 512 /* label bytes + length bytes + pointers */
#define DNS_MAX_HOPS 16 /* compression pointers followed per name */
#define DNS_RR_STEPS 256 /* record headers + owner-name labels */
#define MAX_ADDRESSES 8
#define MAX_CNAMES 4 /* CNAME records whose targets are decoded */
#define MAX_PORTS 16
#define IPV6_MAX_EXT_HDRS 8
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

enum dns_qtype : __u16 {
	A = 1,
	NS = 2,
	CNAME = 5,
	SOA = 6,
	PTR = 12,
	HINFO = 13,
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
	ANY = 255,
	CAA = 257,
};

/*
 * One packet.  Members are laid out without holes; their order is the
 * default order of JSON keys and columns.
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
	char name[DNS_NAME_LEN];
	enum dns_rcode rcode_raw;
	bool tc;
	bool rd;
	bool ra;
	struct gadget_l3endpoint_t addresses[MAX_ADDRESSES];
	char cnames[DNS_NAME_LEN];
	gadget_duration latency_ns_raw;
	__u32 ttl;
	__u16 data_len; /* packet bytes after the struct (ebpf.rest.len) */
	bool unanswered;
};

/*
 * Each record carries, after the event, the packet from its IP header on,
 * up to PACKET_MAX bytes (gadget.yaml: ebpf.rest.name/ebpf.rest.len), for
 * pcap-ng output.
 */
#define PACKET_MAX 512

/* Ports whose UDP/TCP traffic is DNS; a 0 ends the list. */
const volatile __u16 ports[MAX_PORTS] = { 53, 5353 };
GADGET_PARAM(ports);

/* Seconds after which a query without response is reported; 0: never. */
const volatile __u32 unanswered_timeout = 5;
GADGET_PARAM(unanswered_timeout);

/*
 * 16 MiB: about 28k events of slack, a few hundred milliseconds at full
 * load, for when the runner is not scheduled for a while (measured: 4 MiB
 * lost ~3% of events at 150k events/s on a busy 2-core machine).
 */
#define EVENTS_SIZE (1 << 24)
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

/*
 * Queries in flight, direct-mapped: a query takes the slot its key hashes
 * to, whatever was there (an array slot costs no lock and no allocation,
 * where a hash map update costs both on every query).  A query that loses
 * its slot before its response comes, to one that hashes alike, loses its
 * latency: with QUERY_SLOTS slots that is about (queries sent during one
 * round trip) / QUERY_SLOTS of them; it is counted in
 * gadget_counter_untracked.  A retransmission (same key) keeps the slot
 * and the time of the first one.  Queries that get no response within
 * unanswered_timeout are reported by the sweep (once a second, by a
 * bpf_timer) as unanswered, from the copy of their fields in the slot
 * and their names in query_names.
 *
 * `sent` guards the slot and its info like a sequence lock: a writer
 * clears it, writes, and sets it; a reader (response or sweep) reads it,
 * reads the slot, and frees the slot only by a compare-and-swap from the
 * value it read, so one of them, never both, takes the query.
 */
#define QUERY_SLOTS 65536

/* A query in flight: its key, and what its unanswered event needs but
 * its name and process (one cache line). */
struct query_slot {
	struct query_key key; /* the client's address, port, protocol, id */
	__u16 server_port;
	__u16 qtype;
	__u64 sent; /* boot ns of the query; 0: free */
	__u8 server_addr[16];
	__u16 qclass;
	__u8 pkt_type;
	__u8 flags; /* QUERY_* */
	__u8 pad[4];
};

#define QUERY_RD 0x01 /* recursion desired */
#define QUERY_V6 0x02 /* IPv6 addresses */
#define QUERY_INFO 0x04 /* the fields above are the query's */
#define QUERY_OPCODE_SHIFT 4

/*
 * The names of the queries in flight, at their slots' index: a query
 * writes its name's first cache line, all of it only when it is long.
 * The process of an unanswered query is its socket's owner when the
 * sweep finds it.
 */
#define SHORT_NAME 64

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
	__type(value, struct query_slot);
} queries SEC(".maps");

/*
 * Per-CPU decoding state: the message and the walkers' cursor.  The event
 * is built in place in the ring buffer; the walkers reach both through a
 * struct walk on the filter's stack.
 */
struct scratch {
	__u32 len; /* bytes of the message in msg */
	__u32 pos; /* walker cursor into msg */
	__u32 out; /* name walker: bytes written to ev.name */
	__u32 end; /* name walker: offset just past the name, 0 = not yet */
	__u32 hops; /* name walker: compression pointers followed */
	__u16 records; /* record walker: answers left */
	__u8 in_owner; /* record walker: skipping an owner name */
	__u8 name_ok; /* name walker: reached the root label */
	__u8 truncated; /* name walker: no room left in ev.name */
	__u8 naddr; /* record walker: addresses stored */
	__u16 kept; /* name walker: bytes of ev.name up to the last dot */
	__u16 steps; /* name walker: steps taken, one per byte or pointer */
	__u8 ncnames; /* record walker: CNAME targets found */
	__u8 cname; /* CNAME walker: the target being written */
	__u16 cname_start; /* CNAME walker: its first byte in ev.cnames */
	__u16 cnames_kept; /* CNAME walker: bytes of the whole targets */
	__u32 ttl; /* record walker: smallest TTL so far */
	__u16 cname_at[MAX_CNAMES]; /* record walker: targets' offsets */
	__u8 cname_next; /* CNAME walker: start the next target */
	__u8 has_ttl; /* record walker: ttl is set */
	__u8 pad[2];
	__u8 msg[DNS_MSG_MAX + 32]; /* slack for masked multi-byte reads */
};

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
		if (!ports[i])
			return false;
		if (ports[i] == port)
			return true;
	}
	return false;
}

/*
 * Process owners.  Only sockets that do DNS are followed, from hooks that
 * run in the owning task's context when a socket starts doing DNS (cgroup
 * socket hooks: bind, connect, unconnected send) and an iterator for the
 * sockets that existed before the runner.  Nothing here runs on every
 * send, softirq or packet except net_dev_queue, which for a socket that is
 * not a DNS one costs a socket-storage lookup.
 */

/*
 * The owner of a socket connected to a DNS port, kept on the socket: at
 * connect(2) its local port may not be chosen yet, so it is published in
 * `sockets` when its first packet leaves (net_dev_queue), in whatever
 * context that runs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock_owner);
} sk_owners SEC(".maps");

static const __u32 zero;

#define CLOCK_BOOTTIME 7
#define barrier() asm volatile("" ::: "memory")

extern void *bpf_cast_to_kern_ctx(void *) __ksym;

/* The key of an inet UDP/TCP socket; false for any other socket. */
static __always_inline bool sock_key_of(struct sock *sk, struct sock_key *key)
{
	__u16 family = sk->__sk_common.skc_family;
	__u16 proto;

	if (family != AF_INET && family != AF_INET6)
		return false;
	proto = sk->sk_protocol;
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
		return false;
	key->port = sk->__sk_common.skc_num;
	if (!key->port)
		return false;
	key->proto = proto;
	key->pad = 0;
	key->netns = sk->__sk_common.skc_net.net->ns.inum;
	return true;
}

/* Does sk talk to or listen on a DNS port? */
static __always_inline bool sock_is_dns(struct sock *sk)
{
	return is_dns_port(sk->__sk_common.skc_num) ||
	       is_dns_port(bpf_ntohs(sk->__sk_common.skc_dport));
}

/*
 * Publish owner (the current task when NULL) for the socket with key.  A
 * lookup is all it costs when the same thread is recorded already.
 */
static __always_inline void publish(struct sock_key *key,
				    const struct sock_owner *owner)
{
	struct sock_owner cur, *known;
	__u32 tid = owner ? owner->proc.tid : (__u32)bpf_get_current_pid_tgid();

	known = bpf_map_lookup_elem(&sockets, key);
	if (known && known->proc.tid == tid)
		return;
	if (!owner) {
		gadget_process_populate(&cur.proc);
		cur.updated = bpf_ktime_get_boot_ns();
		owner = &cur;
	}
	bpf_map_update_elem(&sockets, key, owner, BPF_ANY);
}

static __always_inline void own_current(struct sock *sk)
{
	struct sock_key key;

	if (sock_key_of(sk, &key))
		publish(&key, NULL);
}

/* bind(2) done: a server started after the runner, known before it
 * receives anything. */
static __always_inline int post_bind(struct bpf_sock *ctx)
{
	struct sock *sk = bpf_cast_to_kern_ctx(ctx);

	if (is_dns_port(sk->__sk_common.skc_num))
		own_current(sk);
	return 1;
}

SEC("cgroup/post_bind4")
int post_bind4(struct bpf_sock *ctx)
{
	return post_bind(ctx);
}

SEC("cgroup/post_bind6")
int post_bind6(struct bpf_sock *ctx)
{
	return post_bind(ctx);
}

/*
 * connect(2) to a DNS port (TCP, or UDP as resolvers do): the owner goes
 * on the socket, and into `sockets` at once if its port is known.
 */
static __always_inline int connect(struct bpf_sock_addr *ctx)
{
	struct bpf_sock_addr_kern *kctx = bpf_cast_to_kern_ctx(ctx);
	struct sock *sk = kctx->sk;
	struct sock_owner *o;
	struct sock_key key;

	if (!is_dns_port(bpf_ntohs(ctx->user_port)))
		return 1;
	o = bpf_sk_storage_get(&sk_owners, sk, NULL,
			       BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return 1;
	gadget_process_populate(&o->proc);
	o->updated = bpf_ktime_get_boot_ns();
	if (sock_key_of(sk, &key))
		publish(&key, o);
	return 1;
}

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr *ctx)
{
	return connect(ctx);
}

SEC("cgroup/connect6")
int connect6(struct bpf_sock_addr *ctx)
{
	return connect(ctx);
}

/*
 * sendto(2) on an unconnected UDP socket, which names its peer per packet:
 * a query to a DNS port, or a server's response from one.  Its port is
 * bound by now, and this runs before the packet exists, even when it then
 * waits for ARP/ND and leaves from softirq.
 */
static __always_inline int sendmsg(struct bpf_sock_addr *ctx)
{
	struct bpf_sock_addr_kern *kctx = bpf_cast_to_kern_ctx(ctx);
	struct sock *sk = kctx->sk;

	if (is_dns_port(bpf_ntohs(ctx->user_port)) ||
	    is_dns_port(sk->__sk_common.skc_num))
		own_current(sk);
	return 1;
}

SEC("cgroup/sendmsg4")
int sendmsg4(struct bpf_sock_addr *ctx)
{
	return sendmsg(ctx);
}

SEC("cgroup/sendmsg6")
int sendmsg6(struct bpf_sock_addr *ctx)
{
	return sendmsg(ctx);
}

/*
 * Egress, on every packet: only a socket that connected to a DNS port has
 * an owner on it; its first packet (its port now chosen) publishes it.
 */
SEC("tp_btf/net_dev_queue")
int BPF_PROG(net_dev_queue, struct sk_buff *skb)
{
	struct sock *sk = skb->sk;
	struct sock_owner *o;
	struct sock_key key;

	if (!sk)
		return 0;
	o = bpf_sk_storage_get(&sk_owners, sk, NULL, 0);
	if (!o)
		return 0;
	if (sock_key_of(sk, &key))
		publish(&key, o);
	return 0;
}

/*
 * Run once by the runner at start: the sockets already open with a DNS port
 * on either end (an unconnected client shows its peer only per packet:
 * its next send names it).
 */
SEC("iter/task_file")
int seed_sockets(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct sock_owner owner = {};
	struct sock_key key;
	struct socket *sock;
	struct sock *sk;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = sock->sk;
	if (!sk || !sock_key_of(sk, &key) || !sock_is_dns(sk))
		return 0;
	gadget_process_populate_task(&owner.proc, task);
	owner.updated = bpf_ktime_get_boot_ns();
	bpf_map_update_elem(&sockets, &key, &owner, BPF_NOEXIST);
	return 0;
}

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

/* Is c written as is by dig (RFC 1035 presentation format)? */
static __always_inline bool name_char_plain(__u8 c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	switch (c) {
	case '"':
	case '$':
	case '(':
	case ')':
	case '.':
	case ';':
	case '@':
	case '\\':
		return false;
	}
	return true;
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
	s->kept = o + 1;
}

/*
 * One step of the question-name walk; returns 1 to stop.  The budget is
 * DNS_NAME_STEPS steps of one byte or pointer each: a label costs its
 * length byte and its bytes, taken all at once or not at all (a name that
 * runs out of steps or of message is no name).
 */
static __always_inline long name_walk(struct scratch *s, char *name,
				      __u32 start)
{
	__u32 pos = s->pos, steps = s->steps, ptr, n, o;
	__u8 b;

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
	/* plain bytes while the label and its dot fit: no escaping, and
	 * the output position in a register */
	if (!s->truncated && o + b < DNS_NAME_LEN - 1) {
		for (; n < 63; n++) {
			__u8 c;

			if (n >= b)
				break;
			c = s->msg[MSG_IDX(pos + 1 + n)];
			if (!name_char_plain(c))
				break;
			name[NAME_IDX(o)] = c;
			o++;
		}
		s->out = o;
	}
	for (; n < 63; n++) {
		if (n >= b)
			break;
		name_put(s, name, s->msg[MSG_IDX(pos + 1 + n)]);
	}
	name_dot(s, name);
	s->pos = pos + 1 + b;
	s->steps = steps + 1 + b;
	return 0;
}

static long name_step(__u64 i, void *ctx)
{
	struct walk *w = ctx;

	return name_walk(w->s, w->ev->name, 0);
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
	if (!name_walk(s, cnames, s->cname_start))
		return 0;
	if (!s->name_ok || s->truncated)
		return 1;
	s->cnames_kept = s->out;
	s->cname = k + 1;
	s->cname_next = 1;
	return 0;
}

static __always_inline __u16 msg_u16(struct scratch *s, __u32 pos)
{
	return (__u16)s->msg[MSG_IDX(pos)] << 8 | s->msg[MSG_IDX(pos + 1)];
}

/* One step of the answer walk: one owner-name label or one record. */
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

/*
 * Packet parsing.
 */

struct l4_info {
	struct gadget_l4endpoint_t src, dst;
	__u32 dns_off; /* offset of the DNS message in the packet */
	__u32 dns_len; /* its length as far as this packet carries it */
};

/* Where the network header starts: Ethernet (on lo too), VLAN or none. */
static __always_inline int l3_offset(struct __sk_buff *skb)
{
	__u16 proto = skb->protocol, eth[2];
	__u8 ver;

	if (bpf_skb_load_bytes(skb, 12, eth, sizeof(eth)) == 0) {
		if (eth[0] == proto)
			return ETH_HLEN;
		if ((eth[0] == bpf_htons(ETH_P_8021Q) ||
		     eth[0] == bpf_htons(ETH_P_8021AD)) &&
		    eth[1] == proto)
			return ETH_HLEN + 4;
	}
	/* devices without a link-layer header (tun, wireguard) */
	if (bpf_skb_load_bytes(skb, 0, &ver, 1))
		return -1;
	if ((proto == bpf_htons(ETH_P_IP) && ver >> 4 == 4) ||
	    (proto == bpf_htons(ETH_P_IPV6) && ver >> 4 == 6))
		return 0;
	return -1;
}

/* UDP or TCP at off up to end: ports and the DNS message bounds. */
static __always_inline int parse_l4(struct __sk_buff *skb, __u8 proto,
				    __u32 off, __u32 end, struct l4_info *l4)
{
	__u16 hdr[2];

	if (bpf_skb_load_bytes(skb, off, hdr, sizeof(hdr)))
		return -1;
	l4->src.port = bpf_ntohs(hdr[0]);
	l4->dst.port = bpf_ntohs(hdr[1]);
	if (!is_dns_port(l4->src.port) && !is_dns_port(l4->dst.port))
		return -1;
	l4->src.proto_raw = l4->dst.proto_raw = proto;
	if (proto == IPPROTO_UDP) {
		l4->dns_off = off + 8;
	} else {
		__u8 doff;
		__u16 prefix;

		if (bpf_skb_load_bytes(skb, off + 12, &doff, 1))
			return -1;
		off += (doff >> 4) * 4;
		/* DNS over TCP: a 2-byte length, then the message; segments
		 * without payload (handshake, ACKs) are skipped */
		if (off + 2 + DNS_HDR_LEN > end)
			return -1;
		if (bpf_skb_load_bytes(skb, off, &prefix, 2))
			return -1;
		l4->dns_off = off + 2;
		if (bpf_ntohs(prefix) < DNS_HDR_LEN)
			return -1;
		if (end > l4->dns_off + bpf_ntohs(prefix))
			end = l4->dns_off + bpf_ntohs(prefix);
	}
	if (l4->dns_off + DNS_HDR_LEN > end)
		return -1;
	l4->dns_len = end - l4->dns_off;
	return 0;
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, __u32 off,
				      struct l4_info *l4)
{
	struct iphdr ip;
	__u32 end;

	if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)))
		return -1;
	if (ip.version != 4 || ip.ihl < 5)
		return -1;
	if (ip.protocol != IPPROTO_UDP && ip.protocol != IPPROTO_TCP)
		return -1;
	if (bpf_ntohs(ip.frag_off) & IP_OFFSET) /* not the first fragment */
		return -1;
	end = bpf_ntohs(ip.tot_len) ? off + bpf_ntohs(ip.tot_len) : skb->len;
	if (end > skb->len)
		end = skb->len;
	l4->src.addr_raw.v4 = ip.saddr;
	l4->dst.addr_raw.v4 = ip.daddr;
	l4->src.version = l4->dst.version = 4;
	return parse_l4(skb, ip.protocol, off + ip.ihl * 4, end, l4);
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, __u32 off,
				      struct l4_info *l4)
{
	struct ipv6hdr ip6;
	__u8 next, ext[2];
	__u32 end;
	__u16 frag;

	if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)))
		return -1;
	if (ip6.version != 6)
		return -1;
	end = ip6.payload_len ? off + 40 + bpf_ntohs(ip6.payload_len) :
				skb->len;
	if (end > skb->len)
		end = skb->len;
	__builtin_memcpy(l4->src.addr_raw.v6, &ip6.saddr, 16);
	__builtin_memcpy(l4->dst.addr_raw.v6, &ip6.daddr, 16);
	l4->src.version = l4->dst.version = 6;
	next = ip6.nexthdr;
	off += 40;
	for (int i = 0; i < IPV6_MAX_EXT_HDRS; i++) {
		switch (next) {
		case IPPROTO_UDP:
		case IPPROTO_TCP:
			return parse_l4(skb, next, off, end, l4);
		case 0: /* hop-by-hop options */
		case 43: /* routing */
		case 60: /* destination options */
			if (bpf_skb_load_bytes(skb, off, ext, 2))
				return -1;
			next = ext[0];
			off += (ext[1] + 1) * 8;
			break;
		case 44: /* fragment: only the first one has the L4 header */
			if (bpf_skb_load_bytes(skb, off, ext, 2) ||
			    bpf_skb_load_bytes(skb, off + 2, &frag, 2))
				return -1;
			if (bpf_ntohs(frag) & 0xFFF8)
				return -1;
			next = ext[0];
			off += 8;
			break;
		case 51: /* authentication header */
			if (bpf_skb_load_bytes(skb, off, ext, 2))
				return -1;
			next = ext[0];
			off += (ext[1] + 2) * 4;
			break;
		default:
			return -1;
		}
	}
	return -1;
}

/* The slot of a query: its key's words mixed (multiply, xor-shift). */
static __always_inline __u32 query_slot_of(const struct query_key *key)
{
	const __u32 *w = (const __u32 *)key;
	__u32 h = 0;

	_Static_assert(sizeof(*key) == 7 * 4, "query_key is 7 words");
	for (int i = 0; i < 7; i++) {
		h = (h ^ w[i]) * 0x9E3779B1u;
		h ^= h >> 15;
	}
	return h & (QUERY_SLOTS - 1);
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
};

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

/* Keep in slot i the fields of the query of ev (NULL: lost) that its
 * unanswered event needs (name_len: the length of ev->name). */
static __always_inline void query_info_set(struct query_slot *slot, __u32 i,
					   const struct event_t *ev,
					   __u32 name_len)
{
	struct query_name *n;

	slot->flags = 0;
	if (!ev || !unanswered_timeout)
		return;
	n = bpf_map_lookup_elem(&query_names, &i);
	if (!n)
		return;
	if (name_len < SHORT_NAME)
		__builtin_memcpy(n->name, ev->name, SHORT_NAME);
	else
		__builtin_memcpy(n->name, ev->name, sizeof(n->name));
	__builtin_memcpy(slot->server_addr, ev->dst.addr_raw.v6, 16);
	slot->server_port = ev->dst.port;
	slot->qtype = ev->qtype_raw;
	slot->qclass = ev->qclass;
	slot->pkt_type = ev->pkt_type_raw;
	slot->flags = QUERY_INFO | (ev->rd ? QUERY_RD : 0) |
		      (ev->dst.version == 6 ? QUERY_V6 : 0) |
		      ev->opcode_raw << QUERY_OPCODE_SHIFT;
}

/*
 * Most packets are IPv4 or IPv6 over Ethernet with UDP or TCP right after
 * an IP header without options or extension headers: one load shows they
 * are not DNS (or not UDP/TCP at all).  Anything else takes the full
 * parse, which decides the same for these.
 */
static __always_inline bool surely_not_dns(struct __sk_buff *skb)
{
	__u8 h[ETH_HLEN + 40 + 4];
	__u16 sport, dport;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, 0, h, ETH_HLEN + 20 + 4))
			return false;
		if (h[12] != 0x08 || h[13] != 0x00 || h[14] != 0x45)
			return false;
		if (h[23] != IPPROTO_UDP && h[23] != IPPROTO_TCP)
			return true;
		sport = h[34] << 8 | h[35];
		dport = h[36] << 8 | h[37];
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, 0, h, sizeof(h)))
			return false;
		if (h[12] != 0x86 || h[13] != 0xDD || h[14] >> 4 != 6)
			return false;
		if (h[20] != IPPROTO_UDP && h[20] != IPPROTO_TCP)
			return false;
		sport = h[54] << 8 | h[55];
		dport = h[56] << 8 | h[57];
	} else {
		return false;
	}
	return !is_dns_port(sport) && !is_dns_port(dport);
}

/*
 * Match a response with its query, both seen in this namespace; remember
 * a query (ev: its event, NULL when it was lost).
 */
static __always_inline __u64 query_latency(const struct l4_info *l4,
					   gadget_netns_id netns, __u16 id,
					   __u64 now, bool qr, bool outgoing,
					   const struct event_t *ev,
					   __u32 name_len)
{
	const struct gadget_l4endpoint_t *client = qr ? &l4->dst : &l4->src;
	struct query_key key = {};
	struct query_slot *slot;
	__u64 then, latency = 0;
	__u32 i;

	__builtin_memcpy(key.client_addr, client->addr_raw.v6, 16);
	key.netns = netns;
	key.client_port = client->port;
	key.id = id;
	key.proto = client->proto_raw;
	key.from_client = qr ? !outgoing : outgoing;
	i = query_slot_of(&key);
	slot = bpf_map_lookup_elem(&queries, &i);
	if (!slot)
		return 0;
	then = slot->sent;
	if (!qr) {
		if (then && query_key_eq(&slot->key, &key))
			return 0; /* a retransmission */
		if (then)
			gadget_counter_add(&gadget_counter_untracked, 1);
		slot->sent = 0; /* while the slot is half written */
		barrier();
		slot->key = key;
		query_info_set(slot, i, ev, name_len);
		barrier();
		slot->sent = now;
		return 0;
	}
	if (!then || !query_key_eq(&slot->key, &key))
		return 0;
	if (__sync_val_compare_and_swap(&slot->sent, then, 0) != then)
		return 0; /* taken by the sweep or a new query */
	if (now > then)
		latency = now - then;
	return latency;
}

/*
 * The sweep: once a second while queries are in flight, every slot whose
 * query has waited unanswered_timeout becomes an event.
 */
struct sweep_ctx {
	struct sweeper *sw; /* the state, in a map: not tracked precisely */
};

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
	then = slot->sent;
	if (!then)
		return 0;
	if (c->now < then + unanswered_timeout * NS_PER_S) {
		c->live++;
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
	__builtin_memcpy(ev->name, n->name, sizeof(ev->name));
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
	owner = bpf_map_lookup_elem(&sockets, &sk);
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
	bpf_loop(QUERY_SLOTS, sweep_slot, &c, 0);
	if (sw->live && !__sync_val_compare_and_swap(&sw->armed, 0, 1))
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
 * down before records are lost.
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
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA), *last;

	if (avail <= EVENTS_SIZE / 8)
		return BPF_RB_NO_WAKEUP;
	if (avail > EVENTS_SIZE / 2)
		return BPF_RB_FORCE_WAKEUP;
	last = bpf_map_lookup_elem(&woken, &zero);
	if (!last || now - *last < WAKEUP_GAP_NS)
		return BPF_RB_NO_WAKEUP;
	*last = now;
	return BPF_RB_FORCE_WAKEUP;
}

SEC("socket")
int trace_dns(struct __sk_buff *skb)
{
	struct l4_info l4 = {};
	struct event_t *ev;
	struct scratch *s;
	struct walk w;
	struct sock_key key;
	struct sock_owner *owner;
	gadget_netns_id netns;
	__u16 id, flags, qdcount, ancount;
	__u32 name_len = 0;
	__u64 now, latency;
	bool outgoing, qr;
	__u32 len;
	int off;

	if (surely_not_dns(skb))
		return 0;
	off = l3_offset(skb);
	if (off < 0)
		return 0;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (parse_ipv4(skb, off, &l4))
			return 0;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (parse_ipv6(skb, off, &l4))
			return 0;
	} else {
		return 0;
	}

	s = bpf_map_lookup_elem(&scratches, &zero);
	if (!s)
		return 0;
	len = l4.dns_len; /* >= DNS_HDR_LEN */
	if (len > DNS_MSG_MAX)
		len = DNS_MSG_MAX;
	len = MSG_IDX(len - 1) + 1; /* 1..DNS_MSG_MAX, for the verifier */
	if (bpf_skb_load_bytes(skb, l4.dns_off, s->msg, len))
		return 0;
	s->len = len;

	now = bpf_ktime_get_boot_ns();
	netns = skb->cb[0];
	outgoing = skb->pkt_type == OUTGOING;
	id = msg_u16(s, 0);
	flags = msg_u16(s, 2);
	qr = flags >> 15;
	qdcount = msg_u16(s, 4);
	ancount = msg_u16(s, 6);
	/* a TCP segment that continues a message has no header: its
	 * "question count" is noise, rarely 0 or 1 */
	if (l4.src.proto_raw == IPPROTO_TCP && qdcount > 1)
		return 0;

	/* the local end of the packet: its source when it leaves */
	key.netns = netns;
	key.proto = l4.src.proto_raw;
	key.port = outgoing ? l4.src.port : l4.dst.port;
	key.pad = 0;
	owner = bpf_map_lookup_elem(&sockets, &key);
	if (gadget_should_discard_process(owner ? &owner->proc : NULL))
		return 0;

	/* built in place: a record that does not fit still has its query
	 * remembered */
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev) + PACKET_MAX, 0);
	if (!ev) {
		gadget_count_lost();
		query_latency(&l4, netns, id, now, qr, outgoing, NULL, 0);
		return 0;
	}
	/* all but the names, each terminated where it is written */
	__builtin_memset(ev, 0, offsetof(struct event_t, name));
	__builtin_memset(&ev->rcode_raw, 0,
			 offsetof(struct event_t, cnames) -
				 offsetof(struct event_t, rcode_raw));
	__builtin_memset(&ev->latency_ns_raw, 0,
			 sizeof(*ev) -
				 offsetof(struct event_t, latency_ns_raw));
	ev->name[0] = ev->cnames[0] = '\0';
	/* the packet from its IP header: what pcap-ng calls LINKTYPE_RAW */
	_Static_assert(PACKET_MAX == 512, "mask below");
	len = skb->len > (__u32)off ? skb->len - off : 0;
	if (len > PACKET_MAX)
		len = PACKET_MAX;
	if (len) {
		len -= 1;
		asm volatile("%0 &= 511" : "+r"(len));
		len += 1; /* 1..PACKET_MAX, for the verifier */
		if (!bpf_skb_load_bytes(skb, off, ev + 1, len))
			ev->data_len = len;
	}

	ev->timestamp_raw = now;
	ev->netns_id = netns;
	ev->pkt_type_raw = skb->pkt_type;
	ev->src = l4.src;
	ev->dst = l4.dst;
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
			 qr ? &l4.src.addr_raw : &l4.dst.addr_raw,
			 sizeof(ev->nameserver.addr_raw));
	ev->nameserver.version = l4.src.version;
	if (owner)
		ev->proc = owner->proc;

	w.s = s;
	w.ev = ev;
	s->end = DNS_HDR_LEN;
	if (qdcount) {
		s->pos = DNS_HDR_LEN;
		s->out = s->end = s->hops = s->kept = s->steps = 0;
		s->name_ok = s->truncated = 0;
		bpf_loop(DNS_NAME_STEPS, name_step, &w, 0);
		/* a name cut short or looping is no name: show none of it;
		 * one too long to show ends at its last whole label */
		if (!s->name_ok)
			name_len = 0;
		else if (s->truncated)
			name_len = s->kept;
		else
			name_len = s->out;
		ev->name[NAME_IDX(name_len)] = '\0';
		if (s->name_ok && s->end + 4 <= s->len) {
			ev->qtype_raw = msg_u16(s, s->end);
			ev->qclass = msg_u16(s, s->end + 2);
			s->end += 4;
		} else {
			qdcount = 0xFFFF; /* where would answers start? */
		}
	}
	/* answers follow one question, or none (mDNS announcements) */
	if (qr && qdcount <= 1 && ancount) {
		s->pos = s->end;
		s->records = ancount;
		s->in_owner = 1;
		s->naddr = s->ncnames = s->has_ttl = 0;
		bpf_loop(DNS_RR_STEPS, record_step, &w, 0);
		if (s->has_ttl)
			ev->ttl = s->ttl;
		if (s->ncnames) {
			s->out = s->cname = s->cnames_kept = 0;
			s->truncated = 0;
			s->cname_next = 1;
			bpf_loop(DNS_NAME_STEPS, cname_step, &w, 0);
			ev->cnames[NAME_IDX(s->cnames_kept)] = '\0';
		}
	}

	latency =
		query_latency(&l4, netns, id, now, qr, outgoing, ev, name_len);
	ev->latency_ns_raw = latency;
	bpf_ringbuf_submit(ev, wakeup_flags(now));
	if (!qr)
		sweep_arm();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
