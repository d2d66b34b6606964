// SPDX-License-Identifier: Apache-2.0
/*
 * Typed -F values (runner/engine/filter_value.c): durations with units and
 * RFC 3339 times.  Whatever parses must mean one number: the same number
 * written back in plain units ("<ns>ns", "<s>.<frac>s", "...Z") parses to
 * it again, and a duration never passes 2^64-1 ns.
 */
#include <inttypes.h>
#include <time.h>

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
	check_time(s);
	free(s);
	return 0;
}
