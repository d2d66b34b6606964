// SPDX-License-Identifier: Apache-2.0
/* runner/engine/name_list.c: the values of ig's selection flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "runner/engine/name_list.h"

static void match__lists_and_exclusions__as_ig(void **state)
{
	(void)state;
	assert_true(name_list_match("", "x"));
	assert_true(name_list_match("a", "a"));
	assert_false(name_list_match("a", "ab"));
	assert_false(name_list_match("ab", "a"));
	assert_true(name_list_match("a,b", "b"));
	assert_false(name_list_match("a,b", "c"));
	assert_false(name_list_match("!a", "a"));
	assert_true(name_list_match("!a", "b"));
	assert_true(name_list_match("!a", ""));
	assert_false(name_list_match("!a,!b", "b"));
	assert_true(name_list_match("!a,!b", "c"));
	/* with something to keep, only that is kept; "!" wins */
	assert_true(name_list_match("a,!b", "a"));
	assert_false(name_list_match("a,!b", "c"));
	assert_false(name_list_match("a,!a", "a"));
	assert_false(name_list_match("!a,a", "a"));
	assert_false(name_list_match("!!a", "!a"));
	assert_true(name_list_match("!!a", "a"));
}

static void check__empty_long_many__refused(void **state)
{
	struct error *err = NULL;
	char big[300];

	(void)state;
	assert_int_equal(name_list_check("a,!b,c", 10, 3, &err), 0);
	assert_int_not_equal(name_list_check("", 10, 3, &err), 0);
	assert_string_equal(error_msg(err), "empty name in ''");
	error_free(err);
	err = NULL;
	assert_int_not_equal(name_list_check("a,!", 10, 3, &err), 0);
	error_free(err);
	err = NULL;
	assert_int_not_equal(name_list_check("a,,b", 10, 3, &err), 0);
	error_free(err);
	err = NULL;
	assert_int_not_equal(name_list_check("a,b,c,d", 10, 3, &err), 0);
	assert_string_equal(error_msg(err), "more than 3 names");
	error_free(err);
	err = NULL;
	/* the length of a name, without its "!" */
	snprintf(big, sizeof(big), "!%0276d", 0);
	assert_int_equal(name_list_check(big, 276, 3, &err), 0);
	snprintf(big, sizeof(big), "a,%0276d", 0);
	assert_int_equal(name_list_check(big, 276, 3, &err), 0);
	snprintf(big, sizeof(big), "a,!%0277d", 0);
	assert_int_not_equal(name_list_check(big, 276, 3, &err), 0);
	assert_string_equal(error_msg(err), "a name of more than 276 bytes");
	error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(match__lists_and_exclusions__as_ig),
		cmocka_unit_test(check__empty_long_many__refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
