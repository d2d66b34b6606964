/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * The runner's exec hook for network namespaces: an exec in a network
 * namespace the runner has no packet socket in yet is told at once, with
 * a wake-up, so that the runner attaches its socket filters there before
 * the new program (a `dig` in `unshare -n`, a container's entrypoint in
 * its own namespace) has loaded and sent anything; nothing else tells of
 * a namespace that nobody bind-mounts before its first scan.
 *
 * `known` holds the namespaces the runner is attached to (it fills and
 * empties it) and those told and not answered yet, so each is told once;
 * the runner takes out a told one it could not enter (the process ended),
 * and the next exec there tells it again.  Any other exec costs a hash
 * lookup.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "runner/engine/bpf/netns_exec.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, NETNS_EXEC_KNOWN_MAX);
	__type(key, __u32); /* network namespace inode number */
	__type(value, __u32); /* 1: attached, 0: told */
} known SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 4096); /* 1024 notes */
} notes SEC(".maps");

/*
 * A raw tracepoint and BPF_CORE_READ(), as containers.bpf.c (see there):
 * CO-RE resolved against a small cached BTF, never the kernel's whole one.
 */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(netns_exec, struct task_struct *p)
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
		bpf_map_delete_elem(&known, &netns); /* the next exec tries */
		return 0;
	}
	n->netns = netns;
	n->pid = BPF_CORE_READ(p, tgid);
	bpf_ringbuf_submit(n, BPF_RB_FORCE_WAKEUP); /* the runner waits */
	return 0;
}
