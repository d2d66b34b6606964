// SPDX-License-Identifier: Apache-2.0
/*
 * Columns: widths fitted to the terminal, text cut with an ellipsis where
 * the annotations say, padded by alignment; counted in code points.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "runner/engine/column_fit.h"
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

/* How useful a column is on a narrow terminal: the lowest goes first. */
static int column_rank(const struct field *f)
{
	switch (f->kind) {
	case FK_RUNTIME: /* empty where nothing runs in containers */
		return 0;
	case FK_L3EP_LIST:
	case FK_INTARRAY:
	case FK_BYTES:
		return 1;
	case FK_L4EP:
	case FK_L3EP:
	case FK_IPADDR:
		return 2;
	case FK_STRING:
		return 4;
	default:
		return 3;
	}
}

/* A number with a unit: shortened by its fraction, never cut. */
static bool has_unit(const struct field *f)
{
	return f->kind == FK_DURATION ||
	       (f->kind == FK_TIMESTAMP && !f->ts_fmt);
}

/* The way of a memo key of n words. */
static unsigned int memo_hash(const __u64 *key, __u32 n)
{
	__u64 h = 0;

	for (__u32 i = 0; i < n; i++)
		h = (h ^ key[i]) * 0x9E3779B97F4A7C15ULL;
	return (unsigned int)(h >> (64 - COL_MEMO_WAY_BITS));
}

/* Index of the last column shown. */
static size_t last_shown(const struct output *o)
{
	size_t last = 0;

	for (size_t k = 0; k < o->fs->n_cols; k++)
		if (o->width[k] >= 0)
			last = k;
	return last;
}

/* Column k's field has cells by value: its text depends on its own bytes
 * only (and value.shown-if), and the cell on the text only. */
static bool cell_tabulable(const struct field *f)
{
	if (has_unit(f))
		return false;
	if (f->kind == FK_BOOL)
		return output_whole_int(f);
	return output_tabulable(f);
}

/* The cells of values 0..TAB_VALUES-1 of the columns that allow it, as
 * output_render_columns() writes them otherwise; none without memory. */
static void build_cells(struct output *o)
{
	const struct fieldset *fs = o->fs;
	size_t last = last_shown(o), len = 0, cap = 0;
	char *ev = o->scratch;

	free(o->ctab);
	free(o->ctab_text);
	o->ctab_text = NULL;
	o->ctab = calloc(fs->n_cols ? fs->n_cols : 1, sizeof(*o->ctab));
	if (!o->ctab || !ev)
		return;
	for (size_t k = 0; k < fs->n_cols; k++) {
		const struct field *f = &fs->f[fs->cols[k]];
		size_t w = o->width[k] > 0 ? (size_t)o->width[k] : 0;
		size_t one = f->max_text + w + 8;

		if (o->width[k] < 0 || !cell_tabulable(f))
			continue;
		if (len + TAB_VALUES * one > cap) {
			char *t = realloc(o->ctab_text,
					  cap = 2 * (len + TAB_VALUES * one));

			if (!t)
				goto fail;
			o->ctab_text = t;
		}
		for (__u64 v = 0; v < TAB_VALUES; v++) {
			size_t tl;

			memset(ev, 0, fs->event_size);
			output_tab_event(fs, f, ev, v);
			tl = field_text(&o->rc, f, ev, o->text);
			o->ctab[k].off[v] = (__u32)len;
			o->ctab[k].len[v] = (__u32)fit(o->ctab_text + len,
						       o->text, tl, o->width[k],
						       f->align, f->ellipsis,
						       k == last);
			len += o->ctab[k].len[v];
		}
		o->ctab[k].on = true;
	}
	memset(ev, 0, fs->event_size);
	return;
fail:
	free(o->ctab);
	o->ctab = NULL;
	memset(ev, 0, fs->event_size);
}

/* The event bytes [lo, hi) that column field f's text depends on, when
 * that is all it depends on and they are few (*nul: a string longer than
 * COL_MEMO_KEY, its first bytes: they are all when they hold its end). */
static bool memo_span(const struct field *f, __u32 *lo, __u32 *hi, bool *nul)
{
	__u32 a, b;

	*nul = false;
	if (f->shown_if >= 0 || f->bit_size || f->count != 1)
		return false;
	switch (f->kind) {
	case FK_UINT:
	case FK_SINT:
	case FK_HEX:
	case FK_USER: /* idcache keeps a name for the life of the process */
	case FK_GROUP:
		if (!output_whole_int(f))
			return false;
		/* fall through */
	case FK_STRING:
		*lo = f->off;
		*hi = f->off + f->size;
		if (f->kind == FK_STRING && f->size > COL_MEMO_KEY) {
			*hi = f->off + COL_MEMO_KEY;
			*nul = true;
		}
		return f->size > 0;
	case FK_IPADDR:
	case FK_L3EP:
	case FK_L4EP:
		if (!f->ver_size || f->ver_size > 8 || f->port_size > 8)
			return false;
		a = f->addr_off < f->ver_off ? f->addr_off : f->ver_off;
		b = f->addr_off + 16 > f->ver_off + f->ver_size ?
			    f->addr_off + 16 :
			    f->ver_off + f->ver_size;
		if (f->kind == FK_L4EP) {
			if (!f->port_size)
				return false;
			a = a < f->port_off ? a : f->port_off;
			b = b > f->port_off + f->port_size ?
				    b :
				    f->port_off + f->port_size;
		}
		*lo = a;
		*hi = b;
		return true;
	default:
		return false;
	}
}

/* Memos for the visible columns whose text depends on COL_MEMO_KEY event
 * bytes or fewer (their cells as cell_text() writes them); none without
 * memory. */
static void build_memos(struct output *o)
{
	const struct fieldset *fs = o->fs;
	size_t ways = 0, text = 0;
	char *p;

	free(o->cmemo);
	free(o->cmemo_text);
	o->cmemo_text = NULL;
	o->cmemo = calloc(fs->n_cols ? fs->n_cols : 1, sizeof(*o->cmemo));
	if (!o->cmemo)
		return;
	for (size_t k = 0; k < fs->n_cols; k++) {
		const struct field *f = &fs->f[fs->cols[k]];
		struct col_memo *m = &o->cmemo[k];
		size_t w = o->width[k] > 0 ? (size_t)o->width[k] : 0;
		size_t t = f->max_text > w ? f->max_text : w;
		__u32 lo, hi, len;
		bool nul;

		if (o->width[k] < 0 || !memo_span(f, &lo, &hi, &nul))
			continue;
		len = (hi - lo + 7) & ~7U;
		if (len > COL_MEMO_KEY || len > fs->event_size)
			continue;
		if (lo + len > fs->event_size) {
			if (nul) /* the string's end must be in the key */
				continue;
			lo = (__u32)fs->event_size - len;
		}
		m->lo = lo;
		m->key_len = len;
		m->need_nul = nul;
		m->cell_max = t + w + 4;
		ways += COL_MEMO_WAYS;
		text += COL_MEMO_WAYS * m->cell_max;
	}
	/* the ways, then their cells */
	o->cmemo_text =
		calloc(1, ways * sizeof(struct col_memo_way) + text + 1);
	if (!o->cmemo_text) {
		free(o->cmemo);
		o->cmemo = NULL;
		return;
	}
	p = o->cmemo_text + ways * sizeof(struct col_memo_way);
	ways = 0;
	for (size_t k = 0; k < fs->n_cols; k++) {
		struct col_memo *m = &o->cmemo[k];

		if (!m->key_len)
			continue;
		m->way = (struct col_memo_way *)o->cmemo_text + ways;
		ways += COL_MEMO_WAYS;
		for (int i = 0; i < COL_MEMO_WAYS; i++) {
			m->way[i].cell = p;
			p += m->cell_max;
		}
	}
}

/*
 * Widths of the visible columns, fitted to the terminal if there is one:
 * cut, then the least useful dropped (column_fit()).
 */
void output_columns_layout(struct output *o)
{
	const struct fieldset *fs = o->fs;

	for (size_t k = 0; k < fs->n_cols; k++) {
		const struct field *f = &fs->f[fs->cols[k]];
		struct column_spec *c = &o->spec[k];

		c->width = f->width;
		c->minwidth = f->minwidth;
		c->maxwidth = f->maxwidth;
		c->fixed = f->fixed;
		c->rank = column_rank(f);
		c->keep = fs->explicit_selection && f->selected;
		/* "999.99µs": durations below 1s whole, as ig writes
		 * them (longer ones lose digits of their fraction) */
		if (f->kind == FK_DURATION && c->minwidth < 8)
			c->minwidth = c->width < 8 ? c->width : 8;
	}
	column_fit(o->spec, fs->n_cols, o->term_width, o->width);
	build_cells(o);
	build_memos(o);
}

size_t output_columns_max_event(const struct output *o)
{
	size_t n = 2;

	for (size_t k = 0; k < o->fs->n_cols; k++) {
		const struct field *f = &o->fs->f[o->fs->cols[k]];
		size_t w = o->width[k] > 0 ? (size_t)o->width[k] : 0;
		size_t t = f->max_text > w ? f->max_text : w;

		if (o->width[k] < 0)
			continue;
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
	size_t n = 0, last = last_shown(o);

	for (size_t k = 0; k < fs->n_cols; k++) {
		const struct field *f = &fs->f[fs->cols[k]];

		if (o->width[k] < 0)
			continue;
		if (n)
			out[n++] = ' ';
		n += fit(out + n, f->title, strlen(f->title), o->width[k],
			 f->align, ELLIPSIS_END, k == last);
	}
	out[n++] = '\n';
	return n;
}

/* Column k's cell for ev, field f, without its tables and memo. */
static size_t cell_text(struct output *o, size_t k, const struct field *f,
			const void *ev, char *out, bool last)
{
	size_t tl = field_text(&o->rc, f, ev, o->text);

	if (has_unit(f)) {
		/* shorter by its fraction; longer than the column rather
		 * than without its unit */
		size_t cps;

		tl = column_trim_fraction(o->text, tl, o->width[k]);
		cps = cp_count(o->text, tl);
		return fit(out, o->text, tl,
			   (int)cps > o->width[k] ? (int)cps : o->width[k],
			   f->align, f->ellipsis, last);
	}
	return fit(out, o->text, tl, o->width[k], f->align, f->ellipsis, last);
}

/* Column k's cell from its memo, else written and kept. */
static size_t cell_memo(struct output *o, size_t k, const struct field *f,
			const void *ev, char *out, bool last)
{
	struct col_memo *m = &o->cmemo[k];
	__u64 key[COL_MEMO_KEY / 8], d = 0;
	struct col_memo_way *w;
	__u32 words = m->key_len / 8;
	size_t n;

	memcpy(key, (const char *)ev + m->lo, m->key_len);
	w = &m->way[memo_hash(key, words)];
	for (__u32 i = 0; i < words; i++)
		d |= key[i] ^ w->key[i];
	if (w->len && !d) {
		memcpy(out, w->cell, w->len);
		return w->len;
	}
	n = cell_text(o, k, f, ev, out, last);
	if (n && n <= m->cell_max &&
	    (!m->need_nul || memchr(key, 0, m->key_len))) {
		memcpy(w->key, key, m->key_len);
		memcpy(w->cell, out, n);
		w->len = (__u32)n;
	}
	return n;
}

size_t output_render_columns(struct output *o, const void *ev, char *out)
{
	const struct fieldset *fs = o->fs;
	size_t n = 0, last = last_shown(o);

	for (size_t k = 0; k < fs->n_cols; k++) {
		const struct field *f = &fs->f[fs->cols[k]];

		if (o->width[k] < 0)
			continue;
		if (n)
			out[n++] = ' ';
		if (o->ctab && o->ctab[k].on) {
			__u64 v = field_load_uint((const char *)ev + f->off,
						  f->size);

			if (v < TAB_VALUES &&
			    (f->kind == FK_BOOL || f->shown_if < 0 ||
			     field_shown(fs, f, ev))) {
				memcpy(out + n,
				       o->ctab_text + o->ctab[k].off[v],
				       o->ctab[k].len[v]);
				n += o->ctab[k].len[v];
				continue;
			}
		}
		if (o->cmemo && o->cmemo[k].key_len)
			n += cell_memo(o, k, f, ev, out + n, k == last);
		else
			n += cell_text(o, k, f, ev, out + n, k == last);
	}
	out[n++] = '\n';
	return n;
}
