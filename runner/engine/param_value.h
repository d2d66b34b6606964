/* SPDX-License-Identifier: Apache-2.0 */
/* A gadget param's value from its text (gadget.c, for .rodata). */
#ifndef RUNNER_ENGINE_PARAM_VALUE_H
#define RUNNER_ENGINE_PARAM_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "common/error.h"

struct btf;

/*
 * Write value into out (size bytes) as BTF type type_id: bool (1 or 0,
 * from any spelling go_parse_param_bool() takes), integers
 * (range-checked, 0x.. accepted), enums (by number), strings (char
 * arrays), comma-separated integer lists (arrays; the rest zero-filled),
 * IP addresses (union gadget_ip_addr_t, struct gadget_l3endpoint_t).
 * Errors name the param var.
 */
int param_value_parse(const struct btf *btf, __u32 type_id, const char *var,
		      const char *value, void *out, size_t size,
		      struct error **err);
/* Is type_id a bool (its flag may go without a value, as in ig)? */
bool param_value_is_bool(const struct btf *btf, __u32 type_id);
/*
 * Is name one of the type names on the way from type_id to its base type
 * through typedefs, const, volatile and array elements ("gadget_pid" and
 * "__u32" for a const volatile gadget_pid), as ig's btfhelpers.GetType()
 * lists them to name its well-known params?
 */
bool param_type_named(const struct btf *btf, __u32 type_id, const char *name);

#endif
