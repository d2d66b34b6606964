/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Filtering by mount namespace: when the runner sets gadget_filter_by_mntns,
 * only events whose mount namespace is a key of gadget_mntns_filter_map (the
 * selected containers) are kept.
 */
#ifndef GADGET_MNTNS_FILTER_H
#define GADGET_MNTNS_FILTER_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h> /* gadgets expect BPF_KPROBE() etc. from here */
#include <gadget/tracing_compat.h>
#include <gadget/types.h>

const volatile bool gadget_filter_by_mntns = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, gadget_mntns_id);
	__type(value, __u32);
} gadget_mntns_filter_map SEC(".maps");

static __always_inline bool
gadget_should_discard_mntns_id(gadget_mntns_id mntns_id)
{
	if (!gadget_filter_by_mntns)
		return false;
	return !bpf_map_lookup_elem(&gadget_mntns_filter_map, &mntns_id);
}

#endif /* GADGET_MNTNS_FILTER_H */
