// SPDX-License-Identifier: Apache-2.0
/*
 * The metrics side of `runner run` (see run_metrics.h): flags, annotations
 * given on the command line, the listener and the printed tables.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "metadata/metadata.h"
#include "runner/cli/cli.h"
#include "runner/cli/run_metrics.h"
#include "runner/engine/filter_value.h"
#include "runner/engine/http_exporter.h"
#include "runner/engine/metrics.h"
#include "runner/engine/session.h"

#define DEFAULT_ADDRESS "0.0.0.0:2224"
#define MIN_PRINT_MS 25

void run_metrics_init(struct run_metrics *rm)
{
	memset(rm, 0, sizeof(*rm));
	rm->address = DEFAULT_ADDRESS;
	rm->print_ms = 1000;
	rm->max_series = METRICS_DEFAULT_MAX_SERIES;
}

/* A duration as ig's (Go's time.ParseDuration: "500ms", "1.5s",
 * "1m30s"), in milliseconds, at most a day. */
static bool parse_duration_ms(const char *s, unsigned long *ms)
{
	const char *why;
	int64_t ns;

	if (filter_parse_signed_duration(s, &ns, &why) || ns < 0 ||
	    ns > 86400 * 1000000000LL)
		return false;
	*ms = (unsigned long)(ns / 1000000);
	return true;
}

int run_metrics_option(struct run_metrics *rm, int c, const char *arg,
		       struct error **err)
{
	switch (c) {
	case RM_OPT_LISTEN: /* the otel-metrics operator's bool param */
		return cli_param_bool_flag("otel-metrics-listen", arg,
					   &rm->listen, err);
	case RM_OPT_ADDRESS:
		if (http_addr_check(arg, err)) {
			error_prefix(err, "--otel-metrics-listen-address");
			return EXIT_USAGE;
		}
		rm->address = arg;
		return EXIT_OK;
	case RM_OPT_NAME:
		if (rm->n_names == RUN_METRICS_MAX_DS)
			return cli_error(err, EXIT_USAGE,
					 "too many --otel-metrics-name");
		rm->names[rm->n_names++] = arg;
		return EXIT_OK;
	case RM_OPT_PRINT_INTERVAL:
		if (!parse_duration_ms(arg, &rm->print_ms) ||
		    rm->print_ms < MIN_PRINT_MS)
			return cli_error(err, EXIT_USAGE,
					 "invalid --otel-metrics-print-interval"
					 " '%s': want a duration of at least "
					 "25ms (e.g. 500ms, 2s)",
					 arg);
		return EXIT_OK;
	case RM_OPT_MAX_SERIES:
		return parse_ulong("--otel-metrics-max-series", arg, 0, 1,
				   1u << 24, &rm->max_series, err) ?
			       EXIT_USAGE :
			       EXIT_OK;
	case RM_OPT_ANNOTATE:
		if (rm->n_annotations == RUN_METRICS_MAX_ANNOTATIONS)
			return cli_error(err, EXIT_USAGE,
					 "more than %d --annotate",
					 RUN_METRICS_MAX_ANNOTATIONS);
		rm->annotations[rm->n_annotations++] = arg;
		return EXIT_OK;
	}
	return EXIT_USAGE;
}

/* Does s start a new "target:key=" entry (so a comma before it splits)? */
static bool starts_entry(const char *s)
{
	size_t t = strcspn(s, ":=,"), k;

	if (!t || s[t] != ':')
		return false;
	k = strcspn(s + t + 1, "=,");
	return k && s[t + 1 + k] == '=';
}

/* One "ds[.field]:key=value" entry of length n. */
static int annotate_one(struct gadget_metadata *md, const char *s, size_t n,
			struct error **err)
{
	cleanup_free char *e = strndup(s, n);
	char *colon, *eq, *dot;

	if (!e)
		return error_set(err, ENOMEM, "annotate");
	colon = strchr(e, ':');
	eq = colon ? strchr(colon, '=') : NULL;
	if (!colon || colon == e || !eq || eq == colon + 1)
		return error_set(err, 0,
				 "--annotate \"%s\": want DS:KEY=VALUE or "
				 "DS.FIELD:KEY=VALUE",
				 e);
	*colon = *eq = '\0';
	dot = strchr(e, '.');
	if (dot)
		*dot = '\0';
	if (!*e || (dot && !dot[1]))
		return error_set(err, 0,
				 "--annotate \"%s\": empty data source or "
				 "field name",
				 s);
	return metadata_annotate(md, e, dot ? dot + 1 : NULL, colon + 1, eq + 1,
				 err);
}

int run_metrics_annotate(struct run_metrics *rm, struct gadget_metadata *md,
			 const char **bad, struct error **err)
{
	for (size_t i = 0; i < rm->n_annotations; i++) {
		const char *s = rm->annotations[i], *start = s;

		for (const char *p = s;; p++) {
			if (*p && !(*p == ',' && starts_entry(p + 1)))
				continue;
			if (annotate_one(md, start, p - start, err)) {
				*bad = s;
				return EXIT_USAGE;
			}
			if (!*p)
				break;
			start = p + 1;
		}
	}
	return 0;
}

/* The scope name --otel-metrics-name gives data source ds, else ds (also
 * for an empty one, "ds:", as in ig). */
static const char *scope_of(const struct run_metrics *rm, const char *ds,
			    char *buf, size_t len)
{
	const char *all = NULL;

	for (size_t i = 0; i < rm->n_names; i++) {
		const char *s = rm->names[i];

		while (*s) {
			size_t n = strcspn(s, ","), dl;
			const char *c = memchr(s, ':', n);

			if (!c) {
				all = s;
				snprintf(buf, len, "%.*s", (int)n, s);
			} else {
				dl = c - s;
				if (dl == strlen(ds) && !strncmp(s, ds, dl)) {
					snprintf(buf, len, "%.*s",
						 (int)(n - dl - 1), c + 1);
					return *buf ? buf : ds;
				}
			}
			s += n + (s[n] == ',');
		}
	}
	return all ? buf : ds;
}

static int add_source(struct run_metrics *rm, size_t i,
		      const struct gadget_metadata *md, const char *ds,
		      const struct fieldset *fs, struct error **err)
{
	char buf[256];
	bool print;

	if (i >= RUN_METRICS_MAX_DS || !metrics_wanted(md, ds, &print))
		return 0;
	/* collected only for someone: a scraper or the printed table */
	if (!print && !rm->listen)
		return 0;
	if (metrics_new(fs, md, ds, scope_of(rm, ds, buf, sizeof(buf)),
			rm->max_series, &rm->ms[i], err))
		return -1;
	rm->print[i] = print;
	if (i + 1 > rm->n_ds)
		rm->n_ds = i + 1;
	return 0;
}

static void render_all(void *ctx, bool om, struct mbuf *b)
{
	struct run_metrics *rm = ctx;

	metrics_render_all((const struct metrics *const *)rm->ms, rm->n_ds, om,
			   b);
}

bool run_metrics_prints(const struct run_metrics *rm, size_t i)
{
	return i < RUN_METRICS_MAX_DS && rm->ms[i] && rm->print[i];
}

static int print_tables(struct run_metrics *rm)
{
	struct mbuf b = { 0 };
	size_t off = 0;
	int rc = 0;

	for (size_t i = 0; i < rm->n_ds; i++) {
		if (!run_metrics_prints(rm, i))
			continue;
		metrics_table(rm->ms[i], &b);
		mbuf_puts(&b, "\n");
	}
	while (!b.oom && off < b.len) {
		ssize_t n = write(STDOUT_FILENO, b.p + off, b.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = -1;
			break;
		}
		off += n;
	}
	mbuf_free(&b);
	return rc;
}

/* Between polls of the session's loop; -1 when stdout broke. */
static int tick(void *ctx, double now, double *next)
{
	struct run_metrics *rm = ctx;
	bool any_print = false;
	int rc = 0;

	if (rm->http) {
		http_exporter_poll(rm->http);
		if (http_exporter_busy(rm->http))
			*next = now; /* at the next poll */
	}
	for (size_t i = 0; i < rm->n_ds; i++) {
		if (!rm->ms[i])
			continue;
		any_print |= rm->print[i];
		if (!rm->told_overflow[i] && metrics_overflowed(rm->ms[i])) {
			rm->told_overflow[i] = true;
			runner_msg(0,
				   "metrics: more than %lu key sets; the "
				   "rest are counted under "
				   "%s=\"true\"",
				   rm->max_series, METRICS_OVERFLOW_LABEL);
		}
	}
	if (!any_print)
		return 0;
	if (!rm->next_print) {
		rm->next_print = now + rm->print_ms / 1e3;
	} else if (now >= rm->next_print) {
		rm->next_print = now + rm->print_ms / 1e3;
		rc = print_tables(rm);
	}
	if (rm->next_print < *next)
		*next = rm->next_print;
	return rc;
}

int run_metrics_setup(struct run_metrics *rm, struct session *s,
		      const struct gadget_metadata *md, struct error **err)
{
	size_t i, n = session_source_count(s);

	for (i = 0; i < n; i++) {
		if (add_source(rm, i, md, session_source_name(s, i),
			       session_source_fields(s, i), err))
			return -1;
		session_set_metrics(s, i,
				    i < RUN_METRICS_MAX_DS ? rm->ms[i] : NULL,
				    run_metrics_prints(rm, i));
	}
	if (rm->listen &&
	    metrics_check_together((const struct metrics *const *)rm->ms,
				   rm->n_ds, err))
		return error_prefix(err, "metrics");
	if (rm->listen &&
	    http_exporter_new(rm->address, render_all, rm, &rm->http, err))
		return error_prefix(err, "--otel-metrics-listen");
	if (rm->http || rm->n_ds)
		session_set_tick(s, tick, rm,
				 rm->http ? http_exporter_fd(rm->http) : -1);
	return 0;
}

void run_metrics_fini(struct run_metrics *rm, bool final_print)
{
	if (final_print)
		print_tables(rm);
	http_exporter_free(rm->http);
	for (size_t i = 0; i < RUN_METRICS_MAX_DS; i++)
		metrics_free(rm->ms[i]);
	memset(rm->ms, 0, sizeof(rm->ms));
	rm->http = NULL;
}
