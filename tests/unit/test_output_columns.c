// SPDX-License-Identifier: Apache-2.0
/*
 * Columns: the cells kept per small value of enum, one-of, protocol and
 * boolean columns, and the last cells kept per column of numbers, strings
 * and addresses (output_columns.c), against the text fitted for each
 * event, byte for byte: every small value of every field, random events,
 * events that repeat with a few bytes changed, and after the terminal
 * width changes.
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

/* The line with the cells and memos, and the line without them. */
static void assert_same(struct output *o, const void *ev)
{
	size_t size = o->max_event + 64, na, nb;
	char *a = calloc(1, size), *b = calloc(1, size);
	struct col_tab *kept = o->ctab;
	struct col_memo *memo = o->cmemo;

	na = output_render_columns(o, ev, a);
	o->ctab = NULL;
	o->cmemo = NULL;
	nb = output_render_columns(o, ev, b);
	o->ctab = kept;
	o->cmemo = memo;
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

/* Columns with a memo, and the ways in use. */
static size_t memo_ways(const struct output *o, size_t *cols)
{
	size_t used = 0;

	*cols = 0;
	for (size_t k = 0; o->cmemo && k < o->fs->n_cols; k++) {
		if (!o->cmemo[k].key_len)
			continue;
		(*cols)++;
		for (int i = 0; i < COL_MEMO_WAYS; i++)
			used += o->cmemo[k].way[i].len > 0;
	}
	return used;
}

/* Three events, each seen again and again with 0-3 bytes changed
 * anywhere: the line as fitted each time, kept cells or not. */
static void memo__repeated_keys__as_fitted(void **state)
{
	struct fx *x = *state;
	struct output *o = columns_output(x, 0);
	int fd = o->fd;
	size_t cols;

	assert_true(memo_ways(o, &cols) == 0 && cols >= 3);
	fx_repeated_events(o, 20000, 7, assert_same);
	assert_true(memo_ways(o, &cols) >= cols);
	output_free(o);
	close(fd);
}

/* A cell kept for an event is what the next line with its bytes shows
 * (a kept cell changed by hand shows). */
static void memo__kept_cell__used(void **state)
{
	struct fx *x = *state;
	struct output *o = columns_output(x, 0);
	int fd = o->fd;
	char *a = calloc(1, o->max_event + 64), *b;
	size_t na, poked = 0;

	b = calloc(1, o->max_event + 64);
	na = output_render_columns(o, &x->ev, a);
	for (size_t k = 0; k < x->fs->n_cols; k++) {
		for (int i = 0; o->cmemo[k].key_len && i < COL_MEMO_WAYS; i++) {
			struct col_memo_way *w = &o->cmemo[k].way[i];

			if (w->len)
				w->cell[0] = '#', poked++;
		}
	}
	assert_true(poked >= 3);
	assert_int_equal(output_render_columns(o, &x->ev, b), na);
	a[na] = b[na] = '\0';
	assert_string_not_equal(a, b);
	assert_null(strchr(a, '#'));
	for (size_t i = 0, hashes = 0; i <= na; i++) {
		hashes += b[i] == '#';
		if (i == na)
			assert_int_equal(hashes, poked);
	}
	free(a);
	free(b);
	output_free(o);
	close(fd);
}

/* A string longer than its key (here: the name's first 16 bytes) is
 * kept only when it ends within them: two names alike in their first 16
 * bytes still show each its own. */
static void memo__long_string__kept_when_it_ends(void **state)
{
	static const char *const names[] = {
		"abcdefghijklmnopQ.",
		"abcdefghijklmnopR.",
		"short.",
		"abcdefghijklmnopQ.",
		"short.",
		"abcdefghijklmno",
	};
	struct fx *x = *state;
	struct output *o = columns_output(x, 0);
	int fd = o->fd;
	struct col_memo *m = NULL;
	struct fx_event ev = x->ev;
	size_t kept = 0, cols;

	for (size_t k = 0; k < x->fs->n_cols; k++)
		if (!strcmp(x->fs->f[x->fs->cols[k]].key, "name"))
			m = &o->cmemo[k];
	assert_non_null(m);
	assert_int_equal(m->key_len, sizeof(ev.name));
	m->key_len = 16;
	m->need_nul = true;
	for (int r = 0; r < 3; r++) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			memset(ev.name, 0, sizeof(ev.name));
			strcpy(ev.name, names[i]);
			assert_same(o, &ev);
		}
	}
	for (int i = 0; i < COL_MEMO_WAYS; i++)
		kept += m->way[i].len > 0;
	assert_int_equal(kept, 2); /* "short." and the 15-byte name */
	assert_true(memo_ways(o, &cols) > 0);
	output_free(o);
	close(fd);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(cells__values_and_random__as_fitted),
		T(cells__terminal_widths__as_fitted),
		T(memo__repeated_keys__as_fitted),
		T(memo__kept_cell__used),
		T(memo__long_string__kept_when_it_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
