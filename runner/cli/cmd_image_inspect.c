// SPDX-License-Identifier: Apache-2.0
/*
 * `runner image inspect IMAGE`: the index, each manifest and the gadget.yaml
 * of an image in the store, as JSON or YAML (through libyaml's emitter).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <yaml.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "oci/manifest.h"
#include "oci/store.h"
#include "runner/cli/commands.h"

struct inspect_state {
	const char *fmt; /* json (NULL), jsonpretty or yaml */
};

static json_t *load_json_blob(struct oci_store *store, const char *digest,
			      int64_t size, struct error **err)
{
	cleanup_free char *buf = NULL;
	json_error_t jerr;
	size_t len;
	json_t *j;

	if (oci_store_read_blob(store, digest, size, &buf, &len, err) < 0)
		return NULL;
	j = json_loadb(buf, len, 0, &jerr);
	if (!j)
		error_set(err, 0, "%s: invalid JSON: %s", digest, jerr.text);
	return j;
}

/* The inspect document for a manifest: its JSON and its gadget.yaml. */
static json_t *inspect_manifest(struct oci_store *store, const char *digest,
				int64_t size, json_t *platform,
				struct error **err)
{
	json_t *m = load_json_blob(store, digest, size, err);
	json_t *cfg, *out;
	const char *cmt, *cdg;

	if (!m)
		return NULL;
	out = json_pack("{s:s, s:I, s:O*, s:o}", "digest", digest, "size",
			(json_int_t)size, "platform", platform, "manifest", m);
	if (!out)
		return NULL;
	cfg = json_object_get(m, "config");
	cmt = json_string_value(json_object_get(cfg, "mediaType"));
	cdg = json_string_value(json_object_get(cfg, "digest"));
	if (cmt && cdg && !strcmp(cmt, OCI_MT_GADGET_CONFIG)) {
		cleanup_free char *yaml = NULL;
		size_t len;

		if (oci_store_read_blob(
			    store, cdg,
			    json_integer_value(json_object_get(cfg, "size")),
			    &yaml, &len, err) < 0) {
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, "metadata", json_stringn(yaml, len));
	}
	return out;
}

static json_t *inspect_doc(struct oci_store *store, const char *ref,
			   struct error **err)
{
	struct oci_descriptor *d = NULL;
	cleanup_json json_t *top = NULL;
	json_t *out = NULL, *arr, *e;
	size_t i;

	if (oci_store_resolve(store, ref, &d, err) < 0)
		return NULL;
	out = json_pack("{s:s, s:s, s:s, s:I}", "reference", ref, "digest",
			d->digest, "mediaType", d->media_type, "size",
			(json_int_t)d->size);
	if (oci_media_kind(d->media_type) == OCI_KIND_MANIFEST) {
		json_t *m =
			inspect_manifest(store, d->digest, d->size, NULL, err);

		if (!m)
			goto fail;
		json_object_set_new(out, "manifests", json_pack("[o]", m));
		goto done;
	}
	if (oci_media_kind(d->media_type) != OCI_KIND_INDEX) {
		error_set(err, 0, "unsupported media type %s", d->media_type);
		goto fail;
	}
	top = load_json_blob(store, d->digest, d->size, err);
	if (!top)
		goto fail;
	json_object_set(out, "index", top);
	arr = json_array();
	json_object_set_new(out, "manifests", arr);
	json_array_foreach (json_object_get(top, "manifests"), i, e) {
		const char *dg =
			json_string_value(json_object_get(e, "digest"));
		json_t *m;

		if (!dg || !oci_store_has_blob(store, dg))
			continue;
		m = inspect_manifest(
			store, dg,
			json_integer_value(json_object_get(e, "size")),
			json_object_get(e, "platform"), err);
		if (!m)
			goto fail;
		json_array_append_new(arr, m);
	}
done:
	oci_descriptor_free(d);
	return out;
fail:
	oci_descriptor_free(d);
	json_decref(out);
	return NULL;
}

/*
 * A string that YAML would read back as itself when written plain: not a
 * word or number YAML resolves to another type, no indicator up front, no
 * ": " or " #" inside, printable ASCII.
 */
static bool yaml_plain_ok(const char *s)
{
	static const char *const words[] = { "true", "false", "null", "yes",
					     "no",   "on",    "off",  "~",
					     "True", "False", "Null", "" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(s, words[i]))
			return false;
	if ((s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '.')
		return false; /* could read back as a number or a timestamp */
	if (strchr("-?:,[]{}#&*!|>'\"%@`. ", s[0]))
		return false;
	for (i = 0; s[i]; i++) {
		unsigned char c = s[i];

		if (c < 0x20 || c >= 0x7f)
			return false;
		if (c == ':' && (s[i + 1] == ' ' || !s[i + 1]))
			return false;
		if (c == '#' && s[i - 1] == ' ')
			return false;
	}
	return s[i - 1] != ' ';
}

static int emit_scalar(yaml_emitter_t *e, const char *s, bool plain)
{
	yaml_scalar_style_t style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	yaml_event_t ev;

	if (plain)
		style = YAML_PLAIN_SCALAR_STYLE;
	else if (strchr(s, '\n') && !strchr(s, '\r') && s[0] != ' ')
		style = YAML_LITERAL_SCALAR_STYLE;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
				     strlen(s), plain, !plain, style);
	return yaml_emitter_emit(e, &ev);
}

/* Emit v; 0 when the emitter failed (its problem says why). */
static int emit_json(yaml_emitter_t *e, json_t *v, int depth)
{
	const char *key;
	yaml_event_t ev;
	char num[64];
	json_t *m;
	size_t i;

	if (depth > 64)
		return 0; /* documents here are a few levels deep */
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		yaml_mapping_start_event_initialize(
			&ev, NULL, NULL, 1,
			json_object_size(v) ? YAML_BLOCK_MAPPING_STYLE :
					      YAML_FLOW_MAPPING_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return 0;
		json_object_foreach (v, key, m)
			if (!emit_scalar(e, key, yaml_plain_ok(key)) ||
			    !emit_json(e, m, depth + 1))
				return 0;
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev);
	case JSON_ARRAY:
		yaml_sequence_start_event_initialize(
			&ev, NULL, NULL, 1,
			json_array_size(v) ? YAML_BLOCK_SEQUENCE_STYLE :
					     YAML_FLOW_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return 0;
		json_array_foreach (v, i, m)
			if (!emit_json(e, m, depth + 1))
				return 0;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev);
	case JSON_STRING:
		return emit_scalar(e, json_string_value(v),
				   yaml_plain_ok(json_string_value(v)));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return emit_scalar(e, num, true);
	case JSON_REAL:
		snprintf(num, sizeof(num), "%g", json_real_value(v));
		return emit_scalar(e, num, true);
	case JSON_TRUE:
		return emit_scalar(e, "true", true);
	case JSON_FALSE:
		return emit_scalar(e, "false", true);
	default:
		return emit_scalar(e, "null", true);
	}
}

/* doc as one YAML document ("---" first) on f. */
static int print_yaml(FILE *f, json_t *doc, struct error **err)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	int ok;

	if (!yaml_emitter_initialize(&e))
		return error_set(err, 0, "YAML emitter: out of memory");
	yaml_emitter_set_output_file(&e, f);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = yaml_emitter_emit(&e, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
	ok = ok && yaml_emitter_emit(&e, &ev) && emit_json(&e, doc, 0);
	yaml_document_end_event_initialize(&ev, 1);
	ok = ok && yaml_emitter_emit(&e, &ev);
	yaml_stream_end_event_initialize(&ev);
	ok = ok && yaml_emitter_emit(&e, &ev) && yaml_emitter_flush(&e);
	if (!ok)
		error_set(err, 0, "write YAML: %s",
			  e.problem ? e.problem : "too deep");
	yaml_emitter_delete(&e);
	return ok ? 0 : -1;
}

static int inspect_option(void *state, int opt, const char *arg,
			  struct error **err)
{
	struct inspect_state *s = state;

	(void)opt; /* -o */
	if (strcmp(arg, "json") && strcmp(arg, "yaml") &&
	    strcmp(arg, "jsonpretty"))
		return cli_usage_error(err, "image inspect",
				       "invalid output '%s': want "
				       "json, jsonpretty or yaml",
				       arg);
	s->fmt = arg;
	return EXIT_OK;
}

static int inspect_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	struct inspect_state *s = state;
	cleanup_store struct oci_store *store = NULL;
	cleanup_free char *ref = NULL;
	cleanup_json json_t *doc = NULL;
	const char *fmt = s->fmt ? s->fmt : "json";
	json_t *m, *md;
	size_t i;

	ref = cli_normalize_ref(ctx->argv[0], err);
	if (!ref || cli_store_open(ctx, &store, err) < 0)
		return EXIT_FAIL;
	doc = inspect_doc(store, ref, err);
	if (!doc)
		return EXIT_FAIL;
	/* the metadata of the first manifest at the top, as ig shows it */
	json_array_foreach (json_object_get(doc, "manifests"), i, m) {
		md = json_object_get(m, "metadata");
		if (md) {
			json_object_set(doc, "metadata", md);
			break;
		}
	}
	if (!strcmp(fmt, "yaml")) {
		if (print_yaml(stdout, doc, err) < 0)
			return EXIT_FAIL;
	} else {
		cli_print_json(doc, strcmp(fmt, "json") != 0);
	}
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

static const struct option inspect_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ 0 },
};

const struct cli_command cmd_image_inspect = {
	.name = "inspect",
	.summary = "show an image's manifests and metadata",
	.usage =
		"Usage: runner image inspect IMAGE [flags]\n"
		"\n"
		"Show an image: index, per-architecture manifests, annotations,\n"
		"digests and its gadget.yaml metadata.\n"
		"\n"
		"FLAGS\n"
		"  -o, --output FMT   json (default), jsonpretty or yaml\n"
		"      --store DIR    image store\n"
		"\n"
		"EXAMPLES\n"
		"  runner image inspect trace_dns\n"
		"  runner image inspect trace_dns -o yaml\n"
		"  runner image inspect trace_dns | jq -r .metadata\n",
	.short_opts = "o:",
	.options = inspect_options,
	.flags = CLI_STORE,
	.min_args = 1,
	.max_args = 1,
	.want = "want one IMAGE",
	.operands = CLI_OPERAND_IMAGE,
	.state_size = sizeof(struct inspect_state),
	.option = inspect_option,
	.run = inspect_run,
};
