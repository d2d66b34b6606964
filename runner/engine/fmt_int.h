/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unsigned 32-bit integers and IPv4 addresses in decimal, inline for the
 * hot paths of the output (fields_format.c and the JSON lines renderer).
 */
#ifndef RUNNER_ENGINE_FMT_INT_H
#define RUNNER_ENGINE_FMT_INT_H

#include <stddef.h>
#include <string.h>
#include <linux/types.h>

extern const char fmt_digit_pairs[201]; /* "00" to "99" */

/*
 * v < 10^8 as exactly 8 ASCII digits in one 64-bit word, the first digit in
 * its lowest byte (little-endian: the word stored is the text).  No loop:
 * the 4-digit halves sit in 32-bit lanes, split into 2-digit pairs in
 * 16-bit lanes, then into digits in bytes; x * 10486 >> 20 is x / 100 for
 * x < 10^4 and x * 103 >> 10 is x / 10 for x < 100.
 */
static inline __u64 fmt_8digits_word(__u32 v)
{
	__u64 x = v / 10000 | (__u64)(v % 10000) << 32;
	__u64 q = (x * 10486 >> 20) & 0x0000007f0000007fULL;

	x = q | (x - q * 100) << 16;
	q = (x * 103 >> 10) & 0x000f000f000f000fULL;
	x = q | (x - q * 10) << 8;
	return x | 0x3030303030303030ULL;
}

/* v < 10^8 as exactly 8 digits. */
static inline void fmt_8digits(char *buf, __u32 v)
{
	__u64 x = fmt_8digits_word(v);

	memcpy(buf, &x, 8);
}

/* Decimal digits of v > 0: from its bit length, then one compare. */
static inline unsigned int fmt_digits10(__u32 v)
{
	static const __u32 pow10[10] = { 1,	    10,	      100,
					 1000,	    10000,    100000,
					 1000000,   10000000, 100000000,
					 1000000000 };
	unsigned int t = (32 - __builtin_clz(v | 1)) * 1233 >> 12;

	return t + (v >= pow10[t]);
}

/* v in decimal at buf, written from the last digit back, two at a time;
 * its length. */
static inline size_t fmt_u32(char *buf, __u32 v)
{
	size_t n;
	char *p;

	if (v < 10) {
		buf[0] = '0' + v;
		return 1;
	}
	n = fmt_digits10(v);
	p = buf + n;
	while (v >= 100) {
		p -= 2;
		memcpy(p, fmt_digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(p - 2, fmt_digit_pairs + 2 * v, 2);
	else
		p[-1] = '0' + v;
	return n;
}

/* fmt_u32(), but it may write up to 8 bytes at buf whatever v's length
 * (for buffers with room past the value). */
static inline size_t fmt_u32_wide(char *buf, __u32 v);

/* v < 10^8 * 2^32 in decimal, the last 8 digits apart (as fmt_u64()),
 * with fmt_u32_wide()'s room; its length. */
static inline size_t fmt_split8_wide(char *buf, __u64 v)
{
	size_t n = fmt_u32_wide(buf, (__u32)(v / 100000000));

	fmt_8digits(buf + n, (__u32)(v % 100000000));
	return n + 8;
}

static inline size_t fmt_u32_wide(char *buf, __u32 v)
{
	size_t n;
	__u64 x;

	if (v >= 100000000)
		return fmt_split8_wide(buf, v);
	n = v ? fmt_digits10(v) : 1;
	/* the leading zeros are the low bytes: shifted out */
	x = fmt_8digits_word(v) >> (8 * (8 - n));
	memcpy(buf, &x, 8);
	return n;
}

/* "a.b.c.d" of the 4 bytes at a; its length */
static inline size_t fmt_ip4(char *out, const __u8 *a)
{
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		unsigned int b = a[i];

		if (b >= 100) {
			out[n++] = '0' + b / 100;
			b %= 100;
			out[n++] = '0' + b / 10;
			out[n++] = '0' + b % 10;
		} else if (b >= 10) {
			out[n++] = '0' + b / 10;
			out[n++] = '0' + b % 10;
		} else {
			out[n++] = '0' + b;
		}
		out[n++] = '.';
	}
	return n - 1;
}

#endif
