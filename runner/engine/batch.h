/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The batches of an array data source (a snapshot, a map iterator's
 * fetch), as ig's sort and limiter operators treat them: the records of
 * one batch are kept, sorted by fields, cut to the first N, then passed
 * on.  Also the "ds:value,..." lists ig's operator params take.
 */
#ifndef RUNNER_BATCH_H
#define RUNNER_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct fieldset;
struct batch;

struct batch *batch_new(const struct fieldset *fs);
void batch_free(struct batch *b);

/*
 * Sort each batch by fields: "a,-b" sorts by a, then by b descending (a
 * stable sort: records equal in every field keep their order).  Numbers
 * compare as numbers, other fields as the text they show, as in ig; "" or
 * NULL: no sort.  Replaces an earlier sort.
 */
int batch_set_sort(struct batch *b, const char *fields, struct error **err);
/* Does fs have every field of a sort spec ("a,-b")? */
bool batch_sort_known(const struct fieldset *fs, const char *fields);
/* Keep the first n records of each batch; -1: all of them. */
void batch_set_limit(struct batch *b, long n);

/* Keep a copy of one record of the batch being read. */
int batch_add(struct batch *b, const void *data, size_t size);
/*
 * The batch is whole: sort it, cut it, pass each record on to fn (until fn
 * returns non-zero, which this returns), then start an empty one.
 */
int batch_end(struct batch *b,
	      int (*fn)(void *ctx, const void *data, size_t size), void *ctx);

/*
 * Walk an ig list of values per data source, items separated by sep:
 * "v" (ds NULL: every data source) or "ds:v,ds2:w".  Items of both kinds
 * in one list are an error, as in ig; empty items are skipped.  fn gets
 * each item (ds, value); a non-zero return stops the walk.  Returns the
 * number of items, or -1.
 */
int batch_per_ds(const char *spec, char sep,
		 int (*fn)(void *ctx, const char *ds, const char *value,
			   struct error **err),
		 void *ctx, struct error **err);

#endif
