// SPDX-License-Identifier: Apache-2.0
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "runner/engine/fields_internal.h"
#include "runner/engine/filter.h"

enum filter_op {
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_RE,
	OP_NRE,
};

enum cmp_kind {
	CMP_TEXT,
	CMP_UNSIGNED,
	CMP_SIGNED,
	CMP_FLOAT,
};

struct filter_rule {
	const struct field *field;
	enum filter_op op;
	enum cmp_kind cmp;
	__u64 num;
	double dbl;
	char *str;
	regex_t re;
	bool has_re;
};

struct filter {
	const struct fieldset *fs;
	struct filter_rule *rules;
	size_t n;
	struct render_ctx rc;
	char *text;
	char *scratch;
};

void filter_free(struct filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->rules[i].str);
		if (f->rules[i].has_re)
			regfree(&f->rules[i].re);
	}
	free(f->rules);
	render_ctx_fini(&f->rc);
	free(f->text);
	free(f->scratch);
	free(f);
}

static struct filter *filter_new(const struct fieldset *fs)
{
	struct filter *f = calloc(1, sizeof(*f));
	size_t text = 64;

	if (!f)
		return NULL;
	f->fs = fs;
	render_ctx_init(&f->rc, fs);
	for (size_t i = 0; i < fs->n; i++)
		if (fs->f[i].max_text + 1 > text)
			text = fs->f[i].max_text + 1;
	f->text = malloc(text);
	f->scratch = calloc(1, fs->event_size ? fs->event_size : 1);
	if (!f->text || !f->scratch) {
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
	return -1;
}

static bool parse_number(const struct field *fl, const char *v,
			 struct filter_rule *r)
{
	char *end;

	errno = 0;
	switch (fl->kind) {
	case FK_BOOL:
		if (!strcasecmp(v, "true") || !strcmp(v, "1"))
			r->num = 1;
		else if (!strcasecmp(v, "false") || !strcmp(v, "0"))
			r->num = 0;
		else
			return false;
		r->cmp = CMP_UNSIGNED;
		return true;
	case FK_HEX:
		if (!*v || *v == '-')
			return false;
		r->num = strtoull(v, &end, 16);
		r->cmp = CMP_UNSIGNED;
		return !errno && !*end;
	case FK_FLOAT:
		r->dbl = strtod(v, &end);
		r->cmp = CMP_FLOAT;
		return *v && !*end;
	case FK_SINT:
		r->num = (__u64)strtoll(v, &end, 0);
		r->cmp = CMP_SIGNED;
		return *v && !errno && !*end;
	default:
		if (!*v || *v == '-')
			return false;
		r->num = strtoull(v, &end, 0);
		r->cmp = CMP_UNSIGNED;
		return !errno && !*end;
	}
}

#define REGEX_MAX_LEN 256

static bool is_quantifier(char c)
{
	return c == '*' || c == '+' || c == '?' || c == '{';
}

/*
 * glibc's regcomp() builds an automaton that grows exponentially with
 * stacked quantifiers ("a++++...": gigabytes for two dozen), so refuse
 * those, and very long expressions, before compiling.  Stacking adds no
 * meaning in ERE, so nothing useful is lost.
 */
static const char *regex_too_costly(const char *re)
{
	bool in_bracket = false, after_quant = false;
	size_t len = strlen(re);

	if (len > REGEX_MAX_LEN)
		return "longer than 256 bytes";
	for (size_t i = 0; i < len; i++) {
		char c = re[i];

		if (in_bracket) {
			if (c == ']')
				in_bracket = false;
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
	idx = fieldset_lookup(f->fs, name);
	if (idx < 0)
		return error_set(err, 0, "%s field \"%s\"",
				 idx == -2 ? "ambiguous" : "unknown", name);
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
		const char *why = regex_too_costly(value);
		int rc;

		if (why) {
			free(r.str);
			return error_set(
				err, 0,
				"field %s: regular expression \"%s\": %s", name,
				value, why);
		}
		rc = regcomp(&r.re, value, REG_EXTENDED | REG_NOSUB);

		if (rc) {
			char msg[256];

			regerror(rc, &r.re, msg, sizeof(msg));
			free(r.str);
			return error_set(err, 0,
					 "field %s: bad regular "
					 "expression \"%s\": %s",
					 name, value, msg);
		}
		r.has_re = true;
	} else if (r.field->kind == FK_UINT || r.field->kind == FK_SINT ||
		   r.field->kind == FK_BOOL || r.field->kind == FK_HEX ||
		   r.field->kind == FK_FLOAT) {
		if (!parse_number(r.field, value, &r)) {
			free(r.str);
			return error_set(
				err, 0, "field %s: \"%s\" is not %s", name,
				value,
				r.field->kind == FK_BOOL ? "true or false" :
				r.field->kind == FK_HEX	 ? "a hex number" :
							   "a number");
		}
	}
	{
		struct filter_rule *nr =
			realloc(f->rules, (f->n + 1) * sizeof(*nr));

		if (!nr) {
			free(r.str);
			if (r.has_re)
				regfree(&r.re);
			return error_set(err, ENOMEM, "filter");
		}
		f->rules = nr;
		f->rules[f->n++] = r;
	}
	return 0;
}

int filter_add(struct filter **fp, const struct fieldset *fs, const char *expr,
	       struct error **err)
{
	cleanup_free char *buf = strdup(expr ? expr : "");
	struct filter *f = *fp;
	bool created = false;
	size_t n0;
	char *rule, *w;

	if (!buf)
		return error_set(err, ENOMEM, "filter");
	if (!f) {
		f = filter_new(fs);
		if (!f)
			return error_set(err, ENOMEM, "filter");
		created = true;
	}
	n0 = f->n;
	/* split at unescaped commas, turning "\," into "," in place */
	rule = w = buf;
	for (const char *r = expr;; r++) {
		if (*r == '\\' && r[1] == ',') {
			*w++ = ',';
			r++;
			continue;
		}
		if (*r && *r != ',') {
			*w++ = *r;
			continue;
		}
		*w = '\0';
		if (*trim(rule) && add_rule(f, rule, err) < 0)
			goto fail;
		if (!*r)
			break;
		rule = ++w;
	}
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
		for (size_t i = n0; i < f->n; i++) {
			free(f->rules[i].str);
			if (f->rules[i].has_re)
				regfree(&f->rules[i].re);
		}
		f->n = n0;
	}
	return error_prefix(err, "filter \"%s\"", expr);
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
	const char *p = (const char *)ev + r->field->off;
	double v;

	if (r->field->size == 4) {
		float x;

		memcpy(&x, p, 4);
		v = x;
	} else {
		memcpy(&v, p, 8);
	}
	return v < r->dbl ? -1 : v > r->dbl;
}

static bool rule_match(struct filter *f, const struct filter_rule *r,
		       const void *ev)
{
	int c;

	if (r->op == OP_RE || r->op == OP_NRE) {
		field_text(&f->rc, r->field, ev, f->text);
		c = regexec(&r->re, f->text, 0, NULL, 0) == 0;
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
	default:
		field_text(&f->rc, r->field, ev, f->text);
		c = strcmp(f->text, r->str);
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

bool filter_match(struct filter *f, const void *event, size_t size)
{
	const void *ev = event;

	if (!f)
		return true;
	if (size < f->fs->event_size) {
		memset(f->scratch, 0, f->fs->event_size);
		memcpy(f->scratch, event, size);
		ev = f->scratch;
	}
	for (size_t i = 0; i < f->n; i++)
		if (!rule_match(f, &f->rules[i], ev))
			return false;
	return true;
}
