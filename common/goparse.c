// SPDX-License-Identifier: Apache-2.0
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
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

bool go_parse_uint(const char *s, int base, unsigned long long *out)
{
	char *end;

	/* strtoull() would skip spaces, take a sign (negating "-5" into a
	 * huge number) and, in base 16, a second 0x */
	if (!s ||
	    !(base == 16 ? isxdigit((unsigned char)*s) :
			   isdigit((unsigned char)*s)) ||
	    (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		return false;
	errno = 0;
	*out = strtoull(s, &end, base);
	return !*end && !errno;
}

bool go_parse_int(const char *s, long long *out)
{
	char *end;

	if (!s || !isdigit((unsigned char)s[*s == '+' || *s == '-']))
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return !*end && !errno;
}
