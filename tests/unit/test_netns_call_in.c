// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/netns.c's netns_call_in() when the thread cannot come back
 * to its own network namespace after the callback (setns() wrapped: the
 * first call, going in, succeeds; the second, coming back, fails as the
 * test says).  No namespace is entered for real.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "runner/engine/netns.h"

int __wrap_setns(int fd, int nstype);

static int calls, back_errno;

int __wrap_setns(int fd, int nstype)
{
	(void)fd;
	assert_int_equal(nstype, CLONE_NEWNET);
	if (calls++ == 1 && back_errno) {
		errno = back_errno;
		return -1;
	}
	return 0;
}

static int callback_fails(void *ctx, struct error **err)
{
	(void)ctx;
	return error_set(err, 0, "callback failed");
}

static int callback_ok(void *ctx, struct error **err)
{
	(void)ctx;
	(void)err;
	return 0;
}

static void call_in(int (*fn)(void *, struct error **), int errnum,
		    struct error **err)
{
	calls = 0;
	back_errno = errnum;
	/* any descriptor: setns() is the test's */
	assert_int_equal(netns_call_in(0, fn, NULL, err), -1);
	assert_int_equal(calls, 2);
}

/* The way back fails with errnum after fn: that is the error. */
static void says_stuck(int (*fn)(void *, struct error **), int errnum)
{
	struct error *err = NULL;

	call_in(fn, errnum, &err);
	assert_int_equal(error_errnum(err), errnum);
	assert_non_null(
		strstr(error_msg(err), "return to own network namespace"));
	error_free(err);
}

static void call_in__no_way_back_after_callback_failed__says_stuck(void **state)
{
	(void)state;
	says_stuck(callback_fails, ENOMEM);
}

static void call_in__no_way_back_after_callback__says_stuck(void **state)
{
	(void)state;
	says_stuck(callback_ok, EPERM);
}

static void call_in__back_again__callbacks_error(void **state)
{
	struct error *err = NULL;

	(void)state;
	call_in(callback_fails, 0, &err);
	assert_string_equal(error_msg(err), "callback failed");
	error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			call_in__no_way_back_after_callback_failed__says_stuck),
		cmocka_unit_test(
			call_in__no_way_back_after_callback__says_stuck),
		cmocka_unit_test(call_in__back_again__callbacks_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
