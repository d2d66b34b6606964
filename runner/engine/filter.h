/* SPDX-License-Identifier: Apache-2.0 */
/*
 * -F/--filter: rules "field OP value" over the fields of one data source.
 * OP is ==, !=, <, <=, >, >=, ~ (POSIX extended regular expression) or !~.
 * A comma joins rules with AND ("\," is a literal comma); every
 * filter_add() ANDs more rules.  Integer fields compare as numbers (hex
 * fields accept 0x.. or bare hex digits), everything else, formatted
 * fields included, compares by the text a column would show.
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
/* Does the raw event (size bytes) pass every rule?  A NULL filter does. */
bool filter_match(struct filter *f, const void *event, size_t size);
void filter_free(struct filter *f);

#endif
