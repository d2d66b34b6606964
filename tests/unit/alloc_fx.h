/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The allocations of a test linked with $(ALLOC_WRAP) (Makefile: -Wl,--wrap
 * of malloc, calloc, realloc, strdup and strndup), those librunner.a and
 * the test make (not shared libraries' own: jansson, libyaml), counted in
 * alloc_calls; after alloc_fail(N) the Nth from then on fails (0: none).
 */
#ifndef TESTS_UNIT_ALLOC_FX_H
#define TESTS_UNIT_ALLOC_FX_H

#include <stdbool.h>
#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static unsigned alloc_calls, alloc_fail_at;

/* Fail the kth allocation from now on (0: none). */
static inline void alloc_fail(unsigned k)
{
	alloc_calls = 0;
	alloc_fail_at = k;
}

static inline bool alloc_fails(void)
{
	return ++alloc_calls == alloc_fail_at && alloc_fail_at;
}

void *__wrap_malloc(size_t n)
{
	return alloc_fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
	return alloc_fails() ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return alloc_fails() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return alloc_fails() ? NULL : __real_strndup(s, n);
}

#endif
