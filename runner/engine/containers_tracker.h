/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runner's exec hook (runner/engine/bpf/containers.bpf.c, embedded as a
 * libbpf skeleton): at the first exec it sees in a mount namespace, the
 * kernel tells which cgroup the exec'ing process is in.
 */
#ifndef RUNNER_CONTAINERS_TRACKER_H
#define RUNNER_CONTAINERS_TRACKER_H

#include <stdbool.h>

#include "common/error.h"
#include "runner/engine/bpf/containers.h"

struct containers_tracker;

typedef void (*containers_note_fn)(void *ctx, const struct containers_note *n);

/* Load and attach the hook; fails without BTF, tp_btf or privileges. */
int containers_tracker_new(containers_note_fn fn, void *ctx,
			   struct containers_tracker **out, struct error **err);
void containers_tracker_free(struct containers_tracker *t);
/* The pod selection maps of the hook (containers.bpf.c): mount namespace
 * filter (u64 -> u32) and selected network namespaces (u32 -> u32). */
void containers_tracker_filter_fds(const struct containers_tracker *t,
				   int *mntns_fd, int *netns_fd);
/* The notes' ring: readable (woken) at each note, for a reader that acts
 * on new containers at once. */
int containers_tracker_notes_fd(const struct containers_tracker *t);
/* Pass every pending note to fn, oldest first: memory reads only, no
 * system call.  Returns how many. */
int containers_tracker_consume(struct containers_tracker *t);
/* Those made up to until (boot ns), stopping at the first later one that
 * later() (containers_tracker_set_later(); without it, any) keeps for later
 * (asked once: it then waits for an until past it). */
int containers_tracker_consume_until(struct containers_tracker *t, __u64 until);
/* Is a note kept for later (consume_until())? */
bool containers_tracker_holding(const struct containers_tracker *t);
/* The note kept for later, to fn now if it is about process pid in mount
 * namespace mntns; 1 if it was. */
int containers_tracker_take_held(struct containers_tracker *t, __u64 mntns,
				 __u32 pid);
typedef bool (*containers_later_fn)(void *ctx, const struct containers_note *n);
void containers_tracker_set_later(struct containers_tracker *t,
				  containers_later_fn later);

#endif
