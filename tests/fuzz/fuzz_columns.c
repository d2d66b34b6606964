// SPDX-License-Identifier: Apache-2.0
/*
 * Column fitting (runner/engine/column_fit.c).  The first two bytes are
 * the terminal width, then 6 bytes per column (width, minwidth, maxwidth,
 * flags, rank, unused); for column_trim_fraction() the same bytes after
 * the first NUL are a text and its first byte the width.  Invariants: a
 * line fits unless nothing more may go or be cut; kept columns stay; the
 * least useful go first; a trimmed text loses fraction digits only.
 */
#include "runner/engine/column_fit.h"
#include "fuzz.h"

#define MAX_COLS 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void check_fit(const uint8_t *d, size_t size)
{
	struct column_spec c[MAX_COLS];
	int width[MAX_COLS], term, total, line = 0, shown = 0;
	size_t n = 0;
	bool may_go = false, may_cut = false;

	if (size < 2)
		return;
	term = (d[0] | d[1] << 8) % 400 - 20; /* some <= 0: no terminal */
	for (d += 2, size -= 2; size >= 6 && n < MAX_COLS; d += 6, size -= 6) {
		c[n].width = d[0] % 120;
		c[n].minwidth = d[1] % 120;
		c[n].maxwidth = d[2] % 160;
		c[n].fixed = d[3] & 1;
		c[n].keep = d[3] & 2;
		c[n].rank = d[4] % 5;
		n++;
	}
	total = column_fit(c, n, term, width);
	for (size_t k = 0; k < n; k++) {
		FUZZ_CHECK(width[k] >= -1, "column %zu: width %d", k, width[k]);
		if (width[k] < 0) {
			FUZZ_CHECK(!c[k].keep, "kept column %zu dropped", k);
			FUZZ_CHECK(term > 0, "dropped without a terminal");
			/* nothing less useful is still shown */
			for (size_t j = 0; j < n; j++)
				FUZZ_CHECK(
					width[j] < 0 || c[j].keep ||
						c[j].rank > c[k].rank ||
						(c[j].rank == c[k].rank &&
						 j < k),
					"column %zu (rank %d) dropped before "
					"%zu (rank %d)",
					k, c[k].rank, j, c[j].rank);
			continue;
		}
		line += width[k] + (shown ? 1 : 0);
		shown++;
		if (c[k].fixed || term <= 0)
			FUZZ_CHECK(width[k] == c[k].width, "column %zu resized",
				   k);
		else
			FUZZ_CHECK(width[k] >= (c[k].minwidth < c[k].width ?
							c[k].minwidth :
							c[k].width),
				   "column %zu below its minimum", k);
		if (!c[k].keep)
			may_go = true;
		if (!c[k].fixed && width[k] > c[k].minwidth)
			may_cut = true;
	}
	FUZZ_CHECK(total == line, "returned %d, line is %d", total, line);
	FUZZ_CHECK(!n || shown, "every column dropped");
	if (term > 0 && line > term)
		FUZZ_CHECK((shown <= 1 || !may_go) && !may_cut,
			   "%d columns wide on %d, yet a column could go or be "
			   "cut",
			   line, term);
}

static void check_trim(const uint8_t *d, size_t size)
{
	char s[256], orig[256];
	size_t len, n, w, i;

	if (!size)
		return;
	w = d[0] % 40;
	len = size - 1 < sizeof(s) ? size - 1 : sizeof(s);
	memcpy(s, d + 1, len);
	memcpy(orig, s, len);
	n = column_trim_fraction(s, len, w);
	FUZZ_CHECK(n <= len, "grew from %zu to %zu", len, n);
	/* the unit (what follows the last digit) is still at the end */
	for (i = len; i > 0 && !(orig[i - 1] >= '0' && orig[i - 1] <= '9');)
		i--;
	FUZZ_CHECK(n >= len - i &&
			   !memcmp(s + n - (len - i), orig + i, len - i),
		   "the unit after byte %zu was cut", i);
	/* only digits (and maybe the point) went: the rest is a
	 * subsequence in order */
	if (n != len) {
		size_t j = 0;

		for (i = 0; i < len && j < n; i++)
			if (orig[i] == s[j])
				j++;
			else
				FUZZ_CHECK((orig[i] >= '0' && orig[i] <= '9') ||
						   orig[i] == '.',
					   "'%c' removed", orig[i]);
		FUZZ_CHECK(j == n, "not a subsequence");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t z = 0;

	while (z < size && data[z])
		z++;
	check_fit(data, z);
	if (z < size)
		check_trim(data + z + 1, size - z - 1);
	return 0;
}
