/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Durations below one second as ig's duration formatter writes them:
 * "%dns" below 1us, else the float64 count of us (or ms) with "%.2f".
 * Inline for the JSON lines renderer; fields_format.c writes the rest.
 */
#ifndef RUNNER_ENGINE_FMT_DURATION_H
#define RUNNER_ENGINE_FMT_DURATION_H

#include "runner/engine/fmt_int.h"

/*
 * d / unit in hundredths as Go's %.2f rounds float64(d) / float64(unit):
 * by the integer remainder, except at a decimal tie (d / unit exactly
 * half a hundredth), where the double nearest it decides.  x * 200 is
 * exact in long double (53 + 5 bits) and 2q + 1 is the tie's value, so
 * the compare says on which side the double lies; an exact tie rounds
 * to even, as Go's strconv (and glibc's printf) do.
 */
static inline __u32 fmt_dur_hundredths(__u32 d, __u32 unit)
{
	__u32 step = unit / 100, q = d / step, r = d % step;
	long double x, tie;
	double quot;

	if (r != step / 2)
		return q + (r > step / 2);
	quot = (double)d / (double)unit;
	x = (long double)quot * 200.0L;
	tie = (long double)(2 * (__u64)q + 1);
	if (x != tie)
		return q + (x > tie);
	return q + (q & 1);
}

/*
 * d < 10^9 ns as ig writes it ("0ns", "999ns", "134.94\xc2\xb5s",
 * "1000.00\xc2\xb5s", "29.36ms"); may write up to 8 bytes at buf
 * whatever its length (fmt_u32_wide()).  Its length.
 */
static inline size_t fmt_duration_short(char *buf, __u32 d)
{
	__u32 unit = d < 1000000 ? 1000 : 1000000, h;
	size_t n;

	if (d < 1000) {
		n = fmt_u32_wide(buf, d);
		memcpy(buf + n, "ns", 2);
		return n + 2;
	}
	h = fmt_dur_hundredths(d, unit);
	n = fmt_u32_wide(buf, h / 100);
	buf[n] = '.';
	memcpy(buf + n + 1, fmt_digit_pairs + 2 * (h % 100), 2);
	n += 3;
	if (unit == 1000) {
		memcpy(buf + n, "\xc2\xb5s", 3);
		return n + 3;
	}
	memcpy(buf + n, "ms", 2);
	return n + 2;
}

#endif
