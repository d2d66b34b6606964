// SPDX-License-Identifier: Apache-2.0
/* `runner image pull IMAGE`: from its registry into the local store. */
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "oci/store.h"
#include "oci/transfer.h"
#include "runner/cli/commands.h"

enum {
	OPT_ARCH = CLI_OPT_OWN,
};

struct pull_state {
	const char *arch; /* --arch, "host" resolved */
};

static int pull_option(void *state, int opt, const char *arg,
		       struct error **err)
{
	struct pull_state *s = state;

	(void)opt; /* --arch */
	(void)err;
	s->arch = !strcmp(arg, "host") ? oci_host_arch() : arg;
	return EXIT_OK;
}

static int pull_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	struct pull_state *s = state;
	cleanup_store struct oci_store *store = NULL;
	cleanup_free char *ref = NULL;
	cleanup_free char *digest = NULL;
	cleanup_free char *dropped = NULL;
	int rc;

	rc = cli_repo_ref(ctx, &ref, err);
	if (rc != EXIT_OK)
		return rc;
	if (cli_store_open(ctx, &store, err) < 0)
		return EXIT_FAIL;
	cli_print_start("Pulling", ctx->argv[0]);
	rc = oci_pull(store, ref, s->arch, &ctx->registry, &digest, &dropped,
		      err);
	cli_progress_end();
	if (rc < 0)
		return EXIT_FAIL;
	if (dropped)
		runner_msg(0, "warning: a signature of %s was left out: %s",
			   ref, dropped);
	cli_print_done("pulled", ref, digest);
	return EXIT_OK;
}

static const struct option pull_options[] = {
	{ "arch", required_argument, NULL, OPT_ARCH },
	{ 0 },
};

const struct cli_command cmd_image_pull = {
	.name = "pull",
	.summary = "download an image from a registry",
	.usage =
		"Usage: runner image pull IMAGE [flags]\n"
		"\n"
		"Download an image (every architecture) from its registry into\n"
		"the local store, with its cosign signatures: the tag\n"
		"sha256-<digest>.sig and its OCI 1.1 referrers (through the\n"
		"referrers API, or the referrers tag sha256-<digest>).  Digests\n"
		"and sizes are verified before anything is stored.  A signature\n"
		"the registry holds broken is left out with a warning, as ig's\n"
		"pull does.\n"
		"\n"
		"FLAGS\n" CLI_REGISTRY_HELP
		"      --arch ARCH        fail unless the image has a manifest for\n"
		"                         ARCH (\"host\": this machine's)\n"
		"      --store DIR        image store\n"
		"\n"
		"ENVIRONMENT\n"
		"  RUNNER_INSECURE_REGISTRIES, RUNNER_REGISTRY_TIMEOUT (seconds),\n"
		"  RUNNER_REGISTRY_RETRIES, REGISTRY_AUTH_FILE\n"
		"\n"
		"EXAMPLES\n"
		"  runner image pull trace_dns\n"
		"  runner image pull localhost:5000/gadgets/trace_dns:v1 "
		"--insecure-registries localhost:5000\n",
	.options = pull_options,
	.flags = CLI_STORE | CLI_STORE_CREATE | CLI_REGISTRY,
	.min_args = 1,
	.max_args = 1,
	.want = "want one IMAGE",
	.operands = CLI_OPERAND_IMAGE,
	.state_size = sizeof(struct pull_state),
	.option = pull_option,
	.run = pull_run,
};
