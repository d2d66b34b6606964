/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The engine never prints: what it has to say beyond its errors (why a part
 * is degraded, libbpf's own messages and the verifier log) goes to one
 * callback that the CLI sets; nothing is said until one is set.
 */
#ifndef RUNNER_ENGINE_LOG_H
#define RUNNER_ENGINE_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum engine_log_level {
	ENGINE_LOG_NOTICE = 0, /* a line the user always sees */
	ENGINE_LOG_INFO = 1, /* a note a user who asks for more wants */
	ENGINE_LOG_DEBUG = 2, /* libbpf's debug output */
};

/*
 * A message: one line without its newline, or (libbpf true) libbpf's text
 * as libbpf formats it, newline included.
 */
typedef void engine_log_fn(void *ctx, enum engine_log_level level, bool libbpf,
			   const char *fmt, va_list ap);

/* Send the engine's messages to fn (NULL: nowhere). */
void engine_log_set(engine_log_fn *fn, void *ctx);
/* Say one line at level. */
void engine_log(enum engine_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The start-up's timeline: with it on, each step says "step WHAT at
 * SECONDS" (CLOCK_REALTIME, microseconds), a NOTICE, so that a bench can
 * place it against its own clock (bench/startup_steps.sh).
 */
void engine_timeline_set(bool on);
void engine_step(const char *what);

#endif
