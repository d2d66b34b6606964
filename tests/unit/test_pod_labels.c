// SPDX-License-Identifier: Apache-2.0
/* The parts behind pod labels kept in runtimes' own state: the protobuf
 * wire reader (runner/engine/pbwire.c), the reading of a containerd
 * Containers/Get response (containerd_api.c) and bbolt lookups
 * (boltdb.c), on hand-made bytes; how pod_labels.c leaves alone a
 * containerd socket that failed, each allocation failed in turn
 * (tests/unit/alloc_fx.h), and one that was busy for a shorter while
 * than one that is not there (a containerd that answers late,
 * tests/unit/containerd_fx.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "runner/engine/boltdb.h"
#include "runner/engine/containerd_api.h"
#include "runner/engine/pbwire.h"
#include "runner/engine/pod_labels.h"
#include "tests/unit/alloc_fx.h"
#include "tests/unit/bolt_fx.h"
#include "tests/unit/containerd_fx.h"
#include "tests/unit/log_fx.h"

static void collect(void *ctx, const char *key, const char *value)
{
	char *buf = ctx;

	snprintf(buf + strlen(buf), 512 - strlen(buf), "%s=%s;", key, value);
}

/* grpc-status in decimal; anything else is an error, not OK (atoi: 0) */
static void containerd__grpc_status__decimal_or_unknown(void **state)
{
	/* the header's value, its first len bytes, and the status read */
	static const struct {
		const char *s;
		size_t len;
		int want;
	} c[] = {
		{ "0", 1, 0 },
		{ "5", 1, 5 },
		{ "16x", 2, 16 },
		{ "x", 1, 2 },
		{ "", 0, 2 },
		{ "+0", 2, 2 },
		{ "-1", 2, 2 },
		{ "0 ", 2, 2 },
		{ "4294967296", 10, 2 },
		{ "00000000000000", 14, 2 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int got = containerd_grpc_status(c[i].s, c[i].len);

		if (got != c[i].want)
			fail_msg("grpc-status \"%.*s\": %d, want %d",
				 (int)c[i].len, c[i].s, got, c[i].want);
	}
}

static void containerd__get_response__labels(void **state)
{
	static const char *const kv[] = {
		"app", "web", "io.cri-containerd.kind", "sandbox", "empty", ""
	};
	uint8_t msg[8192];
	char got[512] = "";
	size_t len = fx_get_response(msg, sizeof(msg), kv, 3);

	(void)state;
	assert_int_equal(containerd_parse_get(msg, len, collect, got), 0);
	assert_string_equal(got,
			    "app=web;io.cri-containerd.kind=sandbox;empty=;");
	/* cut anywhere: malformed, never a read past the end */
	for (size_t cut = 1; cut < len; cut++) {
		got[0] = '\0';
		assert_int_equal(containerd_parse_get(msg, cut, collect, got),
				 -1);
	}
	/* compressed (flag 1): not asked for, not taken */
	msg[0] = 1;
	assert_int_equal(containerd_parse_get(msg, len, collect, got), -1);
	assert_int_equal(containerd_parse_get(msg, 0, collect, got), 0);
}

static void pbwire__varints_and_bounds(void **state)
{
	/* field 1 varint 300, field 2 fixed64, field 3 len 2 "hi" */
	static const uint8_t m[] = { 0x08, 0xac, 0x02, 0x11, 1,	   0, 0,   0,
				     0,	   0,	 0,    0,    0x1a, 2, 'h', 'i' };
	static const uint8_t long_varint[] = { 0x08, 0xff, 0xff, 0xff,
					       0xff, 0xff, 0xff, 0xff,
					       0xff, 0xff, 0xff, 0x01 };
	static const uint8_t big_len[] = { 0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f };
	static const uint8_t group[] = { 0x0b };
	struct pb_reader r;
	struct pb_field f;

	(void)state;
	pb_reader_init(&r, m, sizeof(m));
	assert_int_equal(pb_next(&r, &f), 1);
	assert_int_equal(f.num, 1);
	assert_int_equal(f.varint, 300);
	assert_int_equal(pb_next(&r, &f), 1);
	assert_int_equal(f.wire, PB_I64);
	assert_int_equal(f.varint, 1);
	assert_int_equal(pb_next(&r, &f), 1);
	assert_int_equal(f.len, 2);
	assert_memory_equal(f.data, "hi", 2);
	assert_int_equal(pb_next(&r, &f), 0);
	pb_reader_init(&r, long_varint, sizeof(long_varint));
	assert_int_equal(pb_next(&r, &f), -1);
	assert_int_equal(pb_next(&r, &f), -1); /* stays failed */
	pb_reader_init(&r, big_len, sizeof(big_len));
	assert_int_equal(pb_next(&r, &f), -1);
	pb_reader_init(&r, group, sizeof(group));
	assert_int_equal(pb_next(&r, &f), -1);
}

static const char *lookup(const uint8_t *db, size_t size, const char *b1,
			  const char *b2, char *out, size_t out_size)
{
	struct boltdb d;
	struct boltdb_bucket r, a, b;
	const uint8_t *v;
	size_t vl;

	if (boltdb_from_memory(db, size, &d))
		return NULL;
	boltdb_root(&d, &r);
	if (boltdb_bucket(&d, &r, b1, strlen(b1), &a) ||
	    boltdb_bucket(&d, &a, b2, strlen(b2), &b) ||
	    boltdb_get(&d, &b, "config", 6, &v, &vl))
		return NULL;
	assert_true(v >= db && v + vl <= db + size);
	snprintf(out, out_size, "%.*s", (int)vl, v);
	return out;
}

static void boltdb__nested_buckets__values(void **state)
{
	size_t size;
	uint8_t *db = bolt_fx_podman("c1", "{\"pod\":\"p1\"}", "p1",
				     "{\"labels\":{}}", &size);
	char out[256];
	struct boltdb d;
	struct boltdb_bucket r, b;
	const uint8_t *v;
	size_t vl;

	(void)state;
	assert_non_null(db);
	assert_string_equal(lookup(db, size, "ctr", "c1", out, sizeof(out)),
			    "{\"pod\":\"p1\"}");
	assert_string_equal(lookup(db, size, "pod", "p1", out, sizeof(out)),
			    "{\"labels\":{}}");
	assert_null(lookup(db, size, "ctr", "c2", out, sizeof(out)));
	assert_null(lookup(db, size, "pods", "p1", out, sizeof(out)));
	/* a bucket is not a value, a value not a bucket */
	assert_int_equal(boltdb_from_memory(db, size, &d), 0);
	boltdb_root(&d, &r);
	assert_int_equal(boltdb_get(&d, &r, "ctr", 3, &v, &vl), -1);
	assert_int_equal(boltdb_bucket(&d, &r, "ctr", 3, &b), 0);
	/* cut short: not found (or not bbolt), never a read outside */
	for (size_t cut = 0; cut < 2 * BOLT_FX_PAGE + 100; cut += 31)
		assert_null(lookup(db, cut, "pod", "p1", out, sizeof(out)));
	/* a broken checksum of the newer meta page: the older one serves */
	db[BOLT_FX_PAGE + 40] ^= 1;
	assert_string_equal(lookup(db, size, "pod", "p1", out, sizeof(out)),
			    "{\"labels\":{}}");
	db[0 + 40] ^= 1;
	assert_null(lookup(db, size, "pod", "p1", out, sizeof(out)));
	free(db);
}

/*
 * A containerd socket that is not there: the call fails, whichever
 * allocation fails with it (the error's own too, which leaves no error),
 * is said once, and the next call leaves the socket alone (says nothing
 * more) instead of taking the failure for a success.
 */
static void
containerd__failed_socket__left_alone_even_out_of_memory(void **state)
{
	static const char dir[] = "/nonexistent-test-pod-labels/k8s.io";
	struct said said = SAID_INIT;
	enum pod_labels_later later;
	unsigned calls, k;

	(void)state;
	engine_log_set(said_log, &said);
	for (k = 0;; k++) {
		struct pod_labels *pl = pod_labels_new();

		assert_non_null(pl);
		pod_labels_learn_socket(pl, dir,
					"/nonexistent-test-pod-labels.sock");
		said.lines = 0;
		alloc_fail(k);
		assert_null(
			pod_labels_containerd(pl, "", dir, "sandbox", &later));
		calls = alloc_calls;
		alloc_fail(0);
		assert_int_equal(said.lines, 1);
		assert_null(
			pod_labels_containerd(pl, "", dir, "sandbox", &later));
		assert_int_equal(said.lines, 1);
		assert_int_equal(later, POD_LABELS_FINAL);
		pod_labels_free(pl);
		if (k > calls)
			break;
	}
	assert_true(k > 2); /* some allocation was failed */
}

static const char fx_dir[] = "/nonexistent-test-pod-labels/k8s.io";

/* The fake containerd's socket in process pid (char path[64]). */
static void fx_path(char *path, pid_t pid)
{
	snprintf(path, 64, "/tmp/test-pod-labels-%d.sock", (int)pid);
}

/* The teardown of a test with the fixture: it stops serving, its
 * socket goes, and the engine's log forgets the test's said. */
static int fx_said_forget(void **state)
{
	fx_teardown(state);
	return said_forget(state);
}

/*
 * A fake containerd at a socket of its own, bound (listen_now: listening
 * too), and pod labels that know it as the socket of fx_dir's bundles;
 * what they say goes to said, the clock as it is.
 */
static struct pod_labels *fx_open(struct fx_containerd **fx, struct said *said,
				  bool listen_now)
{
	struct pod_labels *pl = pod_labels_new();
	char path[64];

	assert_non_null(pl);
	fx_clock_ahead_ms = 0;
	engine_log_set(said_log, said);
	fx_path(path, getpid());
	*fx = fx_bind(path, listen_now);
	assert_non_null(*fx);
	pod_labels_learn_socket(pl, fx_dir, (*fx)->path);
	return pl;
}

/* Serve the script's n connections, answering with the sandbox's labels. */
static void fx_answering(struct fx_containerd *fx, const enum fx_conn *script,
			 int n)
{
	static const char *const kv[] = { "app", "web", "tier", "front" };
	static uint8_t answer[1024];

	assert_int_equal(
		fx_start(fx, script, n, answer,
			 fx_get_response(answer, sizeof(answer), kv, 2)),
		0);
}

/* Done with fx, which had to take accepted connections, and pl. */
static void fx_close(struct fx_containerd *fx, struct pod_labels *pl,
		     int accepted)
{
	fx_stop(fx);
	assert_int_equal(fx->accepted, accepted);
	fx_free(fx);
	pod_labels_free(pl);
	fx_clock_ahead_ms = 0;
}

static void assert_labels(json_t *l, const char *app, const char *tier)
{
	assert_non_null(l);
	assert_string_equal(json_string_value(json_object_get(l, "app")), app);
	assert_string_equal(json_string_value(json_object_get(l, "tier")),
			    tier);
	json_decref(l);
}

/* pl leaves fx_dir's containerd alone for ms since the last call (saying
 * meanwhile in later), then asks it and gets the sandbox's labels. */
static void assert_left_alone_for(struct pod_labels *pl, long long ms,
				  enum pod_labels_later meanwhile)
{
	enum pod_labels_later later;

	fx_clock_ahead_ms = ms - 1;
	assert_null(pod_labels_containerd(pl, "", fx_dir, "sandbox", &later));
	assert_int_equal(later, meanwhile);
	fx_clock_ahead_ms = ms;
	assert_labels(pod_labels_containerd(pl, "", fx_dir, "sandbox", &later),
		      "web", "front");
	assert_int_equal(later, POD_LABELS_FINAL);
}

/*
 * A containerd that does not answer in time (busy) is asked again after
 * POD_LABELS_BUSY_MS, not left alone as one that is not there: the
 * caller is told to come back later, not asked in between (one wait per
 * back-off), and the prompt answer then gives the labels.
 */
static void containerd__timed_out__asked_again_after_short_back_off(void **s)
{
	static const enum fx_conn script[] = { FX_SILENT, FX_ANSWER };
	struct said said = SAID_INIT;
	enum pod_labels_later later;
	struct fx_containerd *fx;
	struct pod_labels *pl = fx_open(&fx, &said, true);

	(void)s;
	fx_answering(fx, script, 2);
	assert_null(pod_labels_containerd(pl, "", fx_dir, "sandbox", &later));
	assert_int_equal(later, POD_LABELS_TIMED_OUT);
	assert_int_equal(said.lines, 1);
	assert_non_null(strstr(said.last, "asked again later"));
	/* busy: left alone a while, the caller told to come back */
	assert_left_alone_for(pl, POD_LABELS_BUSY_MS, POD_LABELS_SKIPPED);
	fx_close(fx, pl, 2);
}

/*
 * A containerd whose socket refuses connections (not there) is left
 * alone for POD_LABELS_ABSENT_MS, longer than a busy one: not asked
 * again past POD_LABELS_BUSY_MS (nor told to come back), then asked.
 */
static void containerd__refused__left_alone_longer(void **s)
{
	static const enum fx_conn script[] = { FX_ANSWER };
	struct said said = SAID_INIT;
	enum pod_labels_later later;
	struct fx_containerd *fx;
	/* bound, not listening: connection refused */
	struct pod_labels *pl = fx_open(&fx, &said, false);

	(void)s;
	assert_null(pod_labels_containerd(pl, "", fx_dir, "sandbox", &later));
	assert_int_equal(later, POD_LABELS_FINAL);
	assert_int_equal(said.lines, 1);
	assert_non_null(strstr(said.last, "stay empty"));
	/* containerd there now, answering */
	fx_answering(fx, script, 1);
	assert_left_alone_for(pl, POD_LABELS_ABSENT_MS, POD_LABELS_FINAL);
	fx_close(fx, pl, 1);
}

/* A test that fails while the fixture serves. */
static void fx_fails_midway(void **s)
{
	static const enum fx_conn script[] = { FX_ANSWER };
	struct said said = SAID_INIT;
	struct fx_containerd *fx;

	(void)s;
	pod_labels_free(fx_open(&fx, &said, true));
	fx_answering(fx, script, 1);
	fail_msg("fails on purpose");
}

/*
 * A test that fails midway (a failed assertion jumps past its fx_free())
 * leaves no socket in /tmp once its teardown ran, nor does a program
 * that exits with the fixture bound: in a child, its output dropped,
 * which exits 0 when the failed test's socket was gone.
 */
static void fixture__failed_test_or_exit__socket_removed(void **s)
{
	char path[64];
	int status;
	pid_t pid = fork();

	(void)s;
	assert_true(pid >= 0);
	if (!pid) {
		const struct CMUnitTest t[] = { cmocka_unit_test_teardown(
			fx_fails_midway, fx_said_forget) };
		int null = open("/dev/null", O_WRONLY);

		if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(2);
		fx_path(path, getpid());
		if (!cmocka_run_group_tests_name("fails", t, NULL, NULL) ||
		    !access(path, F_OK))
			_exit(1);
		/* bound again, and exit() (not _exit()) */
		exit(fx_bind(path, true) ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0); /* 1: left by the test */
	fx_path(path, pid);
	assert_int_equal(access(path, F_OK), -1); /* left at exit() */
}

/*
 * "No such container" is an answer: the socket works, so a timeout after
 * it is the first in a row again (left alone for POD_LABELS_BUSY_MS, not
 * twice that) and is said again, as after labels.
 */
static void containerd__not_found_between_timeouts__back_off_anew(void **s)
{
	static const enum fx_conn script[] = { FX_SILENT, FX_NOT_FOUND,
					       FX_SILENT, FX_ANSWER };
	struct said said = SAID_INIT;
	enum pod_labels_later later;
	struct fx_containerd *fx;
	struct pod_labels *pl = fx_open(&fx, &said, true);

	(void)s;
	fx_answering(fx, script, 4);
	assert_null(pod_labels_containerd(pl, "", fx_dir, "sandbox", &later));
	assert_int_equal(later, POD_LABELS_TIMED_OUT);
	fx_clock_ahead_ms = POD_LABELS_BUSY_MS;
	assert_null(pod_labels_containerd(pl, "", fx_dir, "gone", &later));
	assert_int_equal(later, POD_LABELS_FINAL);
	assert_null(pod_labels_containerd(pl, "", fx_dir, "sandbox", &later));
	assert_int_equal(later, POD_LABELS_TIMED_OUT);
	assert_int_equal(said.lines, 2);
	assert_left_alone_for(pl, 2 * POD_LABELS_BUSY_MS, POD_LABELS_SKIPPED);
	fx_close(fx, pl, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pbwire__varints_and_bounds),
		cmocka_unit_test(containerd__grpc_status__decimal_or_unknown),
		cmocka_unit_test(containerd__get_response__labels),
		cmocka_unit_test(boltdb__nested_buckets__values),
		cmocka_unit_test_teardown(
			containerd__failed_socket__left_alone_even_out_of_memory,
			said_forget),
		cmocka_unit_test_teardown(
			containerd__timed_out__asked_again_after_short_back_off,
			fx_said_forget),
		cmocka_unit_test_teardown(
			containerd__refused__left_alone_longer, fx_said_forget),
		cmocka_unit_test_teardown(
			containerd__not_found_between_timeouts__back_off_anew,
			fx_said_forget),
		cmocka_unit_test(fixture__failed_test_or_exit__socket_removed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
