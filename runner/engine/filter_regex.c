// SPDX-License-Identifier: Apache-2.0
/*
 * RE2 (ig's -F "~" syntax) rewritten for PCRE2 in UTF mode and run by its
 * JIT, with the match data and context made once: a match allocates
 * nothing.  The rewrite reads every construct itself and writes only
 * what means the same in both (so no PCRE2-only syntax, such as
 * backreferences, lookaround or "(*VERB)", reaches PCRE2); "." is
 * "[^\n]" unless (?s); "$" is the end of the text unless (?m), as in RE2.
 * (glibc's regexec() ran a POSIX rewrite before: two allocations a match
 * for a pattern with "." or (?i), and 25-200 ns more a match than the
 * JIT: bench/RESULTS.md.)
 *
 * RE2 matches in linear time; PCRE2's JIT backtracks, so a pattern such
 * as "(a+)+$", or the plausible "^(.*\.)*evil\.$", takes exponential time
 * on some texts (names from the network).  Past REGEX_MATCH_LIMIT steps
 * the text goes to pcre2_dfa_match(), which follows every way at once in
 * one pass (RE2's method) with as many ways as its workspace holds, a
 * size proportional to the pattern's: each byte costs at most that.  A
 * text that needs more ways is no match, counted (filter_regex_gave_up()).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "common/lazy_pcre2.h"
#include "runner/engine/filter_regex.h"

#define REGEX_MAX_LEN 256
/* Backtracking steps the JIT may take (~0.2 ms here), and the
 * interpreter's (no JIT) depth and heap (KiB), before the DFA answers. */
#define REGEX_MATCH_LIMIT 100000
#define REGEX_DEPTH_LIMIT 1000
#define REGEX_HEAP_LIMIT 1024
/* The DFA's workspace in ints: so many per byte of the pattern, and more */
#define REGEX_DFA_WS_PER_BYTE 16
#define REGEX_DFA_WS_MIN 1024
/* The DFA runs this in front, anchored: one pass, not one per start */
#define REGEX_DFA_HEAD "(?s:.)*(?:"

struct filter_regex {
	pcre2_code *code; /* for the JIT */
	pcre2_code *dfa; /* the same, for pcre2_dfa_match() */
	pcre2_match_data *md; /* made once: the match allocates nothing */
	pcre2_match_context *mc; /* the limits */
	int *ws; /* pcre2_dfa_match()'s workspace */
	size_t ws_len;
	bool jit;
	unsigned long long gave_up; /* matches stopped at a limit */
};

struct rewrite {
	char *out;
	size_t n, cap;
	const char *p; /* the RE2 text still to read */
	const char *why;
};

static void put(struct rewrite *e, const char *s, size_t len)
{
	if (e->n + len < e->cap)
		memcpy(e->out + e->n, s, len);
	e->n += len;
}

static void puts0(struct rewrite *e, const char *s)
{
	put(e, s, strlen(s));
}

/* One character of the RE2 text, its UTF-8 bytes copied whole. */
static uint32_t next_char(struct rewrite *e, char *bytes, size_t *len)
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
static int hex_escape(struct rewrite *e, uint32_t *cp)
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
static enum esc escape(struct rewrite *e, uint32_t *cp, char *letter)
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
static void put_char(struct rewrite *e, uint32_t cp)
{
	char b[4];

	if (cp < 0x80 && strchr(".[]()*+?{}|^$\\", (int)cp))
		put(e, "\\", 1);
	put(e, b, utf8_encode(b, cp));
}

/* A literal character inside brackets, where ], -, ^, [ and \ are
 * special: those escaped. */
static void put_in_bracket(struct rewrite *e, uint32_t cp)
{
	char b[4];

	if (cp < 0x80 && strchr("]-^[\\", (int)cp))
		put(e, "\\", 1);
	put(e, b, utf8_encode(b, cp));
}

/* One member of an RE2 class: a character (*cp) or, with 1, a class
 * written already. */
static int class_member(struct rewrite *e, uint32_t *cp)
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
static int bracket(struct rewrite *e)
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
static int group_ext(struct rewrite *e, bool at_start, uint32_t *options)
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
		else if (strchr("ims", *s)) {
			uint32_t o = *s == 'i' ? PCRE2_CASELESS :
				     *s == 'm' ? PCRE2_MULTILINE :
						 PCRE2_DOTALL;

			*options = neg ? *options & ~o : *options | o;
		}
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
				   uint32_t *options)
{
	struct rewrite e = { .out = out, .cap = cap, .p = re };
	bool at_start = true;

	*options = 0;
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
			case ESC_ASSERT: /* \A, \z, \b, \B: the same in PCRE2 */
				put(&e, "\\", 1);
				put(&e, &letter, 1);
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
			r = group_ext(&e, was_start, options);
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
		} else if (c == '.') {
			/* not PCRE2's ".", which depends on its newline */
			puts0(&e, *options & PCRE2_DOTALL ? "." : "[^\n]");
			e.p++;
		} else if (c == '(' && e.p[1] == '*') {
			/* RE2's "(*" is an error; PCRE2's a verb such as (*ACCEPT) */
			e.why = "has a repetition without its argument";
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
 * RE2 refuses stacked quantifiers ("a**", "x{2}*"); PCRE2 reads some as
 * possessive ones ("a++", "a?+"), which RE2 has not.  re is the PCRE2
 * form, where a bracket's special characters are escaped.
 */
static const char *regex_stacked(const char *re)
{
	bool in_bracket = false, after_quant = false;
	size_t len = strlen(re);

	for (size_t i = 0; i < len; i++) {
		char c = re[i];

		if (c == '\\') {
			i++;
			after_quant = false;
			continue;
		}
		if (in_bracket) {
			/* "[:alpha:]": its ] does not end the bracket */
			if (c == '[' && re[i + 1] == ':') {
				const char *e = strstr(re + i + 2, ":]");

				if (e)
					i = (size_t)(e - re) + 1;
			} else if (c == ']') {
				in_bracket = false;
			}
			continue;
		}
		if (c == '[') {
			in_bracket = true;
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

static void regex_free_parts(struct filter_regex *r)
{
	if (r->md)
		pcre2_match_data_free(r->md);
	if (r->mc)
		pcre2_match_context_free(r->mc);
	if (r->code)
		pcre2_code_free(r->code);
	if (r->dfa)
		pcre2_code_free(r->dfa);
	free(r->ws);
	free(r);
}

struct filter_regex *filter_regex_new(const char *re, char *why, size_t why_len)
{
	const uint32_t utf = PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C;
	size_t cap = 16 * strlen(re) + 16 + sizeof(REGEX_DFA_HEAD);
	struct filter_regex *r;
	PCRE2_SIZE offset;
	const char *bad;
	uint32_t options;
	char *pat;
	int rc;

	if (strlen(re) > REGEX_MAX_LEN) {
		snprintf(why, why_len, "longer than 256 bytes");
		return NULL;
	}
	pat = malloc(cap);
	r = calloc(1, sizeof(*r));
	if (!pat || !r) {
		free(pat);
		free(r);
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	/* the DFA's head, the pattern, its ")" */
	strcpy(pat, REGEX_DFA_HEAD);
	bad = filter_regex_translate(re, pat + strlen(REGEX_DFA_HEAD),
				     cap - strlen(REGEX_DFA_HEAD) - 1,
				     &options);
	if (!bad)
		bad = regex_stacked(pat + strlen(REGEX_DFA_HEAD));
	if (bad) {
		snprintf(why, why_len, "%s", bad);
		goto fail;
	}
	/* "$" is the end of the text unless (?m) (pcre2_dfa_match() keeps
	 * PCRE2_DOLLAR_ENDONLY even under PCRE2_MULTILINE) */
	if (!(options & PCRE2_MULTILINE))
		options |= PCRE2_DOLLAR_ENDONLY;
	/* UTF-8 texts, an invalid byte matching nothing (RE2: U+FFFD; the
	 * DFA refuses the option, and answers "no match" for such a text) */
	r->code = pcre2_compile((PCRE2_SPTR)pat + strlen(REGEX_DFA_HEAD),
				PCRE2_ZERO_TERMINATED,
				options | utf | PCRE2_MATCH_INVALID_UTF, &rc,
				&offset, NULL);
	if (r->code) {
		strcat(pat, ")");
		r->dfa = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
				       options | utf | PCRE2_ANCHORED, &rc,
				       &offset, NULL);
	}
	if (!r->code || !r->dfa) {
		PCRE2_UCHAR msg[120];

		if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", rc);
		snprintf(why, why_len, "%s", (char *)msg);
		goto fail;
	}
	r->jit = pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0;
	r->md = pcre2_match_data_create(1, NULL);
	r->mc = pcre2_match_context_create(NULL);
	r->ws_len = REGEX_DFA_WS_MIN + REGEX_DFA_WS_PER_BYTE * strlen(pat);
	r->ws = malloc(r->ws_len * sizeof(*r->ws));
	if (!r->md || !r->mc || !r->ws) {
		snprintf(why, why_len, "out of memory");
		goto fail;
	}
	pcre2_set_match_limit(r->mc, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mc, REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(r->mc, REGEX_HEAP_LIMIT);
	free(pat);
	return r;
fail:
	regex_free_parts(r);
	free(pat);
	return NULL;
}

int filter_regex_match_dfa(struct filter_regex *re, const char *text)
{
	int rc = pcre2_dfa_match(re->dfa, (PCRE2_SPTR)text, strlen(text), 0,
				 PCRE2_DFA_SHORTEST, re->md, re->mc, re->ws,
				 re->ws_len);

	return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

bool filter_regex_match(struct filter_regex *re, const char *text)
{
	size_t len = strlen(text);
	int rc = re->jit ? pcre2_jit_match(re->code, (PCRE2_SPTR)text, len, 0,
					   0, re->md, re->mc) :
			   pcre2_match(re->code, (PCRE2_SPTR)text, len, 0, 0,
				       re->md, re->mc);

	if (rc >= 0)
		return true;
	if (rc == PCRE2_ERROR_NOMATCH)
		return false;
	/* a limit: every way at once, no backtracking */
	rc = filter_regex_match_dfa(re, text);
	if (rc < 0)
		re->gave_up++; /* told by the caller */
	return rc > 0;
}

unsigned long long filter_regex_gave_up(const struct filter_regex *re)
{
	return re->gave_up;
}

void filter_regex_free(struct filter_regex *re)
{
	if (re)
		regex_free_parts(re);
}
