// SPDX-License-Identifier: Apache-2.0
/*
 * The gadget image format (compatible with Inspektor Gadget): an index with
 * a manifest per architecture, gadget.yaml as config, the eBPF ELF as the
 * layer, annotations from the metadata.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "common/json.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/ref.h"
#include "oci/gadget_image.h"
#include "oci/sign.h"
#include "oci/store.h"
#include "oci/store_txn.h"
#include "oci/store_internal.h"

static json_t *annotations_json(const struct oci_annotation *ann, size_t n,
				const char *created)
{
	json_t *a = json_object();
	size_t i;

	if (!a)
		return NULL;
	for (i = 0; i < n; i++)
		if (ann[i].key && ann[i].value)
			json_object_set_new(a, ann[i].key,
					    json_string(ann[i].value));
	if (!json_object_get(a, OCI_ANN_CREATED))
		json_object_set_new(a, OCI_ANN_CREATED, json_string(created));
	return a;
}

static bool valid_arch(const char *a)
{
	size_t i;

	if (!a || !*a || strlen(a) > 32)
		return false;
	for (i = 0; a[i]; i++)
		if (!((a[i] >= 'a' && a[i] <= 'z') ||
		      (a[i] >= '0' && a[i] <= '9')))
			return false;
	return true;
}

/* Stage the JSON document j as a blob; its digest and size go to d. */
static int put_json(struct oci_txn *txn, json_t *j, char d[OCI_DIGEST_SIZE],
		    size_t *size, struct error **err)
{
	cleanup_free char *buf = json_dumps(j, JSON_COMPACT);

	if (!buf)
		return error_set(err, ENOMEM, "encode JSON");
	*size = strlen(buf);
	return oci_txn_put(txn, buf, *size, d, err);
}

int oci_store_add_gadget(struct oci_store *store, const char *ref,
			 const void *config, size_t config_len,
			 const struct oci_gadget_arch *archs, size_t n_archs,
			 const struct oci_annotation *ann, size_t n_ann,
			 char **index_digest, struct error **err)
{
	cleanup_ref struct oci_ref *r = NULL;
	cleanup_free char *name = NULL;
	cleanup_txn struct oci_txn *txn = NULL;
	cleanup_json json_t *annotations = NULL;
	cleanup_json json_t *index = NULL;
	char config_digest[OCI_DIGEST_SIZE], idx_digest[OCI_DIGEST_SIZE];
	const char *config_mt = OCI_MT_GADGET_CONFIG;
	char created[32];
	struct tm tm;
	time_t now = time(NULL);
	size_t i, j, idx_size;

	if (oci_ref_parse(ref, NULL, &r, err) < 0)
		return error_prefix(err, "store gadget");
	if (!r->tag || r->digest)
		return error_set(err, 0,
				 "store gadget: reference %s must have a tag "
				 "and no digest",
				 ref);
	name = oci_ref_format(r);
	if (!name)
		return error_set(err, ENOMEM, "store gadget");
	if (n_archs == 0)
		return error_set(err, 0, "store gadget %s: no program", name);
	for (i = 0; i < n_archs; i++) {
		if (!valid_arch(archs[i].arch))
			return error_set(err, 0,
					 "store gadget %s: invalid "
					 "architecture \"%s\"",
					 name,
					 archs[i].arch ? archs[i].arch : "");
		for (j = 0; j < i; j++)
			if (!strcmp(archs[i].arch, archs[j].arch))
				return error_set(
					err, 0,
					"store gadget %s: architecture "
					"%s given twice",
					name, archs[i].arch);
	}
	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	annotations = annotations_json(ann, n_ann, created);
	index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
			  OCI_MT_INDEX, "manifests");
	if (!annotations || !index)
		return error_set(err, ENOMEM, "store gadget %s", name);

	if (!config) { /* no metadata: ig's empty config */
		config = "{}";
		config_len = 2;
		config_mt = OCI_MT_EMPTY;
	}
	if (oci_txn_begin(store, &txn, err) < 0 ||
	    oci_txn_put(txn, config, config_len, config_digest, err) < 0)
		return error_prefix(err, "store gadget %s", name);
	for (i = 0; i < n_archs; i++) {
		char layer_digest[OCI_DIGEST_SIZE], m_digest[OCI_DIGEST_SIZE];
		cleanup_json json_t *m = NULL;
		size_t m_size;
		json_t *desc;

		if (oci_txn_put(txn, archs[i].program, archs[i].program_len,
				layer_digest, err) < 0)
			return error_prefix(err, "store gadget %s", name);
		m = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:I, s:O}, "
			      "s:[{s:s, s:s, s:I}], s:O}",
			      "schemaVersion", 2, "mediaType", OCI_MT_MANIFEST,
			      "artifactType", OCI_ARTIFACT_GADGET, "config",
			      "mediaType", config_mt, "digest", config_digest,
			      "size", (json_int_t)config_len, "annotations",
			      annotations, "layers", "mediaType",
			      OCI_MT_GADGET_PROGRAM, "digest", layer_digest,
			      "size", (json_int_t)archs[i].program_len,
			      "annotations", annotations);
		if (!m)
			return error_set(err, ENOMEM, "store gadget %s", name);
		if (archs[i].wasm) {
			char wasm_digest[OCI_DIGEST_SIZE];

			if (oci_txn_put(txn, archs[i].wasm, archs[i].wasm_len,
					wasm_digest, err) < 0)
				return error_prefix(err, "store gadget %s",
						    name);
			if (json_array_append_new(
				    json_object_get(m, "layers"),
				    json_pack("{s:s, s:s, s:I}", "mediaType",
					      OCI_MT_GADGET_WASM, "digest",
					      wasm_digest, "size",
					      (json_int_t)archs[i].wasm_len)) <
			    0)
				return error_set(err, ENOMEM, "store gadget %s",
						 name);
		}
		if (put_json(txn, m, m_digest, &m_size, err) < 0)
			return error_prefix(err, "store gadget %s", name);
		desc = json_pack("{s:s, s:s, s:I, s:{s:s, s:s}, s:O}",
				 "mediaType", OCI_MT_MANIFEST, "digest",
				 m_digest, "size", (json_int_t)m_size,
				 "platform", "architecture", archs[i].arch,
				 "os", "linux", "annotations", annotations);
		if (!desc ||
		    json_array_append_new(json_object_get(index, "manifests"),
					  desc) < 0)
			return error_set(err, ENOMEM, "store gadget %s", name);
	}
	json_object_set(index, "annotations", annotations);
	if (put_json(txn, index, idx_digest, &idx_size, err) < 0 ||
	    oci_txn_set_ref(txn, name, OCI_MT_INDEX, idx_digest, idx_size,
			    err) < 0)
		return error_prefix(err, "store gadget %s", name);
	oci_txn_mark_built(txn, idx_digest);
	if (oci_txn_commit(txn, err) < 0)
		return error_prefix(err, "store gadget %s", name);
	if (index_digest) {
		*index_digest = strdup(idx_digest);
		if (!*index_digest)
			return error_set(err, ENOMEM, "store gadget %s", name);
	}
	return 0;
}

static bool is_gadget_manifest(const struct oci_manifest *m)
{
	return (m->artifact_type &&
		!strcmp(m->artifact_type, OCI_ARTIFACT_GADGET)) ||
	       !strcmp(m->config.media_type, OCI_MT_GADGET_CONFIG);
}

int oci_store_get_gadget(struct oci_store *store, const char *ref,
			 const char *arch, struct oci_gadget **out,
			 struct error **err)
{
	struct oci_descriptor *top = NULL;
	cleanup_free char *buf = NULL;
	cleanup_manifest struct oci_manifest *m = NULL;
	struct oci_gadget *g = NULL;
	const struct oci_descriptor *layer = NULL;
	size_t len, i;
	int ret = -1;

	if (!arch)
		arch = oci_host_arch();
	if (oci_store_resolve(store, ref, &top, err) < 0)
		return -1;
	if (oci_store_read_blob(store, top->digest, top->size, &buf, &len,
				err) < 0)
		goto out;
	if (oci_media_kind(top->media_type) == OCI_KIND_INDEX) {
		cleanup_index struct oci_index *idx = NULL;
		const struct oci_descriptor *d;

		if (oci_index_parse(buf, len, &idx, err) < 0)
			goto out;
		d = oci_index_find_arch(idx, arch);
		if (!d) {
			cleanup_free char *have = oci_index_archs(idx);

			error_set(err, 0,
				  "no manifest for architecture %s "
				  "(image has: %s)",
				  arch, have && *have ? have : "none");
			goto out;
		}
		free(buf);
		buf = NULL;
		if (oci_store_read_blob(store, d->digest, d->size, &buf, &len,
					err) < 0)
			goto out;
	} else if (oci_media_kind(top->media_type) != OCI_KIND_MANIFEST) {
		error_set(err, 0, "unsupported media type %s", top->media_type);
		goto out;
	}
	if (oci_manifest_parse(buf, len, &m, err) < 0)
		goto out;
	if (!is_gadget_manifest(m)) {
		error_set(err, 0, "not a gadget image (config media type %s)",
			  m->config.media_type);
		goto out;
	}
	for (i = 0; i < m->n_layers; i++)
		if (!layer &&
		    !strcmp(m->layers[i].media_type, OCI_MT_GADGET_PROGRAM))
			layer = &m->layers[i];
	if (!layer) {
		error_set(err, 0, "image has no layer of media type %s",
			  OCI_MT_GADGET_PROGRAM);
		goto out;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		error_set(err, ENOMEM, "alloc");
		goto out;
	}
	if (oci_store_read_blob(store, m->config.digest, m->config.size,
				&g->config, &g->config_len, err) < 0 ||
	    oci_store_read_blob(store, layer->digest, layer->size,
				(char **)&g->program, &g->program_len, err) < 0)
		goto out;
	for (i = 0; i < m->n_layers; i++)
		g->wasm |= !strcmp(m->layers[i].media_type, OCI_MT_GADGET_WASM);
	g->ref = strdup(ref);
	g->digest = strdup(top->digest);
	if (!g->ref || !g->digest) {
		error_set(err, ENOMEM, "alloc");
		goto out;
	}
	*out = steal_ptr(g);
	ret = 0;
out:
	if (ret < 0)
		error_prefix(err, "%s", ref);
	oci_gadget_free(g);
	oci_descriptor_free(top);
	return ret;
}

void oci_gadget_free(struct oci_gadget *gadget)
{
	if (!gadget)
		return;
	free(gadget->ref);
	free(gadget->digest);
	free(gadget->config);
	free(gadget->program);
	free(gadget);
}
