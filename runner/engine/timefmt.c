// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner/engine/timefmt.h"

/* The elements of a Go layout, as Go's time package names them. */
enum std {
	STD_NONE,
	STD_LONG_MONTH, /* January */
	STD_MONTH, /* Jan */
	STD_NUM_MONTH, /* 1 */
	STD_ZERO_MONTH, /* 01 */
	STD_LONG_WEEKDAY, /* Monday */
	STD_WEEKDAY, /* Mon */
	STD_DAY, /* 2 */
	STD_UNDER_DAY, /* _2 */
	STD_ZERO_DAY, /* 02 */
	STD_UNDER_YEARDAY, /* __2 */
	STD_ZERO_YEARDAY, /* 002 */
	STD_HOUR, /* 15 */
	STD_HOUR12, /* 3 */
	STD_ZERO_HOUR12, /* 03 */
	STD_MINUTE, /* 4 */
	STD_ZERO_MINUTE, /* 04 */
	STD_SECOND, /* 5 */
	STD_ZERO_SECOND, /* 05 */
	STD_LONG_YEAR, /* 2006 */
	STD_YEAR, /* 06 */
	STD_PM, /* PM */
	STD_LOWER_PM, /* pm */
	STD_TZ, /* MST */
	STD_ISO_TZ, /* Z07:00 and the rest: Z at UTC, else numeric */
	STD_NUM_TZ, /* -07:00 and the rest */
	STD_FRAC0, /* .000: that many digits */
	STD_FRAC9, /* .999: as many, trailing zeros dropped */
};

struct chunk {
	enum std std;
	size_t len; /* bytes of the layout it takes */
	int digits; /* fractions: how many; zones: 2 hh, 4 hhmm, 6 hhmmss */
	char sep; /* zones: ':' or 0; fractions: '.' or ',' */
};

static const char *const months[] = { "January", "February", "March",
				      "April",	 "May",	     "June",
				      "July",	 "August",   "September",
				      "October", "November", "December" };
static const char *const days[] = { "Sunday",	 "Monday",   "Tuesday",
				    "Wednesday", "Thursday", "Friday",
				    "Saturday" };

static int starts(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

static int lower_next(const char *s)
{
	return *s >= 'a' && *s <= 'z';
}

/* The zones Go knows after a '-' or 'Z', longest first. */
static int zone(const char *s, struct chunk *c, enum std std)
{
	static const struct {
		const char *form; /* after the first character */
		int digits;
		char sep;
	} forms[] = { { "070000", 6, 0 },
		      { "07:00:00", 6, ':' },
		      { "0700", 4, 0 },
		      { "07:00", 4, ':' },
		      { "07", 2, 0 } };

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (starts(s + 1, forms[i].form)) {
			*c = (struct chunk){ std, 1 + strlen(forms[i].form),
					     forms[i].digits, forms[i].sep };
			return 1;
		}
	}
	return 0;
}

/* The element that starts at s, if any (Go's nextStdChunk). */
static int std_at(const char *s, struct chunk *c)
{
	size_t n;

	*c = (struct chunk){ STD_NONE, 1, 0, 0 };
#define IS(p, e) \
	(starts(s, p) ? (*c = (struct chunk){ e, strlen(p), 0, 0 }, 1) : 0)
	switch (*s) {
	case 'J':
		if (IS("January", STD_LONG_MONTH))
			return 1;
		return starts(s, "Jan") && !lower_next(s + 3) &&
		       IS("Jan", STD_MONTH);
	case 'M':
		if (IS("Monday", STD_LONG_WEEKDAY))
			return 1;
		if (starts(s, "Mon") && !lower_next(s + 3))
			return IS("Mon", STD_WEEKDAY);
		return IS("MST", STD_TZ);
	case '0':
		return IS("01", STD_ZERO_MONTH) || IS("02", STD_ZERO_DAY) ||
		       IS("03", STD_ZERO_HOUR12) || IS("04", STD_ZERO_MINUTE) ||
		       IS("05", STD_ZERO_SECOND) || IS("06", STD_YEAR) ||
		       IS("002", STD_ZERO_YEARDAY);
	case '1':
		return IS("15", STD_HOUR) || IS("1", STD_NUM_MONTH);
	case '2':
		return IS("2006", STD_LONG_YEAR) || IS("2", STD_DAY);
	case '_':
		/* "_2006" is a '_' and a year */
		if (starts(s, "_2") && !starts(s, "_2006"))
			return IS("_2", STD_UNDER_DAY);
		return IS("__2", STD_UNDER_YEARDAY);
	case '3':
		return IS("3", STD_HOUR12);
	case '4':
		return IS("4", STD_MINUTE);
	case '5':
		return IS("5", STD_SECOND);
	case 'P':
		return IS("PM", STD_PM);
	case 'p':
		return IS("pm", STD_LOWER_PM);
	case '-':
		return zone(s, c, STD_NUM_TZ);
	case 'Z':
		return zone(s, c, STD_ISO_TZ);
	case '.':
	case ',':
		if (s[1] != '0' && s[1] != '9')
			return 0;
		for (n = 1; s[n] == s[1]; n++)
			;
		if (s[n] >= '0' && s[n] <= '9')
			return 0;
		*c = (struct chunk){ s[1] == '0' ? STD_FRAC0 : STD_FRAC9, n,
				     (int)n - 1, s[0] };
		return 1;
	default:
		return 0;
	}
#undef IS
}

/* v in at least width digits, padded with pad. */
static size_t num(char *buf, long v, int width, char pad)
{
	char tmp[24];
	size_t n = 0, o = 0;

	if (v < 0) {
		buf[o++] = '-';
		v = -v;
	}
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while ((int)n < width) {
		buf[o++] = pad;
		width--;
	}
	while (n)
		buf[o++] = tmp[--n];
	return o;
}

static size_t put(char *buf, const char *s)
{
	size_t n = strlen(s);

	memcpy(buf, s, n);
	return n;
}

/* The offset from UTC as sign, hh, then mm and ss as digits asks. */
static size_t numeric_zone(char *buf, long off, const struct chunk *c)
{
	size_t n = 0;

	buf[n++] = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	n += num(buf + n, off / 3600, 2, '0');
	if (c->digits >= 4) {
		if (c->sep)
			buf[n++] = c->sep;
		n += num(buf + n, off / 60 % 60, 2, '0');
	}
	if (c->digits >= 6) {
		if (c->sep)
			buf[n++] = c->sep;
		n += num(buf + n, off % 60, 2, '0');
	}
	return n;
}

/* Z07:00 and the rest: Z at UTC, else numeric. */
static size_t iso_zone(char *buf, long off, const struct chunk *c)
{
	if (!off) {
		buf[0] = 'Z';
		return 1;
	}
	return numeric_zone(buf, off, c);
}

size_t timefmt_zone_rfc3339(char *buf, long off)
{
	static const struct chunk z07_00 = { STD_ISO_TZ, 6, 4, ':' };

	return iso_zone(buf, off, &z07_00);
}

static size_t fraction(char *buf, long nsec, const struct chunk *c)
{
	char d[9];
	int k = c->digits > 9 ? 9 : c->digits;
	size_t n = 0;

	for (int i = 8; i >= 0; i--) {
		d[i] = (char)('0' + nsec % 10);
		nsec /= 10;
	}
	if (c->std == STD_FRAC9)
		while (k > 0 && d[k - 1] == '0')
			k--;
	if (!k)
		return 0;
	buf[n++] = c->sep;
	memcpy(buf + n, d, (size_t)k);
	return n + (size_t)k;
}

static size_t element(char *buf, const struct chunk *c, const struct tm *tm,
		      long nsec)
{
	int h12 = tm->tm_hour % 12 ? tm->tm_hour % 12 : 12;

	switch (c->std) {
	case STD_LONG_MONTH:
		return put(buf, months[tm->tm_mon % 12]);
	case STD_MONTH:
		memcpy(buf, months[tm->tm_mon % 12], 3);
		return 3;
	case STD_NUM_MONTH:
		return num(buf, tm->tm_mon + 1, 0, '0');
	case STD_ZERO_MONTH:
		return num(buf, tm->tm_mon + 1, 2, '0');
	case STD_LONG_WEEKDAY:
		return put(buf, days[tm->tm_wday % 7]);
	case STD_WEEKDAY:
		memcpy(buf, days[tm->tm_wday % 7], 3);
		return 3;
	case STD_DAY:
		return num(buf, tm->tm_mday, 0, '0');
	case STD_UNDER_DAY:
		return num(buf, tm->tm_mday, 2, ' ');
	case STD_ZERO_DAY:
		return num(buf, tm->tm_mday, 2, '0');
	case STD_UNDER_YEARDAY:
		return num(buf, tm->tm_yday + 1, 3, ' ');
	case STD_ZERO_YEARDAY:
		return num(buf, tm->tm_yday + 1, 3, '0');
	case STD_HOUR:
		return num(buf, tm->tm_hour, 2, '0');
	case STD_HOUR12:
		return num(buf, h12, 0, '0');
	case STD_ZERO_HOUR12:
		return num(buf, h12, 2, '0');
	case STD_MINUTE:
		return num(buf, tm->tm_min, 0, '0');
	case STD_ZERO_MINUTE:
		return num(buf, tm->tm_min, 2, '0');
	case STD_SECOND:
		return num(buf, tm->tm_sec, 0, '0');
	case STD_ZERO_SECOND:
		return num(buf, tm->tm_sec, 2, '0');
	case STD_LONG_YEAR:
		return num(buf, tm->tm_year + 1900L, 4, '0');
	case STD_YEAR:
		return num(buf, (tm->tm_year + 1900L) % 100, 2, '0');
	case STD_PM:
		return put(buf, tm->tm_hour >= 12 ? "PM" : "AM");
	case STD_LOWER_PM:
		return put(buf, tm->tm_hour >= 12 ? "pm" : "am");
	case STD_TZ: /* Go: the zone's name, else -0700; a name within the
		      * TIMEFMT_TEXT_MAX of the three bytes of "MST" */
		if (tm->tm_zone && *tm->tm_zone && strlen(tm->tm_zone) <= 16)
			return put(buf, tm->tm_zone);
		return numeric_zone(buf, tm->tm_gmtoff,
				    &(struct chunk){ STD_NUM_TZ, 0, 4, 0 });
	case STD_ISO_TZ:
		return iso_zone(buf, tm->tm_gmtoff, c);
	case STD_NUM_TZ:
		return numeric_zone(buf, tm->tm_gmtoff, c);
	case STD_FRAC0:
	case STD_FRAC9:
		return fraction(buf, nsec, c);
	case STD_NONE:
		break;
	}
	return 0;
}

/* A piece of a layout: an element, or len bytes copied from off. */
struct piece {
	struct chunk c;
	size_t off;
};

struct timefmt {
	char *layout;
	size_t n;
	struct piece p[];
};

struct timefmt *timefmt_new(const char *layout)
{
	size_t len = strlen(layout), n = 0;
	struct timefmt *tf = calloc(1, sizeof(*tf) + len * sizeof(tf->p[0]));

	if (!tf || !(tf->layout = strdup(layout))) {
		free(tf);
		return NULL;
	}
	for (size_t i = 0; i < len;) {
		struct chunk c;

		if (std_at(layout + i, &c)) {
			tf->p[n++] = (struct piece){ c, i };
		} else if (n && tf->p[n - 1].c.std == STD_NONE) {
			tf->p[n - 1].c.len++; /* the text before goes on */
		} else {
			tf->p[n++] = (struct piece){ c, i };
		}
		i += c.len;
	}
	tf->n = n;
	return tf;
}

size_t timefmt_len(const struct timefmt *tf)
{
	return strlen(tf->layout);
}

void timefmt_free(struct timefmt *tf)
{
	if (!tf)
		return;
	free(tf->layout);
	free(tf);
}

/* Every piece of tf for tm and nsec into buf; with at, the fractions are
 * left out and where each goes is put in at. */
static size_t write_pieces(char *buf, const struct timefmt *tf,
			   const struct tm *tm, long nsec, size_t *at)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < tf->n; i++) {
		const struct piece *p = &tf->p[i];

		if (p->c.std == STD_NONE) {
			memcpy(buf + n, tf->layout + p->off, p->c.len);
			n += p->c.len;
		} else if (at &&
			   (p->c.std == STD_FRAC0 || p->c.std == STD_FRAC9)) {
			at[k++] = n;
		} else {
			n += element(buf + n, &p->c, tm, nsec);
		}
	}
	return n;
}

struct timefmt_entry {
	const struct timefmt *tf; /* NULL: none yet */
	long long sec;
	unsigned long used; /* when last written, in calls */
	size_t len;
	size_t at[TIMEFMT_LAYOUT_MAX]; /* where each fraction goes in text */
	char text[TIMEFMT_TEXT_MAX(TIMEFMT_LAYOUT_MAX)]; /* but fractions */
};

struct timefmt_cache {
	size_t n;
	unsigned long calls;
	struct timefmt_entry e[];
};

struct timefmt_cache *timefmt_cache_new(size_t n)
{
	struct timefmt_cache *c;

	n = n ? n : 1;
	c = calloc(1, sizeof(*c) + n * sizeof(c->e[0]));
	if (c)
		c->n = n;
	return c;
}

void timefmt_cache_free(struct timefmt_cache *c)
{
	free(c);
}

/* tf's entry, else the one written longest ago (a free one first) */
static struct timefmt_entry *cache_entry(struct timefmt_cache *c,
					 const struct timefmt *tf)
{
	struct timefmt_entry *old = &c->e[0];

	for (size_t i = 0; i < c->n; i++) {
		if (c->e[i].tf == tf)
			return &c->e[i];
		if (c->e[i].used < old->used)
			old = &c->e[i];
	}
	return old;
}

static void local_tm(long long sec, struct tm *tm)
{
	time_t t = (time_t)sec;

	if (!localtime_r(&t, tm))
		memset(tm, 0, sizeof(*tm));
}

size_t timefmt_format(char *buf, const struct timefmt *tf,
		      struct timefmt_cache *c, long long sec, long nsec)
{
	size_t n = 0, from = 0, k = 0;
	struct timefmt_entry *e;
	struct tm tm;

	if (!c) {
		local_tm(sec, &tm);
		return write_pieces(buf, tf, &tm, nsec, NULL);
	}
	e = cache_entry(c, tf);
	e->used = ++c->calls;
	if (e->tf != tf || e->sec != sec) {
		local_tm(sec, &tm);
		e->len = write_pieces(e->text, tf, &tm, 0, e->at);
		e->tf = tf;
		e->sec = sec;
	}
	/* the second's text, the fractions of nsec in their places */
	for (size_t i = 0; i < tf->n; i++) {
		const struct chunk *ch = &tf->p[i].c;

		if (ch->std != STD_FRAC0 && ch->std != STD_FRAC9)
			continue;
		memcpy(buf + n, e->text + from, e->at[k] - from);
		n += e->at[k] - from;
		from = e->at[k++];
		n += fraction(buf + n, nsec, ch);
	}
	memcpy(buf + n, e->text + from, e->len - from);
	return n + e->len - from;
}
