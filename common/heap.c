// SPDX-License-Identifier: Apache-2.0
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/heap.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

void heap_prefault(size_t bytes)
{
#ifndef __SANITIZE_ADDRESS__
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), a, e;
	char *p;

	if (!bytes || bytes > INT32_MAX / 2)
		return;
	/* helper threads allocate here too, not in arenas of their own */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, (int)bytes * 2);
	/* the freed block kept, not given back at once */
	mallopt(M_TRIM_THRESHOLD, (int)bytes * 2);
	p = malloc(bytes);
	if (!p)
		return;
	a = ((uintptr_t)p + page - 1) & ~(page - 1);
	e = ((uintptr_t)p + bytes) & ~(page - 1);
	if (e > a)
		madvise((void *)a, e - a, MADV_POPULATE_WRITE);
	free(p);
#else
	(void)bytes;
#endif
}
