// SPDX-License-Identifier: Apache-2.0
/*
 * The unit tests' own fixture tests/unit/tmpdir_fx.h: a folder a test
 * made in /tmp is gone after exit() with what the test left in it (a
 * failed assertion skips the test's cleanup).  The containerd fixture's
 * socket is tested in test_pod_labels.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/tmpdir_fx.h"

/* In a child: two folders, one holding a file and a folder, then exit(). */
static void tmpdir__left_at_exit__removed(void **state)
{
	/* the names are made in the child: a pipe brings them back */
	char a[] = "/tmp/test-tmpdir-fx-XXXXXX", b[sizeof(a)];
	char path[sizeof(a) + 16];
	int p[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		strcpy(b, a);
		if (!tmpdir_fx_make(a) || !tmpdir_fx_make(b))
			_exit(2);
		snprintf(path, sizeof(path), "%s/f", a);
		if (!fopen(path, "w"))
			_exit(2);
		snprintf(path, sizeof(path), "%s/d", a);
		if (mkdir(path, 0700) ||
		    write(p[1], a, sizeof(a)) != sizeof(a) ||
		    write(p[1], b, sizeof(b)) != sizeof(b))
			_exit(2);
		exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], a, sizeof(a)), sizeof(a));
	assert_int_equal(read(p[0], b, sizeof(b)), sizeof(b));
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(access(a, F_OK), -1);
	assert_int_equal(access(b, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tmpdir__left_at_exit__removed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
