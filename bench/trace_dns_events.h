/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For the bench tools that run the runner's own code on trace_dns events
 * without a kernel (metrics_cost, render_cost): the program's BTF and
 * gadget.yaml opened into a fieldset, fields of an event set by name, and
 * the thread's CPU time.
 */
#ifndef BENCH_TRACE_DNS_EVENTS_H
#define BENCH_TRACE_DNS_EVENTS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/fileutil.h"
#include "metadata/metadata.h"
#include "runner/engine/fields_internal.h"
#include "runner/engine/gadget.h"

struct bench_events {
	char *elf, *yaml;
	struct gadget_metadata *md;
	struct gadget *g;
	struct fieldset *fs; /* of the gadget's first tracer */
};

/* ts_format: the timestamp's formatters.timestamp.format (a Go layout),
 * or NULL. */
static inline int bench_events_open_as(const char *obj, const char *yml,
				       const char *ts_format,
				       struct bench_events *b,
				       struct error **err)
{
	size_t elen, ylen;

	memset(b, 0, sizeof(*b));
	if (read_file(obj, &b->elf, &elen, err) ||
	    read_file(yml, &b->yaml, &ylen, err) ||
	    metadata_parse(b->yaml, ylen, yml, &b->md, err) ||
	    (ts_format && metadata_annotate(b->md, "dns", "timestamp",
					    "formatters.timestamp.format",
					    ts_format, err)) ||
	    gadget_open(b->elf, elen, "trace_dns", &b->g, err))
		return -1;
	return fieldset_new(gadget_btf(b->g), gadget_tracer(b->g, 0)->type_id,
			    b->md, gadget_tracer(b->g, 0)->name, &b->fs, err);
}

static inline int bench_events_open(const char *obj, const char *yml,
				    struct bench_events *b, struct error **err)
{
	return bench_events_open_as(obj, yml, NULL, b, err);
}

static inline void bench_events_free(struct bench_events *b)
{
	fieldset_free(b->fs);
	gadget_free(b->g);
	metadata_free(b->md);
	free(b->elf);
	free(b->yaml);
}

/* Thread CPU time, s: the machine is shared. */
static inline double bench_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline const struct field *bench_field(const struct fieldset *fs,
					      const char *name)
{
	int i = fieldset_lookup(fs, name);

	if (i < 0) {
		fprintf(stderr, "bench: no field %s\n", name);
		exit(1);
	}
	return &fs->f[i];
}

static inline void bench_put(const struct fieldset *fs, void *ev,
			     const char *name, __u64 v)
{
	const struct field *f = bench_field(fs, name);

	memcpy((char *)ev + f->off, &v, f->size);
}

#endif
