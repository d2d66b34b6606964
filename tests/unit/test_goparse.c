// SPDX-License-Identifier: Apache-2.0
/*
 * common/goparse.c: numbers read as Go's strconv reads them, so that
 * flags, params, filters and annotations take what ig takes, and only
 * that.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/goparse.h"

static unsigned long long uint_of(const char *s, int base)
{
	unsigned long long v = 0;

	assert_true(go_parse_uint(s, base, &v));
	return v;
}

static long long int_of(const char *s, int base)
{
	long long v = 0;

	assert_true(go_parse_int(s, base, &v));
	return v;
}

/* s is refused, errno e (EINVAL: not a number; ERANGE: too big) */
static void uint_refused(const char *s, int base, int e)
{
	unsigned long long v = 42;

	errno = 0;
	assert_false(go_parse_uint(s, base, &v));
	assert_int_equal(errno, e);
	assert_int_equal(v, 42);
}

static void int_refused(const char *s, int base, int e)
{
	long long v = 42;

	errno = 0;
	assert_false(go_parse_int(s, base, &v));
	assert_int_equal(errno, e);
	assert_int_equal(v, 42);
}

static void parse_uint__base10__digits_only(void **state)
{
	(void)state;
	assert_int_equal(uint_of("0", 10), 0);
	assert_int_equal(uint_of("053", 10), 53); /* not octal */
	assert_true(uint_of("18446744073709551615", 10) == UINT64_MAX);
	uint_refused("", 10, EINVAL);
	uint_refused(" 5", 10, EINVAL);
	uint_refused("5 ", 10, EINVAL);
	uint_refused("+5", 10, EINVAL);
	uint_refused("-5", 10, EINVAL);
	uint_refused("-0", 10, EINVAL);
	uint_refused("0x10", 10, EINVAL);
	uint_refused("1_000", 10, EINVAL); /* _ in base 0 only */
	uint_refused("5.0", 10, EINVAL);
	uint_refused("18446744073709551616", 10, ERANGE);
	uint_refused("99999999999999999999999", 10, ERANGE);
}

static void parse_uint__base16__no_prefix(void **state)
{
	(void)state;
	assert_int_equal(uint_of("c3B5", 16), 0xc3b5);
	assert_true(uint_of("ffffffffffffffff", 16) == UINT64_MAX);
	uint_refused("0x10", 16, EINVAL);
	uint_refused("g", 16, EINVAL);
	uint_refused("+1", 16, EINVAL);
	uint_refused("10000000000000000", 16, ERANGE);
}

/* base 0, as pflag's int flags (ig's --timeout) read them */
static void parse_uint__base0__go_prefixes(void **state)
{
	(void)state;
	assert_int_equal(uint_of("10", 0), 10);
	assert_int_equal(uint_of("0x1F", 0), 31);
	assert_int_equal(uint_of("0X1f", 0), 31);
	assert_int_equal(uint_of("010", 0), 8);
	assert_int_equal(uint_of("0o17", 0), 15);
	assert_int_equal(uint_of("0b101", 0), 5);
	assert_int_equal(uint_of("0", 0), 0);
	assert_int_equal(uint_of("1_000", 0), 1000);
	assert_int_equal(uint_of("0x_1_f", 0), 31);
	assert_int_equal(uint_of("0_7", 0), 7);
	uint_refused("0x", 0, EINVAL);
	uint_refused("0o", 0, EINVAL);
	uint_refused("0b", 0, EINVAL);
	uint_refused("08", 0, EINVAL);
	uint_refused("0b2", 0, EINVAL);
	uint_refused("_1", 0, EINVAL);
	uint_refused("1_", 0, EINVAL);
	uint_refused("1__0", 0, EINVAL);
	uint_refused(" 5", 0, EINVAL);
	uint_refused("+5", 0, EINVAL);
	uint_refused("0x10000000000000000", 0, ERANGE);
}

static void parse_int__sign_then_digits(void **state)
{
	(void)state;
	assert_int_equal(int_of("+5", 10), 5);
	assert_int_equal(int_of("-5", 10), -5);
	assert_int_equal(int_of("-0", 10), 0);
	assert_int_equal(int_of("-010", 10), -10);
	assert_true(int_of("9223372036854775807", 10) == INT64_MAX);
	assert_true(int_of("-9223372036854775808", 10) == INT64_MIN);
	assert_int_equal(int_of("-0x10", 0), -16);
	assert_int_equal(int_of("+0o10", 0), 8);
	int_refused("", 10, EINVAL);
	int_refused("-", 10, EINVAL);
	int_refused("+-5", 10, EINVAL);
	int_refused("- 5", 10, EINVAL);
	int_refused(" -5", 10, EINVAL);
	int_refused("-0x10", 10, EINVAL);
	int_refused("9223372036854775808", 10, ERANGE);
	int_refused("-9223372036854775809", 10, ERANGE);
	int_refused("5", 16, EINVAL); /* not a base ParseInt is used with */
}

static void parse_bool__go_words_only(void **state)
{
	bool b = false;

	(void)state;
	assert_true(go_parse_bool("True", &b) && b);
	assert_true(go_parse_bool("0", &b) && !b);
	assert_false(go_parse_bool("yes", &b));
	assert_false(go_parse_bool("tRUE", &b));
	assert_false(go_parse_bool(" true", &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_uint__base10__digits_only),
		cmocka_unit_test(parse_uint__base16__no_prefix),
		cmocka_unit_test(parse_uint__base0__go_prefixes),
		cmocka_unit_test(parse_int__sign_then_digits),
		cmocka_unit_test(parse_bool__go_words_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
