/* SPDX-License-Identifier: Apache-2.0 */
/* The one grower of the arrays and buffers that double as they fill. */
#ifndef COMMON_GROW_H
#define COMMON_GROW_H

#include <stddef.h>

/*
 * Room for want items of elem bytes in *arr, which has room for *cap:
 * when want > *cap, *cap doubles (from first when 0) until it holds
 * want, and *arr is reallocated to it.  0, or -1 when there is no memory
 * (or the size overflows), *arr and *cap as they were.
 */
int grow_array(void **arr, size_t *cap, size_t want, size_t elem, size_t first);

#endif
