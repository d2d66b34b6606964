/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * The runner's exec hook for network namespaces (netns_exec.bpf.c) and
 * runner/engine/netns_exec.c share this: the note of an exec, a fork or
 * an inet socket made in a network namespace the runner has no packet
 * socket in yet.
 */
#ifndef RUNNER_BPF_NETNS_EXEC_H
#define RUNNER_BPF_NETNS_EXEC_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* namespaces the hook tells apart at once: past it, the scan finds them */
#define NETNS_EXEC_KNOWN_MAX 65536

/* One record of the ring buffer. */
struct netns_exec_note {
	__u32 netns; /* network namespace inode number */
	__u32 pid; /* the process (tgid) */
	__u32 tid; /* its thread there: the namespace is a thread's */
	__u32 __pad;
};

#endif
