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

struct timefmt;

/* Layout compiled once (its elements found), for timefmt_format(); NULL
 * without memory. */
struct timefmt *timefmt_new(const char *layout);
void timefmt_free(struct timefmt *tf);
/* Bytes of tf's layout. */
size_t timefmt_len(const struct timefmt *tf);

/* The text of the second last written, kept for the next times within
 * it: one entry per layout, for up to n layouts (past n, the layout
 * written longest ago gives its entry up). */
struct timefmt_cache;

struct timefmt_cache *timefmt_cache_new(size_t n);
void timefmt_cache_free(struct timefmt_cache *c);

/* Write sec.nsec (Unix time) as tf's layout says into buf (room for
 * TIMEFMT_TEXT_MAX(strlen(layout)) bytes, no NUL); its length.  With c
 * (else NULL), the local time and the text of a second are made once. */
size_t timefmt_format(char *buf, const struct timefmt *tf,
		      struct timefmt_cache *c, long long sec, long nsec);

/* RFC 3339's zone of a UTC offset of off seconds, as Go's Z07:00: "Z",
 * else "+hh:mm", into buf (6 bytes, no NUL); its length. */
size_t timefmt_zone_rfc3339(char *buf, long off);

#endif
