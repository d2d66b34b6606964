// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/record.c: a record shorter than its struct is read as the
 * struct with zeros after it, by everything that reads it (the filter,
 * JSON and columns, metrics), and a whole one where it is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "metadata/metadata.h"
#include "runner/engine/fields_internal.h"
#include "runner/engine/filter.h"
#include "runner/engine/metrics.h"
#include "runner/engine/output.h"
#include "runner/engine/record.h"
#include "fixture_event.h"

/* fx_yaml's fields, counted by qr and name */
static const char yaml_metrics[] = "datasources:\n"
				   "  dns:\n"
				   "    annotations:\n"
				   "      metrics.collect: \"true\"\n"
				   "      metrics.implicit-counter.name: msgs\n"
				   "    fields:\n"
				   "      qr:\n"
				   "        annotations:\n"
				   "          value.one-of: \"Q, R\"\n"
				   "          metrics.type: key\n"
				   "      name:\n"
				   "        annotations:\n"
				   "          metrics.type: key\n";

struct fx {
	struct btf *btf;
	int id;
	struct fieldset *fs; /* fx_yaml's */
	struct gadget_metadata *md; /* yaml_metrics */
	struct fieldset *mfs; /* yaml_metrics' */
	struct record_pad *pad;
	struct fx_event ev;
};

static struct fieldset *fs_of(struct fx *x, const char *yaml,
			      struct gadget_metadata **keep)
{
	struct gadget_metadata *md = NULL;
	struct fieldset *fs = NULL;
	struct error *err = NULL;

	if (metadata_parse(yaml, strlen(yaml), "t.yaml", &md, &err) ||
	    fieldset_new(x->btf, x->id, md, "dns", &fs, &err))
		fail_msg("%s", error_msg(err));
	if (keep)
		*keep = md;
	else
		metadata_free(md);
	return fs;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct fx_types t;

	setenv("TZ", "UTC", 1);
	tzset();
	x->btf = btf__new_empty();
	x->id = fx_build(x->btf, &t);
	x->fs = fs_of(x, fx_yaml, NULL);
	x->mfs = fs_of(x, yaml_metrics, &x->md);
	x->pad = record_pad_new(fieldset_event_size(x->fs));
	assert_non_null(x->pad);
	assert_int_equal(fieldset_event_size(x->fs), sizeof(x->ev));
	fx_fill_event(&x->ev);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	record_pad_free(x->pad);
	fieldset_free(x->fs);
	fieldset_free(x->mfs);
	metadata_free(x->md);
	btf__free(x->btf);
	free(x);
	return 0;
}

/* The fixture event with its bytes from k on zeroed, by hand. */
static void padded_by_hand(const struct fx *x, size_t k, struct fx_event *out)
{
	*out = x->ev;
	memset((char *)out + k, 0, sizeof(*out) - k);
}

static void whole__whole_record__read_where_it_is(void **state)
{
	struct fx *x = *state;
	size_t size = sizeof(x->ev);

	assert_ptr_equal(record_whole(x->pad, &x->ev, &size), &x->ev);
	assert_int_equal(size, sizeof(x->ev));
	size = sizeof(x->ev) + 100; /* a packet after it (pcap-ng) */
	assert_ptr_equal(record_whole(x->pad, &x->ev, &size), &x->ev);
	assert_int_equal(size, sizeof(x->ev) + 100);
}

/* Longer then shorter ones: no byte of an earlier record is left. */
static void whole__short_records__zeros_after_them(void **state)
{
	static const size_t cuts[] = {
		sizeof(struct fx_event) - 1,	     8,	 200, 0,
		offsetof(struct fx_event, name) + 1, 100
	};
	struct fx *x = *state;
	struct fx_event want;

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		size_t size = cuts[i];
		const void *ev = record_whole(x->pad, &x->ev, &size);

		padded_by_hand(x, cuts[i], &want);
		assert_ptr_not_equal(ev, &x->ev);
		assert_int_equal(size, sizeof(x->ev));
		assert_memory_equal(ev, &want, sizeof(want));
	}
}

/* What mode writes for ev (size bytes), as a string (static buffer). */
static const char *rendered(struct fx *x, enum output_mode mode, const void *ev,
			    size_t size)
{
	static char buf[2][4096];
	static int which;
	struct output *o = NULL;
	struct error *err = NULL;
	int fd = memfd_create("out", 0);
	char *b = buf[which ^= 1];
	ssize_t n;

	assert_true(fd >= 0);
	if (output_new(x->fs, mode, fd, &o, &err))
		fail_msg("%s", error_msg(err));
	output_header(o);
	output_event(o, ev, size);
	output_free(o);
	n = pread(fd, b, sizeof(buf[0]) - 1, 0);
	close(fd);
	assert_true(n > 0);
	b[n] = '\0';
	return b;
}

/* The metrics text after counting ev once. */
static const char *counted(struct fx *x, const void *ev, struct mbuf *b)
{
	struct metrics *m = NULL;
	struct error *err = NULL;

	if (metrics_new(x->mfs, x->md, "dns", NULL, 100, &m, &err))
		fail_msg("%s", error_msg(err));
	metrics_observe(m, ev);
	b->len = 0;
	metrics_render(m, false, b);
	metrics_free(m);
	assert_false(b->oom);
	return b->p;
}

static bool passes(struct fx *x, const char *expr, const void *ev)
{
	struct filter *f = NULL;
	struct error *err = NULL;
	bool r;

	if (filter_add(&f, x->fs, expr, &err))
		fail_msg("filter %s: %s", expr, error_msg(err));
	r = filter_match(f, ev);
	filter_free(f);
	return r;
}

/*
 * A record cut after latency_ns_raw (id, qr, rcode, name left out), as
 * the session hands it on: filtered, rendered and counted as the same
 * bytes zero-padded by hand, and not as the bytes after it in memory.
 */
static void short_record__filtered_rendered_counted_as_padded(void **state)
{
	struct fx *x = *state;
	size_t k = offsetof(struct fx_event, id), size = k;
	const void *ev = record_whole(x->pad, &x->ev, &size);
	struct fx_event want;
	struct mbuf a = { 0 }, b = { 0 };
	char text[4096];

	padded_by_hand(x, k, &want);
	assert_true(passes(x, "qr==Q,name==,pid==4242", ev));
	assert_false(passes(x, "qr==R", ev));
	assert_true(passes(x, "qr==R", &x->ev)); /* the bytes in memory */

	snprintf(text, sizeof(text), "%s",
		 rendered(x, OUTPUT_JSON, &want, sizeof(want)));
	assert_string_equal(rendered(x, OUTPUT_JSON, ev, size), text);
	assert_non_null(strstr(text, "\"name\":\"\""));
	assert_non_null(strstr(text, "\"qr\":\"Q\""));
	assert_non_null(strstr(text, "\"latency_ns_raw\":1234567"));

	snprintf(text, sizeof(text), "%s",
		 rendered(x, OUTPUT_COLUMNS, &want, sizeof(want)));
	assert_string_equal(rendered(x, OUTPUT_COLUMNS, ev, size), text);
	assert_non_null(strstr(text, "nslookup"));

	counted(x, &want, &a);
	assert_string_equal(counted(x, ev, &b), a.p);
	assert_non_null(strstr(a.p, "qr=\"Q\",name=\"\""));
	mbuf_free(&a);
	mbuf_free(&b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(whole__whole_record__read_where_it_is),
		T(whole__short_records__zeros_after_them),
		T(short_record__filtered_rendered_counted_as_padded),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
