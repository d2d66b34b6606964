/* SPDX-License-Identifier: Apache-2.0 */
/* Scope-bound cleanup for locals that own something (see STYLE.md). */
#ifndef COMMON_CLEANUP_H
#define COMMON_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))

/* Hand ownership over: returns the pointer and clears the local. */
#define steal_ptr(p)                       \
	({                                 \
		__typeof__(p) __tmp = (p); \
		(p) = NULL;                \
		__tmp;                     \
	})

#define steal_fd(fd)              \
	({                        \
		int __tmp = (fd); \
		(fd) = -1;        \
		__tmp;            \
	})

#endif
