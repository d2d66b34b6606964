// SPDX-License-Identifier: Apache-2.0
/* runner: build, store, push, pull and run eBPF gadget images. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "common/cleanup.h"
#include "common/escape.h"
#include "runner/cli/commands.h"
#include "runner/cli/complete.h"
#include "runner/cli/config.h"
#include "runner/engine/log.h"

/* Listed only: cli_dispatch() answers "help", "-h" and "--help" itself. */
static const struct cli_command cmd_help = {
	.name = "help",
	.summary = "this help",
};

static const struct cli_command *const runner_cmds[] = {
	&cmd_run,     &cmd_list_containers, &cmd_image,
	&cmd_login,   &cmd_logout,	    &cmd_config,
	&cmd_version, &cmd_completion,	    &cmd_help,
	NULL,
};

/* Taken out of argv by config_init(): listed for completion. */
static const struct option runner_opts[] = {
	{ "config", required_argument, NULL, 0 },
	{ "verbose", optional_argument, NULL, 'v' },
	{ 0 },
};

static const struct cli_command runner_cmd = {
	.name = "runner",
	.usage =
		"Usage: runner [--config FILE] [-v] <command> [<subcommand>] "
		"[flags]\n"
		"\n"
		"  -v, --verbose[=BOOL]  say more on stderr (every command, as "
		"RUNNER_DEBUG=1)\n"
		"\n"
		"COMMANDS\n",
	.usage_tail =
		"\n"
		"EXAMPLES\n"
		"  runner image build gadget/trace_dns -t trace_dns:latest\n"
		"  runner run trace_dns\n"
		"  runner run trace_dns -o json --timeout 10\n"
		"\n`runner <command> --help` (or `runner help <command>`) tells "
		"more.\n",
	.subs = runner_cmds,
	.options = runner_opts,
};

/*
 * A closed stdin, stdout or stderr would be taken by the next file opened
 * (events would land in a store blob): hold each with "/" opened read-only,
 * on which every write fails as on a closed descriptor (EBADF).
 */
static void hold_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		int h;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		h = open("/", O_RDONLY | O_DIRECTORY);
		if (h >= 0 && h != fd) {
			dup2(h, fd);
			close(h);
		}
	}
}

/* What stdio still holds for stdout, written; a failure is the command's
 * (a reader gone away, EPIPE, is not). */
static int close_stdout(int rc)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return rc;
	if (errno == EPIPE)
		return rc;
	fprintf(stderr, "runner: write standard output: %s\n",
		errno ? strerror(errno) : "failed");
	return rc ? rc : EXIT_FAIL;
}

/*
 * Each network namespace traced costs a descriptor per program: the soft
 * limit on them (1024 for root on Debian) is raised to the hard one at
 * the start, before anything is loaded, as Go's runtime does for ig (Go
 * 1.19), so a host of a thousand namespaces is traced whole.
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl); /* else: the limit as it was */
}

int main(int argc, char **argv)
{
	cleanup_error struct error *err = NULL;
	int rc;

	hold_std_fds();
	raise_nofile();
	/* hidden: what the shell completion script asks */
	if (argc > 1 && !strcmp(argv[1], "__complete"))
		return close_stdout(
			cli_complete(&runner_cmd, argc - 2, argv + 2));
	engine_log_set(cli_log_stderr, getenv("RUNNER_DEBUG"));
	engine_timeline_set(getenv("RUNNER_TIMELINE") != NULL);
	engine_step("main");
	/* ig's --config FILE, on any command */
	rc = config_init(&argc, argv, &err);
	if (!rc)
		rc = cli_dispatch(&runner_cmd, "", argc, argv, &err);
	config_fini();
	if (rc && err) {
		fputs("runner: ", stderr);
		term_fputs(error_msg(err), stderr, 0);
		fputc('\n', stderr);
	}
	return close_stdout(rc);
}
