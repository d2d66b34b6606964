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

#endif
