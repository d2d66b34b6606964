/* SPDX-License-Identifier: Apache-2.0 */
/* Formatting into a fixed buffer. */
#ifndef COMMON_STRFMT_H
#define COMMON_STRFMT_H

#include <stddef.h>

/*
 * snprintf() into buf of size bytes where a cut is meant: what does not
 * fit is dropped (a path or a name too long for its buffer is then not
 * found; a message is cut), without the compiler's truncation warning.
 */
void fmt_cut(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
