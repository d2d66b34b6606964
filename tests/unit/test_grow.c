// SPDX-License-Identifier: Apache-2.0
/*
 * common/grow.c: an array grows by doubling from its first size until it
 * holds what is wanted, keeps its items, is left alone when it has room,
 * and stays as it was when the size would overflow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "common/grow.h"

static void grow_array__doubles_from_first__keeps_items(void **state)
{
	int *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(grow_array((void **)&v, &cap, 1, sizeof(*v), 16), 0);
	assert_int_equal(cap, 16);
	for (int i = 0; i < 16; i++)
		v[i] = i;
	/* room already: nothing moves */
	assert_int_equal(grow_array((void **)&v, &cap, 16, sizeof(*v), 16), 0);
	assert_int_equal(cap, 16);
	/* one more: twice; far more: doubled until it holds them */
	assert_int_equal(grow_array((void **)&v, &cap, 17, sizeof(*v), 16), 0);
	assert_int_equal(cap, 32);
	assert_int_equal(grow_array((void **)&v, &cap, 200, sizeof(*v), 16), 0);
	assert_int_equal(cap, 256);
	for (int i = 0; i < 16; i++)
		assert_int_equal(v[i], i);
	free(v);
}

static void grow_array__overflow__refused_unchanged(void **state)
{
	int *v = NULL;
	size_t cap = 0;
	int *was;

	(void)state;
	assert_int_equal(grow_array((void **)&v, &cap, 4, sizeof(*v), 4), 0);
	was = v;
	assert_int_equal(grow_array((void **)&v, &cap, SIZE_MAX, 1, 4), -1);
	assert_int_equal(grow_array((void **)&v, &cap, SIZE_MAX / 4 + 1,
				    sizeof(*v), 4),
			 -1);
	assert_ptr_equal(v, was);
	assert_int_equal(cap, 4);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grow_array__doubles_from_first__keeps_items),
		cmocka_unit_test(grow_array__overflow__refused_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
