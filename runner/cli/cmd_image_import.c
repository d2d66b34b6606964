// SPDX-License-Identifier: Apache-2.0
/* `runner image import FILE.tar [-t REF]`: store an image-layout tar. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/escape.h"
#include "common/json.h"
#include "oci/archive.h"
#include "oci/sign.h"
#include "oci/store.h"
#include "runner/cli/commands.h"

struct import_state {
	const char *tag; /* -t REF */
	int json; /* -o json: 1, jsonpretty: 2 */
};

static int import_option(void *state, int opt, const char *arg,
			 struct error **err)
{
	struct import_state *s = state;

	if (opt == 't') {
		s->tag = arg;
		return EXIT_OK;
	}
	/* -o, as ig's import */
	if (!strcmp(arg, "json"))
		s->json = 1;
	else if (!strcmp(arg, "jsonpretty"))
		s->json = 2;
	else
		return cli_usage_error(err, "image import",
				       "invalid output '%s': want json or "
				       "jsonpretty",
				       arg);
	return EXIT_OK;
}

/* The images imported (their signatures came along, unnamed here, as ig
 * names them): ig's "Successfully imported images:" and a "  REF" line
 * each, or a JSON array of them. */
static int print_imported(const struct import_state *s, char *const *refs,
			  size_t n)
{
	cleanup_json json_t *arr = s->json ? json_array() : NULL;

	if (s->json && !arr)
		return -1;
	if (!arr)
		printf("Successfully imported images:\n");
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *r = NULL;

		if (oci_is_signature_ref(refs[i]))
			continue;
		if (arr) {
			json_array_append_new(arr, json_string(refs[i]));
			continue;
		}
		r = term_escaped(refs[i], 0);
		printf("  %s\n", r ? r : "?");
	}
	if (arr)
		cli_print_json(arr, s->json == 2);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int import_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	struct import_state *s = state;
	cleanup_store struct oci_store *store = NULL;
	cleanup_free char *tag = NULL;
	char **refs = NULL;
	size_t i, n = 0;
	int rc;

	/* as export refuses to write one to a terminal: a tar typed in
	 * there is no tar, and the command would wait for it */
	if (!*ctx->argv[0])
		return cli_usage_error(err, ctx->path, "%s",
				       "an empty path: name a tar file, or - "
				       "for stdin");
	if (!strcmp(ctx->argv[0], "-") && isatty(STDIN_FILENO))
		return cli_usage_error(
			err, ctx->path, "%s",
			"refusing to read a tar from a terminal");
	if (s->tag && (rc = cli_normalize_ref(s->tag, &tag, err)) != EXIT_OK)
		return rc;
	if (cli_store_open(ctx, &store, err) < 0 ||
	    oci_import(store, ctx->argv[0], tag, runner_default_prefix(), &refs,
		       &n, err) < 0)
		return EXIT_FAIL;
	/* as ig names them: its archive's tags, sorted */
	if (n)
		qsort(refs, n, sizeof(*refs), by_name);
	rc = print_imported(s, refs, n);
	for (i = 0; i < n; i++)
		free(refs[i]);
	free(refs);
	if (rc < 0)
		return cli_error(err, EXIT_FAIL, "out of memory");
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

static const struct option import_options[] = {
	{ "tag", required_argument, NULL, 't' },
	{ "output", required_argument, NULL, 'o' },
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
		"1 GiB (after decompression) is refused.  FILE \"-\" is stdin\n"
		"(not a terminal).\n"
		"\n"
		"FLAGS\n"
		"  -t, --tag REF      name the archive's only image REF (needed\n"
		"                     when the archive names it by a tag only)\n"
		"  -o, --output FMT   json or jsonpretty: the images imported\n"
		"                     as a JSON array (default: a line each)\n"
		"      --store DIR    image store\n"
		"\n"
		"EXAMPLES\n"
		"  runner image import trace_dns.tar\n"
		"  skopeo copy --src-tls-verify=false \\\n"
		"      docker://localhost:5000/trace_dns:latest oci-archive:x.tar:v1\n"
		"  runner image import x.tar -t localhost:5000/trace_dns:v1\n",
	.short_opts = "t:o:",
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
