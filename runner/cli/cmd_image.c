// SPDX-License-Identifier: Apache-2.0
/*
 * `runner image ...`: thin commands over oci/ (store, registry client,
 * archives), one file each (cmd_image_*.c).  Data goes to stdout, errors to
 * stderr as one line.
 */
#include <stddef.h>

#include "oci/store.h"
#include "runner/cli/commands.h"

static const struct cli_command *const image_cmds[] = {
	&cmd_image_build,  &cmd_image_list,    &cmd_image_tag,
	&cmd_image_remove, &cmd_image_inspect, &cmd_image_pull,
	&cmd_image_push,   &cmd_image_export,  &cmd_image_import,
	&cmd_image_sign,   &cmd_image_verify,  NULL,
};

const struct cli_command cmd_image = {
	.name = "image",
	.summary = "build, list, pull, push, inspect gadget images",
	.usage = "Usage: runner image <subcommand> [flags]\n\nSUBCOMMANDS\n",
	.usage_tail =
		"\n"
		"The store is --store DIR, else $RUNNER_STORE, else " OCI_STORE_DEFAULT_DIR
		"\n(root) or ~/" RUNNER_USER_STORE " (other users).\n"
		"A bare name means ghcr.io/inspektor-gadget/gadget/NAME "
		"(prefix: $RUNNER_REGISTRY_PREFIX).\n"
		"\n"
		"EXAMPLES\n"
		"  runner image build gadget/trace_dns -t trace_dns:latest\n"
		"  runner image list\n"
		"  runner image inspect trace_dns -o yaml\n"
		"  runner image push localhost:5000/gadgets/trace_dns:v1 "
		"--insecure-registries localhost:5000\n"
		"\n`runner image <subcommand> --help` tells more.\n",
	.subs = image_cmds,
};
