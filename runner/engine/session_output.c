// SPDX-License-Identifier: Apache-2.0
/*
 * The output mode of each data source, chosen as ig's cli operator
 * chooses it: the modes a data source supports (its annotation
 * cli.supported-output-modes, a comma list; else ig's columns, json,
 * jsonpretty, none, yaml, and here pcap-ng too when it carries packets),
 * its default (cli.default-output-mode; else columns if supported, else
 * the first supported one in name order), and -o: one mode for all, or
 * "ds:mode,ds2:mode" per data source (the others keep their default).  A
 * data source whose mode it does not support is skipped with ig's
 * warning; and whether its columns clear the screen before each batch
 * (cli.clear-screen-before: "true").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/escape.h"

#include "metadata/metadata.h"
#include "runner/engine/batch.h"
#include "runner/engine/fields.h"
#include "runner/engine/gadget.h"
#include "runner/engine/log.h"

#include "runner/engine/session_internal.h"

#define A_SUPPORTED "cli.supported-output-modes"
#define A_DEFAULT "cli.default-output-mode"
#define A_CLEAR "cli.clear-screen-before"

static const char *annotation(const struct session *s, const struct source *src,
			      const char *key)
{
	return metadata_ds_annotation(s->md, src->tracer->name, key);
}

/* Is mode (n bytes) one of the comma list's items? */
static bool listed(const char *list, const char *mode, size_t n)
{
	for (const char *p = list;; p++) {
		size_t k = strcspn(p, ",");

		if (k == n && !strncmp(p, mode, n))
			return true;
		p += k;
		if (!*p)
			return false;
	}
}

/*
 * The modes src supports: its cli.supported-output-modes, else ig's
 * DefaultSupportedOutputModes, and here pcap-ng too when src carries
 * packets.
 */
static const char *supported_list(const struct session *s,
				  const struct source *src)
{
	const char *list = annotation(s, src, A_SUPPORTED);

	if (list)
		return list;
	return fieldset_has_packets(src->fs) ?
		       "columns,json,jsonpretty,none,pcap-ng,yaml" :
		       "columns,json,jsonpretty,none,yaml";
}

static bool supports(const struct session *s, const struct source *src,
		     const char *mode)
{
	return *mode && listed(supported_list(s, src), mode, strlen(mode));
}

/* One mode of a list: its bytes and length. */
struct mode_item {
	const char *p;
	size_t n;
};

static int by_mode(const void *a, const void *b)
{
	const struct mode_item *x = a, *y = b;
	int c = strncmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

#define DESCRIBE_MODES 32 /* of a list, at most */

/* The modes src supports, in name order (as ig's help), into m. */
static size_t modes_sorted(const struct session *s, const struct source *src,
			   struct mode_item *m)
{
	const char *list = supported_list(s, src);
	size_t n = 0;

	for (const char *p = list; p && n < DESCRIBE_MODES;) {
		size_t k = strcspn(p, ",");

		if (k)
			m[n++] = (struct mode_item){ p, k };
		p = p[k] ? p + k + 1 : NULL;
	}
	qsort(m, n, sizeof(*m), by_mode);
	return n;
}

/*
 * src's default mode into buf (of size n), as ig chooses it; "" when its
 * cli.default-output-mode is a mode it does not support.
 */
static void default_mode(const struct session *s, const struct source *src,
			 char *buf, size_t n)
{
	const char *def = annotation(s, src, A_DEFAULT);
	struct mode_item m[DESCRIBE_MODES];

	buf[0] = '\0';
	if (def) {
		if (supports(s, src, def))
			snprintf(buf, n, "%s", def);
		return;
	}
	if (supports(s, src, "columns"))
		snprintf(buf, n, "columns");
	else if (modes_sorted(s, src, m)) /* its first by name, as ig */
		snprintf(buf, n, "%.*s", (int)m[0].n, m[0].p);
}

/* Data source src writes in mode (ig's text), or nothing, with a note. */
static void choose(struct source *src, const char *mode, bool supported)
{
	const char *name = src->tracer->name;

	src->no_output = true;
	if (!supported) {
		engine_log(ENGINE_LOG_NOTICE,
			   "output mode \"%s\" for data source \"%s\" is not "
			   "supported; skipping data source",
			   mode, name);
		return;
	}
	if (!strcmp(mode, "none"))
		return;
	if (output_mode_parse(mode, &src->mode)) {
		engine_log(ENGINE_LOG_NOTICE,
			   "output mode \"%s\" for data source \"%s\" is not "
			   "one the runner writes; skipping data source",
			   mode, name);
		return;
	}
	src->no_output = false;
}

/* What a data source supports, for an error: "a, b, c". */
static const char *modes_of(const struct session *s, const struct source *src)
{
	const char *list = annotation(s, src, A_SUPPORTED);
	struct mode_item m[DESCRIBE_MODES];

	if (list)
		return modes_sorted(s, src, m) ? list :
						 "none at all: " A_SUPPORTED
						 " lists none";
	return fieldset_has_packets(src->fs) ?
		       "columns, json, jsonpretty, none, pcap-ng, yaml" :
		       "columns, json, jsonpretty, none, yaml";
}

/* -o's mode for data source ds (NULL: every one). */
static int mode_one(void *ctx, const char *ds, const char *mode,
		    struct error **err)
{
	struct session *s = ctx;
	enum output_mode m;
	struct source *first = NULL;
	size_t matched = 0, taken = 0;

	for (size_t i = 0; i < s->n_src; i++) {
		struct source *src = &s->src[i];

		if (ds && strcmp(ds, src->tracer->name))
			continue;
		matched++;
		first = first ? first : src;
		taken += supports(s, src, mode);
	}
	if (ds && !matched)
		return error_set(err, 0, "\"%s:%s\": no data source %s", ds,
				 mode, ds);
	if (!taken && strcmp(mode, "none") && output_mode_parse(mode, &m))
		return error_set(err, 0,
				 "invalid output mode '%s': want columns, "
				 "json, jsonpretty, yaml, pcap-ng, none",
				 mode);
	/* what would print nothing at all is refused (ig warns only),
	 * but none, which prints nothing anyway */
	if (!taken && strcmp(mode, "none") && first)
		return error_set(err, 0,
				 "output mode \"%s\" for data source \"%s\" "
				 "is not supported (its modes: %s)",
				 mode, first->tracer->name, modes_of(s, first));
	for (size_t i = 0; i < s->n_src; i++) {
		struct source *src = &s->src[i];

		if (ds && strcmp(ds, src->tracer->name))
			continue;
		choose(src, mode, supports(s, src, mode));
		src->mode_given = true;
	}
	return 0;
}

int session_set_output(struct session *s, const char *spec, struct error **err)
{
	for (size_t i = 0; i < s->n_src; i++) {
		const char *clear = annotation(s, &s->src[i], A_CLEAR);

		s->src[i].mode_given = false;
		/* as ig: the columns of arrays (snapshots, map iterators) */
		s->src[i].clear_screen = clear && !strcmp(clear, "true") &&
					 s->src[i].batch;
	}
	if (spec && batch_per_ds(spec, ',', mode_one, s, err) < 0)
		return -1;
	for (size_t i = 0; i < s->n_src; i++) {
		struct source *src = &s->src[i];
		char def[64];

		if (src->mode_given)
			continue;
		default_mode(s, src, def, sizeof(def));
		if (!*def && annotation(s, src, A_DEFAULT)) {
			engine_log(ENGINE_LOG_NOTICE,
				   "default output mode \"%s\" for data source "
				   "\"%s\" is not supported; skipping data "
				   "source",
				   annotation(s, src, A_DEFAULT),
				   src->tracer->name);
			src->no_output = true;
			continue;
		}
		if (!*def) { /* an empty cli.supported-output-modes */
			engine_log(ENGINE_LOG_NOTICE,
				   "data source \"%s\" supports no output mode "
				   "(its " A_SUPPORTED " lists none); skipping "
				   "data source",
				   src->tracer->name);
			src->no_output = true;
			continue;
		}
		choose(src, def, true);
	}
	s->output_chosen = true;
	return 0;
}

void session_describe_modes(const struct session *s, FILE *out)
{
	fprintf(out, "\nOUTPUT MODES (-o)\n");
	for (size_t i = 0; i < s->n_src; i++) {
		const struct source *src = &s->src[i];
		struct mode_item m[DESCRIBE_MODES];
		size_t n = modes_sorted(s, src, m);
		char def[64];
		cleanup_free char *name = term_escaped(src->tracer->name, 0);

		default_mode(s, src, def, sizeof(def));
		fprintf(out, "  %-28s %s", name ? name : "",
			n ? "" : "(no output mode)");
		for (size_t k = 0; k < n; k++) {
			cleanup_free char *mode = strndup(m[k].p, m[k].n);
			cleanup_free char *esc = mode ? term_escaped(mode, 0) :
							NULL;

			fprintf(out, "%s%s%s", k ? ", " : "", esc ? esc : "",
				mode && !strcmp(mode, def) ? " (default)" : "");
		}
		fputc('\n', out);
	}
}
