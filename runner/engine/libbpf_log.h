/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the engine: libbpf's messages into the engine log (log.h). */
#ifndef RUNNER_ENGINE_LIBBPF_LOG_H
#define RUNNER_ENGINE_LIBBPF_LOG_H

#include <stdarg.h>

#include <bpf/libbpf.h>

/* libbpf's print callback (libbpf_set_print), forwarding to the log. */
int engine_libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap) __attribute__((format(printf, 2, 0)));

#endif
