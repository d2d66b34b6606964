// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/filter_expr.c: ig's -E expressions (expr-lang) over the
 * fixture's fields, each answer the one expr gives for the same values
 * (types as ig's datasource reads the fields: numbers, bools, texts), and
 * what it refuses.
 */
#include "runner/engine/filter.h"
#include "runner/engine/filter_expr.h"
#include "fields_fx.h"

/* fields_fx.h's fixture with the values these tests compare. */
static int setup_expr(void **state)
{
	struct fx *x;

	setup(state);
	x = *state;
	inet_pton(AF_INET, "10.1.2.3", x->ev.src.addr_raw.v6);
	x->ev.id = 0xc3b5;
	x->ev.qtype_raw = 1;
	x->ev.latency_ns_raw = 1500;
	strcpy(x->ev.name, "www.example.com.");
	x->ev.delta = -7;
	return 0;
}

static bool match(struct fx *x, const char *text)
{
	struct filter_expr *e = NULL;
	struct error *err = NULL;
	bool r;

	if (filter_expr_new(x->fs, text, &e, &err))
		fail_msg("%s: %s", text, error_msg(err));
	r = filter_expr_match(e, &x->ev);
	filter_expr_free(e);
	return r;
}

static void bad(struct fx *x, const char *text, const char *want)
{
	struct filter_expr *e = NULL;
	struct error *err = NULL;

	if (!filter_expr_new(x->fs, text, &e, &err))
		fail_msg("%s: compiled", text);
	assert_null(e);
	if (strcmp(error_msg(err), want))
		fail_msg("%s: \"%s\", want \"%s\"", text, error_msg(err), want);
	error_free(err);
}

/* The examples of ig's docs/reference/run.mdx, on values that pass and
 * values that do not. */
static void ig_docs_examples(void **state)
{
	struct fx *x = *state;
	static const char docs[] =
		"proc.comm in [\"wget\", \"curl\"] and dst.addr in "
		"cidr(\"1.0.0.0/8\", \"8.8.8.8/32\")";
	static const char lets[] =
		"let allowed_comm = [\"wget\", \"curl\"] ; let mycidr = "
		"cidr(\"1.0.0.0/8\", \"8.8.8.8/32\") ; let myregex = "
		"\"^www\" ; proc.comm in allowed_comm and src.addr in mycidr "
		"and name matches myregex";

	assert_false(match(x, docs));
	assert_false(match(x, lets));
	strcpy(x->ev.proc.comm, "curl");
	x->ev.dst.version = 4;
	inet_pton(AF_INET, "8.8.8.8", x->ev.dst.addr_raw.v6);
	inet_pton(AF_INET, "1.200.0.1", x->ev.src.addr_raw.v6);
	assert_true(match(x, docs));
	assert_true(match(x, lets));
	inet_pton(AF_INET, "8.8.8.9", x->ev.dst.addr_raw.v6);
	assert_false(match(x, docs));
}

/* Numbers compare as numbers (whatever the literal's form), texts as
 * bytes, bools with == and != only; formatted fields are their text. */
static void comparisons_by_type(void **state)
{
	struct fx *x = *state;

	assert_true(match(x, "proc.pid == 4242"));
	assert_true(match(x, "proc.pid > 999")); /* not as text */
	assert_true(match(x, "proc.pid >= 4242 && proc.pid <= 4242"));
	assert_true(match(x, "proc.pid == 0x1092"));
	assert_true(match(x, "proc.pid == 0o10222"));
	assert_true(match(x, "proc.pid == 0b1_0000_1001_0010"));
	assert_true(match(x, "proc.pid == 4_242"));
	assert_true(match(x, "proc.pid == 04242")); /* decimal, as expr's */
	assert_true(match(x, "proc.pid == 4_242"));
	assert_true(match(x, "proc.pid < 4242.5"));
	assert_false(match(x, "proc.pid > 4241.9 and proc.pid != 4242"));
	assert_true(match(x, "delta == -7"));
	assert_true(match(x, "delta < 0"));
	assert_true(match(x, "delta > -7.5"));
	assert_true(match(x, "id == 50101")); /* a number, not its hex */
	assert_true(match(x, "latency_ns_raw == 1500"));
	assert_true(match(x, "latency_ns == \"1.50µs\""));
	assert_true(match(x, "qr_raw == true"));
	assert_true(match(x, "qr_raw"));
	assert_true(match(x, "!tc && not tc"));
	assert_true(match(x, "qtype == \"A\""));
	assert_true(match(x, "qtype_raw == 1"));
	assert_true(match(x, "name == 'www.example.com.'"));
	assert_true(match(x, "name == `www.example.com.`"));
	assert_true(match(x, "proc.comm > \"abc\" and proc.comm < \"z\""));
	assert_true(match(x, "src.addr == \"10.1.2.3\" and src.port == 40000"));
	assert_true(match(x, "dst.addr == \"fd00::53\""));
	assert_true(match(x, "proc.comm == \"ns\\x6cookup\""));
	assert_true(match(x, "proc.comm == \"nsl\\u006fokup\""));
}

static void string_operators_and_negations(void **state)
{
	struct fx *x = *state;

	assert_true(match(x, "name contains \"example\""));
	assert_true(match(x, "name startsWith \"www.\""));
	assert_true(match(x, "name endsWith \".com.\""));
	assert_false(match(x, "name endsWith \".org.\""));
	assert_true(match(x, "name not endsWith \".org.\""));
	assert_true(match(x, "name not contains \"x.y\""));
	assert_false(match(x, "name not startsWith \"w\""));
	assert_true(match(x, "name matches \"^www\\\\.ex\""));
	assert_true(match(x, "name matches '\\\\d*'"));
	assert_false(match(x, "name matches \"^ex\""));
	assert_true(match(x, "name not matches \"^ex\""));
	assert_true(match(x, "proc.comm not in [\"dig\", \"curl\"]"));
	assert_false(match(x, "proc.comm in []"));
	assert_true(match(x, "proc.pid in [1, 4242,]"));
	assert_false(match(x, "proc.pid in [\"4242\"]")); /* other type */
	assert_true(match(x, "src.addr in cidr(\"10.0.0.0/8\")"));
	assert_true(match(x, "src.addr in cidr(\"10.1.2.2/31\")"));
	assert_false(match(x, "src.addr in cidr(\"10.1.2.0/31\")"));
	assert_true(match(x, "src.addr not in cidr(\"fd00::/8\")"));
	assert_true(match(x, "dst.addr in cidr(\"fd00::/8\")"));
	assert_false(match(x, "name in cidr(\"0.0.0.0/0\")")); /* no IP */
}

/* or < and < comparisons < not, as in expr. */
static void precedence_and_grouping(void **state)
{
	struct fx *x = *state;

	assert_true(match(x, "proc.pid == 1 or proc.pid == 4242 and tc == "
			     "false"));
	assert_false(match(x, "(proc.pid == 1 or proc.pid == 4242) and tc"));
	assert_true(match(x, "not (proc.pid == 1)"));
	assert_true(match(x, "proc.pid == 1 || qr_raw && !tc"));
	assert_true(match(x, "((((qr_raw))))"));
	/* not binds to tc alone: (not tc) == true */
	assert_true(match(x, "not tc == true"));
}

/* Mistakes and what the language has beyond comparisons: one message
 * that says where. */
static void refused_with_where_and_why(void **state)
{
	struct fx *x = *state;

	bad(x, "proc.pid", "expected bool, but got number");
	bad(x, "proc.comm == 5",
	    "at byte 11: invalid operation: mismatched types string and "
	    "number");
	bad(x, "qr_raw < true",
	    "at byte 8: invalid operation: a bool is compared with == or "
	    "!= only");
	bad(x, "nosuch == 1", "at byte 1: unknown field \"nosuch\"");
	bad(x, "proc == 1",
	    "at byte 1: field \"proc\" is a struct; name one of its members");
	bad(x, "proc.pid + 1 > 2",
	    "at byte 10: arithmetic (\"+\") is not supported here");
	bad(x, "len(name) > 3", "at byte 1: \"len\" is not supported here");
	bad(x, "proc.pid > 1 and", "at byte 17: an expression ends too soon");
	bad(x, "(qr_raw", "at byte 8: want \")\", not the end");
	bad(x, "name == \"x", "at byte 9: a string without its end");
	bad(x, "name matches \"(\"",
	    "at byte 6: regular expression \"(\": missing closing "
	    "parenthesis");
	bad(x, "name matches name",
	    "at byte 6: matches wants a literal regular expression");
	bad(x, "proc.pid contains \"4\"",
	    "at byte 10: contains wants a string, not a number");
	bad(x, "src.addr in cidr(\"10.0.0.0/33\")",
	    "at byte 18: cidr(): not an address/bits");
	bad(x, "proc.pid in 4",
	    "at byte 10: in wants an array or cidr(), "
	    "not a number");
	bad(x, "qr_raw and 1", "at byte 8: and wants a bool, not a number");
	bad(x, "name == \"\\q\"",
	    "at byte 10: unknown escape \"\\q\" in a "
	    "string");
	bad(x, "name == \"\\x00\"",
	    "at byte 10: a NUL or no character in a "
	    "string");
	bad(x, "proc.pid == 99999999999999999999",
	    "at byte 13: bad number \"99999999999999999999\"");
	bad(x, "qr_raw ? 1 : 2", "at byte 8: unexpected \"?\"");
	/* was "bad number \"1..3\"" */
	bad(x, "proc.pid in 1..3",
	    "at byte 14: the range operator (\"..\") is not supported here");
	bad(x, "proc.pid in 1 .. 3",
	    "at byte 15: the range operator (\"..\") is not supported here");
	bad(x, "proc.pid in proc.tid..9",
	    "at byte 21: the range operator (\"..\") is not supported here");
	bad(x, "proc.pid == 1.5.5", "at byte 13: bad number \"1.5.5\"");
	/* integers after a prefix as Go's ParseInt(v, 0, 64): one prefix */
	bad(x, "proc.pid == 0x0x5", "at byte 13: bad number \"0x0x5\"");
	bad(x, "proc.pid == 0b0b1", "at byte 13: bad number \"0b0b1\"");
	bad(x, "proc.pid == 0x", "at byte 13: bad number \"0x\"");
	bad(x, "proc.pid == 0o8", "at byte 13: bad number \"0o8\"");
	/* a number too long for the buffer is refused, not cut short */
	bad(x,
	    "proc.pid == 0000000000000000000000000000000000000000000000000"
	    "000000000000000001",
	    "at byte 13: bad number \"0000000000000000000000000000000000000"
	    "000000000000000000000000000001\"");
	bad(x, "@", "at byte 1: unexpected character '@'");
}

/* Nesting and length are bounded: a deep expression is refused, not a
 * deep recursion. */
static void bounded_depth_and_length(void **state)
{
	struct fx *x = *state;
	char deep[400], *p = deep;

	for (int i = 0; i < 100; i++)
		*p++ = '(';
	strcpy(p, "qr_raw");
	p += strlen(p);
	for (int i = 0; i < 100; i++)
		*p++ = ')';
	*p = '\0';
	bad(x, deep, "at byte 65: nested too deep");
	memset(deep, '!', 200);
	strcpy(deep + 200, "qr_raw");
	bad(x, deep, "at byte 64: nested too deep");
	{
		char *big = malloc(5000);

		memset(big, ' ', 4999);
		big[4999] = '\0';
		memcpy(big, "qr_raw", 6);
		bad(x, big, "longer than 4096 bytes");
		free(big);
	}
}

/* As a rule of -F's filter: ANDed with the others. */
static void anded_with_filter_rules(void **state)
{
	struct fx *x = *state;
	struct filter *f = NULL;
	struct error *err = NULL;

	assert_int_equal(filter_add(&f, x->fs, "proc.pid==4242", &err), 0);
	assert_int_equal(filter_add_expr(&f, x->fs, "qtype == \"A\"", &err), 0);
	assert_true(filter_match(f, &x->ev));
	assert_int_equal(filter_add_expr(&f, x->fs, "tc", &err), 0);
	assert_false(filter_match(f, &x->ev));
	/* a "matches" past the regular expressions' limits (test_filter's
	 * 30 "a" and a "!") is no match, counted as -F's are */
	memset(x->ev.name, 'a', sizeof(x->ev.name) - 2);
	strcpy(x->ev.name + sizeof(x->ev.name) - 2, "!");
	filter_free(f);
	f = NULL;
	assert_int_equal(filter_add_expr(&f, x->fs,
					 "name matches \"(a{1,30}){1,30}$\"",
					 &err),
			 0);
	assert_false(filter_match(f, &x->ev));
	assert_true(filter_gave_up(f, true) == 1);
	/* told as -E's, not -F's, and an event once, whatever its "matches"
	 * that gave up (it counted two here, under -F) */
	assert_true(filter_gave_up(f, false) == 0);
	filter_free(f);
	f = NULL;
	assert_int_equal(
		filter_add_expr(&f, x->fs,
				"name matches \"(a{1,30}){1,30}$\" or "
				"not (name matches \"(a{1,30}){1,30}$\")",
				&err),
		0);
	assert_true(filter_match(f, &x->ev));
	assert_true(filter_gave_up(f, true) == 1);
	assert_true(filter_gave_up(f, false) == 0);
	assert_int_equal(filter_add_expr(&f, x->fs, "tc ==", &err), -1);
	assert_string_equal(error_msg(err),
			    "filter expression \"tc ==\": at byte 6: an "
			    "expression ends too soon");
	error_free(err);
	filter_free(f);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_expr, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(ig_docs_examples),
		T(comparisons_by_type),
		T(string_operators_and_negations),
		T(precedence_and_grouping),
		T(refused_with_where_and_why),
		T(bounded_depth_and_length),
		T(anded_with_filter_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
