// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "runner/engine/column_fit.h"

static long line_width(const int *width, size_t n)
{
	long total = 0, shown = 0;

	for (size_t k = 0; k < n; k++) {
		if (width[k] < 0)
			continue;
		total += width[k];
		shown++;
	}
	return shown ? total + shown - 1 : 0;
}

/* Narrow the columns that may be cut, by excess columns at most. */
static void narrow(const struct column_spec *c, size_t n, int *width,
		   long excess)
{
	long room = 0;

	for (size_t k = 0; k < n; k++)
		if (width[k] >= 0 && !c[k].fixed && width[k] > c[k].minwidth)
			room += width[k] - c[k].minwidth;
	for (size_t k = 0; k < n && room > 0 && excess > 0; k++) {
		long can = width[k] >= 0 && !c[k].fixed &&
					   width[k] > c[k].minwidth ?
				   width[k] - c[k].minwidth :
				   0;
		long cut = (excess * can + room - 1) / room;

		if (cut > can)
			cut = can;
		width[k] -= (int)cut;
		excess -= cut;
		room -= can;
	}
}

/* The column to drop next: lowest rank, rightmost; -1 when none may go. */
static long next_drop(const struct column_spec *c, size_t n, const int *width)
{
	long best = -1, shown = 0;

	for (size_t k = 0; k < n; k++)
		shown += width[k] >= 0;
	if (shown <= 1)
		return -1;
	for (size_t k = 0; k < n; k++) {
		if (width[k] < 0 || c[k].keep)
			continue;
		if (best < 0 || c[k].rank <= c[best].rank)
			best = (long)k;
	}
	return best;
}

static void widen(const struct column_spec *c, size_t n, int *width,
		  long excess)
{
	long room = 0;

	for (size_t k = 0; k < n; k++)
		if (width[k] >= 0 && !c[k].fixed && c[k].maxwidth > width[k])
			room += c[k].maxwidth - width[k];
	for (size_t k = 0; k < n && room > 0 && excess > 0; k++) {
		long can = width[k] >= 0 && !c[k].fixed &&
					   c[k].maxwidth > width[k] ?
				   c[k].maxwidth - width[k] :
				   0;
		long add = excess * can / room;

		if (add > can)
			add = can;
		width[k] += (int)add;
		excess -= add;
		room -= can;
	}
}

int column_fit(const struct column_spec *c, size_t n, int term_width,
	       int *width)
{
	long total;

	for (size_t k = 0; k < n; k++)
		width[k] = c[k].width > 0 ? c[k].width : 0;
	total = line_width(width, n);
	if (term_width <= 0)
		return (int)total;
	/* drop until the columns, cut to their narrowest, fit */
	for (;;) {
		long least = 0, shown = 0, k;

		for (size_t i = 0; i < n; i++) {
			if (width[i] < 0)
				continue;
			least += c[i].fixed || width[i] < c[i].minwidth ?
					 width[i] :
					 c[i].minwidth;
			shown++;
		}
		if (!shown || least + shown - 1 <= term_width)
			break;
		k = next_drop(c, n, width);
		if (k < 0)
			break;
		width[k] = -1;
	}
	total = line_width(width, n);
	if (total > term_width)
		narrow(c, n, width, total - term_width);
	else
		widen(c, n, width, term_width - total);
	return (int)line_width(width, n);
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Display columns of s: UTF-8 continuation bytes take none. */
static size_t columns_of(const char *s, size_t len)
{
	size_t cols = 0;

	for (size_t i = 0; i < len; i++)
		cols += ((unsigned char)s[i] & 0xc0) != 0x80;
	return cols;
}

size_t column_trim_fraction(char *s, size_t len, size_t w)
{
	size_t dot, end;

	/* the last '.' followed by a digit: the fraction of the finest unit */
	for (dot = len; dot-- > 0;)
		if (s[dot] == '.' && dot + 1 < len && is_digit(s[dot + 1]))
			break;
	if (dot >= len)
		return len;
	end = dot + 1;
	while (end < len && is_digit(s[end]))
		end++;
	while (columns_of(s, len) > w && end > dot + 1) {
		/* one digit fewer: the text after it moves left */
		memmove(s + end - 1, s + end, len - end);
		end--;
		len--;
		if (end == dot + 1) {
			memmove(s + dot, s + end, len - end);
			len--;
			break;
		}
	}
	return len;
}
