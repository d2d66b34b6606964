// SPDX-License-Identifier: Apache-2.0
#include <stddef.h>
#include <time.h>

#include "runner/engine/libbpf_log.h"
#include "runner/engine/log.h"

static engine_log_fn *log_fn;
static void *log_ctx;

void engine_log_set(engine_log_fn *fn, void *ctx)
{
	log_fn = fn;
	log_ctx = ctx;
}

static bool timeline;

void engine_timeline_set(bool on)
{
	timeline = on;
}

void engine_step(const char *what)
{
	struct timespec t;

	if (!timeline)
		return;
	clock_gettime(CLOCK_REALTIME, &t);
	engine_log(ENGINE_LOG_NOTICE, "step %s at %lld.%06ld", what,
		   (long long)t.tv_sec, t.tv_nsec / 1000);
}

void engine_log(enum engine_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	log_fn(log_ctx, level, false, fmt, ap);
	va_end(ap);
}

int engine_libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (log_fn)
		log_fn(log_ctx,
		       level == LIBBPF_DEBUG ? ENGINE_LOG_DEBUG :
					       ENGINE_LOG_INFO,
		       true, fmt, ap);
	return 0;
}
