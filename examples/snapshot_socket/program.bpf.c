// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot_socket: one record per TCP and UDP socket at the moment the
 * gadget runs, written by the tcp and udp iterators.  The kernel walks the
 * sockets of the network namespace the iterator was made in: the runner
 * makes one in every namespace it covers (every one of the host's, or
 * those of the selected containers), and each record says its own.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include <gadget/macros.h>
#include <gadget/types.h>

#define AF_INET 2
#define AF_INET6 10
#define TCP_TIME_WAIT 6
#define TCP_NEW_SYN_RECV 12

struct socket_entry {
	struct gadget_l4endpoint_t src;
	struct gadget_l4endpoint_t dst;
	__u32 state; /* TCP's states; UDP: 7 (TCP_CLOSE) unless connected */
	__u32 ino; /* the socket's inode, 0 for a time-wait or request one */
	gadget_netns_id netns_id;
	__u32 __pad;
};

GADGET_SNAPSHOTTER(sockets, socket_entry, snapshot_tcp, snapshot_udp);

static int dump(struct seq_file *seq, struct sock_common *skc, __u16 proto)
{
	struct socket_entry e = {};
	__u16 family = BPF_CORE_READ(skc, skc_family);

	if (family == AF_INET) {
		e.src.addr_raw.v4 = BPF_CORE_READ(skc, skc_rcv_saddr);
		e.dst.addr_raw.v4 = BPF_CORE_READ(skc, skc_daddr);
		e.src.version = e.dst.version = 4;
	} else if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&e.src.addr_raw.v6, skc,
				   skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e.dst.addr_raw.v6, skc,
				   skc_v6_daddr.in6_u.u6_addr8);
		e.src.version = e.dst.version = 6;
	} else {
		return 0;
	}
	e.src.port = BPF_CORE_READ(skc, skc_num);
	e.dst.port = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
	e.src.proto_raw = e.dst.proto_raw = proto;
	e.state = BPF_CORE_READ(skc, skc_state);
	if (e.state != TCP_TIME_WAIT && e.state != TCP_NEW_SYN_RECV)
		e.ino = BPF_CORE_READ((struct sock *)skc, sk_socket, file,
				      f_inode, i_ino);
	e.netns_id = BPF_CORE_READ(skc, skc_net.net, ns.inum);
	bpf_seq_write(seq, &e, sizeof(e));
	return 0;
}

SEC("iter/tcp")
int snapshot_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;

	if (!skc)
		return 0;
	return dump(ctx->meta->seq, skc, IPPROTO_TCP);
}

SEC("iter/udp")
int snapshot_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *udp = ctx->udp_sk;

	if (!udp)
		return 0;
	return dump(ctx->meta->seq, &udp->inet.sk.__sk_common, IPPROTO_UDP);
}

char LICENSE[] SEC("license") = "GPL";
