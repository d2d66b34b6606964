/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RUNNER_CMD_RUN_H
#define RUNNER_CMD_RUN_H

/* `runner run IMAGE [flags]`; argv[0] == "run". */
int cmd_run(int argc, char **argv);

#endif
