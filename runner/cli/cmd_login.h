/* SPDX-License-Identifier: Apache-2.0 */
/* `runner login REGISTRY` and `runner logout REGISTRY`. */
#ifndef RUNNER_CMD_LOGIN_H
#define RUNNER_CMD_LOGIN_H

/* argv[0] == "login" */
int cmd_login(int argc, char **argv);
/* argv[0] == "logout" */
int cmd_logout(int argc, char **argv);

#endif
