// SPDX-License-Identifier: Apache-2.0
/*
 * Columns: the cells kept per small value of enum, one-of, protocol and
 * boolean columns (output_columns.c) against the text fitted for each
 * event, byte for byte: every small value of every field, random events,
 * and after the terminal width changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner/engine/output_internal.h"
#include "fields_fx.h"

/* The line with the cells, and the line without them. */
static void assert_same(struct output *o, const void *ev)
{
	size_t size = o->max_event + 64, na, nb;
	char *a = calloc(1, size), *b = calloc(1, size);
	struct col_tab *kept = o->ctab;

	na = output_render_columns(o, ev, a);
	o->ctab = NULL;
	nb = output_render_columns(o, ev, b);
	o->ctab = kept;
	assert_true(na <= o->max_event);
	a[na] = b[nb] = '\0';
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static struct output *columns_output(struct fx *x, int width)
{
	struct output *o = NULL;
	struct error *err = NULL;
	int fd = open("/dev/null", O_WRONLY);
	size_t cells = 0;

	assert_true(fd >= 0);
	if (output_new(x->fs, OUTPUT_COLUMNS, fd, &o, &err))
		fail_msg("%s", error_msg(err));
	if (width)
		output_set_term_width(o, width);
	assert_non_null(o->ctab);
	for (size_t k = 0; k < x->fs->n_cols; k++)
		cells += o->ctab[k].on;
	assert_true(width || cells >= 1); /* the shortcut is taken */
	return o;
}

static void check_events(struct fx *x, struct output *o)
{
	assert_same(o, &x->ev);
	fx_each_small_value(x, o, assert_same);
	fx_random_events(o, 1000, 3, assert_same);
}

static void cells__values_and_random__as_fitted(void **state)
{
	struct fx *x = *state;
	struct output *o = columns_output(x, 0);
	int fd = o->fd;

	check_events(x, o);
	output_free(o);
	close(fd);
}

/* Narrow terminals cut and drop columns: the cells follow. */
static void cells__terminal_widths__as_fitted(void **state)
{
	static const int widths[] = { 200, 80, 40, 20 };
	struct fx *x = *state;

	for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
		struct output *o = columns_output(x, widths[w]);
		int fd = o->fd;

		check_events(x, o);
		output_free(o);
		close(fd);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(cells__values_and_random__as_fitted),
		T(cells__terminal_widths__as_fitted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
