/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command tables: one entry per command or subcommand, with the
 * getopt_long flags it parses.  The dispatchers run from them and shell
 * completion (`runner __complete`) reads the same tables, so that the two
 * cannot drift apart.
 */
#ifndef RUNNER_CLI_TABLE_H
#define RUNNER_CLI_TABLE_H

#include <getopt.h>

/* What a command's operands are, for completion (a bit set). */
enum {
	CLI_OPERAND_IMAGE = 1, /* image references from the local store */
	CLI_OPERAND_FILE = 2, /* file or folder names */
	CLI_OPERAND_ONE = 4, /* one operand, then flags only */
};

struct cli_cmd {
	const char *name;
	const char *alias; /* another name, or NULL */
	int (*fn)(int argc, char **argv);
	const char *help; /* one line for the command list */
	const struct option *opts; /* its flags, ends with { 0 }; or NULL */
	const struct cli_cmd *subs; /* subcommands, end with { 0 }; or NULL */
	unsigned int operands; /* CLI_OPERAND_* */
};

/* The command named name (or aliased so) in the table subs, or NULL. */
const struct cli_cmd *cli_find(const struct cli_cmd *subs, const char *name);

/*
 * `runner __complete WORD... CURRENT`: print, one per line, what may
 * follow the words typed after "runner" and start with CURRENT; a line
 * ":files" asks the shell for file names too.
 */
int cli_complete(const struct cli_cmd *root, int argc, char **argv);

#endif
