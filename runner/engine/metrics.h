/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Metrics of a data source, declared by its annotations as in ig's
 * otel-metrics operator: metrics.collect / metrics.print on the data
 * source, metrics.type (key, counter, gauge, histogram) on fields, or
 * types inferred from the gadget_counter__*, gadget_gauge__* and
 * gadget_histogram_slot__* typedefs.  Events already decoded are counted
 * into a preallocated table of series keyed by the key fields' text (no
 * allocation per event), capped in size; the rest goes to one overflow
 * series.  Rendered in the Prometheus text format or OpenMetrics.
 */
#ifndef RUNNER_ENGINE_METRICS_H
#define RUNNER_ENGINE_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct fieldset;
struct gadget_metadata;
struct metrics;

/* Key sets per data source unless told otherwise (the OpenTelemetry SDK's
 * default cardinality limit). */
#define METRICS_DEFAULT_MAX_SERIES 2000
/* The label of the series that counts key sets past the cap. */
#define METRICS_OVERFLOW_LABEL "otel_metric_overflow"

/* A growing text buffer; oom is set (and text dropped) when it cannot. */
struct mbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

void mbuf_put(struct mbuf *b, const char *s, size_t n);
void mbuf_puts(struct mbuf *b, const char *s);
void mbuf_printf(struct mbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void mbuf_free(struct mbuf *b);

/*
 * Check the metrics annotations of every data source of md by themselves
 * (values, names, boundaries), as `image build` can without the program.
 */
int metrics_check_metadata(const struct gadget_metadata *md,
			   struct error **err);

/* Does data source ds ask for metrics?  *print: metrics.print. */
bool metrics_wanted(const struct gadget_metadata *md, const char *ds,
		    bool *print);

/*
 * The metrics of data source ds (described by fs, which must outlive
 * them), exported with the scope name scope.  Fails on annotations that do
 * not fit the fields.
 */
int metrics_new(const struct fieldset *fs, const struct gadget_metadata *md,
		const char *ds, const char *scope, size_t max_series,
		struct metrics **out, struct error **err);
void metrics_free(struct metrics *m);

/* Count one event (as the tracer submitted it). */
void metrics_observe(struct metrics *m, const void *ev);

/* Key sets so far, and events that went to the overflow series. */
size_t metrics_series(const struct metrics *m);
unsigned long long metrics_overflowed(const struct metrics *m);

/* Append the exposition of m: Prometheus text 0.0.4, or OpenMetrics
 * (without its closing "# EOF", which ends a whole scrape). */
void metrics_render(const struct metrics *m, bool openmetrics, struct mbuf *b);

/*
 * The same for n of them (NULL ones skipped), as one scrape: a metric
 * name several have (data sources with the same metrics) is one family,
 * with the samples of each (their otel_scope_name apart), as ig's
 * exporter merges them; the text formats allow a name one family only.
 */
void metrics_render_all(const struct metrics *const *ms, size_t n,
			bool openmetrics, struct mbuf *b);
/* Can ms be rendered together: is every metric name they share of one
 * type, and in scopes of different names? */
int metrics_check_together(const struct metrics *const *ms, size_t n,
			   struct error **err);

/* Append a table of the series (for metrics.print). */
void metrics_table(const struct metrics *m, struct mbuf *b);

/* Escape a label value (\\, \", \n) into b. */
void metrics_escape_label(struct mbuf *b, const char *s, size_t n);

#endif
