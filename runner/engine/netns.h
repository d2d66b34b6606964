/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Socket filters in every network namespace of the host.  For each
 * namespace the runner opens an AF_PACKET socket there and attaches a tiny
 * dispatcher that writes the namespace's inode number into skb->cb[0] and
 * tail-calls the gadget's program, so one verified program serves every
 * namespace.  netns_scan() picks up new namespaces (processes' and bind
 * mounts: /run/netns, docker's) and lets go of those that disappeared;
 * netns_mounted() takes in the bind mounts at once, when the mount table
 * changed, before a container's first process runs there; a thread of
 * the set those where a task was forked or exec'd, or made an inet socket
 * (after unshare(2) or setns(2) there), and that the runner has no socket in,
 * before that task sends anything (unshare -n, a runtime's own namespace
 * that it does not bind-mount, a thread's own).  netns_scan() and
 * netns_mounted() may run beside it (a lock).
 */
#ifndef RUNNER_NETNS_H
#define RUNNER_NETNS_H

#include <stddef.h>

#include <stdbool.h>

#include "common/error.h"

struct netns_set;

/*
 * The dispatcher: cb[0] = ino; tail-call prog_array's program 0; else
 * return verdict.  A program of prog_type (BPF_PROG_TYPE_SOCKET_FILTER
 * here, BPF_PROG_TYPE_SCHED_CLS for runner/engine/tc.c), its fd or a
 * negative errno.  Its name is NETNS_DISPATCHER (tc shows it).
 */
#define NETNS_DISPATCHER "netns_disp"
int netns_dispatcher_load(int prog_type, int prog_array, unsigned long ino,
			  int verdict);
/* prog_fds: the gadget's socket filter programs (n at most 8). */
int netns_set_new(const int *prog_fds, size_t n, struct netns_set **out,
		  struct error **err);
void netns_set_free(struct netns_set *set);
/* Attach to new namespaces, detach from vanished ones. */
int netns_scan(struct netns_set *set, struct error **err);
/* Readable (EPOLLIN, edge) when a mount came or went; -1: none. */
int netns_mounts_fd(const struct netns_set *set);
/* After a mount came or went: attach to new bind-mounted namespaces (no
 * letting go; without a change, one poll() and nothing else).  Linux 6.8+:
 * the mounts made since the last call are read (listmount(2)), at once.
 * Before: the whole table, at most once per NETNS_MOUNTS_GAP_MS; a change
 * seen sooner is pending (netns_mounts_pending()) until a call after the
 * gap. */
#define NETNS_MOUNTS_GAP_MS 10
int netns_mounted(struct netns_set *set, struct error **err);
bool netns_mounts_pending(const struct netns_set *set);
/* A thread attaches at once to the namespace of an exec, fork, unshare
 * or setns the runner has no socket in yet (runner/engine/netns_exec.h): its error, if
 * any. */
int netns_noted(struct netns_set *set, struct error **err);

/* A network namespace: nsfd an open descriptor of it (the caller's to
 * keep only for the call), ino its inode number. */
typedef int (*netns_visit_fn)(void *ctx, int nsfd, unsigned long ino,
			      struct error **err);
/*
 * Call fn once for every network namespace of the host now, as
 * netns_scan() finds them (the runner's first, then bind mounts and
 * processes'; not a thread's own), until fn fails.
 */
int netns_each(netns_visit_fn fn, void *ctx, struct error **err);
/*
 * Run fn(ctx) with the calling thread in network namespace nsfd, then
 * back in the one it was in (the other threads stay where they are):
 * fn's result, or -1 if the thread could not enter or come back.  A
 * thread that could not come back has that as its error, whatever fn's:
 * the caller must end the run (the thread is in the other namespace).
 */
int netns_call_in(int nsfd, int (*fn)(void *ctx, struct error **err), void *ctx,
		  struct error **err);

#endif
