/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Names in a gadget's BTF, which comes from its image: libbpf's checks
 * when it opens an object let a member's, an enum value's or a variable's
 * name offset point past the string section, where btf__name_by_offset()
 * gives NULL.  Code that reads a gadget's BTF takes its names from here.
 */
#ifndef RUNNER_ENGINE_BTF_NAME_H
#define RUNNER_ENGINE_BTF_NAME_H

#include <bpf/btf.h>

/* The name at off, "" when off lies outside the strings. */
static inline const char *btf_name(const struct btf *btf, __u32 off)
{
	const char *s = btf__name_by_offset(btf, off);

	return s ? s : "";
}

#endif
