/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `runner image <build|list|tag|remove|inspect|pull|push|export|import>`.
 */
#ifndef RUNNER_CMD_IMAGE_H
#define RUNNER_CMD_IMAGE_H

/* argv[0] == "image" */
int cmd_image(int argc, char **argv);

#endif
