// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/cgroup2.c's root, in a mount namespace of the test's own
 * where no cgroup2 is mounted (and /run is a fresh tmpfs): threads that ask
 * at once get one fd, of a cgroup2 the runner mounted, from one read of
 * mountinfo and one notice of the mount.  Needs root.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>

#include <cmocka.h>
#include <linux/magic.h>

#include "runner/engine/cgroup2.h"
#include "tests/unit/log_fx.h"

#define MOUNTINFO "/proc/self/mountinfo"
#define THREADS 8

static int mountinfo_reads;

FILE *__real_fopen(const char *path, const char *mode);
FILE *__wrap_fopen(const char *path, const char *mode);

/* Every fopen(3) of the library and of this test: mountinfo's counted. */
FILE *__wrap_fopen(const char *path, const char *mode)
{
	if (!strcmp(path, MOUNTINFO))
		__atomic_add_fetch(&mountinfo_reads, 1, __ATOMIC_RELAXED);
	return __real_fopen(path, mode);
}

/* Detach every cgroup2 mount of this (private) namespace; false when
 * there was none left. */
static bool umount_one_cgroup2(void)
{
	char point[4096];
	FILE *f = fopen(MOUNTINFO, "re");
	bool found;

	assert_non_null(f);
	found = cgroup2_find_mount(f, NULL, NULL, point, sizeof(point));
	fclose(f);
	if (found)
		assert_int_equal(umount2(point, MNT_DETACH), 0);
	return found;
}

/* A mount namespace of the test's own, without cgroup2, with a /run of its
 * own (what cgroup2.c makes there goes with the namespace). */
static int private_mounts(void **state)
{
	(void)state;
	assert_int_equal(unshare(CLONE_NEWNS), 0);
	assert_int_equal(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	assert_int_equal(mount("tmpfs", "/run", "tmpfs", 0, "size=1m"), 0);
	for (int i = 0; i < 64 && umount_one_cgroup2(); i++)
		;
	assert_false(umount_one_cgroup2());
	return 0;
}

struct asker {
	pthread_barrier_t *go;
	int fd;
};

static void *ask(void *arg)
{
	struct asker *a = arg;
	struct error *err = NULL;

	pthread_barrier_wait(a->go);
	a->fd = cgroup2_root_fd(&err);
	error_free(err);
	return NULL;
}

static void threads_at_once__one_mount_one_fd_one_notice(void **state)
{
	struct said said = SAID_INIT;
	struct asker askers[THREADS];
	pthread_t threads[THREADS];
	pthread_barrier_t go;
	struct statfs fs;
	struct error *err = NULL;

	(void)state;
	engine_log_set(said_log, &said);
	mountinfo_reads = 0;
	assert_int_equal(pthread_barrier_init(&go, NULL, THREADS), 0);
	for (int i = 0; i < THREADS; i++) {
		askers[i] = (struct asker){ .go = &go, .fd = -2 };
		assert_int_equal(
			pthread_create(&threads[i], NULL, ask, &askers[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	pthread_barrier_destroy(&go);
	assert_true(askers[0].fd >= 0);
	for (int i = 1; i < THREADS; i++)
		assert_int_equal(askers[i].fd, askers[0].fd);
	assert_int_equal(fstatfs(askers[0].fd, &fs), 0);
	assert_int_equal(fs.f_type, CGROUP2_SUPER_MAGIC);
	assert_int_equal(mountinfo_reads, 1);
	assert_int_equal(said.lines, 1);
	assert_int_equal(said.level, ENGINE_LOG_NOTICE);
	assert_string_equal(said.last, "mounted cgroup2 on " CGROUP2_MOUNT
				       " (no cgroup v2 hierarchy was mounted)");
	/* later: the same fd, nothing read or said */
	assert_int_equal(cgroup2_root_fd(&err), askers[0].fd);
	assert_int_equal(mountinfo_reads, 1);
	assert_int_equal(said.lines, 1);
	engine_log_set(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(
			threads_at_once__one_mount_one_fd_one_notice,
			said_forget),
	};

	return cmocka_run_group_tests(tests, private_mounts, NULL);
}
