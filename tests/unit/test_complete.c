// SPDX-License-Identifier: Apache-2.0
/*
 * runner/cli/complete.c: what `runner __complete` offers after the words
 * typed so far, walking a command table made here (the real tables are
 * covered end to end by tests/e2e/test_install.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "runner/cli/cli_table.h"

static int nop(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static const struct option leaf_opts[] = {
	{ "store", required_argument, NULL, 's' },
	{ "output", required_argument, NULL, 'o' },
	{ "all", no_argument, NULL, 'a' },
	{ 0 },
};

static const struct option root_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

static const struct cli_cmd subs[] = {
	{ "get", "g", nop, "one file", leaf_opts, NULL,
	  CLI_OPERAND_FILE | CLI_OPERAND_ONE },
	{ "put", NULL, nop, "files", leaf_opts, NULL, CLI_OPERAND_FILE },
	{ 0 },
};

static const struct cli_cmd cmds[] = {
	{ "obj", NULL, nop, "objects", NULL, subs, 0 },
	{ "other", NULL, nop, "no operands", NULL, NULL, 0 },
	{ 0 },
};

static const struct cli_cmd root = { "t", NULL, NULL, NULL, root_opts, cmds, 0 };

/* What cli_complete prints for words (NULL-terminated), as one string. */
static const char *complete(const char *w0, ...)
{
	static char buf[4096];
	char *words[16];
	int n = 0, fd, saved;
	ssize_t len;
	va_list ap;

	va_start(ap, w0);
	for (const char *w = w0; w; w = va_arg(ap, const char *))
		words[n++] = (char *)w;
	va_end(ap);
	fflush(stdout);
	fd = memfd_create("out", 0);
	saved = dup(STDOUT_FILENO);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDOUT_FILENO);
	assert_int_equal(cli_complete(&root, n, words), 0);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[len > 0 ? len : 0] = '\0';
	return buf;
}

static void commands__prefix__filtered(void **state)
{
	(void)state;
	assert_string_equal(complete("", NULL), "obj\nother\n");
	assert_string_equal(complete("ob", NULL), "obj\n");
	assert_string_equal(complete("x", NULL), "");
	assert_string_equal(complete("--v", NULL), "--version\n");
}

static void subcommands__after_command(void **state)
{
	(void)state;
	assert_string_equal(complete("obj", "", NULL), "get\nput\n");
	assert_string_equal(complete("obj", "p", NULL), "put\n");
	/* a command without flags or operands offers nothing */
	assert_string_equal(complete("other", "", NULL), "");
}

static void flags__of_the_innermost_command(void **state)
{
	(void)state;
	assert_string_equal(complete("obj", "get", "-", NULL),
			    "--store\n--output\n--all\n");
	/* an alias names the same command */
	assert_string_equal(complete("obj", "g", "--a", NULL), "--all\n");
}

static void option_value__asks_for_files(void **state)
{
	(void)state;
	assert_string_equal(complete("obj", "get", "--store", "", NULL),
			    ":files\n");
	assert_string_equal(complete("obj", "get", "-o", "", NULL), ":files\n");
}

static void operands__values_and_flags_skipped(void **state)
{
	(void)state;
	/* the value of -o and a flag without value are no operands */
	assert_string_equal(complete("obj", "get", "-o", "x", "--all",
				     "--store=d", "", NULL),
			    ":files\n");
	/* after its one operand, a command offers its flags */
	assert_string_equal(complete("obj", "get", "f", "", NULL),
			    "--store\n--output\n--all\n");
	/* a command of many operands goes on */
	assert_string_equal(complete("obj", "put", "f", "", NULL), ":files\n");
	/* after --, a dash starts an operand */
	assert_string_equal(complete("obj", "put", "--", "-x", NULL),
			    ":files\n");
}

static void find__name_or_alias(void **state)
{
	(void)state;
	assert_ptr_equal(cli_find(subs, "get"), &subs[0]);
	assert_ptr_equal(cli_find(subs, "g"), &subs[0]);
	assert_ptr_equal(cli_find(subs, "put"), &subs[1]);
	assert_null(cli_find(subs, "ge"));
	assert_null(cli_find(NULL, "get"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(commands__prefix__filtered),
		cmocka_unit_test(subcommands__after_command),
		cmocka_unit_test(flags__of_the_innermost_command),
		cmocka_unit_test(option_value__asks_for_files),
		cmocka_unit_test(operands__values_and_flags_skipped),
		cmocka_unit_test(find__name_or_alias),
	};

	/* no store: image operands would find none */
	setenv("RUNNER_STORE", "/nonexistent/runner-store", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
