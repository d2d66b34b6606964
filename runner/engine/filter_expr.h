/* SPDX-License-Identifier: Apache-2.0 */
/*
 * -E/--filter-expr: ig's filter expressions (the expr language,
 * expr-lang.org, over a data source's fields), the part of the language
 * that compares fields: literals (strings "..", '..', `..`, numbers,
 * true, false), arrays [a, b], fields by dotted name, ==, !=, <, <=, >,
 * >=, in, matches (RE2, filter_regex.h), contains, startsWith, endsWith
 * (each also after "not"), "in cidr("10.0.0.0/8", ...)", not, !, and,
 * &&, or, ||, parentheses and "let NAME = VALUE; EXPR".  The rest of the
 * language (arithmetic, ternaries, other functions, ...) is refused by
 * name.  Types are checked once, as expr checks them: a field reads as
 * ig's datasource gives it (integers and floats as numbers, bools, and
 * the rest, formatted values among them, as text); the whole expression
 * must be a bool.
 */
#ifndef RUNNER_FILTER_EXPR_H
#define RUNNER_FILTER_EXPR_H

#include <stdbool.h>

#include "common/error.h"

struct fieldset;
struct filter_expr;

/* Compile text over the fields of fs (which must outlive it); a usage
 * error names what is wrong and where (its byte offset). */
int filter_expr_new(const struct fieldset *fs, const char *text,
		    struct filter_expr **out, struct error **err);
/* Is the expression true for the event (a whole record)?  What ig would
 * fail to evaluate (an address that is not one, for cidr) is false, as ig
 * drops the event. */
bool filter_expr_match(struct filter_expr *e, const void *ev);
/* Events for which one of its "matches" or more reached the regular
 * expressions' limits (filter_regex.h): each taken as not matching. */
unsigned long long filter_expr_gave_up(const struct filter_expr *e);
void filter_expr_free(struct filter_expr *e);

#endif
