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

#include "runner/cli/complete.h"

static int nop(struct cli_ctx *ctx, void *state, struct error **err)
{
	(void)ctx;
	(void)state;
	(void)err;
	return 0;
}

static const struct option leaf_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "all", no_argument, NULL, 'a' },
	{ 0 },
};

static const struct cli_command get = {
	.name = "get",
	.alias = "g",
	.summary = "one file",
	.short_opts = "o:a",
	.options = leaf_opts,
	.flags = CLI_STORE,
	.min_args = 1,
	.max_args = 1,
	.run = nop,
	.operands = CLI_OPERAND_FILE,
};

static const struct cli_command put = {
	.name = "put",
	.summary = "files",
	.options = leaf_opts,
	.flags = CLI_STORE | CLI_REGISTRY,
	.max_args = -1,
	.run = nop,
	.operands = CLI_OPERAND_FILE,
};

static const struct option use_opts[] = {
	{ "file", required_argument, NULL, 'f' },
	{ 0 },
};

/* as run: one operand, or -f FILE in its place */
static const struct cli_command use = {
	.name = "use",
	.summary = "one file or -f",
	.short_opts = "f:",
	.options = use_opts,
	.max_args = 1,
	.run = nop,
	.operands = CLI_OPERAND_FILE | CLI_OPERAND_OR_FILE,
};

static const struct cli_command *const obj_subs[] = { &get, &put, &use, NULL };

static const struct cli_command obj = {
	.name = "obj",
	.summary = "objects",
	.subs = obj_subs,
};

static const struct cli_command other = {
	.name = "other",
	.summary = "no operands",
	.run = nop,
};

static const struct cli_command version = {
	.name = "version",
	.alias = "--version",
	.summary = "a version",
	.run = nop,
};

static const struct cli_command *const root_subs[] = { &obj, &other, &version,
						       NULL };

static const struct cli_command root = {
	.name = "t",
	.subs = root_subs,
};

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
	assert_string_equal(complete("", NULL), "obj\nother\nversion\n");
	assert_string_equal(complete("o", NULL), "obj\nother\n");
	assert_string_equal(complete("x", NULL), "");
	/* a group takes --help, -v/--verbose (ig's persistent flag), and
	 * its subcommands' "--x" aliases */
	assert_string_equal(complete("-", NULL),
			    "--version\n--verbose\n--help\n");
}

static void subcommands__after_command(void **state)
{
	(void)state;
	assert_string_equal(complete("obj", "", NULL), "get\nput\nuse\n");
	assert_string_equal(complete("obj", "p", NULL), "put\n");
	/* a command without operands offers its flags */
	assert_string_equal(complete("other", "", NULL), "--verbose\n--help\n");
}

static void flags__of_the_innermost_command(void **state)
{
	(void)state;
	/* its own, then the shared groups, then --verbose, --help */
	assert_string_equal(complete("obj", "get", "-", NULL),
			    "--output\n--all\n--store\n--verbose\n--help\n");
	assert_string_equal(complete("obj", "put", "--", NULL),
			    "--output\n--all\n--authfile\n"
			    "--insecure-registries\n--cert-dir\n--store\n"
			    "--verbose\n--help\n");
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
			    "--output\n--all\n--store\n--verbose\n--help\n");
	/* a command of many operands goes on */
	assert_string_equal(complete("obj", "put", "f", "", NULL), ":files\n");
	/* a short flag's value in its word ("-ox") is no operand */
	assert_string_equal(complete("obj", "get", "-ox", "", NULL),
			    ":files\n");
	/* after --, a dash starts an operand */
	assert_string_equal(complete("obj", "put", "--", "-x", NULL),
			    ":files\n");
}

static void or_file__given__no_operand(void **state)
{
	(void)state;
	assert_string_equal(complete("obj", "use", "", NULL), ":files\n");
	/* -f FILE, in each spelling, stands for the operand: flags only */
	assert_string_equal(complete("obj", "use", "-f", "m", "", NULL),
			    "--file\n--verbose\n--help\n");
	assert_string_equal(complete("obj", "use", "--file", "m", "", NULL),
			    "--file\n--verbose\n--help\n");
	assert_string_equal(complete("obj", "use", "--file=m", "", NULL),
			    "--file\n--verbose\n--help\n");
	assert_string_equal(complete("obj", "use", "-fm", "x", NULL), "");
	/* -f's value is still a file name */
	assert_string_equal(complete("obj", "use", "-f", "", NULL), ":files\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(commands__prefix__filtered),
		cmocka_unit_test(subcommands__after_command),
		cmocka_unit_test(flags__of_the_innermost_command),
		cmocka_unit_test(option_value__asks_for_files),
		cmocka_unit_test(operands__values_and_flags_skipped),
		cmocka_unit_test(or_file__given__no_operand),
	};

	/* no store: image operands would find none */
	setenv("RUNNER_STORE", "/nonexistent/runner-store", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
