// SPDX-License-Identifier: Apache-2.0
/*
 * Strings as yaml.v2 v2.4 writes them (what ig's -o yaml shows: its JSON
 * read back and written by sigs.k8s.io/yaml's JSONToYAML).  The rules, by
 * where they live in yaml.v2:
 * - encode.go stringv(): text with a "\n" asks for a literal block; text
 *   that resolve() reads as another type than a string, or that
 *   isBase60Float() matches, asks for double quotes; else plain.
 * - emitterc.go yaml_emitter_analyze_scalar(): what the text's characters
 *   allow (indicators, leading and trailing spaces and breaks,
 *   characters that are not printable), and
 *   yaml_emitter_select_scalar_style(): a plain text it does not allow
 *   gets single quotes, if allowed, else double; a literal block it
 *   does not allow gets double quotes.
 * - the writers of each style: escapes, and lines folded at a space once
 *   past column 80 (best_width; sigs.k8s.io/yaml does not turn it off).
 * Everything here works on the text ig's JSON holds: each byte that
 * starts no valid UTF-8 sequence is U+FFFD.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "runner/engine/yaml_scalar.h"

#define BEST_WIDTH 80

/* The character at s[i] (i < n, s[i] not NUL): its code point and
 * length; a byte that starts no valid sequence is U+FFFD, 1 byte. */
static unsigned int char_at(const unsigned char *s, size_t i, size_t n,
			    size_t *len)
{
	size_t l;

	if (s[i] < 0x80) {
		*len = 1;
		return s[i];
	}
	l = utf8_len(s + i, n - i);
	if (!l) {
		*len = 1;
		return 0xfffd;
	}
	*len = l;
	return utf8_cp(s + i, l);
}

/* yamlprivateh.go is_printable(), by code point */
static bool printable(unsigned int c)
{
	return c == 0x0a || (c >= 0x20 && c <= 0x7e) ||
	       (c >= 0xa0 && c <= 0xd7ff) ||
	       (c >= 0xe000 && c <= 0xfffd && c != 0xfeff);
}

/* is_break() */
static bool is_break(unsigned int c)
{
	return c == '\r' || c == '\n' || c == 0x85 || c == 0x2028 ||
	       c == 0x2029;
}

/* ---- resolve.go: what plain text reads back as ------------------------ */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* resolveMap's words (only looked up when the first character has a
 * hint: "<<" never is) */
static bool resolve_word(const char *s, size_t n)
{
	static const char *const words[] = {
		"y",	 "Y",	  "yes",   "Yes",   "YES",   "true",  "True",
		"TRUE",	 "on",	  "On",	   "ON",    "n",     "N",     "no",
		"No",	 "NO",	  "false", "False", "FALSE", "off",   "Off",
		"OFF",	 "~",	  "null",  "Null",  "NULL",  ".nan",  ".NaN",
		".NAN",	 ".inf",  ".Inf",  ".INF",  "+.inf", "+.Inf", "+.INF",
		"-.inf", "-.Inf", "-.INF",
	};

	if (n > 5)
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (words[i][0] == s[0] && strlen(words[i]) == n &&
		    !memcmp(words[i], s, n))
			return true;
	return false;
}

/* Go's getnum(s, false): one digit, or two; -1 if none */
static int getnum(const char *s, size_t n, size_t *i)
{
	int v;

	if (*i >= n || !is_digit(s[*i]))
		return -1;
	v = s[(*i)++] - '0';
	if (*i < n && is_digit(s[*i]))
		v = v * 10 + (s[(*i)++] - '0');
	return v;
}

static int days_in(int month, int year)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };
	bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);

	return month == 2 && leap ? 29 : days[month - 1];
}

/*
 * resolve.go parseTimestamp(): YYYY- first, then Go's time.Parse with one
 * of "2006-1-2T15:4:5.999999999Z07:00", the same with a "t",
 * "2006-1-2 15:4:5.999999999" and "2006-1-2" (numbers of one or two
 * digits, in range; a fraction of any digits after '.' or ',').
 */
static bool is_timestamp(const char *s, size_t n)
{
	int year, month, day, h, m, sec;
	size_t i = 5;
	char sep;

	if (n < 5 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) ||
	    !is_digit(s[3]) || s[4] != '-')
		return false;
	year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	       (s[3] - '0');
	month = getnum(s, n, &i);
	if (month < 1 || month > 12 || i >= n || s[i++] != '-')
		return false;
	day = getnum(s, n, &i);
	if (day < 1 || day > days_in(month, year))
		return false;
	if (i == n)
		return true; /* 2006-1-2 */
	sep = s[i++];
	if (sep != 'T' && sep != 't' && sep != ' ')
		return false;
	h = getnum(s, n, &i);
	if (h < 0 || h >= 24 || i >= n || s[i++] != ':')
		return false;
	m = getnum(s, n, &i);
	if (m < 0 || m >= 60 || i >= n || s[i++] != ':')
		return false;
	sec = getnum(s, n, &i);
	if (sec < 0 || sec >= 60)
		return false;
	if (i + 1 < n && (s[i] == '.' || s[i] == ',') && is_digit(s[i + 1]))
		for (i++; i < n && is_digit(s[i]); i++)
			;
	if (sep == ' ')
		return i == n;
	if (i < n && s[i] == 'Z')
		return i + 1 == n;
	/* ±hh:mm, hours up to 24 and minutes up to 60 as Go takes them */
	if (n - i != 6 || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':' ||
	    !is_digit(s[i + 1]) || !is_digit(s[i + 2]) || !is_digit(s[i + 4]) ||
	    !is_digit(s[i + 5]))
		return false;
	return (s[i + 1] - '0') * 10 + (s[i + 2] - '0') <= 24 &&
	       (s[i + 4] - '0') * 10 + (s[i + 5] - '0') <= 60;
}

/* The value of digits s[0, n) in base (2, 8, 10, 16) into *v; false if
 * none, one is not a digit of the base, or it passes 64 bits. */
static bool digits_u64(const char *s, size_t n, unsigned int base, uint64_t *v)
{
	*v = 0;
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned int d = is_digit(c) ?
					 (unsigned int)(c - '0') :
				 (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ?
					 (unsigned int)((c | 0x20) - 'a' + 10) :
					 99;

		if (d >= base || *v > (UINT64_MAX - d) / base)
			return false;
		*v = *v * base + d;
	}
	return true;
}

/* Go's ParseInt(s, base, 64) succeeds, or ParseUint(s, base, 64)
 * (base 0: by the prefix 0x, 0o, 0b, 0, else 10) */
static bool go_int(const char *s, size_t n, unsigned int base)
{
	bool neg = false, sign = false;
	uint64_t v;

	if (n && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		sign = true;
		s++, n--;
	}
	if (!base) {
		base = 10;
		if (n >= 2 && s[0] == '0') {
			char p = s[1] | 0x20;

			base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
			if (base) {
				s += 2, n -= 2;
			} else {
				base = 8;
				s++, n--;
			}
		}
	}
	if (!digits_u64(s, n, base, &v))
		return false;
	if (!sign)
		return true; /* ParseUint takes it */
	return neg ? v <= (uint64_t)1 << 63 : v < (uint64_t)1 << 63;
}

/* yamlStyleFloat ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
 * matches and Go's ParseFloat takes it (no overflow to infinity) */
static bool yaml_float(const char *s, size_t n)
{
	char buf[128];
	size_t i = 0, d;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && is_digit(s[i]); i++)
			;
		if (i == d)
			return false;
	} else {
		for (d = i; i < n && is_digit(s[i]); i++)
			;
		if (i == d)
			return false;
		if (i < n && s[i] == '.')
			for (i++; i < n && is_digit(s[i]); i++)
				;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && is_digit(s[i]); i++)
			;
		if (i == d)
			return false;
	}
	if (i != n)
		return false;
	if (n >= sizeof(buf))
		return true; /* only an exponent of 300 digits or more
			      * overflows; not here */
	memcpy(buf, s, n);
	buf[n] = '\0';
	return !isinf(strtod(buf, NULL));
}

/* encode.go isBase60Float():
 * ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
static bool base60_float(const char *s, size_t n)
{
	size_t i = 0, groups = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i >= n || !is_digit(s[i]))
		return false;
	for (i++; i < n && (is_digit(s[i]) || s[i] == '_'); i++)
		;
	while (i < n && s[i] == ':') {
		i++;
		if (i + 1 < n && s[i] >= '0' && s[i] <= '5' &&
		    is_digit(s[i + 1]))
			i += 2;
		else if (i < n && is_digit(s[i]))
			i++;
		else
			return false;
		groups++;
	}
	if (!groups)
		return false;
	if (i < n && s[i] == '.')
		for (i++; i < n && (is_digit(s[i]) || s[i] == '_'); i++)
			;
	return i == n;
}

bool yaml_plain_is_str(const char *s, size_t n)
{
	char plain[128];
	size_t pn = 0;
	char c;

	if (!n)
		return false; /* null */
	c = s[0];
	/* resolveTable: hints for + - digits . and "yYnNtTfFoO~" */
	if (!(c == '+' || c == '-' || c == '.' || is_digit(c) ||
	      strchr("yYnNtTfFoO~", c)))
		return true;
	if (resolve_word(s, n))
		return false;
	if (c == '.') /* ParseFloat(): digits after the '.' */
		return !yaml_float(s, n);
	if (!is_digit(c) && c != '+' && c != '-')
		return true; /* 'M': the words only */
	if (is_timestamp(s, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '_')
			continue;
		if (pn == sizeof(plain))
			return true; /* no number this long: 64 bits at
				      * most, in 128 characters */
		plain[pn++] = s[i];
	}
	if (go_int(plain, pn, 0) || yaml_float(plain, pn))
		return false;
	/* "0b" then ParseInt(rest, 2, 64), which takes a sign */
	if (pn > 2 && plain[0] == '0' && plain[1] == 'b' &&
	    go_int(plain + 2, pn - 2, 2))
		return false;
	return true;
}

/* ---- emitterc.go: what the characters allow --------------------------- */

struct analysis {
	bool block_plain, single_quoted, block, newline;
};

/* yaml_emitter_analyze_scalar() for a block context; newline: a "\n"
 * (stringv() asks for a literal block).  ascii: every byte below 0x80. */
static void analyze(const unsigned char *s, size_t n, struct analysis *a,
		    bool *ascii)
{
	bool block_ind = false, special = false, line_breaks = false;
	bool leading = false, trailing_space = false, trailing_break = false;
	bool break_space = false, space_break = false;
	bool prev_space = false, prev_break = false, preceded_ws = true;
	size_t i, len;

	*ascii = true;
	a->newline = false;
	if (n >= 3 && ((s[0] == '-' && s[1] == '-' && s[2] == '-') ||
		       (s[0] == '.' && s[1] == '.' && s[2] == '.')))
		block_ind = true;
	for (i = 0; i < n; i += len) {
		unsigned int c = char_at(s, i, n, &len);
		bool followed_ws = i + len >= n || s[i + len] == ' ' ||
				   s[i + len] == '\t';

		if (c >= 0x80)
			*ascii = false;
		if (i == 0) {
			switch (c) {
			case '#':
			case ',':
			case '[':
			case ']':
			case '{':
			case '}':
			case '&':
			case '*':
			case '!':
			case '|':
			case '>':
			case '\'':
			case '"':
			case '%':
			case '@':
			case '`':
				block_ind = true;
				break;
			case '?':
			case ':':
			case '-':
				if (followed_ws)
					block_ind = true;
				break;
			}
		} else if ((c == ':' && followed_ws) ||
			   (c == '#' && preceded_ws)) {
			block_ind = true;
		}
		if (!printable(c))
			special = true;
		if (c == '\n')
			a->newline = true;
		if (c == ' ') {
			if (i == 0)
				leading = true;
			if (i + len == n)
				trailing_space = true;
			if (prev_break)
				break_space = true;
			prev_space = true;
			prev_break = false;
		} else if (is_break(c)) {
			line_breaks = true;
			if (i == 0)
				leading = true;
			if (i + len == n)
				trailing_break = true;
			if (prev_space)
				space_break = true;
			prev_space = false;
			prev_break = true;
		} else {
			prev_space = false;
			prev_break = false;
		}
		/* is_blankz() */
		preceded_ws = c == ' ' || c == '\t' || is_break(c) || c == 0;
	}
	a->block_plain = a->single_quoted = a->block = true;
	if (!n)
		a->block = false;
	if (leading || trailing_space || trailing_break || line_breaks ||
	    block_ind)
		a->block_plain = false;
	if (trailing_space)
		a->block = false;
	if (break_space)
		a->block_plain = a->single_quoted = false;
	if (space_break || special)
		a->block_plain = a->single_quoted = a->block = false;
}

/* The length of s up to a NUL, at most n. */
static size_t str_len(const char *s, size_t n)
{
	const char *z = memchr(s, '\0', n);

	return z ? (size_t)(z - s) : n;
}

static enum yaml_style style_of(const unsigned char *s, size_t n)
{
	struct analysis a;
	bool ascii;

	analyze(s, n, &a, &ascii);
	if (a.newline)
		return a.block ? YAML_LITERAL : YAML_DOUBLE;
	/* resolve() of text with a character past ASCII: a string */
	if (ascii && (!yaml_plain_is_str((const char *)s, n) ||
		      base60_float((const char *)s, n)))
		return YAML_DOUBLE;
	if (a.block_plain)
		return YAML_PLAIN;
	return a.single_quoted ? YAML_SINGLE : YAML_DOUBLE;
}

enum yaml_style yaml_scalar_style(const char *s, size_t n)
{
	n = str_len(s, n);
	return style_of((const unsigned char *)s, n);
}

/* ---- the writers --------------------------------------------------------- */

struct w {
	char *out;
	size_t o;
	unsigned int col, indent;
};

/* The character of len bytes at s (U+FFFD for a byte that starts no
 * valid sequence): one column. */
static void put_char(struct w *w, const unsigned char *s, size_t len,
		     unsigned int c)
{
	if (c == 0xfffd && len == 1) {
		memcpy(w->out + w->o, "\xef\xbf\xbd", 3);
		w->o += 3;
	} else {
		memcpy(w->out + w->o, s, len);
		w->o += len;
	}
	w->col++;
}

/* yaml_emitter_write_indent() after text: a new line at the indent */
static void new_line(struct w *w)
{
	w->out[w->o++] = '\n';
	memset(w->out + w->o, ' ', w->indent);
	w->o += w->indent;
	w->col = w->indent;
}

/* write_break(): "\n" for itself, other breaks as they are */
static void put_break(struct w *w, const unsigned char *s, size_t len)
{
	memcpy(w->out + w->o, s, len);
	w->o += len;
	w->col = 0;
}

/* The indentation after breaks (write_indent() at column 0) */
static void pad(struct w *w)
{
	memset(w->out + w->o, ' ', w->indent);
	w->o += w->indent;
	w->col = w->indent;
}

static void write_plain(struct w *w, const unsigned char *s, size_t n)
{
	bool spaces = false;
	size_t len;

	for (size_t i = 0; i < n; i += len) {
		unsigned int c = char_at(s, i, n, &len);

		/* (plain text has no breaks, and no space at its end) */
		if (c == ' ' && !spaces && w->col > BEST_WIDTH &&
		    s[i + 1] != ' ') {
			new_line(w);
		} else {
			put_char(w, s + i, len, c);
		}
		spaces = c == ' ';
	}
}

static void write_single(struct w *w, const unsigned char *s, size_t n)
{
	bool spaces = false, breaks = false;
	size_t len;

	w->out[w->o++] = '\'';
	w->col++;
	for (size_t i = 0; i < n; i += len) {
		unsigned int c = char_at(s, i, n, &len);

		if (c == ' ') {
			if (!spaces && w->col > BEST_WIDTH && i > 0 &&
			    i + 1 < n && s[i + 1] != ' ')
				new_line(w);
			else
				put_char(w, s + i, len, c);
			spaces = true;
		} else if (is_break(c)) {
			/* (no "\n" here: that text is a literal block) */
			put_break(w, s + i, len);
			breaks = true;
		} else {
			if (breaks)
				pad(w);
			if (c == '\'') {
				w->out[w->o++] = '\'';
				w->col++;
			}
			put_char(w, s + i, len, c);
			spaces = breaks = false;
		}
	}
	w->out[w->o++] = '\'';
	w->col++;
}

static void escape(struct w *w, unsigned int c)
{
	static const char hx[] = "0123456789ABCDEF";
	char e = 0;
	int digits;

	switch (c) {
	case 0x00:
		e = '0';
		break;
	case 0x07:
		e = 'a';
		break;
	case 0x08:
		e = 'b';
		break;
	case 0x09:
		e = 't';
		break;
	case 0x0a:
		e = 'n';
		break;
	case 0x0b:
		e = 'v';
		break;
	case 0x0c:
		e = 'f';
		break;
	case 0x0d:
		e = 'r';
		break;
	case 0x1b:
		e = 'e';
		break;
	case 0x22:
		e = '"';
		break;
	case 0x5c:
		e = '\\';
		break;
	case 0x85:
		e = 'N';
		break;
	case 0xa0:
		e = '_';
		break;
	case 0x2028:
		e = 'L';
		break;
	case 0x2029:
		e = 'P';
		break;
	}
	w->out[w->o++] = '\\';
	w->col++;
	if (e) {
		w->out[w->o++] = e;
		w->col++;
		return;
	}
	digits = c <= 0xff ? 2 : c <= 0xffff ? 4 : 8;
	w->out[w->o++] = digits == 2 ? 'x' : digits == 4 ? 'u' : 'U';
	for (int k = digits - 1; k >= 0; k--)
		w->out[w->o++] = hx[(c >> (4 * k)) & 15];
	w->col += 1 + digits;
}

static void write_double(struct w *w, const unsigned char *s, size_t n)
{
	bool spaces = false;
	size_t len;

	w->out[w->o++] = '"';
	w->col++;
	for (size_t i = 0; i < n; i += len) {
		unsigned int c = char_at(s, i, n, &len);

		if (!printable(c) || is_break(c) || c == '"' || c == '\\') {
			escape(w, c);
			spaces = false;
		} else if (c == ' ') {
			if (!spaces && w->col > BEST_WIDTH && i > 0 &&
			    i + 1 < n) {
				new_line(w);
				if (s[i + 1] == ' ') {
					w->out[w->o++] = '\\';
					w->col++;
				}
			} else {
				put_char(w, s + i, len, c);
			}
			spaces = true;
		} else {
			put_char(w, s + i, len, c);
			spaces = false;
		}
	}
	w->out[w->o++] = '"';
	w->col++;
}

/* yaml_emitter_write_block_scalar_hints(): an indentation indicator if
 * the text starts with a space or a break; '-' without a break at its
 * end, '+' for more than one (or a break alone) */
static void write_literal(struct w *w, const unsigned char *s, size_t n)
{
	unsigned int c, last = 0, prev = 0;
	bool breaks = true;
	size_t len;

	for (size_t i = 0; i < n; i += len) {
		prev = last;
		last = char_at(s, i, n, &len);
	}
	w->out[w->o++] = '|';
	c = char_at(s, 0, n, &len);
	if (c == ' ' || is_break(c))
		w->out[w->o++] = '2';
	if (!is_break(last))
		w->out[w->o++] = '-';
	else if (len == n || is_break(prev))
		w->out[w->o++] = '+';
	w->out[w->o++] = '\n';
	for (size_t i = 0; i < n; i += len) {
		c = char_at(s, i, n, &len);
		if (is_break(c)) {
			put_break(w, s + i, len);
			breaks = true;
		} else {
			if (breaks)
				pad(w);
			put_char(w, s + i, len, c);
			breaks = false;
		}
	}
	/* the line's end is the next prefix's */
	if (last == '\n')
		w->o--;
}

/*
 * Text that is plain for sure: it starts with a letter that no word of
 * resolve() starts with (so it reads back as a string) and is no
 * indicator, and has only printable ASCII after it but spaces (no fold,
 * no comment), ':' and '#'.
 */
static bool surely_plain(const unsigned char *s, size_t n)
{
	static const char first[] =
		"abcdeghijklmpqrsuvwxzABCDEGHIJKLMPQRSUVWXZ_/";

	if (!n || !memchr(first, s[0], sizeof(first) - 1))
		return false;
	for (size_t i = 1; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == ':' || s[i] == '#')
			return false;
	return true;
}

size_t yaml_scalar(char *out, const char *str, size_t n, unsigned int col,
		   unsigned int indent)
{
	const unsigned char *s = (const unsigned char *)str;
	struct w w = { .out = out, .col = col, .indent = indent };

	n = str_len(str, n);
	if (surely_plain(s, n)) {
		memcpy(out, s, n);
		return n;
	}
	switch (style_of(s, n)) {
	case YAML_PLAIN:
		write_plain(&w, s, n);
		break;
	case YAML_SINGLE:
		write_single(&w, s, n);
		break;
	case YAML_DOUBLE:
		write_double(&w, s, n);
		break;
	case YAML_LITERAL:
		write_literal(&w, s, n);
		break;
	}
	return w.o;
}
