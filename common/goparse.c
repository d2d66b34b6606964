// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "common/goparse.h"

bool go_parse_bool(const char *s, bool *out)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0",	  "f",	   "F",
					 "FALSE", "false", "False" };

	for (size_t i = 0; s && i < sizeof(t) / sizeof(t[0]); i++) {
		if (!strcmp(s, t[i]) || !strcmp(s, f[i])) {
			*out = !strcmp(s, t[i]);
			return true;
		}
	}
	return false;
}

/* s is word (lower-case ASCII) in any case: no locale's tolower(), as
 * Go's strings.ToLower() folds these words. */
static bool ascii_caseeq(const char *s, const char *word)
{
	for (; *s && *word; s++, word++)
		if ((*s >= 'A' && *s <= 'Z' ? *s + 32 : *s) != *word)
			return false;
	return !*s && !*word;
}

bool go_parse_param_bool(const char *s, bool *out)
{
	if (go_parse_bool(s, out))
		return true;
	if (!s || (!ascii_caseeq(s, "true") && !ascii_caseeq(s, "false")))
		return false;
	*out = ascii_caseeq(s, "true");
	return true;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'z' ? c - 'a' + 10 : 99;
}

/*
 * Go's underscoreOK() on a base-0 number (after its sign): each _ between
 * two digits, or between a 0x/0o/0b prefix and a digit.
 */
static bool underscores_ok(const char *s)
{
	char saw = '^'; /* ^ start, 0 digit or prefix, _ underscore, ! else */
	bool hex = false;

	if (s[0] == '0' && s[1] && strchr("bBoOxX", s[1])) {
		hex = (s[1] | 0x20) == 'x';
		saw = '0';
		s += 2;
	}
	for (; *s; s++) {
		if ((*s >= '0' && *s <= '9') || (hex && digit_value(*s) < 16)) {
			saw = '0';
		} else if (*s == '_') {
			if (saw != '0')
				return false;
			saw = '_';
		} else {
			if (saw == '_')
				return false;
			saw = '!';
		}
	}
	return saw != '_';
}

static bool fail(int e)
{
	errno = e;
	return false;
}

bool go_parse_uint(const char *s, int base, unsigned long long *out)
{
	const char *s0 = s;
	unsigned long long v = 0;
	bool base0 = base == 0, underscores = false;

	if (!s || !*s || (base != 0 && base != 10 && base != 16))
		return fail(EINVAL);
	if (base0) {
		/* Go's prefixes count only with a digit after them: "0x" is
		 * an octal 0 followed by an x */
		char p = s[0] == '0' && s[1] && s[2] ? s[1] | 0x20 : 0;

		base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 10;
		if (base != 10)
			s += 2;
		else if (s[0] == '0')
			base = 8, s++;
	}
	for (; *s; s++) {
		int d = digit_value(*s);

		if (*s == '_' && base0) {
			underscores = true;
			continue;
		}
		if (d >= base)
			return fail(EINVAL);
		if (v > (UINT64_MAX - d) / base)
			return fail(ERANGE); /* as Go, before the rest */
		v = v * base + d;
	}
	if (underscores && !underscores_ok(s0))
		return fail(EINVAL);
	*out = v;
	return true;
}

bool go_parse_int(const char *s, int base, long long *out)
{
	unsigned long long u;
	bool neg = s && *s == '-';

	if (base != 0 && base != 10)
		return fail(EINVAL);
	if (!go_parse_uint(s && (*s == '+' || *s == '-') ? s + 1 : s, base, &u))
		return false;
	if (u > (unsigned long long)INT64_MAX + neg)
		return fail(ERANGE);
	*out = neg ? (long long)(0 - u) : (long long)u;
	return true;
}
