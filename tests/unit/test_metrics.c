// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/metrics.c and http_exporter.c: the exposition formats
 * (exact text), label and help escaping, the series cap, histogram
 * buckets, types inferred from typedefs, malformed annotations, --annotate
 * and a scrape over a real socket.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include <cmocka.h>

#include "metadata/metadata.h"
#include "runner/cli/run_metrics.h"
#include "runner/engine/fields_internal.h"
#include "runner/engine/http_exporter.h"
#include "runner/engine/metrics.h"
#include "tests/unit/alloc_fx.h"
#include "fixture_event.h"

struct fx {
	struct btf *btf;
	int id;
	struct gadget_metadata *md;
	struct fieldset *fs;
	struct metrics *m;
	struct fx_event ev;
	struct mbuf out;
};

static const char yaml_dns[] =
	"datasources:\n"
	"  dns:\n"
	"    annotations:\n"
	"      metrics.collect: \"true\"\n"
	"      metrics.implicit-counter.name: msgs\n"
	"      metrics.implicit-counter.description: \"Messages \\\\ seen\\nhere\"\n"
	"    fields:\n"
	"      qr:\n"
	"        annotations:\n"
	"          value.one-of: \"Q, R\"\n"
	"          metrics.type: key\n"
	"      name:\n"
	"        annotations:\n"
	"          metrics.type: key\n"
	"      latency_ns:\n"
	"        annotations:\n"
	"          metrics.type: histogram\n"
	"          metrics.name: latency\n"
	"          metrics.unit: s\n"
	"          metrics.description: How \"long\"\n"
	"          metrics.boundaries: \"0.001, 0.002\"\n"
	"      id:\n"
	"        annotations:\n"
	"          metrics.type: counter\n"
	"          metrics.name: id_sum\n"
	"      delta:\n"
	"        annotations:\n"
	"          metrics.type: gauge\n";

static struct gadget_metadata *md_of(const char *yaml)
{
	struct gadget_metadata *md = NULL;
	struct error *err = NULL;

	if (metadata_parse(yaml, strlen(yaml), "t.yaml", &md, &err))
		fail_msg("%s", error_msg(err));
	return md;
}

/* Metrics of the fixture event with yaml; NULL and *msg on failure. */
static struct metrics *metrics_of(struct fx *x, const char *yaml,
				  size_t max_series, char *msg, size_t len)
{
	struct error *err = NULL;
	struct metrics *m = NULL;

	metrics_free(x->m); /* it reads the fieldset freed here */
	x->m = NULL;
	metadata_free(x->md);
	fieldset_free(x->fs);
	x->md = md_of(yaml);
	if (fieldset_new(x->btf, x->id, x->md, "dns", &x->fs, &err))
		fail_msg("%s", error_msg(err));
	if (metrics_new(x->fs, x->md, "dns", NULL, max_series, &m, &err)) {
		snprintf(msg, len, "%s", error_msg(err));
		error_free(err);
		return NULL;
	}
	return m;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct fx_types t;
	char msg[256];

	x->btf = btf__new_empty();
	x->id = fx_build(x->btf, &t);
	fx_fill_event(&x->ev);
	x->m = metrics_of(x, yaml_dns, 100, msg, sizeof(msg));
	if (!x->m)
		fail_msg("%s", msg);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	metrics_free(x->m);
	fieldset_free(x->fs);
	metadata_free(x->md);
	btf__free(x->btf);
	mbuf_free(&x->out);
	free(x);
	return 0;
}

static const char *render(struct fx *x, bool om)
{
	x->out.len = 0;
	metrics_render(x->m, om, &x->out);
	assert_false(x->out.oom);
	return x->out.p ? x->out.p : "";
}

/* the name's control byte as it is: a label holds any UTF-8 */
#define L "{qr=\"R\",name=\"a\001b.\",otel_scope_name=\"dns\""

static void render__text_format__exact(void **state)
{
	struct fx *x = *state;

	metrics_observe(x->m, &x->ev);
	x->ev.delta = 12;
	x->ev.latency_ns_raw = 2500000;
	metrics_observe(x->m, &x->ev);
	assert_string_equal(render(x, false),
			    "# HELP msgs_total Messages \\\\ seen\\nhere\n"
			    "# TYPE msgs_total counter\n"
			    "msgs_total" L "} 2\n"
			    "# HELP latency_seconds How \"long\"\n"
			    "# TYPE latency_seconds histogram\n"
			    "latency_seconds_bucket" L ",le=\"0.001\"} 0\n"
			    "latency_seconds_bucket" L ",le=\"0.002\"} 1\n"
			    "latency_seconds_bucket" L ",le=\"+Inf\"} 2\n"
			    "latency_seconds_sum" L "} 0.003734567\n"
			    "latency_seconds_count" L "} 2\n"
			    "# TYPE id_sum_total counter\n"
			    "id_sum_total" L "} 6262\n"
			    "# TYPE delta gauge\n"
			    "delta" L "} 12\n");
	assert_int_equal(metrics_series(x->m), 1);
}

static void render__openmetrics__families_le_and_help(void **state)
{
	struct fx *x = *state;
	const char *s;

	metrics_observe(x->m, &x->ev);
	s = render(x, true);
	/* a counter family has no _total; its sample has */
	assert_non_null(strstr(s, "# TYPE msgs counter\n"));
	assert_non_null(strstr(s, "# HELP msgs Messages \\\\ seen\\nhere\n"));
	assert_non_null(strstr(s, "\nmsgs_total" L "} 1\n"));
	assert_non_null(strstr(s, "# HELP latency_seconds How \\\"long\\\"\n"));
	assert_non_null(strstr(s, "# TYPE id_sum counter\n"));
	assert_null(strstr(s, "# EOF")); /* the scrape ends it, once */

	/* le values are floats in OpenMetrics: 1 is 1.0 */
	{
		char msg[256], y[sizeof(yaml_dns) + 16];
		char *p;

		snprintf(y, sizeof(y), "%s", yaml_dns);
		p = strstr(y, "0.001, 0.002");
		memcpy(p, "1, 2.5      ", 12);
		x->m = metrics_of(x, y, 100, msg, sizeof(msg));
		assert_non_null(x->m);
	}
	metrics_observe(x->m, &x->ev);
	s = render(x, true);
	assert_non_null(strstr(s, ",le=\"1.0\"} 1\n"));
	assert_non_null(strstr(s, ",le=\"2.5\"} 1\n"));
	s = render(x, false);
	assert_non_null(strstr(s, ",le=\"1\"} 1\n"));
}

static void escape_label__backslash_quote_newline(void **state)
{
	struct mbuf b = { 0 };
	const char in[] = "a\"b\\c\nd";

	(void)state;
	metrics_escape_label(&b, in, strlen(in));
	assert_string_equal(b.p, "a\\\"b\\\\c\\nd");
	mbuf_free(&b);
}

static void escape_label__event_text_in_a_label(void **state)
{
	struct fx *x = *state;

	strcpy(x->ev.name, "q\"\\.");
	metrics_observe(x->m, &x->ev);
	assert_non_null(strstr(render(x, false),
			       "msgs_total{qr=\"R\",name=\"q\\\"\\\\.\","));
}

/* A gadget's text in a label is the text itself, as ig's exporter has it:
 * a newline byte and the four characters "\x0a" are two label values,
 * and the table printed on a terminal shows them apart, as columns do. */
static void escape_label__newline_byte_and_its_escape_apart(void **state)
{
	struct fx *x = *state;
	struct mbuf b = { 0 };
	const char *s;

	strcpy(x->ev.name, "a\n");
	metrics_observe(x->m, &x->ev);
	strcpy(x->ev.name, "a\\x0a");
	metrics_observe(x->m, &x->ev);
	s = render(x, false);
	assert_non_null(strstr(s, "msgs_total{qr=\"R\",name=\"a\\n\","));
	assert_non_null(strstr(s, "msgs_total{qr=\"R\",name=\"a\\\\x0a\","));
	metrics_table(x->m, &b);
	assert_non_null(strstr(b.p, "\nR\ta\\n\t"));
	assert_non_null(strstr(b.p, "\nR\ta\\\\x0a\t"));
	mbuf_free(&b);
}

/* A text label that holds a backslash is unquoted once, as its series
 * is made: a scrape then allocates nothing for it (it did once per label
 * and line, every scrape). */
static void escape_label__unquoted_once_not_per_scrape(void **state)
{
	static const char yaml[] = "datasources:\n"
				   "  dns:\n"
				   "    annotations:\n"
				   "      metrics.collect: \"true\"\n"
				   "      metrics.implicit-counter.name: msgs\n"
				   "    fields:\n"
				   "      name:\n"
				   "        annotations:\n"
				   "          metrics.type: key\n";
	struct fx *x = *state;
	const char *s;
	char msg[256];

	x->m = metrics_of(x, yaml, 100, msg, sizeof(msg));
	if (!x->m)
		fail_msg("%s", msg);
	strcpy(x->ev.name, "a\nb\x01\xff");
	metrics_observe(x->m, &x->ev);
	metrics_observe(x->m, &x->ev);
	render(x, false); /* the output buffer grown */
	alloc_fail(0);
	s = render(x, false);
	assert_int_equal(alloc_calls, 0);
	/* "a\nb\x01\xff" as columns quote it: its bytes again, the \xff
	 * that is not UTF-8 as U+FFFD, as Go's strconv.Unquote reads it */
	assert_non_null(
		strstr(s, "msgs_total{name=\"a\\nb\001\357\277\275\","));
	assert_non_null(strstr(s, "} 2\n"));
}

static void series_cap__overflow_in_its_own_series(void **state)
{
	struct fx *x = *state;
	const char *names[] = { "x.", "y.", "z.", "x.", "w.", "z." };
	char msg[256];
	const char *s;

	x->m = metrics_of(x, yaml_dns, 2, msg, sizeof(msg));
	assert_non_null(x->m);
	for (size_t i = 0; i < 6; i++) {
		strcpy(x->ev.name, names[i]);
		metrics_observe(x->m, &x->ev);
	}
	assert_int_equal(metrics_series(x->m), 2);
	assert_int_equal(metrics_overflowed(x->m), 3); /* z, w, z */
	s = render(x, false);
	assert_non_null(strstr(s, "msgs_total{qr=\"R\",name=\"x.\","
				  "otel_scope_name=\"dns\"} 2\n"));
	assert_non_null(strstr(s, "msgs_total{qr=\"R\",name=\"y.\","
				  "otel_scope_name=\"dns\"} 1\n"));
	assert_non_null(strstr(s, "msgs_total{otel_metric_overflow=\"true\","
				  "otel_scope_name=\"dns\"} 3\n"));
	assert_null(strstr(s, "name=\"z.\""));
}

static void series__many_key_sets_found_again(void **state)
{
	struct fx *x = *state;
	char msg[256], want[128];
	const char *s;

	x->m = metrics_of(x, yaml_dns, 500, msg, sizeof(msg));
	assert_non_null(x->m);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 500; i++) {
			snprintf(x->ev.name, sizeof(x->ev.name), "n%d.", i);
			metrics_observe(x->m, &x->ev);
		}
	}
	assert_int_equal(metrics_series(x->m), 500);
	assert_int_equal(metrics_overflowed(x->m), 0);
	s = render(x, false);
	snprintf(want, sizeof(want),
		 "msgs_total{qr=\"R\",name=\"n499.\","
		 "otel_scope_name=\"dns\"} 3\n");
	assert_non_null(strstr(s, want));
}

static void histogram__buckets_le_inclusive_and_cumulative(void **state)
{
	struct fx *x = *state;
	const __u64 ns[] = { 1000000, 1000001, 2000000, 3000000, 0 };
	const char *s;

	for (size_t i = 0; i < 5; i++) {
		x->ev.latency_ns_raw = ns[i];
		metrics_observe(x->m, &x->ev);
	}
	s = render(x, false);
	/* 0 and 1 ms are <= 0.001; 1.000001 and 2 ms <= 0.002; 3 ms: +Inf */
	assert_non_null(
		strstr(s, "latency_seconds_bucket" L ",le=\"0.001\"} 2\n"));
	assert_non_null(
		strstr(s, "latency_seconds_bucket" L ",le=\"0.002\"} 4\n"));
	assert_non_null(
		strstr(s, "latency_seconds_bucket" L ",le=\"+Inf\"} 5\n"));
	assert_non_null(strstr(s, "latency_seconds_count" L "} 5\n"));
	assert_non_null(strstr(s, "latency_seconds_sum" L "} 0.007000001\n"));
}

/* A scrape writes each bucket's le without allocating (it allocated a
 * buffer for it once per histogram series, every scrape). */
static void histogram__scrape_allocates_nothing(void **state)
{
	struct fx *x = *state;
	const char *s;

	x->ev.latency_ns_raw = 1500000;
	metrics_observe(x->m, &x->ev);
	for (int om = 0; om < 2; om++) {
		render(x, om); /* the output buffer grown */
		alloc_fail(0);
		s = render(x, om);
		assert_int_equal(alloc_calls, 0);
		/* 1.5 ms: above 0.001, within 0.002 */
		assert_non_null(strstr(s, "latency_seconds_bucket" L
					  ",le=\"0.001\"} 0\n"));
		assert_non_null(strstr(s, "latency_seconds_bucket" L
					  ",le=\"0.002\"} 1\n"));
		assert_non_null(strstr(s, "latency_seconds_bucket" L
					  ",le=\"+Inf\"} 1\n"));
	}
}

/* x->m: a histogram of latency_ns (one boundary, 1) with annotation
 * line ann. */
static void latency_histogram(struct fx *x, const char *ann)
{
	char yaml[512], msg[256];

	snprintf(yaml, sizeof(yaml),
		 "datasources:\n  dns:\n    annotations:\n"
		 "      metrics.collect: \"true\"\n"
		 "    fields:\n      latency_ns:\n        annotations:\n"
		 "          metrics.type: histogram\n"
		 "          metrics.boundaries: \"1\"\n"
		 "          %s\n",
		 ann);
	x->m = metrics_of(x, yaml, 10, msg, sizeof(msg));
	if (!x->m)
		fail_msg("%s", msg);
}

static void histogram__skip_zero(void **state)
{
	struct fx *x = *state;
	const char *s;

	latency_histogram(x, "metrics.skip-zero: \"true\"");
	x->ev.latency_ns_raw = 0;
	metrics_observe(x->m, &x->ev);
	/* nothing observed: no histogram series at all */
	s = render(x, false);
	assert_null(strstr(s, "latency_ns_bucket"));
	x->ev.latency_ns_raw = 7;
	metrics_observe(x->m, &x->ev);
	s = render(x, false);
	assert_non_null(
		strstr(s, "latency_ns_count{otel_scope_name=\"dns\"} 1\n"));
	assert_non_null(
		strstr(s, "latency_ns_bucket{otel_scope_name=\"dns\",le=\"1\"}"
			  " 0\n"));
}

/* metrics.skip-if: an event whose named field is true (tc) is left out
 * of the histogram, the others are counted. */
static void histogram__skip_if(void **state)
{
	struct fx *x = *state;
	const char *s;

	latency_histogram(x, "metrics.skip-if: tc");
	x->ev.tc = true;
	metrics_observe(x->m, &x->ev);
	assert_null(strstr(render(x, false), "latency_ns_count"));
	x->ev.tc = false;
	metrics_observe(x->m, &x->ev);
	s = render(x, false);
	assert_non_null(
		strstr(s, "latency_ns_count{otel_scope_name=\"dns\"} 1\n"));
}

/* Names as OpenTelemetry's Prometheus exporter (ig's) writes them: unit
 * words, "per" units, annotations dropped, "ratio" for gauges of unit 1,
 * runs of other bytes as one '_', "total" last in a counter's name. */
static void names__as_otel_prometheus_exporter(void **state)
{
	static const char *const cases[][4] = {
		/* field, metrics.name, metrics.unit, TYPE line */
		{ "delta", "delta", "1", "delta_ratio gauge" },
		{ "delta", "rx", "By/s", "rx_bytes_per_second gauge" },
		{ "delta", "rx", "{packet}/s", "rx_per_second gauge" },
		{ "delta", "clock", "Hz", "clock_hertz gauge" },
		{ "delta", "up", "d", "up_days gauge" },
		{ "delta", "heap_bytes_max", "By", "heap_bytes_max gauge" },
		{ "delta", "a..b__c", "{x}", "a_b_c gauge" },
		{ "id", "total_bytes", "By/s",
		  "bytes_per_second_total counter" },
		{ "id", "ids", "1", "ids_total counter" },
		{ "id", "9lives", "", "_9lives_total counter" },
	};
	struct fx *x = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[1024], want[128], msg[256];

		snprintf(yaml, sizeof(yaml),
			 "datasources:\n  dns:\n    annotations:\n"
			 "      metrics.collect: \"true\"\n"
			 "    fields:\n      %s:\n        annotations:\n"
			 "          metrics.type: %s\n"
			 "          metrics.name: \"%s\"\n"
			 "          metrics.unit: \"%s\"\n",
			 cases[i][0],
			 strcmp(cases[i][0], "id") ? "gauge" : "counter",
			 cases[i][1], cases[i][2]);
		x->m = metrics_of(x, yaml, 10, msg, sizeof(msg));
		if (!x->m)
			fail_msg("%s: %s", cases[i][1], msg);
		snprintf(want, sizeof(want), "# TYPE %s\n", cases[i][3]);
		if (!strstr(render(x, false), want))
			fail_msg("%s %s: \"%s\" lacks \"%s\"", cases[i][1],
				 cases[i][2], render(x, false), want);
	}
}

/* A name longer than mbuf_printf()'s own buffer: whole lines, with their
 * newlines and tabs (a metrics.unit has no length limit). */
static void render__long_name__whole_lines(void **state)
{
	struct fx *x = *state;
	char unit[601], yaml[1024], want[2048], msg[256];
	struct mbuf b = { 0 };

	memset(unit, 'u', sizeof(unit) - 1);
	unit[sizeof(unit) - 1] = '\0';
	snprintf(yaml, sizeof(yaml),
		 "datasources:\n  dns:\n    annotations:\n"
		 "      metrics.collect: \"true\"\n"
		 "    fields:\n      delta:\n        annotations:\n"
		 "          metrics.type: gauge\n"
		 "          metrics.unit: %s\n",
		 unit);
	x->m = metrics_of(x, yaml, 10, msg, sizeof(msg));
	assert_non_null(x->m);
	metrics_observe(x->m, &x->ev);
	snprintf(want, sizeof(want),
		 "# TYPE delta_%s gauge\n"
		 "delta_%s{otel_scope_name=\"dns\"} -7\n",
		 unit, unit);
	assert_string_equal(render(x, false), want);
	metrics_table(x->m, &b);
	snprintf(want, sizeof(want), "dns: 1 series\ndelta_%s\n-7\n", unit);
	assert_string_equal(b.p, want);
	mbuf_free(&b);
}

static void table__keys_then_values(void **state)
{
	struct fx *x = *state;
	struct mbuf b = { 0 };

	metrics_observe(x->m, &x->ev);
	x->ev.qr_raw = false;
	x->ev.latency_ns_raw = 3000000;
	metrics_observe(x->m, &x->ev);
	metrics_table(x->m, &b);
	assert_string_equal(b.p,
			    "dns: 2 series\n"
			    "qr\tname\tmsgs\tlatency_seconds\tid_sum\tdelta\n"
			    "R\ta\\x01b.\t1\tn=1 mean=0.001234567\t3131\t-7\n"
			    "Q\ta\\x01b.\t1\tn=1 mean=0.003\t3131\t-7\n");
	mbuf_free(&b);
}

/* Two data sources with the same metrics: one family per name (one HELP
 * and TYPE), the samples of both after it, as the text formats want. */
static void render_all__shared_names__one_family_each(void **state)
{
	struct fx *x = *state;
	struct metrics *b = NULL;
	const struct metrics *ms[3];
	struct error *err = NULL;
	const char *s, *p;
	int types = 0;

	if (metrics_new(x->fs, x->md, "dns", "b", 10, &b, &err))
		fail_msg("%s", error_msg(err));
	metrics_observe(x->m, &x->ev);
	metrics_observe(b, &x->ev);
	ms[0] = x->m;
	ms[1] = NULL;
	ms[2] = b;
	assert_int_equal(metrics_check_together(ms, 3, &err), 0);
	x->out.len = 0;
	metrics_render_all(ms, 3, false, &x->out);
	s = x->out.p;
	for (p = s; (p = strstr(p, "# TYPE ")); p++)
		types++;
	assert_int_equal(types, 4); /* msgs, latency, id_sum, delta */
	assert_non_null(strstr(s, "# TYPE msgs_total counter\n"
				  "msgs_total" L "} 1\n"
				  "msgs_total{qr=\"R\",name=\"a\001b.\","
				  "otel_scope_name=\"b\"} 1\n"));
	assert_non_null(strstr(s, "delta" L "} -7\n"
				  "delta{qr=\"R\",name=\"a\001b.\","
				  "otel_scope_name=\"b\"} -7\n"));
	metrics_free(b);
}

/* Metrics that cannot be one scrape: a name of two types, or of two data
 * sources in one scope (their series would be the same). */
static void check_together__type_or_scope_clash(void **state)
{
	struct fx *x = *state;
	struct metrics *b = NULL;
	const struct metrics *ms[2];
	struct error *err = NULL;
	char yaml[512];

	snprintf(yaml, sizeof(yaml),
		 "datasources:\n  dns:\n    annotations:\n"
		 "      metrics.collect: \"true\"\n"
		 "    fields:\n      delta:\n        annotations:\n"
		 "          metrics.type: gauge\n"
		 "          metrics.name: msgs\n");
	{
		struct gadget_metadata *md = md_of(yaml);

		if (metrics_new(x->fs, md, "dns", "b", 10, &b, &err))
			fail_msg("%s", error_msg(err));
		metadata_free(md);
	}
	ms[0] = x->m;
	ms[1] = b;
	assert_int_equal(metrics_check_together(ms, 2, &err), -1);
	assert_string_equal(error_msg(err), "metric msgs: a counter in scope "
					    "dns, a gauge in scope b");
	error_free(err);
	metrics_free(b);
	err = NULL;
	if (metrics_new(x->fs, x->md, "dns", "dns", 10, &b, &err))
		fail_msg("%s", error_msg(err));
	ms[1] = b;
	assert_int_equal(metrics_check_together(ms, 2, &err), -1);
	assert_non_null(
		strstr(error_msg(err), "two data sources in scope dns"));
	error_free(err);
	metrics_free(b);
	/* names of two data sources that meet in the exposition */
	err = NULL;
	{
		struct gadget_metadata *md = md_of(
			"datasources:\n  dns:\n    annotations:\n"
			"      metrics.collect: \"true\"\n"
			"    fields:\n      delta:\n        annotations:\n"
			"          metrics.type: gauge\n"
			"          metrics.name: msgs_total\n");

		if (metrics_new(x->fs, md, "dns", "b", 10, &b, &err))
			fail_msg("%s", error_msg(err));
		metadata_free(md);
	}
	ms[1] = b;
	assert_int_equal(metrics_check_together(ms, 2, &err), -1);
	assert_string_equal(error_msg(err),
			    "metrics msgs of scope dns and msgs_total of scope "
			    "b: both write msgs_total");
	error_free(err);
	metrics_free(b);
}

/* ---- labels --------------------------------------------------------- */

struct lx_event {
	__u32 a_b;
	__u32 a;
	__u32 le;
};

/* "a_b" and "a.b" are both label a_b; "le" belongs to histograms. */
static void labels__collisions_and_reserved(void **state)
{
	static const char *const cases[][2] = {
		{ "      a_b:\n        annotations:\n          metrics.type: key\n"
		  "      a.b:\n        annotations:\n          metrics.type: key\n",
		  "fields a_b and a.b: both are label a_b" },
		{ "      le:\n        annotations:\n          metrics.type: key\n",
		  "field le: label le is reserved" },
	};
	struct btf *btf = btf__new_empty();
	int u32, inner, id;

	(void)state;
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	inner = btf__add_struct(btf, "inner", 4);
	btf__add_field(btf, "b", u32, 0, 0);
	id = btf__add_struct(btf, "lx_event", sizeof(struct lx_event));
	btf__add_field(btf, "a_b", u32, 0, 0);
	btf__add_field(btf, "a", inner, 32, 0);
	btf__add_field(btf, "le", u32, 64, 0);
	for (size_t i = 0; i < 2; i++) {
		char yaml[1024];
		struct gadget_metadata *md;
		struct fieldset *fs = NULL;
		struct metrics *m = NULL;
		struct error *err = NULL;

		snprintf(yaml, sizeof(yaml),
			 "datasources:\n  l:\n    annotations:\n"
			 "      metrics.collect: \"true\"\n"
			 "      metrics.implicit-counter.name: n\n"
			 "    fields:\n%s",
			 cases[i][0]);
		md = md_of(yaml);
		if (fieldset_new(btf, id, md, "l", &fs, &err))
			fail_msg("%s", error_msg(err));
		assert_int_equal(metrics_new(fs, md, "l", NULL, 10, &m, &err),
				 -1);
		if (!strstr(error_msg(err), cases[i][1]))
			fail_msg("\"%s\" lacks \"%s\"", error_msg(err),
				 cases[i][1]);
		error_free(err);
		fieldset_free(fs);
		metadata_free(md);
	}
	btf__free(btf);
}

/* A key's label is its metrics.name when it has one, as in ig (whose
 * GetKeyValueFunc names the attribute so), spelled as OpenTelemetry's
 * exporter spells attribute names: "key_" before a digit, "key" before
 * a single '_'. */
static void labels__metrics_name_renames_a_key(void **state)
{
	static const char *const cases[][2] = {
		{ "who", "who=\"7\"" },
		{ "src.pod-name", "src_pod_name=\"7\"" },
		{ "1st", "key_1st=\"7\"" },
		{ "_x", "key_x=\"7\"" },
		{ "µs", "key_s=\"7\"" },
	};
	struct lx_event ev = { .a_b = 7, .a = 8, .le = 9 };
	struct btf *btf = btf__new_empty();
	int u32, id;

	(void)state;
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	id = btf__add_struct(btf, "lx_event", sizeof(struct lx_event));
	btf__add_field(btf, "a_b", u32, 0, 0);
	btf__add_field(btf, "a", u32, 32, 0);
	btf__add_field(btf, "le", u32, 64, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[1024], want[64];
		struct gadget_metadata *md;
		struct fieldset *fs = NULL;
		struct metrics *m = NULL;
		struct error *err = NULL;
		struct mbuf b = { 0 };

		snprintf(yaml, sizeof(yaml),
			 "datasources:\n  l:\n    annotations:\n"
			 "      metrics.collect: \"true\"\n"
			 "      metrics.implicit-counter.name: n\n"
			 "    fields:\n"
			 "      a_b:\n        annotations:\n"
			 "          metrics.type: key\n"
			 "          metrics.name: \"%s\"\n",
			 cases[i][0]);
		md = md_of(yaml);
		if (fieldset_new(btf, id, md, "l", &fs, &err) ||
		    metrics_new(fs, md, "l", NULL, 10, &m, &err))
			fail_msg("%s: %s", cases[i][0], error_msg(err));
		metrics_observe(m, &ev);
		metrics_render(m, false, &b);
		snprintf(want, sizeof(want), "n_total{%s,", cases[i][1]);
		if (!strstr(b.p, want))
			fail_msg("\"%s\" lacks \"%s\"", b.p, want);
		mbuf_free(&b);
		metrics_free(m);
		fieldset_free(fs);
		metadata_free(md);
	}
	btf__free(btf);
}

/* ---- types from typedefs -------------------------------------------- */

struct tx_event {
	__u32 hits;
	__u32 cpu;
	__u64 depth;
	__u32 slots[4];
};

static void typedefs__counter_gauge_histogram_slots(void **state)
{
	struct btf *btf = btf__new_empty();
	struct gadget_metadata *md =
		md_of("datasources:\n  t:\n    annotations:\n"
		      "      metrics.collect: \"true\"\n"
		      "    fields:\n      cpu:\n        annotations:\n"
		      "          metrics.type: key\n");
	struct tx_event ev = {
		.hits = 5, .cpu = 1, .depth = 9, .slots = { 1, 0, 2, 0 }
	};
	struct fieldset *fs = NULL;
	struct metrics *m = NULL;
	struct error *err = NULL;
	struct mbuf b = { 0 };
	int u32, u64, cnt, gauge, slot, arr, idx, id;

	(void)state;
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	u64 = btf__add_int(btf, "long long unsigned int", 8, 0);
	cnt = btf__add_typedef(btf, "gadget_counter__u32", u32);
	gauge = btf__add_typedef(btf, "gadget_gauge__u64", u64);
	slot = btf__add_typedef(btf, "gadget_histogram_slot__u32", u32);
	idx = u32;
	arr = btf__add_array(btf, idx, slot, 4);
	id = btf__add_struct(btf, "tx_event", sizeof(struct tx_event));
	btf__add_field(btf, "hits", cnt, 8 * offsetof(struct tx_event, hits),
		       0);
	btf__add_field(btf, "cpu", u32, 8 * offsetof(struct tx_event, cpu), 0);
	btf__add_field(btf, "depth", gauge,
		       8 * offsetof(struct tx_event, depth), 0);
	btf__add_field(btf, "slots", arr, 8 * offsetof(struct tx_event, slots),
		       0);
	if (fieldset_new(btf, id, md, "t", &fs, &err) ||
	    metrics_new(fs, md, "t", "tscope", 10, &m, &err))
		fail_msg("%s", error_msg(err));
	metrics_observe(m, &ev);
	ev.depth = 4;
	metrics_observe(m, &ev);
	metrics_render(m, false, &b);
	assert_string_equal(
		b.p,
		"# TYPE hits_total counter\n"
		"hits_total{cpu=\"1\",otel_scope_name=\"tscope\"} 10\n"
		"# TYPE depth gauge\n"
		"depth{cpu=\"1\",otel_scope_name=\"tscope\"} 4\n"
		"# TYPE slots histogram\n"
		"slots_bucket{cpu=\"1\",otel_scope_name=\"tscope\",le=\"1\"} 2\n"
		"slots_bucket{cpu=\"1\",otel_scope_name=\"tscope\",le=\"2\"} 2\n"
		"slots_bucket{cpu=\"1\",otel_scope_name=\"tscope\",le=\"4\"} 6\n"
		"slots_bucket{cpu=\"1\",otel_scope_name=\"tscope\",le=\"8\"} 6\n"
		"slots_bucket{cpu=\"1\",otel_scope_name=\"tscope\",le=\"+Inf\"}"
		" 6\n"
		"slots_sum{cpu=\"1\",otel_scope_name=\"tscope\"} 18\n"
		"slots_count{cpu=\"1\",otel_scope_name=\"tscope\"} 6\n");
	mbuf_free(&b);
	metrics_free(m);
	fieldset_free(fs);
	metadata_free(md);
	btf__free(btf);
}

/* ---- malformed annotations ------------------------------------------ */

static void expect_error(struct fx *x, const char *fields, const char *want)
{
	char yaml[2048], msg[512];
	struct metrics *m;

	snprintf(yaml, sizeof(yaml),
		 "datasources:\n  dns:\n    annotations:\n"
		 "      metrics.collect: \"true\"\n"
		 "      metrics.implicit-counter.name: msgs\n"
		 "    fields:\n%s",
		 fields);
	m = metrics_of(x, yaml, 10, msg, sizeof(msg));
	if (m) {
		metrics_free(m);
		fail_msg("no error for %s", fields);
	}
	if (!strstr(msg, want))
		fail_msg("error \"%s\" lacks \"%s\"", msg, want);
	assert_null(strchr(msg, '\n'));
}

static void malformed__one_line_errors(void **state)
{
	struct fx *x = *state;

	expect_error(x,
		     "      qr:\n        annotations:\n"
		     "          metrics.type: label\n",
		     "field qr: bad value \"label\" of annotation "
		     "metrics.type: want key, counter, gauge or histogram");
	expect_error(x,
		     "      latency_ns:\n        annotations:\n"
		     "          metrics.type: histogram\n"
		     "          metrics.boundaries: \"2,1\"\n",
		     "boundaries must increase");
	expect_error(x,
		     "      latency_ns:\n        annotations:\n"
		     "          metrics.type: histogram\n"
		     "          metrics.boundaries: \"1,x\"\n",
		     "want comma-separated numbers");
	expect_error(x,
		     "      name:\n        annotations:\n"
		     "          metrics.type: counter\n",
		     "field name: a counter must be a number");
	expect_error(x,
		     "      id:\n        annotations:\n"
		     "          metrics.type: counter\n"
		     "          metrics.boundaries: \"1\"\n",
		     "metrics.boundaries on a metric that is not a histogram");
	expect_error(x,
		     "      id:\n        annotations:\n"
		     "          metrics.type: counter\n"
		     "          metrics.name: msgs\n",
		     "two metrics named msgs");
	expect_error(x,
		     "      src:\n        annotations:\n"
		     "          metrics.type: key\n"
		     "      proc:\n        annotations:\n"
		     "          metrics.type: key\n",
		     "field proc: a struct cannot be a metric");
	/* names that meet in the exposition: counter msgs writes
	 * msgs_total, histogram latency_seconds latency_seconds_count */
	expect_error(x,
		     "      delta:\n        annotations:\n"
		     "          metrics.type: gauge\n"
		     "          metrics.name: msgs_total\n",
		     "metrics msgs and msgs_total: both write msgs_total");
	expect_error(x,
		     "      latency_ns:\n        annotations:\n"
		     "          metrics.type: histogram\n"
		     "          metrics.name: lat\n"
		     "      delta:\n        annotations:\n"
		     "          metrics.type: gauge\n"
		     "          metrics.name: lat_count\n",
		     "metrics lat and lat_count: both write lat_count");
	expect_error(x,
		     "      id:\n        annotations:\n"
		     "          metrics.type: counter\n"
		     "          metrics.skip-if: nothere\n",
		     "field id: metrics.skip-if names unknown field "
		     "\"nothere\"");
	expect_error(x,
		     "      id:\n        annotations:\n"
		     "          metrics.type: counter\n"
		     "          metrics.skip-if: name\n",
		     "field id: metrics.skip-if names field \"name\", which "
		     "is not a number or bool");
	expect_error(x,
		     "      id:\n        annotations:\n"
		     "          metrics.type: counter\n"
		     "          metrics.skip-if: \"\"\n",
		     "field id: empty annotation metrics.skip-if");
}

static void malformed__no_values(void **state)
{
	struct fx *x = *state;
	char msg[512];

	assert_null(metrics_of(x,
			       "datasources:\n  dns:\n    annotations:\n"
			       "      metrics.collect: \"true\"\n"
			       "    fields:\n      qr:\n        annotations:\n"
			       "          metrics.type: key\n",
			       10, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "no field is a counter, gauge or "
				    "histogram"));
}

static void check_metadata__without_btf(void **state)
{
	struct gadget_metadata *md =
		md_of("datasources:\n  dns:\n    annotations:\n"
		      "      metrics.print: \"maybe\"\n");
	struct error *err = NULL;

	(void)state;
	assert_int_equal(metrics_check_metadata(md, &err), -1);
	assert_string_equal(
		error_msg(err),
		"data source dns: bad value \"maybe\" of annotation "
		"metrics.print: want true or false");
	error_free(err);
	metadata_free(md);
}

/* ---- --annotate ----------------------------------------------------- */

static void annotate__lists_and_commas_in_values(void **state)
{
	struct gadget_metadata *md = md_of("name: x\n");
	struct run_metrics rm;
	const char *bad = NULL;
	struct error *err = NULL;

	(void)state;
	run_metrics_init(&rm);
	assert_int_equal(run_metrics_option(&rm, RM_OPT_ANNOTATE,
					    "dns:metrics.collect=true,"
					    "dns.runtime.containerName:"
					    "metrics.type=key",
					    &err),
			 0);
	assert_int_equal(run_metrics_option(&rm, RM_OPT_ANNOTATE,
					    "dns.latency_ns:metrics."
					    "boundaries=0.1,0.2,1",
					    &err),
			 0);
	if (run_metrics_annotate(&rm, md, &bad, &err))
		fail_msg("%s", error_msg(err));
	assert_string_equal(
		metadata_ds_annotation(md, "dns", "metrics.collect"), "true");
	assert_string_equal(metadata_field_annotation(md, "dns",
						      "runtime.containerName",
						      "metrics.type"),
			    "key");
	assert_string_equal(metadata_field_annotation(md, "dns", "latency_ns",
						      "metrics.boundaries"),
			    "0.1,0.2,1");
	run_metrics_fini(&rm, false);

	run_metrics_init(&rm);
	run_metrics_option(&rm, RM_OPT_ANNOTATE, "dns:metrics.collect=true",
			   &err);
	run_metrics_option(&rm, RM_OPT_ANNOTATE, "dns.qr=key", &err);
	assert_int_equal(run_metrics_annotate(&rm, md, &bad, &err), 2);
	assert_non_null(strstr(error_msg(err), "want DS:KEY=VALUE"));
	assert_string_equal(bad, "dns.qr=key"); /* the one at fault */
	error_free(err);
	run_metrics_fini(&rm, false);
	metadata_free(md);
}

/* --otel-metrics-print-interval takes what ig's (Go's time.ParseDuration)
 * takes, 25ms at least. */
static void print_interval__go_durations(void **state)
{
	static const struct {
		const char *arg;
		unsigned long ms; /* 0: refused */
	} cases[] = {
		{ "1000ms", 1000 },  { "1.5s", 1500 }, { "1m30s", 90000 },
		{ "1h1m", 3660000 }, { "+2s", 2000 },  { "25000us", 25 },
		{ "25000µs", 25 },   { "10ms", 0 },    { "1s2", 0 },
		{ "-1s", 0 },	     { "", 0 },	       { "25h", 0 },
	};
	struct run_metrics rm;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct error *err = NULL;
		int rc;

		run_metrics_init(&rm);
		rc = run_metrics_option(&rm, RM_OPT_PRINT_INTERVAL,
					cases[i].arg, &err);
		if (rc != (cases[i].ms ? 0 : 2))
			fail_msg("\"%s\": %d", cases[i].arg, rc);
		if (cases[i].ms && rm.print_ms != cases[i].ms)
			fail_msg("\"%s\": %lu ms", cases[i].arg, rm.print_ms);
		error_free(err);
		run_metrics_fini(&rm, false);
	}
}

/* ---- HTTP ----------------------------------------------------------- */

static void render_fixed(void *ctx, bool om, struct mbuf *b)
{
	(void)ctx;
	mbuf_puts(b, om ? "# TYPE a counter\na_total 1\n" : "a_total 1\n");
}

/* The response of h to req, asked over loopback of IP version family. */
static const char *scrape_over(struct http_exporter *h, int family,
			       const char *req)
{
	static char resp[4096];
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(http_exporter_port(h)) };
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6,
				    .sin6_port = sa.sin_port,
				    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	size_t len = 0;
	int fd = socket(family, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (family == AF_INET6)
		assert_int_equal(
			connect(fd, (struct sockaddr *)&sa6, sizeof(sa6)), 0);
	else
		assert_int_equal(
			connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (int i = 0; i < 1000; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		http_exporter_poll(h);
		if (poll(&p, 1, 5) <= 0)
			continue;
		n = read(fd, resp + len, sizeof(resp) - 1 - len);
		if (n <= 0)
			break;
		len += n;
	}
	resp[len] = '\0';
	close(fd);
	return resp;
}

static const char *scrape(struct http_exporter *h, const char *req)
{
	return scrape_over(h, AF_INET, req);
}

static void http__text_openmetrics_404(void **state)
{
	struct http_exporter *h = NULL;
	struct error *err = NULL;
	const char *r;

	(void)state;
	if (http_exporter_new("127.0.0.1:0", render_fixed, NULL, &h, &err))
		fail_msg("%s", error_msg(err));
	assert_true(http_exporter_port(h) > 0);
	r = scrape(h, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_string_equal(r, "HTTP/1.1 200 OK\r\n"
			       "Content-Type: text/plain; version=0.0.4; "
			       "charset=utf-8\r\n"
			       "Content-Length: 10\r\n"
			       "Connection: close\r\n\r\na_total 1\n");
	r = scrape(h,
		   "GET /metrics?x=1 HTTP/1.1\r\naccept: application/"
		   "openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n\r\n");
	assert_non_null(
		strstr(r, "Content-Type: application/openmetrics-text"));
	assert_non_null(
		strstr(r, "\r\n\r\n# TYPE a counter\na_total 1\n# EOF\n"));
	r = scrape(h, "GET / HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, "HTTP/1.1 404 Not Found\r\n"));
	/* a 405 says what is allowed (RFC 9110) */
	r = scrape(h, "POST /metrics HTTP/1.1\r\n\r\n");
	assert_non_null(strstr(r, "HTTP/1.1 405 Method Not Allowed\r\n"));
	assert_non_null(strstr(r, "\r\nAllow: GET, HEAD\r\n"));
	/* lines ended by "\n" alone, as Go's server (ig's) reads them */
	r = scrape(h, "GET /metrics HTTP/1.0\nAccept: application/"
		      "openmetrics-text\n\n");
	assert_non_null(strstr(r, "\r\n\r\n# TYPE a counter\na_total 1\n"));
	r = scrape(h, "GET /metrics HTTP/1.0\r\nHost: x\n\r\n");
	assert_non_null(strstr(r, "\r\n\r\na_total 1\n"));
	/* method and path are the request line's, not the next line's
	 * (fuzz_http_conns): a line without its target is malformed, 400
	 * as Go's server answers */
	r = scrape(h, "HEAD\n /metrics HTTP/1.0\n\n");
	assert_non_null(strstr(r, "HTTP/1.1 400 Bad Request\r\n"));
	r = scrape(h, "GET\r\nX: /metrics\r\n\r\n");
	assert_non_null(strstr(r, "HTTP/1.1 400 Bad Request\r\n"));
	http_exporter_free(h);

	assert_int_equal(http_exporter_new("127.0.0.1:70000", render_fixed,
					   NULL, &h, &err),
			 -1);
	assert_non_null(strstr(error_msg(err), "want HOST:PORT"));
	error_free(err);
}

/* A request head past the limit is answered 431, as Go's server (ig's)
 * answers one past its own, not reset with the rest of it unread. */
static void http__long_head__431_not_a_reset(void **state)
{
	struct http_exporter *h = NULL;
	struct error *err = NULL;
	char req[9100];
	int n;

	(void)state;
	if (http_exporter_new("127.0.0.1:0", render_fixed, NULL, &h, &err))
		fail_msg("%s", error_msg(err));
	n = snprintf(req, sizeof(req), "GET /metrics?q=");
	memset(req + n, 'a', 9000);
	snprintf(req + n + 9000, sizeof(req) - n - 9000, " HTTP/1.1\r\n\r\n");
	assert_non_null(
		strstr(scrape(h, req),
		       "HTTP/1.1 431 Request Header Fields Too Large\r\n"));
	/* the next one is answered as ever */
	assert_non_null(strstr(scrape(h, "GET /metrics HTTP/1.1\r\n\r\n"),
			       "\r\n\r\na_total 1\n"));
	http_exporter_free(h);
}

/* An exporter on a free port of 127.0.0.1, its address in *sa. */
static struct http_exporter *listening(struct sockaddr_in *sa,
				       http_render_fn fn, void *ctx)
{
	struct http_exporter *h = NULL;
	struct error *err = NULL;

	if (http_exporter_new("127.0.0.1:0", fn, ctx, &h, &err))
		fail_msg("%s", error_msg(err));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(http_exporter_port(h));
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return h;
}

/* Clients that connect and say nothing fill every slot: a scrape still
 * gets its answer, in the place of the oldest of them. */
static void http__silent_clients_do_not_keep_a_scraper_out(void **state)
{
	struct http_exporter *h = NULL;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int silent[16];
	char c;

	(void)state;
	h = listening(&sa, render_fixed, NULL);
	for (int i = 0; i < 16; i++) {
		silent[i] = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(silent[i], (struct sockaddr *)&sa,
					 sizeof(sa)),
				 0);
		http_exporter_poll(h);
	}
	assert_non_null(strstr(scrape(h, "GET /metrics HTTP/1.1\r\n\r\n"),
			       "\r\n\r\na_total 1\n"));
	/* the first silent client was closed for it, the last one was not */
	assert_int_equal(read(silent[0], &c, 1), 0);
	assert_int_equal(recv(silent[15], &c, 1, MSG_DONTWAIT), -1);
	for (int i = 0; i < 16; i++)
		close(silent[i]);
	http_exporter_free(h);
}

/* *(size_t *)ctx bytes of comment lines, then a_total 1. */
static void render_sized(void *ctx, bool om, struct mbuf *b)
{
	static const char line[] = "# .............................\n";

	for (size_t n = 0; n < *(size_t *)ctx; n += sizeof(line) - 1)
		mbuf_puts(b, line);
	render_fixed(NULL, om, b);
}

/* Clients that ask and then read nothing of a long answer fill every
 * slot: a scrape still gets its answer, in the place of one of them. */
static void
http__clients_that_do_not_read_do_not_keep_a_scraper_out(void **state)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\n\r\n";
	struct http_exporter *h = NULL;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	size_t size = 4 << 20;
	int small = 4096, hog[16];

	(void)state;
	h = listening(&sa, render_sized, &size);
	for (int i = 0; i < 16; i++) {
		hog[i] = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(hog[i], SOL_SOCKET, SO_RCVBUF, &small,
			   sizeof(small));
		assert_int_equal(
			connect(hog[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(write(hog[i], req, strlen(req)),
				 (ssize_t)strlen(req));
		for (int k = 0; k < 3; k++)
			http_exporter_poll(h);
	}
	size = 0;
	assert_non_null(strstr(scrape(h, req), "\r\n\r\na_total 1\n"));
	for (int i = 0; i < 16; i++)
		close(hog[i]);
	http_exporter_free(h);
}

/* Targets as Go's server and ServeMux (ig's listener, Go 1.26) take
 * them: the absolute form, escapes matched decoded, paths with ".", ".."
 * or empty segments redirected (301) to their cleaned form, query kept. */
static void http__targets_as_gos_servemux(void **state)
{
	static const struct {
		const char *req, *want;
	} cases[] = {
		{ "GET http://h:9/metrics HTTP/1.1", "\r\n\r\na_total 1\n" },
		{ "GET HTTP://h/metrics?x=1 HTTP/1.1", "\r\n\r\na_total 1\n" },
		{ "GET /%6detrics HTTP/1.1", "\r\n\r\na_total 1\n" },
		{ "GET /%6Detrics?a HTTP/1.1", "\r\n\r\na_total 1\n" },
		{ "GET /x/../metrics?a=1&b HTTP/1.1",
		  "HTTP/1.1 301 Moved Permanently\r\n"
		  "Content-Type: text/html; charset=utf-8\r\n"
		  "Location: /metrics?a=1&b\r\n"
		  "Content-Length: 53\r\nConnection: close\r\n\r\n"
		  "<a href=\"/metrics?a=1&amp;b\">Moved Permanently</a>.\n\n" },
		{ "GET //metrics HTTP/1.1", "\r\nLocation: /metrics\r\n" },
		{ "GET /./metrics HTTP/1.1", "\r\nLocation: /metrics\r\n" },
		{ "GET /metrics/. HTTP/1.1", "\r\nLocation: /metrics\r\n" },
		{ "GET /a/b/../../metrics/ HTTP/1.1",
		  "\r\nLocation: /metrics/\r\n" },
		{ "GET http://h HTTP/1.1", "\r\nLocation: /\r\n" },
		{ "GET /x/../%6detrics HTTP/1.1",
		  "\r\nLocation: /%6detrics\r\n" },
		{ "POST /x/../metrics HTTP/1.1", "HTTP/1.1 301 " },
		{ "HEAD /x/../metrics HTTP/1.1",
		  "Content-Length: 43\r\nConnection: close\r\n\r\n" },
		/* "/metrics" is the one path served: not a tree */
		{ "GET /metrics/ HTTP/1.1", "HTTP/1.1 404 " },
		{ "GET /%2e%2e/metrics HTTP/1.1", "HTTP/1.1 404 " },
		{ "GET /metrics%2F HTTP/1.1", "HTTP/1.1 404 " },
		{ "GET /metrics%00 HTTP/1.1", "HTTP/1.1 400 " },
		{ "GET /%zzmetrics HTTP/1.1", "HTTP/1.1 400 " },
		{ "GET /metrics% HTTP/1.1", "HTTP/1.1 400 " },
		{ "GET metrics HTTP/1.1", "HTTP/1.1 400 " },
		{ "GET ?x HTTP/1.1", "HTTP/1.1 400 " },
	};
	struct http_exporter *h = NULL;
	struct error *err = NULL;
	char req[256];

	(void)state;
	if (http_exporter_new("127.0.0.1:0", render_fixed, NULL, &h, &err))
		fail_msg("%s", error_msg(err));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *r;

		snprintf(req, sizeof(req), "%s\r\nHost: h\r\n\r\n",
			 cases[i].req);
		r = scrape(h, req);
		if (!strstr(r, cases[i].want))
			fail_msg("%s: %s", cases[i].req, r);
		if (!strncmp(cases[i].req, "HEAD", 4) && strstr(r, "<a"))
			fail_msg("%s: a body: %s", cases[i].req, r);
	}
	http_exporter_free(h);
}

/* The format an Accept header prefers, its q-values honoured: q=0 is
 * "not acceptable" (RFC 9110 12.5.1), a higher q wins, then the range
 * with more parameters, then the first (Prometheus's negotiation). */
static void http__accept_q_values(void **state)
{
	static const struct {
		const char *accept;
		bool om;
	} cases[] = {
		{ "application/openmetrics-text", true },
		{ "application/openmetrics-text;q=0", false },
		{ "application/openmetrics-text; q=0.000, text/plain", false },
		{ "text/plain;q=0.5,application/openmetrics-text;q=0.6", true },
		{ "application/openmetrics-text;q=0.4,"
		  "text/plain;version=0.0.4;q=0.5",
		  false },
		{ "text/plain,application/openmetrics-text", false },
		{ "application/openmetrics-text;version=1.0.0,text/plain",
		  true },
		{ "application/openmetrics-text;version=2.0.0", false },
		{ "application/openmetrics-text;q=x", false },
		{ "APPLICATION/OpenMetrics-Text ; Q=1.0", true },
		/* what Prometheus 3 sends by default */
		{ "application/openmetrics-text;version=1.0.0;escaping="
		  "allow-utf-8;q=0.6,application/openmetrics-text;version="
		  "0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;"
		  "q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
		  true },
		{ "text/plain;version=0.0.4;q=0.3,*/*;q=0.2", false },
		{ "", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (http_wants_openmetrics(cases[i].accept) != cases[i].om)
			fail_msg("\"%s\": want %s", cases[i].accept,
				 cases[i].om ? "OpenMetrics" : "text");
}

static int renders;

static void render_counted(void *ctx, bool om, struct mbuf *b)
{
	renders++;
	render_sized(ctx, om, b);
}

/* 16 scrapes that arrive together (their requests all in the sockets
 * when the listener polls) are answered from one render per format, each
 * the whole page; a scrape at a later poll gets a render of its own. */
static void http__scrapes_at_one_moment_share_one_render(void **state)
{
	struct http_exporter *h = NULL;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	size_t size = 100000; /* more than one send() takes */
	int fd[16], open_fds = 16;
	static char resp[16][120000];
	size_t len[16] = { 0 };

	(void)state;
	h = listening(&sa, render_counted, &size);
	for (int i = 0; i < 16; i++) {
		const char *req =
			i % 4 ? "GET /metrics HTTP/1.1\r\n\r\n" :
				"GET /metrics HTTP/1.1\r\nAccept: "
				"application/openmetrics-text\r\n\r\n";
		int unacked;

		fd[i] = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(
			connect(fd[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(write(fd[i], req, strlen(req)),
				 (ssize_t)strlen(req));
		/* acknowledged: in the listener's socket, to be read */
		do
			assert_int_equal(ioctl(fd[i], SIOCOUTQ, &unacked), 0);
		while (unacked);
	}
	renders = 0;
	http_exporter_poll(h);
	assert_int_equal(renders, 2);
	while (open_fds) {
		struct pollfd p[16];

		http_exporter_poll(h);
		for (int i = 0; i < 16; i++)
			p[i] = (struct pollfd){ .fd = fd[i], .events = POLLIN };
		if (poll(p, 16, 5) <= 0)
			continue;
		for (int i = 0; i < 16; i++) {
			ssize_t n;

			if (fd[i] < 0 || !p[i].revents)
				continue;
			n = read(fd[i], resp[i] + len[i],
				 sizeof(resp[i]) - 1 - len[i]);
			if (n > 0) {
				len[i] += n;
				continue;
			}
			resp[i][len[i]] = '\0';
			close(fd[i]);
			fd[i] = -1;
			open_fds--;
		}
	}
	assert_int_equal(renders, 2);
	for (int i = 0; i < 16; i++) {
		const char *body = strstr(resp[i], "\r\n\r\n");

		assert_non_null(body);
		if (i % 4) {
			assert_int_equal(len[i], len[1]);
			assert_string_equal(body + 4 + size, "a_total 1\n");
		} else {
			assert_string_equal(body + 4 + size,
					    "# TYPE a counter\na_total 1\n"
					    "# EOF\n");
		}
	}
	size = 0;
	assert_non_null(strstr(scrape(h, "GET /metrics HTTP/1.1\r\n\r\n"),
			       "\r\n\r\na_total 1\n"));
	assert_int_equal(renders, 3);
	http_exporter_free(h);
}

/* A host name, as ig takes it: "localhost" listens on 127.0.0.1. */
static void http__listen_on_a_host_name(void **state)
{
	struct http_exporter *h = NULL;
	struct error *err = NULL;

	(void)state;
	if (http_addr_check("localhost:2224", &err) ||
	    http_exporter_new("localhost:0", render_fixed, NULL, &h, &err))
		fail_msg("%s", error_msg(err));
	assert_non_null(strstr(scrape(h, "GET /metrics HTTP/1.1\r\n\r\n"),
			       "\r\n\r\na_total 1\n"));
	http_exporter_free(h);
}

/* No host, 0.0.0.0 or [::]: both IP versions, as Go's net.Listen (ig)
 * takes a wildcard; an IPv4 or IPv6 address: that one only. */
static void http__wildcard_listens_on_both_versions(void **state)
{
	static const char *const any[] = { ":0", "0.0.0.0:0", "[::]:0" };
	static const char req[] = "GET /metrics HTTP/1.1\r\n\r\n";
	struct http_exporter *h = NULL;
	struct error *err = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(any) / sizeof(any[0]); i++) {
		if (http_exporter_new(any[i], render_fixed, NULL, &h, &err))
			fail_msg("%s: %s", any[i], error_msg(err));
		assert_non_null(strstr(scrape_over(h, AF_INET6, req),
				       "\r\n\r\na_total 1\n"));
		assert_non_null(strstr(scrape_over(h, AF_INET, req),
				       "\r\n\r\na_total 1\n"));
		http_exporter_free(h);
	}
	if (http_exporter_new("[::1]:0", render_fixed, NULL, &h, &err))
		fail_msg("%s", error_msg(err));
	assert_non_null(
		strstr(scrape_over(h, AF_INET6, req), "\r\n\r\na_total 1\n"));
	http_exporter_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(render__text_format__exact,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			render__openmetrics__families_le_and_help, setup,
			teardown),
		cmocka_unit_test(escape_label__backslash_quote_newline),
		cmocka_unit_test_setup_teardown(
			escape_label__event_text_in_a_label, setup, teardown),
		cmocka_unit_test_setup_teardown(
			escape_label__newline_byte_and_its_escape_apart, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			escape_label__unquoted_once_not_per_scrape, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			series_cap__overflow_in_its_own_series, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			series__many_key_sets_found_again, setup, teardown),
		cmocka_unit_test_setup_teardown(
			histogram__buckets_le_inclusive_and_cumulative, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			histogram__scrape_allocates_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(histogram__skip_zero, setup,
						teardown),
		cmocka_unit_test_setup_teardown(histogram__skip_if, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			names__as_otel_prometheus_exporter, setup, teardown),
		cmocka_unit_test_setup_teardown(render__long_name__whole_lines,
						setup, teardown),
		cmocka_unit_test_setup_teardown(table__keys_then_values, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			render_all__shared_names__one_family_each, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			check_together__type_or_scope_clash, setup, teardown),
		cmocka_unit_test(labels__collisions_and_reserved),
		cmocka_unit_test(labels__metrics_name_renames_a_key),
		cmocka_unit_test(typedefs__counter_gauge_histogram_slots),
		cmocka_unit_test_setup_teardown(malformed__one_line_errors,
						setup, teardown),
		cmocka_unit_test_setup_teardown(malformed__no_values, setup,
						teardown),
		cmocka_unit_test(check_metadata__without_btf),
		cmocka_unit_test(annotate__lists_and_commas_in_values),
		cmocka_unit_test(print_interval__go_durations),
		cmocka_unit_test(http__text_openmetrics_404),
		cmocka_unit_test(http__listen_on_a_host_name),
		cmocka_unit_test(http__targets_as_gos_servemux),
		cmocka_unit_test(http__accept_q_values),
		cmocka_unit_test(http__scrapes_at_one_moment_share_one_render),
		cmocka_unit_test(http__long_head__431_not_a_reset),
		cmocka_unit_test(
			http__clients_that_do_not_read_do_not_keep_a_scraper_out),
		cmocka_unit_test(http__wildcard_listens_on_both_versions),
		cmocka_unit_test(
			http__silent_clients_do_not_keep_a_scraper_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
