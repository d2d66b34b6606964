// SPDX-License-Identifier: Apache-2.0
/* runner/engine/image_select.c: ig's --containerimage-id and -digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "runner/engine/image_select.h"

#define ID "sha256:0123456789abcdef0123456789abcdef"
#define DIGEST "sha256:fedcba9876543210fedcba9876543210"

/* As ig's selector: 12 characters after any algorithm, in the items and
 * in the container's value alike. */
static void match__cut_after_the_algorithm(void **state)
{
	static const char *const keep[] = {
		ID,
		"0123456789ab",
		"sha256:0123456789ab",
		"0123456789abXYZ",
		"x,0123456789ab",
		"other:0123456789ab",
	};
	static const char *const drop[] = {
		"0123456789a", "123456789abc", "!" ID, "x", "!0123456789ab",
	};
	struct image_select *s = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		assert_int_equal(image_select_add(&s, IMAGE_SELECT_ID, keep[i],
						  NULL),
				 0);
		assert_true(image_select_match(s, ID, DIGEST));
		assert_true(image_select_match(s, ID + 7, ""));
	}
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++) {
		assert_int_equal(image_select_add(&s, IMAGE_SELECT_ID, drop[i],
						  NULL),
				 0);
		assert_false(image_select_match(s, ID, DIGEST));
	}
	image_select_free(s);
}

/* Both flags must match; one given again replaces its list. */
static void match__both_flags_and_again(void **state)
{
	struct image_select *s = NULL;

	(void)state;
	assert_true(image_select_match(NULL, "", ""));
	assert_int_equal(
		image_select_add(&s, IMAGE_SELECT_DIGEST, DIGEST, NULL), 0);
	assert_true(image_select_match(s, "", DIGEST));
	assert_false(image_select_match(s, "", ""));
	assert_int_equal(image_select_add(&s, IMAGE_SELECT_ID, "!" ID, NULL),
			 0);
	assert_false(image_select_match(s, ID, DIGEST));
	assert_true(image_select_match(s, "sha256:1", DIGEST));
	assert_int_equal(image_select_add(&s, IMAGE_SELECT_ID, "!x", NULL), 0);
	assert_true(image_select_match(s, ID, DIGEST));
	image_select_free(s);
}

static void add__bad_list__refused(void **state)
{
	static const char *const bad[] = { "", "a,,b", "!", "a,", "!,a" };
	struct image_select *s = NULL;
	struct error *err = NULL;
	char big[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(
			image_select_add(&s, IMAGE_SELECT_ID, bad[i], &err), 0);
		assert_non_null(err);
		error_free(err);
		err = NULL;
	}
	snprintf(big, sizeof(big), "%0129d", 0);
	assert_int_not_equal(
		image_select_add(&s, IMAGE_SELECT_DIGEST, big, &err), 0);
	error_free(err);
	image_select_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(match__cut_after_the_algorithm),
		cmocka_unit_test(match__both_flags_and_again),
		cmocka_unit_test(add__bad_list__refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
