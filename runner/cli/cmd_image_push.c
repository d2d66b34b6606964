// SPDX-License-Identifier: Apache-2.0
/* `runner image push IMAGE [DESTINATION]`: to a registry. */
#include <stdio.h>

#include "common/cleanup.h"
#include "oci/digest.h"
#include "oci/store.h"
#include "oci/transfer.h"
#include "runner/cli/commands.h"

static int push_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	cleanup_store struct oci_store *store = NULL;
	cleanup_free char *ref = NULL;
	cleanup_free char *dest = NULL;
	cleanup_free char *digest = NULL;
	int rc;

	(void)state;
	rc = cli_normalize_refs(ctx, &ref, &dest, err);
	if (rc != EXIT_OK)
		return rc;
	if (ctx->argc == 1 && oci_digest_valid(ref))
		return cli_usage_error(err, ctx->path, "%s",
				       "pushing a digest needs a DESTINATION");
	if (cli_store_open(ctx, &store, err) < 0)
		return EXIT_FAIL;
	cli_print_start("Pushing", ctx->argv[ctx->argc - 1]);
	rc = oci_push(store, ref, dest, &ctx->registry, &digest, err);
	cli_progress_end();
	if (rc < 0)
		return EXIT_FAIL;
	cli_print_done("pushed", dest ? dest : ref, digest);
	return EXIT_OK;
}

const struct cli_command cmd_image_push = {
	.name = "push",
	.summary = "upload an image to a registry",
	.usage =
		"Usage: runner image push IMAGE [DESTINATION] [flags]\n"
		"\n"
		"Upload an image from the local store to its registry (or to\n"
		"DESTINATION): missing blobs (mounted from another repository\n"
		"of that registry the store names an image holding the blob\n"
		"in, when the registry will), each manifest, then the index\n"
		"under the tag; then its signatures: the tag\n"
		"sha256-<digest>.sig and its OCI 1.1 referrers (listed under\n"
		"the referrers tag sha256-<digest> where the registry has no\n"
		"referrers API); those of another repository of the store\n"
		"when the image (tagged from there) has none of its own.\n"
		"\n"
		"FLAGS\n" CLI_REGISTRY_HELP
		"      --store DIR        image store\n"
		"\n"
		"EXAMPLES\n"
		"  runner image push localhost:5000/gadgets/trace_dns:v1 "
		"--insecure-registries localhost:5000\n"
		"  runner image push trace_dns ghcr.io/me/trace_dns:v1 "
		"--authfile auth.json\n",
	.flags = CLI_STORE | CLI_REGISTRY,
	.min_args = 1,
	.max_args = 2,
	.want = "want IMAGE [DESTINATION]",
	.operands = CLI_OPERAND_IMAGE,
	.run = push_run,
};
