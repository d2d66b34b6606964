/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Values as ig's Go code parses them from text, for flags and params that
 * must take what ig takes.
 */
#ifndef COMMON_GOPARSE_H
#define COMMON_GOPARSE_H

#include <stdbool.h>

/* Go's strconv.ParseBool: 1, t, T, TRUE, true, True, and 0, f, F, FALSE,
 * false, False.  false when s is none of them. */
bool go_parse_bool(const char *s, bool *out);

/* Go's strconv.ParseUint(s, base, 64) for base 10 or 16: digits only (no
 * sign, no space, no prefix), within 64 bits.  false when s is not. */
bool go_parse_uint(const char *s, int base, unsigned long long *out);

/* Go's strconv.ParseInt(s, 10, 64): an optional + or -, then digits only
 * (no space), within 64 bits.  false when s is not. */
bool go_parse_int(const char *s, long long *out);

#endif
