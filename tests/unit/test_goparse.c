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
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/goparse.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/*
 * One reading: s in base gives want (in decimal), or, want NULL, is
 * refused with errno err (EINVAL: not a number; ERANGE: too big) and the
 * value left as it was.
 */
struct reading {
	const char *s;
	int base;
	const char *want;
	int err;
};

/* Each of the n readings r by go_parse_int (sign) or go_parse_uint. */
static void check_readings(const struct reading *r, size_t n, bool sign)
{
	for (; n--; r++) {
		unsigned long long u = 42;
		long long i = 42;
		char got[32];
		bool ok;
		int e;

		errno = 0;
		ok = sign ? go_parse_int(r->s, r->base, &i) :
			    go_parse_uint(r->s, r->base, &u);
		e = errno;
		if (sign)
			snprintf(got, sizeof(got), "%lld", i);
		else
			snprintf(got, sizeof(got), "%llu", u);
		if (r->want ? !ok || strcmp(got, r->want) :
			      ok || e != r->err || strcmp(got, "42"))
			fail_msg(
				"go_parse_%s(\"%s\", %d): %s, value %s, errno %d",
				sign ? "int" : "uint", r->s, r->base,
				ok ? "taken" : "refused", got, e);
	}
}

static void parse_uint__base10__digits_only(void **state)
{
	static const struct reading r[] = {
		{ "0", 10, "0", 0 },
		{ "053", 10, "53", 0 }, /* not octal */
		{ "18446744073709551615", 10, "18446744073709551615", 0 },
		{ "", 10, NULL, EINVAL },
		{ " 5", 10, NULL, EINVAL },
		{ "5 ", 10, NULL, EINVAL },
		{ "+5", 10, NULL, EINVAL },
		{ "-5", 10, NULL, EINVAL },
		{ "-0", 10, NULL, EINVAL },
		{ "0x10", 10, NULL, EINVAL },
		{ "1_000", 10, NULL, EINVAL }, /* _ in base 0 only */
		{ "5.0", 10, NULL, EINVAL },
		{ "18446744073709551616", 10, NULL, ERANGE },
		{ "99999999999999999999999", 10, NULL, ERANGE },
	};

	(void)state;
	check_readings(r, N_OF(r), false);
}

static void parse_uint__base16__no_prefix(void **state)
{
	static const struct reading r[] = {
		{ "c3B5", 16, "50101", 0 }, /* 0xc3b5 */
		{ "ffffffffffffffff", 16, "18446744073709551615", 0 },
		{ "0x10", 16, NULL, EINVAL },
		{ "g", 16, NULL, EINVAL },
		{ "+1", 16, NULL, EINVAL },
		{ "10000000000000000", 16, NULL, ERANGE },
	};

	(void)state;
	check_readings(r, N_OF(r), false);
}

/* base 0, as pflag's int flags (ig's --timeout) read them */
static void parse_uint__base0__go_prefixes(void **state)
{
	static const struct reading r[] = {
		{ "10", 0, "10", 0 },
		{ "0x1F", 0, "31", 0 },
		{ "0X1f", 0, "31", 0 },
		{ "010", 0, "8", 0 },
		{ "0o17", 0, "15", 0 },
		{ "0b101", 0, "5", 0 },
		{ "0", 0, "0", 0 },
		{ "1_000", 0, "1000", 0 },
		{ "0x_1_f", 0, "31", 0 },
		{ "0_7", 0, "7", 0 },
		{ "0x", 0, NULL, EINVAL },
		{ "0o", 0, NULL, EINVAL },
		{ "0b", 0, NULL, EINVAL },
		{ "08", 0, NULL, EINVAL },
		{ "0b2", 0, NULL, EINVAL },
		{ "_1", 0, NULL, EINVAL },
		{ "1_", 0, NULL, EINVAL },
		{ "1__0", 0, NULL, EINVAL },
		{ " 5", 0, NULL, EINVAL },
		{ "+5", 0, NULL, EINVAL },
		{ "0x10000000000000000", 0, NULL, ERANGE },
	};

	(void)state;
	check_readings(r, N_OF(r), false);
}

static void parse_int__sign_then_digits(void **state)
{
	static const struct reading r[] = {
		{ "+5", 10, "5", 0 },
		{ "-5", 10, "-5", 0 },
		{ "-0", 10, "0", 0 },
		{ "-010", 10, "-10", 0 },
		{ "9223372036854775807", 10, "9223372036854775807", 0 },
		{ "-9223372036854775808", 10, "-9223372036854775808", 0 },
		{ "-0x10", 0, "-16", 0 },
		{ "+0o10", 0, "8", 0 },
		{ "", 10, NULL, EINVAL },
		{ "-", 10, NULL, EINVAL },
		{ "+-5", 10, NULL, EINVAL },
		{ "- 5", 10, NULL, EINVAL },
		{ " -5", 10, NULL, EINVAL },
		{ "-0x10", 10, NULL, EINVAL },
		{ "9223372036854775808", 10, NULL, ERANGE },
		{ "-9223372036854775809", 10, NULL, ERANGE },
		/* not a base ParseInt is used with */
		{ "5", 16, NULL, EINVAL },
	};

	(void)state;
	check_readings(r, N_OF(r), true);
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
