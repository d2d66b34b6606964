// SPDX-License-Identifier: Apache-2.0
/*
 * Columns: widths fitted to the terminal, text cut with an ellipsis where
 * the annotations say, padded by alignment; counted in code points.
 */
#include <stdbool.h>
#include <string.h>

#include "runner/engine/fields_internal.h"
#include "runner/engine/output.h"
#include "runner/engine/output_internal.h"

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one column wide */

/* Byte offset of the k-th code point of s[0..n). */
static size_t cp_offset(const char *s, size_t n, size_t k)
{
	size_t i = 0;

	while (i < n && k) {
		i++;
		while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		k--;
	}
	return i;
}

static size_t cp_count(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Fit text into w columns: cut with an ellipsis, pad by alignment. */
static size_t fit(char *out, const char *s, size_t n, int w,
		  enum field_align align, enum field_ellipsis ell, bool last)
{
	size_t cps = cp_count(s, n), o = 0, a, b;

	if (w <= 0)
		return 0;
	if (cps <= (size_t)w) {
		if (align == ALIGN_RIGHT)
			o += output_spaces(out, w - (int)cps);
		memcpy(out + o, s, n);
		o += n;
		if (align == ALIGN_LEFT && !last)
			o += output_spaces(out + o, w - (int)cps);
		return o;
	}
	switch (ell) {
	case ELLIPSIS_NONE:
		a = cp_offset(s, n, w);
		memcpy(out, s, a);
		return a;
	case ELLIPSIS_START:
		b = cp_offset(s, n, cps - (w - 1));
		memcpy(out, ELLIPSIS, 3);
		memcpy(out + 3, s + b, n - b);
		return 3 + n - b;
	case ELLIPSIS_MIDDLE: {
		size_t head = w / 2, tail = w - 1 - head;

		a = cp_offset(s, n, head);
		b = cp_offset(s, n, cps - tail);
		memcpy(out, s, a);
		memcpy(out + a, ELLIPSIS, 3);
		memcpy(out + a + 3, s + b, n - b);
		return a + 3 + n - b;
	}
	case ELLIPSIS_END:
	default:
		a = cp_offset(s, n, w - 1);
		memcpy(out, s, a);
		memcpy(out + a, ELLIPSIS, 3);
		return a + 3;
	}
}

/* Widths of the visible columns, scaled to the terminal if there is one. */
void output_columns_layout(struct output *o)
{
	const struct fieldset *fs = o->fs;
	long total = fs->n_cols ? (long)fs->n_cols - 1 : 0;
	long room = 0, excess;

	for (size_t k = 0; k < fs->n_cols; k++) {
		o->width[k] = fs->f[fs->cols[k]].width;
		total += o->width[k];
	}
	if (o->term_width <= 0)
		return;
	if (total > o->term_width) {
		excess = total - o->term_width;
		for (size_t k = 0; k < fs->n_cols; k++) {
			const struct field *f = &fs->f[fs->cols[k]];

			if (!f->fixed)
				room += o->width[k] - f->minwidth;
		}
		for (size_t k = 0; k < fs->n_cols && room > 0 && excess > 0;
		     k++) {
			const struct field *f = &fs->f[fs->cols[k]];
			long can = f->fixed ? 0 : o->width[k] - f->minwidth;
			long cut = (excess * can + room - 1) / room;

			if (cut > can)
				cut = can;
			o->width[k] -= cut;
			excess -= cut;
			room -= can;
		}
		return;
	}
	/* spare room: widen columns that may grow, up to their maxwidth */
	excess = o->term_width - total;
	for (size_t k = 0; k < fs->n_cols; k++) {
		const struct field *f = &fs->f[fs->cols[k]];

		if (!f->fixed && f->maxwidth > o->width[k])
			room += f->maxwidth - o->width[k];
	}
	for (size_t k = 0; k < fs->n_cols && room > 0 && excess > 0; k++) {
		const struct field *f = &fs->f[fs->cols[k]];
		long can = !f->fixed && f->maxwidth > o->width[k] ?
				   f->maxwidth - o->width[k] :
				   0;
		long add = excess * can / room;

		if (add > can)
			add = can;
		o->width[k] += add;
		excess -= add;
		room -= can;
	}
}

size_t output_columns_max_event(const struct output *o)
{
	size_t n = 2;

	for (size_t k = 0; k < o->fs->n_cols; k++) {
		const struct field *f = &o->fs->f[o->fs->cols[k]];
		size_t w = o->width[k] > 0 ? (size_t)o->width[k] : 0;
		size_t t = f->max_text > w ? f->max_text : w;
		size_t title = strlen(f->title);

		/* padding, or the cut text plus an ellipsis */
		n += (t > title ? t : title) + w + 4;
	}
	return n;
}

/* The column titles, as render_columns() lays out an event. */
size_t output_columns_header(const struct output *o, char *out)
{
	const struct fieldset *fs = o->fs;
	size_t n = 0;

	for (size_t k = 0; k < fs->n_cols; k++) {
		const struct field *f = &fs->f[fs->cols[k]];

		if (k)
			out[n++] = ' ';
		n += fit(out + n, f->title, strlen(f->title), o->width[k],
			 f->align, ELLIPSIS_END, k + 1 == fs->n_cols);
	}
	out[n++] = '\n';
	return n;
}

size_t output_render_columns(struct output *o, const void *ev, char *out)
{
	const struct fieldset *fs = o->fs;
	size_t n = 0;

	for (size_t k = 0; k < fs->n_cols; k++) {
		const struct field *f = &fs->f[fs->cols[k]];
		size_t tl = field_text(&o->rc, f, ev, o->text);

		if (k)
			out[n++] = ' ';
		n += fit(out + n, o->text, tl, o->width[k], f->align,
			 f->ellipsis, k + 1 == fs->n_cols);
	}
	out[n++] = '\n';
	return n;
}
