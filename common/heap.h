/* SPDX-License-Identifier: Apache-2.0 */
/* The heap's first pages made in one call instead of a fault each. */
#ifndef COMMON_HEAP_H
#define COMMON_HEAP_H

#include <stddef.h>

/*
 * Make the next `bytes` of heap resident now, for every thread of the
 * process: one arena, allocations below twice `bytes` from it rather
 * than mmap'd each, and its pages populated in one madvise(2)
 * (MADV_POPULATE_WRITE).  A page touched first costs a fault; under
 * shadow paging (a PVM guest) ~15 us, and still ~7 us when populated in
 * bulk, its first touch filling the shadow entry (bench/RESULTS.md).
 * Freed, the block stays in the heap for what comes next; malloc_trim(0)
 * gives back what was not used.  Nothing under a sanitizer, whose
 * allocator is its own; on a kernel before 5.14 the pages come as they
 * are touched.
 */
void heap_prefault(size_t bytes);

#endif
