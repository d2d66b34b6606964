/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A wall-clock time written by a Go time layout ("2006-01-02 15:04:05"),
 * as ig's formatters.timestamp.format asks: Go's reference time,
 * Mon Jan 2 15:04:05 MST 2006, names each element by example (years,
 * months, days, weekdays, hours, minutes, seconds, fractions, AM/PM,
 * zones); anything else is copied.  Local time (TZ), as the runner's
 * other timestamps.
 */
#ifndef RUNNER_TIMEFMT_H
#define RUNNER_TIMEFMT_H

#include <stddef.h>

/* Bytes a layout may have, and which (printable ASCII). */
#define TIMEFMT_LAYOUT_MAX 128
#define TIMEFMT_LAYOUT_CHARS                                                 \
	" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_" \
	"`abcdefghijklmnopqrstuvwxyz{|}~"
/* Bytes the text of a layout of len bytes can take (no NUL). */
#define TIMEFMT_TEXT_MAX(len) (10 * (len))

/* Write sec.nsec (Unix time) as layout says into buf (room for
 * TIMEFMT_TEXT_MAX(strlen(layout)) bytes, no NUL); its length. */
size_t timefmt_go(char *buf, const char *layout, long long sec, long nsec);

#endif
