// SPDX-License-Identifier: Apache-2.0
/*
 * ig's configuration file (runner/cli/config.c) from hostile bytes: read
 * with --config, its keys turned into `runner run` flags, and shown by
 * `config view`.  Whatever it holds, a failure has one message and every
 * flag is "--NAME=VALUE"; a file that reads shows a view that reads back
 * as the same flags (the view is what the runner takes from the file).
 */
#include <stdbool.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/error.h"
#include "runner/cli/config.h"
#include "fuzz.h"

static char path[512];

static void remove_file(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_TMPDIR");
	extern char **environ;
	int fd;

	(void)argc;
	(void)argv;
	/* the environment would win over the file */
	for (char **e = environ; *e;)
		if (!strncmp(*e, CONFIG_ENV_PREFIX,
			     strlen(CONFIG_ENV_PREFIX))) {
			cleanup_free char *name = strndup(*e, strcspn(*e, "="));

			unsetenv(name);
			e = environ;
		} else {
			e++;
		}
	snprintf(path, sizeof(path), "%s/fuzz_config.XXXXXX",
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

static void write_file(const void *data, size_t size)
{
	FILE *f = fopen(path, "w");

	FUZZ_CHECK(f && fwrite(data, 1, size, f) == size && !fclose(f),
		   "write %s", path);
}

/*
 * Read the file as `runner run` does: the flags it sets, one string of
 * them joined by '\n' (malloc'd), or NULL when it is refused.
 */
static char *flags_of_file(void)
{
	char a0[] = "runner", a1[] = "--config", a3[] = "run", a4[] = "x";
	char *argv[] = { a0, a1, path, a3, a4, NULL };
	cleanup_error struct error *err = NULL;
	char **args = NULL, *out = NULL;
	size_t len = 0;
	int argc = 5, n_argc = 0, n_set = 0, rc;
	FILE *f;

	rc = config_init(&argc, argv, &err);
	if (!rc) {
		FUZZ_CHECK(argc == 3 && !strcmp(argv[1], "run"),
			   "--config left in argv (%d)", argc);
		rc = config_run_args(argc, argv, &n_argc, &args, &n_set, &err);
	}
	if (rc) {
		FUZZ_CHECK(err && err->msg && *err->msg &&
				   !strchr(err->msg, '\n'),
			   "failure %d without a one-line message", rc);
		config_fini();
		return NULL;
	}
	FUZZ_CHECK(n_argc == argc + n_set && args[n_argc] == NULL, "argv");
	f = open_memstream(&out, &len);
	FUZZ_CHECK(f, "memstream");
	for (int i = 1; i <= n_set; i++) {
		FUZZ_CHECK(!strncmp(args[i], "--", 2) && strchr(args[i], '='),
			   "flag \"%s\"", args[i]);
		fprintf(f, "%s\n", args[i]);
	}
	fclose(f);
	config_args_free(args, n_set);
	return out;
}

/* What `runner config view` prints of the file read last. */
static char *view(void)
{
	cleanup_error struct error *err = NULL;
	FILE *saved = stdout, *f;
	char *out = NULL;
	size_t len = 0;

	f = open_memstream(&out, &len);
	FUZZ_CHECK(f, "memstream");
	stdout = f;
	FUZZ_CHECK(config_print_view(&err) == 0, "config view failed");
	stdout = saved;
	fclose(f);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cleanup_free char *flags = NULL, *shown = NULL, *again = NULL;

	write_file(data, size);
	flags = flags_of_file();
	if (!flags)
		return 0;
	shown = view();
	config_fini();
	write_file(shown, strlen(shown));
	again = flags_of_file();
	FUZZ_CHECK(again, "the view of the file does not read back:\n%s",
		   shown);
	config_fini();
	FUZZ_CHECK(!strcmp(flags, again),
		   "the file sets\n%sits view\n%sreads as\n%s", flags, shown,
		   again);
	return 0;
}
