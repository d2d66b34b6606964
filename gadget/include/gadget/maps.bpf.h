/* SPDX-License-Identifier: Apache-2.0 */
/* Map helpers shared by aggregating gadgets (profile_*, top_*, advise_*). */
#ifndef GADGET_MAPS_BPF_H
#define GADGET_MAPS_BPF_H

#include <bpf/bpf_helpers.h>

#define __GADGET_EEXIST 17

/*
 * The value of key in map, inserting a copy of init first when the key is
 * missing.  NULL when the map is full.  Two CPUs racing on a new key both
 * get the one value that won.
 */
static __always_inline void *
bpf_map_lookup_or_try_init(void *map, const void *key, const void *init)
{
	void *val = bpf_map_lookup_elem(map, key);
	long err;

	if (val)
		return val;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -__GADGET_EEXIST)
		return NULL;
	return bpf_map_lookup_elem(map, key);
}

#endif /* GADGET_MAPS_BPF_H */
