/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RUNNER_CMD_RUN_H
#define RUNNER_CMD_RUN_H

#include <getopt.h>

#include "common/error.h"

struct oci_store;

/* `runner run IMAGE [flags]`; argv[0] == "run". */
int cmd_run(int argc, char **argv);
/* Its own flags (the gadget's come from the image). */
extern const struct option run_opts[];
/* Call fn with each gadget flag (without "--") of image in store. */
int run_gadget_flags(struct oci_store *store, const char *image,
		     void (*fn)(void *ctx, const char *flag), void *ctx,
		     struct error **err);

#endif
