// SPDX-License-Identifier: Apache-2.0
/*
 * The registry flags pull, push, login and run share, and the progress line
 * they draw on stderr when it is a terminal.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

void cli_registry_opts_init(struct oci_registry_opts *o)
{
	oci_registry_opts_init(o);
	if (isatty(STDERR_FILENO))
		o->progress = progress;
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
