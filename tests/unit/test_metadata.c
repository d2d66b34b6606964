// SPDX-License-Identifier: Apache-2.0
/* metadata/metadata.c: gadget.yaml parsing, shape errors, round trips. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/error.h"
#include "metadata/build_file.h"
#include "metadata/metadata.h"
#include "tests/unit/alloc_fx.h"

static const char full_yaml[] =
	"name: trace dns\n"
	"description: trace dns requests and responses\n"
	"homepageURL: https://example.invalid/\n"
	"documentationURL: https://example.invalid/docs\n"
	"sourceURL: https://example.invalid/src\n"
	"unknownTopLevel: [1, 2, {a: b}]\n"
	"datasources:\n"
	"  dns:\n"
	"    annotations:\n"
	"      cli.default-output-mode: columns\n"
	"    fields:\n"
	"      src:\n"
	"        annotations:\n"
	"          description: Source endpoint\n"
	"          template: l4endpoint\n"
	"      qr:\n"
	"        annotations:\n"
	"          value.one-of: \"Q, R\"\n"
	"          columns.width: 2\n"
	"          columns.minwidth: \"2\"\n"
	"          columns.maxwidth: 4\n"
	"          columns.alignment: right\n"
	"          columns.ellipsis: middle\n"
	"          columns.hidden: true\n"
	"          columns.fixed: \"false\"\n"
	"          columns.hex: \"true\"\n"
	"          columns.alias: flag\n"
	"          json.skip: \"false\"\n"
	"          value.shown-if: qr_raw\n"
	"      proc.comm:\n"
	"        annotations:\n"
	"          description: 'quoted: \"yes\"'\n"
	"      bare:\n"
	"      nulled:\n"
	"        annotations:\n"
	"        other: ignored\n"
	"  second:\n"
	"    fields:\n"
	"      x:\n"
	"        annotations:\n"
	"          description: |\n"
	"            two\n"
	"            lines\n"
	"params:\n"
	"  ebpf:\n"
	"    paths:\n"
	"      key: show-paths\n"
	"      defaultValue: \"false\"\n"
	"      description: Show paths.\n"
	"      possibleValues: [\"true\", \"false\"]\n"
	"    targ_pid:\n"
	"      description: Only this PID\n"
	"  wasm:\n"
	"    ignored: {}\n"
	"programs:\n"
	"  profiler:\n"
	"    perf:\n"
	"      type: software\n"
	"      config: count_sw_cpu_clock\n"
	"      sampleType: sample_raw\n"
	"      other: ignored\n"
	"    sampler:\n"
	"      frequency: 49\n"
	"    attach_to: sched/sched_switch\n"
	"  bare:\n";

static struct gadget_metadata *parse_ok(const char *yaml)
{
	struct gadget_metadata *md = NULL;
	struct error *err = NULL;
	int r = metadata_parse(yaml, strlen(yaml), "t.yaml", &md, &err);

	if (r)
		fail_msg("parse failed: %s", error_msg(err));
	assert_non_null(md);
	return md;
}

/* Parse yaml and expect an error message equal to want. */
static void parse_fails(const char *yaml, const char *want)
{
	struct gadget_metadata *md = (struct gadget_metadata *)1;
	struct error *err = NULL;

	assert_int_equal(
		metadata_parse(yaml, strlen(yaml), "t.yaml", &md, &err), -1);
	assert_null(md);
	assert_non_null(err);
	assert_string_equal(error_msg(err), want);
	error_free(err);
}

static void check_full(const struct gadget_metadata *md)
{
	const struct metadata_param *p;

	assert_string_equal(metadata_get(md, "name"), "trace dns");
	assert_string_equal(metadata_get(md, "description"),
			    "trace dns requests and responses");
	assert_string_equal(metadata_get(md, "homepageURL"),
			    "https://example.invalid/");
	assert_string_equal(metadata_get(md, "documentationURL"),
			    "https://example.invalid/docs");
	assert_string_equal(metadata_get(md, "sourceURL"),
			    "https://example.invalid/src");
	assert_null(metadata_get(md, "unknownTopLevel"));

	assert_int_equal(metadata_ds_count(md), 2);
	assert_string_equal(metadata_ds_name(md, 0), "dns");
	assert_string_equal(metadata_ds_name(md, 1), "second");
	assert_string_equal(metadata_ds_annotation(md, "dns",
						   "cli.default-output-mode"),
			    "columns");
	assert_null(metadata_ds_annotation(md, "dns", "nope"));
	assert_null(metadata_ds_annotation(md, "second", "nope"));

	assert_int_equal(metadata_field_count(md, "dns"), 5);
	assert_string_equal(metadata_field_name(md, "dns", 0), "src");
	assert_string_equal(metadata_field_name(md, "dns", 1), "qr");
	assert_string_equal(metadata_field_name(md, "dns", 2), "proc.comm");
	assert_string_equal(metadata_field_name(md, "dns", 3), "bare");
	assert_string_equal(metadata_field_name(md, "dns", 4), "nulled");
	assert_null(metadata_field_name(md, "dns", 5));
	assert_string_equal(metadata_field_annotation(md, "dns", "src",
						      "template"),
			    "l4endpoint");
	assert_string_equal(metadata_field_annotation(md, "dns", "proc.comm",
						      "description"),
			    "quoted: \"yes\"");
	assert_null(metadata_field_annotation(md, "dns", "bare", "x"));
	assert_null(metadata_field_annotation(md, "dns", "missing", "x"));
	assert_null(metadata_field_annotation(md, "nods", "src", "template"));
	assert_string_equal(metadata_field_annotation(md, "second", "x",
						      "description"),
			    "two\nlines\n");

	p = metadata_param(md, 0);
	assert_int_equal(metadata_param_count(md), 2);
	assert_string_equal(p->var, "paths");
	assert_string_equal(p->key, "show-paths");
	assert_string_equal(p->default_value, "false");
	assert_string_equal(p->description, "Show paths.");
	p = metadata_param(md, 1);
	assert_string_equal(p->var, "targ_pid");
	assert_string_equal(p->key, "targ_pid"); /* defaults to the var */
	assert_null(p->default_value);
	assert_string_equal(p->description, "Only this PID");
	assert_null(metadata_param(md, 2));

	assert_int_equal(metadata_program_count(md), 2);
	assert_string_equal(metadata_program(md, 0)->name, "profiler");
	assert_string_equal(metadata_program(md, 0)->perf_type, "software");
	assert_string_equal(metadata_program(md, 0)->perf_config,
			    "count_sw_cpu_clock");
	assert_string_equal(metadata_program(md, 0)->perf_sample_type,
			    "sample_raw");
	assert_string_equal(metadata_program(md, 0)->frequency, "49");
	assert_string_equal(metadata_program(md, 0)->attach_to,
			    "sched/sched_switch");
	assert_string_equal(metadata_program(md, 1)->name, "bare");
	assert_null(metadata_program(md, 1)->perf_type);
	assert_null(metadata_program(md, 1)->attach_to);
	assert_null(metadata_program(md, 1)->frequency);
	assert_null(metadata_program(md, 2));
}

static void parse__full_document__every_part(void **state)
{
	struct gadget_metadata *md = parse_ok(full_yaml);

	(void)state;
	check_full(md);
	metadata_free(md);
}

/* Out of memory at any one allocation, a parse fails with ENOMEM and
 * leaves nothing allocated (the sanitizers' build sees a leak or a bad
 * access); past the last one it parses the document whole. */
static void parse__failed_allocation__enomem_and_nothing_kept(void **state)
{
	bool parsed = false;

	(void)state;
	for (unsigned k = 1; !parsed; k++) {
		struct gadget_metadata *md = NULL;
		struct error *err = NULL;
		int r;

		assert_true(k < 10000);
		alloc_fail(k);
		r = metadata_parse(full_yaml, strlen(full_yaml), "t.yaml", &md,
				   &err);
		alloc_fail_at = 0;
		parsed = alloc_calls < k;
		if (parsed) {
			assert_int_equal(r, 0);
			check_full(md);
		} else {
			assert_int_equal(r, -1);
			assert_null(md);
			assert_non_null(err);
			assert_int_equal(err->errnum, ENOMEM);
		}
		metadata_free(md);
		error_free(err);
	}
}

static void parse__every_annotation__kept_as_strings(void **state)
{
	static const char *const want[][2] = {
		{ "value.one-of", "Q, R" },
		{ "columns.width", "2" },
		{ "columns.minwidth", "2" },
		{ "columns.maxwidth", "4" },
		{ "columns.alignment", "right" },
		{ "columns.ellipsis", "middle" },
		{ "columns.hidden", "true" },
		{ "columns.fixed", "false" },
		{ "columns.hex", "true" },
		{ "columns.alias", "flag" },
		{ "json.skip", "false" },
		{ "value.shown-if", "qr_raw" },
	};
	struct gadget_metadata *md = parse_ok(full_yaml);

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(metadata_field_annotation(md, "dns", "qr",
							      want[i][0]),
				    want[i][1]);
	metadata_free(md);
}

static void emit__full_document__parses_back_the_same(void **state)
{
	struct gadget_metadata *md = parse_ok(full_yaml), *md2;
	struct error *err = NULL;
	char *out = NULL, *out2 = NULL;
	size_t len = 0, len2 = 0;

	(void)state;
	assert_int_equal(metadata_emit(md, &out, &len, &err), 0);
	assert_int_equal(strlen(out), len);
	md2 = parse_ok(out);
	check_full(md2);
	for (size_t i = 0; i < metadata_field_count(md, "dns"); i++) {
		const char *f = metadata_field_name(md, "dns", i);

		assert_string_equal(f, metadata_field_name(md2, "dns", i));
		assert_string_equal(metadata_field_annotation(md, "dns", "qr",
							      "columns.alias"),
				    metadata_field_annotation(md2, "dns", "qr",
							      "columns.alias"));
	}
	/* and a second trip is a fixed point */
	assert_int_equal(metadata_emit(md2, &out2, &len2, &err), 0);
	assert_string_equal(out, out2);
	free(out);
	free(out2);
	metadata_free(md);
	metadata_free(md2);
}

static void param_defaults__any_case__kept_and_emitted(void **state)
{
	static const char yaml[] =
		"name: x\n"
		"paramDefaults:\n"
		"  operator.oci.ebpf.Map-Fetch-Interval: \"0\"\n"
		"  operator.limiter.max-entries: 5\n";
	struct gadget_metadata *md = parse_ok(yaml), *md2;
	struct error *err = NULL;
	char *out = NULL;
	size_t len;

	(void)state;
	assert_string_equal(metadata_param_default(
				    md, "operator.oci.ebpf.map-fetch-interval"),
			    "0");
	assert_null(metadata_param_default(md, "operator.sort.sort"));
	assert_int_equal(metadata_emit(md, &out, &len, &err), 0);
	md2 = parse_ok(out);
	assert_string_equal(
		metadata_param_default(md2, "operator.limiter.max-entries"),
		"5");
	assert_string_equal(
		metadata_param_default(md2,
				       "operator.oci.ebpf.map-fetch-interval"),
		"0");
	free(out);
	metadata_free(md);
	metadata_free(md2);
}

/* ig reads gadget.yaml through viper, whose keys have no case: its own
 * profile_blockio spells "dataSources". */
static void parse__keys_in_any_case__read_as_ig(void **state)
{
	static const char yaml[] = "Name: x\n"
				   "dataSources:\n"
				   "  blockio:\n"
				   "    Annotations:\n"
				   "      metrics.print: \"true\"\n"
				   "    Fields:\n"
				   "      latency:\n"
				   "        annotations:\n"
				   "          metrics.unit: us\n"
				   "Params:\n"
				   "  eBPF:\n"
				   "    targ_ms:\n"
				   "      Key: ms\n"
				   "      defaultvalue: \"true\"\n";
	struct gadget_metadata *md = parse_ok(yaml);

	(void)state;
	assert_string_equal(metadata_get(md, "name"), "x");
	assert_string_equal(
		metadata_ds_annotation(md, "blockio", "metrics.print"), "true");
	assert_string_equal(metadata_field_annotation(md, "blockio", "latency",
						      "metrics.unit"),
			    "us");
	assert_int_equal(metadata_param_count(md), 1);
	assert_string_equal(metadata_param(md, 0)->key, "ms");
	assert_string_equal(metadata_param(md, 0)->default_value, "true");
	parse_fails("datasources: {}\ndataSources: {}\n",
		    "t.yaml:2:1: duplicate key \"datasources\"");
	metadata_free(md);
}

static void parse__top_level_annotations__in_order_and_emitted(void **state)
{
	/* ig copies these into the image's annotations (traceloop's) */
	static const char yaml[] = "name: x\n"
				   "annotations:\n"
				   "  enable-containers-datasource: true\n"
				   "  io.example/owner: team a\n"
				   "datasources:\n"
				   "  d:\n"
				   "    fields: {}\n";
	struct gadget_metadata *md = parse_ok(yaml), *md2;
	struct error *err = NULL;
	const char *v = NULL;
	char *out = NULL;
	size_t len;

	(void)state;
	assert_string_equal(metadata_annotation(md, 0, &v),
			    "enable-containers-datasource");
	assert_string_equal(v, "true");
	assert_string_equal(metadata_annotation(md, 1, &v), "io.example/owner");
	assert_string_equal(v, "team a");
	assert_null(metadata_annotation(md, 2, &v));
	assert_int_equal(metadata_emit(md, &out, &len, &err), 0);
	md2 = parse_ok(out);
	assert_string_equal(metadata_annotation(md2, 1, &v),
			    "io.example/owner");
	assert_string_equal(v, "team a");
	free(out);
	metadata_free(md);
	metadata_free(md2);
}

static void build_file__keys_defaults_and_shapes(void **state)
{
	struct build_file *bf = NULL;
	struct error *err = NULL;
	static const char yaml[] = "ebpfsource: a.bpf.c\n"
				   "wasm: go/program.go\n"
				   "cflags: -DX -Iinc\n"
				   "metadata:\n"
				   "newer: [ignored]\n";

	(void)state;
	/* an empty file: every default */
	assert_int_equal(build_file_parse("", 0, "b.yaml", &bf, &err), 0);
	assert_string_equal(bf->ebpfsource, "program.bpf.c");
	assert_string_equal(bf->metadata, "gadget.yaml");
	assert_null(bf->wasm);
	assert_null(bf->cflags);
	build_file_free(bf);
	/* a null keeps the default, unknown keys are ignored */
	assert_int_equal(
		build_file_parse(yaml, strlen(yaml), "b.yaml", &bf, &err), 0);
	assert_string_equal(bf->ebpfsource, "a.bpf.c");
	assert_string_equal(bf->metadata, "gadget.yaml");
	assert_string_equal(bf->wasm, "go/program.go");
	assert_string_equal(bf->cflags, "-DX -Iinc");
	build_file_free(bf);
	assert_int_equal(build_file_parse("wasm: {a: b}\n", 13, "b.yaml", &bf,
					  &err),
			 -1);
	assert_null(bf);
	assert_string_equal(error_msg(err),
			    "b.yaml:1:7: wasm must be a scalar, not a mapping");
	error_free(err);
	err = NULL;
	assert_int_equal(build_file_parse("- a\n", 4, "b.yaml", &bf, &err), -1);
	assert_non_null(strstr(error_msg(err), "must be a mapping"));
	error_free(err);
}

static void emit__awkward_strings__survive(void **state)
{
	static const char yaml[] =
		"name: \"a: b # c\"\n"
		"description: \"line1\\nline2\\ttab \\\"q\\\" caf\\u00e9\"\n"
		"datasources:\n"
		"  d:\n"
		"    fields:\n"
		"      f:\n"
		"        annotations:\n"
		"          columns.hidden: \"true\"\n"
		"          description: \"- leading dash\"\n"
		"          empty: \"\"\n"
		"          nul: \"NULL\"\n"
		"          tilde: \"~\"\n";
	struct gadget_metadata *md = parse_ok(yaml), *md2;
	struct error *err = NULL;
	char *out = NULL;
	size_t len;

	(void)state;
	assert_int_equal(metadata_emit(md, &out, &len, &err), 0);
	md2 = parse_ok(out);
	assert_string_equal(metadata_get(md2, "name"), "a: b # c");
	assert_string_equal(metadata_get(md2, "description"),
			    "line1\nline2\ttab \"q\" caf\xc3\xa9");
	assert_string_equal(metadata_field_annotation(md2, "d", "f",
						      "description"),
			    "- leading dash");
	assert_string_equal(metadata_field_annotation(md2, "d", "f",
						      "columns.hidden"),
			    "true");
	assert_string_equal(metadata_field_annotation(md2, "d", "f", "empty"),
			    "");
	assert_string_equal(metadata_field_annotation(md2, "d", "f", "nul"),
			    "NULL");
	assert_string_equal(metadata_field_annotation(md2, "d", "f", "tilde"),
			    "~");
	free(out);
	metadata_free(md);
	metadata_free(md2);
}

static void parse__empty_document__all_absent(void **state)
{
	struct gadget_metadata *md = parse_ok("");

	(void)state;
	assert_null(metadata_get(md, "name"));
	assert_int_equal(metadata_ds_count(md), 0);
	assert_int_equal(metadata_field_count(md, "dns"), 0);
	assert_int_equal(metadata_param_count(md), 0);
	metadata_free(md);
	metadata_free(NULL);
	assert_null(metadata_get(NULL, "name"));
}

static void parse__null_sections__treated_as_empty(void **state)
{
	struct gadget_metadata *md =
		parse_ok("name: x\ndatasources:\n  dns:\n    fields:\n"
			 "params:\n  ebpf: ~\n");

	(void)state;
	assert_int_equal(metadata_ds_count(md), 1);
	assert_int_equal(metadata_field_count(md, "dns"), 0);
	assert_int_equal(metadata_param_count(md), 0);
	metadata_free(md);
}

static void parse__syntax_error__names_file_line_column(void **state)
{
	(void)state;
	parse_fails("name: [x\n",
		    "t.yaml:2:1: did not find expected ',' or ']' while "
		    "parsing a flow sequence (t.yaml:1:7)");
	parse_fails("name: x\n  bad: indent\n",
		    "t.yaml:2:6: mapping values are not allowed in this "
		    "context");
	parse_fails("a: \"unterminated\n",
		    "t.yaml:2:1: found unexpected end of stream while "
		    "scanning a quoted scalar (t.yaml:1:4)");
}

static void parse__document_not_mapping__error(void **state)
{
	(void)state;
	parse_fails("- a\n- b\n",
		    "t.yaml:1:1: the document must be a mapping, not a "
		    "sequence");
	parse_fails("just text\n", "t.yaml:1:1: the document must be a "
				   "mapping, not a scalar");
}

static void parse__wrong_shapes__error_with_position(void **state)
{
	(void)state;
	parse_fails("name: {a: b}\n",
		    "t.yaml:1:7: name must be a scalar, not a mapping");
	parse_fails("description:\n  - a\n",
		    "t.yaml:2:3: description must be a scalar, not a "
		    "sequence");
	parse_fails("datasources: [dns]\n",
		    "t.yaml:1:14: datasources must be a mapping, not a "
		    "sequence");
	parse_fails("datasources:\n  dns: text\n",
		    "t.yaml:2:8: datasources.dns must be a mapping, not a "
		    "scalar");
	parse_fails("datasources:\n  dns:\n    fields:\n      - a\n",
		    "t.yaml:4:7: datasources.dns.fields must be a mapping, "
		    "not a sequence");
	parse_fails("datasources:\n  dns:\n    fields:\n      a: [1]\n",
		    "t.yaml:4:10: datasources.dns.fields.a must be a "
		    "mapping, not a sequence");
	parse_fails("datasources:\n  dns:\n    fields:\n      a:\n"
		    "        annotations: [x]\n",
		    "t.yaml:5:22: datasources.dns.fields.a.annotations must "
		    "be a mapping, not a sequence");
	parse_fails("datasources:\n  dns:\n    fields:\n      a:\n"
		    "        annotations:\n          w: {x: 1}\n",
		    "t.yaml:6:14: annotation \"w\" must be a scalar, not a "
		    "mapping");
	parse_fails("datasources:\n  dns:\n    annotations: 3\n",
		    "t.yaml:3:18: datasources.dns.annotations must be a "
		    "mapping, not a scalar");
	parse_fails("params: [1]\n",
		    "t.yaml:1:9: params must be a mapping, not a sequence");
	parse_fails("params:\n  ebpf: [1]\n",
		    "t.yaml:2:9: params.ebpf must be a mapping, not a "
		    "sequence");
	parse_fails("params:\n  ebpf:\n    p: 1\n",
		    "t.yaml:3:8: params.ebpf.p must be a mapping, not a "
		    "scalar");
	parse_fails("params:\n  ebpf:\n    p:\n      defaultValue: [1]\n",
		    "t.yaml:4:21: params.ebpf.p.defaultValue must be a "
		    "scalar, not a sequence");
	parse_fails("params:\n  ebpf:\n    p:\n      key: {}\n",
		    "t.yaml:4:12: params.ebpf.p.key must be a scalar, not a "
		    "mapping");
}

static void parse__bad_keys__error_with_position(void **state)
{
	(void)state;
	parse_fails("name: a\nname: b\n", "t.yaml:2:1: duplicate key \"name\"");
	parse_fails("datasources:\n  dns:\n    fields:\n      a:\n"
		    "        annotations:\n          k: 1\n          k: 2\n",
		    "t.yaml:7:11: duplicate key \"k\"");
	parse_fails("? [a]\n: b\n",
		    "t.yaml:1:3: a key of the document must be a scalar, not "
		    "a sequence");
	parse_fails("datasources:\n  dns:\n    fields:\n      \"\": {}\n",
		    "t.yaml:4:11: empty field name");
}

static void parse__no_filename__default_in_messages(void **state)
{
	struct gadget_metadata *md = NULL;
	struct error *err = NULL;

	(void)state;
	assert_int_equal(metadata_parse("- x\n", 4, NULL, &md, &err), -1);
	assert_string_equal(error_msg(err), "gadget.yaml:1:1: the document "
					    "must be a mapping, not a "
					    "sequence");
	error_free(err);
}

static void parse__aliases__resolved(void **state)
{
	struct gadget_metadata *md =
		parse_ok("datasources:\n  dns:\n    fields:\n"
			 "      a:\n        annotations: &common\n"
			 "          columns.hidden: \"true\"\n"
			 "      b:\n        annotations: *common\n");

	(void)state;
	assert_string_equal(metadata_field_annotation(md, "dns", "b",
						      "columns.hidden"),
			    "true");
	metadata_free(md);
}

/* A malloc'd "k: " + n times open + n times close + "\n". */
static char *nested(size_t n, char open, char close)
{
	char *s = malloc(2 * n + 5);

	strcpy(s, "k: ");
	memset(s + 3, open, n);
	memset(s + 3 + n, close, n);
	strcpy(s + 3 + 2 * n, "\n");
	return s;
}

/* issue 9: 200k nested "[" took 88 s (libyaml's loader is quadratic in
 * the nesting); the limit is hit by a linear pass first */
static void limits__deep_nesting__refused(void **state)
{
	char *ok = nested(31, '[', ']'), *deep = nested(200000, '[', ']');
	struct gadget_metadata *md = parse_ok(ok);

	(void)state;
	metadata_free(md);
	parse_fails(deep, "t.yaml:1:35: nested more than 32 levels deep");
	free(ok);
	free(deep);
}

static void limits__size_nodes_entries__refused(void **state)
{
	size_t big = (1U << 20) + 1;
	char *s = malloc(big + 1), *p;

	(void)state;
	memset(s, '#', big);
	s[big] = '\0';
	parse_fails(s, "t.yaml: 1048577 bytes, more than the 1048576 allowed");
	/* 4097 entries in one sequence */
	p = s + sprintf(s, "k: [");
	for (int i = 0; i < 4097; i++)
		p += sprintf(p, "%d,", i);
	strcpy(p, "]\n");
	parse_fails(s, "t.yaml:1:19375: a collection of more than 4096 "
		       "entries");
	/* 65537 nodes in 17 sequences of 4000 */
	p = s;
	for (int j = 0; j < 17; j++) {
		p += sprintf(p, "k%d: [", j);
		for (int i = 0; i < 4000; i++)
			p += sprintf(p, "%d,", i % 10);
		p += sprintf(p, "]\n");
	}
	{
		struct gadget_metadata *md = NULL;
		struct error *err = NULL;

		assert_int_equal(
			metadata_parse(s, strlen(s), "t.yaml", &md, &err), -1);
		assert_non_null(
			strstr(error_msg(err), "more than 65536 nodes"));
		error_free(err);
	}
	free(s);
}

static void limits__aliases_of_nested_collections__refused(void **state)
{
	(void)state;
	/* a billion laughs: each level aliases the one before */
	parse_fails("a: &a {x: 1, y: 1}\nb: &b [*a, *a]\nc: [*b, *b]\n",
		    "t.yaml:3:5: an alias of a nested collection, of an "
		    "unknown anchor or of itself");
	parse_fails("a: &a [x, *a]\n",
		    "t.yaml:1:11: an alias of a nested collection, of an "
		    "unknown anchor or of itself");
	{
		char s[4096], *p = s;

		p += sprintf(p, "a: &a x\nb: [");
		for (int i = 0; i < 101; i++)
			p += sprintf(p, "*a,");
		strcpy(p, "]\n");
		parse_fails(s, "t.yaml:2:305: more than 100 aliases");
	}
}

/* metadata_doc_*: what each test adds, then the text it must write. */
static void doc_check(const char *yaml, const char *const *fields,
		      const char *const *params, const char *want)
{
	struct metadata_doc *d = NULL;
	struct gadget_metadata *md = NULL;
	struct error *err = NULL;
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(metadata_doc_load(yaml, yaml ? strlen(yaml) : 0,
					   "g.yaml", &d, &err),
			 0);
	assert_int_equal(metadata_doc_fill_top(d, &err), 0);
	for (size_t i = 0; fields[i]; i += 2)
		assert_int_equal(metadata_doc_add_field(d, fields[i],
							fields[i + 1], &err),
				 0);
	for (size_t i = 0; params[i]; i++)
		assert_int_equal(metadata_doc_add_param(d, params[i], &err), 0);
	assert_int_equal(metadata_doc_emit(d, &out, &len, &err), 0);
	metadata_doc_free(d);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	/* what it writes, the runner reads */
	assert_int_equal(metadata_parse(out, len, "g.yaml", &md, &err), 0);
	metadata_free(md);
	free(out);
}

/*
 * ig's bytes for raw_tp's program (GADGET_TRACER(sysenter, events, event),
 * struct event { timestamp_raw; proc; syscall_nr; }, GADGET_PARAM
 * syscall_nr and targ_pid) and no gadget.yaml: types.Populate's
 * placeholders, yaml.v2's Marshal of GadgetMetadata (struct order at the
 * top, annotations omitted when empty, map keys sorted, ParamDesc's key,
 * defaultValue and description without omitempty, two-space indent,
 * a scalar with ": " in single quotes, "" in double ones).  yaml.v2 sorts
 * keys as its sorter.go does: a non-letter before a letter, digit runs by
 * their value (p_u8 before p_u64, a_b before ab).
 */
static void update__from_nothing__igs_bytes(void **state)
{
	static const char *const fields[] = {
		"sysenter", NULL,    "sysenter", "timestamp_raw",
		"sysenter", "proc",  "sysenter", "syscall_nr",
		"sysenter", "p_u64", "sysenter", "p_u8",
		"sysenter", "ab",    "sysenter", "a_b",
		"empty",    NULL,    NULL,
	};
	static const char *const params[] = { "targ_pid", "syscall_nr", NULL };

	(void)state;
	doc_check(NULL, fields, params,
		  "name: 'TODO: Fill the gadget name'\n"
		  "description: 'TODO: Fill the gadget description'\n"
		  "homepageURL: 'TODO: Fill the gadget homepage URL'\n"
		  "documentationURL: 'TODO: Fill the gadget documentation "
		  "URL'\n"
		  "sourceURL: 'TODO: Fill the gadget source code URL'\n"
		  "datasources:\n"
		  "  empty:\n"
		  "    fields: {}\n"
		  "  sysenter:\n"
		  "    fields:\n"
		  "      a_b:\n"
		  "        annotations:\n"
		  "          description: 'TODO: Fill field description'\n"
		  "      ab:\n"
		  "        annotations:\n"
		  "          description: 'TODO: Fill field description'\n"
		  "      p_u8:\n"
		  "        annotations:\n"
		  "          description: 'TODO: Fill field description'\n"
		  "      p_u64:\n"
		  "        annotations:\n"
		  "          description: 'TODO: Fill field description'\n"
		  "      proc:\n"
		  "        annotations:\n"
		  "          description: 'TODO: Fill field description'\n"
		  "      syscall_nr:\n"
		  "        annotations:\n"
		  "          description: 'TODO: Fill field description'\n"
		  "      timestamp_raw:\n"
		  "        annotations:\n"
		  "          description: 'TODO: Fill field description'\n"
		  "params:\n"
		  "  ebpf:\n"
		  "    syscall_nr:\n"
		  "      key: syscall_nr\n"
		  "      defaultValue: \"\"\n"
		  "      description: 'TODO: Fill parameter description'\n"
		  "    targ_pid:\n"
		  "      key: targ_pid\n"
		  "      defaultValue: \"\"\n"
		  "      description: 'TODO: Fill parameter description'\n");
	/* an empty file and a null one are no gadget.yaml either */
	doc_check("", (const char *const[]){ NULL },
		  (const char *const[]){ NULL },
		  "name: 'TODO: Fill the gadget name'\n"
		  "description: 'TODO: Fill the gadget description'\n"
		  "homepageURL: 'TODO: Fill the gadget homepage URL'\n"
		  "documentationURL: 'TODO: Fill the gadget documentation "
		  "URL'\n"
		  "sourceURL: 'TODO: Fill the gadget source code URL'\n");
}

/*
 * The author's entries stay as written and where written, keys the
 * runner does not read too (ig would drop programs and paramDefaults,
 * which its GadgetMetadata lacks, and sort the rest); what is missing
 * comes after them, the top-level keys at their place in ig's order; an
 * empty name is filled as ig's; comments go, as in ig's.
 */
/* The author's data source, as written and as written back. */
#define AUTHOR_DNS                                 \
	"extra: [1, 2]\n"                          \
	"datasources:\n"                           \
	"  dns:\n"                                 \
	"    annotations:\n"                       \
	"      cli.default-output-mode: columns\n" \
	"    fields:\n"                            \
	"      qr:\n"                              \
	"        annotations:\n"                   \
	"          columns.width: 2\n"

static void update__partial__author_kept_missing_added(void **state)
{
	static const char *const fields[] = {
		"dns", NULL, "dns", "qr", "dns", "name",
		"dns", "id", "new", "x",  NULL,
	};
	static const char *const params[] = { "p2", "p1", "p0", NULL };

	(void)state;
	doc_check("# mine\n"
		  "name: \"\"\n"
		  "sourceURL: https://example.invalid/src\n" AUTHOR_DNS
		  "params:\n"
		  "  ebpf:\n"
		  "    p1:\n"
		  "      key: one\n"
		  "      alias: o\n"
		  "programs:\n"
		  "  p:\n"
		  "    attach_to: gadget_program_disabled\n",
		  fields, params,
		  "name: 'TODO: Fill the gadget name'\n"
		  "description: 'TODO: Fill the gadget description'\n"
		  "homepageURL: 'TODO: Fill the gadget homepage URL'\n"
		  "documentationURL: 'TODO: Fill the gadget documentation "
		  "URL'\n"
		  "sourceURL: https://example.invalid/src\n" AUTHOR_DNS
		  "      id:\n"
		  "        annotations:\n"
		  "          description: 'TODO: Fill field description'\n"
		  "      name:\n"
		  "        annotations:\n"
		  "          description: 'TODO: Fill field description'\n"
		  "  new:\n"
		  "    fields:\n"
		  "      x:\n"
		  "        annotations:\n"
		  "          description: 'TODO: Fill field description'\n"
		  "params:\n"
		  "  ebpf:\n"
		  "    p1:\n"
		  "      key: one\n"
		  "      alias: o\n"
		  "    p0:\n"
		  "      key: p0\n"
		  "      defaultValue: \"\"\n"
		  "      description: 'TODO: Fill parameter description'\n"
		  "    p2:\n"
		  "      key: p2\n"
		  "      defaultValue: \"\"\n"
		  "      description: 'TODO: Fill parameter description'\n"
		  "programs:\n"
		  "  p:\n"
		  "    attach_to: gadget_program_disabled\n");
}

static void update__not_a_mapping__error(void **state)
{
	struct metadata_doc *d = NULL;
	struct error *err = NULL;

	(void)state;
	assert_int_equal(metadata_doc_load("- a\n", 4, "g.yaml", &d, &err), -1);
	assert_null(d);
	assert_string_equal(error_msg(err),
			    "g.yaml: the document is no mapping");
	error_free(err);
	err = NULL;
	assert_int_equal(metadata_doc_load("a: [\n", 5, "g.yaml", &d, &err),
			 -1);
	assert_non_null(strstr(error_msg(err), "g.yaml:"));
	error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse__full_document__every_part),
		cmocka_unit_test(parse__every_annotation__kept_as_strings),
		cmocka_unit_test(emit__full_document__parses_back_the_same),
		cmocka_unit_test(emit__awkward_strings__survive),
		cmocka_unit_test(param_defaults__any_case__kept_and_emitted),
		cmocka_unit_test(parse__keys_in_any_case__read_as_ig),
		cmocka_unit_test(parse__empty_document__all_absent),
		cmocka_unit_test(parse__null_sections__treated_as_empty),
		cmocka_unit_test(parse__syntax_error__names_file_line_column),
		cmocka_unit_test(parse__document_not_mapping__error),
		cmocka_unit_test(parse__wrong_shapes__error_with_position),
		cmocka_unit_test(parse__bad_keys__error_with_position),
		cmocka_unit_test(parse__no_filename__default_in_messages),
		cmocka_unit_test(parse__aliases__resolved),
		cmocka_unit_test(
			parse__top_level_annotations__in_order_and_emitted),
		cmocka_unit_test(
			parse__failed_allocation__enomem_and_nothing_kept),
		cmocka_unit_test(build_file__keys_defaults_and_shapes),
		cmocka_unit_test(limits__deep_nesting__refused),
		cmocka_unit_test(limits__size_nodes_entries__refused),
		cmocka_unit_test(
			limits__aliases_of_nested_collections__refused),
		cmocka_unit_test(update__from_nothing__igs_bytes),
		cmocka_unit_test(update__partial__author_kept_missing_added),
		cmocka_unit_test(update__not_a_mapping__error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
