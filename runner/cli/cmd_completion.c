// SPDX-License-Identifier: Apache-2.0
/*
 * `runner completion bash`: the bash completion script (the one `make
 * install` puts in bash-completion's folder) on stdout, as ig's
 * `ig completion bash` prints its own, for `source <(runner completion
 * bash)`.  The script asks the binary (`runner __complete`) for its
 * candidates.
 */
#include <stdio.h>
#include <string.h>

#include "runner/cli/commands.h"

static const char completion_bash[] =
#include "completion_bash.h"
	;

static int completion_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	(void)state;
	if (strcmp(ctx->argv[0], "bash"))
		return cli_usage_error(err, ctx->path,
				       "no completion for '%s': bash only "
				       "(zsh reads it after `autoload "
				       "bashcompinit && bashcompinit`)",
				       ctx->argv[0]);
	if (fputs(completion_bash, stdout) == EOF || fflush(stdout))
		return cli_error(err, EXIT_FAIL, "completion: write: %m");
	return EXIT_OK;
}

const struct cli_command cmd_completion = {
	.name = "completion",
	.summary = "print the bash completion script",
	.usage = "Usage: runner completion bash\n"
		 "\n"
		 "Print the bash completion script, as ig's `ig completion\n"
		 "bash` prints its own (`make install` also puts it in\n"
		 "bash-completion's folder).\n"
		 "\n"
		 "EXAMPLES\n"
		 "  source <(runner completion bash)\n"
		 "  runner completion bash > "
		 "/etc/bash_completion.d/runner\n",
	.min_args = 1,
	.max_args = 1,
	.want = "want a SHELL (bash)",
	.run = completion_run,
};
