// SPDX-License-Identifier: Apache-2.0
/* runner: build, store, push, pull and run eBPF gadget images. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/cli/commands.h"
#include "runner/cli/complete.h"
#include "runner/engine/log.h"

/* The engine's notes and libbpf's messages, as much as RUNNER_DEBUG asks. */
__attribute__((format(printf, 4, 0))) static void
log_stderr(void *ctx, enum engine_log_level level, bool libbpf, const char *fmt,
	   va_list ap)
{
	const char *dbg = ctx;

	if (level > ENGINE_LOG_NOTICE &&
	    (!dbg || !*dbg || (level == ENGINE_LOG_DEBUG && strcmp(dbg, "2"))))
		return;
	if (!libbpf)
		fputs("runner: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (!libbpf)
		fputc('\n', stderr);
}

/* Listed only: cli_dispatch() answers "help", "-h" and "--help" itself. */
static const struct cli_command cmd_help = {
	.name = "help",
	.summary = "this help",
};

static const struct cli_command *const runner_cmds[] = {
	&cmd_run,     &cmd_image, &cmd_login, &cmd_logout,
	&cmd_version, &cmd_help,  NULL,
};

static const struct cli_command runner_cmd = {
	.name = "runner",
	.usage = "Usage: runner <command> [<subcommand>] [flags]\n"
		 "\n"
		 "COMMANDS\n",
	.usage_tail =
		"\n"
		"EXAMPLES\n"
		"  runner image build gadget/trace_dns -t trace_dns:latest\n"
		"  runner run trace_dns\n"
		"  runner run trace_dns -o json --timeout 10\n"
		"\n`runner <command> --help` tells more.\n",
	.subs = runner_cmds,
};

int main(int argc, char **argv)
{
	cleanup_error struct error *err = NULL;
	int rc;

	/* hidden: what the shell completion script asks */
	if (argc > 1 && !strcmp(argv[1], "__complete"))
		return cli_complete(&runner_cmd, argc - 2, argv + 2);
	engine_log_set(log_stderr, getenv("RUNNER_DEBUG"));
	rc = cli_dispatch(&runner_cmd, "", argc, argv, &err);
	if (rc && err)
		fprintf(stderr, "runner: %s\n", error_msg(err));
	return rc;
}
