/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the metrics (metrics.c builds and counts, metrics_render.c
 * writes the exposition and the table). */
#ifndef RUNNER_ENGINE_METRICS_INTERNAL_H
#define RUNNER_ENGINE_METRICS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runner/engine/fields_internal.h"
#include "runner/engine/metrics.h"

#define MAX_BOUNDS 64
#define MAX_NAME 200
#define SCOPE_LABEL "otel_scope_name"

enum mtype {
	MT_NONE,
	MT_KEY,
	MT_COUNTER,
	MT_GAUGE,
	MT_HISTOGRAM,
};

struct mval {
	char *name; /* Prometheus name, unit suffix included, no _total */
	const char *help; /* points into metadata or the field */
	enum mtype type;
	const struct field *f; /* NULL: the implicit counter */
	bool slot_hist; /* f is an array of power-of-two slots */
	bool is_float;
	double div; /* a duration in ns to the unit: slots hold ns */
	bool skip_zero;
	const struct field *skip_if; /* not counted when non-zero */
	double *bounds;
	size_t nb;
	size_t slot; /* first value slot in a series row */
};

struct metrics {
	const struct fieldset *fs;
	char *scope;
	struct render_ctx rc;
	const struct field **keys;
	char **labels;
	size_t nk;
	struct mval *v;
	size_t nv;
	size_t slots; /* doubles per series */
	size_t cap, n; /* series: the limit and how many so far */
	size_t key_max; /* bytes of one series' key text */
	char *key_text; /* cap * key_max: as columns show it, NUL after each */
	uint32_t *key_len;
	uint64_t *hash;
	double *vals; /* (cap + 1) rows; row cap is the overflow series */
	uint32_t *table; /* series index + 1, 0 when free */
	size_t mask;
	char *scratch;
	unsigned long long overflow;
	/* Rows of the key texts unquoted (a text of its own as ig's exporter
	 * labels it: field_text_escaped()), made as the series is, for those
	 * whose text held a backslash (label_unquoted[s]); NULL when no key
	 * is such a text.  Last: the counting does not read them. */
	char *label_text; /* cap * key_max */
	bool *label_unquoted;
};

/* "counter", "gauge", "histogram" (and "key") as gadget.yaml's
 * metrics.type spells them. */
const char *metrics_type_name(enum mtype t);

/* A name a and b (not one metric) would both write in the text format
 * (a counter's x_total, a histogram's x_sum...), or NULL; in static
 * storage until the next call. */
const char *metrics_clash(const struct mval *a, const struct mval *b);

#endif
