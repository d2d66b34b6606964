/* SPDX-License-Identifier: Apache-2.0 */
/* `runner image build DIR -t REF`: compile a gadget and store its image. */
#ifndef RUNNER_BUILD_H
#define RUNNER_BUILD_H

/* argv[0] == "build" */
int cmd_image_build(int argc, char **argv);

#endif
