// SPDX-License-Identifier: Apache-2.0
/*
 * gadget/trace_dns/program.bpf.c: queries that get no answer, reported
 * by the program's own timer sweep (BPF_PROG_TEST_RUN, as in
 * test_trace_dns_prog.c).  Needs root and `make` (the BPF object).
 */
#include <sys/mman.h>

#include "tests/unit/trace_dns_prog.h"

/*
 * A query without response (sent three times: retransmissions) becomes
 * one event after the timeout, with the query's fields.  The sweep runs
 * once a second: waiting for a second event for 3 s more shows there is
 * none.  (Responses that take their query's slot are covered end to end:
 * BPF_PROG_TEST_RUN makes every packet incoming.)
 */
static void unanswered__after_timeout__one_event_per_query(void **state)
{
	struct prog *p = prog_load_with(NULL, 0, 1);
	struct msg m;
	struct frame f;
	char buf[64];

	(void)state;
	header(&m, 0x5151, F_RD, 1, 0);
	name(&m, "nobody.test");
	question_tail(&m, 28, 1);
	udp4(&f, 40000, 53, &m);
	for (int i = 0; i < 3; i++)
		assert_int_equal(run(p, f.b, f.len), 1);

	p->n = 0;
	assert_int_equal(wait_events(p, 1, 150), 1);
	assert_int_equal(ev_u(p, 0, "unanswered"), 1);
	assert_int_equal(ev_u(p, 0, "id"), 0x5151);
	assert_string_equal(ev_name(p, 0), "nobody.test.");
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 28);
	assert_int_equal(ev_u(p, 0, "qclass"), 1);
	assert_int_equal(ev_u(p, 0, "qr_raw"), 0);
	assert_int_equal(ev_u(p, 0, "rd"), 1);
	assert_int_equal(ev_u(p, 0, "netns_id"), NETNS_ID);
	assert_int_equal(ev_u(p, 0, "pkt_type_raw"), 0); /* HOST */
	assert_int_equal(ev_u(p, 0, "src.port"), 40000);
	assert_int_equal(ev_u(p, 0, "dst.port"), 53);
	assert_int_equal(ev_u(p, 0, "src.proto_raw"), IPPROTO_UDP);
	assert_string_equal(ev_addr(p, 0, 0, buf, sizeof(buf)), "");
	assert_int_equal(ev_u(p, 0, "nameserver.version"), 4);
	/* waited at least the timeout, from the first transmission */
	assert_true(ev_u(p, 0, "latency_ns_raw") >= 1000000000ull);
	assert_true(ev_u(p, 0, "timestamp_raw") > 0);

	assert_int_equal(wait_events(p, 2, 30), 1);
	assert_int_equal(counter(p, "gadget_counter_untracked"), 0);
	prog_free(p);
}

/*
 * The name of an unanswered query, short or long: up to 63 bytes it is
 * kept in the query's slot, from 64 on in the table of long names; both
 * come back whole (each query its own, in either order).
 */
static void unanswered__short_and_long_names__whole(void **state)
{
	static const char *const names[] = {
		/* 62 bytes and the root dot: 63 */
		"short-side-of-the-boundary-label-padding-padding-pad.name.test",
		/* 63 and the dot: 64 */
		"long-side-of-the-boundary-label-padding-padding-paddi.name.test",
		"a-much-longer-name-than-the-slot-keeps-inline-for-its-query."
		"with-more-labels.after-that.test",
	};
	const size_t n = sizeof(names) / sizeof(names[0]);
	struct prog *p = prog_load_with(NULL, 0, 1);
	char want[256];
	struct msg m;
	struct frame f;
	bool seen[3] = { false };

	(void)state;
	for (size_t i = 0; i < n; i++) {
		query(&m, 0x6100 + i, names[i]);
		udp4(&f, 41000 + i, 53, &m);
		assert_int_equal(run(p, f.b, f.len), 1);
	}
	p->n = 0;
	assert_int_equal(wait_events(p, n, 150), n);
	for (size_t e = 0; e < n; e++) {
		size_t i = ev_u(p, e, "id") - 0x6100;

		assert_true(i < n);
		assert_false(seen[i]);
		seen[i] = true;
		snprintf(want, sizeof(want), "%s.", names[i]);
		assert_int_equal(ev_u(p, e, "unanswered"), 1);
		assert_string_equal(ev_name(p, e), want);
	}
	prog_free(p);
}

/* A query for qname from port, with id, seen in 6 namespaces (more than
 * its bucket's 4 slots), times times in all. */
static void query_in_six(struct prog *p, uint16_t id, const char *qname,
			 uint16_t port, int times)
{
	struct msg m;
	struct frame f;

	query(&m, id, qname);
	udp4(&f, port, 53, &m);
	for (int i = 0; i < times; i++)
		assert_int_equal(run_in(p, f.b, f.len, NETNS_ID + i % 6), 1);
}

/*
 * One query seen in more namespaces than its bucket has slots (6 against
 * 4: a path through routers or bridges), each sent twice: every one kept
 * (the last two in their direct-mapped slots), every one reported once.
 */
static void unanswered__many_namespaces__each_reported(void **state)
{
	struct prog *p = prog_load_with(NULL, 0, 1);
	uint32_t seen = 0;

	(void)state;
	query_in_six(p, 0x0606, "hops.test", 40006, 12);
	p->n = 0;
	assert_int_equal(wait_events(p, 6, 150), 6);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(ev_u(p, i, "unanswered"), 1);
		assert_string_equal(ev_name(p, i), "hops.test.");
		seen |= 1u << (ev_u(p, i, "netns_id") - NETNS_ID);
	}
	assert_int_equal(seen, 0x3F);
	assert_int_equal(wait_events(p, 7, 30), 6);
	assert_int_equal(counter(p, "gadget_counter_untracked"), 0);
	prog_free(p);
}

/* The buckets of `queries` marked as overflowed (the byte `overflowed` of
 * struct query_slot in each bucket's first slot, read from the map's
 * memory). */
static size_t marked_buckets(struct prog *p)
{
	struct bpf_map *map = bpf_object__find_map_by_name(p->obj, "queries");
	size_t off = member_off(p, "query_slot", "overflowed"), n = 0, slots,
	       size;
	const uint8_t *q;

	assert_non_null(map);
	slots = bpf_map__max_entries(map);
	size = bpf_map__value_size(map);
	q = mmap(NULL, slots * size, PROT_READ, MAP_SHARED, bpf_map__fd(map),
		 0);
	assert_true(q != MAP_FAILED);
	for (size_t i = 0; i < slots; i += 4)
		n += q[i * size + off] != 0;
	munmap((void *)q, slots * size);
	return n;
}

/* The sweep's generation: it moves by one per pass, 1 to 255, then 1. */
static unsigned sweep_gen(struct prog *p)
{
	struct bpf_map *map = bpf_object__find_map_by_name(p->obj, "sweepers");
	uint8_t v[256];
	uint32_t key = 0;

	assert_non_null(map);
	assert_true(bpf_map__value_size(map) <= sizeof(v));
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(map), &key, v), 0);
	return v[member_off(p, "sweeper", "gen")];
}

/*
 * While a query of an overflowed bucket waits outside it, each sweep pass
 * renews the bucket's mark: four passes later (a mark not renewed ends
 * after two or three), the bucket is still marked.
 */
static void unanswered__bucket_mark__kept_while_its_queries_wait(void **state)
{
	struct prog *p = prog_load_with(NULL, 0, 3600);
	unsigned g0, g, passes = 0;

	(void)state;
	query_in_six(p, 0x0708, "waits.test", 40008, 6);
	assert_int_equal(marked_buckets(p), 1);
	g0 = sweep_gen(p);
	for (double end = now_s() + 20; passes < 4 && now_s() < end;) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		g = sweep_gen(p);
		passes = g >= g0 ? g - g0 : g + 255 - g0;
	}
	assert_true(passes >= 4);
	assert_int_equal(marked_buckets(p), 1);
	prog_free(p);
}

/*
 * A bucket that overflowed is marked so while its queries outside it are
 * in flight, then no longer: a response or query missing from it looks
 * in a direct-mapped slot only meanwhile.  One query in 6 namespaces
 * marks its bucket; once all 6 are reported unanswered, two more sweeps
 * clear the mark (and then the sweep stops).
 */
static void unanswered__bucket_mark__cleared_after_its_queries(void **state)
{
	struct prog *p = prog_load_with(NULL, 0, 1);
	size_t marked = 1;

	(void)state;
	assert_int_equal(marked_buckets(p), 0);
	query_in_six(p, 0x0707, "marks.test", 40007, 6);
	assert_int_equal(marked_buckets(p), 1);
	p->n = 0;
	assert_int_equal(wait_events(p, 6, 150), 6);
	for (double end = now_s() + 10; marked && now_s() < end;) {
		ring_buffer__poll(p->rb, 200);
		marked = marked_buckets(p);
	}
	assert_int_equal(marked, 0);
	assert_int_equal(p->n, 6);
	prog_free(p);
}

/*
 * Bounded: 3000 queries in flight at once, each seen in 6 namespaces
 * (500 queries' keys), fill their buckets (4 slots each) and go on to
 * their direct-mapped slots (65536), where some collide; each one is
 * either reported unanswered or counted as untracked, never both, never
 * neither.
 */
static void unanswered__slots_taken__reported_or_counted(void **state)
{
	struct prog *p = prog_load_with(NULL, 0, 1);
	const size_t total = 3000;
	struct msg m;
	struct frame f;
	uint64_t untracked;
	size_t got;

	(void)state;
	for (size_t i = 0; i < total; i++) {
		query(&m, i / 6, "many.test");
		udp4(&f, 1024 + i / 6, 53, &m);
		assert_int_equal(run_in(p, f.b, f.len, NETNS_ID + i % 6), 1);
	}
	p->n = 0;
	for (double end = now_s() + 15; now_s() < end;) {
		ring_buffer__poll(p->rb, 100);
		untracked = counter(p, "gadget_counter_untracked");
		if (p->n + untracked >= total)
			break;
	}
	got = p->n;
	untracked = counter(p, "gadget_counter_untracked");
	assert_true(untracked > 0);
	assert_int_equal(got + untracked, total);
	for (size_t i = 0; i < got && i < MAX_EVENTS; i++)
		assert_int_equal(ev_u(p, i, "unanswered"), 1);
	prog_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			unanswered__after_timeout__one_event_per_query),
		cmocka_unit_test(unanswered__short_and_long_names__whole),
		cmocka_unit_test(unanswered__many_namespaces__each_reported),
		cmocka_unit_test(
			unanswered__bucket_mark__kept_while_its_queries_wait),
		cmocka_unit_test(
			unanswered__bucket_mark__cleared_after_its_queries),
		cmocka_unit_test(unanswered__slots_taken__reported_or_counted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
