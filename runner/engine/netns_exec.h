/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runner's exec hook for network namespaces
 * (runner/engine/bpf/netns_exec.bpf.c, embedded as a libbpf skeleton): an
 * exec, a fork, an unshare or a setns in a network namespace not marked
 * known is told at once,
 * with a wake-up, once per namespace until it is marked or forgotten.
 */
#ifndef RUNNER_NETNS_EXEC_H
#define RUNNER_NETNS_EXEC_H

#include <stdbool.h>

#include <linux/types.h>

#include "common/error.h"

struct netns_exec;

/* One note: an exec, fork or inet socket of thread tid of process pid
 * in namespace netns; < 0 stops the consume, which returns it. */
typedef int (*netns_exec_fn)(void *ctx, __u32 netns, __u32 pid, __u32 tid);

/* Load and attach the hook; fails without BTF, raw tracepoints or
 * privileges (without cgroup v2, sockets are not told). */
int netns_exec_new(netns_exec_fn fn, void *ctx, struct netns_exec **out,
		   struct error **err);
void netns_exec_free(struct netns_exec *x);
/* Readable (EPOLLIN) when notes wait. */
int netns_exec_fd(const struct netns_exec *x);
/* Pass every pending note to fn: memory reads only when there is none. */
int netns_exec_consume(struct netns_exec *x);
/* Mark netns known (attached there: not told again) or forget it (told
 * again at its next exec). */
void netns_exec_known(struct netns_exec *x, __u32 netns, bool known);

#endif
