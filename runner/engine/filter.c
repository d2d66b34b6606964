// SPDX-License-Identifier: Apache-2.0
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/goparse.h"
#include "runner/engine/fields_internal.h"
#include "runner/engine/filter.h"
#include "runner/engine/filter_expr.h"
#include "runner/engine/filter_regex.h"
#include "runner/engine/filter_value.h"
#include "runner/engine/name_list.h"
#include "runner/engine/ns_memo.h"

enum filter_op {
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_RE,
	OP_NRE,
	OP_NAMES, /* filter_add_names() */
	OP_EMPTY, /* "f==", "f!~." on a text of its own: compile_empty() */
	OP_NONEMPTY, /* "f!=", "f~." on one (runner run --host=false) */
	OP_EXPR, /* filter_add_expr() */
};

enum cmp_kind {
	CMP_TEXT,
	CMP_UNSIGNED,
	CMP_SIGNED,
	CMP_FLOAT,
	CMP_TIME, /* wall-clock ns against a boot-time field */
};

struct filter_rule {
	const struct field *field;
	enum filter_op op;
	enum cmp_kind cmp;
	__u64 num;
	double dbl;
	char *str;
	struct filter_regex *re;
	struct filter_expr *expr;
	/* OP_EMPTY, OP_NONEMPTY of "." (any character but a newline) */
	bool dot;
	/* OP_NAMES on a container's field: the answers per mount namespace */
	struct ns_memo *memo;
};

struct filter {
	const struct fieldset *fs;
	struct filter_rule *rules;
	size_t n;
	struct render_ctx rc;
	char *text;
	/* this event's: a -F regular expression, an -E, reached the limits */
	bool gave_rule, gave_expr;
	unsigned long long gave_up_rules, gave_up_expr; /* events they did */
};

static void rule_fini(struct filter_rule *r)
{
	free(r->str);
	filter_regex_free(r->re);
	filter_expr_free(r->expr);
	free(r->memo);
}

void filter_free(struct filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		rule_fini(&f->rules[i]);
	free(f->rules);
	render_ctx_fini(&f->rc);
	free(f->text);
	free(f);
}

static struct filter *filter_new(const struct fieldset *fs)
{
	struct filter *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->fs = fs;
	render_ctx_init(&f->rc, fs);
	f->text = malloc(fieldset_text_size(fs));
	if (!f->text) {
		filter_free(f);
		return NULL;
	}
	return f;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* The operator at s; its length in *len, -1 when there is none. */
static int parse_op(const char *s, size_t *len)
{
	static const struct {
		const char *text;
		enum filter_op op;
	} ops[] = {
		{ "==", OP_EQ }, { "!=", OP_NE }, { "!~", OP_NRE },
		{ "<=", OP_LE }, { ">=", OP_GE }, { "<", OP_LT },
		{ ">", OP_GT },	 { "~", OP_RE },
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		*len = strlen(ops[i].text);
		if (!strncmp(s, ops[i].text, *len))
			return ops[i].op;
	}
	/* "=" is "==", as in ig; "=~", "=>"... are typos, as there */
	*len = 1;
	if (*s == '=' && !strchr("!<>~", s[1]))
		return OP_EQ;
	return -1;
}

/* Bits of the integer behind f: its bitfield width or its size. */
static unsigned int field_bits(const struct field *fl)
{
	if (fl->bit_size)
		return fl->bit_size;
	return fl->size >= 8 ? 64 : fl->size * 8;
}

/* Does v fit the field's integer type? */
static bool fits(const struct field *fl, __u64 v, bool is_signed)
{
	unsigned int bits = field_bits(fl);

	if (bits >= 64)
		return !is_signed || fl->is_signed || (__s64)v >= 0;
	if (fl->is_signed) {
		__s64 lim = (__s64)1 << (bits - 1);

		if (!is_signed && v >= (__u64)lim)
			return false;
		return (__s64)v >= -lim && (__s64)v < lim;
	}
	return !(is_signed && (__s64)v < 0) && v < ((__u64)1 << bits);
}

/*
 * Base 0: decimal, as ig's strconv.ParseInt or ParseUint(v, 10, ...) reads
 * it ("053" is 53, not octal 43; a sign only on a signed field), or hex
 * after "0x"; base 16: hex, with or without "0x".
 */
static const char *parse_int(const struct field *fl, const char *v,
			     struct filter_rule *r, int base)
{
	bool neg = *v == '-', sign = neg || *v == '+';
	const char *digits = v + (sign && fl->is_signed);
	unsigned long long u;

	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
		base = 16, digits += 2;
	if (!base)
		base = 10;
	if (!go_parse_uint(digits, base, &u))
		return errno == ERANGE ? "is out of range" :
		       base == 16      ? "is not a hex number" :
					 "is not a number";
	if (fl->is_signed && u > (__u64)INT64_MAX + neg)
		return "is out of range";
	r->num = neg ? 0 - u : u;
	r->cmp = fl->is_signed ? CMP_SIGNED : CMP_UNSIGNED;
	if (!fits(fl, r->num, fl->is_signed))
		return "is out of range";
	return NULL;
}

/* An enumerator or one-of name of fl, or -1. */
static int name_value(const struct field *fl, const char *v, __u64 *out)
{
	for (size_t i = 0; i < fl->n_enums; i++)
		if (!strcmp(fl->enums[i].name, v)) {
			*out = (__u64)fl->enums[i].value;
			return 0;
		}
	for (size_t i = 0; i < fl->n_one_of; i++)
		if (fl->one_of[i] && !strcmp(fl->one_of[i], v)) {
			*out = i;
			return 0;
		}
	return -1;
}

/*
 * The value of a rule on a typed field, as the number the field holds;
 * NULL, or why it is not one.  Fields of other kinds compare as text.
 */
static const char *parse_typed(const struct fieldset *fs,
			       const struct field *fl, const char *v,
			       struct filter_rule *r)
{
	const char *why;
	int64_t t;

	switch (fl->kind) {
	case FK_BOOL:
		if (!strcasecmp(v, "true") || !strcmp(v, "1"))
			r->num = 1;
		else if (!strcasecmp(v, "false") || !strcmp(v, "0"))
			r->num = 0;
		else
			return "is not true or false";
		r->cmp = CMP_UNSIGNED;
		return NULL;
	case FK_HEX:
		if (!*v || *v == '-')
			return "is not a hex number";
		return parse_int(fl, v, r, 16);
	case FK_FLOAT: {
		/* read at the field's size, as ig's strconv.ParseFloat(v,
		 * 32 or 64): a float32 field equals 0.1 when it holds
		 * float32(0.1) */
		char *end;

		errno = 0;
		r->dbl = fl->size == 4 ? strtof(v, &end) : strtod(v, &end);
		r->cmp = CMP_FLOAT;
		if (!*v || *end)
			return "is not a number";
		return errno == ERANGE && isinf(r->dbl) ? "is out of range" :
							  NULL;
	}
	case FK_UINT:
	case FK_SINT:
		return parse_int(fl, v, r, 0);
	case FK_ENUM:
	case FK_ONEOF:
		r->cmp = fl->is_signed ? CMP_SIGNED : CMP_UNSIGNED;
		if (!name_value(fl, v, &r->num))
			return NULL;
		if (!parse_int(fl, v, r, 0))
			return NULL;
		return fl->kind == FK_ENUM ? "is not one of its names" :
					     "is not one of its values";
	case FK_DURATION: {
		int64_t d;

		if (filter_parse_signed_duration(v, &d, &why))
			return why;
		/* ig's durations are int64 (2^63 ns and more: negative) */
		r->num = (__u64)d;
		r->cmp = CMP_SIGNED;
		if (d >= 0 && !fits(fl, r->num, false))
			return "is out of range";
		return NULL;
	}
	case FK_TIMESTAMP:
		if (filter_parse_time(v, &t, &why))
			return why;
		/* kept as wall-clock ns; the event's boot time is moved */
		r->num = (__u64)t;
		r->cmp = CMP_TIME;
		(void)fs;
		return NULL;
	default:
		r->cmp = CMP_TEXT;
		return NULL;
	}
}

/*
 * The rules that ask whether the text of r's field is empty, without a
 * regular expression or a comparison per event: "f==" and "f!=" on a
 * text, and "f~." and "f!~." on a text that is one string (a gadget's, a
 * container's or pod's: field_raw_text()), whether it has a character
 * other than a newline.
 */
static void compile_empty(struct filter_rule *r)
{
	r->dot = !strcmp(r->str, ".") && field_text_escaped(r->field);
	if ((r->op == OP_EQ && r->cmp == CMP_TEXT && !*r->str) ||
	    (r->op == OP_NRE && r->dot))
		r->op = OP_EMPTY;
	else if ((r->op == OP_NE && r->cmp == CMP_TEXT && !*r->str) ||
		 (r->op == OP_RE && r->dot))
		r->op = OP_NONEMPTY;
	else
		return;
	filter_regex_free(r->re);
	r->re = NULL;
}

/* Append r to f's rules; r is freed when that fails. */
static int append_rule(struct filter *f, struct filter_rule *r,
		       struct error **err)
{
	struct filter_rule *nr = realloc(f->rules, (f->n + 1) * sizeof(*nr));

	if (!nr) {
		rule_fini(r);
		return error_set(err, ENOMEM, "filter");
	}
	f->rules = nr;
	f->rules[f->n++] = *r;
	return 0;
}

static int add_rule(struct filter *f, char *rule, struct error **err)
{
	cleanup_free char *orig = strdup(rule);
	struct filter_rule r = { 0 };
	const char *p = strpbrk(rule, "=!<>~");
	char *name, *value;
	size_t oplen = 0;
	int op, idx;

	if (!orig)
		return error_set(err, ENOMEM, "filter");
	if (!p)
		return error_set(err, 0,
				 "\"%s\": no operator (==, !=, <, <=, "
				 ">, >=, ~, !~)",
				 rule);
	op = parse_op(p, &oplen);
	if (op < 0)
		return error_set(err, 0, "\"%s\": bad operator at \"%s\"", rule,
				 p);
	value = trim((char *)p + oplen);
	rule[p - rule] = '\0';
	name = trim(rule);
	if (!*name)
		return error_set(err, 0, "\"%s\": no field name", trim(orig));
	idx = fieldset_find(f->fs, name, err);
	if (idx < 0)
		return -1;
	r.field = &f->fs->f[idx];
	r.op = op;
	if (r.field->is_struct && !r.field->columnable)
		return error_set(err, 0,
				 "field \"%s\" is a struct; name one "
				 "of its members",
				 name);
	r.str = strdup(value);
	if (!r.str)
		return error_set(err, ENOMEM, "filter");
	if (op == OP_RE || op == OP_NRE) {
		char why[256];

		r.re = filter_regex_new(value, why, sizeof(why));
		if (!r.re) {
			free(r.str);
			return error_set(
				err, 0,
				"field %s: regular expression \"%s\": %s", name,
				value, why);
		}
	} else if (!*value && r.field->shown_if >= 0) {
		/* "rcode==": the field is not shown (the text is empty) */
		r.cmp = CMP_TEXT;
	} else if (r.field->kind == FK_BOOL && op != OP_EQ && op != OP_NE) {
		/* false < true means nothing to a reader: ig refuses it too */
		free(r.str);
		return error_set(err, 0,
				 "field %s: a bool is compared with == or != "
				 "only",
				 name);
	} else {
		/* "" is a text (every field compared as its text: a gadget's
		 * string, a container's or pod's name, ...), no number */
		const char *why = parse_typed(f->fs, r.field, value, &r);

		if (why) {
			free(r.str);
			return *value ? error_set(err, 0, "field %s: \"%s\" %s",
						  name, value, why) :
					error_set(err, 0, "field %s: no value",
						  name);
		}
	}
	compile_empty(&r);
	return append_rule(f, &r, err);
}

/*
 * Split expr at commas into buf, a copy of it, and call fn on every rule
 * that is not blank; stop at its first error.  As ig's
 * SplitStringWithEscape(): "\\," is a comma inside a rule and "\\\\" one
 * backslash, another backslash stays, one at the end goes.
 */
static int each_rule(char *buf, const char *expr,
		     int (*fn)(char *rule, void *ctx), void *ctx)
{
	char *rule = buf, *w = buf;

	for (const char *r = expr;; r++) {
		if (*r == '\\' && (r[1] == ',' || r[1] == '\\')) {
			*w++ = *++r;
			continue;
		}
		if (*r == '\\' && !r[1])
			continue;
		if (*r && *r != ',') {
			*w++ = *r;
			continue;
		}
		*w = '\0';
		if (*trim(rule) && fn(rule, ctx) < 0)
			return -1;
		if (!*r)
			return 0;
		rule = ++w;
	}
}

/* Does the field of the rule exist (a rule without operator: yes)? */
static int rule_known(char *rule, void *ctx)
{
	char *op = strpbrk(rule, "=!<>~");

	if (!op)
		return 0;
	*op = '\0';
	return fieldset_lookup(ctx, trim(rule)) == -1 ? -1 : 0;
}

bool filter_fields_known(const struct fieldset *fs, const char *expr)
{
	cleanup_free char *buf = strdup(expr ? expr : "");

	return buf && !each_rule(buf, expr ? expr : "", rule_known, (void *)fs);
}

struct add_ctx {
	struct filter *f;
	struct error **err;
};

static int add_one(char *rule, void *ctx)
{
	struct add_ctx *a = ctx;

	return add_rule(a->f, rule, a->err);
}

int filter_add(struct filter **fp, const struct fieldset *fs, const char *expr,
	       struct error **err)
{
	cleanup_free char *buf = strdup(expr ? expr : "");
	struct filter *f = *fp;
	struct add_ctx a = { .err = err };
	bool created = false;
	size_t n0;

	if (!buf)
		return error_set(err, ENOMEM, "filter");
	if (!f) {
		f = filter_new(fs);
		if (!f)
			return error_set(err, ENOMEM, "filter");
		created = true;
	}
	n0 = f->n;
	a.f = f;
	if (each_rule(buf, expr ? expr : "", add_one, &a))
		goto fail;
	if (f->n == n0) {
		error_set(err, 0, "empty filter");
		goto fail;
	}
	*fp = f;
	return 0;
fail:
	if (created) {
		filter_free(f);
	} else {
		/* drop what this call added: all of expr or nothing */
		for (size_t i = n0; i < f->n; i++)
			rule_fini(&f->rules[i]);
		f->n = n0;
	}
	return error_prefix(err, "filter \"%s\"", expr);
}

int filter_add_names(struct filter **fp, const struct fieldset *fs,
		     const char *field, const char *list, struct error **err)
{
	struct filter_rule r = { .op = OP_NAMES };
	int idx = fieldset_find(fs, field, err);

	if (idx < 0)
		return -1;
	if (!*fp && !(*fp = filter_new(fs)))
		return error_set(err, ENOMEM, "filter");
	r.field = &fs->f[idx];
	r.str = strdup(list);
	/* a container's name: the same for all events of its namespace */
	if (r.field->kind == FK_RUNTIME)
		r.memo = calloc(NS_MEMO_WAYS, sizeof(*r.memo));
	if (!r.str || (r.field->kind == FK_RUNTIME && !r.memo)) {
		rule_fini(&r);
		return error_set(err, ENOMEM, "filter");
	}
	return append_rule(*fp, &r, err);
}

int filter_add_expr(struct filter **fp, const struct fieldset *fs,
		    const char *text, struct error **err)
{
	struct filter_rule r = { .op = OP_EXPR };

	if (filter_expr_new(fs, text, &r.expr, err))
		return error_prefix(err, "filter expression \"%s\"", text);
	if (!*fp && !(*fp = filter_new(fs))) {
		rule_fini(&r);
		return error_set(err, ENOMEM, "filter");
	}
	return append_rule(*fp, &r, err);
}

static int cmp_num(const struct filter_rule *r, const void *ev)
{
	__u64 v = field_u64(r->field, ev);

	if (r->cmp == CMP_SIGNED)
		return (__s64)v < (__s64)r->num ? -1 : (__s64)v > (__s64)r->num;
	return v < r->num ? -1 : v > r->num;
}

static int cmp_float(const struct filter_rule *r, const void *ev)
{
	double v = field_double(r->field, ev);

	return v < r->dbl ? -1 : v > r->dbl;
}

static int cmp_time(struct filter *f, const struct filter_rule *r,
		    const void *ev)
{
	__s64 v = (__s64)(field_u64(r->field, ev) +
			  (__u64)f->fs->boot_to_real_ns);

	return v < (__s64)r->num ? -1 : v > (__s64)r->num;
}

/* Is the text of r's field empty (of "." rules: has it no character but
 * newlines)? */
static bool text_empty(struct filter *f, const struct filter_rule *r,
		       const void *ev)
{
	const char *s;
	size_t len;

	if (!r->dot)
		return field_text_empty(&f->rc, r->field, ev, f->text);
	s = field_raw_text(&f->rc, r->field, ev, &len);
	for (size_t i = 0; i < len; i++)
		if (s[i] != '\n')
			return false;
	return true;
}

/*
 * Does the text of r's field match r's name list?  An empty one does not,
 * but a container's field of an event in a container (one without a
 * name: "!a" keeps it, as ig's selector and container_select_match()).
 * For a container's field, the answer is kept per mount namespace while
 * the containers stay.
 */
static bool names_match(struct filter *f, const struct filter_rule *r,
			const void *ev)
{
	struct containers *c = f->fs->containers;
	struct ns_memo *m = NULL;
	__u64 mntns = 0;
	bool yes;

	if (r->memo) {
		mntns = field_u64(r->field, ev);
		m = ns_memo_way(r->memo, mntns, 0);
		if (ns_memo_kept(m, mntns, 0, c))
			return m->answer;
	}
	yes = *field_value_text(&f->rc, r->field, ev, f->text, false) ||
	      (m && c && containers_lookup(c, mntns));
	yes = yes && name_list_match(r->str, f->text);
	return m ? ns_memo_keep(m, mntns, 0, c, yes) : yes;
}

static bool rule_match(struct filter *f, const struct filter_rule *r,
		       const void *ev)
{
	int c;

	if (r->op == OP_EXPR) {
		unsigned long long before = filter_expr_gave_up(r->expr);
		bool yes = filter_expr_match(r->expr, ev);

		f->gave_expr |= filter_expr_gave_up(r->expr) != before;
		return yes;
	}
	/* a typed value not shown (value.shown-if) is absent: only != */
	if (r->cmp != CMP_TEXT && r->field->shown_if >= 0 &&
	    !field_shown(f->fs, r->field, ev))
		return r->op == OP_NE;

	if (r->op == OP_NAMES)
		return names_match(f, r, ev);
	if (r->op == OP_EMPTY || r->op == OP_NONEMPTY)
		return text_empty(f, r, ev) == (r->op == OP_EMPTY);
	if (r->op == OP_RE || r->op == OP_NRE) {
		unsigned long long before = filter_regex_gave_up(r->re);

		c = filter_regex_match(r->re,
				       field_value_text(&f->rc, r->field, ev,
							f->text, true));
		f->gave_rule |= filter_regex_gave_up(r->re) != before;
		return r->op == OP_RE ? c : !c;
	}
	switch (r->cmp) {
	case CMP_UNSIGNED:
	case CMP_SIGNED:
		c = cmp_num(r, ev);
		break;
	case CMP_FLOAT:
		c = cmp_float(r, ev);
		break;
	case CMP_TIME:
		c = cmp_time(f, r, ev);
		break;
	default:
		c = strcmp(field_value_text(&f->rc, r->field, ev, f->text,
					    false),
			   r->str);
		break;
	}
	switch (r->op) {
	case OP_EQ:
		return c == 0;
	case OP_NE:
		return c != 0;
	case OP_LT:
		return c < 0;
	case OP_LE:
		return c <= 0;
	case OP_GT:
		return c > 0;
	case OP_GE:
		return c >= 0;
	default:
		return false;
	}
}

bool filter_match(struct filter *f, const void *ev)
{
	bool yes = true;

	if (!f)
		return true;
	f->gave_rule = f->gave_expr = false;
	for (size_t i = 0; i < f->n && yes; i++)
		yes = rule_match(f, &f->rules[i], ev);
	f->gave_up_rules += f->gave_rule;
	f->gave_up_expr += f->gave_expr;
	return yes;
}

unsigned long long filter_gave_up(const struct filter *f, bool expr)
{
	return !f ? 0 : expr ? f->gave_up_expr : f->gave_up_rules;
}
