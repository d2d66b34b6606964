// SPDX-License-Identifier: Apache-2.0
/*
 * ig's gadget instance manifests (`runner run -f FILE`, runner/cli/
 * manifest.c) from hostile bytes.  Whatever the file holds, a failure has
 * one message; a file that reads gives argv[0], one "--NAME=VALUE" per
 * key it keeps (never one of the runner's own flags for a gadget param),
 * the image, then the command line as it was.
 */
#include <getopt.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/error.h"
#include "runner/cli/manifest.h"
#include "fuzz.h"

static char path[512];

/* run's flags as far as the manifest reads them */
static const struct option flags[] = {
	{ "store", required_argument, NULL, 1 },
	{ "filter", required_argument, NULL, 2 },
	{ "fields", required_argument, NULL, 3 },
	{ 0 },
};

static void remove_file(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_TMPDIR");
	int fd;

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/fuzz_instance_spec.XXXXXX",
		 dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		exit(1);
	}
	close(fd);
	atexit(remove_file);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a0[] = "runner", a1[] = "-o", a2[] = "json";
	char *argv[] = { a0, a1, a2, NULL };
	cleanup_error struct error *err = NULL;
	char **args = NULL;
	int n_argc = 0, n_set = 0, rc, i;
	FILE *f = fopen(path, "w");

	FUZZ_CHECK(f && fwrite(data, 1, size, f) == size && !fclose(f),
		   "write %s", path);
	rc = manifest_run_args(path, 3, argv, flags, &n_argc, &args, &n_set,
			       &err);
	if (rc) {
		FUZZ_CHECK(err && err->msg && *err->msg &&
				   !strchr(err->msg, '\n'),
			   "failure %d without a one-line message", rc);
		FUZZ_CHECK(!args, "args on failure");
		return 0;
	}
	FUZZ_CHECK(n_argc == 3 + n_set + 1 && !args[n_argc], "argc %d", n_argc);
	FUZZ_CHECK(args[0] == argv[0], "argv[0]");
	for (i = 1; i <= n_set; i++) {
		FUZZ_CHECK(!strncmp(args[i], "--", 2) && strchr(args[i], '='),
			   "flag \"%s\"", args[i]);
		FUZZ_CHECK(strncmp(args[i], "--store=", 8),
			   "a manifest set --store");
		FUZZ_CHECK(manifest_value(strchr(args[i], '=') + 1),
			   "value of %s not the manifest's", args[i]);
		FUZZ_CHECK(!manifest_blame(args[i], &err), "no key for %s",
			   args[i]);
	}
	FUZZ_CHECK(args[n_set + 1] && *args[n_set + 1], "no image");
	FUZZ_CHECK(args[n_set + 2] == argv[1] && args[n_set + 3] == argv[2],
		   "the command line moved");
	FUZZ_CHECK(!manifest_value(argv[2]), "the command line's value");
	manifest_args_free(args, n_set);
	return 0;
}
