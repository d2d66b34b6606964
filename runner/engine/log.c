// SPDX-License-Identifier: Apache-2.0
#include <stddef.h>

#include "runner/engine/libbpf_log.h"
#include "runner/engine/log.h"

static engine_log_fn *log_fn;
static void *log_ctx;

void engine_log_set(engine_log_fn *fn, void *ctx)
{
	log_fn = fn;
	log_ctx = ctx;
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
