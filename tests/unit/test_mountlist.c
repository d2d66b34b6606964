// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/mountlist.c on the real kernel (Linux 6.8+), in a mount
 * namespace of the test's own: the mounts made after a known id are listed
 * alone, in the order made; a page ends where the next one starts; a
 * network namespace's bind mount is told apart from a directory's and
 * from another namespace kind's, with its mount point as it is (a space
 * in it, which mountinfo escapes).  Needs root.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner/engine/mountlist.h"

static char dir[] = "/tmp/mountlist test XXXXXX";
static char buf[MOUNTLIST_BUF_SIZE];

static int in_own_mount_ns(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    !mkdtemp(dir) || mount("t", dir, "tmpfs", 0, NULL)) {
		fprintf(stderr, "own mount namespace: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int done(void **state)
{
	(void)state;
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	return 0;
}

/* The last mount id of the namespace now, listed n at a time. */
static uint64_t last_id(size_t n)
{
	uint64_t ids[16], last = 0;
	ssize_t got;

	assert_true(n <= 16);
	do {
		got = mountlist_after(last, ids, n);
		assert_true(got >= 0);
		for (ssize_t i = 0; i < got; i++) {
			assert_true(ids[i] > last);
			last = ids[i];
		}
	} while (got == (ssize_t)n);
	return last;
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fclose(f);
}

static void mountlist_after__last_id__lists_only_mounts_made_since(void **state)
{
	char sub[128], ns[128];
	uint64_t ids[8], last = last_id(16);
	const char *point = NULL;
	unsigned long ino = 0;
	struct stat st;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(ns, sizeof(ns), "%s/a net ns", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	touch(ns);
	assert_int_equal(mountlist_after(last, ids, 8), 0);
	assert_int_equal(mount(sub, sub, NULL, MS_BIND, NULL), 0);
	assert_int_equal(mount("/proc/self/ns/net", ns, NULL, MS_BIND, NULL),
			 0);
	/* the two, in the order made */
	assert_int_equal(mountlist_after(last, ids, 8), 2);
	assert_true(ids[0] > last && ids[1] > ids[0]);
	assert_int_equal(mountlist_after(ids[0], ids + 2, 6), 1);
	assert_true(ids[2] == ids[1]);
	assert_int_equal(mountlist_after(ids[1], ids + 2, 6), 0);
	/* a directory's bind mount; the namespace's, its point as it is */
	assert_int_equal(mountlist_netns(ids[0], buf, &ino, &point), 0);
	assert_int_equal(mountlist_netns(ids[1], buf, &ino, &point), 1);
	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	assert_true(ino == st.st_ino);
	assert_string_equal(point, ns);
	/* gone */
	assert_int_equal(umount(ns), 0);
	assert_int_equal(mountlist_netns(ids[1], buf, &ino, &point), 0);
	assert_int_equal(umount(sub), 0);
}

static void mountlist_after__pages__whole_table_once(void **state)
{
	char *line = NULL;
	size_t len = 0, lines = 0;
	uint64_t ids[3], last = 0;
	size_t listed = 0;
	ssize_t got;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	(void)state;
	assert_non_null(f);
	while (getline(&line, &len, f) > 0)
		lines++;
	free(line);
	fclose(f);
	/* pages of 3: each goes on after the last of the one before */
	do {
		got = mountlist_after(last, ids, 3);
		assert_true(got >= 0);
		for (ssize_t i = 0; i < got; i++) {
			assert_true(ids[i] > last);
			last = ids[i];
		}
		listed += (size_t)got;
	} while (got == 3);
	assert_int_equal(listed, lines);
	assert_true(last == last_id(16));
}

static void mountlist_netns__other_namespace_kind__not_taken(void **state)
{
	char uts[128];
	uint64_t ids[2], last = last_id(16);
	const char *point = NULL;
	unsigned long ino = 0;

	(void)state;
	snprintf(uts, sizeof(uts), "%s/uts", dir);
	touch(uts);
	assert_int_equal(mount("/proc/self/ns/uts", uts, NULL, MS_BIND, NULL),
			 0);
	assert_int_equal(mountlist_after(last, ids, 2), 1);
	/* nsfs, but uts:[N]: setns(CLONE_NEWNET) would refuse it */
	assert_int_equal(mountlist_netns(ids[0], buf, &ino, &point), 0);
	assert_int_equal(umount(uts), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			mountlist_after__last_id__lists_only_mounts_made_since),
		cmocka_unit_test(mountlist_after__pages__whole_table_once),
		cmocka_unit_test(
			mountlist_netns__other_namespace_kind__not_taken),
	};

	return cmocka_run_group_tests(tests, in_own_mount_ns, done);
}
