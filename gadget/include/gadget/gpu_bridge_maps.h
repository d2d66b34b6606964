/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The GPU metrics maps of ig's gpu-ebpf-bridge, pinned by name in bpffs:
 * a gadget that declares one shares the bridge's map (or creates and pins
 * an empty one when no bridge runs).  Select the maps with these macros
 * before including: GPU_BRIDGE_WANT_META, _DEVICE, _PER_PID,
 * _PER_PID_PER_DEVICE, or _ALL.
 */
#ifndef GADGET_GPU_BRIDGE_MAPS_H
#define GADGET_GPU_BRIDGE_MAPS_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <gadget/gpu_types.h>

#ifdef GPU_BRIDGE_WANT_ALL
#define GPU_BRIDGE_WANT_META
#define GPU_BRIDGE_WANT_DEVICE
#define GPU_BRIDGE_WANT_PER_PID
#define GPU_BRIDGE_WANT_PER_PID_PER_DEVICE
#endif

#ifdef GPU_BRIDGE_WANT_META
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gpu_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gpu_meta SEC(".maps");

/* The bridge's record if it polled within stale_threshold_ms of
 * now_boot_ns (CLOCK_BOOTTIME), else NULL. */
static __always_inline struct gpu_meta *gpu_meta_fresh(__u64 now_boot_ns,
						       __u64 stale_threshold_ms)
{
	__u32 zero = 0;
	struct gpu_meta *m = bpf_map_lookup_elem(&gpu_meta, &zero);

	if (!m || now_boot_ns - m->last_update_boottime_ns >
			  stale_threshold_ms * 1000000ULL)
		return NULL;
	return m;
}
#endif

#ifdef GPU_BRIDGE_WANT_DEVICE
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GPU_MAX_DEVICES);
	__type(key, __u32);
	__type(value, struct gpu_device_metrics);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gpu_device SEC(".maps");
#endif

#ifdef GPU_BRIDGE_WANT_PER_PID
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tgid in the initial pid namespace */
	__type(value, struct gpu_pid_metrics_aggregated);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gpu_per_pid SEC(".maps");

/* tgid's record if it holds at least min_bytes of GPU memory, else NULL. */
static __always_inline struct gpu_pid_metrics_aggregated *
gpu_pid_holder(__u32 tgid, __u64 min_bytes)
{
	struct gpu_pid_metrics_aggregated *a =
		bpf_map_lookup_elem(&gpu_per_pid, &tgid);

	return a && a->used_gpu_memory_total >= min_bytes ? a : NULL;
}
#endif

#ifdef GPU_BRIDGE_WANT_PER_PID_PER_DEVICE
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* tgid << 32 | device index */
	__type(value, struct gpu_pid_metrics);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gpu_per_pid_per_device SEC(".maps");
#endif

#endif /* GADGET_GPU_BRIDGE_MAPS_H */
