// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "oci/digest.h"
#include "oci/manifest.h"

enum oci_kind oci_media_kind(const char *mt)
{
	if (!mt)
		return OCI_KIND_OTHER;
	if (!strcmp(mt, OCI_MT_INDEX) || !strcmp(mt, OCI_MT_DOCKER_LIST))
		return OCI_KIND_INDEX;
	if (!strcmp(mt, OCI_MT_MANIFEST) || !strcmp(mt, OCI_MT_DOCKER_MANIFEST))
		return OCI_KIND_MANIFEST;
	return OCI_KIND_OTHER;
}

static json_t *load(const void *buf, size_t len, struct error **err)
{
	json_error_t jerr;
	json_t *j;

	if (len > OCI_MAX_MANIFEST_SIZE) {
		error_set(err, 0, "document too large (%zu bytes)", len);
		return NULL;
	}
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		error_set(err, 0, "invalid JSON at line %d column %d: %s",
			  jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		error_set(err, 0, "JSON document is not an object");
		return NULL;
	}
	return j;
}

enum oci_kind oci_doc_kind(const void *buf, size_t len, char **media_type)
{
	cleanup_json json_t *j = load(buf, len, NULL);
	const char *mt;

	if (media_type)
		*media_type = NULL;
	if (!j)
		return OCI_KIND_OTHER;
	mt = json_string_value(json_object_get(j, "mediaType"));
	if (mt) {
		if (media_type)
			*media_type = strdup(mt);
		return oci_media_kind(mt);
	}
	if (json_is_array(json_object_get(j, "manifests"))) {
		if (media_type)
			*media_type = strdup(OCI_MT_INDEX);
		return OCI_KIND_INDEX;
	}
	if (json_is_object(json_object_get(j, "config"))) {
		if (media_type)
			*media_type = strdup(OCI_MT_MANIFEST);
		return OCI_KIND_MANIFEST;
	}
	return OCI_KIND_OTHER;
}

/* Optional string member: NULL when absent, error when of another type. */
static int get_str(json_t *obj, const char *key, char **out, struct error **err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return error_set(err, 0, "\"%s\" is not a string", key);
	*out = strdup(json_string_value(v));
	if (!*out)
		return error_set(err, ENOMEM, "parse");
	return 0;
}

static void kv_free(struct oci_kv *kv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static int get_annotations(json_t *obj, struct oci_kv **out, size_t *n,
			   struct error **err)
{
	json_t *a = json_object_get(obj, "annotations");
	const char *key;
	json_t *v;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_object(a))
		return error_set(err, 0, "\"annotations\" is not an object");
	if (json_object_size(a) == 0)
		return 0;
	*out = calloc(json_object_size(a), sizeof(**out));
	if (!*out)
		return error_set(err, ENOMEM, "parse");
	json_object_foreach (a, key, v) {
		if (!json_is_string(v)) {
			kv_free(*out, i);
			*out = NULL;
			*n = 0;
			return error_set(
				err, 0, "annotation \"%.100s\" is not a string",
				key);
		}
		(*out)[i].key = strdup(key);
		(*out)[i].value = strdup(json_string_value(v));
		i++;
		*n = i;
		if (!(*out)[i - 1].key || !(*out)[i - 1].value)
			return error_set(err, ENOMEM, "parse");
	}
	return 0;
}

static void descriptor_clear(struct oci_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	free(d->artifact_type);
	free(d->arch);
	free(d->os);
	free(d->variant);
	kv_free(d->annotations, d->n_annotations);
	memset(d, 0, sizeof(*d));
}

void oci_descriptor_free(struct oci_descriptor *d)
{
	if (!d)
		return;
	descriptor_clear(d);
	free(d);
}

static int parse_descriptor(json_t *j, struct oci_descriptor *d,
			    struct error **err)
{
	json_t *size, *platform;

	if (!json_is_object(j))
		return error_set(err, 0, "descriptor is not an object");
	if (get_str(j, "mediaType", &d->media_type, err) < 0 ||
	    get_str(j, "digest", &d->digest, err) < 0 ||
	    get_str(j, "artifactType", &d->artifact_type, err) < 0)
		return -1;
	if (!d->media_type)
		return error_set(err, 0, "descriptor without mediaType");
	if (!d->digest)
		return error_set(err, 0, "descriptor without digest");
	if (oci_digest_check(d->digest, err) < 0)
		return -1;
	size = json_object_get(j, "size");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return error_set(err, 0,
				 "descriptor %s: size missing or negative",
				 d->digest);
	d->size = json_integer_value(size);
	platform = json_object_get(j, "platform");
	if (platform && !json_is_null(platform)) {
		if (!json_is_object(platform))
			return error_set(err, 0,
					 "\"platform\" is not an object");
		if (get_str(platform, "architecture", &d->arch, err) < 0 ||
		    get_str(platform, "os", &d->os, err) < 0 ||
		    get_str(platform, "variant", &d->variant, err) < 0)
			return -1;
	}
	return get_annotations(j, &d->annotations, &d->n_annotations, err);
}

static int check_schema(json_t *j, struct error **err)
{
	json_t *v = json_object_get(j, "schemaVersion");

	if (!json_is_integer(v) || json_integer_value(v) != 2)
		return error_set(err, 0, "schemaVersion is not 2");
	return 0;
}

/* The array key of j, each a descriptor, into *list; *n counts those
 * parsed (the rest zero), for the caller's free on error. */
static int parse_descriptors(json_t *j, const char *key,
			     struct oci_descriptor **list, size_t *n,
			     struct error **err)
{
	json_t *arr = json_object_get(j, key), *e;
	size_t i;

	if (!json_is_array(arr))
		return error_set(err, 0, "\"%s\" is not an array", key);
	if (json_array_size(arr)) {
		*list = calloc(json_array_size(arr), sizeof(**list));
		if (!*list)
			return error_set(err, ENOMEM, "alloc");
	}
	json_array_foreach (arr, i, e) {
		*n = i + 1;
		if (parse_descriptor(e, &(*list)[i], err) < 0)
			return error_prefix(err, "%s[%zu]", key, i);
	}
	return 0;
}

/* The document's mediaType, where it has one, must be of kind. */
static int check_media_type(const char *mt, enum oci_kind kind,
			    struct error **err)
{
	if (mt && oci_media_kind(mt) != kind)
		return error_set(err, 0, "unexpected mediaType \"%.100s\"", mt);
	return 0;
}

int oci_index_parse(const void *buf, size_t len, struct oci_index **out,
		    struct error **err)
{
	cleanup_json json_t *j = load(buf, len, err);
	struct oci_index *idx;
	json_t *arr;

	if (!j || check_schema(j, err) < 0)
		return error_prefix(err, "parse image index");
	arr = json_object_get(j, "manifests");
	if (!json_is_array(arr))
		return error_set(
			err, 0,
			"parse image index: \"manifests\" is not an array");
	idx = calloc(1, sizeof(*idx));
	if (!idx)
		return error_set(err, ENOMEM, "parse image index");
	if (get_str(j, "mediaType", &idx->media_type, err) < 0 ||
	    check_media_type(idx->media_type, OCI_KIND_INDEX, err) < 0 ||
	    parse_descriptors(j, "manifests", &idx->manifests,
			      &idx->n_manifests, err) < 0)
		goto fail;
	if (get_annotations(j, &idx->annotations, &idx->n_annotations, err) < 0)
		goto fail;
	*out = idx;
	return 0;
fail:
	oci_index_free(idx);
	return error_prefix(err, "parse image index");
}

void oci_index_free(struct oci_index *idx)
{
	size_t i;

	if (!idx)
		return;
	for (i = 0; i < idx->n_manifests; i++)
		descriptor_clear(&idx->manifests[i]);
	free(idx->manifests);
	free(idx->media_type);
	kv_free(idx->annotations, idx->n_annotations);
	free(idx);
}

int oci_manifest_parse(const void *buf, size_t len, struct oci_manifest **out,
		       struct error **err)
{
	cleanup_json json_t *j = load(buf, len, err);
	struct oci_manifest *m;

	if (!j || check_schema(j, err) < 0)
		return error_prefix(err, "parse image manifest");
	m = calloc(1, sizeof(*m));
	if (!m)
		return error_set(err, ENOMEM, "parse image manifest");
	if (get_str(j, "mediaType", &m->media_type, err) < 0 ||
	    get_str(j, "artifactType", &m->artifact_type, err) < 0 ||
	    check_media_type(m->media_type, OCI_KIND_MANIFEST, err) < 0)
		goto fail;
	if (parse_descriptor(json_object_get(j, "config"), &m->config, err) <
	    0) {
		error_prefix(err, "config");
		goto fail;
	}
	if (parse_descriptors(j, "layers", &m->layers, &m->n_layers, err) < 0)
		goto fail;
	if (get_annotations(j, &m->annotations, &m->n_annotations, err) < 0)
		goto fail;
	*out = m;
	return 0;
fail:
	oci_manifest_free(m);
	return error_prefix(err, "parse image manifest");
}

void oci_manifest_free(struct oci_manifest *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n_layers; i++)
		descriptor_clear(&m->layers[i]);
	free(m->layers);
	descriptor_clear(&m->config);
	free(m->media_type);
	free(m->artifact_type);
	kv_free(m->annotations, m->n_annotations);
	free(m);
}

const char *oci_kv_get(const struct oci_kv *kv, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].value;
	return NULL;
}

const struct oci_descriptor *oci_index_find_arch(const struct oci_index *idx,
						 const char *arch)
{
	size_t i;

	for (i = 0; i < idx->n_manifests; i++) {
		const struct oci_descriptor *d = &idx->manifests[i];

		if (oci_media_kind(d->media_type) != OCI_KIND_MANIFEST)
			continue;
		if (d->arch && !strcmp(d->arch, arch) &&
		    (!d->os || !strcmp(d->os, "linux")))
			return d;
	}
	return NULL;
}

char *oci_index_archs(const struct oci_index *idx)
{
	size_t i, len = 1;
	char *s;

	for (i = 0; i < idx->n_manifests; i++)
		if (idx->manifests[i].arch)
			len += strlen(idx->manifests[i].arch) + 2;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (i = 0; i < idx->n_manifests; i++) {
		if (!idx->manifests[i].arch)
			continue;
		if (*s)
			strcat(s, ", ");
		strcat(s, idx->manifests[i].arch);
	}
	return s;
}

int oci_doc_parse(const char *mt, const void *buf, size_t len,
		  struct oci_doc *doc, struct error **err)
{
	memset(doc, 0, sizeof(*doc));
	doc->kind = oci_media_kind(mt);
	if (doc->kind == OCI_KIND_INDEX)
		return oci_index_parse(buf, len, &doc->idx, err);
	if (doc->kind == OCI_KIND_MANIFEST)
		return oci_manifest_parse(buf, len, &doc->m, err);
	return error_set(err, 0, "unsupported media type %s", mt);
}

void oci_doc_fini(struct oci_doc *doc)
{
	oci_index_free(doc->idx);
	oci_manifest_free(doc->m);
	doc->idx = NULL;
	doc->m = NULL;
}

const struct oci_descriptor *oci_doc_child(const struct oci_doc *doc, size_t i)
{
	if (doc->idx)
		return i < doc->idx->n_manifests ? &doc->idx->manifests[i] :
						   NULL;
	if (!doc->m)
		return NULL;
	if (i == 0)
		return &doc->m->config;
	return i - 1 < doc->m->n_layers ? &doc->m->layers[i - 1] : NULL;
}

int oci_nesting_check(int depth, struct error **err)
{
	if (depth > OCI_MAX_NESTING)
		return error_set(err, 0, "indexes nested too deep");
	return 0;
}

int oci_seen_add(struct oci_seen *s, const char *digest, struct error **err)
{
	int r = strmap_add(&s->map, digest, 0);

	if (r < 0)
		return error_set(err, ENOMEM, "alloc");
	return r;
}

bool oci_seen_has(const struct oci_seen *s, const char *digest)
{
	return strmap_get(&s->map, digest, NULL);
}

void oci_seen_fini(struct oci_seen *s)
{
	strmap_fini(&s->map);
}

int64_t oci_media_max_size(const char *mt)
{
	if (!mt)
		return OCI_MAX_BLOB_SIZE;
	switch (oci_media_kind(mt)) {
	case OCI_KIND_INDEX:
	case OCI_KIND_MANIFEST:
		return OCI_MAX_MANIFEST_SIZE;
	default:
		break;
	}
	if (!strcmp(mt, OCI_MT_GADGET_CONFIG))
		return OCI_MAX_CONFIG_SIZE;
	return OCI_MAX_BLOB_SIZE;
}
