/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Log2 histogram slots.  Slot 0 holds 0, slot n (n >= 1) the values in
 * [2^(n-1), 2^n); the runner renders gadget_histogram_slot arrays so.
 */
#ifndef GADGET_BITS_BPF_H
#define GADGET_BITS_BPF_H

/* floor(log2(v)) for v > 0, 0 for v == 0; branch-free halving steps. */
static __always_inline __u64 log2(__u32 v)
{
	__u32 r = 0, s;

	s = (v >= 1U << 16) << 4;
	v >>= s;
	r |= s;
	s = (v >= 1U << 8) << 3;
	v >>= s;
	r |= s;
	s = (v >= 1U << 4) << 2;
	v >>= s;
	r |= s;
	s = (v >= 1U << 2) << 1;
	v >>= s;
	r |= s;
	return r | (v >> 1);
}

/* floor(log2(v)) of a 64-bit value (0 for 0). */
static __always_inline __u64 log2l(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? log2(hi) + 32 : log2((__u32)v);
}

/* The histogram slot of v: 0 for 0, else floor(log2(v)) + 1. */
static __always_inline __u64 get_slot_idx(__u64 v)
{
	return v ? log2l(v) + 1 : 0;
}

#endif /* GADGET_BITS_BPF_H */
