/* SPDX-License-Identifier: Apache-2.0 */
/*
 * FNV-1a hashing (32- and 64-bit) of fixed-size values, byte by byte from
 * the least significant: fnv_<bits>a_update_u<width>(&hash, value).
 */
#ifndef GADGET_FNV1A_H
#define GADGET_FNV1A_H

static __always_inline __u32 fnv_32a_init(void)
{
	return 2166136261U;
}

static __always_inline __u64 fnv_64a_init(void)
{
	return 14695981039346656037ULL;
}

#define __GADGET_FNV_STEP(name, htype, vtype, prime)                          \
	static __always_inline void name(htype *hash, vtype value)            \
	{                                                                     \
		for (unsigned int i = 0; i < sizeof(vtype); i++) {            \
			*hash = (*hash ^ (__u8)(value >> (8 * i))) * (prime); \
		}                                                             \
	}

__GADGET_FNV_STEP(fnv_32a_update_u8, __u32, __u8, 16777619U)
__GADGET_FNV_STEP(fnv_32a_update_u16, __u32, __u16, 16777619U)
__GADGET_FNV_STEP(fnv_32a_update_u32, __u32, __u32, 16777619U)
__GADGET_FNV_STEP(fnv_32a_update_u64, __u32, __u64, 16777619U)
__GADGET_FNV_STEP(fnv_64a_update_u8, __u64, __u8, 1099511628211ULL)
__GADGET_FNV_STEP(fnv_64a_update_u16, __u64, __u16, 1099511628211ULL)
__GADGET_FNV_STEP(fnv_64a_update_u32, __u64, __u32, 1099511628211ULL)
__GADGET_FNV_STEP(fnv_64a_update_u64, __u64, __u64, 1099511628211ULL)

#undef __GADGET_FNV_STEP

#endif /* GADGET_FNV1A_H */
