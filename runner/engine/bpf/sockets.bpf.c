/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * The runner's socket enricher, for gadgets that look sockets up in ig's
 * gadget_sockets map (gadget/sockets-map.h): the process behind each local
 * TCP or UDP socket, keyed by {netns, family, protocol, local port}.
 *
 * Filled without kprobes: an iterator over every open file (sockets that
 * existed before the runner, run once at start), and the hooks that run
 * in the context of a task using a socket: bind (servers started later:
 * cgroup/post_bind4 and cgroup/post_bind6 on the cgroup v2 root, which
 * run only on a bind that took a port, in any cgroup or network
 * namespace; syscall tracepoints on bind(2) would put every syscall of
 * the host on the kernel's slow path while the enricher runs), the egress
 * queue (a client's first packet, before any packet tap sees it) and the
 * send/receive length tracepoints.  Packets queued from softirq run on an
 * unrelated task and are skipped.  An LRU map: closed sockets age out.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#include "runner/engine/bpf/sockets.h"

#define AF_INET 2
#define AF_INET6 10
#define PF_KTHREAD 0x00200000

char LICENSE[] SEC("license") = "GPL";

/* A cgroup sock program's context as the struct sock it is (Linux 6.2) */
extern void *bpf_cast_to_kern_ctx(void *) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SOCKETS_MAX);
	__type(key, struct sockets_key);
	__type(value, struct sockets_value);
} gadget_sockets SEC(".maps");

/* Softirqs running on this CPU (they do not nest on a CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} in_softirq SEC(".maps");

static const __u32 zero;

static __always_inline bool key_of(struct sock *sk, struct sockets_key *key)
{
	__builtin_memset(key, 0, sizeof(*key));
	key->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (key->family != AF_INET && key->family != AF_INET6)
		return false;
	key->proto = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
	if (key->proto != IPPROTO_TCP && key->proto != IPPROTO_UDP)
		return false;
	key->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!key->port)
		return false;
	key->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	return true;
}

static __always_inline void fill(struct sockets_value *v,
				 struct task_struct *task, struct sock *sk)
{
	struct task_struct *parent = BPF_CORE_READ(task, real_parent);

	v->mntns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	v->pid_tgid = (__u64)BPF_CORE_READ(task, tgid) << 32 |
		      (__u32)BPF_CORE_READ(task, pid);
	v->uid_gid = (__u64)BPF_CORE_READ(task, cred, gid.val) << 32 |
		     BPF_CORE_READ(task, cred, uid.val);
	BPF_CORE_READ_STR_INTO(&v->task, task, comm);
	if (parent) {
		BPF_CORE_READ_STR_INTO(&v->ptask, parent, comm);
		v->ppid = BPF_CORE_READ(parent, tgid);
		v->ptid = BPF_CORE_READ(parent, pid);
	}
	v->sock = (__u64)sk;
	v->ipv6only =
		BPF_CORE_READ_BITFIELD_PROBED(sk, __sk_common.skc_ipv6only);
}

/* Record task as sk's owner; with only_new, keep an owner already known. */
static __always_inline void own(struct sock *sk, struct task_struct *task,
				bool only_new)
{
	struct sockets_value v = {};
	struct sockets_key key;

	if (!key_of(sk, &key))
		return;
	if (only_new) {
		struct sockets_value *old =
			bpf_map_lookup_elem(&gadget_sockets, &key);

		if (old && old->sock == (__u64)sk)
			return;
	}
	fill(&v, task, sk);
	bpf_map_update_elem(&gadget_sockets, &key, &v, BPF_ANY);
}

static __always_inline bool current_is_user_task(void)
{
	__u32 *softirq = bpf_map_lookup_elem(&in_softirq, &zero);

	if (softirq && *softirq)
		return false;
	return !(bpf_get_current_task_btf()->flags & PF_KTHREAD);
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(softirq_entry, unsigned int vec_nr)
{
	__u32 *flag = bpf_map_lookup_elem(&in_softirq, &zero);

	if (flag)
		*flag = 1;
	return 0;
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(softirq_exit, unsigned int vec_nr)
{
	__u32 *flag = bpf_map_lookup_elem(&in_softirq, &zero);

	if (flag)
		*flag = 0;
	return 0;
}

/* Egress, in the sender's context, before packet taps see the packet. */
SEC("tp_btf/net_dev_queue")
int BPF_PROG(net_dev_queue, struct sk_buff *skb)
{
	struct sock *sk = skb->sk;

	if (!sk || !current_is_user_task())
		return 0;
	own(sk, (struct task_struct *)bpf_get_current_task(), true);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(sock_send_length, struct sock *sk, int ret, int flags)
{
	if (current_is_user_task())
		own(sk, (struct task_struct *)bpf_get_current_task(), true);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(sock_recv_length, struct sock *sk, int ret, int flags)
{
	if (current_is_user_task())
		own(sk, (struct task_struct *)bpf_get_current_task(), true);
	return 0;
}

/*
 * A bind that took a port, in the binding task's context: a server
 * started after the runner, known before it receives anything.  Attached
 * to the cgroup v2 root with BPF_F_ALLOW_MULTI (every socket of the host,
 * in any cgroup or network namespace), beside whatever others attached
 * there.  The same entry as the iterator's (the task read through
 * bpf_get_current_task(), there for CAP_PERFMON).
 */
static __always_inline int post_bind(struct bpf_sock *ctx)
{
	struct sock *sk = bpf_cast_to_kern_ctx(ctx);

	own(sk, (struct task_struct *)bpf_get_current_task(), false);
	return 1; /* allowed: the hook only looks */
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

/* Run once at start: every socket already open. */
SEC("iter/task_file")
int seed_sockets(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct socket *sock;
	struct sock *sk;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (sk)
		own(sk, task, true);
	return 0;
}
