// SPDX-License-Identifier: Apache-2.0
/*
 * Metrics written out: the Prometheus and OpenMetrics text exposition and
 * the table `-o none` prints, into a growing text buffer.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/grow.h"
#include "runner/engine/metrics.h"
#include "runner/engine/metrics_internal.h"

/* %.17g of any double (24 bytes at most), ".0" and the NUL fit */
#define DOUBLE_TEXT_MAX 40

/* ---- text buffer ------------------------------------------------------ */

/* Room for n more bytes and a NUL; false (and oom) when there is none. */
static bool mbuf_reserve(struct mbuf *b, size_t n)
{
	if (b->oom)
		return false;
	if (grow_array((void **)&b->p, &b->cap, b->len + n + 1, 1, 4096)) {
		b->oom = true;
		return false;
	}
	return true;
}

void mbuf_put(struct mbuf *b, const char *s, size_t n)
{
	if (!mbuf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void mbuf_puts(struct mbuf *b, const char *s)
{
	mbuf_put(b, s, strlen(s));
}

/* Whole, however long (a name or key text cut short would lose the
 * newline or tab after it and break the line), formatted in place: into
 * the room there is, else again once the buffer has grown to fit. */
void mbuf_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (!mbuf_reserve(b, 0))
		return;
	room = b->cap - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= room) {
		if (mbuf_reserve(b, n)) {
			va_start(ap, fmt);
			vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
			va_end(ap);
		} else {
			n = -1;
		}
	}
	if (n < 0) {
		b->p[b->len] = '\0'; /* what was cut short is dropped */
		return;
	}
	b->len += n;
}

void mbuf_free(struct mbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void metrics_escape_label(struct mbuf *b, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		const char *esc = s[i] == '\\' ? "\\\\" :
				  s[i] == '"'  ? "\\\"" :
				  s[i] == '\n' ? "\\n" :
						 NULL;

		if (!esc)
			continue;
		mbuf_put(b, s + run, i - run);
		mbuf_puts(b, esc);
		run = i + 1;
	}
	mbuf_put(b, s + run, n - run);
}

/* HELP text: \\ and \n escaped (and \" in OpenMetrics). */
static void escape_help(struct mbuf *b, const char *s, bool om)
{
	for (; *s; s++) {
		if (*s == '\\')
			mbuf_puts(b, "\\\\");
		else if (*s == '\n')
			mbuf_puts(b, "\\n");
		else if (*s == '"' && om)
			mbuf_puts(b, "\\\"");
		else
			mbuf_put(b, s, 1);
	}
}

/* Shortest text that reads back as v; OpenMetrics wants a dot in le. */
/* v as the exposition formats write it, into tmp: NaN, +Inf, -Inf, or the
 * shortest of %.15g and %.17g that reads back as v; with force_dot, a
 * whole number gets ".0". */
static const char *fmt_double(char tmp[DOUBLE_TEXT_MAX], double v,
			      bool force_dot)
{
	if (isnan(v))
		return "NaN";
	if (isinf(v))
		return v > 0 ? "+Inf" : "-Inf";
	snprintf(tmp, DOUBLE_TEXT_MAX - 2, "%.15g", v);
	if (strtod(tmp, NULL) != v)
		snprintf(tmp, DOUBLE_TEXT_MAX - 2, "%.17g", v);
	if (force_dot && !strpbrk(tmp, ".e"))
		strcat(tmp, ".0");
	return tmp;
}

static void put_double(struct mbuf *b, double v, bool force_dot)
{
	char tmp[DOUBLE_TEXT_MAX];

	mbuf_puts(b, fmt_double(tmp, v, force_dot));
}

/* ---- rendering -------------------------------------------------------- */

/* {k="v",...,otel_scope_name="scope"[,extra]} of series s. */
static void put_labels(const struct metrics *m, struct mbuf *b, size_t s,
		       const char *le)
{
	/* a text of its own is counted as columns show it (the counting is
	 * not slowed); its label is the text itself, as ig's exporter has
	 * it, unquoted once as the series was made */
	const char *p = (s < m->cap && m->label_text && m->label_unquoted[s] ?
				 m->label_text :
				 m->key_text) +
			s * m->key_max;

	mbuf_puts(b, "{");
	if (s == m->cap) {
		mbuf_puts(b, METRICS_OVERFLOW_LABEL "=\"true\",");
	} else {
		for (size_t k = 0; k < m->nk; k++) {
			size_t l = strlen(p);

			mbuf_puts(b, m->labels[k]);
			mbuf_puts(b, "=\"");
			metrics_escape_label(b, p, l);
			mbuf_puts(b, "\",");
			p += l + 1;
		}
	}
	mbuf_puts(b, SCOPE_LABEL "=\"");
	metrics_escape_label(b, m->scope, strlen(m->scope));
	mbuf_puts(b, "\"");
	if (le) {
		mbuf_puts(b, ",le=\"");
		mbuf_puts(b, le);
		mbuf_puts(b, "\"");
	}
	mbuf_puts(b, "}");
}

static void put_hist(const struct metrics *m, const struct mval *v,
		     struct mbuf *b, size_t s, bool om)
{
	const double *row = m->vals + s * m->slots + v->slot;
	double cum = 0;
	char le[DOUBLE_TEXT_MAX]; /* on the stack: a scrape allocates none */

	if (!row[v->nb + 2])
		return; /* nothing observed in this key set (yet) */
	for (size_t i = 0; i <= v->nb; i++) {
		cum += row[i];
		mbuf_printf(b, "%s_bucket", v->name);
		put_labels(m, b, s,
			   i < v->nb ? fmt_double(le, v->bounds[i], om) :
				       "+Inf");
		mbuf_puts(b, " ");
		put_double(b, cum, false);
		mbuf_puts(b, "\n");
	}
	mbuf_printf(b, "%s_sum", v->name);
	put_labels(m, b, s, NULL);
	mbuf_puts(b, " ");
	put_double(b, row[v->nb + 1] / v->div, false);
	mbuf_puts(b, "\n");
	mbuf_printf(b, "%s_count", v->name);
	put_labels(m, b, s, NULL);
	mbuf_puts(b, " ");
	put_double(b, row[v->nb + 2], false);
	mbuf_puts(b, "\n");
}

/* The value of m named name, or NULL. */
static const struct mval *value_named(const struct metrics *m, const char *name)
{
	for (size_t i = 0; i < m->nv; i++)
		if (!strcmp(m->v[i].name, name))
			return &m->v[i];
	return NULL;
}

/* The samples of value v of m, every series. */
static void put_samples(const struct metrics *m, const struct mval *v,
			struct mbuf *b, bool om)
{
	size_t last = m->overflow ? m->cap + 1 : m->n;

	for (size_t s = 0; s < last; s++) {
		if (s == m->n && s < m->cap)
			s = m->cap; /* past the key sets: overflow */
		if (v->type == MT_HISTOGRAM) {
			put_hist(m, v, b, s, om);
			continue;
		}
		mbuf_printf(b, "%s%s", v->name,
			    v->type == MT_COUNTER ? "_total" : "");
		put_labels(m, b, s, NULL);
		mbuf_puts(b, " ");
		put_double(b, m->vals[s * m->slots + v->slot] / v->div, false);
		mbuf_puts(b, "\n");
	}
}

void metrics_render_all(const struct metrics *const *ms, size_t n, bool om,
			struct mbuf *b)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; ms[i] && k < ms[i]->nv; k++) {
			const struct mval *v = &ms[i]->v[k];
			const char *fam_suffix =
				v->type == MT_COUNTER && !om ? "_total" : "";
			bool done = false;

			for (size_t j = 0; j < i && !done; j++)
				done = ms[j] && value_named(ms[j], v->name);
			if (done)
				continue; /* in the family of an earlier one */
			if (v->help && *v->help) {
				mbuf_printf(b, "# HELP %s%s ", v->name,
					    fam_suffix);
				escape_help(b, v->help, om);
				mbuf_puts(b, "\n");
			}
			mbuf_printf(b, "# TYPE %s%s %s\n", v->name, fam_suffix,
				    metrics_type_name(v->type));
			put_samples(ms[i], v, b, om);
			for (size_t j = i + 1; j < n; j++) {
				const struct mval *w =
					ms[j] ? value_named(ms[j], v->name) :
						NULL;

				if (w && w->type == v->type)
					put_samples(ms[j], w, b, om);
			}
		}
	}
}

void metrics_render(const struct metrics *m, bool om, struct mbuf *b)
{
	metrics_render_all(&m, 1, om, b);
}

/* Whether value v of a can be written with the values of b (a later data
 * source) in one scrape. */
static int check_pair(const struct metrics *a, const struct mval *v,
		      const struct metrics *b, struct error **err)
{
	const struct mval *w = value_named(b, v->name);

	if (w && w->type != v->type)
		return error_set(err, 0,
				 "metric %s: a %s in scope %s, a %s in scope "
				 "%s",
				 v->name, metrics_type_name(v->type), a->scope,
				 metrics_type_name(w->type), b->scope);
	if (w && !strcmp(a->scope, b->scope))
		return error_set(err, 0,
				 "metric %s: two data sources in scope %s "
				 "(name them apart with --otel-metrics-name)",
				 v->name, a->scope);
	for (size_t l = 0; !w && l < b->nv; l++) {
		const char *c = metrics_clash(v, &b->v[l]);

		if (c)
			return error_set(err, 0,
					 "metrics %s of scope %s and %s of "
					 "scope %s: both write %s",
					 v->name, a->scope, b->v[l].name,
					 b->scope, c);
	}
	return 0;
}

int metrics_check_together(const struct metrics *const *ms, size_t n,
			   struct error **err)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; ms[i] && k < ms[i]->nv; k++)
			for (size_t j = i + 1; j < n; j++)
				if (ms[j] &&
				    check_pair(ms[i], &ms[i]->v[k], ms[j], err))
					return -1;
	return 0;
}

void metrics_table(const struct metrics *m, struct mbuf *b)
{
	size_t last = m->overflow ? m->cap + 1 : m->n;

	mbuf_printf(b, "%s: %zu series\n", m->scope, m->n);
	for (size_t k = 0; k < m->nk; k++)
		mbuf_printf(b, "%s\t", m->labels[k]);
	for (size_t i = 0; i < m->nv; i++)
		mbuf_printf(b, "%s%s", m->v[i].name, i + 1 < m->nv ? "\t" : "");
	mbuf_puts(b, "\n");
	for (size_t s = 0; s < last; s++) {
		const char *p;

		if (s == m->n && s < m->cap)
			s = m->cap;
		p = m->key_text + s * m->key_max;
		for (size_t k = 0; k < m->nk; k++) {
			if (s == m->cap) {
				mbuf_puts(b, k ? "-\t" : "(overflow)\t");
				continue;
			}
			mbuf_printf(b, "%s\t", *p ? p : "-");
			p += strlen(p) + 1;
		}
		for (size_t i = 0; i < m->nv; i++) {
			const struct mval *v = &m->v[i];
			const double *row = m->vals + s * m->slots + v->slot;

			if (v->type == MT_HISTOGRAM) {
				double n = row[v->nb + 2];

				mbuf_printf(b, "n=%.0f", n);
				if (n > 0) {
					mbuf_puts(b, " mean=");
					put_double(b,
						   row[v->nb + 1] / v->div / n,
						   false);
				}
			} else {
				put_double(b, row[0] / v->div, false);
			}
			mbuf_puts(b, i + 1 < m->nv ? "\t" : "\n");
		}
	}
}
