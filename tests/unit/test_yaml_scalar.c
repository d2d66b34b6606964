// SPDX-License-Identifier: Apache-2.0
/*
 * Strings in -o yaml as yaml.v2 v2.4 writes them (ig's -o yaml: its JSON
 * through sigs.k8s.io/yaml's JSONToYAML).  The style of each case below
 * follows from the rule of yaml.v2 named beside it (encode.go stringv()
 * and isBase60Float(), resolve.go resolve() and parseTimestamp(),
 * emitterc.go yaml_emitter_analyze_scalar() and
 * yaml_emitter_select_scalar_style(), the writers of each style), not
 * from what this code writes.  Every string of a broad set then reads
 * back through libyaml as the string ig's JSON holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <yaml.h>

#include "runner/engine/yaml_scalar.h"

struct style_case {
	const char *s;
	enum yaml_style want;
	const char *rule;
};

#define P YAML_PLAIN
#define S YAML_SINGLE
#define D YAML_DOUBLE
#define L YAML_LITERAL

static const struct style_case cases[] = {
	/* resolve(): first character without a hint: a string; no
	 * indicator (analyze_scalar): plain */
	{ "OUTGOING", P, "no resolve hint, no indicator" },
	{ "www.example.com.", P, "no resolve hint" },
	{ "<<", P, "'<' has no hint: resolveMap's \"<<\" is not looked up" },
	{ "a:b", P, "':' not followed by a blank is no indicator" },
	{ "a#b", P, "'#' not preceded by a blank is no indicator" },
	{ "-x", P, "'-' first, not followed by a blank" },
	{ "a b", P, "inner space" },
	{ "é", P, "printable, unicode on (encode.go newEncoder)" },
	{ "a,b[c]{d}", P, "flow indicators only matter in flow context" },
	{ "yess", P, "not a word of resolveMap" },
	{ "Yes!", P, "not a word of resolveMap" },
	{ "10.99.0.2", P, "digit hint: no int, yamlStyleFloat fails" },
	{ "0ns", P, "digit hint: no number" },
	{ "1.5 MB", P, "digit hint: no number" },
	{ "0b", P, "\"0b\": ParseInt(\"\", 2) fails" },
	{ "0x", P, "ParseInt(\"0x\", 0) fails" },
	{ "0xfffffffffffffffff", P, "ParseInt and ParseUint overflow" },
	{ "1e400", P, "yamlStyleFloat matches, ParseFloat overflows" },
	{ ".5.", P, "'.' hint: ParseFloat fails" },
	{ ".", P, "'.' hint: ParseFloat fails" },
	{ "2026-13-01", P, "parseTimestamp: month out of range" },
	{ "2023-02-29", P, "parseTimestamp: day out of range" },
	{ "2026-1-2T25:00:00Z", P, "parseTimestamp: hour out of range" },
	{ "2026-1-2x", P, "no layout matches" },
	{ "20261-1-2", P, "parseTimestamp wants 4 digits then '-'" },
	{ "1:60", P, "isBase60Float: [0-5]?[0-9] per group" },
	/* resolve() reads another type: double quotes (stringv) */
	{ "", D, "resolveMap: \"\" is null" },
	{ "~", D, "resolveMap: null" },
	{ "null", D, "resolveMap: null" },
	{ "NULL", D, "resolveMap: null" },
	{ "true", D, "resolveMap: bool" },
	{ "False", D, "resolveMap: bool" },
	{ "y", D, "resolveMap: bool (YAML 1.1)" },
	{ "N", D, "resolveMap: bool" },
	{ "yes", D, "resolveMap: bool" },
	{ "on", D, "resolveMap: bool" },
	{ "OFF", D, "resolveMap: bool" },
	{ ".nan", D, "resolveMap: float" },
	{ "-.Inf", D, "resolveMap: float" },
	{ "+.INF", D, "resolveMap: float" },
	{ "0", D, "ParseInt" },
	{ "-1", D, "ParseInt" },
	{ "+1", D, "ParseInt takes a '+'" },
	{ "0000", D, "ParseInt base 0: octal" },
	{ "017", D, "ParseInt base 0: octal" },
	{ "08", D, "not octal, but yamlStyleFloat: 8.0" },
	{ "0x1f", D, "ParseInt base 0: hex" },
	{ "0X1F", D, "ParseInt base 0: hex" },
	{ "0o17", D, "ParseInt base 0: octal" },
	{ "0b101", D, "ParseInt base 0: binary" },
	{ "0b-1", D, "\"0b\": ParseInt(\"-1\", 2)" },
	{ "1_000", D, "'_' removed, then ParseInt" },
	{ "1__", D, "'_' removed: \"1\"" },
	{ "9223372036854775808", D, "ParseUint" },
	{ "18446744073709551615", D, "ParseUint" },
	{ "-9223372036854775809", D, "yamlStyleFloat" },
	{ "1.5", D, "yamlStyleFloat" },
	{ "1.", D, "yamlStyleFloat" },
	{ "-1e3", D, "yamlStyleFloat" },
	{ "1E+3", D, "yamlStyleFloat" },
	{ ".5", D, "'.' hint: ParseFloat" },
	{ ".5e-3", D, "'.' hint: ParseFloat" },
	{ "2026-12-02T18:06:46.419504880Z", D, "parseTimestamp: RFC3339Nano" },
	{ "2026-1-2", D, "parseTimestamp: 2006-1-2" },
	{ "2024-02-29", D, "parseTimestamp: leap day" },
	{ "2026-01-02t10:00:00+05:30", D, "parseTimestamp: 't', zone" },
	{ "2026-1-2 3:4:5", D, "parseTimestamp: space, no zone" },
	{ "2026-1-2 3:4:5,25", D, "parseTimestamp: ',' fraction" },
	{ "1:30", D, "isBase60Float" },
	{ "-190:20:30.15", D, "isBase60Float" },
	{ "1_0:5", D, "isBase60Float: '_' in the first group" },
	/* block indicators, leading or trailing space, breaks: not plain;
	 * single quotes (select_scalar_style) */
	{ "- x", S, "'-' first followed by a blank" },
	{ "-", S, "'-' first, at the end" },
	{ "?", S, "'?' first, at the end" },
	{ ": x", S, "':' first followed by a blank" },
	{ "a: b", S, "':' followed by a blank" },
	{ "a:", S, "':' at the end" },
	{ "a #b", S, "'#' preceded by a blank" },
	{ "#x", S, "'#' first" },
	{ ",x", S, "',' first" },
	{ "[x", S, "'[' first" },
	{ "]x", S, "']' first" },
	{ "{x", S, "'{' first" },
	{ "}x", S, "'}' first" },
	{ "&x", S, "'&' first" },
	{ "*x", S, "'*' first" },
	{ "!x", S, "'!' first" },
	{ "|x", S, "'|' first" },
	{ ">x", S, "'>' first" },
	{ "'x", S, "'\\'' first" },
	{ "\"x", S, "'\"' first" },
	{ "%x", S, "'%' first" },
	{ "@x", S, "'@' first" },
	{ "`x", S, "'`' first" },
	{ "---x", S, "starts with \"---\"" },
	{ "...x", S, "starts with \"...\"" },
	{ " lead", S, "leading space" },
	{ "trail ", S, "trailing space" },
	{ "a\xe2\x80\xa8"
	  "b",
	  S, "a break (U+2028), no \"\\n\"" },
	{ " 1", S, "leading space; resolve: no hint" },
	/* not printable, or a space before a break: double quotes */
	{ "a\tb", D, "tab: not printable" },
	{ "a\x01", D, "control: not printable" },
	{ "a\x7f", D, "DEL: not printable" },
	{ "\xc2\x85", D, "NEL: not printable" },
	{ "\xc2\x9f", D, "C1: not printable" },
	{ "\xef\xbb\xbf", D, "BOM: not printable" },
	{ "\xef\xbf\xbe", D, "U+FFFE: not printable" },
	{ "\xf0\x9f\x98\x80", D, "4 bytes: not printable" },
	{ "a \xe2\x80\xa8"
	  "b",
	  D, "space before a break" },
	{ "a\r", D, "CR: not printable" },
	{ "a \nb", D, "\"\\n\" asks for literal; space before break" },
	{ "a\nb ", D, "literal, trailing space: no block" },
	{ "a\tb\nc", D, "literal, not printable: no block" },
	{ "\xff", P, "invalid UTF-8: U+FFFD in ig's JSON, printable" },
	/* a "\n": a literal block (stringv) */
	{ "a\nb", L, "\"\\n\"" },
	{ "a\n", L, "\"\\n\"" },
	{ "\n", L, "\"\\n\"" },
	{ "a\n b", L, "break then space: single quotes not, blocks yes" },
	{ "true\n", L, "\"\\n\" before resolve()" },
	{ "- a\n#b", L, "indicators do not matter in a block" },
};

static void style__cases__as_yaml_v2_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum yaml_style got =
			yaml_scalar_style(cases[i].s, strlen(cases[i].s) + 1);

		if (got != cases[i].want)
			fail_msg("%zu: \"%s\": style %d, want %d (%s)", i,
				 cases[i].s, got, cases[i].want, cases[i].rule);
	}
}

static void write_case(const char *s, unsigned int col, unsigned int indent,
		       const char *want)
{
	char out[4096];
	size_t n = yaml_scalar(out, s, strlen(s), col, indent);

	out[n] = '\0';
	assert_string_equal(out, want);
}

/* The writers: escapes (emitterc.go write_double_quoted_scalar: named
 * ones, else \x, \u, \U with upper-case digits), '' in single quotes,
 * literal block hints (write_block_scalar_hints: indentation indicator
 * for a leading space or break, '-' strip, '+' keep). */
static void write__styles__as_yaml_v2_writers(void **state)
{
	(void)state;
	write_case("OUTGOING", 10, 2, "OUTGOING");
	write_case("", 10, 2, "\"\"");
	write_case("0000", 10, 2, "\"0000\"");
	write_case("it's: x", 10, 2, "'it''s: x'");
	write_case("'x", 10, 2, "'''x'");
	write_case("a\tb\x01\x1b\x7f", 10, 2, "\"a\\tb\\x01\\e\\x7F\"");
	write_case("\"\\", 10, 2, "'\"\\'");
	write_case("a\"\\\t", 10, 2, "\"a\\\"\\\\\\t\"");
	write_case("\xc2\x85\xef\xbb\xbf\xf0\x9f\x98\x80", 10, 2,
		   "\"\\N\\uFEFF\\U0001F600\"");
	write_case("a \xe2\x80\xa8", 10, 2, "\"a \\L\"");
	write_case("\xff", 10, 2, "\xef\xbf\xbd");
	write_case("a\nb", 10, 2, "|-\n  a\n  b");
	write_case("a\n", 10, 4, "|\n    a");
	write_case("a\n\n", 10, 2, "|+\n  a\n");
	write_case("\n", 10, 2, "|2+\n");
	write_case("\na", 10, 2, "|2-\n\n  a");
	write_case(" a\nb", 10, 2, "|2-\n   a\n  b");
	write_case("a\n\nb", 10, 2, "|-\n  a\n\n  b");
	/* a break in single quotes, the next line indented */
	write_case("a\xe2\x80\xa8"
		   "b",
		   10, 2, "'a\xe2\x80\xa8  b'");
}

/* Lines folded at a space once past column 80 (best_width; the plain,
 * single and double quoted writers), the continuation at the indent;
 * in double quotes a space after the fold escaped by a '\'. */
static void write__long_text__folded_past_column_80(void **state)
{
	char s[200], want[400];

	(void)state;
	/* 12 words of 9 letters from column 6: the space at column 85
	 * (s[79], after 8 words) is the first past 80: it folds */
	s[0] = '\0';
	for (int i = 0; i < 12; i++)
		strcat(s, i ? " aaaaaaaaa" : "aaaaaaaaa");
	snprintf(want, sizeof(want), "%.79s\n  %s", s, s + 80);
	write_case(s, 6, 2, want);
	/* the same after a leading space: single quotes, the quote one
	 * column more */
	{
		char t[210], w2[420];

		snprintf(t, sizeof(t), " %s", s);
		snprintf(w2, sizeof(w2), "'%.80s\n  %s'", t, t + 81);
		write_case(t, 6, 2, w2);
	}
	/* no fold before column 81 */
	write_case("aaaa bbbb", 75, 2, "aaaa bbbb");
	/* double quotes: "a\t" then words; the space after a fold's space
	 * escaped */
	{
		char t[210], w2[420];

		snprintf(t, sizeof(t), "\t%.78s  bb", s);
		/* column 0 + '"' + "\t" (2) + 78 = 81 at the first of the two
		 * spaces: folded, the second kept behind a '\' */
		snprintf(w2, sizeof(w2), "\"\\t%.78s\n  \\ bb\"", s);
		write_case(t, 0, 2, w2);
	}
}

/* Reads a document through libyaml: the scalar after the scalar "k", or
 * NULL if it does not parse. */
static char *read_back(const char *doc, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	char *val = NULL;
	bool done = false, ok = true, next = false;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)doc, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			ok = false;
			break;
		}
		if (ev.type == YAML_SCALAR_EVENT && next && !val) {
			val = strndup((const char *)ev.data.scalar.value,
				      ev.data.scalar.length);
			if (ev.data.scalar.length != strlen(val))
				ok = false; /* a NUL inside */
		}
		next = ev.type == YAML_SCALAR_EVENT &&
		       !strcmp((const char *)ev.data.scalar.value, "k");
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (!ok) {
		free(val);
		return NULL;
	}
	return val;
}

/* s as ig's JSON holds it: each byte that starts no valid UTF-8
 * sequence as U+FFFD (same code as the writer's is fine here: the
 * JSON writer's tests check that rule) */
static void expected(const char *s, char *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0, n = strlen(s);

	for (size_t i = 0; i < n;) {
		size_t l = 1;

		if (u[i] >= 0x80) {
			unsigned char c = u[i];
			size_t need = c >= 0xc2 && c <= 0xdf ? 2 :
				      c >= 0xe0 && c <= 0xef ? 3 :
				      c >= 0xf0 && c <= 0xf4 ? 4 :
							       0;
			bool valid = need && i + need <= n;

			for (size_t k = 1; valid && k < need; k++)
				valid = (u[i + k] & 0xc0) == 0x80;
			if (valid && need == 3 &&
			    ((c == 0xe0 && u[i + 1] < 0xa0) ||
			     (c == 0xed && u[i + 1] >= 0xa0)))
				valid = false;
			if (valid && need == 4 &&
			    ((c == 0xf0 && u[i + 1] < 0x90) ||
			     (c == 0xf4 && u[i + 1] >= 0x90)))
				valid = false;
			if (!valid) {
				memcpy(out + o, "\xef\xbf\xbd", 3);
				o += 3;
				i++;
				continue;
			}
			l = need;
		}
		memcpy(out + o, s + i, l);
		o += l;
		i += l;
	}
	out[o] = '\0';
}

static void check_round_trip(const char *s, unsigned int depth)
{
	char doc[8192], want[2048];
	size_t n = 0;
	char *got;

	for (unsigned int d = 0; d < depth; d++) {
		n += (size_t)sprintf(doc + n, "%*sm%u:\n", 2 * d, "", d);
	}
	n += (size_t)sprintf(doc + n, "%*sk: ", 2 * depth, "");
	n += yaml_scalar(doc + n, s, strlen(s), 2 * depth + 3, 2 * depth + 2);
	n += (size_t)sprintf(doc + n, "\n%*sz: 1\n", 2 * depth, "");
	expected(s, want);
	got = read_back(doc, n);
	if (!got)
		fail_msg("\"%s\": does not parse: %s", s, doc);
	if (strcmp(got, want))
		fail_msg("\"%s\": read back as \"%s\": %s", s, got, doc);
	free(got);
}

/* Every case of the table, and more that combine what needs care, at
 * two depths and long enough to fold: read back as the same string. */
static void write__tricky_strings__read_back_the_same(void **state)
{
	static const char *const more[] = {
		"a\n\n\nb",
		"\n\n",
		"a\n\n",
		" \n",
		"\n ",
		"\xe2\x80\xa9x",
		"x\xe2\x80\xa9",
		"a\xe2\x80\xa8\xe2\x80\xa8"
		"b",
		"it''s",
		"\\n",
		"a\x80"
		"b\xc3",
		"\xed\xa0\x80",
		"a\x1b[31mred",
		"#!/bin/sh\necho hi\n",
		"  two leading",
		"key: value # comment",
		"\"quoted\"",
		"'single'",
		"- [a, b]",
		"{a: 1}",
		"*alias",
		"&anchor x",
		"!tag x",
		"%YAML 1.1",
		"--- x",
		"... x",
		"a  b   c    d",
		"x \xc2\xa0 y",
		"\xc2\xa0",
	};
	char buf[1024];

	(void)state;
	for (unsigned int depth = 0; depth < 3; depth += 2) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			check_round_trip(cases[i].s, depth);
		for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
			check_round_trip(more[i], depth);
			/* long: folded where it has spaces */
			buf[0] = '\0';
			for (int k = 0; k < 12; k++) {
				strcat(buf, more[i]);
				strcat(buf, k % 3 ? " word " : "  w ");
			}
			check_round_trip(buf, depth);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(style__cases__as_yaml_v2_rules),
		cmocka_unit_test(write__styles__as_yaml_v2_writers),
		cmocka_unit_test(write__long_text__folded_past_column_80),
		cmocka_unit_test(write__tricky_strings__read_back_the_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
