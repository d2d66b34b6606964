/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Socket enrichment: the process behind a local socket.
 *
 * gadget_sockets maps {netns, family, protocol, local port} to a struct
 * gadget_socket_value (types.h).  The gadget only declares the map: the
 * runner replaces it, before load, with the map of its own socket enricher,
 * which fills it from tracepoints, cgroup hooks on bind and an iterator
 * over open sockets (no kprobes), and tells the loader the value's real
 * layout for CO-RE.
 *
 * Socket filters and tc programs define GADGET_TYPE_NETWORKING and look a
 * packet up with gadget_socket_lookup(skb) (its local end by skb->pkt_type)
 * or gadget_socket_lookup_with_direction(skb, is_ingress); the namespace
 * comes from skb->cb[0], where the runner's per-namespace dispatcher put
 * it.  Other programs define GADGET_TYPE_TRACING and use
 * gadget_socket_lookup(sk, netns).  Either may return NULL.
 *
 * Include <vmlinux.h> or <linux/types.h> first.
 */
#ifndef GADGET_SOCKETS_MAP_H
#define GADGET_SOCKETS_MAP_H

#if !defined(__VMLINUX_H__) && !defined(_LINUX_TYPES_H)
#error "include <vmlinux.h> or <linux/types.h> before <gadget/sockets-map.h>"
#endif

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <gadget/types.h>

/* Wire constants, named here so that either kind of include works. */
#define GADGET_SE_AF_INET 2
#define GADGET_SE_AF_INET6 10
#define GADGET_SE_PROTO_TCP 6
#define GADGET_SE_PROTO_UDP 17
#define GADGET_SE_PACKET_HOST 0

struct gadget_socket_key {
	__u32 netns;
	__u16 family;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u16 port; /* local port, host order */
};

#define GADGET_MAX_SOCKETS 16384

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GADGET_MAX_SOCKETS);
	__type(key, struct gadget_socket_key);
	__type(value, struct gadget_socket_value);
} gadget_sockets SEC(".maps");

/* An IPv4 socket may be an IPv6 one bound to both families. */
static __always_inline struct gadget_socket_value *
__gadget_socket_find(struct gadget_socket_key *key)
{
	struct gadget_socket_value *v =
		bpf_map_lookup_elem(&gadget_sockets, key);

	if (v || key->family != GADGET_SE_AF_INET)
		return v;
	key->family = GADGET_SE_AF_INET6;
	v = bpf_map_lookup_elem(&gadget_sockets, key);
	return v && !v->ipv6only ? v : NULL;
}

#ifdef GADGET_TYPE_NETWORKING
/*
 * Offset of the transport header of an IPv6 packet whose fixed header
 * starts at off, following up to 6 extension headers; *proto is updated.
 * -1 when there is no TCP or UDP header.
 */
static __always_inline int __gadget_se_ipv6_l4(const struct __sk_buff *skb,
					       int off, __u8 *proto)
{
	int l4 = off + 40;

	for (int i = 0; i < 6; i++) {
		__u8 hdr[2]; /* next header, length */

		if (*proto == GADGET_SE_PROTO_TCP ||
		    *proto == GADGET_SE_PROTO_UDP)
			return l4;
		if (bpf_skb_load_bytes(skb, l4, hdr, sizeof(hdr)) < 0)
			return -1;
		switch (*proto) {
		case 0: /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
			l4 += 8 * (hdr[1] + 1);
			break;
		case 44: /* fragment: fixed size */
			l4 += 8;
			break;
		case 51: /* authentication: length in 4-byte words, minus 2 */
			l4 += 4 * (hdr[1] + 2);
			break;
		default:
			return -1;
		}
		*proto = hdr[0];
	}
	return *proto == GADGET_SE_PROTO_TCP || *proto == GADGET_SE_PROTO_UDP ?
		       l4 :
		       -1;
}

/* The local socket of an Ethernet frame: its destination port when it came
 * in, its source port when it goes out. */
static __always_inline struct gadget_socket_value *
gadget_socket_lookup_with_direction(const struct __sk_buff *skb,
				    __u8 is_ingress)
{
	struct gadget_socket_key key = {};
	__be16 eth_proto;
	__u16 port;
	int l4;

	key.netns = skb->cb[0]; /* set by the runner's dispatcher */
	if (bpf_skb_load_bytes(skb, 12, &eth_proto, sizeof(eth_proto)) < 0)
		return NULL;
	if (eth_proto == bpf_htons(0x0800)) {
		__u8 vihl;

		key.family = GADGET_SE_AF_INET;
		if (bpf_skb_load_bytes(skb, 14, &vihl, 1) < 0 ||
		    bpf_skb_load_bytes(skb, 14 + 9, &key.proto, 1) < 0)
			return NULL;
		l4 = 14 + (vihl & 0xf) * 4;
	} else if (eth_proto == bpf_htons(0x86DD)) {
		key.family = GADGET_SE_AF_INET6;
		if (bpf_skb_load_bytes(skb, 14 + 6, &key.proto, 1) < 0)
			return NULL;
		l4 = __gadget_se_ipv6_l4(skb, 14, &key.proto);
		if (l4 < 0)
			return NULL;
	} else {
		return NULL;
	}
	if (key.proto != GADGET_SE_PROTO_TCP &&
	    key.proto != GADGET_SE_PROTO_UDP)
		return NULL;
	/* TCP and UDP both start with the source port, then the destination */
	if (bpf_skb_load_bytes(skb, l4 + (is_ingress ? 2 : 0), &port,
			       sizeof(port)) < 0)
		return NULL;
	key.port = bpf_ntohs(port);
	return __gadget_socket_find(&key);
}

/* The same, the direction taken from skb->pkt_type (socket filters; tc
 * programs know their direction better and pass it). */
static __always_inline struct gadget_socket_value *
gadget_socket_lookup(const struct __sk_buff *skb)
{
	return gadget_socket_lookup_with_direction(
		skb, skb->pkt_type == GADGET_SE_PACKET_HOST);
}
#endif /* GADGET_TYPE_NETWORKING */

#ifdef GADGET_TYPE_TRACING
/* The socket sk, in network namespace netns. */
static __always_inline struct gadget_socket_value *
gadget_socket_lookup(const struct sock *sk, __u32 netns)
{
	struct gadget_socket_key key = {};
	struct inet_sock *inet = (struct inet_sock *)sk;

	key.netns = netns;
	key.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	key.proto = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
	if (key.proto != GADGET_SE_PROTO_TCP &&
	    key.proto != GADGET_SE_PROTO_UDP)
		return NULL;
	key.port = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
	return __gadget_socket_find(&key);
}
#endif /* GADGET_TYPE_TRACING */

/* Fill p from what the enricher knows (nothing changes for NULL). */
static __always_inline void
gadget_process_populate_from_socket(const struct gadget_socket_value *v,
				    struct gadget_process *p)
{
	if (!v)
		return;
	__builtin_memcpy(p->comm, v->task, sizeof(p->comm));
	p->pid = v->pid_tgid >> 32;
	p->tid = (__u32)v->pid_tgid;
	p->mntns_id = v->mntns;
	p->creds.uid = (__u32)v->uid_gid;
	p->creds.gid = v->uid_gid >> 32;
	__builtin_memcpy(p->parent.comm, v->ptask, sizeof(p->parent.comm));
	p->parent.pid = v->ppid;
	p->parent.tid = bpf_core_field_exists(v->ptid) ? v->ptid : 0;
}

#endif /* GADGET_SOCKETS_MAP_H */
