/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the engine says (runner/engine/log.h), as a test reads it:
 * engine_log_set(said_log, &said) with a struct said = SAID_INIT, from any
 * thread; said_forget() as the test's cmocka teardown, so that a failed
 * assertion does not leave the engine writing to a said that is gone.
 */
#ifndef TESTS_UNIT_LOG_FX_H
#define TESTS_UNIT_LOG_FX_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "runner/engine/log.h"

struct said {
	pthread_mutex_t lock;
	int lines;
	enum engine_log_level level; /* the last line's */
	char last[512];
};

#define SAID_INIT                                 \
	{                                         \
		.lock = PTHREAD_MUTEX_INITIALIZER \
	}

static inline void said_log(void *ctx, enum engine_log_level level, bool libbpf,
			    const char *fmt, va_list ap)
{
	struct said *s = ctx;

	(void)libbpf;
	pthread_mutex_lock(&s->lock);
	s->lines++;
	s->level = level;
	vsnprintf(s->last, sizeof(s->last), fmt, ap);
	pthread_mutex_unlock(&s->lock);
}

static inline int said_forget(void **state)
{
	(void)state;
	engine_log_set(NULL, NULL);
	return 0;
}

#endif
