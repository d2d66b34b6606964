// SPDX-License-Identifier: Apache-2.0
/* The parts behind pod labels kept in runtimes' own state: the protobuf
 * wire reader (runner/engine/pbwire.c), the reading of a containerd
 * Containers/Get response (containerd_api.c) and bbolt lookups
 * (boltdb.c), on hand-made bytes; how pod_labels.c leaves alone a
 * containerd socket that failed, each allocation failed in turn
 * (tests/unit/alloc_fx.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runner/engine/boltdb.h"
#include "runner/engine/containerd_api.h"
#include "runner/engine/pbwire.h"
#include "runner/engine/pod_labels.h"
#include "tests/unit/alloc_fx.h"
#include "tests/unit/bolt_fx.h"
#include "tests/unit/log_fx.h"

/* A gRPC frame of a GetContainerResponse whose container has labels. */
static size_t get_response(uint8_t *out, size_t size, const char *const *kv,
			   int n)
{
	uint8_t ctr[4096], ent[512];
	size_t clen = 0, off = 5, elen;

	assert_int_equal(pb_put_len(ctr, sizeof(ctr), &clen, 1, "abc", 3), 0);
	for (int i = 0; i < n; i++) {
		elen = 0;
		assert_int_equal(pb_put_len(ent, sizeof(ent), &elen, 1,
					    kv[2 * i], strlen(kv[2 * i])),
				 0);
		assert_int_equal(pb_put_len(ent, sizeof(ent), &elen, 2,
					    kv[2 * i + 1],
					    strlen(kv[2 * i + 1])),
				 0);
		assert_int_equal(
			pb_put_len(ctr, sizeof(ctr), &clen, 2, ent, elen), 0);
	}
	/* image = 3, a field the reader skips */
	assert_int_equal(pb_put_len(ctr, sizeof(ctr), &clen, 3, "img", 3), 0);
	assert_int_equal(pb_put_len(out, size, &off, 1, ctr, clen), 0);
	out[0] = 0;
	out[1] = out[2] = 0;
	out[3] = (uint8_t)((off - 5) >> 8);
	out[4] = (uint8_t)(off - 5);
	return off;
}

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
	size_t len = get_response(msg, sizeof(msg), kv, 3);

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
		assert_null(pod_labels_containerd(pl, "", dir, "sandbox"));
		calls = alloc_calls;
		alloc_fail(0);
		assert_int_equal(said.lines, 1);
		assert_null(pod_labels_containerd(pl, "", dir, "sandbox"));
		assert_int_equal(said.lines, 1);
		pod_labels_free(pl);
		if (k > calls)
			break;
	}
	assert_true(k > 2); /* some allocation was failed */
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
