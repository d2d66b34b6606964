/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * trace_dns, the process owners of DNS sockets.
 * A part of program.bpf.c, included once at its place there: it
 * uses the types, maps and params defined before it (one eBPF
 * object is one compilation unit).
 */
#ifndef TRACE_DNS_OWNERS_BPF_H
#define TRACE_DNS_OWNERS_BPF_H

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

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/*
 * A hook's socket for reading: bpf_rdonly_cast() (a register move once
 * loaded) makes it an untrusted BTF pointer.  Each pointer loaded through a
 * trusted one (a cast context, a tp_btf argument) costs the verifier four
 * linear scans of the kernel's BTF by name ("sock__safe_trusted", ...,
 * btf_nested_type_is_trusted()), ~1.5 ms per load site on 6.18; loads
 * through an untrusted pointer are the same fault-safe loads, unchecked.
 * Helpers that need the socket (bpf_sk_storage_get()) get the trusted one.
 */
static __always_inline struct sock *sock_ro(void *sk)
{
	return bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct sock));
}

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

/*
 * Servers bound to one address (not the wildcard) of a DNS port, by
 * address and key: several servers share a port on one host, each on its
 * own addresses (systemd-resolved on 127.0.0.53, dnsmasq on a bridge),
 * and `sockets`, keyed by port alone, would give the packets of each the
 * owner of whichever bound or sent last.  Written on bind and on sends
 * from the socket, deleted on its close; looked up first for packets
 * whose local port is a DNS port.
 */
struct addr_key {
	__u8 addr[16]; /* IPv4 in the first 4 bytes, as in l4endpoint */
	struct sock_key sock;
};

struct addr_owner {
	struct sock_owner owner;
	__u64 sk; /* the socket (sock_id()) */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct addr_key);
	__type(value, struct addr_owner);
} addr_owners SEC(".maps");

/* The address sk is bound to, into key; false for the wildcard.  An IPv6
 * socket bound to an IPv4-mapped address receives IPv4 packets.  In
 * 64-bit words of a little-endian machine (x86, arm64): the IPv4 address
 * is the low half of the first, ::ffff: the low half of the second. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian");

static __always_inline bool sock_addr_of(struct sock *sk, struct addr_key *key)
{
	const __u64 *a6 = (const __u64 *)&sk->__sk_common.skc_v6_rcv_saddr;
	__u64 *a = (__u64 *)key->addr;
	__u64 lo, hi;

	if (sk->__sk_common.skc_family == AF_INET) {
		lo = sk->__sk_common.skc_rcv_saddr;
		hi = 0;
	} else {
		lo = a6[0];
		hi = a6[1];
		if (!lo && (__u32)hi == bpf_htonl(0xFFFF)) {
			lo = hi >> 32;
			hi = 0;
		}
	}
	/* values the verifier does not know: the key looks alike after
	 * either way above, one state for what follows (loop.bpf.h) */
	a[0] = lo + OPAQUE(0);
	a[1] = hi + OPAQUE(0);
	return (a[0] | a[1]) != 0;
}

/* The owner of the local end of a packet, its address addr (16 bytes, as
 * in l4endpoint): a server bound to that address, else key's. */
static __always_inline struct sock_owner *owner_of(const struct sock_key *key,
						   const __u8 *addr)
{
	struct addr_owner *o;
	struct addr_key k;

	if (is_dns_port(key->port)) {
		__builtin_memcpy(k.addr, addr, sizeof(k.addr));
		k.sock = *key;
		o = bpf_map_lookup_elem(&addr_owners, &k);
		if (o)
			return &o->owner;
	}
	return bpf_map_lookup_elem(&sockets, key);
}

/* Does sk talk to or listen on a DNS port? */
static __always_inline bool sock_is_dns(struct sock *sk)
{
	return is_dns_port(sk->__sk_common.skc_num) ||
	       is_dns_port(bpf_ntohs(sk->__sk_common.skc_dport));
}

/* The uid and gid of p, as bpf_get_current_uid_gid() gives them. */
static __always_inline __u64 creds_of(const struct gadget_process *p)
{
	return p->creds.uid | (__u64)p->creds.gid << 32;
}

/* Are p and q the same thread, with the same credentials? */
static __always_inline bool same_owner(const struct gadget_process *p,
				       const struct gadget_process *q)
{
	return p->tid == q->tid && creds_of(p) == creds_of(q);
}

/*
 * Is p, a recorded owner, the current thread with its credentials of now?
 * A server binds as root, then drops to its user (dnsmasq, unbound,
 * named): its next send records it again.
 */
static __always_inline bool is_current(const struct gadget_process *p)
{
	return p->tid == (__u32)bpf_get_current_pid_tgid() &&
	       creds_of(p) == bpf_get_current_uid_gid();
}

/*
 * Publish owner (the current task when NULL) for the socket with key.  A
 * lookup is all it costs when the same thread is recorded already, with
 * the same credentials.
 */
static __always_inline void publish(struct sock_key *key,
				    const struct sock_owner *owner)
{
	struct sock_owner cur, *known;

	known = bpf_map_lookup_elem(&sockets, key);
	if (known && (owner ? same_owner(&known->proc, &owner->proc) :
			      is_current(&known->proc)))
		return;
	if (!owner) {
		gadget_process_populate(&cur.proc);
		cur.updated = bpf_ktime_get_boot_ns();
		owner = &cur;
	}
	bpf_map_update_elem(&sockets, key, owner, BPF_ANY);
}

/* A socket's identity in bound_sockets and addr_owners: its address,
 * as a number. */
static __always_inline __u64 sock_id(const struct sock *sk)
{
	__u64 id = (unsigned long)sk;

	/* a scalar from here on, for the verifier */
	asm volatile("%0 = %0" : "+r"(id));
	return id;
}

/*
 * Record the current task as the owner of sk (its key k): in addr_owners
 * when by_addr (a server bound to one address of a DNS port, k->addr),
 * else in `sockets`.  A lookup is all it costs when the same thread is
 * recorded already.  The owner is filled at one place, which the verifier
 * checks once (OPAQUE: the two ways look alike there).
 */
static __always_inline void publish_sock(struct addr_key *k, __u64 sk,
					 bool by_addr)
{
	__u64 to_addr = OPAQUE(by_addr);
	struct sock_owner *known;
	struct addr_owner cur, *a;

	if (by_addr) {
		a = bpf_map_lookup_elem(&addr_owners, k);
		if (a && a->sk == sk && is_current(&a->owner.proc))
			return;
	} else {
		known = bpf_map_lookup_elem(&sockets, &k->sock);
		if (known && is_current(&known->proc))
			return;
	}
	gadget_process_populate(&cur.owner.proc);
	cur.owner.updated = bpf_ktime_get_boot_ns();
	cur.sk = sk;
	if (to_addr)
		bpf_map_update_elem(&addr_owners, k, &cur, BPF_ANY);
	else
		bpf_map_update_elem(&sockets, &k->sock, &cur.owner, BPF_ANY);
}

static __always_inline void own_current(struct sock *sk)
{
	struct addr_key k;

	if (sock_key_of(sk, &k.sock))
		publish_sock(&k, sock_id(sk),
			     is_dns_port(k.sock.port) && sock_addr_of(sk, &k));
}

/*
 * Sockets bound to a DNS port, by key: the socket whose owner `sockets`
 * holds, and the owner it displaced, owner again when that socket closes
 * (a process that bound the port of a server on another address, then
 * exited).  Touched only on bind and close of a socket with a DNS port as
 * its local one.
 *
 * A socket is told by its address (sock_id()): unique while it is open,
 * and close is seen before it is freed.  Not its cookie: the start-up
 * iterator reaches a socket through a pointer that newer verifiers mark
 * untrusted (socket->sk), which bpf_get_socket_cookie() refuses.
 */
struct bound {
	__u64 sk; /* the socket whose owner the key has */
	__u64 prev_sk; /* the one it displaced; 0: not known */
	struct sock_owner prev;
	__u8 has_prev;
	__u8 pad[7];
};

/* Entries are allocated as made (not preallocated: ~1.1 ms less of
 * start-up) and deleted on close, never evicted. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct sock_key);
	__type(value, struct bound);
} bound_sockets SEC(".maps");

/* Note that socket sk owns key now, over what owned it before. */
static __always_inline void bound_over(struct sock_key *key, __u64 sk,
				       const struct sock_owner *known)
{
	struct bound b = { .sk = sk }, *old;

	if (known) {
		old = bpf_map_lookup_elem(&bound_sockets, key);
		b.prev = *known;
		b.prev_sk = old ? old->sk : 0;
		b.has_prev = 1;
	}
	bpf_map_update_elem(&bound_sockets, key, &b, BPF_ANY);
}

/* bind(2) done: a server started after the runner, known before it
 * receives anything. */
static __always_inline int post_bind(struct bpf_sock *ctx)
{
	struct sock *sk = sock_ro(bpf_cast_to_kern_ctx(ctx));
	struct sock_owner *known;
	struct addr_key k;
	bool by_addr;

	if (!is_dns_port(sk->__sk_common.skc_num) || !sock_key_of(sk, &k.sock))
		return 1;
	/* a server on one address has its own entry: no other to displace */
	by_addr = sock_addr_of(sk, &k);
	if (!by_addr) {
		known = bpf_map_lookup_elem(&sockets, &k.sock);
		if (known && is_current(&known->proc))
			return 1;
		bound_over(&k.sock, sock_id(sk), known);
	}
	publish_sock(&k, sock_id(sk), by_addr);
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
 * close(2) of a socket bound to a DNS port: if it owns its key, the owner
 * it displaced is owner again (or the key has none); if it was the one
 * displaced, it is forgotten.
 */
SEC("cgroup/sock_release")
int sock_release(struct bpf_sock *ctx)
{
	struct sock *sk = sock_ro(bpf_cast_to_kern_ctx(ctx));
	struct addr_owner *o;
	struct sock_key key;
	struct addr_key k;
	struct bound *b;
	__u64 id;

	if (!is_dns_port(sk->__sk_common.skc_num) || !sock_key_of(sk, &key))
		return 1;
	id = sock_id(sk);
	/* a server on one address; else a socket bound to the wildcard,
	 * connected since (its address set), still follows bound_sockets */
	if (sock_addr_of(sk, &k)) {
		k.sock = key;
		o = bpf_map_lookup_elem(&addr_owners, &k);
		if (o && o->sk == id) {
			bpf_map_delete_elem(&addr_owners, &k);
			return 1;
		}
	}
	b = bpf_map_lookup_elem(&bound_sockets, &key);
	if (!b)
		return 1;
	if (b->sk == id) {
		if (b->has_prev) {
			bpf_map_update_elem(&sockets, &key, &b->prev, BPF_ANY);
			b->sk = b->prev_sk;
			b->has_prev = 0;
		} else {
			bpf_map_delete_elem(&sockets, &key);
			bpf_map_delete_elem(&bound_sockets, &key);
		}
	} else if (b->has_prev && b->prev_sk == id) {
		b->has_prev = 0;
	}
	return 1;
}

/*
 * connect(2) to a DNS port (TCP, or UDP as resolvers do): the owner goes
 * on the socket, and into `sockets` at once if its port is known.
 */
static __always_inline int connect(struct bpf_sock_addr *ctx)
{
	struct sock *sk = sock_ro(ctx->sk);
	struct sock_owner *o;
	struct sock_key key;

	if (!is_dns_port(bpf_ntohs(ctx->user_port)))
		return 1;
	o = bpf_sk_storage_get(&sk_owners, ctx->sk, NULL,
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
	struct sock *sk = sock_ro(ctx->sk);

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
	if (sock_key_of(sock_ro(sk), &key))
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
	struct addr_owner ao = {};
	struct sock_key key;
	struct addr_key k;
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
	if (is_dns_port(key.port) && sock_addr_of(sk, &k)) {
		k.sock = key;
		ao.owner = owner;
		ao.sk = sock_id(sk);
		bpf_map_update_elem(&addr_owners, &k, &ao, BPF_NOEXIST);
		return 0;
	}
	if (!bpf_map_update_elem(&sockets, &key, &owner, BPF_NOEXIST) &&
	    is_dns_port(key.port))
		bound_over(&key, sock_id(sk), NULL);
	return 0;
}

#endif /* TRACE_DNS_OWNERS_BPF_H */
