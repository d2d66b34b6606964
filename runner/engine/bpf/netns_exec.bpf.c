/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * The runner's exec hook for network namespaces: an exec, a fork or an
 * inet socket made in a network namespace the runner has no packet
 * socket in yet is told at once, with a wake-up, so that the runner
 * attaches its socket filters there before the new program (a `dig` in `unshare -n`, a container's
 * entrypoint in its own namespace, whose runtime forked its process there
 * well before the exec) has loaded and sent anything; nothing else tells
 * of a namespace that nobody bind-mounts before its first scan.
 *
 * `known` holds the namespaces the runner is attached to (it fills and
 * empties it) and those told and not answered yet, so each is told once;
 * the runner takes out a told one it could not enter (the task ended, or
 * left it), and the next exec, fork or socket there tells it
 * again.  Any other exec or fork
 * (a thread's creation too) costs a hash lookup.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "runner/engine/bpf/netns_exec.h"

char LICENSE[] SEC("license") = "GPL";

/* the runner's process, set before load */
const volatile __u32 runner_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, NETNS_EXEC_KNOWN_MAX);
	__type(key, __u32); /* network namespace inode number */
	__type(value, __u32); /* 1: attached, 0: told */
} known SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 4096); /* 682 notes (24 bytes each) */
} notes SEC(".maps");

/*
 * Tell of task p's network namespace unless known.  BPF_CORE_READ(), as
 * containers.bpf.c (see there): CO-RE resolved against a small cached
 * BTF, never the kernel's whole one.
 */
static __always_inline int tell(struct task_struct *p)
{
	struct nsproxy *nsp = BPF_CORE_READ(p, nsproxy);
	struct netns_exec_note *n;
	__u32 netns, told = 0;

	if (!nsp)
		return 0; /* exiting */
	netns = BPF_CORE_READ(nsp, net_ns, ns.inum);
	if (!netns || bpf_map_lookup_elem(&known, &netns))
		return 0; /* the common case: attached there already */
	/* told from one CPU only; a full map: left to the scan */
	if (bpf_map_update_elem(&known, &netns, &told, BPF_NOEXIST))
		return 0;
	n = bpf_ringbuf_reserve(&notes, sizeof(*n), 0);
	if (!n) {
		bpf_map_delete_elem(&known, &netns); /* the next one tries */
		return 0;
	}
	n->netns = netns;
	n->pid = BPF_CORE_READ(p, tgid);
	n->tid = BPF_CORE_READ(p, pid);
	n->__pad = 0;
	bpf_ringbuf_submit(n, BPF_RB_FORCE_WAKEUP); /* the runner waits */
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(netns_exec, struct task_struct *p)
{
	return tell(p);
}

/*
 * A process forked in a namespace not known: a runtime's (runc's) last
 * child after its unshare(CLONE_NEWNET), the container's process to be,
 * tens of milliseconds before its exec.  Threads too (one lookup each).
 */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(netns_fork, struct task_struct *parent, struct task_struct *child)
{
	return tell(child);
}

/*
 * A socket made in a namespace not known: a task that made or entered
 * one itself (unshare(2), setns(2)) with no fork or exec after it, a
 * thread of its own in it (Go's netns users lock one to its thread),
 * tells of it as it makes the socket it will send from.  A cgroup hook
 * on the creation of inet sockets, where syscall tracepoints on unshare
 * and setns would put every syscall of the host on the slow path.
 */
SEC("cgroup/sock_create")
int netns_sock(struct bpf_sock *sk)
{
	/* not the runner's own sockets */
	if (bpf_get_current_pid_tgid() >> 32 != runner_tgid)
		tell((struct task_struct *)bpf_get_current_task());
	return 1; /* allowed: the hook only looks */
}
