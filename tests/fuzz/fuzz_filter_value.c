// SPDX-License-Identifier: Apache-2.0
/*
 * Typed -F values (runner/engine/filter_value.c): durations with units,
 * signed ones as Go's time.ParseDuration takes them, and RFC 3339 times;
 * and Go's bools (common/goparse.c).  Whatever parses must mean one
 * number: the same number written back in plain units ("<ns>ns",
 * "<s>.<frac>s", "...Z") parses to it again, a duration never passes
 * 2^64-1 ns, and a signed one is the unsigned one of the text after its
 * sign, refused only past int64.
 */
#include <inttypes.h>
#include <time.h>

#include "common/goparse.h"
#include "runner/engine/filter_value.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static void check_duration(const char *s)
{
	const char *why = NULL;
	uint64_t ns, again;
	char buf[64];

	if (filter_parse_duration(s, &ns, &why)) {
		FUZZ_CHECK(why && *why, "\"%s\" refused without a reason", s);
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64 "ns", ns);
	FUZZ_CHECK(!filter_parse_duration(buf, &again, &why) && again == ns,
		   "\"%s\" = %" PRIu64 "ns, but \"%s\" does not", s, ns, buf);
	snprintf(buf, sizeof(buf), "%" PRIu64 ".%09" PRIu64 "s",
		 ns / 1000000000, ns % 1000000000);
	FUZZ_CHECK(!filter_parse_duration(buf, &again, &why) && again == ns,
		   "\"%s\" = %" PRIu64 "ns, but \"%s\" does not", s, ns, buf);
}

/* Go's time.ParseDuration: an optional sign, then what the unsigned
 * parser takes, within int64 nanoseconds (-2^63 to 2^63 - 1). */
static void check_signed_duration(const char *s)
{
	bool neg = *s == '-';
	const char *why = NULL, *rest = s + (neg || *s == '+');
	bool u_ok;
	uint64_t u;
	int64_t ns;

	u_ok = !filter_parse_duration(rest, &u, &why);
	if (filter_parse_signed_duration(s, &ns, &why)) {
		FUZZ_CHECK(why && *why, "\"%s\" refused without a reason", s);
		FUZZ_CHECK(!u_ok || u > (uint64_t)INT64_MAX + neg,
			   "\"%s\" refused, \"%s\" = %" PRIu64 "ns", s, rest,
			   u);
		return;
	}
	FUZZ_CHECK(u_ok && (neg ? 0 - u : u) == (uint64_t)ns,
		   "\"%s\" = %" PRId64 "ns, \"%s\" another", s, ns, rest);
}

/* Go's strconv.ParseBool: 1, t, T, TRUE, true, True and their falses. */
static void check_bool(const char *s)
{
	bool b = false, again = !b;
	const char *word;

	if (!go_parse_bool(s, &b))
		return;
	FUZZ_CHECK(strlen(s) <= 5 && strchr("1tT0fF", *s),
		   "\"%s\" read as a bool", s);
	FUZZ_CHECK(b == !!strchr("1tT", *s), "\"%s\" read as %d", s, b);
	word = b ? "true" : "false";
	FUZZ_CHECK(go_parse_bool(word, &again) && again == b, "%s", word);
}

static void check_time(const char *s)
{
	const char *why = NULL;
	int64_t ns, again;
	struct tm tm;
	time_t sec;
	char buf[80];
	size_t n;

	if (filter_parse_time(s, &ns, &why)) {
		FUZZ_CHECK(why && *why, "\"%s\" refused without a reason", s);
		return;
	}
	sec = (time_t)(ns / 1000000000);
	if (ns % 1000000000 < 0)
		sec--;
	FUZZ_CHECK(gmtime_r(&sec, &tm), "\"%s\": no calendar time", s);
	n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0 || !n)
		return; /* 4-digit years only */
	snprintf(buf + n, sizeof(buf) - n, ".%09" PRId64 "Z",
		 ((ns % 1000000000) + 1000000000) % 1000000000);
	FUZZ_CHECK(!filter_parse_time(buf, &again, &why) && again == ns,
		   "\"%s\" = %" PRId64 "ns, but \"%s\" is not", s, ns, buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size);

	if (!s)
		return 0;
	check_duration(s);
	check_signed_duration(s);
	check_time(s);
	check_bool(s);
	free(s);
	return 0;
}
