/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sending events to the runner through a BPF ring buffer.
 *
 * Wake-ups are what tracing costs most at high event rates.  Records are
 * committed with no flag: the kernel then wakes the reader only for the
 * first record after the ring was read to its end, which the runner lets
 * happen only once the ring has been quiet for a while (it keeps the last
 * record it read while records come, and consumes the ring every few
 * milliseconds).  Past 1/2^GADGET_WAKEUP_SHIFT of the ring unread, every
 * record wakes it.  Never BPF_RB_NO_WAKEUP: a quiet runner would see the
 * record only at its next timeout.  Records that do not fit are counted,
 * per CPU, in gadget_lost (key 0), which the runner sums and reports.
 */
#ifndef GADGET_BUFFER_H
#define GADGET_BUFFER_H

#include <bpf/bpf_helpers.h>

#ifndef GADGET_WAKEUP_SHIFT
#define GADGET_WAKEUP_SHIFT 3
#endif

/* A ring buffer of size bytes (a power of two, multiple of the page size). */
#define GADGET_TRACER_MAP(name, size)               \
	struct {                                    \
		__uint(type, BPF_MAP_TYPE_RINGBUF); \
		__uint(max_entries, size);          \
	} name SEC(".maps");                        \
	const void *gadget_map_tracer_##name __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} gadget_lost SEC(".maps");

static __always_inline void gadget_count_lost(void)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&gadget_lost, &zero);

	if (lost)
		*lost += 1; /* per-CPU slot: no other writer */
}

/* BPF_RB_FORCE_WAKEUP once the reader is behind, else 0 (see above). */
static __always_inline __u64 gadget_wakeup_flags(void *map)
{
	__u64 avail = bpf_ringbuf_query(map, BPF_RB_AVAIL_DATA);
	__u64 size = bpf_ringbuf_query(map, BPF_RB_RING_SIZE);

	return avail > (size >> GADGET_WAKEUP_SHIFT) ? BPF_RB_FORCE_WAKEUP : 0;
}

/* Reserve size bytes in map; NULL (and counted as lost) when full. */
static __always_inline void *gadget_reserve_buf(void *map, __u64 size)
{
	void *buf = bpf_ringbuf_reserve(map, size, 0);

	if (!buf)
		gadget_count_lost();
	return buf;
}

/* Give back a reservation without sending it (no flag either: a record
 * after it may have been committed first, and not woken the reader). */
static __always_inline void gadget_discard_buf(void *buf)
{
	bpf_ringbuf_discard(buf, 0);
}

/* Send a record obtained from gadget_reserve_buf(). */
static __always_inline long gadget_submit_buf(void *ctx __attribute__((unused)),
					      void *map, void *buf,
					      __u64 size
					      __attribute__((unused)))
{
	bpf_ringbuf_submit(buf, gadget_wakeup_flags(map));
	return 0;
}

/* Copy size bytes from buf (stack or map memory) into map and send them. */
static __always_inline long gadget_output_buf(void *ctx __attribute__((unused)),
					      void *map, void *buf, __u64 size)
{
	long err = bpf_ringbuf_output(map, buf, size, gadget_wakeup_flags(map));

	if (err)
		gadget_count_lost();
	return err;
}

#endif /* GADGET_BUFFER_H */
