/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fixture the field tests share: the fixture event's BTF and
 * gadget.yaml built into a field set, a render context, and a filled
 * event (test_fields.c, test_fields_text.c).
 */
#ifndef TESTS_UNIT_FIELDS_FX_H
#define TESTS_UNIT_FIELDS_FX_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "metadata/metadata.h"
#include "runner/engine/fields_internal.h"
#include "fixture_event.h"

struct output;

struct fx {
	struct btf *btf;
	struct fx_types t;
	int id;
	struct gadget_metadata *md;
	struct fieldset *fs;
	struct render_ctx rc;
	struct fx_event ev;
};

static inline struct gadget_metadata *md_of(const char *yaml)
{
	struct gadget_metadata *md = NULL;
	struct error *err = NULL;

	if (metadata_parse(yaml, strlen(yaml), "t.yaml", &md, &err))
		fail_msg("%s", error_msg(err));
	return md;
}

static inline int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct error *err = NULL;

	x->btf = btf__new_empty();
	x->id = fx_build(x->btf, &x->t);
	x->md = md_of(fx_yaml);
	if (fieldset_new(x->btf, x->id, x->md, "dns", &x->fs, &err))
		fail_msg("%s", error_msg(err));
	render_ctx_init(&x->rc, x->fs);
	fx_fill_event(&x->ev);
	*state = x;
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *x = *state;

	render_ctx_fini(&x->rc);
	fieldset_free(x->fs);
	metadata_free(x->md);
	btf__free(x->btf);
	free(x);
	return 0;
}

static inline const struct field *F(struct fx *x, const char *name)
{
	int i = fieldset_lookup(x->fs, name);

	if (i < 0)
		fail_msg("no field %s", name);
	return &x->fs->f[i];
}

static inline const char *text(struct fx *x, const char *name)
{
	static char buf[4096];

	field_text(&x->rc, F(x, name), &x->ev, buf);
	return buf;
}

/* Field name of fs renders ev as want (buf: scratch for the text). */
#define FX_ASSERT_TEXT(rc, fs, ev, buf, name, want)    \
	do {                                           \
		int i_ = fieldset_lookup(fs, name);    \
		assert_true(i_ >= 0);                  \
		field_text(rc, &(fs)->f[i_], ev, buf); \
		assert_string_equal(buf, want);        \
	} while (0)

/* The output checks of test_output_json/columns: check(o, ev) for every
 * scalar field of x's event set in turn to 0..69 (past the small-value
 * tables' end) and to all ones (negative, for signed ones). */
static inline void fx_each_small_value(struct fx *x, struct output *o,
				       void (*check)(struct output *,
						     const void *))
{
	for (size_t i = 0; i < x->fs->n; i++) {
		const struct field *f = &x->fs->f[i];
		struct fx_event ev = x->ev;

		if (f->is_struct || f->bit_size || !f->size || f->size > 8 ||
		    f->off + f->size > sizeof(ev))
			continue;
		for (__u64 v = 0; v < 70; v++) {
			memcpy((char *)&ev + f->off, &v, f->size);
			check(o, &ev);
		}
		memset((char *)&ev + f->off, 0xff, f->size);
		check(o, &ev);
	}
}

/* check(o, ev) for n random events, every other one of small bytes (the
 * small-value tables' range). */
static inline void fx_random_events(struct output *o, int n, unsigned int seed,
				    void (*check)(struct output *,
						  const void *))
{
	for (int r = 0; r < n; r++) {
		struct fx_event ev;
		unsigned char *p = (unsigned char *)&ev;

		for (size_t i = 0; i < sizeof(ev); i++)
			p[i] = (unsigned char)(rand_r(&seed) >> 3);
		if (r & 1)
			for (size_t i = 0; i < sizeof(ev); i++)
				p[i] &= 0x3;
		check(o, &ev);
	}
}

/* n events drawn from 3 random ones (the first of small bytes), each with
 * 0 to 3 bytes changed anywhere: keys that repeat, and near misses. */
static inline void
fx_repeated_events(struct output *o, int n, unsigned int seed,
		   void (*check)(struct output *, const void *))
{
	struct fx_event base[3];

	for (int b = 0; b < 3; b++) {
		unsigned char *p = (unsigned char *)&base[b];

		for (size_t i = 0; i < sizeof(base[b]); i++)
			p[i] = (unsigned char)(rand_r(&seed) >> 3) &
			       (b ? 0xff : 0x3);
	}
	for (int r = 0; r < n; r++) {
		struct fx_event ev = base[rand_r(&seed) % 3];
		unsigned char *p = (unsigned char *)&ev;

		for (int k = rand_r(&seed) % 4; k > 0; k--)
			p[rand_r(&seed) % sizeof(ev)] =
				(unsigned char)(rand_r(&seed) >> 5) & 0x7;
		check(o, &ev);
	}
}

#endif
