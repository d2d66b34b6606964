// SPDX-License-Identifier: Apache-2.0
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "runner/engine/filter_value.h"

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	/* longest spelling first: "ms" before "m" */
	{ "ns", 1 },
	{ "us", 1000ULL },
	{ "\xc2\xb5s", 1000ULL }, /* µs, as the columns show it */
	{ "\xce\xbcs", 1000ULL }, /* μs, the Greek letter */
	{ "ms", 1000000ULL },
	{ "s", 1000000000ULL },
	{ "m", 60000000000ULL },
	{ "h", 3600000000000ULL },
};

static bool add_ok(uint64_t *acc, uint64_t v)
{
	if (*acc > UINT64_MAX - v)
		return false;
	*acc += v;
	return true;
}

static bool mul_ok(uint64_t a, uint64_t b, uint64_t *out)
{
	if (b && a > UINT64_MAX / b)
		return false;
	*out = a * b;
	return true;
}

int filter_parse_duration(const char *s, uint64_t *ns, const char **why)
{
	uint64_t total = 0;
	const char *p = s;

	*why = "is not a duration (like 750ns, 1.5ms, 2s, 1m30s)";
	if (!*p)
		return -1;
	/* a bare integer counts nanoseconds */
	if (strspn(p, "0123456789") == strlen(p)) {
		for (; *p; p++)
			if (!mul_ok(total, 10, &total) ||
			    !add_ok(&total, (uint64_t)(*p - '0')))
				goto too_large;
		*ns = total;
		return 0;
	}
	while (*p) {
		const char *ip = p, *fp = NULL;
		size_t ni, nf = 0, ulen = 0;
		uint64_t unit = 0, v = 0, part;

		ni = strspn(ip, "0123456789");
		p += ni;
		if (*p == '.') {
			fp = ++p;
			nf = strspn(fp, "0123456789");
			p += nf;
		}
		if (!ni && !nf)
			return -1;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].name);

			if (!strncmp(p, units[i].name, l) && l > ulen) {
				ulen = l;
				unit = units[i].ns;
			}
		}
		if (!unit)
			return -1;
		p += ulen;
		for (size_t i = 0; i < ni; i++)
			if (!mul_ok(v, 10, &v) ||
			    !add_ok(&v, (uint64_t)(ip[i] - '0')))
				goto too_large;
		if (!mul_ok(v, unit, &part) || !add_ok(&total, part))
			goto too_large;
		/* the fraction, digit by digit, down to the nanosecond */
		for (size_t i = 0; i < nf; i++) {
			unit /= 10;
			if (!unit) {
				if (fp[i] != '0') {
					*why = "is finer than a nanosecond";
					return -1;
				}
				continue;
			}
			if (!add_ok(&total, unit * (uint64_t)(fp[i] - '0')))
				goto too_large;
		}
	}
	*ns = total;
	return 0;
too_large:
	*why = "is too large for a duration in nanoseconds";
	return -1;
}

int filter_parse_signed_duration(const char *s, int64_t *ns, const char **why)
{
	bool neg = *s == '-';
	uint64_t u;

	if (*s == '-' || *s == '+')
		s++;
	if (filter_parse_duration(s, &u, why))
		return -1;
	/* Go's int64 nanoseconds: -2^63 to 2^63 - 1 */
	if (u > (uint64_t)INT64_MAX + neg) {
		*why = "is too large for a duration in nanoseconds";
		return -1;
	}
	*ns = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

/* The days of month mon (1 to 12) of year, Gregorian. */
static int days_in(int mon, int year)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };
	bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);

	return days[mon - 1] + (mon == 2 && leap);
}

static int digits(const char **p, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int filter_parse_time(const char *s, int64_t *ns, const char **why)
{
	struct tm tm = { 0 };
	const char *p = s;
	int year, mon, day, hh, mm, ss, off = 0, oh, om;
	int64_t frac = 0, scale = 100000000;
	bool local = false;
	time_t t;

	*why = "is not a time (like 2026-11-30T16:33:34.5Z or "
	       "2026-11-30T17:33:34+01:00)";
	if (digits(&p, 4, &year) || *p++ != '-' || digits(&p, 2, &mon) ||
	    *p++ != '-' || digits(&p, 2, &day) || (*p != 'T' && *p != 't'))
		return -1;
	p++;
	if (digits(&p, 2, &hh) || *p++ != ':' || digits(&p, 2, &mm) ||
	    *p++ != ':' || digits(&p, 2, &ss))
		return -1;
	/* as Go's time.Parse: no 31st of February, no leap second */
	if (mon < 1 || mon > 12 || day < 1 || day > days_in(mon, year) ||
	    hh > 23 || mm > 59 || ss > 59) {
		*why = "is not a valid date and time";
		return -1;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			if (!scale && *p != '0') {
				*why = "is finer than a nanosecond";
				return -1;
			}
			frac += scale * (*p - '0');
			scale /= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;

		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		off = sign * (oh * 3600 + om * 60);
	} else if (!*p) {
		local = true;
	}
	if (*p)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	tm.tm_isdst = -1;
	t = local ? mktime(&tm) : timegm(&tm);
	if (t == (time_t)-1 && !(year == 1969 && mon == 12 && day == 31)) {
		*why = "is not a valid date and time";
		return -1;
	}
	/* int64 nanoseconds reach from 1677 to 2262; a day of margin for off */
	if (t > INT64_MAX / 1000000000 - 86400 ||
	    t < INT64_MIN / 1000000000 + 86400) {
		*why = "is out of range";
		return -1;
	}
	*ns = ((int64_t)t - off) * 1000000000 + frac;
	return 0;
}
