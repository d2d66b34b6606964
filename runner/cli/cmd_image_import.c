// SPDX-License-Identifier: Apache-2.0
/* `runner image import FILE.tar [-t REF]`: store an image-layout tar. */
#include <stdio.h>
#include <stdlib.h>

#include "common/cleanup.h"
#include "common/escape.h"
#include "oci/archive.h"
#include "oci/store.h"
#include "runner/cli/commands.h"

struct import_state {
	const char *tag; /* -t REF */
};

static int import_option(void *state, int opt, const char *arg,
			 struct error **err)
{
	struct import_state *s = state;

	(void)opt; /* -t */
	(void)err;
	s->tag = arg;
	return EXIT_OK;
}

static int import_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	struct import_state *s = state;
	cleanup_store struct oci_store *store = NULL;
	cleanup_free char *tag = NULL;
	char **refs = NULL;
	size_t i, n = 0;

	if (s->tag && !(tag = cli_normalize_ref(s->tag, err)))
		return EXIT_FAIL;
	if (cli_store_open(ctx, &store, err) < 0 ||
	    oci_import(store, ctx->argv[0], tag, runner_default_prefix(), &refs,
		       &n, err) < 0)
		return EXIT_FAIL;
	for (i = 0; i < n; i++) {
		cleanup_free char *r = term_escaped(refs[i], 0);

		printf("Imported: %s\n", r ? r : "?");
		free(refs[i]);
	}
	free(refs);
	return EXIT_OK;
}

static const struct option import_options[] = {
	{ "tag", required_argument, NULL, 't' },
	{ 0 },
};

const struct cli_command cmd_image_import = {
	.name = "import",
	.summary = "read images from an OCI layout tar",
	.usage =
		"Usage: runner image import FILE.tar [-t REF] [flags]\n"
		"\n"
		"Store the images of an OCI image-layout tar (made by `runner\n"
		"image export` or by skopeo as an oci-archive).  Every blob is\n"
		"verified before anything is stored; an archive of more than\n"
		"1 GiB (after decompression) is refused.  FILE \"-\" is stdin.\n"
		"\n"
		"FLAGS\n"
		"  -t, --tag REF      name the archive's only image REF (needed\n"
		"                     when the archive names it by a tag only)\n"
		"      --store DIR    image store\n"
		"\n"
		"EXAMPLES\n"
		"  runner image import trace_dns.tar\n"
		"  skopeo copy docker://localhost:5000/trace_dns:v1 "
		"oci-archive:x.tar:v1\n"
		"  runner image import x.tar -t localhost:5000/trace_dns:v1\n",
	.short_opts = "t:",
	.options = import_options,
	.flags = CLI_STORE | CLI_STORE_CREATE,
	.min_args = 1,
	.max_args = 1,
	.want = "want one FILE",
	.operands = CLI_OPERAND_FILE,
	.state_size = sizeof(struct import_state),
	.option = import_option,
	.run = import_run,
};
