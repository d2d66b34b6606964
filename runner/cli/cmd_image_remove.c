// SPDX-License-Identifier: Apache-2.0
/* `runner image remove IMAGE...`: untag, then delete unused blobs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "oci/digest.h"
#include "oci/sign_store.h"
#include "oci/store.h"
#include "runner/cli/commands.h"

enum { OPT_FORCE = CLI_OPT_OWN };

struct remove_state {
	bool force;
};

static int remove_option(void *state, int opt, const char *arg,
			 struct error **err)
{
	struct remove_state *s = state;

	(void)arg;
	(void)err;
	if (opt != OPT_FORCE && opt != 'f')
		return EXIT_USAGE;
	s->force = true;
	return EXIT_OK;
}

/* One line per tag removed: a digest or NAME@DIGEST names its tags. */
static void print_untagged(const char *name, void *arg)
{
	(void)arg;
	printf("Untagged: %s\n", name);
}

/*
 * Every IMAGE is tried; one that fails is reported on its own line and the
 * exit code says that one failed.
 */
static int remove_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	cleanup_store struct oci_store *store = NULL;
	struct remove_state *s = state;
	char **refs = calloc(ctx->argc, sizeof(*refs));
	int i, n = 0, ret = EXIT_OK;

	if (!refs)
		return cli_error(err, EXIT_FAIL, "out of memory");
	/* a name that is none is a usage error: nothing is removed */
	for (; n < ctx->argc; n++) {
		ret = cli_normalize_ref(ctx->argv[n], &refs[n], err);
		if (ret != EXIT_OK)
			goto out;
	}
	ret = EXIT_FAIL;
	if (cli_store_open(ctx, &store, err) < 0)
		goto out;
	ret = EXIT_OK;
	for (i = 0; i < n; i++) {
		cleanup_error struct error *one = NULL;

		if (oci_store_untag(store, refs[i], s->force, print_untagged,
				    NULL, &one) < 0)
			ret = runner_msg(EXIT_FAIL, "%s", error_msg(one));
		else /* as ig, after the tags it untagged */
			printf("Successfully removed %s\n", ctx->argv[i]);
	}
	/* and the signatures of what no image holds any more */
	if (oci_store_drop_orphan_signatures(store, err) < 0 ||
	    oci_store_gc(store, NULL, err) < 0 ||
	    oci_store_prune_built(store, err) < 0) {
		error_prefix(err, "delete unused blobs");
		ret = EXIT_FAIL;
	}
out:
	for (i = 0; i < n; i++)
		free(refs[i]);
	free(refs);
	return ret;
}

static const struct option remove_options[] = {
	{ "force", no_argument, NULL, OPT_FORCE },
	{ 0 },
};

const struct cli_command cmd_image_remove = {
	.name = "remove",
	.alias = "rm",
	.summary = "remove images from the local store",
	.usage =
		"Usage: runner image remove IMAGE... [flags]\n"
		"\n"
		"Remove image references from the store and delete the blobs\n"
		"no remaining image uses.\n"
		"\n"
		"A digest names every tag of that content: it is removed only\n"
		"with --force when there are several.  NAME@DIGEST names the\n"
		"tags of NAME that hold it.\n"
		"\n"
		"FLAGS\n"
		"  -f, --force        remove every tag of a digest\n"
		"      --store DIR    image store\n"
		"\n"
		"EXAMPLES\n"
		"  runner image remove trace_dns\n"
		"  runner image remove localhost:5000/gadgets/trace_dns:v1 "
		"sha256:<digest>\n",
	.flags = CLI_STORE,
	.options = remove_options,
	.short_opts = "f",
	.state_size = sizeof(struct remove_state),
	.option = remove_option,
	.min_args = 1,
	.max_args = -1,
	.want = "want at least one IMAGE",
	.operands = CLI_OPERAND_IMAGE,
	.run = remove_run,
};
