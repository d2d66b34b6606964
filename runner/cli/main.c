// SPDX-License-Identifier: Apache-2.0
/* runner: build, store, push, pull and run eBPF gadget images. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runner/cli/cmd_image.h"
#include "runner/cli/cmd_login.h"
#include "runner/cli/cmd_run.h"
#include "runner/cli/common.h"

#include "common/version.h"

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("runner %s\n", RUNNER_VERSION);
	return EXIT_OK;
}

static int cmd_help(int argc, char **argv);

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "run", cmd_run, "run a gadget and print its events" },
	{ "image", cmd_image,
	  "build, list, pull, push, inspect gadget images" },
	{ "login", cmd_login, "store credentials for a registry" },
	{ "logout", cmd_logout, "remove credentials for a registry" },
	{ "version", cmd_version, "print the version" },
	{ "help", cmd_help, "this help" },
};

static void usage(FILE *f)
{
	size_t i;

	fputs("Usage: runner <command> [<subcommand>] [flags]\n\nCOMMANDS\n",
	      f);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
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
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return cmd_help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char prog[64];

		if (strcmp(argv[1], cmds[i].name))
			continue;
		/* getopt names argv[0] in its messages: "runner: run: ..." */
		snprintf(prog, sizeof(prog), "runner: %s", cmds[i].name);
		argv[1] = prog;
		return cmds[i].fn(argc - 1, argv + 1);
	}
	return runner_msg(EXIT_USAGE,
			  "unknown command '%s' (see `runner --help`)",
			  argv[1]);
}
