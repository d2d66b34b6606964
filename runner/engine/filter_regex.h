/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The regular expressions of -F "field~re": ig's syntax (Go's RE2) run by
 * PCRE2's JIT.  RE2's escapes and groups (\d, \w, \x41, \Q..\E, (?:...),
 * (?P<n>...), a leading (?i), lazy quantifiers) are rewritten to PCRE2
 * syntax that matches the same texts, UTF-8 aware; what RE2 refuses
 * (backreferences, lookaround) and what is not supported here (\pL,
 * flags inside) is refused by name.  A match allocates nothing.
 */
#ifndef RUNNER_FILTER_REGEX_H
#define RUNNER_FILTER_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct filter_regex;

/* Compile re; NULL with a reason in why (a static or PCRE2's text). */
struct filter_regex *filter_regex_new(const char *re, char *why,
				      size_t why_len);

/* Does re match anywhere in text (unanchored, as Go's MatchString)?  A
 * match that reaches the backtracking limit is no match, and counted. */
bool filter_regex_match(struct filter_regex *re, const char *text);

/* The answer of the DFA alone, which the match asks past the JIT's
 * limit: 1, 0, or -1 when it cannot tell.  For the fuzzer. */
int filter_regex_match_dfa(struct filter_regex *re, const char *text);

/* How many matches reached the limits of both. */
unsigned long long filter_regex_gave_up(const struct filter_regex *re);

void filter_regex_free(struct filter_regex *re);

/* The PCRE2 form of RE2 expression re in out (cap bytes) and its
 * compile options (PCRE2_CASELESS, ...); NULL when done, else why not
 * (static).  For the tests and the fuzzer. */
const char *filter_regex_translate(const char *re, char *out, size_t cap,
				   uint32_t *options);

#endif
