// SPDX-License-Identifier: Apache-2.0
/*
 * Metrics from annotated fields (see metrics.h).  All memory is taken in
 * metrics_new(): per series, the key fields' text and a row of value
 * slots; an open-addressing table finds the series of an event by the hash
 * of that text.  Counting an event formats its key fields, hashes them and
 * adds to doubles: no allocation, no system call.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metadata/metadata.h"
#include "runner/engine/fields_internal.h"
#include "runner/engine/metrics.h"
#include "runner/engine/metrics_internal.h"

#define A_COLLECT "metrics.collect"
#define A_PRINT "metrics.print"
#define A_IMPLICIT_NAME "metrics.implicit-counter.name"
#define A_IMPLICIT_DESC "metrics.implicit-counter.description"
#define A_TYPE "metrics.type"
#define A_NAME "metrics.name"
#define A_DESC "metrics.description"
#define A_UNIT "metrics.unit"
#define A_BOUNDS "metrics.boundaries"
#define A_SKIP_ZERO "metrics.skip-zero"
#define A_SKIP_IF "metrics.skip-if"

/* ---- annotations ------------------------------------------------------ */

static bool parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "true")) {
		*out = true;
		return true;
	}
	if (!strcmp(s, "false") || !*s) {
		*out = false;
		return true;
	}
	return false;
}

/* By enum mtype. */
static const char *const type_names[] = { "", "key", "counter", "gauge",
					  "histogram" };

const char *metrics_type_name(enum mtype t)
{
	return type_names[t];
}

static int parse_type(const char *s, enum mtype *t)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]);
	     i++) {
		if (!strcmp(s, type_names[i])) {
			*t = (enum mtype)i;
			return 0;
		}
	}
	return -1;
}

/* "0.001,0.005,..." into bounds (strictly increasing, finite). */
static int parse_bounds(const char *s, double *bounds, size_t *nb,
			const char **why)
{
	const char *p = s;

	*nb = 0;
	for (;;) {
		char *end;
		double v;

		while (*p == ' ')
			p++;
		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno || !isfinite(v)) {
			*why = "want comma-separated numbers";
			return -1;
		}
		if (*nb == MAX_BOUNDS) {
			*why = "more than 64 boundaries";
			return -1;
		}
		if (*nb && v <= bounds[*nb - 1]) {
			*why = "boundaries must increase";
			return -1;
		}
		bounds[(*nb)++] = v;
		p = end;
		while (*p == ' ')
			p++;
		if (!*p)
			return 0;
		if (*p++ != ',') {
			*why = "want comma-separated numbers";
			return -1;
		}
	}
}

/*
 * The label of a key field named s (its metrics.name, else its name), as
 * OpenTelemetry's Prometheus exporter (ig's) names an attribute: characters
 * outside [a-zA-Z0-9_] become '_', a name that starts with a digit gets
 * "key_" before it, one that starts with a single '_' "key".
 */
static char *label_name(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n + 5), *o;

	if (!out)
		return NULL;
	o = out + 4; /* room for the prefix */
	n = 0;
	for (; *s; s++) {
		char c = *s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_';

		if ((c & 0xc0) != 0x80) /* one '_' per UTF-8 character */
			o[n++] = ok ? c : '_';
	}
	o[n] = '\0';
	if (*o >= '0' && *o <= '9')
		memcpy(o -= 4, "key_", 4);
	else if (*o == '_' && o[1] != '_')
		memcpy(o -= 3, "key", 3);
	memmove(out, o, strlen(o) + 1);
	return out;
}

/* UCUM units and the words OpenTelemetry's Prometheus exporter (ig's)
 * puts in a metric's name for them: "By/s" is bytes_per_second. */
struct unit_word {
	const char *unit, *word;
};

static const struct unit_word units[] = {
	{ "d", "days" },
	{ "h", "hours" },
	{ "min", "minutes" },
	{ "s", "seconds" },
	{ "ms", "milliseconds" },
	{ "us", "microseconds" },
	{ "ns", "nanoseconds" },
	{ "By", "bytes" },
	{ "KiBy", "kibibytes" },
	{ "MiBy", "mebibytes" },
	{ "GiBy", "gibibytes" },
	{ "TiBy", "tibibytes" },
	{ "KBy", "kilobytes" },
	{ "MBy", "megabytes" },
	{ "GBy", "gigabytes" },
	{ "TBy", "terabytes" },
	{ "m", "meters" },
	{ "V", "volts" },
	{ "A", "amperes" },
	{ "J", "joules" },
	{ "W", "watts" },
	{ "g", "grams" },
	{ "Cel", "celsius" },
	{ "Hz", "hertz" },
	{ "1", "" },
	{ "%", "percent" },
};

static const struct unit_word per_units[] = {
	{ "s", "second" }, { "m", "minute" }, { "h", "hour" }, { "d", "day" },
	{ "w", "week" },   { "mo", "month" }, { "y", "year" },
};

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == ':';
}

static bool blank(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Append the runs of name characters of s (n bytes) to o, joined by '_',
 * but those equal to skip. */
static void put_tokens(char *o, size_t *len, const char *s, size_t n,
		       const char *skip)
{
	size_t i = 0, b;

	while (i < n) {
		while (i < n && !name_char(s[i]))
			i++;
		for (b = i; i < n && name_char(s[i]); i++)
			;
		if (i == b || (skip && strlen(skip) == i - b &&
			       !memcmp(s + b, skip, i - b)))
			continue;
		if (*len)
			o[(*len)++] = '_';
		memcpy(o + *len, s + b, i - b);
		*len += i - b;
	}
	o[*len] = '\0';
}

/* Is w (wn bytes) one of the runs of name characters of s (n bytes)? */
static bool has_token(const char *s, size_t n, const char *w, size_t wn)
{
	size_t i = 0, b;

	while (i < n) {
		while (i < n && !name_char(s[i]))
			i++;
		for (b = i; i < n && name_char(s[i]); i++)
			;
		if (i - b == wn && wn && !memcmp(s + b, w, wn))
			return true;
	}
	return false;
}

/* The word of one part of a unit (n bytes, blanks around it dropped) in
 * t, else the part itself; *wl 0 when blank or an {annotation}. */
static const char *unit_part(const char *p, size_t n, const struct unit_word *t,
			     size_t nt, size_t *wl)
{
	while (n && blank(*p)) {
		p++;
		n--;
	}
	while (n && blank(p[n - 1]))
		n--;
	*wl = 0;
	if (!n || memchr(p, '{', n) || memchr(p, '}', n))
		return p;
	for (size_t i = 0; i < nt; i++) {
		if (strlen(t[i].unit) == n && !memcmp(t[i].unit, p, n)) {
			*wl = strlen(t[i].word);
			return t[i].word;
		}
	}
	*wl = n;
	return p;
}

/*
 * The Prometheus name of a metric as OpenTelemetry's Prometheus exporter
 * (ig's) makes it: the runs of [a-zA-Z0-9:] of name joined by '_'; the
 * word of its unit unless the name has it already, then "per_" and the
 * word after a '/'; "ratio" last for a gauge of unit "1"; a counter's
 * "total" taken out (written last, at rendering).
 */
static char *prom_name(const char *name, const char *unit, enum mtype t)
{
	size_t ul = unit ? strlen(unit) : 0, len = 0, mark, wl;
	const char *slash = unit ? strchr(unit, '/') : NULL, *w;
	bool ratio = t == MT_GAUGE && unit && !strcmp(unit, "1");
	char *o = malloc(strlen(name) + 2 * ul + 32);

	if (!o)
		return NULL;
	put_tokens(o, &len, name, strlen(name),
		   t == MT_COUNTER ? "total" :
		   ratio	   ? "ratio" :
				     NULL);
	if (unit) {
		w = unit_part(unit, slash ? (size_t)(slash - unit) : ul, units,
			      sizeof(units) / sizeof(units[0]), &wl);
		mark = len;
		put_tokens(o, &len, w, wl, NULL);
		if (len > mark &&
		    has_token(o, mark, o + mark + !!mark, len - mark - !!mark))
			o[len = mark] = '\0';
	}
	if (slash) {
		w = unit_part(slash + 1, strlen(slash + 1), per_units,
			      sizeof(per_units) / sizeof(per_units[0]), &wl);
		mark = len;
		put_tokens(o, &len, "per", wl ? 3 : 0, NULL);
		put_tokens(o, &len, w, wl, NULL);
		if (len == mark + !!mark + 3)
			o[len = mark] = '\0'; /* "per" alone */
	}
	if (ratio)
		put_tokens(o, &len, "ratio", 5, NULL);
	if (!len || (o[0] >= '0' && o[0] <= '9')) {
		memmove(o + 1, o, len + 1);
		o[0] = '_';
	}
	return o;
}

/* Checks every metrics annotation of one data source can make alone. */
static int check_ds(const struct gadget_metadata *md, const char *ds,
		    struct error **err)
{
	static const char *const bools[] = { A_COLLECT, A_PRINT };
	const char *v;
	size_t nf = metadata_field_count(md, ds);
	bool flag;

	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		v = metadata_ds_annotation(md, ds, bools[i]);
		if (v && !parse_bool(v, &flag))
			return error_set(err, 0,
					 "data source %s: bad value \"%s\" of "
					 "annotation %s: want true or false",
					 ds, v, bools[i]);
	}
	v = metadata_ds_annotation(md, ds, A_IMPLICIT_NAME);
	if (v && strlen(v) > MAX_NAME)
		return error_set(err, 0,
				 "data source %s: annotation " A_IMPLICIT_NAME
				 " longer than %d bytes",
				 ds, MAX_NAME);
	for (size_t i = 0; i < nf; i++) {
		const char *f = metadata_field_name(md, ds, i);
		double bounds[MAX_BOUNDS];
		const char *why;
		enum mtype t;
		size_t nb;

		v = metadata_field_annotation(md, ds, f, A_TYPE);
		if (v && parse_type(v, &t))
			return error_set(err, 0,
					 "data source %s: field %s: bad value "
					 "\"%s\" of annotation " A_TYPE
					 ": want key, counter, gauge or "
					 "histogram",
					 ds, f, v);
		v = metadata_field_annotation(md, ds, f, A_BOUNDS);
		if (v && parse_bounds(v, bounds, &nb, &why))
			return error_set(err, 0,
					 "data source %s: field %s: bad value "
					 "\"%s\" of annotation " A_BOUNDS
					 ": %s",
					 ds, f, v, why);
		v = metadata_field_annotation(md, ds, f, A_SKIP_ZERO);
		if (v && !parse_bool(v, &flag))
			return error_set(err, 0,
					 "data source %s: field %s: bad value "
					 "\"%s\" of annotation " A_SKIP_ZERO
					 ": want true or false",
					 ds, f, v);
		v = metadata_field_annotation(md, ds, f, A_SKIP_IF);
		if (v && !*v)
			return error_set(err, 0,
					 "data source %s: field %s: empty "
					 "annotation " A_SKIP_IF
					 ": want a field name",
					 ds, f);
		v = metadata_field_annotation(md, ds, f, A_NAME);
		if (v && (!*v || strlen(v) > MAX_NAME))
			return error_set(err, 0,
					 "data source %s: field %s: bad value "
					 "\"%s\" of annotation " A_NAME
					 ": want 1 to %d bytes",
					 ds, f, v, MAX_NAME);
	}
	return 0;
}

int metrics_check_metadata(const struct gadget_metadata *md, struct error **err)
{
	for (size_t i = 0; i < metadata_ds_count(md); i++)
		if (check_ds(md, metadata_ds_name(md, i), err))
			return -1;
	return 0;
}

bool metrics_wanted(const struct gadget_metadata *md, const char *ds,
		    bool *print)
{
	const char *c = metadata_ds_annotation(md, ds, A_COLLECT);
	const char *p = metadata_ds_annotation(md, ds, A_PRINT);
	bool collect = false;

	*print = false;
	if (c)
		parse_bool(c, &collect);
	if (p)
		parse_bool(p, print);
	return collect || *print;
}

/* ---- building --------------------------------------------------------- */

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nv; i++) {
		free(m->v[i].name);
		free(m->v[i].bounds);
	}
	for (size_t i = 0; i < m->nk; i++)
		free(m->labels[i]);
	render_ctx_fini(&m->rc);
	free(m->v);
	free(m->keys);
	free(m->labels);
	free(m->scope);
	free(m->key_text);
	free(m->label_text);
	free(m->label_unquoted);
	free(m->key_len);
	free(m->hash);
	free(m->vals);
	free(m->table);
	free(m->scratch);
	free(m);
}

/* The field holding f's number: X_raw for a formatted X. */
static const struct field *number_field(const struct fieldset *fs,
					const struct field *f)
{
	return f->fmt_of >= 0 ? &fs->f[f->fmt_of] : f;
}

static bool has_prefix(const char *s, const char *p)
{
	return s && !strncmp(s, p, strlen(p));
}

/* metrics.type, else what the gadget_* typedef says. */
static enum mtype field_type(const struct fieldset *fs, const struct field *f,
			     const char *ann)
{
	const char *g = number_field(fs, f)->gtype;
	enum mtype t = MT_NONE;

	if (ann) {
		parse_type(ann, &t);
		return t;
	}
	if (has_prefix(g, "gadget_histogram_slot__"))
		return MT_HISTOGRAM;
	if (has_prefix(g, "gadget_counter__"))
		return MT_COUNTER;
	if (has_prefix(g, "gadget_gauge__"))
		return MT_GAUGE;
	return MT_NONE;
}

static bool is_number(const struct field *f)
{
	return f->kind == FK_UINT || f->kind == FK_SINT || f->kind == FK_BOOL ||
	       f->kind == FK_FLOAT || f->kind == FK_HEX;
}

/* metrics.skip-if: the number or bool field whose non-zero value keeps
 * an event out of f's metric (trace_dns: unanswered queries out of the
 * response latency). */
static int skip_if(const struct metrics *m, const struct gadget_metadata *md,
		   const char *ds, const struct field *f, struct mval *v,
		   struct error **err)
{
	const char *name =
		metadata_field_annotation(md, ds, f->name, A_SKIP_IF);
	int i;

	if (!name)
		return 0;
	i = fieldset_lookup(m->fs, name);
	if (i < 0)
		return error_set(err, 0,
				 "field %s: " A_SKIP_IF " names unknown field "
				 "\"%s\"",
				 f->name, name);
	v->skip_if = number_field(m->fs, &m->fs->f[i]);
	if (!is_number(v->skip_if) || v->skip_if->count != 1)
		return error_set(err, 0,
				 "field %s: " A_SKIP_IF " names field \"%s\", "
				 "which is not a number or bool",
				 f->name, name);
	return 0;
}

static int add_value(struct metrics *m, const struct gadget_metadata *md,
		     const char *ds, const struct field *f, enum mtype t,
		     struct error **err)
{
	const struct field *nf = number_field(m->fs, f);
	const char *unit = metadata_field_annotation(md, ds, f->name, A_UNIT);
	const char *name = metadata_field_annotation(md, ds, f->name, A_NAME);
	const char *b = metadata_field_annotation(md, ds, f->name, A_BOUNDS);
	const char *sz =
		metadata_field_annotation(md, ds, f->name, A_SKIP_ZERO);
	struct mval *v = &m->v[m->nv];
	double bounds[MAX_BOUNDS];
	const char *why;
	bool dur;

	memset(v, 0, sizeof(*v));
	v->type = t;
	v->f = nf;
	v->div = 1;
	if (t == MT_HISTOGRAM && nf->kind == FK_INTARRAY && !nf->is_signed) {
		v->slot_hist = true;
	} else if (!is_number(nf) || nf->count != 1) {
		return error_set(err, 0,
				 "field %s: a %s must be a number, not "
				 "this field's type",
				 f->name, metrics_type_name(t));
	}
	v->is_float = nf->kind == FK_FLOAT;
	dur = f->kind == FK_DURATION ||
	      (nf->gtype && !strcmp(nf->gtype, "gadget_duration"));
	if (dur && unit && !strcmp(unit, "s"))
		v->div = 1e9;
	else if (dur && unit && !strcmp(unit, "ms"))
		v->div = 1e6;
	else if (dur && unit && !strcmp(unit, "us"))
		v->div = 1e3;
	if (sz && !parse_bool(sz, &v->skip_zero))
		return error_set(err, 0, "field %s: bad " A_SKIP_ZERO, f->name);
	if (skip_if(m, md, ds, f, v, err))
		return -1;
	v->help = metadata_field_annotation(md, ds, f->name, A_DESC);
	if (!v->help)
		v->help = f->description;
	if (b && t != MT_HISTOGRAM)
		return error_set(err, 0,
				 "field %s: " A_BOUNDS " on a metric that "
				 "is not a histogram",
				 f->name);
	if (t == MT_HISTOGRAM && v->slot_hist) {
		if (b)
			return error_set(err, 0,
					 "field %s: " A_BOUNDS " on a "
					 "histogram of slots (their "
					 "boundaries are powers of two)",
					 f->name);
		if (nf->count > MAX_BOUNDS)
			return error_set(err, 0, "field %s: more than %d slots",
					 f->name, MAX_BOUNDS);
		v->nb = nf->count;
		for (size_t i = 0; i < v->nb; i++)
			bounds[i] = ldexp(1, (int)i);
	} else if (t == MT_HISTOGRAM && b) {
		if (parse_bounds(b, bounds, &v->nb, &why))
			return error_set(err, 0,
					 "field %s: bad value \"%s\" of "
					 "annotation " A_BOUNDS ": %s",
					 f->name, b, why);
	} else if (t == MT_HISTOGRAM) {
		/* OpenTelemetry's default explicit boundaries */
		static const double def[] = { 0,    5,	  10,	25,   50,
					      75,   100,  250,	500,  750,
					      1000, 2500, 5000, 7500, 10000 };

		v->nb = sizeof(def) / sizeof(def[0]);
		memcpy(bounds, def, sizeof(def));
	}
	if (v->nb) {
		v->bounds = malloc(v->nb * sizeof(*v->bounds));
		if (!v->bounds)
			return error_set(err, ENOMEM, "metrics");
		memcpy(v->bounds, bounds, v->nb * sizeof(*v->bounds));
	}
	v->name = prom_name(name ? name : f->name, unit, t);
	if (!v->name)
		return error_set(err, ENOMEM, "metrics");
	v->slot = m->slots;
	/* histogram: one count per bucket, +Inf, sum, count */
	m->slots += t == MT_HISTOGRAM ? v->nb + 3 : 1;
	m->nv++;
	return 0;
}

static int add_implicit(struct metrics *m, const struct gadget_metadata *md,
			const char *ds, const char *name, struct error **err)
{
	struct mval *v = &m->v[m->nv];

	memset(v, 0, sizeof(*v));
	if (!*name)
		return error_set(err, 0, "empty " A_IMPLICIT_NAME);
	v->type = MT_COUNTER;
	v->div = 1;
	v->help = metadata_ds_annotation(md, ds, A_IMPLICIT_DESC);
	v->name = prom_name(name, NULL, MT_COUNTER);
	if (!v->name)
		return error_set(err, ENOMEM, "metrics");
	v->slot = m->slots++;
	m->nv++;
	return 0;
}

/* The names v writes in the text format, its family's first. */
static size_t exposed_names(const struct mval *v, char out[4][MAX_NAME + 16])
{
	static const char *const hist[] = { "", "_bucket", "_sum", "_count" };

	if (v->type != MT_HISTOGRAM) {
		snprintf(out[0], sizeof(out[0]), "%s%s", v->name,
			 v->type == MT_COUNTER ? "_total" : "");
		return 1;
	}
	for (size_t i = 0; i < 4; i++)
		snprintf(out[i], sizeof(out[i]), "%s%s", v->name, hist[i]);
	return 4;
}

const char *metrics_clash(const struct mval *a, const struct mval *b)
{
	static char na[4][MAX_NAME + 16], nb[4][MAX_NAME + 16];
	size_t ka = exposed_names(a, na), kb = exposed_names(b, nb);

	for (size_t i = 0; i < ka; i++)
		for (size_t j = 0; j < kb; j++)
			if (!strcmp(na[i], nb[j]))
				return na[i];
	return NULL;
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;

	while (p < n)
		p *= 2;
	return p;
}

static int build(struct metrics *m, const struct gadget_metadata *md,
		 const char *ds, struct error **err)
{
	const struct fieldset *fs = m->fs;
	const char *impl = metadata_ds_annotation(md, ds, A_IMPLICIT_NAME);

	m->v = calloc(fs->n + 1, sizeof(*m->v));
	m->keys = calloc(fs->n + 1, sizeof(*m->keys));
	m->labels = calloc(fs->n + 1, sizeof(*m->labels));
	if (!m->v || !m->keys || !m->labels)
		return error_set(err, ENOMEM, "metrics");
	if (impl && add_implicit(m, md, ds, impl, err))
		return -1;
	for (size_t i = 0; i < fs->n; i++) {
		const struct field *f = &fs->f[i];
		const char *a =
			metadata_field_annotation(md, ds, f->name, A_TYPE);
		enum mtype t;

		if (a && parse_type(a, &t))
			return error_set(err, 0,
					 "field %s: bad value \"%s\" of "
					 "annotation " A_TYPE ": want key, "
					 "counter, gauge or histogram",
					 f->name, a);
		t = field_type(fs, f, a);
		if (t == MT_NONE)
			continue;
		if (f->kind == FK_STRUCT)
			return error_set(err, 0,
					 "field %s: a struct cannot be a "
					 "metric; annotate its members",
					 f->name);
		if (t == MT_KEY) {
			const char *n = metadata_field_annotation(
				md, ds, f->name, A_NAME);

			m->labels[m->nk] = label_name(n ? n : f->name);
			if (!m->labels[m->nk])
				return error_set(err, ENOMEM, "metrics");
			m->keys[m->nk++] = f;
			m->key_max += f->max_text + 1;
			continue;
		}
		if (add_value(m, md, ds, f, t, err))
			return -1;
	}
	if (!m->nv)
		return error_set(err, 0,
				 "metrics asked for, but no field is a "
				 "counter, gauge or histogram and there is no "
				 "%s",
				 A_IMPLICIT_NAME);
	for (size_t i = 0; i < m->nv; i++) {
		for (size_t j = 0; j < i; j++) {
			const char *c = metrics_clash(&m->v[i], &m->v[j]);

			if (!strcmp(m->v[i].name, m->v[j].name))
				return error_set(err, 0, "two metrics named %s",
						 m->v[i].name);
			if (c)
				return error_set(err, 0,
						 "metrics %s and %s: both "
						 "write %s",
						 m->v[j].name, m->v[i].name, c);
		}
	}
	for (size_t i = 0; i < m->nk; i++) {
		const char *l = m->labels[i];

		if (!strcmp(l, "le") || !strcmp(l, SCOPE_LABEL) ||
		    !strcmp(l, METRICS_OVERFLOW_LABEL) || !strncmp(l, "__", 2))
			return error_set(err, 0,
					 "field %s: label %s is reserved",
					 m->keys[i]->name, l);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(l, m->labels[j]))
				return error_set(err, 0,
						 "fields %s and %s: both are "
						 "label %s",
						 m->keys[j]->name,
						 m->keys[i]->name, l);
	}
	if (!m->key_max)
		m->key_max = 1;
	m->key_text = malloc(m->cap * m->key_max);
	m->key_len = calloc(m->cap, sizeof(*m->key_len));
	m->hash = calloc(m->cap, sizeof(*m->hash));
	m->vals = calloc((m->cap + 1) * m->slots, sizeof(*m->vals));
	m->mask = pow2_at_least(m->cap * 2) - 1;
	m->table = calloc(m->mask + 1, sizeof(*m->table));
	m->scratch = malloc(m->key_max);
	if (!m->key_text || !m->key_len || !m->hash || !m->vals || !m->table ||
	    !m->scratch)
		return error_set(err, ENOMEM, "metrics: %zu series", m->cap);
	for (size_t i = 0; i < m->nk; i++) {
		if (!field_text_escaped(m->keys[i]))
			continue;
		/* rows written only for the series that need them: the
		 * pages of the others are never touched */
		m->label_text = malloc(m->cap * m->key_max);
		m->label_unquoted = calloc(m->cap, sizeof(*m->label_unquoted));
		if (!m->label_text || !m->label_unquoted)
			return error_set(err, ENOMEM, "metrics: %zu series",
					 m->cap);
		break;
	}
	return 0;
}

int metrics_new(const struct fieldset *fs, const struct gadget_metadata *md,
		const char *ds, const char *scope, size_t max_series,
		struct metrics **out, struct error **err)
{
	struct metrics *m;

	*out = NULL;
	if (check_ds(md, ds, err))
		return -1;
	if (max_series < 1 || max_series > (1u << 24))
		return error_set(err, 0, "metrics: %zu series is out of range",
				 max_series);
	m = calloc(1, sizeof(*m));
	if (!m)
		return error_set(err, ENOMEM, "metrics");
	m->fs = fs;
	m->cap = max_series;
	render_ctx_init(&m->rc, fs);
	m->scope = strdup(scope ? scope : ds);
	if (!m->scope) {
		metrics_free(m);
		return error_set(err, ENOMEM, "metrics");
	}
	if (build(m, md, ds, err)) {
		metrics_free(m);
		return error_prefix(err, "metrics of data source %s", ds);
	}
	*out = m;
	return 0;
}

/* ---- counting --------------------------------------------------------- */

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * The labels of new series s (klen bytes of key text), if it holds a
 * backslash: its texts of their own unquoted (field_unquote() never
 * lengthens one), the others as they are.  Once per series, never per
 * event or per scrape.
 */
__attribute__((cold, noinline)) static void
unquote_labels(struct metrics *m, size_t s, size_t klen)
{
	const char *p = m->key_text + s * m->key_max;
	char *out;

	if (!m->label_text || !memchr(p, '\\', klen))
		return; /* the labels are the key texts */
	out = m->label_text + s * m->key_max;
	for (size_t k = 0; k < m->nk; k++) {
		size_t l = strlen(p), n = l;

		if (field_text_escaped(m->keys[k]) && memchr(p, '\\', l)) {
			n = field_unquote(out, p, l);
			/* no NUL in a text field_quote() wrote, but the row
			 * is NUL-separated: keep it so */
			if (memchr(out, '\0', n)) {
				memcpy(out, p, l);
				n = l;
			}
		} else {
			memcpy(out, p, l);
		}
		out[n] = '\0';
		out += n + 1;
		p += l + 1;
	}
	m->label_unquoted[s] = true;
}

/* The row of this key text: found, added, or the overflow row. */
static size_t series_of(struct metrics *m, size_t klen)
{
	uint64_t h = fnv1a(m->scratch, klen);
	size_t i = h & m->mask;

	for (;;) {
		uint32_t t = m->table[i];
		size_t s;

		if (!t)
			break;
		s = t - 1;
		if (m->hash[s] == h && m->key_len[s] == klen &&
		    !memcmp(m->key_text + s * m->key_max, m->scratch, klen))
			return s;
		i = (i + 1) & m->mask;
	}
	if (m->n == m->cap) {
		m->overflow++;
		return m->cap;
	}
	memcpy(m->key_text + m->n * m->key_max, m->scratch, klen);
	m->key_len[m->n] = (uint32_t)klen;
	m->hash[m->n] = h;
	m->table[i] = (uint32_t)(m->n + 1);
	unquote_labels(m, m->n, klen);
	return m->n++;
}

static double number_of(const struct mval *v, const void *ev)
{
	const struct field *f = v->f;
	__u64 u;

	if (v->is_float)
		return field_double(f, ev);
	u = field_u64(f, ev);
	return f->is_signed ? (double)(__s64)u : (double)u;
}

/* Add the slots of an array of power-of-two slots. */
static void observe_slots(const struct mval *v, double *row, const void *ev)
{
	const char *p = (const char *)ev + v->f->off;
	double count = 0, sum = 0;

	for (size_t i = 0; i < v->nb; i++) {
		double c;

		if (v->f->size == 4) {
			uint32_t x;

			memcpy(&x, p + i * 4, 4);
			c = x;
		} else {
			uint64_t x;

			memcpy(&x, p + i * 8, 8);
			c = (double)x;
		}
		row[v->slot + i] += c;
		count += c;
		sum += c * v->bounds[i];
	}
	row[v->slot + v->nb + 1] += sum;
	row[v->slot + v->nb + 2] += count;
}

/* raw: the field's number (sums add it exactly; x = raw / div is the
 * value in the metric's unit, correctly rounded, for the boundaries). */
static void observe_hist(const struct mval *v, double *row, double raw)
{
	double x = raw / v->div;
	size_t lo = 0, hi = v->nb;

	/* first bucket whose upper bound holds x (le: x <= bound) */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (x <= v->bounds[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	row[v->slot + lo] += 1; /* lo == nb: the +Inf bucket */
	row[v->slot + v->nb + 1] += raw;
	row[v->slot + v->nb + 2] += 1;
}

void metrics_observe(struct metrics *m, const void *ev)
{
	size_t klen = 0;
	double *row;

	for (size_t k = 0; k < m->nk; k++) {
		const struct field *f = m->keys[k];
		size_t l = 0;

		if (field_shown(m->fs, f, ev))
			l = field_text(&m->rc, f, ev, m->scratch + klen);
		m->scratch[klen + l] = '\0';
		klen += l + 1;
	}
	row = m->vals + series_of(m, klen) * m->slots;
	for (size_t i = 0; i < m->nv; i++) {
		const struct mval *v = &m->v[i];
		double x;

		if (!v->f) {
			row[v->slot] += 1;
			continue;
		}
		if (v->skip_if && field_u64(v->skip_if, ev))
			continue;
		if (v->slot_hist) {
			observe_slots(v, row, ev);
			continue;
		}
		x = number_of(v, ev);
		if (v->type == MT_COUNTER)
			row[v->slot] += x;
		else if (v->type == MT_GAUGE)
			row[v->slot] = x;
		else if (!(v->skip_zero && x == 0))
			observe_hist(v, row, x);
	}
}

size_t metrics_series(const struct metrics *m)
{
	return m->n;
}

unsigned long long metrics_overflowed(const struct metrics *m)
{
	return m->overflow;
}
