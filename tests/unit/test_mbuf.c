// SPDX-License-Identifier: Apache-2.0
/*
 * The metrics' text buffer (runner/engine/metrics_render.c): mbuf_printf()
 * formats a line of any length in the buffer itself, allocating nothing
 * when there is room and only the buffer's growth when there is not; a
 * failed growth keeps the text before it.  malloc and realloc are wrapped
 * (-Wl,--wrap) to count them and to fail one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runner/engine/metrics.h"

void *__real_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_realloc(void *p, size_t n);

static int allocs;
static bool fail_realloc;

void *__wrap_malloc(size_t n)
{
	allocs++;
	return __real_malloc(n);
}

void *__wrap_realloc(void *p, size_t n)
{
	allocs++;
	return fail_realloc ? NULL : __real_realloc(p, n);
}

static void fill(char *s, char c, size_t n)
{
	memset(s, c, n);
	s[n] = '\0';
}

/* A line longer than any fixed scratch buffer, with room for it: written
 * whole, with nothing allocated. */
static void printf__long_line_with_room__no_allocation(void **state)
{
	struct mbuf b = { 0 };
	char name[1500], want[1600];

	(void)state;
	fill(name, 'n', sizeof(name) - 1);
	mbuf_puts(&b, "x");
	b.len = 0; /* 4096 bytes of room */
	allocs = 0;
	mbuf_printf(&b, "%s_total %d\n", name, 7);
	assert_int_equal(allocs, 0);
	snprintf(want, sizeof(want), "%s_total 7\n", name);
	assert_string_equal(b.p, want);
	assert_int_equal(b.len, strlen(want));
	mbuf_free(&b);
}

/* Past the room there is: the buffer grows once and the line is whole,
 * after what was there. */
static void printf__past_the_room__grows_once(void **state)
{
	struct mbuf b = { 0 };
	char name[5000], want[5100];

	(void)state;
	fill(name, 'm', sizeof(name) - 1);
	mbuf_puts(&b, "# TYPE ");
	allocs = 0;
	mbuf_printf(&b, "%s gauge\n", name);
	assert_int_equal(allocs, 1);
	snprintf(want, sizeof(want), "# TYPE %s gauge\n", name);
	assert_string_equal(b.p, want);
	assert_int_equal(b.len, strlen(want));
	assert_false(b.oom);
	mbuf_free(&b);
}

/* No memory to grow: oom, and the text before stays as it was. */
static void printf__no_memory__oom_text_kept(void **state)
{
	struct mbuf b = { 0 };
	char name[5000];

	(void)state;
	fill(name, 'o', sizeof(name) - 1);
	mbuf_puts(&b, "a 1\n");
	fail_realloc = true;
	mbuf_printf(&b, "%s 2\n", name);
	fail_realloc = false;
	assert_true(b.oom);
	assert_int_equal(b.len, 4);
	assert_string_equal(b.p, "a 1\n");
	mbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(printf__long_line_with_room__no_allocation),
		cmocka_unit_test(printf__past_the_room__grows_once),
		cmocka_unit_test(printf__no_memory__oom_text_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
