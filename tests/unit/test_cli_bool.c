// SPDX-License-Identifier: Apache-2.0
/*
 * runner/cli/cli.c: the bool flags every command reads alike
 * (cli_bool_flag(), cli_bool_word(), cli_verbose_flag()): which words
 * are the flag, the values Go's ParseBool takes, and the one line a bad
 * value gets; and cli_param_bool_flag(), the values ig's bool params
 * take (ParseBool's, and true or false in any case).  The flags
 * themselves are covered end to end by tests/e2e/test_hostile.py,
 * test_registry.py, test_trace_dns.py, test_metrics.py and
 * test_config.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runner/cli/cli.h"

static void bool_flag__values__as_go_parse_bool(void **state)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false" };
	struct error *err = NULL;
	bool on = false;
	size_t i;

	(void)state;
	assert_int_equal(cli_bool_flag(NULL, "x", NULL, &on, &err), EXIT_OK);
	assert_true(on);
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		on = false;
		assert_int_equal(cli_bool_flag(NULL, "x", yes[i], &on, &err),
				 EXIT_OK);
		assert_true(on);
		assert_int_equal(cli_bool_flag(NULL, "x", no[i], &on, &err),
				 EXIT_OK);
		assert_false(on);
	}
	assert_int_equal(cli_bool_flag(NULL, "x", "True", &on, &err), EXIT_OK);
	assert_true(on);
	assert_int_equal(cli_bool_flag(NULL, "x", "False", &on, &err), EXIT_OK);
	assert_false(on);
	assert_null(err);
}

static void bool_flag__bad_value__one_line_with_prefix(void **state)
{
	struct error *err = NULL;
	bool on = true;

	(void)state;
	assert_int_equal(cli_bool_flag(NULL, "host", "yes", &on, &err),
			 EXIT_USAGE);
	assert_string_equal(error_msg(err),
			    "invalid --host 'yes': want true or false");
	assert_true(on);
	assert_int_equal(cli_bool_flag("login: ", "plain-http", "", &on, &err),
			 EXIT_USAGE);
	assert_string_equal(error_msg(err), "login: invalid --plain-http '': "
					    "want true or false");
	error_free(err);
}

/*
 * ig's bool params (--host, --trace-pipe, --otel-metrics-listen, ...):
 * Go's ParseBool spellings, as the runner took them, and ig's
 * (pkg/params ValidateBool: true or false in any case); nothing else.
 */
static void param_bool_flag__values__parse_bool_and_any_case(void **state)
{
	static const char *const yes[] = {
		"1",	"t",	"T",   "TRUE", "true", "True", /* ParseBool */
		"tRuE", "TRUe", "tRUE" /* ig's ToLower */
	};
	static const char *const no[] = {
		"0",	 "f",	  "F",
		"FALSE", "false", "False", /* ParseBool */
		"fAlSe", "FALSe", "faLSE" /* ig's ToLower */
	};
	static const char *const bad[] = {
		"yes", "",   " true", "truee", "true\n", "2",
		"tr",  "ON", "ff",    "00",    "-1",	 "\xc4\xb0"
	};
	struct error *err = NULL;
	bool on = false;
	size_t i;

	(void)state;
	assert_int_equal(cli_param_bool_flag("x", NULL, &on, &err), EXIT_OK);
	assert_true(on);
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		on = false;
		assert_int_equal(cli_param_bool_flag("x", yes[i], &on, &err),
				 EXIT_OK);
		assert_true(on);
		assert_int_equal(cli_param_bool_flag("x", no[i], &on, &err),
				 EXIT_OK);
		assert_false(on);
	}
	assert_null(err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[64];

		on = true;
		assert_int_equal(cli_param_bool_flag("host", bad[i], &on, &err),
				 EXIT_USAGE);
		assert_true(on);
		snprintf(want, sizeof(want),
			 "invalid --host '%s': want true or false", bad[i]);
		assert_string_equal(error_msg(err), want);
		error_free(err);
		err = NULL;
	}
}

/* ig's plain (pflag) bools keep Go's ParseBool: a mixed case is no
 * bool there, as in ig. */
static void bool_flag__mixed_case__refused(void **state)
{
	struct error *err = NULL;
	bool on = true;

	(void)state;
	assert_int_equal(cli_bool_flag(NULL, "oci-store-user", "tRuE", &on,
				       &err),
			 EXIT_USAGE);
	assert_true(on);
	assert_string_equal(error_msg(err), "invalid --oci-store-user "
					    "'tRuE': want true or false");
	error_free(err);
}

static void bool_word__only_the_flag_itself(void **state)
{
	static const char *const others[] = {
		"--host", "--verbosex", "--verbosex=1", "-verbose", "verbose",
		"--verb", "-v"
	};
	struct error *err = NULL;
	bool on = false;
	size_t i;
	int rc = -1;

	(void)state;
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_false(
			cli_bool_word(others[i], "verbose", &on, &rc, &err));
	assert_int_equal(rc, -1);
	assert_true(cli_bool_word("--verbose", "verbose", &on, &rc, &err));
	assert_int_equal(rc, EXIT_OK);
	assert_true(on);
	assert_true(cli_bool_word("--verbose=F", "verbose", &on, &rc, &err));
	assert_int_equal(rc, EXIT_OK);
	assert_false(on);
	assert_null(err);
	assert_true(cli_bool_word("--verbose=", "verbose", &on, &rc, &err));
	assert_int_equal(rc, EXIT_USAGE);
	assert_string_equal(error_msg(err),
			    "invalid --verbose '': want true or false");
	error_free(err);
}

static void verbose_flag__short_and_long(void **state)
{
	struct error *err = NULL;
	bool on = false;
	int rc = -1;

	(void)state;
	assert_true(cli_verbose_flag("-v", &on, &rc, &err));
	assert_int_equal(rc, EXIT_OK);
	assert_true(on);
	assert_true(cli_verbose_flag("--verbose=false", &on, &rc, &err));
	assert_false(on);
	assert_false(cli_verbose_flag("-vv", &on, &rc, &err));
	assert_true(cli_verbose_flag("--verbose=maybe", &on, &rc, &err));
	assert_int_equal(rc, EXIT_USAGE);
	assert_string_equal(error_msg(err),
			    "invalid --verbose 'maybe': want true or false");
	error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bool_flag__values__as_go_parse_bool),
		cmocka_unit_test(bool_flag__bad_value__one_line_with_prefix),
		cmocka_unit_test(
			param_bool_flag__values__parse_bool_and_any_case),
		cmocka_unit_test(bool_flag__mixed_case__refused),
		cmocka_unit_test(bool_word__only_the_flag_itself),
		cmocka_unit_test(verbose_flag__short_and_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
