// SPDX-License-Identifier: Apache-2.0
/*
 * Metrics from hostile gadget.yaml annotations (runner/engine/metrics.c):
 * the input is a gadget.yaml whose data source "dns" describes the unit
 * tests' trace_dns-like event.  Whatever it says, checking and building
 * must not crash; once built, events (names taken from the input, so that
 * labels hold quotes, backslashes and newlines) are counted into at most 4
 * series and both expositions must be well formed: every sample line is
 * NAME{LABEL="VALUE",...} NUMBER with each value's quotes and backslashes
 * escaped, and rendering twice gives the same text.
 */
#include "../unit/fixture_event.h"
#include "metadata/metadata.h"
#include "runner/engine/fields.h"
#include "runner/engine/metrics.h"
#include "fuzz.h"

#define MAX_SERIES 4

static struct btf *btf;
static int event_id;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct fx_types t;

	(void)argc;
	(void)argv;
	btf = btf__new_empty();
	event_id = fx_build(btf, &t);
	return 0;
}

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == ':' || (!first && c >= '0' && c <= '9');
}

/* One sample line: NAME[{L="V",...}] VALUE. */
static void check_sample(const char *l, const char *end)
{
	const char *p = l;

	FUZZ_CHECK(name_char(*p, true), "line \"%.*s\"", (int)(end - l), l);
	while (p < end && name_char(*p, false))
		p++;
	if (p < end && *p == '{') {
		p++;
		while (p < end && *p != '}') {
			FUZZ_CHECK(name_char(*p, true), "label in \"%.*s\"",
				   (int)(end - l), l);
			while (p < end && name_char(*p, false))
				p++;
			FUZZ_CHECK(p + 1 < end && p[0] == '=' && p[1] == '"',
				   "\"%.*s\"", (int)(end - l), l);
			for (p += 2; p < end && *p != '"'; p++) {
				if (*p == '\\') {
					p++;
					FUZZ_CHECK(p < end && (*p == '\\' ||
							       *p == '"' ||
							       *p == 'n'),
						   "escape in \"%.*s\"",
						   (int)(end - l), l);
				}
			}
			FUZZ_CHECK(p < end, "unterminated \"%.*s\"",
				   (int)(end - l), l);
			p++;
			if (p < end && *p == ',')
				p++;
		}
		FUZZ_CHECK(p < end, "no } in \"%.*s\"", (int)(end - l), l);
		p++;
	}
	FUZZ_CHECK(p < end && *p == ' ', "no value in \"%.*s\"", (int)(end - l),
		   l);
	p++;
	FUZZ_CHECK(p < end && strcspn(p, " \n") == (size_t)(end - p),
		   "value of \"%.*s\"", (int)(end - l), l);
}

static void check_exposition(const struct mbuf *b)
{
	const char *p = b->p ? b->p : "";

	while (*p) {
		const char *end = strchr(p, '\n');

		FUZZ_CHECK(end, "last line without newline: \"%s\"", p);
		if (*p != '#')
			check_sample(p, end);
		p = end + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gadget_metadata *md = NULL;
	struct fieldset *fs = NULL;
	struct metrics *m = NULL;
	struct error *err = NULL;
	struct fx_event ev;

	if (metadata_parse((const char *)data, size, "f.yaml", &md, &err))
		goto out;
	metrics_check_metadata(md, &err);
	error_free(err);
	err = NULL;
	if (fieldset_new(btf, event_id, md, "dns", &fs, &err) ||
	    metrics_new(fs, md, "dns", "s\"\\\n", MAX_SERIES, &m, &err))
		goto out;
	fx_fill_event(&ev);
	for (size_t i = 0; i < 8; i++) {
		size_t n = size > i * 7 ? size - i * 7 : 0;

		if (n > sizeof(ev.name) - 1)
			n = sizeof(ev.name) - 1;
		memset(ev.name, 0, sizeof(ev.name));
		memcpy(ev.name, data + (size - n), n);
		ev.latency_ns_raw = (__u64)i * 999983;
		ev.qr_raw = i & 1;
		metrics_observe(m, &ev);
	}
	FUZZ_CHECK(metrics_series(m) <= MAX_SERIES, "%zu series",
		   metrics_series(m));
	for (int om = 0; om < 2; om++) {
		struct mbuf a = { 0 }, b = { 0 };

		metrics_render(m, om, &a);
		metrics_render(m, om, &b);
		FUZZ_CHECK(a.len == b.len &&
				   (!a.len || !memcmp(a.p, b.p, a.len)),
			   "two renderings differ");
		if (!a.oom)
			check_exposition(&a);
		mbuf_free(&a);
		mbuf_free(&b);
	}
out:
	error_free(err);
	metrics_free(m);
	fieldset_free(fs);
	metadata_free(md);
	return 0;
}
