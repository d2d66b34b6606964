// SPDX-License-Identifier: Apache-2.0
/*
 * A data source's fields as ig's `image inspect --show-datasources` shows
 * them (its api.Field, written by Go's encoding/json: zero values left
 * out): what the runner's field model knows of each, nothing loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "metadata/metadata.h"
#include "runner/engine/fields_build.h"
#include "runner/engine/fields_internal.h"

/* ig's api.Kind */
enum ig_kind {
	IG_INVALID = 0,
	IG_BOOL = 1,
	IG_INT8 = 2,
	IG_UINT8 = 6,
	IG_FLOAT32 = 10,
	IG_FLOAT64 = 11,
	IG_STRING = 12,
	IG_CSTRING = 13,
	IG_BYTES = 14,
	IG_ARRAY = 0x10000000, /* KindFlagArray: an array of the kind */
};

/* ig's datasource.FieldFlag */
enum ig_flag {
	IG_EMPTY = 1,
	IG_HIDDEN = 4,
	IG_HAS_PARENT = 8,
	IG_STATIC_MEMBER = 16,
	IG_UNREFERENCED = 32,
};

/* A field that is not read from the event as it is (ig's operators add
 * such fields, each with its own payload): a formatted X, an endpoint's
 * addr (ig's formatter makes it a string from addr_raw and the version),
 * a user or group name, enrichment, the bytes after the struct, an
 * environment variable's value. */
static bool is_derived(const struct field *f)
{
	return f->fmt_of >= 0 || f->kind == FK_IPADDR ||
	       f->kind == FK_RUNTIME || f->kind == FK_K8S ||
	       f->kind == FK_USTACK || f->kind == FK_USER ||
	       f->kind == FK_GROUP || f->kind == FK_REST || f->kind == FK_ENV;
}

/* The enrichment subtrees' parents (runtime, k8s): no value at all. */
static bool is_empty(const struct fieldset *fs, size_t i)
{
	const struct field *c = i + 1 < fs->n ? &fs->f[i + 1] : NULL;

	return fs->f[i].kind == FK_STRUCT && c && c->parent == (int)i &&
	       (c->kind == FK_RUNTIME || c->kind == FK_K8S);
}

/* An integer of size bytes: Int8..Int64 or Uint8..Uint64. */
static unsigned int int_kind(__u32 size, bool is_signed)
{
	unsigned int k = is_signed ? IG_INT8 : IG_UINT8;

	switch (size) {
	case 1:
		return k;
	case 2:
		return k + 1;
	case 4:
		return k + 2;
	case 8:
		return k + 3;
	default:
		return IG_INVALID;
	}
}

static unsigned int ig_kind(const struct fieldset *fs, size_t i)
{
	const struct field *f = &fs->f[i];
	unsigned int k;

	if (is_empty(fs, i))
		return IG_INVALID;
	if (f->kind == FK_K8S && f->info == K8S_HOSTNETWORK)
		return IG_BOOL;
	if (f->kind == FK_REST) /* ebpf.rest.name: ig adds it as bytes */
		return IG_BYTES;
	if (is_derived(f))
		return IG_STRING;
	switch (f->kind) {
	case FK_STRUCT:
	case FK_L3EP:
	case FK_L4EP:
	case FK_L3EP_LIST:
		return IG_BYTES;
	case FK_STRING:
		return IG_CSTRING;
	case FK_BOOL:
		k = IG_BOOL;
		break;
	case FK_FLOAT:
		k = f->size == 4 ? IG_FLOAT32 : IG_FLOAT64;
		break;
	case FK_BYTES:
		if (f->count <= 1)
			return IG_BYTES; /* a union */
		k = IG_UINT8;
		break;
	default:
		k = int_kind(f->size, f->is_signed);
		break;
	}
	return f->count > 1 && k != IG_INVALID ? (k | IG_ARRAY) : k;
}

enum field_vtype fieldset_value_type(const struct fieldset *fs, size_t i)
{
	unsigned int k = ig_kind(fs, i);

	switch (k) {
	case IG_INVALID:
		return FVT_NONE;
	case IG_BOOL:
		return FVT_BOOL;
	case IG_FLOAT32:
	case IG_FLOAT64:
		return FVT_FLOAT;
	case IG_STRING:
	case IG_CSTRING:
		return FVT_STRING;
	case IG_BYTES: /* a struct of members: no value of its own */
		return fs->f[i].is_struct ? FVT_NONE : FVT_STRING;
	default: /* integers; arrays read as their text, as in ig */
		return k & IG_ARRAY ? FVT_STRING : FVT_INT;
	}
}

static int set_str(json_t *o, const char *key, const char *value)
{
	return json_object_set_new(o, key, json_string(value));
}

static int set_int(json_t *o, const char *key, int value)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", value);
	return set_str(o, key, num);
}

/* gadget.yaml's annotations of field name (they override those before) */
static int set_yaml_annotations(json_t *a, const struct fieldset *fs,
				const struct gadget_metadata *md,
				const char *name)
{
	const char *key, *value;
	int rc = 0;

	for (size_t i = 0;
	     (key = metadata_field_annotation_at(md, fs->ds, name, i, &value));
	     i++)
		rc |= set_str(a, key, value);
	return rc;
}

/* The annotations ig's field would carry: its defaults and templates
 * as the model resolved them, then gadget.yaml's own as written. */
static json_t *field_annotations(const struct fieldset *fs,
				 const struct field *f,
				 const struct gadget_metadata *md)
{
	static const char *const aligns[] = { "left", "right" };
	static const char *const ellipses[] = { "end", "start", "middle",
						"none" };
	json_t *a = json_object();
	int rc;

	if (!a)
		return NULL;
	rc = set_int(a, "columns.width",
		     f->width > 0 ? f->width : build_default_width(f)) |
	     set_str(a, "columns.alignment", aligns[f->align]) |
	     set_str(a, "columns.ellipsis", ellipses[f->ellipsis]);
	if (f->minwidth > 0)
		rc |= set_int(a, "columns.minwidth", f->minwidth);
	if (f->maxwidth > 0)
		rc |= set_int(a, "columns.maxwidth", f->maxwidth);
	if (f->hidden)
		rc |= set_str(a, "columns.hidden", "true");
	if (f->fixed)
		rc |= set_str(a, "columns.fixed", "true");
	if (f->kind == FK_HEX)
		rc |= set_str(a, "columns.hex", "true");
	if (f->precision > 0)
		rc |= set_int(a, "columns.precision", f->precision);
	if (f->alias && *f->alias)
		rc |= set_str(a, "columns.alias", f->alias);
	if (f->description && *f->description)
		rc |= set_str(a, "description", f->description);
	if (f->json_skip)
		rc |= set_str(a, "json.skip", "true");
	rc |= set_yaml_annotations(a, fs, md, f->name);
	if (rc) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* Field i as ig's api.Field, at index at (parent at pat); payload: its
 * payload index if derived. */
static json_t *field_json(const struct fieldset *fs, size_t i, size_t at,
			  size_t pat, const struct gadget_metadata *md,
			  unsigned int payload)
{
	const struct field *f = &fs->f[i];
	json_t *o = json_object(), *tags = json_array();
	json_t *ann = field_annotations(fs, f, md);
	unsigned int flags = f->hidden ? IG_HIDDEN : 0, kind = ig_kind(fs, i);
	char tag[300];
	int rc = 0;

	if (!o || !tags || !ann)
		goto fail;
	rc |= set_str(o, "name", f->key) | set_str(o, "fullName", f->name);
	if (at)
		rc |= json_object_set_new(o, "index", json_integer((int)at));
	if (is_empty(fs, i)) {
		flags |= IG_EMPTY;
	} else if (is_derived(f)) {
		rc |= json_object_set_new(o, "payloadIndex",
					  json_integer(payload));
	} else {
		flags |= IG_STATIC_MEMBER;
		if (f->off)
			rc |= json_object_set_new(o, "offs",
						  json_integer(f->off));
		rc |= json_object_set_new(
			o, "size",
			json_integer((json_int_t)f->size * f->count));
	}
	if (f->parent >= 0)
		flags |= IG_HAS_PARENT;
	if (flags)
		rc |= json_object_set_new(o, "flags", json_integer(flags));
	if (kind)
		rc |= json_object_set_new(o, "kind", json_integer(kind));
	if (f->gtype) {
		snprintf(tag, sizeof(tag), "type:%s", f->gtype);
		rc |= json_array_append_new(tags, json_string(tag));
	}
	if (!is_derived(f) && !is_empty(fs, i)) {
		snprintf(tag, sizeof(tag), "name:%s", f->key);
		rc |= json_array_append_new(tags, json_string(tag));
		rc |= json_array_append_new(tags, json_string("src:ebpf"));
	}
	if (f->kind == FK_K8S ||
	    (is_empty(fs, i) && fs->f[i + 1].kind == FK_K8S))
		rc |= json_array_append_new(tags, json_string("kubernetes"));
	if (json_array_size(tags))
		rc |= json_object_set(o, "tags", tags);
	rc |= json_object_set(o, "annotations", ann);
	if (f->parent >= 0)
		rc |= json_object_set_new(o, "parent", json_integer((int)pat));
	if (f->order > 0) /* columns.order (the enrichment's are < 0) */
		rc |= json_object_set_new(o, "order", json_integer(f->order));
	if (rc)
		goto fail;
	json_decref(tags);
	json_decref(ann);
	return o;
fail:
	json_decref(tags);
	json_decref(ann);
	json_decref(o);
	return NULL;
}

/* An endpoint's addr, which ig's formatter makes from the member
 * addr_raw: ig keeps addr_raw and its union's members v6 and v4 (not
 * v6_raw, an integer of 16 bytes it has no kind for) as fields no longer
 * referenced by name. */
static bool made_from_addr_raw(const struct fieldset *fs, size_t i)
{
	const struct field *f = &fs->f[i];

	return f->kind == FK_IPADDR && f->parent >= 0 &&
	       (fs->f[f->parent].kind == FK_L3EP ||
		fs->f[f->parent].kind == FK_L4EP);
}

#define ADDR_RAW_FIELDS 3 /* addr_raw, addr_raw.v6, addr_raw.v4 */

/* ig's addr_raw of the endpoint whose addr is field i, at index at, and
 * its members after it. */
static int addr_raw_json(const struct fieldset *fs, size_t i, size_t at,
			 size_t pat, const struct gadget_metadata *md,
			 json_t *arr)
{
	static const struct {
		const char *key;
		unsigned int kind, size;
	} parts[ADDR_RAW_FIELDS] = {
		{ "addr_raw", IG_BYTES, 16 },
		{ "v6", IG_UINT8 | IG_ARRAY, 16 },
		{ "v4", IG_UINT8 + 2, 4 },
	};
	const struct field *f = &fs->f[i];
	char name[320], tag[64];

	for (size_t k = 0; k < ADDR_RAW_FIELDS; k++) {
		json_t *o = json_object(), *tags = json_array();
		json_t *ann = json_object();
		int rc = 0;

		snprintf(name, sizeof(name), "%s_raw%s%s", f->name,
			 k ? "." : "", k ? parts[k].key : "");
		if (!o || !tags || !ann) {
			rc = -1;
			goto next;
		}
		snprintf(tag, sizeof(tag), "name:%s", parts[k].key);
		rc |= json_array_append_new(tags, json_string(tag));
		rc |= json_array_append_new(tags, json_string("src:ebpf"));
		if (!k)
			rc |= json_array_insert_new(
				tags, 0, json_string("type:gadget_ip_addr_t"));
		rc |= set_yaml_annotations(ann, fs, md, name);
		rc |= set_str(o, "name", parts[k].key) |
		      set_str(o, "fullName", name);
		rc |= json_object_set_new(o, "index",
					  json_integer((int)(at + k)));
		if (f->off)
			rc |= json_object_set_new(o, "offs",
						  json_integer(f->off));
		rc |= json_object_set_new(o, "size",
					  json_integer(parts[k].size));
		rc |= json_object_set_new(o, "flags",
					  json_integer(IG_STATIC_MEMBER |
						       IG_HAS_PARENT |
						       IG_UNREFERENCED));
		rc |= json_object_set_new(o, "kind",
					  json_integer(parts[k].kind));
		rc |= json_object_set(o, "tags", tags);
		if (json_object_size(ann))
			rc |= json_object_set(o, "annotations", ann);
		rc |= json_object_set_new(o, "parent",
					  json_integer((int)(k ? at : pat)));
		if (!rc)
			rc = json_array_append(arr, o);
next:
		json_decref(tags);
		json_decref(ann);
		json_decref(o);
		if (rc)
			return -1;
	}
	return 0;
}

/* The l4 endpoint whose last member is field i, or -1: ig's formatter
 * adds the endpoint's text ("ADDR:PORT") after its members, as a hidden
 * string field "endpoint" that JSON leaves out. */
static int l4_endpoint_ending_at(const struct fieldset *fs, size_t i)
{
	int p = fs->f[i].parent;

	if (p < 0 || fs->f[p].kind != FK_L4EP ||
	    (i + 1 < fs->n && fs->f[i + 1].parent == p))
		return -1;
	return p;
}

/* ig's endpoint of l4 endpoint field ep, at index at (ep's at pat), in
 * payload payload. */
static int endpoint_json(const struct fieldset *fs, size_t ep, size_t at,
			 size_t pat, const struct gadget_metadata *md,
			 unsigned int payload, json_t *arr)
{
	json_t *o = json_object(), *tags = json_array(), *ann = json_object();
	char name[320];
	int rc = -1;

	snprintf(name, sizeof(name), "%s.endpoint", fs->f[ep].name);
	if (!o || !tags || !ann)
		goto out;
	/* its annotations are ig's formatter's alone, then gadget.yaml's */
	rc = set_str(ann, "json.skip", "true") |
	     set_yaml_annotations(ann, fs, md, name);
	rc |= json_array_append_new(tags, json_string("endpoint"));
	rc |= set_str(o, "name", "endpoint") | set_str(o, "fullName", name);
	rc |= json_object_set_new(o, "index", json_integer((int)at));
	rc |= json_object_set_new(o, "payloadIndex", json_integer(payload));
	rc |= json_object_set_new(o, "flags",
				  json_integer(IG_HIDDEN | IG_HAS_PARENT));
	rc |= json_object_set_new(o, "kind", json_integer(IG_STRING));
	rc |= json_object_set(o, "tags", tags);
	rc |= json_object_set(o, "annotations", ann);
	rc |= json_object_set_new(o, "parent", json_integer((int)pat));
	if (!rc)
		rc = json_array_append(arr, o);
out:
	json_decref(tags);
	json_decref(ann);
	json_decref(o);
	return rc ? -1 : 0;
}

int fieldset_ig_fields(const struct fieldset *fs,
		       const struct gadget_metadata *md, struct json_t *arr)
{
	unsigned int payload = 0;
	size_t *at = calloc(fs->n ? fs->n : 1, sizeof(*at)), n = 0;
	int rc = 0;

	if (!at)
		return -1;
	/* ig's index of each field: after the addr_raw entries and the
	 * endpoints before it */
	for (size_t i = 0; i < fs->n; i++) {
		if (made_from_addr_raw(fs, i))
			n += ADDR_RAW_FIELDS;
		at[i] = n++;
		if (l4_endpoint_ending_at(fs, i) >= 0)
			n++;
	}
	for (size_t i = 0; i < fs->n && !rc; i++) {
		const struct field *f = &fs->f[i];
		size_t pat = f->parent >= 0 ? at[f->parent] : 0;
		json_t *o;
		int ep;

		if (made_from_addr_raw(fs, i) &&
		    addr_raw_json(fs, i, at[i] - ADDR_RAW_FIELDS, pat, md,
				  arr)) {
			rc = -1;
			break;
		}
		if (is_derived(f))
			payload++; /* the event's is 0 */
		o = field_json(fs, i, at[i], pat, md, payload);
		if (!o || json_array_append_new(arr, o))
			rc = -1;
		ep = rc ? -1 : l4_endpoint_ending_at(fs, i);
		if (ep >= 0 && endpoint_json(fs, (size_t)ep, at[i] + 1, at[ep],
					     md, ++payload, arr))
			rc = -1;
	}
	free(at);
	return rc;
}
