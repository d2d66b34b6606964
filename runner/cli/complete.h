/* SPDX-License-Identifier: Apache-2.0 */
/* Shell completion: `runner __complete`, read from the command table. */
#ifndef RUNNER_CLI_COMPLETE_H
#define RUNNER_CLI_COMPLETE_H

#include "runner/cli/cli.h"

/*
 * `runner __complete WORD... CURRENT`: print, one per line, what may
 * follow the words typed after "runner" (argv) and starts with CURRENT,
 * the last word; a line ":files" asks the shell for file names too.
 */
int cli_complete(const struct cli_command *root, int argc, char **argv);

/*
 * Call fn with each gadget flag (without "--") of the image that the
 * `runner run` words argv ("run", flags, IMAGE, ...) name, when the store
 * holds it and it is trusted as `runner run` would trust it.
 */
int run_gadget_flags(int argc, char **argv,
		     void (*fn)(void *ctx, const char *flag), void *ctx,
		     struct error **err);

#endif
