// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/utf8.h"

/* Length of the valid UTF-8 sequence at s (at most len bytes) that is not
 * a control character; 0 when s starts with anything else. */
static size_t utf8_ok(const unsigned char *s, size_t len)
{
	size_t n;

	if (s[0] < 0x80)
		return s[0] >= 0x20 && s[0] != 0x7f;
	n = utf8_len(s, len);
	/* C1 controls (U+0080..U+009F) */
	if (n == 2 && utf8_cp(s, n) <= 0x9f)
		return 0;
	return n;
}

size_t term_escape(char *out, const char *s, size_t len, unsigned int flags)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0, i = 0;

	while (i < len) {
		size_t k;

		/* printable ASCII, most of any text: copied as it is */
		while (u[i] >= 0x20 && u[i] < 0x7f) {
			out[n++] = (char)u[i++];
			if (i == len)
				return n;
		}
		k = utf8_ok(u + i, len - i);
		if (!k && (flags & ESCAPE_KEEP_NL) &&
		    (u[i] == '\n' || u[i] == '\t'))
			k = 1;
		if (k) {
			memcpy(out + n, u + i, k);
			n += k;
			i += k;
			continue;
		}
		out[n++] = '\\';
		out[n++] = 'x';
		out[n++] = hx[u[i] >> 4];
		out[n++] = hx[u[i] & 15];
		i++;
	}
	return n;
}

char *term_escaped(const char *s, unsigned int flags)
{
	size_t len = s ? strlen(s) : 0;
	char *out = malloc(ESCAPE_MAX(len) + 1);

	if (!out)
		return NULL;
	out[term_escape(out, s ? s : "", len, flags)] = '\0';
	return out;
}

int term_fputs(const char *s, FILE *f, unsigned int flags)
{
	char buf[ESCAPE_MAX(256)];
	size_t len = strlen(s), i = 0;

	while (i < len) {
		size_t part = len - i < 256 ? len - i : 256;
		size_t n;

		/* a UTF-8 sequence cut at the chunk's end would be escaped:
		 * end the chunk at its start (at most 3 bytes back) */
		for (int back = 0; back < 3 && part < len - i && part > 1 &&
				   ((unsigned char)s[i + part] & 0xc0) == 0x80;
		     back++)
			part--;
		n = term_escape(buf, s + i, part, flags);
		if (fwrite(buf, 1, n, f) != n)
			return EOF;
		i += part;
	}
	return 0;
}
