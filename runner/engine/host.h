/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a gadget needs from the host before it loads: privileges, and the
 * kernel file systems that libbpf reads (tracefs, for the ids of
 * tracepoints). A fresh host has nothing mounted on tracefs, so the runner
 * mounts it, as ig does with its auto-mount option.
 */
#ifndef RUNNER_HOST_H
#define RUNNER_HOST_H

#include <stdbool.h>

#include "common/error.h"

#define HOST_TRACEFS "/sys/kernel/tracing"
#define HOST_BTF "/sys/kernel/btf/vmlinux"
#define HOST_BPFFS "/sys/fs/bpf"

struct host_needs {
	bool tracefs; /* tracepoint programs: libbpf reads their ids there */
	bool net_raw; /* socket filters on AF_PACKET sockets */
	bool bpffs; /* maps pinned by name: libbpf pins under /sys/fs/bpf */
	const char *kprobe; /* a kprobe program's section, NULL: none */
	const char *kprobe_prog; /* and its name */
};

/*
 * Fail, naming every missing capability, unless the process has what
 * loading and attaching need: CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN (mounts,
 * entering network namespaces), CAP_NET_RAW for socket filters. Kernels
 * before 5.8 have no CAP_BPF/CAP_PERFMON: CAP_SYS_ADMIN stands for them.
 */
int host_check_caps(const struct host_needs *needs, struct error **err);

/*
 * Make tracefs reachable where libbpf looks for it: nothing to do when
 * /sys/kernel/tracing (or debugfs's tracing/) is tracefs already, else
 * mount it on /sys/kernel/tracing and set *mounted. On failure the message
 * names the command that fixes it.
 */
int host_ensure_tracefs(bool *mounted, struct error **err);

/*
 * Fail with a clear line, before anything is loaded, when the gadget has a
 * kprobe program and the kernel has no kprobes (no kprobe PMU, which libbpf
 * attaches through, nor tracefs's kprobe_events, its older way).
 */
int host_check_kprobes(const struct host_needs *needs, struct error **err);

/*
 * Fail with a clear line when /proc is not procfs (a mount namespace
 * without it): processes, namespaces and the runner's own descriptors
 * (the kernel's BTF libbpf is given, /proc/self/fd/N) are read there.
 */
int host_check_proc(struct error **err);

/* Fail with a clear line when the kernel offers no BTF (CO-RE needs it). */
int host_check_btf(struct error **err);

/* The same for bpffs on /sys/fs/bpf (for maps pinned by name). */
int host_ensure_bpffs(bool *mounted, struct error **err);

#endif
