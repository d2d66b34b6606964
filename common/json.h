/* SPDX-License-Identifier: Apache-2.0 */
/* Scope-bound cleanup for jansson values (see common/cleanup.h). */
#ifndef COMMON_JSON_H
#define COMMON_JSON_H

#include <jansson.h>

static inline void cleanup_json_decrefp(json_t **j)
{
	json_decref(*j);
}

#define cleanup_json __attribute__((cleanup(cleanup_json_decrefp)))

#endif
