// SPDX-License-Identifier: Apache-2.0
/*
 * The registry flags pull, push, login and run share, and the progress line
 * they draw on stderr when it is a terminal.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "oci/auth.h"
#include "runner/cli/cli.h"

static struct {
	char what[32];
	bool shown;
} progress_state;

static void human_size(int64_t n, char *buf, size_t len)
{
	if (n < 0)
		snprintf(buf, len, "?");
	else if (n < 1024)
		snprintf(buf, len, "%lld B", (long long)n);
	else if (n < 1024 * 1024)
		snprintf(buf, len, "%.1f KiB", n / 1024.0);
	else
		snprintf(buf, len, "%.1f MiB", n / (1024.0 * 1024));
}

static void progress(void *ctx, const char *what, int64_t done, int64_t total)
{
	char d[32], t[32];

	(void)ctx;
	if (done <= 0 && total <= 0)
		return;
	human_size(done, d, sizeof(d));
	human_size(total, t, sizeof(t));
	if (progress_state.shown && strcmp(progress_state.what, what))
		fputc('\n', stderr);
	snprintf(progress_state.what, sizeof(progress_state.what), "%s", what);
	progress_state.shown = true;
	fprintf(stderr, "\r%s: %s / %s\033[K", what, d, total > 0 ? t : "?");
}

void cli_progress_end(void)
{
	if (progress_state.shown)
		fputc('\n', stderr);
	progress_state.shown = false;
}

/* $name, when set and not empty: a number in [min, max]. */
static int env_ulong(const char *name, unsigned long min, unsigned long max,
		     unsigned long *out, bool *set, struct error **err)
{
	const char *v = getenv(name);

	*set = v && *v;
	if (!*set)
		return 0;
	return parse_ulong(name, v, 0, min, max, out, err);
}

int cli_registry_opts_init(struct oci_registry_opts *o, struct error **err)
{
	unsigned long v;
	bool set;

	const char *s;

	oci_registry_opts_init(o);
	if (isatty(STDERR_FILENO))
		o->progress = progress;
	s = getenv("RUNNER_INSECURE_REGISTRIES");
	if (s && *s)
		o->insecure = s;
	s = getenv("RUNNER_CERTS_DIR");
	if (s && *s)
		o->certs_dir = s;
	/* a value the library would ignore is a usage error here */
	if (env_ulong("RUNNER_REGISTRY_TIMEOUT", 1, 3600, &v, &set, err))
		return EXIT_USAGE;
	if (set)
		o->timeout_s = (long)v;
	if (env_ulong("RUNNER_REGISTRY_RETRIES", 0, 20, &v, &set, err))
		return EXIT_USAGE;
	if (set)
		o->retries = (int)v;
	if (env_ulong("RUNNER_PUSH_CHUNK_SIZE", 1, 1UL << 31, &v, &set, err))
		return EXIT_USAGE;
	if (set)
		o->chunk_size = (int64_t)v;
	return EXIT_OK;
}

int cli_registry_opts_check(struct oci_registry_opts *o, bool new_ok,
			    struct error **err)
{
	struct stat st;

	if (!o->authfile)
		return EXIT_OK;
	if (stat(o->authfile, &st) < 0) {
		if (errno == ENOENT && new_ok)
			return EXIT_OK;
		/* ig's default, named: missing, the other files are read,
		 * as ig reads docker's then */
		if (errno == ENOENT && !strcmp(o->authfile, OCI_IG_AUTH_FILE)) {
			o->authfile = NULL;
			return EXIT_OK;
		}
		if (errno == ENOENT)
			return cli_error(err, EXIT_USAGE,
					 "--authfile %s: No such file or "
					 "directory (runner login --authfile "
					 "%s writes it)",
					 o->authfile, o->authfile);
		return cli_error(err, EXIT_USAGE, "--authfile %s: %s",
				 o->authfile, strerror(errno));
	}
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) &&
	    !S_ISFIFO(st.st_mode))
		return cli_error(err, EXIT_USAGE, "--authfile %s: not a file",
				 o->authfile);
	return EXIT_OK;
}

bool cli_registry_option(struct oci_registry_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case CLI_OPT_AUTHFILE:
		o->authfile = arg;
		return true;
	case CLI_OPT_INSECURE:
		o->insecure = arg;
		return true;
	case CLI_OPT_CERT_DIR:
		o->certs_dir = arg;
		return true;
	default:
		return false;
	}
}
