// SPDX-License-Identifier: Apache-2.0
/*
 * `runner image inspect IMAGE`: the index, each manifest and the gadget.yaml
 * of an image in the store, as JSON or YAML (through libyaml's emitter);
 * with --extra-info KEY one of ig's oci.* or ebpf.* entries of its extra
 * info (-o custom: its content as ig holds it); with --show-datasources
 * its data sources and their fields as ig shows them (from gadget.yaml
 * and the program's BTF, nothing loaded).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <yaml.h>

#include "common/cleanup.h"
#include "common/escape.h"
#include "common/json.h"
#include "metadata/metadata.h"
#include "metadata/yaml_limits.h"
#include "oci/gadget_image.h"
#include "oci/manifest.h"
#include "oci/store.h"
#include "runner/engine/objinfo.h"
#include "runner/engine/output.h"
#include "runner/engine/session.h"
#include "runner/cli/commands.h"
#include "runner/cli/config.h"

enum {
	OPT_EXTRA_INFO = CLI_OPT_OWN,
	OPT_JSONPATH,
	OPT_SHOW_DATASOURCES,
};

struct inspect_state {
	const char *fmt; /* jsonpretty (NULL), json or yaml */
	const char *extra_info; /* --extra-info KEY */
	const char *jsonpath; /* --jsonpath PATH */
	bool show_datasources; /* --show-datasources */
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
		/* every digit, as ig's YAML (%g kept six) */
		num[output_yaml_float(num, json_real_value(v), false)] = '\0';
		return emit_scalar(e, num, true);
	case JSON_TRUE:
		return emit_scalar(e, "true", true);
	case JSON_FALSE:
		return emit_scalar(e, "false", true);
	default:
		return emit_scalar(e, "null", true);
	}
}

/* doc as one YAML document on f, without "---" as ig's yaml.Marshal. */
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
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
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

/* A plain YAML scalar as YAML 1.2's core schema reads it, as ig does. */
static json_t *yaml_plain_value(const char *s)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	static const char *const trues[] = { "true", "True", "TRUE" };
	static const char *const falses[] = { "false", "False", "FALSE" };
	const char *p = s + (*s == '-' || *s == '+');
	char *end;
	size_t i;

	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp(s, nulls[i]))
			return json_null();
	for (i = 0; i < sizeof(trues) / sizeof(trues[0]); i++)
		if (!strcmp(s, trues[i]))
			return json_true();
	for (i = 0; i < sizeof(falses) / sizeof(falses[0]); i++)
		if (!strcmp(s, falses[i]))
			return json_false();
	if (*p >= '0' && *p <= '9') {
		long long v;
		double d;

		errno = 0;
		v = strtoll(s, &end, 10);
		if (!*end && !errno)
			return json_integer(v);
		d = strtod(s, &end);
		if (!*end && !strpbrk(s, "xXnN")) /* no hex, inf, nan */
			return json_real(d);
	}
	return json_string(s);
}

/* Node n of doc as JSON; NULL when it is too deep or not valid UTF-8. */
static json_t *yaml_node_json(yaml_document_t *doc, yaml_node_t *n, int depth)
{
	yaml_node_pair_t *pr;
	yaml_node_item_t *it;
	json_t *out, *v;

	if (!n || depth > YAML_MAX_DEPTH)
		return NULL;
	switch (n->type) {
	case YAML_SCALAR_NODE:
		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			return yaml_plain_value((char *)n->data.scalar.value);
		return json_stringn((char *)n->data.scalar.value,
				    n->data.scalar.length);
	case YAML_SEQUENCE_NODE:
		out = json_array();
		for (it = n->data.sequence.items.start;
		     out && it < n->data.sequence.items.top; it++) {
			v = yaml_node_json(doc,
					   yaml_document_get_node(doc, *it),
					   depth + 1);
			if (!v || json_array_append_new(out, v) < 0)
				goto fail;
		}
		return out;
	case YAML_MAPPING_NODE:
		out = json_object();
		for (pr = n->data.mapping.pairs.start;
		     out && pr < n->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = yaml_document_get_node(doc, pr->key);

			if (!k || k->type != YAML_SCALAR_NODE)
				goto fail;
			v = yaml_node_json(
				doc, yaml_document_get_node(doc, pr->value),
				depth + 1);
			if (!v || json_object_set_new(
					  out, (char *)k->data.scalar.value, v))
				goto fail;
		}
		return out;
	default:
		return NULL;
	}
fail:
	json_decref(out);
	return NULL;
}

/* gadget.yaml (len bytes) as JSON, as ig shows it: null when empty. */
static json_t *yaml_json(const char *buf, size_t len, struct error **err)
{
	yaml_document_t doc;
	json_t *out = NULL;

	if (yaml_load_doc(buf, len, "gadget.yaml", &doc, err) < 0)
		return NULL;
	if (!yaml_document_get_root_node(&doc))
		out = json_null();
	else
		out = yaml_node_json(&doc, yaml_document_get_root_node(&doc),
				     0);
	if (!out)
		error_set(err, 0,
			  "gadget.yaml: a key that is no string, or "
			  "text that is no UTF-8");
	yaml_document_delete(&doc);
	return out;
}

/* The manifest document of this machine's architecture in doc. */
static json_t *host_manifest(json_t *doc, struct error **err)
{
	json_t *ms = json_object_get(doc, "manifests"), *m;
	size_t i;

	json_array_foreach (ms, i, m) {
		json_t *pf = json_object_get(m, "platform");
		const char *a =
			json_string_value(json_object_get(pf, "architecture"));

		if (!pf || (a && !strcmp(a, oci_host_arch())))
			return m;
	}
	error_set(err, 0, "no manifest for %s", oci_host_arch());
	return NULL;
}

/* ig's ebpf.* entry key of manifest document m's eBPF layer; NULL if none. */
static json_t *ebpf_info(struct oci_store *store, json_t *m, const char *key,
			 struct error **err)
{
	json_t *(*fn)(const void *, size_t, struct error **) = NULL;
	cleanup_free char *elf = NULL;
	json_t *layers = json_object_get(json_object_get(m, "manifest"),
					 "layers"),
	       *l, *v;
	const char *dg = NULL;
	json_int_t size = 0;
	size_t i, len;

	if (!strcmp(key, "ebpf.sections"))
		fn = objinfo_sections;
	else if (!strcmp(key, "ebpf.maps"))
		fn = objinfo_maps;
	else if (!strcmp(key, "ebpf.variables"))
		fn = objinfo_variables;
	else if (!strcmp(key, "ebpf.programs"))
		fn = objinfo_programs;
	else if (!strcmp(key, "ebpf.flowchart"))
		fn = objinfo_flowchart;
	else if (!strcmp(key, "ebpf.sequence"))
		fn = objinfo_sequence;
	json_array_foreach (layers, i, l) {
		const char *mt =
			json_string_value(json_object_get(l, "mediaType"));

		if (!dg && mt && !strcmp(mt, OCI_MT_GADGET_PROGRAM)) {
			dg = json_string_value(json_object_get(l, "digest"));
			size = json_integer_value(json_object_get(l, "size"));
		}
	}
	if (!fn || !dg)
		return NULL;
	if (oci_store_read_blob(store, dg, size, &elf, &len, err) < 0)
		return NULL;
	v = fn(elf, len, err);
	if (!v)
		error_prefix(err, "%s", key);
	return v;
}

/*
 * The gadget.yaml of manifest document m as stored (*yaml malloc'd, NULL
 * when the manifest has no config): ig's oci.metadata before it parses
 * it, read from the config whatever its media type ({} for the empty one
 * of a gadget built without gadget.yaml).
 */
static int metadata_yaml(struct oci_store *store, json_t *m, char **yaml,
			 size_t *len, struct error **err)
{
	const char *y = json_string_value(json_object_get(m, "metadata"));
	json_t *cfg = json_object_get(json_object_get(m, "manifest"), "config");
	const char *cdg = json_string_value(json_object_get(cfg, "digest"));

	*yaml = NULL;
	*len = 0;
	if (y) {
		*len = strlen(y);
		*yaml = strdup(y);
		return *yaml ? 0 : error_set(err, ENOMEM, "oci.metadata");
	}
	if (!cdg)
		return 0;
	return oci_store_read_blob(
		store, cdg, json_integer_value(json_object_get(cfg, "size")),
		yaml, len, err);
}

/*
 * ig's extra info entry key of the image (named name on the command line)
 * whose inspect document is doc: an object, or a string printed as it is.
 * ig's reference.Parse does not normalise: oci.repository is the name as
 * given, oci.tag "latest" without one, oci.digest the config's digest.
 */
static json_t *extra_info(struct oci_store *store, json_t *doc,
			  const char *name, const char *key, struct error **err)
{
	static const char *const keys =
		"ebpf.flowchart, ebpf.maps, ebpf.programs, ebpf.sections, "
		"ebpf.sequence, ebpf.variables, "
		"oci.created, "
		"oci.digest, "
		"oci.manifest, oci.metadata, oci.repository, oci.tag";
	json_t *m = host_manifest(doc, err), *man;
	const char *at = strchr(name, '@'), *slash, *colon;
	size_t n = at ? (size_t)(at - name) : strlen(name);

	if (!m)
		return NULL;
	man = json_object_get(m, "manifest");
	slash = memrchr(name, '/', n);
	colon = memrchr(slash ? slash : name, ':',
			n - (slash ? slash - name : 0));
	if (!strcmp(key, "oci.manifest"))
		return json_incref(man);
	if (!strcmp(key, "oci.metadata")) {
		cleanup_free char *y = NULL;
		size_t len;

		if (metadata_yaml(store, m, &y, &len, err) < 0)
			return NULL;
		return y ? yaml_json(y, len, err) : json_null();
	}
	if (!strcmp(key, "oci.repository"))
		return json_stringn(name, colon ? (size_t)(colon - name) : n);
	if (!strcmp(key, "oci.tag"))
		return colon ? json_stringn(colon + 1, n - (colon + 1 - name)) :
			       json_string("latest");
	if (!strcmp(key, "oci.digest"))
		return json_string(
			json_string_value(json_object_get(json_object_get(man, "config"), "digest")) ?:
				"");
	if (!strcmp(key, "oci.created"))
		return json_string(
			json_string_value(json_object_get(json_object_get(man, "annotations"), "org.opencontainers.image.created")) ?:
				"");
	if (!strncmp(key, "ebpf.", 5)) {
		json_t *v = ebpf_info(store, m, key, err);

		if (v || *err)
			return v;
	}
	error_set(err, 0, "extra info \"%s\" not found (here: %s)", key, keys);
	return NULL;
}

/*
 * The data sources of image ref (normalised; shown as name) for this
 * machine's architecture, as ig's --show-datasources: the program opened
 * with its gadget.yaml as `run` opens it, nothing loaded.
 */
static json_t *datasources(struct oci_store *store, const char *ref,
			   const char *name, struct error **err)
{
	cleanup_gadget struct oci_gadget *img = NULL;
	cleanup_free char *env_vars = NULL;
	struct gadget_metadata *md = NULL;
	struct session *s = NULL;
	json_t *v = NULL;

	/* ig's env operator: its global param from the configuration only
	 * (inspect has no such flag), as ig's inspect reads it */
	if (!config_flag_value("env-vars", &env_vars, err) &&
	    !oci_store_get_gadget(store, ref, NULL, &img, err) &&
	    !metadata_parse(img->config, img->config_len, "gadget.yaml", &md,
			    err) &&
	    !session_describe_open(img->program, img->program_len, md, name,
				   env_vars, &s, err))
		v = session_datasources_json(s, err);
	session_free(s);
	metadata_free(md);
	return v;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Each member of what cur holds that step (a key, an index, or every
 * member: key NULL and index -1) names, appended to next. */
static int jsonpath_step(json_t *cur, const char *key, long index, json_t *next)
{
	const char *k;
	json_t *v, *m;
	size_t i;

	json_array_foreach (cur, i, v) {
		if (key) {
			m = json_object_get(v, key);
		} else if (index >= 0) {
			m = json_array_get(v, index);
		} else if (json_is_array(v)) {
			if (json_array_extend(next, v))
				return -1;
			continue;
		} else if (json_is_object(v)) {
			/* an object's members in key order, as Go's maps */
			cleanup_free const char **keys =
				calloc(json_object_size(v) + 1, sizeof(*keys));
			size_t n = 0;

			if (!keys)
				return -1;
			json_object_foreach (v, k, m)
				keys[n++] = k;
			qsort(keys, n, sizeof(*keys), cmp_str);
			for (size_t j = 0; j < n; j++)
				if (json_array_append(
					    next, json_object_get(v, keys[j])))
					return -1;
			continue;
		} else {
			continue;
		}
		if (m && json_array_append(next, m))
			return -1;
	}
	return 0;
}

/*
 * The member of v that path names, as ig's --jsonpath ("$" + path) with
 * the steps .key, ["key"], ['key'], [N] and [*] (every member: the result
 * is then the array of what the steps after it name in each) in the
 * extra info key_of (NULL: the data sources); a new reference, NULL (err
 * set) when path has another step or v no such member.
 */
static json_t *jsonpath_get(json_t *v, const char *path, const char *key_of,
			    struct error **err)
{
	cleanup_json json_t *cur = json_pack("[O]", v);
	const char *p = path;
	bool plural = false;

	while (*p && cur) {
		cleanup_free char *key = NULL;
		long index = -1;
		json_t *next;
		size_t n;

		if (*p == '.' && p[1] != '.' && p[1] != '[') {
			n = strcspn(p + 1, ".[");
			key = strndup(p + 1, n);
			p += 1 + n;
		} else if (p[0] == '[' && (p[1] == '"' || p[1] == '\'')) {
			const char *end = strchr(p + 2, p[1]);

			if (!end || end[1] != ']')
				break;
			key = strndup(p + 2, end - (p + 2));
			p = end + 2;
		} else if (p[0] == '[' && p[1] >= '0' && p[1] <= '9') {
			char *end;

			index = strtol(p + 1, &end, 10);
			if (*end != ']' || index < 0)
				break;
			p = end + 1;
		} else if (!strncmp(p, "[*]", 3)) {
			plural = true;
			p += 3;
		} else {
			break;
		}
		if (index < 0 && !plural && (!key || !*key))
			break;
		if (index < 0 && key && !*key)
			break;
		next = json_array();
		if (!next || jsonpath_step(cur, key, index, next)) {
			json_decref(next);
			error_set(err, ENOMEM, "jsonpath");
			return NULL;
		}
		json_decref(cur);
		cur = next;
	}
	if (*p) {
		error_set(err, 0,
			  "jsonpath \"%s\": want .key, [\"key\"], [N] or [*] "
			  "steps, at \"%s\"",
			  path, p);
		return NULL;
	}
	if (plural)
		return json_incref(cur);
	if (json_array_size(cur) != 1) {
		error_set(err, 0, "path \"%s\" not found in %s%s%s", path,
			  key_of ? "extra info \"" : "the data sources",
			  key_of ? key_of : "", key_of ? "\"" : "");
		return NULL;
	}
	return json_incref(json_array_get(cur, 0));
}

static json_t *keys_sorted(json_t *v, int depth);

/* Object v's members in key order, each sorted by keys_sorted(). */
static json_t *object_sorted(json_t *v, int depth)
{
	cleanup_free const char **keys =
		calloc(json_object_size(v) + 1, sizeof(*keys));
	json_t *out = json_object(), *m;
	const char *k;
	size_t i, n = 0;

	if (!keys || !out)
		goto fail;
	json_object_foreach (v, k, m)
		keys[n++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++)
		if (json_object_set_new(out, keys[i],
					keys_sorted(json_object_get(v, keys[i]),
						    depth + 1)))
			goto fail;
	return out;
fail:
	json_decref(out);
	return NULL;
}

/*
 * v with the members of every object in key order (a new reference; NULL
 * without memory): ig reads an extra info document into Go maps before
 * it writes it, and Go writes a map's keys sorted, in JSON and YAML.
 */
static json_t *keys_sorted(json_t *v, int depth)
{
	json_t *out, *m;
	size_t i;

	if (depth > 64)
		return NULL;
	if (json_is_object(v))
		return object_sorted(v, depth);
	if (!json_is_array(v))
		return json_incref(v);
	out = json_array();
	json_array_foreach (v, i, m)
		if (!out ||
		    json_array_append_new(out, keys_sorted(m, depth + 1))) {
			json_decref(out);
			return NULL;
		}
	return out;
}

/* v's members named "annotations" (Go maps in ig's structs) with their
 * keys sorted, the rest as it is. */
static int annotations_sorted(json_t *v, int depth)
{
	json_t *a = json_object_get(v, "annotations"), *m;
	const char *k;
	size_t i;

	if (depth > 64)
		return -1;
	if (json_is_object(a) &&
	    json_object_set_new(v, "annotations", keys_sorted(a, depth + 1)))
		return -1;
	json_object_foreach (v, k, m)
		if (annotations_sorted(m, depth + 1))
			return -1;
	json_array_foreach (v, i, m)
		if (annotations_sorted(m, depth + 1))
			return -1;
	return 0;
}

/*
 * -o custom, as ig's before 2025 (its gadgets' Makefile still uses it):
 * the content of extra info entry v as ig holds it, nothing added: a
 * text as it is, a document compact as Go's json.Marshal writes it (in
 * the entry's own member order, which is ig's for ebpf.*; the keys of
 * annotations sorted; <, > and & as \u003c, \u003e, \u0026).
 */
static int print_custom(json_t *v, struct error **err)
{
	cleanup_free char *text = NULL;

	if (json_is_string(v))
		return term_fputs(json_string_value(v), stdout,
				  ESCAPE_KEEP_NL) == EOF ?
			       error_set(err, errno, "write") :
			       0;
	if (annotations_sorted(v, 0))
		return error_set(err, ENOMEM, "-o custom");
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!text)
		return error_set(err, ENOMEM, "-o custom");
	for (const char *p = text; *p; p++) {
		if (*p == '<' || *p == '>' || *p == '&') {
			printf("\\u%04x", *p);
		} else if (!strncmp(p, "\xe2\x80\xa8", 3) ||
			   !strncmp(p, "\xe2\x80\xa9", 3)) {
			/* U+2028, U+2029: Go escapes them for JavaScript */
			printf("\\u%04x", 0x2028 + ((unsigned char)p[2] & 1));
			p += 2;
		} else {
			putchar(*p);
		}
	}
	return 0;
}

static int inspect_option(void *state, int opt, const char *arg,
			  struct error **err)
{
	struct inspect_state *s = state;

	if (opt == OPT_EXTRA_INFO) {
		s->extra_info = arg;
		return EXIT_OK;
	}
	if (opt == OPT_JSONPATH) {
		s->jsonpath = arg;
		return EXIT_OK;
	}
	if (opt == OPT_SHOW_DATASOURCES) {
		s->show_datasources = true;
		return EXIT_OK;
	}
	/* -o */
	if (strcmp(arg, "json") && strcmp(arg, "yaml") &&
	    strcmp(arg, "jsonpretty") && strcmp(arg, "custom"))
		return cli_usage_error(err, "image inspect",
				       "invalid output '%s': want "
				       "json, jsonpretty, yaml or custom",
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
	const char *fmt = s->fmt ? s->fmt : "jsonpretty";
	bool custom = !strcmp(fmt, "custom");
	json_t *m, *md;
	size_t i;
	int rc;

	if (s->jsonpath && !s->extra_info && !s->show_datasources)
		return cli_usage_error(err, "image inspect",
				       "--jsonpath needs --extra-info or "
				       "--show-datasources");
	if (s->extra_info && s->show_datasources)
		return cli_usage_error(err, "image inspect",
				       "--extra-info and --show-datasources "
				       "cannot be used together");
	if (custom && (!s->extra_info || s->jsonpath))
		return cli_usage_error(err, "image inspect",
				       "-o custom wants --extra-info KEY "
				       "(and no --jsonpath)");
	rc = cli_normalize_ref(ctx->argv[0], &ref, err);
	if (rc != EXIT_OK)
		return rc;
	if (cli_store_open(ctx, &store, err) < 0)
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
	if (custom && !strcmp(s->extra_info, "oci.metadata")) {
		/* the YAML as stored, not as parsed */
		cleanup_free char *y = NULL;
		size_t len;

		m = host_manifest(doc, err);
		if (!m || metadata_yaml(store, m, &y, &len, err) < 0)
			return EXIT_FAIL;
		if (y && term_fputs(y, stdout, ESCAPE_KEEP_NL) == EOF)
			return cli_error(err, EXIT_FAIL, "write: %s",
					 strerror(errno));
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
	}
	if (s->extra_info) {
		json_t *v = extra_info(store, doc, ctx->argv[0], s->extra_info,
				       err);

		if (!v)
			return EXIT_FAIL;
		json_decref(doc);
		doc = v;
	}
	if (custom) {
		if (print_custom(doc, err) < 0)
			return EXIT_FAIL;
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
	}
	if (s->show_datasources) {
		json_t *v = datasources(store, ref, ctx->argv[0], err);

		if (!v)
			return EXIT_FAIL;
		json_decref(doc);
		doc = v;
	}
	if (s->jsonpath) {
		json_t *v;

		if (json_is_string(doc)) {
			error_set(err, 0,
				  "jsonpath \"%s\": %s is text, not JSON or "
				  "YAML",
				  s->jsonpath, s->extra_info);
			return EXIT_FAIL;
		}
		v = jsonpath_get(doc, s->jsonpath, s->extra_info, err);
		if (!v)
			return EXIT_FAIL;
		json_decref(doc);
		doc = v;
	}
	/* an extra info document, or the data sources through --jsonpath,
	 * as ig writes them: from Go maps */
	if (s->extra_info || s->jsonpath) {
		json_t *v = keys_sorted(doc, 0);

		if (!v)
			return cli_error(err, EXIT_FAIL, "out of memory");
		json_decref(doc);
		doc = v;
	}
	if (json_is_string(doc)) {
		/* as ig: a text entry as it is, whatever the format */
		cleanup_free char *t =
			term_escaped(json_string_value(doc), ESCAPE_KEEP_NL);

		printf("%s\n", t ? t : "");
	} else if (!strcmp(fmt, "yaml")) {
		if (print_yaml(stdout, doc, err) < 0)
			return EXIT_FAIL;
	} else {
		cli_print_json(doc, strcmp(fmt, "json") != 0);
	}
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

static const struct option inspect_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "extra-info", required_argument, NULL, OPT_EXTRA_INFO },
	{ "jsonpath", required_argument, NULL, OPT_JSONPATH },
	{ "show-datasources", no_argument, NULL, OPT_SHOW_DATASOURCES },
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
		"  -o, --output FMT     jsonpretty (default), json (one line),\n"
		"                       yaml, or custom (--extra-info's\n"
		"                       content as ig holds it, nothing added)\n"
		"      --extra-info KEY one entry of ig's extra info instead:\n"
		"                       oci.manifest, oci.metadata (this\n"
		"                       machine's), oci.repository, oci.tag,\n"
		"                       oci.digest (the config's), oci.created,\n"
		"                       ebpf.sections, ebpf.maps,\n"
		"                       ebpf.variables, ebpf.programs,\n"
		"                       ebpf.flowchart, ebpf.sequence (of the\n"
		"                       eBPF object; the last two mermaid\n"
		"                       graphs of what programs do to maps)\n"
		"      --show-datasources\n"
		"                       the data sources and their fields\n"
		"                       instead, as ig's (from gadget.yaml\n"
		"                       and the program's BTF, nothing loaded;\n"
		"                       env.fields.* from the variables ig's\n"
		"                       config key operator.env.env-vars allows)\n"
		"      --jsonpath PATH  that entry's (or those data sources')\n"
		"                       member PATH (.key, [\"key\"], [N],\n"
		"                       [*] steps)\n"
		"      --store DIR      image store\n"
		"\n"
		"EXAMPLES\n"
		"  runner image inspect trace_dns\n"
		"  runner image inspect trace_dns -o yaml\n"
		"  runner image inspect trace_dns -o json | jq -r .metadata\n"
		"  runner image inspect trace_dns --extra-info oci.metadata\n"
		"  runner image inspect trace_dns --extra-info ebpf.maps\n"
		"  runner image inspect trace_dns -o custom \\\n"
		"      --extra-info ebpf.flowchart\n"
		"  runner image inspect trace_dns --extra-info oci.manifest \\\n"
		"      --jsonpath '.layers[0].digest'\n"
		"  runner image inspect trace_dns --show-datasources \\\n"
		"      --jsonpath '[0].fields[*].fullName'\n",
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
