/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Named counters a gadget keeps and the runner reports, like lost events:
 * GADGET_COUNTER(name) makes a per-CPU map gadget_counter_<name>; the
 * runner sums it once a second and says how much it grew, and gives the
 * totals when it stops.  For what a gadget could not do and must not hide
 * (entries it had no room to follow, messages too large to decode).
 */
#ifndef GADGET_COUNTER_H
#define GADGET_COUNTER_H

#include <bpf/bpf_helpers.h>

#define GADGET_COUNTER(name)                             \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
		__uint(max_entries, 1);                  \
		__type(key, __u32);                      \
		__type(value, __u64);                    \
	} gadget_counter_##name SEC(".maps")

/* Add n to a counter made by GADGET_COUNTER (&gadget_counter_<name>). */
static __always_inline void gadget_counter_add(void *map, __u64 n)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(map, &key);

	if (v)
		*v += n; /* per-CPU slot: no other writer */
}

#endif /* GADGET_COUNTER_H */
