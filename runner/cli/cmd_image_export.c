// SPDX-License-Identifier: Apache-2.0
/* `runner image export IMAGE... FILE.tar`: an OCI image-layout tar. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "oci/archive.h"
#include "oci/store.h"
#include "runner/cli/commands.h"
#include "runner/cli/trust.h"

static int export_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	cleanup_store struct oci_store *store = NULL;
	const char *file = ctx->argv[ctx->argc - 1];
	char **refs = NULL;
	int i, n = 0, rc = EXIT_FAIL;

	(void)state;
	if (!*file)
		return cli_usage_error(err, ctx->path, "%s",
				       "an empty path: name a tar file, or - "
				       "for stdout");
	if (!strcmp(file, "-") && isatty(STDOUT_FILENO))
		return cli_usage_error(err, ctx->path, "%s",
				       "refusing to write a tar to a terminal");
	refs = calloc(ctx->argc - 1, sizeof(*refs));
	if (!refs)
		return cli_error(err, EXIT_FAIL, "out of memory");
	for (i = 0; i < ctx->argc - 1; i++) {
		rc = cli_normalize_ref(ctx->argv[i], &refs[n], err);
		if (rc != EXIT_OK)
			goto out;
		n++;
	}
	rc = EXIT_FAIL;
	/* signatures travel with their images */
	if (cli_store_open(ctx, &store, err) < 0 ||
	    image_sig_refs_append(store, &refs, &n, err) < 0 ||
	    oci_export(store, (const char *const *)refs, n, file, err) < 0)
		goto out;
	/* as ig says it; not into the tar on stdout */
	fprintf(strcmp(file, "-") ? stdout : stderr,
		"Successfully exported images to %s\n", file);
	rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
out:
	for (i = 0; i < n; i++)
		free(refs[i]);
	free(refs);
	return rc;
}

const struct cli_command cmd_image_export = {
	.name = "export",
	.summary = "write images to an OCI layout tar",
	.usage =
		"Usage: runner image export IMAGE... FILE.tar [flags]\n"
		"\n"
		"Write images, with every blob they use, as an OCI image-layout\n"
		"tar (an oci-archive for skopeo).  FILE \"-\" is stdout.\n"
		"\n"
		"FLAGS\n"
		"      --store DIR    image store\n"
		"\n"
		"EXAMPLES\n"
		"  runner image export trace_dns:latest trace_dns.tar\n"
		"  skopeo copy --dest-tls-verify=false oci-archive:trace_dns.tar \\\n"
		"      docker://localhost:5000/trace_dns:latest\n",
	.flags = CLI_STORE,
	.min_args = 2,
	.max_args = -1,
	.want = "want IMAGE... and FILE",
	.operands = CLI_OPERAND_IMAGE | CLI_OPERAND_FILE,
	.run = export_run,
};
