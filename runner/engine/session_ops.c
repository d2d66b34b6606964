// SPDX-License-Identifier: Apache-2.0
/*
 * ig's operator params for array data sources (snapshots, map
 * iterators), as flags after the gadget's own params: --sort (ig's sort
 * operator), --max-entries (its limiter), --map-fetch-interval and
 * --map-fetch-count (its ebpf operator's, for map iterators); and for tc
 * classifiers, its ebpf operator's --iface.  As in ig, a gadget has them
 * only when it has such data sources or programs, and gadget.yaml
 * paramDefaults (by ig's full names) changes their defaults.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/goparse.h"
#include "metadata/metadata.h"
#include "runner/engine/batch.h"
#include "runner/engine/filter_value.h"
#include "runner/engine/gadget.h"

#include "runner/engine/session_internal.h"

/* gadget.yaml's datasources.<ds>.annotations: the last fetch at the end */
#define FLUSH_ON_STOP "ebpf.map.flush-on-stop"

static int set_sort(struct session *s, const char *v, struct error **err);
static int set_max_entries(struct session *s, const char *v,
			   struct error **err);
static int set_interval(struct session *s, const char *v, struct error **err);
static int set_count(struct session *s, const char *v, struct error **err);
static int set_iface(struct session *s, const char *v, struct error **err);

/* Which gadgets have an op */
enum op_for { FOR_ARRAYS, FOR_MAPITERS, FOR_TC };

static const struct op {
	const char *key, *name, *def, *desc;
	enum op_for is_for;
	int (*set)(struct session *s, const char *v, struct error **err);
} ops[SESSION_MAX_OPS] = {
	{ "sort", "operator.sort.sort", "",
	  "Sort each batch by fields: a,-b (- descending; ds:a;ds2:b per "
	  "data source)",
	  FOR_ARRAYS, set_sort },
	{ "max-entries", "operator.limiter.max-entries", "-1",
	  "The first N records of each batch (-1: all; ds:N,ds2:M per data "
	  "source)",
	  FOR_ARRAYS, set_max_entries },
	{ "map-fetch-interval", "operator.oci.ebpf.map-fetch-interval",
	  "1000ms",
	  "Fetch map iterators this often (0: not on time; ds:2s,ds2:1s per "
	  "data source)",
	  FOR_MAPITERS, set_interval },
	{ "map-fetch-count", "operator.oci.ebpf.map-fetch-count", "0",
	  "Fetch map iterators this many times, then stop (0: no limit; "
	  "ds:N,ds2:M per data source)",
	  FOR_MAPITERS, set_count },
	{ "iface", "operator.oci.ebpf.iface", "",
	  "Network interface to attach the tc classifiers to (default: "
	  "containers' veth pairs and every interface of this network "
	  "namespace)",
	  FOR_TC, set_iface },
};

static const struct op *op_of(const struct session *s, size_t i)
{
	return i < s->n_ops ? &ops[s->ops[i]] : NULL;
}

/* The data source named ds that is an array (mapiters: a map iterator). */
static struct source *array_source(struct session *s, const char *ds,
				   bool mapiters, struct error **err)
{
	for (size_t i = 0; i < s->n_src; i++) {
		struct source *src = &s->src[i];

		if (strcmp(src->tracer->name, ds))
			continue;
		if (mapiters ? !src->tracer->mapiter : !src->batch) {
			error_set(err, 0, "data source %s is no %s", ds,
				  mapiters ? "map iterator" :
					     "array (a snapshot or a map "
					     "iterator)");
			return NULL;
		}
		return src;
	}
	error_set(err, 0, "no data source %s", ds);
	return NULL;
}

static int sort_one(void *ctx, const char *ds, const char *fields,
		    struct error **err)
{
	struct session *s = ctx;
	struct source *first = NULL;
	size_t done = 0;

	if (ds) {
		struct source *src = array_source(s, ds, false, err);

		return src ? batch_set_sort(src->batch, fields, err) : -1;
	}
	/* every array that has the fields, as -F goes to those sources */
	for (size_t i = 0; i < s->n_src; i++) {
		struct source *src = &s->src[i];

		if (!src->batch)
			continue;
		if (!batch_sort_known(src->fs, fields)) {
			first = first ? first : src;
			continue;
		}
		if (batch_set_sort(src->batch, fields, err))
			return -1;
		done++;
	}
	return done || !first ? 0 : batch_set_sort(first->batch, fields, err);
}

static int set_sort(struct session *s, const char *v, struct error **err)
{
	for (size_t i = 0; i < s->n_src; i++)
		if (s->src[i].batch)
			batch_set_sort(s->src[i].batch, NULL, NULL);
	return batch_per_ds(v, ';', sort_one, s, err) < 0 ? -1 : 0;
}

/* An integer of min or more, as ig's strconv.Atoi() reads it. */
static int parse_long(const char *v, long min, long *out)
{
	long long n;

	if (!go_parse_int(v, 10, &n) || n < min || n > LONG_MAX)
		return -1;
	*out = (long)n;
	return 0;
}

static int limit_one(void *ctx, const char *ds, const char *value,
		     struct error **err)
{
	struct session *s = ctx;
	long n;

	if (parse_long(value, -1, &n))
		return error_set(err, 0,
				 "\"%s\" is not a number of entries (-1: all)",
				 value);
	if (ds) {
		struct source *src = array_source(s, ds, false, err);

		if (!src)
			return -1;
		batch_set_limit(src->batch, n);
		return 0;
	}
	for (size_t i = 0; i < s->n_src; i++)
		if (s->src[i].batch)
			batch_set_limit(s->src[i].batch, n);
	return 0;
}

static int set_max_entries(struct session *s, const char *v, struct error **err)
{
	int n;

	for (size_t i = 0; i < s->n_src; i++)
		if (s->src[i].batch)
			batch_set_limit(s->src[i].batch, -1);
	n = batch_per_ds(v, ',', limit_one, s, err);
	if (!n)
		return error_set(err, 0, "no value (-1: all entries)");
	return n < 0 ? -1 : 0;
}

/* A Go duration, as ig parses it: "0", or units ("500ms", "1m30s"). */
static int parse_interval(const char *v, __u64 *ns, struct error **err)
{
	const char *why;

	if (!strcmp(v, "0")) {
		*ns = 0;
		return 0;
	}
	if (strspn(v, "0123456789") == strlen(v) ||
	    filter_parse_duration(v, (uint64_t *)ns, &why))
		return error_set(err, 0,
				 "\"%s\" is not a duration (like 500ms, 2s, "
				 "1m30s; 0: not on time)",
				 v);
	return 0;
}

/* One value for map iterator ds (NULL: every one); kind: interval or
 * count. */
static int fetch_one(struct session *s, const char *ds, const char *value,
		     bool interval, struct error **err)
{
	__u64 ns = 0;
	long count = 0;

	if (interval && parse_interval(value, &ns, err))
		return -1;
	if (!interval && parse_long(value, 0, &count))
		return error_set(err, 0,
				 "\"%s\" is not a number of fetches (0: no "
				 "limit)",
				 value);
	for (size_t i = 0; i < s->n_src; i++) {
		struct source *src = &s->src[i];

		if (!src->tracer->mapiter ||
		    (ds && strcmp(src->tracer->name, ds)))
			continue;
		if (interval)
			src->fetch_ns = ns;
		else
			src->fetch_count = (unsigned long)count;
	}
	return ds && !array_source(s, ds, true, err) ? -1 : 0;
}

static int interval_one(void *ctx, const char *ds, const char *value,
			struct error **err)
{
	return fetch_one(ctx, ds, value, true, err);
}

static int count_one(void *ctx, const char *ds, const char *value,
		     struct error **err)
{
	return fetch_one(ctx, ds, value, false, err);
}

static int set_interval(struct session *s, const char *v, struct error **err)
{
	/* "" is ig's default, as for a gadget run from a spec file */
	return batch_per_ds(*v ? v : "1000ms", ',', interval_one, s, err) < 0 ?
		       -1 :
		       0;
}

static int set_count(struct session *s, const char *v, struct error **err)
{
	return batch_per_ds(v, ',', count_one, s, err) < 0 ? -1 : 0;
}

static int set_iface(struct session *s, const char *v, struct error **err)
{
	return gadget_set_iface(s->g, v, err);
}

int session_ops_open(struct session *s, struct error **err)
{
	bool arrays = false, mapiters = false, tc = gadget_has_tc(s->g);

	for (size_t i = 0; i < s->n_src; i++) {
		arrays |= !!s->src[i].batch;
		mapiters |= s->src[i].tracer->mapiter;
	}
	s->n_ops = 0;
	for (size_t i = 0; i < SESSION_MAX_OPS; i++) {
		const char *pd = metadata_param_default(s->md, ops[i].name);

		if (!(ops[i].is_for == FOR_TC	    ? tc :
		      ops[i].is_for == FOR_MAPITERS ? mapiters :
						      arrays))
			continue;
		s->ops[s->n_ops++] = (int)i;
		if (ops[i].set(s, pd ? pd : ops[i].def, err))
			return error_prefix(err, "gadget.yaml paramDefaults %s",
					    ops[i].name);
	}
	return 0;
}

void session_op_info(const struct session *s, size_t i, const char **key,
		     const char **desc, const char **def)
{
	const struct op *op = op_of(s, i);

	*key = op->key;
	*desc = op->desc;
	*def = metadata_param_default(s->md, op->name);
	if (!*def)
		*def = op->def;
	if (!**def) /* no sort: no default to show */
		*def = NULL;
}

int session_op_set(struct session *s, size_t i, const char *value,
		   struct error **err)
{
	const struct op *op = op_of(s, i);

	if (!op)
		return error_set(err, 0, "no param %zu", i);
	if (op->set(s, value, err))
		return error_prefix(err, "--%s", op->key);
	return 0;
}

int session_ops_start(struct session *s, struct error **err)
{
	for (size_t i = 0; i < s->n_src; i++) {
		struct source *src = &s->src[i];
		const char *flush;

		if (!src->tracer->mapiter)
			continue;
		/* ig: "has count > 1 but interval is zero" */
		if (!src->fetch_ns && src->fetch_count > 1)
			return error_set(err, 0,
					 "map iterator %s: --map-fetch-count "
					 "%lu needs a --map-fetch-interval "
					 "above 0",
					 src->tracer->name, src->fetch_count);
		flush = metadata_ds_annotation(s->md, src->tracer->name,
					       FLUSH_ON_STOP);
		gadget_set_fetch(s->g, (size_t)(src - s->src), src->fetch_ns,
				 src->fetch_count,
				 flush && !strcmp(flush, "true"));
	}
	return 0;
}
