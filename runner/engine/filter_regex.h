/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The regular expressions of -F "field~re": ig's syntax (Go's RE2) run by
 * glibc's POSIX matcher.  RE2's escapes and groups (\d, \w, \x41, \Q..\E,
 * (?:...), (?P<n>...), a leading (?i), lazy quantifiers) are rewritten to
 * POSIX extended syntax that matches the same texts, UTF-8 aware; what has
 * no POSIX form (\pL, backreferences, flags inside) is refused by name.
 */
#ifndef RUNNER_FILTER_REGEX_H
#define RUNNER_FILTER_REGEX_H

#include <stdbool.h>
#include <stddef.h>

struct filter_regex;

/* Compile re; NULL with a reason in why (a static or glibc's text). */
struct filter_regex *filter_regex_new(const char *re, char *why,
				      size_t why_len);

/* Does re match anywhere in text (unanchored, as Go's MatchString)? */
bool filter_regex_match(const struct filter_regex *re, const char *text);

void filter_regex_free(struct filter_regex *re);

/* The POSIX form of RE2 expression re in out (cap bytes); NULL when
 * done, else why not (static).  For the tests and the fuzzer. */
const char *filter_regex_translate(const char *re, char *out, size_t cap,
				   int *cflags);

#endif
