// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/netns.c's netns_each(), as a gadget's per-namespace
 * iterators use it (each namespace told is entered with netns_call_in()),
 * in a mount namespace of the test's own with a fresh /run: a network
 * namespace bind-mounted in /run/netns is told, and a UTS namespace
 * bind-mounted there (`ip netns` does not check what it lists) is not,
 * nor does it fail the walk; one bind-mounted elsewhere, at a path with
 * \f, \v and \r in it, is told (the mount table's).  Needs root.
 */
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cleanup.h"
#include "runner/engine/netns.h"

struct told {
	unsigned long ino[4096];
	size_t n;
};

static int nothing(void *ctx, struct error **err)
{
	(void)ctx;
	(void)err;
	return 0;
}

/* What gadget.c's iterators do: go in, and come back. */
static int enter(void *ctx, int nsfd, unsigned long ino, struct error **err)
{
	struct told *t = ctx;

	if (t->n < sizeof(t->ino) / sizeof(t->ino[0]))
		t->ino[t->n++] = ino;
	return netns_call_in(nsfd, nothing, NULL, err);
}

static bool was_told(const struct told *t, unsigned long ino)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ino[i] == ino)
			return true;
	return false;
}

/* An empty file at path with the namespace nspath bind-mounted on it;
 * its inode number. */
static unsigned long bind_ns(const char *nspath, const char *path)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mount(nspath, path, NULL, MS_BIND, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* A mount namespace of the test's own, with a fresh /run. */
static void private_run(void)
{
	assert_int_equal(unshare(CLONE_NEWNS), 0);
	assert_int_equal(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	assert_int_equal(mount("tmpfs", "/run", "tmpfs", 0, "size=1m"), 0);
}

static void each__uts_namespace_in_run_netns__passed_over(void **state)
{
	cleanup_close int self =
		open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct error *err = NULL;
	static struct told t;
	unsigned long uts, net;

	(void)state;
	assert_true(self >= 0);
	private_run();
	assert_int_equal(mkdir("/run/netns", 0755), 0);
	uts = bind_ns("/proc/self/ns/uts", "/run/netns/uts");
	/* a network namespace of no process: only the bind mount holds it */
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	net = bind_ns("/proc/self/ns/net", "/run/netns/net");
	assert_int_equal(setns(self, CLONE_NEWNET), 0);

	if (netns_each(enter, &t, &err))
		fail_msg("netns_each: %s", error_msg(err));
	assert_true(was_told(&t, net));
	assert_false(was_told(&t, uts));
}

/* Mountinfo fields are split at single spaces only: \f, \v and \r are
 * the path's (the kernel escapes a space, tab, newline or backslash). */
static void each__bind_mount_at_path_with_formfeed__told(void **state)
{
	cleanup_close int self =
		open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct error *err = NULL;
	static struct told t;
	unsigned long net;

	(void)state;
	assert_true(self >= 0);
	private_run();
	/* a namespace of no process, bind-mounted outside /run/netns: the
	 * mount table is the only way to it */
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	net = bind_ns("/proc/self/ns/net", "/run/net\fns\vat\rhere");
	assert_int_equal(setns(self, CLONE_NEWNET), 0);

	if (netns_each(enter, &t, &err))
		fail_msg("netns_each: %s", error_msg(err));
	assert_true(was_told(&t, net));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each__uts_namespace_in_run_netns__passed_over),
		cmocka_unit_test(each__bind_mount_at_path_with_formfeed__told),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
