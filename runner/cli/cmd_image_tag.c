// SPDX-License-Identifier: Apache-2.0
/* `runner image tag SOURCE TARGET`: another reference for an image. */
#include <string.h>

#include "common/cleanup.h"
#include "oci/digest.h"
#include "oci/store.h"
#include "oci/store_txn.h"
#include "runner/cli/commands.h"

static int tag_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	cleanup_store struct oci_store *store = NULL;
	cleanup_free char *src = NULL;
	cleanup_free char *dst = NULL;
	struct oci_descriptor *d = NULL;
	int rc;

	(void)state;
	rc = cli_normalize_refs(ctx, &src, &dst, err);
	if (rc != EXIT_OK)
		return rc;
	if (strchr(dst, '@') || oci_digest_valid(dst))
		return cli_usage_error(err, ctx->path,
				       "target '%s' must be a tag, not a "
				       "digest",
				       ctx->argv[1]);
	if (cli_store_open(ctx, &store, err) < 0 ||
	    oci_store_tag(store, src, dst, err) < 0)
		return EXIT_FAIL;
	/* as ig: "Successfully tagged with NAME:TAG@DIGEST" */
	if (!oci_store_resolve(store, dst, &d, NULL)) {
		cli_print_done("tagged with", dst, d->digest);
		oci_descriptor_free(d);
	}
	return EXIT_OK;
}

const struct cli_command cmd_image_tag = {
	.name = "tag",
	.summary = "give an image another reference",
	.usage =
		"Usage: runner image tag SOURCE TARGET [flags]\n"
		"\n"
		"Give the image SOURCE names another reference TARGET.\n"
		"\n"
		"FLAGS\n"
		"      --store DIR    image store\n"
		"\n"
		"EXAMPLES\n"
		"  runner image tag trace_dns localhost:5000/gadgets/trace_dns:v1\n",
	.flags = CLI_STORE,
	.min_args = 2,
	.max_args = 2,
	.want = "want SOURCE and TARGET",
	.operands = CLI_OPERAND_IMAGE,
	.run = tag_run,
};
