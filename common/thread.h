/* SPDX-License-Identifier: Apache-2.0 */
/* A helper thread that takes no signals: they stay the main thread's. */
#ifndef COMMON_THREAD_H
#define COMMON_THREAD_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

/* pthread_create() with every signal blocked in the new thread. */
static inline int thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* fn(arg) on a thread of its own (thread_start()), or here and now when no
 * thread can be had: whether a thread runs it (for thread_join_once()). */
static inline bool thread_run(pthread_t *t, void *(*fn)(void *), void *arg)
{
	if (!thread_start(t, fn, arg))
		return true;
	fn(arg);
	return false;
}

/* Join t if *running (a no-op after the first call), then clear it. */
static inline void thread_join_once(pthread_t t, bool *running)
{
	if (!*running)
		return;
	pthread_join(t, NULL);
	*running = false;
}

#endif
