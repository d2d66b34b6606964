/* SPDX-License-Identifier: Apache-2.0 */
/* The command table: one struct cli_command per command, one file each. */
#ifndef RUNNER_CLI_COMMANDS_H
#define RUNNER_CLI_COMMANDS_H

#include "runner/cli/cli.h"

extern const struct cli_command cmd_run;
extern const struct cli_command cmd_list_containers;
extern const struct cli_command cmd_login;
extern const struct cli_command cmd_logout;
extern const struct cli_command cmd_image;
extern const struct cli_command cmd_version;
extern const struct cli_command cmd_config;
extern const struct cli_command cmd_completion;

/* `runner image <subcommand>` */
extern const struct cli_command cmd_image_build;
extern const struct cli_command cmd_image_list;
extern const struct cli_command cmd_image_tag;
extern const struct cli_command cmd_image_remove;
extern const struct cli_command cmd_image_inspect;
extern const struct cli_command cmd_image_pull;
extern const struct cli_command cmd_image_push;
extern const struct cli_command cmd_image_export;
extern const struct cli_command cmd_image_import;
extern const struct cli_command cmd_image_sign;
extern const struct cli_command cmd_image_verify;

#endif
