/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Columns on a terminal of a given width: which to show and how wide,
 * and number-with-unit texts made shorter without losing their unit.
 * Pure functions of their inputs (output.c feeds them, a fuzz target
 * checks them).
 */
#ifndef RUNNER_COLUMN_FIT_H
#define RUNNER_COLUMN_FIT_H

#include <stdbool.h>
#include <stddef.h>

struct column_spec {
	int width; /* wanted */
	int minwidth; /* narrowest it may be cut to */
	int maxwidth; /* widest it may grow to with room to spare */
	bool fixed; /* neither cut nor grown */
	int rank; /* usefulness: the lowest rank is dropped first */
	bool keep; /* never dropped (asked for by --fields) */
};

/*
 * Widths for n columns (separated by one space) on term_width columns:
 * first every column that may be cut is narrowed towards its minwidth,
 * in proportion to what it can give; if the line is still too wide,
 * columns are dropped, the lowest rank first (the rightmost of equal
 * ranks), until it fits, never the last one left or a kept one; then
 * the room left is spread over the columns that may grow.  width[k] is
 * -1 for a dropped column.  term_width <= 0: the wanted widths.  Returns
 * the width of a line.
 */
int column_fit(const struct column_spec *c, size_t n, int term_width,
	       int *width);

/*
 * s (len bytes) is a number with a unit ("861.512µs", "1m2.5s",
 * "2026-11-30T16:33:34.123+01:00"): drop digits of its fractional part,
 * from the last, until it takes at most w columns (a fraction left with no
 * digit loses its point too).  Everything else is kept: when that is not
 * enough the text stays longer than w.  Returns the new length.
 */
size_t column_trim_fraction(char *s, size_t len, size_t w);

#endif
