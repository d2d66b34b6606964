// SPDX-License-Identifier: Apache-2.0
/*
 * common/heap.c: after heap_prefault(), what the process allocates next
 * (on any thread) is resident already: touching it takes no page fault.
 * Each case runs in a child of its own, whose heap is as it started.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/heap.h"

#define MIB ((size_t)1 << 20)
/* pages of n bytes, in this system's page size */
#define PAGES(n) ((long)((n) / (size_t)sysconf(_SC_PAGESIZE)))

/* Page faults of this thread while it allocates n bytes and writes them. */
static void *touch(void *arg)
{
	size_t n = *(size_t *)arg;
	struct rusage a, b;
	char *p;

	getrusage(RUSAGE_THREAD, &a);
	p = malloc(n);
	if (p)
		memset(p, 1, n);
	/* the writes kept: a store freed unread is otherwise dropped */
	asm volatile("" : : "r"(p) : "memory");
	getrusage(RUSAGE_THREAD, &b);
	free(p);
	*(size_t *)arg = p ? (size_t)(b.ru_minflt - a.ru_minflt) : SIZE_MAX;
	return NULL;
}

/* touch(n) in a new child, after heap_prefault(prefault) unless 0, on a
 * thread of its own if asked: the faults it took. */
static long faults_in_child(size_t prefault, size_t n, bool thread)
{
	int fds[2], status;
	size_t got = SIZE_MAX;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		pthread_t t;

		close(fds[0]);
		/* a page a fault whatever the host's THP policy ("always"
		 * backs an aligned 2 MiB with one fault) */
		if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
			_exit(1);
		if (prefault)
			heap_prefault(prefault);
		got = n;
		if (!thread)
			touch(&got);
		else if (pthread_create(&t, NULL, touch, &got) ||
			 pthread_join(t, NULL))
			got = SIZE_MAX;
		_exit(write(fds[1], &got, sizeof(got)) == sizeof(got) ? 0 : 1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &got, sizeof(got)), sizeof(got));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && !WEXITSTATUS(status));
	assert_int_not_equal(got, SIZE_MAX);
	return (long)got;
}

/* The measure itself: without it, each page written is a fault. */
static void prefault__none__a_fault_per_page(void **state)
{
	(void)state;
	assert_true(faults_in_child(0, 2 * MIB, false) >= PAGES(2 * MIB) / 2);
	assert_true(faults_in_child(0, MIB, true) >= PAGES(MIB) / 2);
}

static void prefault__main_thread__no_faults(void **state)
{
	(void)state;
	/* a few for the stack and malloc's own bookkeeping at most */
	assert_true(faults_in_child(3 * MIB, 2 * MIB, false) < 8);
}

/* A helper thread allocates from the same heap, not an arena of its own. */
static void prefault__helper_thread__no_faults(void **state)
{
	(void)state;
	assert_true(faults_in_child(3 * MIB, MIB, true) < 8);
}

/* Past what was made resident, pages are faulted in as before. */
static void prefault__more_than_made__faults_for_the_rest(void **state)
{
	long f = faults_in_child(MIB, 3 * MIB, false);

	(void)state;
	assert_true(f >= PAGES(MIB));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prefault__none__a_fault_per_page),
		cmocka_unit_test(prefault__main_thread__no_faults),
		cmocka_unit_test(prefault__helper_thread__no_faults),
		cmocka_unit_test(prefault__more_than_made__faults_for_the_rest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
