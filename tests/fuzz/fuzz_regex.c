// SPDX-License-Identifier: Apache-2.0
/*
 * The regular expressions of -F "~" (runner/engine/filter_regex.c): an
 * RE2 pattern up to the input's first NUL, the text to match after it.
 * A pattern compiles or is refused with a reason; one that compiles
 * answers the same from PCRE2's JIT (with the DFA past its limit) as
 * from the DFA alone, whenever the DFA can tell.
 */
#include "runner/engine/filter_regex.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_strndup(data, size), why[256] = "";
	size_t n = strnlen((const char *)data, size);
	const char *text = n < size ? in + n + 1 : "";
	struct filter_regex *re;
	unsigned long long gave_up;
	bool m;
	int d;

	if (!in)
		return 0;
	re = filter_regex_new(in, why, sizeof(why));
	if (!re) {
		FUZZ_CHECK(*why, "\"%s\" refused without a reason", in);
		free(in);
		return 0;
	}
	m = filter_regex_match(re, text);
	gave_up = filter_regex_gave_up(re);
	d = filter_regex_match_dfa(re, text);
	FUZZ_CHECK(d < 0 || gave_up || m == (d == 1),
		   "\"%s\" on \"%s\": the match says %d, the DFA %d", in, text,
		   m, d);
	FUZZ_CHECK(filter_regex_match(re, text) == m,
		   "\"%s\" on \"%s\": a second match differs", in, text);
	filter_regex_free(re);
	free(in);
	return 0;
}
