// SPDX-License-Identifier: Apache-2.0
/*
 * RE2 (ig's -F "~" syntax) to POSIX extended regular expressions, run by
 * glibc's regexec() in a UTF-8 locale so that "." and classes take a
 * character, not a byte.  Differences that change what matches were:
 * "\d" matched a "d", "\x41" an "x41", "\<" a word start, "[\]]" a
 * backslash and a "]"; "a{,2}" was an interval, "." matched a newline.
 */
#include <locale.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/engine/filter_regex.h"

#define REGEX_MAX_LEN 256

struct filter_regex {
	regex_t re;
	locale_t loc; /* C.UTF-8, or 0: the process's own */
};

struct ere {
	char *out;
	size_t n, cap;
	const char *p; /* the RE2 text still to read */
	const char *why;
};

static void put(struct ere *e, const char *s, size_t len)
{
	if (e->n + len < e->cap)
		memcpy(e->out + e->n, s, len);
	e->n += len;
}

static void puts0(struct ere *e, const char *s)
{
	put(e, s, strlen(s));
}

static size_t utf8_encode(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One character of the RE2 text, its UTF-8 bytes copied whole. */
static uint32_t next_char(struct ere *e, char *bytes, size_t *len)
{
	const unsigned char *s = (const unsigned char *)e->p;
	size_t n = 1;

	if (*s >= 0xc0)
		while (n < 4 && (s[n] & 0xc0) == 0x80)
			n++;
	memcpy(bytes, s, n);
	*len = n;
	e->p += n;
	return *s < 0x80 ? *s : 0x80; /* only ASCII matters to callers */
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* "\x41", "\x{263a}": e->p after the x. */
static int hex_escape(struct ere *e, uint32_t *cp)
{
	int digits = 0, d;

	*cp = 0;
	if (*e->p == '{') {
		for (e->p++; (d = hex_digit(*e->p)) >= 0; e->p++, digits++)
			if ((*cp = *cp << 4 | (uint32_t)d) > 0x10ffff)
				break;
		if (*e->p != '}' || !digits)
			return -1;
		e->p++;
	} else {
		for (; digits < 2 && (d = hex_digit(*e->p)) >= 0; e->p++)
			*cp = *cp << 4 | (uint32_t)d, digits++;
		if (digits != 2)
			return -1;
	}
	return *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff) ? -1 : 0;
}

enum esc { ESC_BAD, ESC_CHAR, ESC_CLASS, ESC_ASSERT, ESC_QUOTE };

/* The escape after a backslash at e->p: a character (*cp), a class or
 * assertion (*letter), \Q, or ESC_BAD with e->why. */
static enum esc escape(struct ere *e, uint32_t *cp, char *letter)
{
	static const char ctrl[] = "t\tn\nr\rf\fv\va\a";
	char c = *e->p;
	const char *k;

	if (!c) {
		e->why = "ends with a backslash";
		return ESC_BAD;
	}
	e->p++;
	*letter = c;
	if (strchr("dDsSwW", c))
		return ESC_CLASS;
	if (strchr("bBAz", c))
		return ESC_ASSERT;
	if (c == 'Q')
		return ESC_QUOTE;
	if (c == 'x') {
		if (hex_escape(e, cp) || !*cp) {
			e->why = "has a bad \\x escape";
			return ESC_BAD;
		}
		return ESC_CHAR;
	}
	k = strchr(ctrl, c);
	if (k && (k - ctrl) % 2 == 0) {
		*cp = (unsigned char)k[1];
		return ESC_CHAR;
	}
	if ((unsigned char)c < 0x80 && !(c >= '0' && c <= '9') &&
	    !((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
		*cp = (unsigned char)c; /* punctuation stands for itself */
		return ESC_CHAR;
	}
	if (c == 'p' || c == 'P')
		e->why = "uses Unicode classes (\\p), which are not supported";
	else if (c >= '0' && c <= '9')
		e->why = "uses \\digits (backreferences and octal escapes), "
			 "which are not supported";
	else
		e->why = "has an unknown escape";
	return ESC_BAD;
}

/* A literal character outside brackets. */
static void put_char(struct ere *e, uint32_t cp)
{
	char b[4];

	if (cp < 0x80 && strchr(".[]()*+?{}|^$\\", (int)cp))
		put(e, "\\", 1);
	put(e, b, utf8_encode(b, cp));
}

/* A literal character inside brackets, where ], -, ^ and [ are special
 * by position: those as collating symbols ([.-.]). */
static void put_in_bracket(struct ere *e, uint32_t cp)
{
	char b[4];

	if (cp < 0x80 && strchr("]-^[", (int)cp)) {
		char sym[] = { '[', '.', (char)cp, '.', ']' };

		put(e, sym, sizeof(sym));
		return;
	}
	put(e, b, utf8_encode(b, cp));
}

/* One member of an RE2 class: a character (*cp) or, with 1, a class
 * written already. */
static int class_member(struct ere *e, uint32_t *cp)
{
	char b[4], letter;
	size_t len;

	if (*e->p != '\\') {
		uint32_t c = next_char(e, b, &len);

		if (c < 0x80) {
			*cp = c;
			return 0;
		}
		/* decode the UTF-8 character back to its code point */
		*cp = (unsigned char)b[0] & (0x7f >> len);
		for (size_t i = 1; i < len; i++)
			*cp = *cp << 6 | ((unsigned char)b[i] & 0x3f);
		return 0;
	}
	e->p++;
	switch (escape(e, cp, &letter)) {
	case ESC_CHAR:
		return 0;
	case ESC_CLASS:
		if (letter == 'd')
			puts0(e, "0-9");
		else if (letter == 'w')
			puts0(e, "0-9A-Za-z_");
		else if (letter == 's')
			puts0(e, "\t\n\f\r ");
		else
			e->why = "uses \\D, \\S or \\W inside [...], which is "
				 "not supported";
		return e->why ? -1 : 1;
	case ESC_BAD:
		return -1;
	default:
		e->why = "has an escape that is not allowed inside [...]";
		return -1;
	}
}

/* "[...]": e->p after the [. */
static int bracket(struct ere *e)
{
	static const char *const names[] = {
		"alnum", "alpha", "blank", "cntrl", "digit", "graph",
		"lower", "print", "punct", "space", "upper", "xdigit"
	};
	bool first = true;

	put(e, "[", 1);
	if (*e->p == '^') {
		put(e, "^", 1);
		e->p++;
	}
	for (;; first = false) {
		uint32_t lo, hi;
		int r;

		if (!*e->p) {
			e->why = "has a [ without its ]";
			return -1;
		}
		if (*e->p == ']' && !first)
			break;
		if (!strncmp(e->p, "[:", 2)) {
			const char *end = strstr(e->p + 2, ":]");
			size_t i, len = end ? (size_t)(end - e->p - 2) : 0;

			if (len == 4 && !strncmp(e->p + 2, "word", 4)) {
				puts0(e, "0-9A-Za-z_");
				e->p = end + 2;
				continue;
			}
			for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
				if (strlen(names[i]) == len &&
				    !strncmp(e->p + 2, names[i], len))
					break;
			if (i == sizeof(names) / sizeof(names[0])) {
				e->why = "has an unknown [:class:]";
				return -1;
			}
			put(e, e->p, len + 4);
			e->p = end + 2;
			continue;
		}
		r = class_member(e, &lo);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		if (e->p[0] == '-' && e->p[1] && e->p[1] != ']') {
			e->p++;
			r = class_member(e, &hi);
			if (r > 0)
				e->why = "has a range that ends in a class";
			if (r)
				return -1;
			if (hi < lo) {
				e->why = "has a range out of order";
				return -1;
			}
			put_in_bracket(e, lo);
			put(e, "-", 1);
			put_in_bracket(e, hi);
			continue;
		}
		put_in_bracket(e, lo);
	}
	e->p++;
	put(e, "]", 1);
	return 0;
}

/* "{n}", "{n,}", "{n,m}" at s: its length, 0 when it is none (RE2 then
 * reads the brace as itself). */
static size_t interval_len(const char *s)
{
	size_t i = 1, d = strspn(s + 1, "0123456789");

	if (!d)
		return 0;
	i += d;
	if (s[i] == ',')
		i += 1 + strspn(s + i + 1, "0123456789");
	return s[i] == '}' ? i + 1 : 0;
}

/* "(?flags)" at the start, "(?:", "(?P<name>", "(?<name>": e->p after
 * the "(?"; 1 when it opened a group, 0 when it set flags. */
static int group_ext(struct ere *e, bool at_start, int *cflags, bool *dotall)
{
	const char *s = e->p;
	bool neg = false;

	if (*s == ':' || *s == '<' || (s[0] == 'P' && s[1] == '<')) {
		if (*s != ':') {
			s = strchr(s, '>');
			if (!s) {
				e->why = "has a group name without its >";
				return -1;
			}
		}
		e->p = s + 1;
		put(e, "(", 1);
		return 1;
	}
	for (; *s && strchr("imsU-", *s); s++) {
		if (*s == '-')
			neg = true;
		else if (*s == 'i')
			*cflags = neg ? *cflags & ~REG_ICASE :
					*cflags | REG_ICASE;
		else if (*s == 'm')
			*cflags = neg ? *cflags & ~REG_NEWLINE :
					*cflags | REG_NEWLINE;
		else if (*s == 's')
			*dotall = !neg;
	}
	if (*s != ')' || s == e->p) {
		e->why = *s == ':' ?
				 "sets flags for a group, which is not "
				 "supported (only a leading (?i) and such)" :
				 "has an unknown (? group";
		return -1;
	}
	if (!at_start) {
		e->why = "sets flags after its start, which is not supported";
		return -1;
	}
	e->p = s + 1;
	return 0;
}

const char *filter_regex_translate(const char *re, char *out, size_t cap,
				   int *cflags)
{
	struct ere e = { .out = out, .cap = cap, .p = re };
	bool dotall = false, at_start = true;

	*cflags = REG_EXTENDED | REG_NOSUB;
	while (*e.p && !e.why) {
		bool was_start = at_start;
		char c = *e.p, b[4], letter;
		bool quant = c == '*' || c == '+' || c == '?';
		uint32_t cp;
		size_t len;

		at_start = false;
		if (c == '\\') {
			e.p++;
			switch (escape(&e, &cp, &letter)) {
			case ESC_CHAR:
				put_char(&e, cp);
				break;
			case ESC_CLASS: {
				static const char *const cls[] = {
					"d[0-9]",	 "D[^0-9]",
					"s[\t\n\f\r ]",	 "S[^\t\n\f\r ]",
					"w[0-9A-Za-z_]", "W[^0-9A-Za-z_]",
				};

				for (size_t i = 0; i < 6; i++)
					if (cls[i][0] == letter)
						puts0(&e, cls[i] + 1);
				break;
			}
			case ESC_ASSERT:
				puts0(&e, letter == 'A' ? "\\`" :
					  letter == 'z' ? "\\'" :
					  letter == 'b' ? "\\b" :
							  "\\B");
				break;
			case ESC_QUOTE: {
				const char *end = strstr(e.p, "\\E");
				const char *stop = end ? end :
							 e.p + strlen(e.p);

				while (e.p < stop) {
					cp = next_char(&e, b, &len);
					if (cp < 0x80)
						put_char(&e, cp);
					else
						put(&e, b, len);
				}
				if (end)
					e.p += 2;
				break;
			}
			default:
				break;
			}
			continue;
		}
		if (c == '[') {
			e.p++;
			bracket(&e);
			continue;
		}
		if (c == '(' && e.p[1] == '?') {
			int r;

			e.p += 2;
			r = group_ext(&e, was_start, cflags, &dotall);
			at_start = r == 0;
			continue;
		}
		if (c == '{') {
			len = interval_len(e.p);
			if (len) {
				put(&e, e.p, len);
				e.p += len;
				quant = true;
			} else {
				put(&e, "\\{", 2);
				e.p++;
			}
		} else if (c == '}' || c == ']') {
			put_char(&e, (uint32_t)c);
			e.p++;
		} else if (c == '.' && !dotall) {
			puts0(&e, "[^\n]");
			e.p++;
		} else {
			cp = next_char(&e, b, &len);
			put(&e, b, len);
		}
		/* a lazy quantifier matches the same texts as a greedy one */
		if (quant && *e.p == '?')
			e.p++;
	}
	if (e.why)
		return e.why;
	if (e.n >= cap)
		return "is too long";
	out[e.n] = '\0';
	return NULL;
}

static bool is_quantifier(char c)
{
	return c == '*' || c == '+' || c == '?' || c == '{';
}

/*
 * glibc's regcomp() builds an automaton that grows exponentially with
 * stacked quantifiers ("a++++...": gigabytes for two dozen), so refuse
 * those before compiling.  RE2 refuses them too.
 */
static const char *regex_too_costly(const char *re)
{
	bool in_bracket = false, after_quant = false;
	size_t len = strlen(re);

	for (size_t i = 0; i < len; i++) {
		char c = re[i];

		if (in_bracket) {
			/* "[:alpha:]", "[.].]": their ] does not end it */
			if (c == '[' && re[i + 1] && strchr(":.=", re[i + 1])) {
				char end[3] = { re[i + 1], ']', '\0' };
				const char *e = strstr(re + i + 2, end);

				if (e)
					i = (size_t)(e - re) + 1;
			} else if (c == ']') {
				in_bracket = false;
			}
			continue;
		}
		if (c == '\\') {
			i++;
			after_quant = false;
			continue;
		}
		if (c == '[') {
			in_bracket = true;
			/* "[]..." and "[^]...": the first ] is literal */
			if (re[i + 1] == '^')
				i++;
			if (re[i + 1] == ']')
				i++;
			after_quant = false;
			continue;
		}
		if (is_quantifier(c)) {
			if (after_quant)
				return "stacked quantifiers";
			if (c == '{') {
				const char *end = strchr(re + i, '}');

				if (end)
					i = end - re;
			}
			after_quant = true;
			continue;
		}
		after_quant = false;
	}
	return NULL;
}

struct filter_regex *filter_regex_new(const char *re, char *why, size_t why_len)
{
	struct filter_regex *r;
	size_t cap = 16 * strlen(re) + 16;
	char *ere;
	const char *bad;
	locale_t old;
	int cflags, rc;

	if (strlen(re) > REGEX_MAX_LEN) {
		snprintf(why, why_len, "longer than 256 bytes");
		return NULL;
	}
	ere = malloc(cap);
	r = calloc(1, sizeof(*r));
	if (!ere || !r) {
		free(ere);
		free(r);
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	bad = filter_regex_translate(re, ere, cap, &cflags);
	if (!bad)
		bad = regex_too_costly(ere);
	if (bad) {
		snprintf(why, why_len, "%s", bad);
		goto fail;
	}
	r->loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	old = r->loc ? uselocale(r->loc) : (locale_t)0;
	rc = regcomp(&r->re, ere, cflags);
	if (r->loc)
		uselocale(old);
	if (rc) {
		regerror(rc, &r->re, why, why_len);
		goto fail;
	}
	free(ere);
	return r;
fail:
	if (r->loc)
		freelocale(r->loc);
	free(r);
	free(ere);
	return NULL;
}

bool filter_regex_match(const struct filter_regex *re, const char *text)
{
	locale_t old = re->loc ? uselocale(re->loc) : (locale_t)0;
	bool m = regexec(&re->re, text, 0, NULL, 0) == 0;

	if (re->loc)
		uselocale(old);
	return m;
}

void filter_regex_free(struct filter_regex *re)
{
	if (!re)
		return;
	regfree(&re->re);
	if (re->loc)
		freelocale(re->loc);
	free(re);
}
