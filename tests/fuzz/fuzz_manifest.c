// SPDX-License-Identifier: Apache-2.0
/*
 * OCI indexes and image manifests (oci/manifest.c) from untrusted JSON:
 * every input goes through oci_doc_kind(), oci_index_parse() and
 * oci_manifest_parse(); what parses must hold only validated descriptors,
 * and the accessors must work on it.  Then it is walked as a pull walks
 * a document (oci/transfer.c): parsed by the media type it tells, the
 * amd64 entry of an index chosen, and every child descriptor visited
 * through oci_doc_child() with its media type's size limit.
 */
#include "common/cleanup.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "fuzz.h"

static void check_kvs(const struct oci_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(kv[i].key && kv[i].value, "annotation %zu", i);
		FUZZ_CHECK(oci_kv_get(kv, n, kv[i].key),
			   "annotation \"%s\" not found", kv[i].key);
	}
}

static void check_descriptor(const struct oci_descriptor *d)
{
	FUZZ_CHECK(d->media_type, "descriptor without media type");
	FUZZ_CHECK(oci_digest_valid(d->digest), "digest \"%s\"", d->digest);
	FUZZ_CHECK(d->size >= 0, "size %lld", (long long)d->size);
	check_kvs(d->annotations, d->n_annotations);
}

static void check_index(const struct oci_index *idx)
{
	const struct oci_descriptor *d;
	cleanup_free char *archs = NULL;

	FUZZ_CHECK(idx->n_manifests == 0 || idx->manifests, "no array");
	for (size_t i = 0; i < idx->n_manifests; i++)
		check_descriptor(&idx->manifests[i]);
	check_kvs(idx->annotations, idx->n_annotations);
	archs = oci_index_archs(idx);
	FUZZ_CHECK(archs, "oci_index_archs");
	d = oci_index_find_arch(idx, "amd64");
	FUZZ_CHECK(!d || (d->arch && !strcmp(d->arch, "amd64") &&
			  oci_media_kind(d->media_type) == OCI_KIND_MANIFEST),
		   "find_arch gave %s", d->arch);
	FUZZ_CHECK(!d || strstr(archs, "amd64"), "\"%s\" lacks amd64", archs);
}

static void check_manifest(const struct oci_manifest *m)
{
	check_descriptor(&m->config);
	FUZZ_CHECK(m->n_layers == 0 || m->layers, "no array");
	for (size_t i = 0; i < m->n_layers; i++)
		check_descriptor(&m->layers[i]);
	check_kvs(m->annotations, m->n_annotations);
}

/* As pull_children(): the document by its own media type, its children. */
static void walk_doc(const uint8_t *data, size_t size, const char *mt)
{
	cleanup_doc struct oci_doc doc = { 0 };
	cleanup_seen struct oci_seen seen = { 0 };
	struct error *err = NULL;
	const struct oci_descriptor *c;
	size_t i, n;

	if (oci_doc_parse(mt, data, size, &doc, &err) < 0) {
		FUZZ_CHECK(err && err->msg && !doc.idx && !doc.m, "%s: failure",
			   mt);
		error_free(err);
		return;
	}
	FUZZ_CHECK(!!doc.idx + !!doc.m == 1, "%s: %s", mt,
		   doc.idx ? "both" : "neither");
	n = doc.idx ? doc.idx->n_manifests : 1 + doc.m->n_layers;
	for (i = 0; (c = oci_doc_child(&doc, i)); i++) {
		FUZZ_CHECK(i < n, "child %zu of %zu", i, n);
		check_descriptor(c);
		FUZZ_CHECK(oci_media_max_size(c->media_type) > 0, "limit of %s",
			   c->media_type);
		FUZZ_CHECK(oci_seen_add(&seen, c->digest, NULL) >= 0, "seen");
		FUZZ_CHECK(oci_seen_add(&seen, c->digest, NULL) == 1,
			   "%s not seen", c->digest);
	}
	FUZZ_CHECK(i == n, "%zu children of %zu", i, n);
	FUZZ_CHECK(strmap_count(&seen.map) <= n, "%zu seen of %zu",
		   strmap_count(&seen.map), n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cleanup_index struct oci_index *idx = NULL;
	cleanup_manifest struct oci_manifest *m = NULL;
	cleanup_free char *mt = NULL;
	struct error *err = NULL;
	enum oci_kind kind;

	kind = oci_doc_kind(data, size, &mt);
	FUZZ_CHECK(kind == OCI_KIND_OTHER || mt, "kind %d without media type",
		   kind);
	FUZZ_CHECK(!mt || kind == oci_media_kind(mt) ||
			   oci_media_kind(mt) == OCI_KIND_OTHER,
		   "kind %d for media type %s", kind, mt);
	if (mt)
		walk_doc(data, size, mt);

	if (oci_index_parse(data, size, &idx, &err) == 0) {
		FUZZ_CHECK(idx, "success without an index");
		check_index(idx);
	} else {
		FUZZ_CHECK(!idx && err && err->msg, "failure");
		error_free(err);
		err = NULL;
	}
	if (oci_manifest_parse(data, size, &m, &err) == 0) {
		FUZZ_CHECK(m, "success without a manifest");
		check_manifest(m);
	} else {
		FUZZ_CHECK(!m && err && err->msg, "failure");
		error_free(err);
	}
	return 0;
}
