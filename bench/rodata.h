/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For the bench tools that load trace_dns's object themselves (progrun,
 * verifcost): a one-byte .rodata variable set before load, as the runner
 * sets gadget_rest_wanted.
 */
#ifndef BENCH_RODATA_H
#define BENCH_RODATA_H

#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

/* Set the one-byte .rodata variable var to v, if the object has it. */
static inline void rodata_set(struct bpf_object *obj, const char *var, char v)
{
	struct bpf_map *ro = bpf_object__find_map_by_name(obj, ".rodata");
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *t;
	char copy[4096];
	const void *init;
	size_t size;
	int id;

	if (!ro || !btf)
		return;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	init = bpf_map__initial_value(ro, &size);
	if (id < 0 || !init || size > sizeof(copy))
		return;
	memcpy(copy, init, size);
	t = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(t);
	for (int i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *vt = btf__type_by_id(btf, vs->type);

		if (!strcmp(btf__name_by_offset(btf, vt->name_off), var) &&
		    vs->size == 1 && vs->offset < size) {
			copy[vs->offset] = v;
			bpf_map__set_initial_value(ro, copy, size);
			return;
		}
	}
}

#endif /* BENCH_RODATA_H */
