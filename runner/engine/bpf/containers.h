/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * The runner's own eBPF program (containers.bpf.c) and runner/engine/containers.c
 * share this: what the kernel tells about the first exec it sees in a
 * mount namespace.
 */
#ifndef RUNNER_BPF_CONTAINERS_H
#define RUNNER_BPF_CONTAINERS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* cgroup path components recorded, leaf first */
#define CONTAINERS_CGROUP_DEPTH 4
/* bytes per component: "cri-containerd-<64 hex>.scope" is 86 */
#define CONTAINERS_NAME_LEN 128

/* What the kernel keeps per mount namespace inode number. */
struct containers_seen {
	__u64 mntns_instance;
	__u64 cgroup_id;
};

/* One record of the ring buffer. */
struct containers_note {
	__u64 mntns; /* mount namespace inode number */
	/*
	 * The namespace itself: inode numbers are reused at once, this is
	 * not (ns_common.ns_id in recent kernels, mnt_namespace.seq
	 * before); 0 if the kernel has neither.
	 */
	__u64 mntns_instance;
	__u64 cgroup_id; /* bpf_get_current_cgroup_id() */
	/* when (bpf_ktime_get_boot_ns(), as gadgets' timestamps): events
	 * from before it are about the namespace that had the number then */
	__u64 boot_ns;
	__u32 pid; /* the exec'ing process (tgid) */
	__u32 depth; /* names[0..depth-1] are set */
	/* kernfs names of the cgroup, its parent, ... ("" for the root) */
	char names[CONTAINERS_CGROUP_DEPTH][CONTAINERS_NAME_LEN];
};

#endif
