/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `runner run` and metrics: the flags (as ig spells them), --annotate,
 * one struct metrics per data source that asks, the /metrics listener and
 * the metrics.print table.  cmd_run.c calls these few hooks.
 */
#ifndef RUNNER_CLI_RUN_METRICS_H
#define RUNNER_CLI_RUN_METRICS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct gadget_metadata;
struct http_exporter;
struct metrics;
struct session;

#define RUN_METRICS_MAX_DS 8
#define RUN_METRICS_MAX_ANNOTATIONS 64

enum {
	RM_OPT_LISTEN = 0x400, /* past cmd_run's own (CLI_OPT_OWN...) */
	RM_OPT_ADDRESS,
	RM_OPT_NAME,
	RM_OPT_PRINT_INTERVAL,
	RM_OPT_MAX_SERIES,
	RM_OPT_ANNOTATE,
};

/* clang-format off */
#define RUN_METRICS_OPTIONS						\
	{ "otel-metrics-listen", optional_argument, NULL, RM_OPT_LISTEN }, \
	{ "otel-metrics-listen-address", required_argument, NULL, RM_OPT_ADDRESS }, \
	{ "otel-metrics-name", required_argument, NULL, RM_OPT_NAME },	\
	{ "otel-metrics-print-interval", required_argument, NULL,	\
	  RM_OPT_PRINT_INTERVAL },					\
	{ "otel-metrics-max-series", required_argument, NULL,		\
	  RM_OPT_MAX_SERIES },						\
	{ "annotate", required_argument, NULL, RM_OPT_ANNOTATE }
#define RUN_METRICS_HELP						\
	"      --annotate DS:KEY=VALUE, DS.FIELD:KEY=VALUE\n"		\
	"                       add an annotation (repeatable)\n"	\
	"      --otel-metrics-listen[=BOOL]\n"				\
	"                       serve metrics on /metrics (Prometheus)\n" \
	"      --otel-metrics-listen-address ADDR\n"			\
	"                       where (default 0.0.0.0:2224; a host of\n" \
	"                       0.0.0.0, :: or none: IPv4 and IPv6)\n" \
	"      --otel-metrics-name DS:NAME[,...]\n"			\
	"                       the scope name of a data source's metrics\n" \
	"      --otel-metrics-print-interval DURATION\n"		\
	"                       metrics.print table period (default 1000ms)\n" \
	"      --otel-metrics-max-series N\n"				\
	"                       key sets per data source (default 2000)\n"
/* clang-format on */

struct run_metrics {
	bool listen;
	const char *address;
	const char *names[RUN_METRICS_MAX_DS]; /* "ds:name" specs */
	size_t n_names;
	const char *annotations[RUN_METRICS_MAX_ANNOTATIONS];
	size_t n_annotations;
	unsigned long print_ms;
	unsigned long max_series;

	size_t n_ds;
	struct metrics *ms[RUN_METRICS_MAX_DS];
	bool print[RUN_METRICS_MAX_DS];
	bool told_overflow[RUN_METRICS_MAX_DS];
	struct http_exporter *http;
	double next_print;
};

void run_metrics_init(struct run_metrics *rm);
/* Apply option c (an RM_OPT_*); EXIT_OK, or EXIT_USAGE and *err. */
int run_metrics_option(struct run_metrics *rm, int c, const char *arg,
		       struct error **err);
/* Add the --annotate annotations to md (before fields are built);
 * EXIT_OK, or EXIT_USAGE, *err and in *bad the --annotate value at
 * fault. */
int run_metrics_annotate(struct run_metrics *rm, struct gadget_metadata *md,
			 const char **bad, struct error **err);
/*
 * Before session_start(): metrics for every data source of s that asks
 * (and has a consumer: the listener or metrics.print), events kept off
 * stdout where metrics.print says so (and where -o is none: the session
 * itself), the listener started,
 * and the session's loop made to serve scrapes and print tables.
 */
int run_metrics_setup(struct run_metrics *rm, struct session *s,
		      const struct gadget_metadata *md, struct error **err);
/* Does data source i print a table instead of its events? */
bool run_metrics_prints(const struct run_metrics *rm, size_t i);
/* Print the tables a last time (metrics.print), then free; before
 * session_free() (the metrics read its fields). */
void run_metrics_fini(struct run_metrics *rm, bool final_print);

#endif
