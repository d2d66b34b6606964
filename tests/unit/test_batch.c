// SPDX-License-Identifier: Apache-2.0
/* runner/engine/batch.c: ig's sort and limiter on a batch, and the
 * "ds:value,..." lists of ig's operator params. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metadata/metadata.h"
#include "runner/engine/batch.h"
#include "runner/engine/fields.h"
#include "fixture_event.h"

struct fx {
	struct btf *btf;
	struct fieldset *fs;
	struct batch *b;
	int got[16]; /* pids in the order the batch passed them on */
	size_t n;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct gadget_metadata *md = NULL;
	struct error *err = NULL;
	struct fx_types t;
	int id;

	x->btf = btf__new_empty();
	id = fx_build(x->btf, &t);
	if (metadata_parse(fx_yaml, strlen(fx_yaml), "t.yaml", &md, &err) ||
	    fieldset_new(x->btf, id, md, "dns", &x->fs, &err))
		fail_msg("%s", error_msg(err));
	metadata_free(md);
	x->b = batch_new(x->fs);
	assert_non_null(x->b);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	batch_free(x->b);
	fieldset_free(x->fs);
	btf__free(x->btf);
	free(x);
	return 0;
}

/* Records (pid, comm, delta, latency) in this order. */
static void add(struct fx *x, int pid, const char *comm, int delta,
		__u64 latency)
{
	struct fx_event ev = { 0 };

	ev.proc.pid = pid;
	strcpy(ev.proc.comm, comm);
	ev.delta = delta;
	ev.latency_ns_raw = latency;
	assert_int_equal(batch_add(x->b, &ev, sizeof(ev)), 0);
}

static void add_four(struct fx *x)
{
	add(x, 1, "bb", -5, 1500000); /* 1.50ms */
	add(x, 2, "a", 7, 9000); /* 9.00µs */
	add(x, 3, "bb", 0, 20000000); /* 20.00ms */
	add(x, 4, "c", -5, 9000);
}

static int collect(void *ctx, const void *data, size_t size)
{
	struct fx *x = ctx;
	const struct fx_event *ev = data;

	assert_int_equal(size, sizeof(*ev));
	x->got[x->n++] = ev->proc.pid;
	return 0;
}

static void expect(struct fx *x, const int *want, size_t n)
{
	x->n = 0;
	assert_int_equal(batch_end(x->b, collect, x), 0);
	assert_int_equal(x->n, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(x->got[i], want[i]);
}

static void sort(struct fx *x, const char *fields)
{
	struct error *err = NULL;

	if (batch_set_sort(x->b, fields, &err))
		fail_msg("%s: %s", fields, error_msg(err));
}

static void sort__text_then_number_descending__stable(void **state)
{
	struct fx *x = *state;
	static const int want[] = { 2, 3, 1, 4 };

	sort(x, "proc.comm,-proc.pid");
	add_four(x);
	expect(x, want, 4);
}

static void sort__signed_and_ties__keep_their_order(void **state)
{
	struct fx *x = *state;
	static const int want[] = { 1, 4, 3, 2 };

	sort(x, "delta");
	add_four(x);
	expect(x, want, 4);
}

static void sort__duration__by_time_not_text(void **state)
{
	struct fx *x = *state;
	static const int want[] = { 2, 4, 1, 3 };

	sort(x, "latency_ns");
	add_four(x);
	expect(x, want, 4);
}

static void limit__first_n__after_the_sort(void **state)
{
	struct fx *x = *state;
	static const int want[] = { 4, 3 };

	sort(x, "-proc.pid");
	batch_set_limit(x->b, 2);
	add_four(x);
	expect(x, want, 2);
	/* the next batch starts empty, with the same sort and limit */
	add(x, 9, "z", 0, 0);
	expect(x, (const int[]){ 9 }, 1);
	batch_set_limit(x->b, 0);
	add_four(x);
	expect(x, NULL, 0);
}

static void no_sort__arrival_order(void **state)
{
	struct fx *x = *state;
	static const int want[] = { 1, 2, 3, 4 };

	sort(x, "");
	add_four(x);
	expect(x, want, 4);
}

static void sort__bad_fields__refused_with_the_name(void **state)
{
	struct fx *x = *state;
	static const char *const bad[][2] = {
		{ "nope", "unknown field \"nope\"" },
		{ "proc.pid,", "empty field name" },
		{ "src", "field \"src\" cannot be used for sorting" },
		{ "tc", "field \"tc\" cannot be used for sorting" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct error *err = NULL;

		assert_int_not_equal(batch_set_sort(x->b, bad[i][0], &err), 0);
		assert_non_null(strstr(error_msg(err), bad[i][1]));
		error_free(err);
	}
	assert_true(batch_sort_known(x->fs, "-proc.pid,name"));
	assert_false(batch_sort_known(x->fs, "proc.pid,nope"));
}

static int note(void *ctx, const char *ds, const char *value,
		struct error **err)
{
	char *out = ctx;

	(void)err;
	sprintf(out + strlen(out), "[%s=%s]", ds ? ds : "*", value);
	return 0;
}

static void per_ds__named_unnamed_mixed_and_empty(void **state)
{
	struct error *err = NULL;
	char out[128] = "";

	(void)state;
	assert_int_equal(batch_per_ds("a:1,b:-1,", ',', note, out, &err), 2);
	assert_string_equal(out, "[a=1][b=-1]");
	out[0] = '\0';
	assert_int_equal(batch_per_ds("x,-y;;", ';', note, out, &err), 1);
	assert_string_equal(out, "[*=x,-y]");
	out[0] = '\0';
	assert_int_equal(batch_per_ds("z:w;q:a,b", ';', note, out, &err), 2);
	assert_string_equal(out, "[z=w][q=a,b]");
	assert_int_equal(batch_per_ds("", ',', note, out, &err), 0);
	assert_int_equal(batch_per_ds("5,a:1", ',', note, out, &err), -1);
	assert_non_null(strstr(error_msg(err), "with and without"));
	error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			sort__text_then_number_descending__stable, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			sort__signed_and_ties__keep_their_order, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			sort__duration__by_time_not_text, setup, teardown),
		cmocka_unit_test_setup_teardown(limit__first_n__after_the_sort,
						setup, teardown),
		cmocka_unit_test_setup_teardown(no_sort__arrival_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			sort__bad_fields__refused_with_the_name, setup,
			teardown),
		cmocka_unit_test(per_ds__named_unnamed_mixed_and_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
