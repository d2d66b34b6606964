/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed values of -F filters: durations with units and RFC 3339 times,
 * parsed to the numbers the fields hold, so that "latency_ns>1ms" compares
 * nanoseconds, not the text a column shows.  Used by filter.c; apart so
 * that a fuzz target reaches the parsers directly.
 */
#ifndef RUNNER_FILTER_VALUE_H
#define RUNNER_FILTER_VALUE_H

#include <stdint.h>

/*
 * A duration as the columns show it: "0s", "1500", "750ns", "1.5µs",
 * "1.5us", "2ms", "1.25s", "3m2.5s", "1h2m" (one or more number+unit
 * groups; a bare integer is nanoseconds).  Returns 0 and *ns, or -1 with
 * *why set to a static reason (not a duration, below 1ns, too large).
 */
int filter_parse_duration(const char *s, uint64_t *ns, const char **why);

/*
 * The same with an optional sign, as Go's time.ParseDuration takes it
 * ("-1.5ms", "+2s"), in its int64 range: what -F compares a duration
 * field with (ig's durations are int64).
 */
int filter_parse_signed_duration(const char *s, int64_t *ns, const char **why);

/*
 * An RFC 3339 time: "2026-11-30T16:33:34", optional ".fraction" up to
 * nanoseconds, then "Z", "+hh:mm", "-hh:mm" or nothing (local time, as the
 * columns show it), its day within its month and its second below 60, as
 * Go's time.Parse checks them.  Returns 0 and *ns since the epoch, or -1
 * with *why.
 */
int filter_parse_time(const char *s, int64_t *ns, const char **why);

#endif
