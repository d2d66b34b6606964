// SPDX-License-Identifier: Apache-2.0
/*
 * ig's filter expressions (-E): a recursive-descent parser of the expr
 * language's comparisons into a tree, checked for types once, evaluated
 * per event without allocating.  Precedence as expr's: or < and <
 * comparisons (==, !=, <, <=, >, >=, in, matches, contains, startsWith,
 * endsWith) < not.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/goparse.h"
#include "common/utf8.h"
#include "runner/engine/fields_internal.h"
#include "runner/engine/filter_expr.h"
#include "runner/engine/filter_regex.h"

/* Bounds of an expression: its length, nesting, names bound by let. */
#define EXPR_MAX_LEN 4096
#define EXPR_MAX_DEPTH 64
#define EXPR_MAX_LETS 32

enum vtype { T_BOOL, T_NUM, T_STR, T_ARRAY, T_CIDR };

static const char *const type_names[] = { "bool", "number", "string", "array",
					  "cidr" };

enum node_kind {
	N_LIT,
	N_FIELD,
	N_ARRAY,
	N_CIDR,
	N_NOT,
	N_AND,
	N_OR,
	N_CMP, /* op: OP_EQ ... OP_GE */
	N_IN,
	N_MATCHES,
	N_CONTAINS,
	N_STARTS,
	N_ENDS,
};

enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct num {
	bool is_float;
	__int128 i;
	double d;
};

struct cidr {
	int family; /* AF_INET, AF_INET6 */
	unsigned char addr[16];
	unsigned int bits;
};

struct node {
	enum node_kind k;
	enum vtype t;
	/* N_LIT */
	bool b;
	struct num n;
	char *s;
	/* N_FIELD */
	const struct field *f;
	enum field_vtype fvt;
	char *buf;
	/* operands; N_ARRAY's items, N_CIDR's prefixes */
	struct node *l, *r;
	struct node **items;
	size_t n_items;
	struct cidr *cidrs;
	size_t n_cidrs;
	enum cmp_op op;
	bool neg; /* "not in", "not matches", ... */
	struct filter_regex *re;
	struct node *next; /* every node, for freeing */
};

struct filter_expr {
	const struct fieldset *fs;
	struct render_ctx rc;
	struct node *root, *all;
	bool gave; /* a "matches" of this event reached the limits */
	unsigned long long gave_up; /* events it did for */
};

struct val {
	enum vtype t;
	bool b;
	struct num n;
	const char *s;
};

/* ---- tokens --------------------------------------------------------- */

enum tok_kind { K_EOF, K_IDENT, K_NUM, K_STR, K_OP };

struct parser {
	struct filter_expr *e;
	const char *text, *p;
	/* the current token */
	enum tok_kind k;
	const char *at; /* where it starts */
	size_t len;
	int depth;
	struct {
		char name[64];
		struct node *value;
	} lets[EXPR_MAX_LETS];
	size_t n_lets;
	struct error **err;
};

static int fail(struct parser *ps, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, const char *at, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_set(ps->err, 0, "at byte %zu: %s",
			 (size_t)(at - ps->text) + 1, msg);
}

static bool is_ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_' || c == '$';
}

static bool is_ident(char c)
{
	return is_ident_start(c) || isdigit((unsigned char)c);
}

/* The next token into ps->k, at, len. */
static int next(struct parser *ps)
{
	static const char *const ops[] = {
		"==", "!=", "<=", ">=", "&&", "||", "??", "..", "**", "?.", "<",
		">",  "!",  "(",  ")",	"[",  "]",  ",",  ";",	"=",  "+",  "-",
		"*",  "/",  "%",  "^",	"?",  ":",  ".",  "|",	"#",  "{",  "}"
	};
	const char *p = ps->p;

	while (isspace((unsigned char)*p))
		p++;
	ps->at = p;
	if (!*p) {
		ps->k = K_EOF;
		ps->len = 0;
		return 0;
	}
	if (is_ident_start(*p)) {
		while (is_ident(*p))
			p++;
		ps->k = K_IDENT;
	} else if (isdigit((unsigned char)*p) ||
		   (*p == '.' && isdigit((unsigned char)p[1]))) {
		/* up to a range's "..": 1..3 is 1, "..", 3 */
		while (isalnum((unsigned char)*p) || *p == '_' ||
		       (*p == '.' && p[1] != '.') ||
		       ((*p == '+' || *p == '-') &&
			(p[-1] == 'e' || p[-1] == 'E') &&
			!(ps->at[0] == '0' &&
			  (ps->at[1] == 'x' || ps->at[1] == 'X'))))
			p++;
		ps->k = K_NUM;
	} else if (*p == '"' || *p == '\'' || *p == '`') {
		char q = *p++;

		while (*p && *p != q)
			p += *p == '\\' && q != '`' && p[1] ? 2 : 1;
		if (!*p)
			return fail(ps, ps->at, "a string without its end");
		p++;
		ps->k = K_STR;
	} else {
		size_t i;

		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (!strncmp(p, ops[i], strlen(ops[i])))
				break;
		if (i == sizeof(ops) / sizeof(ops[0]))
			return fail(ps, p, "unexpected character '%c'", *p);
		/* expr's range (x in 1..3): not a bad number or operand */
		if (!strcmp(ops[i], ".."))
			return fail(ps, p,
				    "the range operator (\"..\") is not "
				    "supported here");
		p += strlen(ops[i]);
		ps->k = K_OP;
	}
	ps->len = (size_t)(p - ps->at);
	ps->p = p;
	return 0;
}

/* Is the current token the operator or word w? */
static bool is(const struct parser *ps, const char *w)
{
	return (ps->k == K_OP || ps->k == K_IDENT) && ps->len == strlen(w) &&
	       !strncmp(ps->at, w, ps->len);
}

static int expect(struct parser *ps, const char *w)
{
	if (!is(ps, w))
		return fail(ps, ps->at, "want \"%s\", not %s%.*s%s", w,
			    ps->k == K_EOF ? "the end" : "\"",
			    (int)(ps->len > 40 ? 40 : ps->len), ps->at,
			    ps->k == K_EOF ? "" : "\"");
	return next(ps);
}

/* ---- nodes ---------------------------------------------------------- */

static struct node *new_node(struct parser *ps, enum node_kind k, enum vtype t)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n) {
		error_set(ps->err, ENOMEM, "filter expression");
		return NULL;
	}
	n->k = k;
	n->t = t;
	n->next = ps->e->all;
	ps->e->all = n;
	return n;
}

static void free_nodes(struct node *n)
{
	while (n) {
		struct node *next = n->next;

		free(n->s);
		free(n->buf);
		free(n->items);
		free(n->cidrs);
		filter_regex_free(n->re);
		free(n);
		n = next;
	}
}

static int hex_digit(char c)
{
	return isdigit((unsigned char)c) ?
		       c - '0' :
	       isxdigit((unsigned char)c) ?
		       tolower((unsigned char)c) - 'a' + 10 :
		       -1;
}

/* The current K_STR token's value, unquoted as Go unquotes it. */
static struct node *string_lit(struct parser *ps)
{
	const char *p = ps->at + 1, *end = ps->at + ps->len - 1;
	struct node *n = new_node(ps, N_LIT, T_STR);
	char *w;

	if (!n || !(n->s = w = malloc(ps->len + 1)))
		return n ? (error_set(ps->err, ENOMEM, "filter expression"),
			    NULL) :
			   NULL;
	while (p < end) {
		static const char esc[] = "abfnrtv\\'\"",
				  val[] = "\a\b\f\n\r\t\v\\'\"";
		const char *bs = p;
		unsigned long cp = 0;
		int digits = 0;

		if (*p != '\\' || ps->at[0] == '`') {
			*w++ = *p++;
			continue;
		}
		p++;
		if (strchr(esc, *p) && *p) {
			*w++ = val[strchr(esc, *p) - esc];
			p++;
			continue;
		}
		digits = *p == 'x' ? 2 : *p == 'u' ? 4 : *p == 'U' ? 8 : 0;
		if (!digits || end - p <= digits) {
			fail(ps, bs, "unknown escape \"\\%c\" in a string", *p);
			return NULL;
		}
		for (int i = 1; i <= digits; i++) {
			int d = hex_digit(p[i]);

			if (d < 0) {
				fail(ps, bs, "bad escape in a string");
				return NULL;
			}
			cp = cp << 4 | (unsigned long)d;
		}
		p += digits + 1;
		if (!cp || (digits > 2 && (cp > 0x10ffff ||
					   (cp >= 0xd800 && cp <= 0xdfff)))) {
			fail(ps, bs, "a NUL or no character in a string");
			return NULL;
		}
		if (digits == 2)
			*w++ = (char)cp; /* a byte, as in Go */
		else
			w += utf8_encode(w, (unsigned int)cp);
	}
	*w = '\0';
	return n;
}

/* The current K_NUM token (negated when neg). */
static struct node *number_lit(struct parser *ps, bool neg)
{
	char digits[64], *end;
	struct node *n;
	size_t k = 0;
	int base = 10;
	bool ok;
	const char *p = ps->at;

	/* a longer one was cut short ("0...01" of 70 digits read as 0) */
	for (size_t i = 0; i < ps->len; i++)
		if (p[i] != '_' && k++ + 1 < sizeof(digits))
			digits[k - 1] = p[i];
	if (k >= sizeof(digits))
		return fail(ps, ps->at, "bad number \"%.*s\"", (int)ps->len,
			    ps->at),
		       NULL;
	digits[k] = '\0';
	n = new_node(ps, N_LIT, T_NUM);
	if (!n)
		return NULL;
	/* expr's ParseInt(v, 0, 64) after a prefix: go_parse_uint()'s base
	 * 0 ("0x0x5" was 5 through strtoull()) */
	if (digits[0] == '0' && strchr("xXoObB", digits[1]) && digits[1])
		base = 0;
	if (base == 10 && strpbrk(digits, ".eE")) {
		errno = 0;
		n->n.is_float = true;
		n->n.d = strtod(digits, &end);
		ok = digits[0] && !*end && !errno;
		if (neg)
			n->n.d = -n->n.d;
	} else {
		unsigned long long v = 0;

		ok = go_parse_uint(digits, base, &v);
		n->n.i = neg ? -(__int128)v : (__int128)v;
	}
	if (!ok)
		return fail(ps, ps->at, "bad number \"%.*s\"", (int)ps->len,
			    ps->at),
		       NULL;
	return n;
}

static struct node *parse_or(struct parser *ps);

/* cidr("10.0.0.0/8", ...) after its name. */
static struct node *cidr_call(struct parser *ps)
{
	struct node *n = new_node(ps, N_CIDR, T_CIDR);

	if (!n || expect(ps, "("))
		return NULL;
	while (!is(ps, ")")) {
		const char *at = ps->at;
		struct node *s;
		struct cidr *c;
		char *slash, *end;
		unsigned long bits;

		if (n->n_cidrs && expect(ps, ","))
			return NULL;
		if (ps->k != K_STR)
			return fail(ps, ps->at, "cidr() takes strings"), NULL;
		if (!(s = string_lit(ps)) || next(ps))
			return NULL;
		c = realloc(n->cidrs, (n->n_cidrs + 1) * sizeof(*c));
		if (!c)
			return error_set(ps->err, ENOMEM, "cidr"), NULL;
		n->cidrs = c;
		c += n->n_cidrs++;
		slash = strchr(s->s, '/');
		if (slash)
			*slash = '\0';
		c->family = strchr(s->s, ':') ? AF_INET6 : AF_INET;
		errno = 0;
		bits = slash ? strtoul(slash + 1, &end, 10) : 0;
		if (!slash || !isdigit((unsigned char)slash[1]) || *end ||
		    bits > (c->family == AF_INET ? 32u : 128u) ||
		    inet_pton(c->family, s->s, c->addr) != 1)
			return fail(ps, at, "cidr(): not an address/bits"),
			       NULL;
		c->bits = (unsigned int)bits;
	}
	if (!n->n_cidrs)
		return fail(ps, ps->at, "cidr() takes one or more"), NULL;
	return next(ps) ? NULL : n;
}

/* A dotted name: a let's name, else a field. */
static struct node *name_ref(struct parser *ps)
{
	char name[256];
	size_t k = 0;
	const char *at = ps->at;
	struct node *n;
	int i;

	for (;;) {
		if (k + ps->len + 2 > sizeof(name))
			return fail(ps, at, "name too long"), NULL;
		memcpy(name + k, ps->at, ps->len);
		k += ps->len;
		name[k] = '\0';
		if (next(ps))
			return NULL;
		if (!is(ps, "."))
			break;
		if (next(ps))
			return NULL;
		if (ps->k != K_IDENT)
			return fail(ps, ps->at, "want a name after \".\""),
			       NULL;
		name[k++] = '.';
	}
	for (size_t j = ps->n_lets; j-- > 0;)
		if (!strcmp(ps->lets[j].name, name))
			return ps->lets[j].value;
	i = fieldset_lookup(ps->e->fs, name);
	if (i < 0)
		return fail(ps, at, "unknown field \"%s\"", name), NULL;
	n = new_node(ps, N_FIELD, T_STR);
	if (!n)
		return NULL;
	n->f = &ps->e->fs->f[i];
	n->fvt = fieldset_value_type(ps->e->fs, (size_t)i);
	switch (n->fvt) {
	case FVT_NONE:
		return fail(ps, at,
			    "field \"%s\" is a struct; name one of its "
			    "members",
			    name),
		       NULL;
	case FVT_BOOL:
		n->t = T_BOOL;
		break;
	case FVT_INT:
	case FVT_FLOAT:
		n->t = T_NUM;
		break;
	case FVT_STRING:
		break;
	}
	n->buf = malloc(fieldset_text_size(ps->e->fs));
	if (!n->buf)
		return error_set(ps->err, ENOMEM, "filter expression"), NULL;
	return n;
}

static bool is_word(const struct parser *ps, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is(ps, words[i]))
			return true;
	return false;
}

static struct node *primary(struct parser *ps)
{
	static const char *const unsupported[] = {
		"nil",	  "len", "all",	     "any",   "none",  "one",
		"filter", "map", "count",    "upper", "lower", "trim",
		"split",  "now", "duration", "date"
	};
	struct node *n;

	if (ps->k == K_STR) {
		n = string_lit(ps);
		return n && !next(ps) ? n : NULL;
	}
	if (ps->k == K_NUM || (is(ps, "-") && isdigit((unsigned char)*ps->p))) {
		bool neg = is(ps, "-");

		if (neg && next(ps))
			return NULL;
		n = number_lit(ps, neg);
		return n && !next(ps) ? n : NULL;
	}
	if (is(ps, "true") || is(ps, "false")) {
		n = new_node(ps, N_LIT, T_BOOL);
		if (n)
			n->b = is(ps, "true");
		return n && !next(ps) ? n : NULL;
	}
	if (is(ps, "(")) {
		if (next(ps) || !(n = parse_or(ps)) || expect(ps, ")"))
			return NULL;
		return n;
	}
	if (is(ps, "[")) {
		n = new_node(ps, N_ARRAY, T_ARRAY);
		if (!n || next(ps))
			return NULL;
		while (!is(ps, "]")) {
			struct node **items, *item;

			if (n->n_items && expect(ps, ","))
				return NULL;
			if (is(ps, "]")) /* a trailing comma */
				break;
			if (!(item = primary(ps)))
				return NULL;
			if (item->k != N_LIT)
				return fail(ps, ps->at,
					    "an array of literals only"),
				       NULL;
			items = realloc(n->items,
					(n->n_items + 1) * sizeof(*items));
			if (!items)
				return error_set(ps->err, ENOMEM, "array"),
				       NULL;
			n->items = items;
			items[n->n_items++] = item;
		}
		return next(ps) ? NULL : n;
	}
	if (is(ps, "cidr") && *ps->p == '(') {
		if (next(ps))
			return NULL;
		return cidr_call(ps);
	}
	if (is_word(ps, unsupported,
		    sizeof(unsupported) / sizeof(*unsupported)))
		return fail(ps, ps->at, "\"%.*s\" is not supported here",
			    (int)ps->len, ps->at),
		       NULL;
	if (ps->k == K_IDENT)
		return name_ref(ps);
	if (ps->k == K_EOF)
		return fail(ps, ps->at, "an expression ends too soon"), NULL;
	return fail(ps, ps->at, "unexpected \"%.*s\"",
		    (int)(ps->len > 40 ? 40 : ps->len), ps->at),
	       NULL;
}

static int want_type(struct parser *ps, const char *at, const struct node *n,
		     enum vtype t, const char *what)
{
	if (n->t == t)
		return 0;
	return fail(ps, at, "%s wants a %s, not a %s", what, type_names[t],
		    type_names[n->t]);
}

static struct node *unary(struct parser *ps)
{
	const char *at = ps->at;
	struct node *n, *a;

	if (!is(ps, "not") && !is(ps, "!"))
		return primary(ps);
	if (++ps->depth > EXPR_MAX_DEPTH)
		return fail(ps, at, "nested too deep"), NULL;
	if (next(ps) || !(a = unary(ps)))
		return NULL;
	ps->depth--;
	if (want_type(ps, at, a, T_BOOL, "not"))
		return NULL;
	n = new_node(ps, N_NOT, T_BOOL);
	if (n)
		n->l = a;
	return n;
}

/* The comparison at ps, if one: its node kind and op. */
static bool cmp_op(struct parser *ps, enum node_kind *k, enum cmp_op *op,
		   bool *neg)
{
	static const struct {
		const char *w;
		enum node_kind k;
		enum cmp_op op;
	} ops[] = {
		{ "==", N_CMP, OP_EQ },
		{ "!=", N_CMP, OP_NE },
		{ "<", N_CMP, OP_LT },
		{ "<=", N_CMP, OP_LE },
		{ ">", N_CMP, OP_GT },
		{ ">=", N_CMP, OP_GE },
		{ "in", N_IN, OP_EQ },
		{ "matches", N_MATCHES, OP_EQ },
		{ "contains", N_CONTAINS, OP_EQ },
		{ "startsWith", N_STARTS, OP_EQ },
		{ "endsWith", N_ENDS, OP_EQ },
	};

	*neg = false;
	if (is(ps, "not")) {
		/* "not in", "not matches", ...: look at the next word */
		const char *p = ps->p;
		size_t n = 0;

		while (isspace((unsigned char)*p))
			p++;
		while (is_ident(p[n]))
			n++;
		for (size_t i = 6; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (strlen(ops[i].w) == n && !strncmp(p, ops[i].w, n)) {
				*neg = true;
				next(ps);
				break;
			}
		if (!*neg)
			return false;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (is(ps, ops[i].w)) {
			*k = ops[i].k;
			*op = ops[i].op;
			return true;
		}
	return false;
}

/* Check the types of comparison n, and compile its regular expression. */
static int check_cmp(struct parser *ps, const char *at, struct node *n)
{
	static const char *const names[] = {
		[N_IN] = "in",
		[N_MATCHES] = "matches",
		[N_CONTAINS] = "contains",
		[N_STARTS] = "startsWith",
		[N_ENDS] = "endsWith",
	};
	char why[256];

	switch (n->k) {
	case N_CMP:
		if (n->l->t != n->r->t || n->l->t > T_STR)
			return fail(ps, at,
				    "invalid operation: mismatched types %s "
				    "and %s",
				    type_names[n->l->t], type_names[n->r->t]);
		if (n->l->t == T_BOOL && n->op != OP_EQ && n->op != OP_NE)
			return fail(ps, at,
				    "invalid operation: a bool is compared "
				    "with == or != only");
		return 0;
	case N_IN:
		if (n->r->t == T_CIDR)
			return want_type(ps, at, n->l, T_STR, "in cidr()");
		if (n->r->t != T_ARRAY)
			return fail(ps, at,
				    "in wants an array or cidr(), not "
				    "a %s",
				    type_names[n->r->t]);
		return n->l->t > T_STR ? fail(ps, at, "in: a %s in an array",
					      type_names[n->l->t]) :
					 0;
	default:
		if (want_type(ps, at, n->l, T_STR, names[n->k]) ||
		    want_type(ps, at, n->r, T_STR, names[n->k]))
			return -1;
		if (n->k != N_MATCHES)
			return 0;
		if (n->r->k != N_LIT)
			return fail(ps, at,
				    "matches wants a literal "
				    "regular expression");
		n->re = filter_regex_new(n->r->s, why, sizeof(why));
		if (!n->re)
			return fail(ps, at, "regular expression \"%s\": %s",
				    n->r->s, why);
		return 0;
	}
}

static struct node *comparison(struct parser *ps)
{
	struct node *l = unary(ps), *n;
	enum node_kind k;
	enum cmp_op op;
	bool neg;

	while (l && cmp_op(ps, &k, &op, &neg)) {
		const char *at = ps->at;

		n = new_node(ps, k, T_BOOL);
		if (!n || next(ps))
			return NULL;
		n->l = l;
		n->op = op;
		n->neg = neg;
		if (!(n->r = unary(ps)) || check_cmp(ps, at, n))
			return NULL;
		l = n;
	}
	return l;
}

static struct node *binary(struct parser *ps, bool is_or)
{
	const char *w1 = is_or ? "or" : "and", *w2 = is_or ? "||" : "&&";
	struct node *l = is_or ? binary(ps, false) : comparison(ps), *n;

	while (l && (is(ps, w1) || is(ps, w2))) {
		const char *at = ps->at;

		n = new_node(ps, is_or ? N_OR : N_AND, T_BOOL);
		if (!n || next(ps))
			return NULL;
		n->l = l;
		n->r = is_or ? binary(ps, false) : comparison(ps);
		if (!n->r || want_type(ps, at, l, T_BOOL, w1) ||
		    want_type(ps, at, n->r, T_BOOL, w1))
			return NULL;
		l = n;
	}
	return l;
}

static struct node *parse_or(struct parser *ps)
{
	struct node *n;

	if (++ps->depth > EXPR_MAX_DEPTH)
		return fail(ps, ps->at, "nested too deep"), NULL;
	n = binary(ps, true);
	ps->depth--;
	return n;
}

/* "let NAME = VALUE;" ... then the expression. */
static struct node *program(struct parser *ps)
{
	while (is(ps, "let")) {
		const char *at;

		if (next(ps))
			return NULL;
		at = ps->at;
		if (ps->k != K_IDENT || ps->len >= sizeof(ps->lets[0].name))
			return fail(ps, at, "let wants a name"), NULL;
		if (ps->n_lets == EXPR_MAX_LETS)
			return fail(ps, at, "more than %d names",
				    EXPR_MAX_LETS),
			       NULL;
		memcpy(ps->lets[ps->n_lets].name, ps->at, ps->len);
		ps->lets[ps->n_lets].name[ps->len] = '\0';
		if (next(ps) || expect(ps, "="))
			return NULL;
		ps->lets[ps->n_lets].value = parse_or(ps);
		if (!ps->lets[ps->n_lets].value || expect(ps, ";"))
			return NULL;
		ps->n_lets++;
	}
	return parse_or(ps);
}

int filter_expr_new(const struct fieldset *fs, const char *text,
		    struct filter_expr **out, struct error **err)
{
	struct filter_expr *e = calloc(1, sizeof(*e));
	struct parser ps = { .e = e, .text = text, .p = text, .err = err };

	if (!e)
		return error_set(err, ENOMEM, "filter expression");
	e->fs = fs;
	render_ctx_init(&e->rc, fs);
	if (strlen(text) > EXPR_MAX_LEN) {
		error_set(err, 0, "longer than %d bytes", EXPR_MAX_LEN);
		goto fail;
	}
	if (next(&ps) || !(e->root = program(&ps)))
		goto fail;
	if (ps.k != K_EOF) {
		fail(&ps, ps.at,
		     is(&ps, "+") || is(&ps, "-") || is(&ps, "*") ||
				     is(&ps, "/") || is(&ps, "%") ||
				     is(&ps, "**") || is(&ps, "^") ?
			     "arithmetic (\"%.*s\") is not supported here" :
			     "unexpected \"%.*s\"",
		     (int)(ps.len > 40 ? 40 : ps.len), ps.at);
		goto fail;
	}
	if (e->root->t != T_BOOL) {
		error_set(err, 0, "expected bool, but got %s",
			  type_names[e->root->t]);
		goto fail;
	}
	*out = e;
	return 0;
fail:
	filter_expr_free(e);
	return -1;
}

unsigned long long filter_expr_gave_up(const struct filter_expr *e)
{
	return e ? e->gave_up : 0;
}

void filter_expr_free(struct filter_expr *e)
{
	if (!e)
		return;
	free_nodes(e->all);
	render_ctx_fini(&e->rc);
	free(e);
}

/* ---- evaluation ----------------------------------------------------- */

static int eval(struct filter_expr *e, const struct node *n, const void *ev,
		struct val *v);

static int field_val(struct filter_expr *e, const struct node *n,
		     const void *ev, struct val *v, bool utf8)
{
	const struct field *f = n->f;

	v->t = n->t;
	switch (n->fvt) {
	case FVT_BOOL:
		if (f->kind == FK_K8S) /* k8s.hostnetwork */
			v->b = !strcmp(field_value_text(&e->rc, f, ev, n->buf,
							false),
				       "true");
		else
			v->b = field_u64(f, ev) != 0;
		return 0;
	case FVT_INT:
		v->n.is_float = false;
		v->n.i = f->is_signed ? (__int128)(__s64)field_u64(f, ev) :
					(__int128)field_u64(f, ev);
		return 0;
	case FVT_FLOAT:
		v->n.is_float = true;
		v->n.d = field_double(f, ev);
		return 0;
	default:
		v->s = field_value_text(&e->rc, f, ev, n->buf, utf8);
		return 0;
	}
}

static int cmp_num(const struct num *a, const struct num *b)
{
	double x, y;

	if (!a->is_float && !b->is_float)
		return a->i < b->i ? -1 : a->i > b->i;
	x = a->is_float ? a->d : (double)a->i;
	y = b->is_float ? b->d : (double)b->i;
	/* NaN: unordered, as Go compares it */
	return x < y ? -1 : x > y ? 1 : x == y ? 0 : 2;
}

/* a OP b of two values of one type (2: unordered). */
static int compare(const struct val *a, const struct val *b)
{
	switch (a->t) {
	case T_BOOL:
		return a->b != b->b;
	case T_NUM:
		return cmp_num(&a->n, &b->n);
	default: {
		int c = strcmp(a->s, b->s);

		return c < 0 ? -1 : c > 0;
	}
	}
}

static bool holds(enum cmp_op op, int c)
{
	switch (op) {
	case OP_EQ:
		return c == 0;
	case OP_NE:
		return c != 0;
	case OP_LT:
		return c == -1;
	case OP_LE:
		return c == -1 || c == 0;
	case OP_GT:
		return c == 1;
	default:
		return c == 1 || c == 0;
	}
}

static bool in_cidrs(const struct node *c, const char *text)
{
	unsigned char a[16];
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(family, text, a) != 1)
		return false;
	/* an IPv4-mapped IPv6 address is its IPv4 one, as in Go */
	if (family == AF_INET6 &&
	    !memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
		memmove(a, a + 12, 4);
		family = AF_INET;
	}
	for (size_t i = 0; i < c->n_cidrs; i++) {
		const struct cidr *p = &c->cidrs[i];
		unsigned int full = p->bits / 8, rest = p->bits % 8;

		if (p->family != family || memcmp(a, p->addr, full))
			continue;
		if (!rest ||
		    !((a[full] ^ p->addr[full]) & (0xff00 >> rest) & 0xff))
			return true;
	}
	return false;
}

static bool str_op(const struct node *n, const char *s, const char *t)
{
	size_t ls = strlen(s), lt = strlen(t);

	switch (n->k) {
	case N_CONTAINS:
		return strstr(s, t) != NULL;
	case N_STARTS:
		return ls >= lt && !memcmp(s, t, lt);
	default:
		return ls >= lt && !memcmp(s + ls - lt, t, lt);
	}
}

/* 0 and *v, or -1 when ig could not evaluate it (the event is dropped). */
static int eval(struct filter_expr *e, const struct node *n, const void *ev,
		struct val *v)
{
	struct val a, b;

	v->t = T_BOOL;
	switch (n->k) {
	case N_LIT:
		*v = (struct val){ n->t, n->b, n->n, n->s };
		return 0;
	case N_FIELD:
		return field_val(e, n, ev, v, false);
	case N_NOT:
		if (eval(e, n->l, ev, &a))
			return -1;
		v->b = !a.b;
		return 0;
	case N_AND:
	case N_OR:
		if (eval(e, n->l, ev, &a))
			return -1;
		if (a.b == (n->k == N_OR)) {
			v->b = a.b;
			return 0;
		}
		return eval(e, n->r, ev, v);
	case N_CMP:
		if (eval(e, n->l, ev, &a) || eval(e, n->r, ev, &b))
			return -1;
		v->b = holds(n->op, compare(&a, &b));
		return 0;
	case N_IN:
		if (eval(e, n->l, ev, &a))
			return -1;
		if (n->r->k == N_CIDR) {
			v->b = in_cidrs(n->r, a.s) != n->neg;
			return 0;
		}
		v->b = false;
		for (size_t i = 0; i < n->r->n_items && !v->b; i++) {
			if (eval(e, n->r->items[i], ev, &b))
				return -1;
			v->b = a.t == b.t && !compare(&a, &b);
		}
		v->b = v->b != n->neg;
		return 0;
	case N_MATCHES: {
		unsigned long long before = filter_regex_gave_up(n->re);

		if (n->l->k == N_FIELD)
			field_val(e, n->l, ev, &a, true);
		else if (eval(e, n->l, ev, &a))
			return -1;
		v->b = filter_regex_match(n->re, a.s) != n->neg;
		e->gave |= filter_regex_gave_up(n->re) != before;
		return 0;
	}
	case N_CONTAINS:
	case N_STARTS:
	case N_ENDS:
		if (eval(e, n->l, ev, &a) || eval(e, n->r, ev, &b))
			return -1;
		v->b = str_op(n, a.s, b.s) != n->neg;
		return 0;
	default:
		return -1;
	}
}

bool filter_expr_match(struct filter_expr *e, const void *ev)
{
	struct val v;
	bool yes;

	e->gave = false;
	yes = !eval(e, e->root, ev, &v) && v.b;
	e->gave_up += e->gave;
	return yes;
}
