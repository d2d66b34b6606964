/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The processes runner/engine/uprobes.c follows: a fixed table (open
 * addressing, linear probing, deletion by moving entries back: no
 * tombstones, no allocation after init) of tgid -> the files it maps.
 */
#ifndef RUNNER_UPROBES_PROCS_H
#define RUNNER_UPROBES_PROCS_H

#include <stddef.h>

#include <linux/types.h>

struct uproc {
	__u32 tgid; /* 0: a free slot */
	__u64 files; /* bits of the files it maps */
};

struct uprocs {
	struct uproc *slots;
	size_t cap; /* slots */
	size_t max; /* entries at most (below cap: a free slot always) */
	size_t n;
};

/* cap slots for max entries (max < cap); -1 without memory. */
int uprocs_init(struct uprocs *t, size_t cap, size_t max);
void uprocs_fini(struct uprocs *t);
/* The entry of tgid (non-zero), or the free slot it would take. */
struct uproc *uprocs_slot(struct uprocs *t, __u32 tgid);
/* Take tgid into free slot s (uprocs_slot()'s): NULL when full. */
struct uproc *uprocs_add(struct uprocs *t, struct uproc *s, __u32 tgid);
/* Take entry s out; entries after it may move (slots change). */
void uprocs_remove(struct uprocs *t, struct uproc *s);

#endif
