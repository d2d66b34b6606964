// SPDX-License-Identifier: Apache-2.0
/*
 * gadget.yaml (metadata/metadata.c): any input fails with a message or
 * parses; a parsed model is written back with metadata_emit(), and that
 * text must parse to an equal model (compared through every accessor)
 * that writes the very same text again.  The same bytes as build.yaml
 * (metadata/build_file.h) fail with a message or name every file.  Each
 * param's default is read as a run reads it into the program
 * (param_value_parse()) for each kind of param type: bool, integers, an
 * enum, a string, a list, IP addresses.
 */
#include <bpf/btf.h>

#include "common/cleanup.h"
#include "metadata/build_file.h"
#include "metadata/metadata.h"
#include "runner/engine/param_value.h"
#include "fuzz.h"

static struct btf *btf;
static int types[10];
static size_t n_types;

/* The types a GADGET_PARAM may have, as a program's BTF tells them. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int u8, u16, u32, chr, v6, t;

	(void)argc;
	(void)argv;
	btf = btf__new_empty();
	if (!btf)
		abort();
	types[n_types++] = btf__add_int(btf, "_Bool", 1, BTF_INT_BOOL);
	types[n_types++] = u8 = btf__add_int(btf, "unsigned char", 1, 0);
	types[n_types++] = u16 = btf__add_int(btf, "unsigned short", 2, 0);
	types[n_types++] = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	types[n_types++] = btf__add_int(btf, "long long unsigned int", 8, 0);
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	types[n_types++] = t = btf__add_enum(btf, "mode", 4);
	btf__add_enum_value(btf, "MODE_A", 1);
	btf__add_enum_value(btf, "MODE_B", -2);
	types[n_types++] = btf__add_array(btf, u32, chr, 16);
	types[n_types++] = btf__add_array(btf, u32, u16, 4);
	v6 = btf__add_array(btf, u32, u8, 16);
	types[n_types++] = t = btf__add_union(btf, "gadget_ip_addr_t", 16);
	btf__add_field(btf, "v6", v6, 0, 0);
	btf__add_field(btf, "v4", u32, 0, 0);
	types[n_types++] = btf__add_struct(btf, "gadget_l3endpoint_t", 20);
	btf__add_field(btf, "addr_raw", t, 0, 0);
	btf__add_field(btf, "version", u8, 128, 0);
	for (size_t i = 0; i < n_types; i++)
		if (types[i] <= 0)
			abort();
	return 0;
}

/* A param's default written as each type; what fits stays in its bytes. */
static void check_value(const struct metadata_param *p)
{
	for (size_t i = 0; i < n_types; i++) {
		struct error *err = NULL;
		__s64 size = btf__resolve_size(btf, types[i]);
		uint8_t *out;

		FUZZ_CHECK(size > 0 && size <= 64, "type %d: %lld bytes",
			   types[i], (long long)size);
		out = malloc(size); /* exactly: ASan sees a write past it */
		if (!out)
			return;
		if (param_value_parse(btf, types[i], p->var, p->default_value,
				      out, size, &err) < 0)
			FUZZ_CHECK(err && err->msg, "%s = \"%s\": no message",
				   p->var, p->default_value);
		error_free(err);
		free(out);
	}
}

static const char *const top_keys[] = {
	"name", "description", "homepageURL", "documentationURL", "sourceURL",
};

static const char *const probe_keys[] = {
	"description",	"columns.width", "columns.hidden",
	"value.one-of", "template",
};

static void walk(const struct gadget_metadata *md)
{
	for (size_t i = 0; i < metadata_ds_count(md); i++) {
		const char *ds = metadata_ds_name(md, i);

		FUZZ_CHECK(ds, "data source %zu without a name", i);
		for (size_t k = 0; k < sizeof(probe_keys) / sizeof(*probe_keys);
		     k++)
			metadata_ds_annotation(md, ds, probe_keys[k]);
		for (size_t j = 0; j < metadata_field_count(md, ds); j++) {
			const char *f = metadata_field_name(md, ds, j);

			FUZZ_CHECK(f, "%s: field %zu without a name", ds, j);
			metadata_field_annotation(md, ds, f, "description");
		}
	}
	for (size_t i = 0; i < metadata_param_count(md); i++) {
		const struct metadata_param *p = metadata_param(md, i);

		FUZZ_CHECK(p && p->var && p->key, "param %zu", i);
		if (p->default_value)
			check_value(p);
	}
	metadata_ds_annotation(md, "no-such-ds", "x");
	metadata_field_annotation(md, "no-such-ds", "f", "x");
}

/* a and b hold the same model, as far as the accessors tell. */
static void check_equal(const struct gadget_metadata *a,
			const struct gadget_metadata *b, const char *text)
{
	size_t i, j, k;

	for (i = 0; i < sizeof(top_keys) / sizeof(*top_keys); i++)
		FUZZ_CHECK(fuzz_streq(metadata_get(a, top_keys[i]),
				      metadata_get(b, top_keys[i])),
			   "%s differs after a round trip:\n%s", top_keys[i],
			   text);
	FUZZ_CHECK(metadata_ds_count(a) == metadata_ds_count(b),
		   "data source count:\n%s", text);
	for (i = 0; i < metadata_ds_count(a); i++) {
		const char *ds = metadata_ds_name(a, i);

		FUZZ_CHECK(fuzz_streq(ds, metadata_ds_name(b, i)),
			   "data source %zu:\n%s", i, text);
		for (k = 0; k < sizeof(probe_keys) / sizeof(*probe_keys); k++)
			FUZZ_CHECK(fuzz_streq(metadata_ds_annotation(
						      a, ds, probe_keys[k]),
					      metadata_ds_annotation(
						      b, ds, probe_keys[k])),
				   "%s annotation %s:\n%s", ds, probe_keys[k],
				   text);
		FUZZ_CHECK(metadata_field_count(a, ds) ==
				   metadata_field_count(b, ds),
			   "%s field count:\n%s", ds, text);
		for (j = 0; j < metadata_field_count(a, ds); j++) {
			const char *f = metadata_field_name(a, ds, j);

			FUZZ_CHECK(fuzz_streq(f, metadata_field_name(b, ds, j)),
				   "%s field %zu:\n%s", ds, j, text);
			for (k = 0;
			     k < sizeof(probe_keys) / sizeof(*probe_keys); k++)
				FUZZ_CHECK(fuzz_streq(metadata_field_annotation(
							      a, ds, f,
							      probe_keys[k]),
						      metadata_field_annotation(
							      b, ds, f,
							      probe_keys[k])),
					   "%s.%s annotation %s:\n%s", ds, f,
					   probe_keys[k], text);
		}
	}
	for (i = 0;; i++) {
		const char *va = NULL, *vb = NULL;
		const char *ka = metadata_annotation(a, i, &va);
		const char *kb = metadata_annotation(b, i, &vb);

		FUZZ_CHECK(fuzz_streq(ka, kb) && fuzz_streq(va, vb),
			   "annotation %zu:\n%s", i, text);
		if (!ka)
			break;
	}
	FUZZ_CHECK(metadata_param_count(a) == metadata_param_count(b),
		   "param count:\n%s", text);
	for (i = 0; i < metadata_param_count(a); i++) {
		const struct metadata_param *p = metadata_param(a, i);
		const struct metadata_param *q = metadata_param(b, i);

		FUZZ_CHECK(fuzz_streq(p->var, q->var) &&
				   fuzz_streq(p->key, q->key) &&
				   fuzz_streq(p->default_value,
					      q->default_value) &&
				   fuzz_streq(p->description, q->description),
			   "param %s:\n%s", p->var, text);
	}
	FUZZ_CHECK(metadata_program_count(a) == metadata_program_count(b),
		   "program count:\n%s", text);
	for (i = 0; i < metadata_program_count(a); i++) {
		const struct metadata_program *p = metadata_program(a, i);
		const struct metadata_program *q = metadata_program(b, i);

		FUZZ_CHECK(fuzz_streq(p->name, q->name) &&
				   fuzz_streq(p->perf_type, q->perf_type) &&
				   fuzz_streq(p->perf_config, q->perf_config) &&
				   fuzz_streq(p->perf_sample_type,
					      q->perf_sample_type) &&
				   fuzz_streq(p->frequency, q->frequency),
			   "program %s:\n%s", p->name, text);
	}
}

static void build_file(const uint8_t *data, size_t size)
{
	cleanup_error struct error *err = NULL;
	struct build_file *bf = NULL;

	if (build_file_parse((const char *)data, size, "build.yaml", &bf,
			     &err) < 0) {
		FUZZ_CHECK(!bf && err && err->msg, "build.yaml: no message");
		return;
	}
	FUZZ_CHECK(bf->ebpfsource && *bf->ebpfsource && bf->metadata &&
			   *bf->metadata && (!bf->wasm || *bf->wasm),
		   "build.yaml names an empty file");
	build_file_free(bf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gadget_metadata *md = NULL, *md2 = NULL;
	cleanup_error struct error *err = NULL;
	cleanup_free char *out = NULL;
	cleanup_free char *out2 = NULL;
	size_t len = 0, len2 = 0;

	build_file(data, size);

	if (metadata_parse((const char *)data, size, "fuzz.yaml", &md, &err) <
	    0) {
		FUZZ_CHECK(!md && err && err->msg, "failure without a message");
		return 0;
	}
	walk(md);
	if (metadata_emit(md, &out, &len, &err) < 0) {
		FUZZ_CHECK(err && err->msg, "emit failure without a message");
		metadata_free(md);
		return 0;
	}
	if (metadata_parse(out, len, "emitted.yaml", &md2, &err) < 0)
		FUZZ_CHECK(0, "emitted text does not parse: %s\n%.*s",
			   error_msg(err), (int)len, out);
	check_equal(md, md2, out);
	if (metadata_emit(md2, &out2, &len2, &err) < 0)
		FUZZ_CHECK(0, "second emit: %s", error_msg(err));
	FUZZ_CHECK(len == len2 && !memcmp(out, out2, len),
		   "not a fixed point:\n%.*s\n---\n%.*s", (int)len, out,
		   (int)len2, out2);
	metadata_free(md2);
	metadata_free(md);
	return 0;
}
