// SPDX-License-Identifier: Apache-2.0
/* common/escape.c: what reaches a terminal from untrusted strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/escape.h"

static void is(const char *in, unsigned int flags, const char *want)
{
	char *got = term_escaped(in, flags);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void escape__controls__hex(void **state)
{
	(void)state;
	is("a\x1b[2Jb", 0, "a\\x1b[2Jb");
	is("\x07\x7f\t\n", 0, "\\x07\\x7f\\x09\\x0a");
	is("l1\n\tl2\r", ESCAPE_KEEP_NL, "l1\n\tl2\\x0d");
	/* C1 controls: CSI as UTF-8 (U+009B) and as a lone byte */
	is("x\xc2\x9b"
	   "31m\x9b",
	   0, "x\\xc2\\x9b31m\\x9b");
}

static void escape__utf8__kept(void **state)
{
	(void)state;
	is("593.649\xc2\xb5s", 0, "593.649\xc2\xb5s");
	is("\xe2\x80\xa6 \xf0\x9f\x98\x80", 0, "\xe2\x80\xa6 \xf0\x9f\x98\x80");
	/* overlong, surrogate, cut and past U+10FFFF */
	is("\xc0\xaf", 0, "\\xc0\\xaf");
	is("\xed\xa0\x80", 0, "\\xed\\xa0\\x80");
	is("\xe2\x80", 0, "\\xe2\\x80");
	is("\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80");
	is(NULL, 0, "");
}

static void fputs__long_utf8__not_cut_at_chunks(void **state)
{
	char in[1001], out[2000] = "";
	FILE *f = fmemopen(out, sizeof(out) - 1, "w");

	(void)state;
	/* "a" then 333 "€" (3 bytes each): chunks of 256 bytes cut some */
	in[0] = 'a';
	for (int i = 0; i < 333; i++)
		memcpy(in + 1 + 3 * i, "\xe2\x82\xac", 3);
	in[1000] = '\0';
	assert_int_equal(term_fputs(in, f, 0), 0);
	fclose(f);
	assert_string_equal(out, in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escape__controls__hex),
		cmocka_unit_test(escape__utf8__kept),
		cmocka_unit_test(fputs__long_utf8__not_cut_at_chunks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
