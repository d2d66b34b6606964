/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the engine: the programs of a gadget that it runs. */
#ifndef RUNNER_ENGINE_LOADED_H
#define RUNNER_ENGINE_LOADED_H

#include <bpf/libbpf.h>

/*
 * The program after p in obj (the first when p is NULL) that loads.  A
 * program the gadget marks not to load (libbpf's SEC("?..."): autoload
 * off) is neither loaded nor attached nor run, nor counted in what the
 * host must offer: every loop of the engine that acts on programs walks
 * them with for_each_loaded_program().
 */
static inline struct bpf_program *
loaded_program_next(const struct bpf_object *obj, struct bpf_program *p)
{
	do
		p = bpf_object__next_program(obj, p);
	while (p && !bpf_program__autoload(p));
	return p;
}

#define for_each_loaded_program(p, obj)                           \
	for ((p) = loaded_program_next((obj), NULL); (p) != NULL; \
	     (p) = loaded_program_next((obj), (p)))

#endif
