// SPDX-License-Identifier: Apache-2.0
/* runner: build, store, push, pull and run eBPF gadget images. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runner/cli/cmd_image.h"
#include "runner/cli/cmd_login.h"
#include "runner/cli/cmd_run.h"
#include "runner/cli/common.h"

#include "runner/cli/cli_table.h"
#include "runner/cli/cmd_version.h"

static int cmd_help(int argc, char **argv);

static const struct cli_cmd cmds[] = {
	{ "run", NULL, cmd_run, "run a gadget and print its events", run_opts,
	  NULL, CLI_OPERAND_IMAGE | CLI_OPERAND_ONE },
	{ "image", NULL, cmd_image,
	  "build, list, pull, push, inspect gadget images", NULL, image_cmds,
	  0 },
	{ "login", NULL, cmd_login, "store credentials for a registry",
	  login_opts, NULL, CLI_OPERAND_ONE },
	{ "logout", NULL, cmd_logout, "remove credentials for a registry",
	  logout_opts, NULL, CLI_OPERAND_ONE },
	{ "version", NULL, cmd_version,
	  "print the version and the libraries' versions", NULL, NULL, 0 },
	{ "help", NULL, cmd_help, "this help", NULL, NULL, 0 },
	{ 0 },
};

/* The flags `runner` takes before a command. */
static const struct option root_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

static const struct cli_cmd root = { "runner",	NULL, NULL, NULL,
				     root_opts, cmds, 0 };

static void usage(FILE *f)
{
	size_t i;

	fputs("Usage: runner <command> [<subcommand>] [flags]\n\nCOMMANDS\n",
	      f);
	for (i = 0; cmds[i].name; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fputs("\nEXAMPLES\n"
	      "  runner image build gadget/trace_dns -t trace_dns:latest\n"
	      "  runner run trace_dns\n"
	      "  runner run trace_dns -o json --timeout 10\n"
	      "\n`runner <command> --help` tells more.\n",
	      f);
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;
	char prog[64];

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return cmd_help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);
	/* hidden: what the shell completion script asks */
	if (!strcmp(argv[1], "__complete"))
		return cli_complete(&root, argc - 2, argv + 2);
	c = cli_find(cmds, argv[1]);
	if (!c)
		return runner_msg(EXIT_USAGE,
				  "unknown command '%s' (see `runner --help`)",
				  argv[1]);
	/* getopt names argv[0] in its messages: "runner: run: ..." */
	snprintf(prog, sizeof(prog), "runner: %s", c->name);
	argv[1] = prog;
	return c->fn(argc - 1, argv + 1);
}
