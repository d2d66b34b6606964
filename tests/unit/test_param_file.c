// SPDX-License-Identifier: Apache-2.0
/*
 * runner/cli/param_file.c: ig's --PARAM=@FILE (cmd/common/params.go):
 * which values are read, that the value is the file's bytes as they are,
 * the limits, and the one line an unreadable file gets.  Which flags read
 * it is covered end to end by tests/e2e/test_hostile.py, test_gadgets.py
 * and test_config.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner/cli/cli.h"
#include "runner/cli/param_file.h"

static char dir[] = "/tmp/test_param_file.XXXXXX";

/* "@" and the path of a file of dir holding len bytes of data. */
static char *file_of(const char *name, const void *data, size_t len)
{
	char *at = NULL;
	FILE *f;

	assert_true(asprintf(&at, "@%s/%s", dir, name) > 0);
	f = fopen(at + 1, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return at;
}

static void param_file__no_at__value_untouched(void **state)
{
	struct param_files pf = { 0 };
	struct error *err = NULL;
	const char *v = "53", *none = NULL, *mid = "a@b";

	(void)state;
	assert_int_equal(param_file(&pf, "ports", &v, &err), EXIT_OK);
	assert_string_equal(v, "53");
	assert_int_equal(param_file(&pf, "ports", &none, &err), EXIT_OK);
	assert_null(none);
	assert_int_equal(param_file(&pf, "ports", &mid, &err), EXIT_OK);
	assert_string_equal(mid, "a@b");
	assert_int_equal(pf.n, 0);
	assert_null(err);
}

static void param_file__bytes_as_they_are__newline_kept(void **state)
{
	struct param_files pf = { 0 };
	struct error *err = NULL;
	char *a = file_of("nl", " name==x\n\n", 10),
	     *b = file_of("empty", "", 0);
	const char *v = a, *e = b;

	(void)state;
	assert_int_equal(param_file(&pf, "filter", &v, &err), EXIT_OK);
	assert_string_equal(v, " name==x\n\n");
	assert_int_equal(param_file(&pf, "filter", &e, &err), EXIT_OK);
	assert_string_equal(e, "");
	assert_int_equal(pf.n, 2);
	assert_null(err);
	param_files_free(&pf);
	assert_int_equal(pf.n, 0);
	free(a);
	free(b);
}

static void param_file__limits__one_line_naming_file_and_param(void **state)
{
	struct param_files pf = { 0 };
	struct error *err = NULL;
	char *big = calloc(1, PARAM_FILE_MAX + 1), *want = NULL;
	char *at_max, *over, *nul, *gone = NULL;
	const char *v;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', PARAM_FILE_MAX + 1);
	at_max = file_of("max", big, PARAM_FILE_MAX);
	over = file_of("over", big, PARAM_FILE_MAX + 1);
	nul = file_of("nul",
		      "53\0"
		      "54",
		      5);
	assert_true(asprintf(&gone, "@%s/gone", dir) > 0);
	v = at_max;
	assert_int_equal(param_file(&pf, "x", &v, &err), EXIT_OK);
	assert_int_equal(strlen(v), PARAM_FILE_MAX);
	v = over;
	assert_int_equal(param_file(&pf, "x", &v, &err), EXIT_USAGE);
	assert_true(asprintf(&want,
			     "reading file \"%s\" for parameter \"x\": larger "
			     "than 1 MiB",
			     over + 1) > 0);
	assert_string_equal(error_msg(err), want);
	assert_ptr_equal(v, over);
	error_freep(&err);
	free(want);
	v = nul;
	assert_int_equal(param_file(&pf, "ports", &v, &err), EXIT_USAGE);
	assert_non_null(strstr(error_msg(err), "\"ports\": it holds a NUL"));
	error_freep(&err);
	v = gone;
	assert_int_equal(param_file(&pf, "containername", &v, &err),
			 EXIT_USAGE);
	assert_true(asprintf(&want,
			     "reading file \"%s\" for parameter "
			     "\"containername\": No such file or directory",
			     gone + 1) > 0);
	assert_string_equal(error_msg(err), want);
	error_freep(&err);
	free(want);
	v = "@";
	assert_int_equal(param_file(&pf, "x", &v, &err), EXIT_USAGE);
	assert_string_equal(error_msg(err), "reading file \"\" for parameter "
					    "\"x\": No such file or directory");
	error_freep(&err);
	assert_int_equal(pf.n, 1);
	param_files_free(&pf);
	free(big);
	free(at_max);
	free(over);
	free(nul);
	free(gone);
}

static void param_bool_word__reads_the_file_then_the_bool(void **state)
{
	struct param_files pf = { 0 };
	struct error *err = NULL;
	char *f = file_of("false", "false", 5), *nl = file_of("t", "true\n", 5);
	char *arg = NULL;
	bool on = true;
	int rc = -1;

	(void)state;
	assert_true(asprintf(&arg, "--verify-image=%s", f) > 0);
	assert_true(param_bool_word(&pf, arg, "verify-image", &on, &rc, &err));
	assert_int_equal(rc, EXIT_OK);
	assert_false(on);
	free(arg);
	/* a bool file's newline is part of it: no bool, as in ig */
	assert_true(asprintf(&arg, "--verify-image=%s", nl) > 0);
	assert_true(param_bool_word(&pf, arg, "verify-image", &on, &rc, &err));
	assert_int_equal(rc, EXIT_USAGE);
	assert_false(on);
	error_freep(&err);
	/* ig's bool param: true or false in any case, from the file too */
	free(arg);
	free(f);
	f = file_of("mixed", "tRuE", 4);
	assert_true(asprintf(&arg, "--verify-image=%s", f) > 0);
	assert_true(param_bool_word(&pf, arg, "verify-image", &on, &rc, &err));
	assert_int_equal(rc, EXIT_OK);
	assert_true(on);
	assert_true(param_bool_word(&pf, "--verify-image=fALSE", "verify-image",
				    &on, &rc, &err));
	assert_int_equal(rc, EXIT_OK);
	assert_false(on);
	/* the flag alone and the other words as cli_bool_word() */
	assert_true(param_bool_word(&pf, "--verify-image", "verify-image", &on,
				    &rc, &err));
	assert_int_equal(rc, EXIT_OK);
	assert_true(on);
	assert_false(param_bool_word(&pf, "--verify-images=@x", "verify-image",
				     &on, &rc, &err));
	assert_null(err);
	param_files_free(&pf);
	free(arg);
	free(f);
	free(nl);
}

static int make_dir(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char *cmd = NULL;
	int rc;

	(void)state;
	if (asprintf(&cmd, "rm -rf '%s'", dir) < 0)
		return -1;
	rc = system(cmd);
	free(cmd);
	return rc;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(param_file__no_at__value_untouched),
		cmocka_unit_test(param_file__bytes_as_they_are__newline_kept),
		cmocka_unit_test(
			param_file__limits__one_line_naming_file_and_param),
		cmocka_unit_test(param_bool_word__reads_the_file_then_the_bool),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
