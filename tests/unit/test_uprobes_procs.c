// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/uprobes_procs.c: the table of processes the uprobes
 * module follows finds every entry after removals in the middle of a
 * run of colliding ones (and of one that wraps past the last slot),
 * refuses more than its maximum, and agrees with a plain list over a
 * long mix of adds and removes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "runner/engine/uprobes_procs.h"

#define CAP 16

/* The slot tgid's probe starts at, as the table computes it. */
static size_t home_of(__u32 tgid)
{
	return (size_t)(tgid * 2654435761u) % CAP;
}

/* n tgids whose probe starts at slot h. */
static void colliding(size_t h, __u32 *out, size_t n)
{
	for (__u32 tgid = 1; n; tgid++)
		if (home_of(tgid) == h) {
			*out++ = tgid;
			n--;
		}
}

static void add(struct uprocs *t, __u32 tgid, __u64 files)
{
	struct uproc *s = uprocs_slot(t, tgid);

	assert_int_equal(s->tgid, 0);
	assert_non_null(uprocs_add(t, s, tgid));
	s->files = files;
}

static bool found(struct uprocs *t, __u32 tgid, __u64 files)
{
	struct uproc *s = uprocs_slot(t, tgid);

	return s->tgid == tgid && s->files == files;
}

static void remove_tgid(struct uprocs *t, __u32 tgid)
{
	struct uproc *s = uprocs_slot(t, tgid);

	assert_int_equal(s->tgid, tgid);
	uprocs_remove(t, s);
}

static void uprocs__remove_in_a_run__others_found(void **state)
{
	struct uprocs t;
	__u32 a[4], b[2];

	(void)state;
	assert_int_equal(uprocs_init(&t, CAP, CAP - 1), 0);
	/* a run that wraps: four from the last slot, two from slot 0 */
	colliding(CAP - 1, a, 4);
	colliding(0, b, 2);
	for (int i = 0; i < 4; i++)
		add(&t, a[i], 1u << i);
	add(&t, b[0], 16);
	add(&t, b[1], 32);
	remove_tgid(&t, a[1]);
	assert_false(found(&t, a[1], 2));
	for (int i = 0; i < 4; i++)
		if (i != 1)
			assert_true(found(&t, a[i], 1u << i));
	assert_true(found(&t, b[0], 16));
	assert_true(found(&t, b[1], 32));
	remove_tgid(&t, b[0]);
	remove_tgid(&t, a[0]);
	assert_true(found(&t, a[2], 4));
	assert_true(found(&t, a[3], 8));
	assert_true(found(&t, b[1], 32));
	assert_int_equal(t.n, 3);
	uprocs_fini(&t);
}

static void uprocs__past_max__refused(void **state)
{
	struct uprocs t;
	__u32 tgid;

	(void)state;
	assert_int_equal(uprocs_init(&t, CAP, 3), 0);
	for (tgid = 1; tgid <= 3; tgid++)
		add(&t, tgid, tgid);
	assert_null(uprocs_add(&t, uprocs_slot(&t, 4), 4));
	remove_tgid(&t, 2);
	assert_non_null(uprocs_add(&t, uprocs_slot(&t, 4), 4));
	assert_true(found(&t, 1, 1));
	assert_true(found(&t, 3, 3));
	uprocs_fini(&t);
}

static void uprocs__mixed_adds_removes__agree_with_a_list(void **state)
{
	__u64 want[64] = { 0 }; /* tgid 1..63: files + 1 when present */
	struct uprocs t;

	(void)state;
	assert_int_equal(uprocs_init(&t, CAP, CAP - 1), 0);
	srand(7);
	for (int round = 0; round < 20000; round++) {
		__u32 tgid = 1 + rand() % 63;

		if (want[tgid]) {
			remove_tgid(&t, tgid);
			want[tgid] = 0;
		} else if (t.n < CAP - 1) {
			add(&t, tgid, round);
			want[tgid] = (__u64)round + 1;
		}
		for (__u32 k = 1; k < 64; k++)
			if (want[k])
				assert_true(found(&t, k, want[k] - 1));
			else
				assert_int_equal(uprocs_slot(&t, k)->tgid, 0);
	}
	uprocs_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uprocs__remove_in_a_run__others_found),
		cmocka_unit_test(uprocs__past_max__refused),
		cmocka_unit_test(uprocs__mixed_adds_removes__agree_with_a_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
