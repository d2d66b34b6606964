// SPDX-License-Identifier: Apache-2.0
/*
 * Batches of an array data source, sorted and cut as ig's sort operator
 * (priority 9500) and limiter (9600) do: after the filters, before the
 * metrics and the output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/grow.h"
#include "runner/engine/batch.h"
#include "runner/engine/fields_internal.h"

enum key_kind {
	KEY_UNSIGNED,
	KEY_SIGNED,
	KEY_FLOAT,
	KEY_TEXT,
};

struct sort_key {
	const struct field *f;
	enum key_kind kind;
	bool desc;
};

/* One record's value of one sort key. */
union key_val {
	__u64 u;
	__s64 s;
	double d;
	size_t text; /* offset into the batch's texts */
};

struct rec {
	size_t off, size;
};

struct batch {
	const struct fieldset *fs;
	struct render_ctx rc;
	char *text; /* one field's text: the longest max_text + 1 */
	struct sort_key *keys;
	size_t n_keys;
	long limit; /* -1: none */
	char *data; /* the records, one after the other */
	size_t len, cap;
	struct rec *recs;
	size_t n, cap_recs;
	/* while sorting */
	union key_val *vals; /* n * n_keys */
	char *texts;
	size_t texts_len, texts_cap;
};

struct batch *batch_new(const struct fieldset *fs)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->fs = fs;
	b->limit = -1;
	render_ctx_init(&b->rc, fs);
	b->text = malloc(fieldset_text_size(fs));
	if (!b->text) {
		batch_free(b);
		return NULL;
	}
	return b;
}

void batch_free(struct batch *b)
{
	if (!b)
		return;
	render_ctx_fini(&b->rc);
	free(b->text);
	free(b->keys);
	free(b->data);
	free(b->recs);
	free(b->vals);
	free(b->texts);
	free(b);
}

/* How a field sorts: ig sorts numbers and strings, nothing else. */
static int key_kind(const struct field *f, enum key_kind *kind)
{
	if (f->is_struct && !f->columnable)
		return -1;
	switch (f->kind) {
	case FK_UINT:
	case FK_HEX: /* columns.hex: a number shown in hex */
	case FK_DURATION: /* by time, not by "1.50ms" < "9.00µs" */
	case FK_TIMESTAMP:
	case FK_SIZE:
		*kind = KEY_UNSIGNED;
		return 0;
	case FK_SINT:
		*kind = KEY_SIGNED;
		return 0;
	case FK_FLOAT:
		*kind = KEY_FLOAT;
		return 0;
	case FK_STRUCT:
	case FK_BOOL:
	case FK_BYTES:
	case FK_INTARRAY:
	case FK_L4EP:
	case FK_L3EP:
	case FK_L3EP_LIST:
		return -1;
	default:
		*kind = KEY_TEXT;
		return 0;
	}
}

/* Walk "a,-b": fn(name, desc) for each. */
static int each_sort_field(const char *fields,
			   int (*fn)(void *ctx, const char *name, bool desc,
				     struct error **err),
			   void *ctx, struct error **err)
{
	cleanup_free char *copy = strdup(fields);
	char *p, *next;

	if (!copy)
		return error_set(err, ENOMEM, "sort");
	for (p = copy; p; p = next) {
		bool desc = *p == '-';

		next = strchr(p, ',');
		if (next)
			*next++ = '\0';
		if (fn(ctx, p + desc, desc, err))
			return -1;
	}
	return 0;
}

static int known(void *ctx, const char *name, bool desc, struct error **err)
{
	(void)desc;
	(void)err;
	return fieldset_lookup(ctx, name) < 0;
}

bool batch_sort_known(const struct fieldset *fs, const char *fields)
{
	return !each_sort_field(fields, known, (void *)fs, NULL);
}

static int add_key(void *ctx, const char *name, bool desc, struct error **err)
{
	struct batch *b = ctx;
	struct sort_key *k;
	int idx;

	if (!*name)
		return error_set(err, 0, "empty field name");
	idx = fieldset_find(b->fs, name, err);
	if (idx < 0)
		return -1;
	k = realloc(b->keys, (b->n_keys + 1) * sizeof(*k));
	if (!k)
		return error_set(err, ENOMEM, "sort");
	b->keys = k;
	k += b->n_keys;
	k->f = &b->fs->f[idx];
	k->desc = desc;
	if (key_kind(k->f, &k->kind))
		return error_set(err, 0,
				 "field \"%s\" cannot be used for sorting "
				 "(numbers and text only)",
				 name);
	b->n_keys++;
	return 0;
}

int batch_set_sort(struct batch *b, const char *fields, struct error **err)
{
	b->n_keys = 0;
	if (!fields || !*fields)
		return 0;
	if (each_sort_field(fields, add_key, b, err)) {
		b->n_keys = 0;
		return -1;
	}
	return 0;
}

void batch_set_limit(struct batch *b, long n)
{
	b->limit = n;
}

int batch_add(struct batch *b, const void *data, size_t size)
{
	if (grow_array((void **)&b->data, &b->cap, b->len + size, 1, 16) ||
	    grow_array((void **)&b->recs, &b->cap_recs, b->n + 1,
		       sizeof(*b->recs), 16))
		return -ENOMEM;
	memcpy(b->data + b->len, data, size);
	b->recs[b->n++] = (struct rec){ b->len, size };
	b->len += size;
	return 0;
}

/* The sort keys of record r, into b->vals. */
static int key_vals(struct batch *b, size_t r)
{
	const void *ev = b->data + b->recs[r].off;

	for (size_t k = 0; k < b->n_keys; k++) {
		const struct sort_key *key = &b->keys[k];
		union key_val *v = &b->vals[r * b->n_keys + k];
		size_t n;

		switch (key->kind) {
		case KEY_UNSIGNED:
			v->u = field_u64(key->f, ev);
			break;
		case KEY_SIGNED:
			v->s = (__s64)field_u64(key->f, ev);
			break;
		case KEY_FLOAT:
			v->d = field_double(key->f, ev);
			break;
		case KEY_TEXT:
			n = field_text(&b->rc, key->f, ev, b->text);
			if (grow_array((void **)&b->texts, &b->texts_cap,
				       b->texts_len + n + 1, 1, 16))
				return -1;
			memcpy(b->texts + b->texts_len, b->text, n);
			b->texts[b->texts_len + n] = '\0';
			v->text = b->texts_len;
			b->texts_len += n + 1;
			break;
		}
	}
	return 0;
}

static int cmp_val(const struct batch *b, const struct sort_key *key,
		   const union key_val *x, const union key_val *y)
{
	switch (key->kind) {
	case KEY_UNSIGNED:
		return x->u < y->u ? -1 : x->u > y->u;
	case KEY_SIGNED:
		return x->s < y->s ? -1 : x->s > y->s;
	case KEY_FLOAT:
		return x->d < y->d ? -1 : x->d > y->d;
	default:
		return strcmp(b->texts + x->text, b->texts + y->text);
	}
}

static int cmp_recs(const void *pa, const void *pb, void *ctx)
{
	const struct batch *b = ctx;
	size_t ra = *(const size_t *)pa, rb = *(const size_t *)pb;

	for (size_t k = 0; k < b->n_keys; k++) {
		int c = cmp_val(b, &b->keys[k], &b->vals[ra * b->n_keys + k],
				&b->vals[rb * b->n_keys + k]);

		if (c)
			return b->keys[k].desc ? -c : c;
	}
	return ra < rb ? -1 : ra > rb; /* stable */
}

/* The records' order: sorted when a sort is set and memory allows. */
static size_t *order(struct batch *b)
{
	size_t *idx = malloc((b->n ? b->n : 1) * sizeof(*idx));
	size_t cap = 0;

	if (!idx)
		return NULL;
	for (size_t i = 0; i < b->n; i++)
		idx[i] = i;
	if (!b->n_keys || b->n < 2)
		return idx;
	free(b->vals);
	b->vals = NULL;
	b->texts_len = 0;
	if (grow_array((void **)&b->vals, &cap, b->n * b->n_keys,
		       sizeof(*b->vals), 16))
		goto nomem;
	for (size_t i = 0; i < b->n; i++)
		if (key_vals(b, i))
			goto nomem;
	qsort_r(idx, b->n, sizeof(*idx), cmp_recs, b);
	return idx;
nomem:
	free(idx);
	return NULL;
}

int batch_end(struct batch *b,
	      int (*fn)(void *ctx, const void *data, size_t size), void *ctx)
{
	cleanup_free size_t *idx = order(b);
	size_t n = b->n;
	int rc = 0;

	if (!idx)
		rc = -ENOMEM;
	if (b->limit >= 0 && (size_t)b->limit < n)
		n = (size_t)b->limit;
	for (size_t i = 0; i < n && idx && !rc; i++) {
		const struct rec *r = &b->recs[idx[i]];

		rc = fn(ctx, b->data + r->off, r->size);
	}
	b->n = b->len = 0;
	return rc;
}

int batch_per_ds(const char *spec, char sep,
		 int (*fn)(void *ctx, const char *ds, const char *value,
			   struct error **err),
		 void *ctx, struct error **err)
{
	cleanup_free char *copy = strdup(spec ? spec : "");
	bool named = false, unnamed = false;
	char *p, *next;
	int n = 0;

	if (!copy)
		return error_set(err, ENOMEM, "values");
	for (p = copy; p; p = next) {
		char *colon;

		next = strchr(p, sep);
		if (next)
			*next++ = '\0';
		if (!*p)
			continue;
		colon = strchr(p, ':');
		if (colon)
			*colon = '\0';
		named |= !!colon;
		unnamed |= !colon;
		if (named && unnamed)
			return error_set(err, 0,
					 "\"%s\": values with and without a "
					 "data source name mixed",
					 spec);
		if (fn(ctx, colon ? p : NULL, colon ? colon + 1 : p, err))
			return -1;
		n++;
	}
	return n;
}
