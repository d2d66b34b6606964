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

struct fieldset;
struct gadget_metadata;
struct http_exporter;
struct metrics;

#define RUN_METRICS_MAX_DS 8
#define RUN_METRICS_MAX_ANNOTATIONS 64

enum {
	RM_OPT_LISTEN = 0x300,
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
	"                       where (default 0.0.0.0:2224)\n"		\
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
/* Apply option c (an RM_OPT_*); 0, or -1 after a usage message. */
int run_metrics_option(struct run_metrics *rm, int c, const char *arg);
/* Add the --annotate annotations to md (before fields are built). */
int run_metrics_annotate(struct run_metrics *rm, struct gadget_metadata *md,
			 struct error **err);
/* Build the metrics of data source i (named ds, fields fs) if it asks. */
int run_metrics_add(struct run_metrics *rm, size_t i,
		    const struct gadget_metadata *md, const char *ds,
		    const struct fieldset *fs, struct error **err);
/* Listen, if asked (after every run_metrics_add). */
int run_metrics_start(struct run_metrics *rm, struct error **err);
/* The metrics of data source i, NULL if none. */
static inline struct metrics *run_metrics_of(struct run_metrics *rm, size_t i)
{
	return i < RUN_METRICS_MAX_DS ? rm->ms[i] : NULL;
}
/* Does data source i print a table instead of its events? */
bool run_metrics_prints(const struct run_metrics *rm, size_t i);
/* Serve scrapes, print tables when due, say an overflow once (stderr).
 * Returns -1 when writing stdout failed. */
int run_metrics_tick(struct run_metrics *rm, double now);
/* Print the tables a last time (metrics.print), then free. */
void run_metrics_fini(struct run_metrics *rm, bool final_print);

#endif
