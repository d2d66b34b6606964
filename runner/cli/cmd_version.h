/* SPDX-License-Identifier: Apache-2.0 */
/* `runner version` and `runner --version`. */
#ifndef RUNNER_CMD_VERSION_H
#define RUNNER_CMD_VERSION_H

/* argv[0] == "version" (or "--version") */
int cmd_version(int argc, char **argv);

#endif
