/* SPDX-License-Identifier: Apache-2.0 */
/*
 * -F/--filter: rules "field OP value" over the fields of one data source.
 * OP is ==, !=, <, <=, >, >=, ~ (a regular expression: filter_regex.h) or !~.
 * A comma joins rules with AND ("\," is a literal comma); every
 * filter_add() ANDs more rules.  Typed fields compare by the number they
 * hold: integers (hex fields accept 0x.. or bare hex digits; a value out
 * of the field's range is an error), booleans, floats, enums and one-of
 * values (by name or number), durations with units ("latency_ns>1ms") and
 * timestamps (RFC 3339).  A typed field that value.shown-if hides has no
 * value: only != passes, and "field==" (empty) matches it.  Strings (a
 * gadget's, a container's, image's or pod's name) compare as the event or
 * the runtime has them, not as columns escape them, as in ig; other
 * fields (addresses, ...) and ~/!~ on them compare the text a column
 * would show.
 */
#ifndef RUNNER_FILTER_H
#define RUNNER_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct fieldset;
struct filter;

/*
 * Parse expr and add its rules to *f (created when *f is NULL).  Fails on
 * an unknown field, a bad operator, a bad number or a bad regular
 * expression: a usage error (exit 2).  fs must outlive *f.
 */
int filter_add(struct filter **f, const struct fieldset *fs, const char *expr,
	       struct error **err);
/*
 * A rule that the text of field matches list as ig's selection flags
 * match (name_list.h, checked by the caller): -c/--containername.  An
 * empty text matches no list, but a container's field (runtime.*) of an
 * event in a container without a name, as the text "" (as
 * container_select_match() says of that container): an event outside
 * containers matches no list.
 */
int filter_add_names(struct filter **f, const struct fieldset *fs,
		     const char *field, const char *list, struct error **err);
/* -E/--filter-expr: text, an expression of ig's (filter_expr.h), ANDed
 * with the other rules of *f; a usage error when it does not compile. */
int filter_add_expr(struct filter **f, const struct fieldset *fs,
		    const char *text, struct error **err);
/* Does fs have the field of every rule of expr (whatever else is wrong)? */
bool filter_fields_known(const struct fieldset *fs, const char *expr);
/* Does the event (a whole record: record_whole()) pass every rule?  A
 * NULL filter does. */
bool filter_match(struct filter *f, const void *event);
/* Events (each once) for which a "~" or "!~" rule of -F (expr false), or
 * a "matches" of -E (expr true), took its text as not matching because
 * the regular expression reached the backtracking limit (filter_regex.h). */
unsigned long long filter_gave_up(const struct filter *f, bool expr);
void filter_free(struct filter *f);

#endif
