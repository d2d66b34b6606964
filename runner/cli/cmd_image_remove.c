// SPDX-License-Identifier: Apache-2.0
/* `runner image remove IMAGE...`: untag, then delete unused blobs. */
#include <stdio.h>

#include "common/cleanup.h"
#include "oci/sign_store.h"
#include "oci/store.h"
#include "runner/cli/commands.h"

/*
 * Every IMAGE is tried; one that fails is reported on its own line and the
 * exit code says that one failed.
 */
static int remove_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	cleanup_store struct oci_store *store = NULL;
	int i, ret = EXIT_OK;

	(void)state;
	if (cli_store_open(ctx, &store, err) < 0)
		return EXIT_FAIL;
	for (i = 0; i < ctx->argc; i++) {
		cleanup_error struct error *one = NULL;
		cleanup_free char *ref = cli_normalize_ref(ctx->argv[i], &one);

		if (!ref || oci_store_untag(store, ref, &one) < 0) {
			ret = runner_msg(EXIT_FAIL, "%s", error_msg(one));
			continue;
		}
		printf("Untagged: %s\n", ref);
	}
	if (oci_store_gc(store, NULL, err) < 0 ||
	    oci_store_prune_built(store, err) < 0) {
		error_prefix(err, "delete unused blobs");
		return EXIT_FAIL;
	}
	return ret;
}

const struct cli_command cmd_image_remove = {
	.name = "remove",
	.alias = "rm",
	.summary = "remove images from the local store",
	.usage = "Usage: runner image remove IMAGE... [flags]\n"
		 "\n"
		 "Remove image references from the store and delete the blobs\n"
		 "no remaining image uses.\n"
		 "\n"
		 "FLAGS\n"
		 "      --store DIR    image store\n"
		 "\n"
		 "EXAMPLES\n"
		 "  runner image remove trace_dns\n"
		 "  runner image remove localhost:5000/gadgets/trace_dns:v1 "
		 "sha256:<digest>\n",
	.flags = CLI_STORE,
	.min_args = 1,
	.max_args = -1,
	.want = "want at least one IMAGE",
	.operands = CLI_OPERAND_IMAGE,
	.run = remove_run,
};
