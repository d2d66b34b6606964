// SPDX-License-Identifier: Apache-2.0
/* common/tmpdir.c: private temporary folders and a killed maker's. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/tmpdir.h"
#include "tmpdir_fx.h"

static char base[64];

/* open() of a folder in base: removed first this many times, as
 * another's sweep between its maker's mkdtemp() and open() removes it */
static int swept_before_open;

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	if (swept_before_open > 0 && (flags & O_DIRECTORY) &&
	    !strncmp(path, base, strlen(base)) && !rmdir(path))
		swept_before_open--;
	return __real_open(path, flags, mode);
}

static int group_setup(void **state)
{
	(void)state;
	strcpy(base, "/tmp/test-tmpdir-XXXXXX");
	if (!tmpdir_fx_make(base))
		return -1;
	return setenv("TMPDIR", base, 1);
}

/* A folder of base as a killed maker leaves it: a file in, no lock. */
static void make_left(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", base, name);
	assert_int_equal(mkdir(path, 0700), 0);
	strcat(path, "/auth.json");
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
}

static bool exists(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", base, name);
	return access(path, F_OK) == 0;
}

static void tmpdir_make__killed_makers_folder__removed(void **state)
{
	char path[256];
	int fd;

	(void)state;
	make_left("tp-a-killed");
	make_left("tp-b-other"); /* another prefix: not ours to judge */
	fd = tmpdir_make("tp-a-", path, sizeof(path), NULL);
	assert_true(fd >= 0);
	assert_false(exists("tp-a-killed"));
	assert_true(exists("tp-b-other"));
	assert_int_equal(strncmp(path, base, strlen(base)), 0);
	assert_non_null(strstr(path, "/tp-a-"));
	tmpdir_remove(path, fd);
	assert_int_equal(access(path, F_OK), -1);
}

static void tmpdir_make__live_folder__kept(void **state)
{
	char live[256], path[256];
	int live_fd, fd, other;

	(void)state;
	live_fd = tmpdir_make("tp-c-", live, sizeof(live), NULL);
	assert_true(live_fd >= 0);
	/* held: a lock through another open conflicts with it */
	other = open(live, O_RDONLY | O_CLOEXEC);
	assert_true(other >= 0);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
	close(other);
	fd = tmpdir_make("tp-c-", path, sizeof(path), NULL);
	assert_true(fd >= 0);
	assert_string_not_equal(path, live);
	assert_int_equal(access(live, F_OK), 0);
	tmpdir_remove(path, fd);
	tmpdir_remove(live, live_fd);
	assert_int_equal(access(live, F_OK), -1);
}

static void tmpdir_make__no_folder__one_line_error(void **state)
{
	struct error *err = NULL;
	char path[256];

	(void)state;
	setenv("TMPDIR", "/nonexistent-tmpdir-test", 1);
	assert_int_equal(tmpdir_make("tp-d-", path, sizeof(path), &err), -1);
	setenv("TMPDIR", base, 1);
	assert_non_null(
		strstr(error_msg(err), "/nonexistent-tmpdir-test/tp-d-"));
	assert_int_equal(error_errnum(err), ENOENT);
	error_free(err);
}

/* A folder swept away before its maker opened it: another is made. */
static void tmpdir_make__swept_before_open__made_again(void **state)
{
	struct error *err = NULL;
	struct stat st;
	char path[256];
	int fd;

	(void)state;
	swept_before_open = 1;
	fd = tmpdir_make("tp-s-", path, sizeof(path), &err);
	assert_int_equal(swept_before_open, 0); /* the sweep happened */
	assert_true(fd >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	tmpdir_remove(path, fd);
	assert_int_equal(stat(path, &st), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tmpdir_make__killed_makers_folder__removed),
		cmocka_unit_test(tmpdir_make__live_folder__kept),
		cmocka_unit_test(tmpdir_make__no_folder__one_line_error),
		cmocka_unit_test(tmpdir_make__swept_before_open__made_again),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
