/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Values as ig's Go code parses them from text, for flags, params,
 * filters and annotations that must take what ig takes.
 */
#ifndef COMMON_GOPARSE_H
#define COMMON_GOPARSE_H

#include <stdbool.h>

/* Go's strconv.ParseBool: 1, t, T, TRUE, true, True, and 0, f, F, FALSE,
 * false, False.  false when s is none of them. */
bool go_parse_bool(const char *s, bool *out);

/*
 * The value of any of ig's bool params (`--host`, `--trace-pipe`, a
 * gadget's bool, ...): go_parse_bool()'s spellings, which the runner
 * took, and what ig's params take (pkg/params ValidateBool: "true" or
 * "false" in any case, as strings.ToLower() folds them).  false when s
 * is none of them.
 */
bool go_parse_param_bool(const char *s, bool *out);

/*
 * Go's strconv.ParseUint(s, base, 64) for base 0, 10 or 16: digits only
 * (no sign, no space; in base 16 no 0x).  Base 0 is what Go's flags
 * (pflag's int and uint) read: a 0x, 0o or 0b prefix, a leading 0 for
 * octal, and _ between digits.  false when s is not one, with errno
 * EINVAL, or ERANGE when it is past 64 bits.
 */
bool go_parse_uint(const char *s, int base, unsigned long long *out);

/* Go's strconv.ParseInt(s, base, 64), base 0 or 10: an optional + or -,
 * then go_parse_uint()'s digits, within 64 bits (errno as there). */
bool go_parse_int(const char *s, int base, long long *out);

#endif
