// SPDX-License-Identifier: Apache-2.0
/* Signatures kept in the local OCI layout (see sign_store.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "common/fileutil.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/ref.h"
#include "oci/sign.h"
#include "oci/sign_store.h"
#include "oci/store.h"
#include "oci/store_internal.h"
#include "oci/store_txn.h"

/* Where the digests of images built here are recorded, one a line. */
#define BUILT_FILE "runner-built"
/* Referrers kept under one referrers tag. */
#define MAX_REFERRERS 64

static int store_read(void *ctx, const char *digest, int64_t size, char **buf,
		      size_t *len, struct error **err)
{
	return oci_store_read_blob(ctx, digest, size, buf, len, err);
}

static int txn_read(void *ctx, const char *digest, int64_t size, char **buf,
		    size_t *len, struct error **err)
{
	return oci_txn_read_blob(ctx, digest, size, buf, len, err);
}

/* Read the manifest ref names, if the store has it; *buf NULL if not. */
static int read_ref(struct oci_store *store, const char *ref, char **buf,
		    size_t *len, struct error **err)
{
	struct oci_descriptor *d = NULL;
	struct error *e = NULL;
	int ret;

	*buf = NULL;
	if (oci_store_resolve(store, ref, &d, &e) < 0) {
		return error_absent_ok(e, err);
	}
	ret = oci_store_read_blob(store, d->digest, d->size, buf, len, err);
	oci_descriptor_free(d);
	return ret;
}

/* Stage the sigstore bundle and the referrers index that lists it. */
static int stage_bundle(struct oci_store *store, struct oci_txn *txn,
			const char *name, const struct oci_descriptor *image,
			const struct oci_key *key, struct error **err)
{
	cleanup_free char *bundle = NULL;
	cleanup_free char *manifest = NULL;
	cleanup_free char *old = NULL;
	cleanup_free char *idx_buf = NULL;
	cleanup_free char *rref = NULL;
	cleanup_json json_t *idx = NULL;
	char bdigest[OCI_DIGEST_SIZE], mdigest[OCI_DIGEST_SIZE];
	char idigest[OCI_DIGEST_SIZE], tag[OCI_SIG_TAG_SIZE];
	json_t *list, *e;
	size_t blen, mlen, olen, i;

	oci_referrers_tag(image->digest, tag);
	if (asprintf(&rref, "%s:%s", name, tag) < 0) {
		rref = NULL;
		return error_set(err, ENOMEM, "alloc");
	}
	if (oci_bundle_make(key, name, image->digest, &bundle, &blen, err) <
		    0 ||
	    oci_txn_put(txn, bundle, blen, bdigest, err) < 0 ||
	    oci_txn_put(txn, "{}", 2, NULL, err) < 0 ||
	    oci_bundle_manifest_make(bdigest, blen, image->media_type,
				     image->digest, image->size, &manifest,
				     &mlen, err) < 0 ||
	    oci_txn_put(txn, manifest, mlen, mdigest, err) < 0)
		return -1;
	if (read_ref(store, rref, &old, &olen, err) < 0)
		return -1;
	list = json_array();
	if (!list)
		return error_set(err, ENOMEM, "alloc");
	if (old) {
		cleanup_json json_t *o = json_loadb(old, olen, 0, NULL);

		json_array_foreach (json_object_get(o, "manifests"), i, e)
			if (json_array_size(list) < MAX_REFERRERS - 1)
				json_array_append(list, e);
	}
	json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:s}",
					      "mediaType", OCI_MT_MANIFEST,
					      "digest", mdigest, "size",
					      (json_int_t)mlen, "artifactType",
					      OCI_MT_SIGSTORE_BUNDLE));
	idx = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType",
			OCI_MT_INDEX, "manifests", list);
	idx_buf = idx ? json_dumps(idx, JSON_COMPACT) : NULL;
	if (!idx_buf)
		return error_set(err, ENOMEM, "alloc");
	if (oci_txn_put(txn, idx_buf, strlen(idx_buf), idigest, err) < 0)
		return -1;
	return oci_txn_set_ref(txn, rref, OCI_MT_INDEX, idigest,
			       strlen(idx_buf), err);
}

int oci_store_sign(struct oci_store *store, const char *ref,
		   const struct oci_key *key, char **digest, char **sig_ref,
		   struct error **err)
{
	cleanup_ref struct oci_ref *r = NULL;
	cleanup_txn struct oci_txn *txn = NULL;
	cleanup_free char *name = NULL;
	cleanup_free char *sref = NULL;
	cleanup_free char *payload = NULL;
	cleanup_free char *sig = NULL;
	cleanup_free char *old = NULL;
	cleanup_free char *manifest = NULL;
	cleanup_free char *config = NULL;
	struct oci_descriptor *d = NULL;
	char pdigest[OCI_DIGEST_SIZE], mdigest[OCI_DIGEST_SIZE];
	char tag[OCI_SIG_TAG_SIZE];
	size_t plen, olen = 0, mlen, clen;
	int ret = -1;

	if (oci_ref_parse(ref, NULL, &r, err) < 0)
		return error_prefix(err, "sign");
	name = oci_ref_name(r);
	if (!name)
		return error_set(err, ENOMEM, "alloc");
	if (oci_store_resolve(store, ref, &d, err) < 0)
		return error_prefix(err, "sign");
	if (oci_media_kind(d->media_type) == OCI_KIND_OTHER) {
		error_set(err, 0, "sign %s: not an image (%s)", ref,
			  d->media_type);
		goto out;
	}
	oci_sig_tag(d->digest, tag);
	if (asprintf(&sref, "%s:%s", name, tag) < 0) {
		sref = NULL;
		error_set(err, ENOMEM, "alloc");
		goto out;
	}
	if (oci_payload_make(name, d->digest, &payload, &plen, err) < 0 ||
	    oci_sign_bytes(key, payload, plen, &sig, err) < 0 ||
	    read_ref(store, sref, &old, &olen, err) < 0 ||
	    oci_txn_begin(store, &txn, err) < 0 ||
	    oci_txn_put(txn, payload, plen, pdigest, err) < 0 ||
	    oci_sig_manifest_make(old, olen, key, pdigest, plen, sig,
				  store_read, store, &manifest, &mlen, &config,
				  &clen, err) < 0 ||
	    oci_txn_put(txn, config, clen, NULL, err) < 0 ||
	    oci_txn_put(txn, manifest, mlen, mdigest, err) < 0 ||
	    oci_txn_set_ref(txn, sref, OCI_MT_MANIFEST, mdigest, mlen, err) <
		    0 ||
	    stage_bundle(store, txn, name, d, key, err) < 0 ||
	    oci_txn_commit(txn, err) < 0) {
		error_prefix(err, "sign %s", ref);
		goto out;
	}
	if (digest && !(*digest = strdup(d->digest))) {
		error_set(err, ENOMEM, "alloc");
		goto out;
	}
	if (sig_ref)
		*sig_ref = steal_ptr(sref);
	ret = 0;
out:
	oci_descriptor_free(d);
	return ret;
}

void oci_strv_free(char **v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int oci_store_sig_refs(struct oci_store *store, const char *digest,
		       char ***refs, size_t *n, struct error **err)
{
	struct oci_store_entry *e = NULL;
	char tag[OCI_SIG_TAG_SIZE];
	size_t ne = 0, i, k = 0;
	char **v;

	*refs = NULL;
	*n = 0;
	oci_sig_tag(digest, tag);
	if (oci_store_list(store, &e, &ne, err) < 0)
		return -1;
	v = calloc(ne + 1, sizeof(*v));
	if (!v) {
		oci_store_entries_free(e, ne);
		return error_set(err, ENOMEM, "alloc");
	}
	for (i = 0; i < ne; i++) {
		const char *t = e[i].ref ? oci_stored_tag(e[i].ref) : NULL;

		if (t && !strcmp(t, tag))
			v[k++] = steal_ptr(e[i].ref);
	}
	oci_store_entries_free(e, ne);
	*refs = v;
	*n = k;
	return 0;
}

int oci_verify_image(struct oci_store *store, struct oci_txn *txn,
		     const char *digest, const char *staged_sig,
		     const struct oci_keyset *keys, struct oci_verified *out,
		     struct error **err)
{
	struct error *last = NULL;
	char **refs = NULL;
	size_t n = 0, i;
	oci_blob_read_fn read = txn ? txn_read : store_read;
	void *ctx = txn ? (void *)txn : (void *)store;
	char tag[OCI_SIG_TAG_SIZE];

	if (staged_sig && txn) {
		cleanup_free char *buf = NULL;
		size_t len;

		if (oci_txn_read_blob(txn, staged_sig, -1, &buf, &len, &last) ==
			    0 &&
		    oci_sig_manifest_verify(buf, len, digest, keys, read, ctx,
					    out, &last) == 0)
			return 0;
	}
	if (oci_store_sig_refs(store, digest, &refs, &n, err) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		cleanup_free char *buf = NULL;
		size_t len;

		error_free(last);
		last = NULL;
		if (read_ref(store, refs[i], &buf, &len, &last) == 0 && buf &&
		    oci_sig_manifest_verify(buf, len, digest, keys, read, ctx,
					    out, &last) == 0) {
			oci_strv_free(refs, n);
			return 0;
		}
	}
	oci_strv_free(refs, n);
	if (last) {
		if (err) {
			error_free(*err);
			*err = last;
		} else {
			error_free(last);
		}
		return -1;
	}
	oci_sig_tag(digest, tag);
	return error_set(err, 0, "no signature (no tag %s)", tag);
fail:
	error_free(last);
	return -1;
}

int oci_verify_bundles(struct oci_store *store, const char *name,
		       const char *digest, const struct oci_keyset *keys,
		       struct oci_verified *out, struct error **err)
{
	cleanup_free char *rref = NULL;
	cleanup_free char *buf = NULL;
	cleanup_index struct oci_index *idx = NULL;
	char tag[OCI_SIG_TAG_SIZE];
	size_t len, i;
	int found = 0;

	oci_referrers_tag(digest, tag);
	if (asprintf(&rref, "%s:%s", name, tag) < 0) {
		rref = NULL;
		return error_set(err, ENOMEM, "alloc");
	}
	if (read_ref(store, rref, &buf, &len, err) < 0)
		return -1;
	if (buf && oci_index_parse(buf, len, &idx, err) < 0)
		return -1;
	for (i = 0; idx && i < idx->n_manifests && i < MAX_REFERRERS; i++) {
		const struct oci_descriptor *d = &idx->manifests[i];
		cleanup_manifest struct oci_manifest *m = NULL;
		cleanup_free char *mbuf = NULL;
		cleanup_free char *bbuf = NULL;
		cleanup_json json_t *mj = NULL;
		const char *subj, *pt;
		size_t mlen, blen;

		if (!d->artifact_type ||
		    strcmp(d->artifact_type, OCI_MT_SIGSTORE_BUNDLE))
			continue;
		if (oci_store_read_blob(store, d->digest, d->size, &mbuf, &mlen,
					err) < 0 ||
		    oci_manifest_parse(mbuf, mlen, &m, err) < 0)
			return -1;
		/* an attestation (SBOM, provenance) is no signature */
		pt = oci_kv_get(m->annotations, m->n_annotations,
				OCI_ANN_BUNDLE_PREDICATE);
		if (pt && strcmp(pt, OCI_COSIGN_PREDICATE))
			continue;
		found++;
		/* the subject must be this image */
		mj = json_loadb(mbuf, mlen, 0, NULL);
		subj = json_string_value(json_object_get(
			json_object_get(mj, "subject"), "digest"));
		if (m->n_layers != 1 || !subj || strcmp(subj, digest) ||
		    strcmp(m->layers[0].media_type, OCI_MT_SIGSTORE_BUNDLE))
			continue;
		if (oci_store_read_blob(store, m->layers[0].digest,
					m->layers[0].size, &bbuf, &blen,
					err) < 0)
			return -1;
		if (oci_bundle_verify(bbuf, blen, digest, keys, out, err) == 0)
			return 0;
	}
	if (!found) {
		error_set(err, 0, "no sigstore bundle for %s", digest);
		if (err && *err)
			(*err)->errnum = ENOENT;
		return -1;
	}
	if (err && *err)
		return -1;
	return error_set(err, 0, "no valid sigstore bundle for %s", digest);
}

static char *built_path(struct oci_store *store)
{
	char *p;

	if (asprintf(&p, "%s/%s", oci_store_dir(store), BUILT_FILE) < 0)
		return NULL;
	return p;
}

int oci_store_mark_built(struct oci_store *store, const char *digest,
			 struct error **err)
{
	cleanup_free char *path = built_path(store);
	cleanup_error struct error *rerr = NULL;
	cleanup_free char *buf = NULL;
	cleanup_free char *out = NULL;
	cleanup_close int lock = -1;
	size_t len = 0, n;

	if (oci_digest_check(digest, err) < 0)
		return -1;
	if (oci_store_is_built(store, digest))
		return 0;
	if (!path)
		return error_set(err, ENOMEM, "alloc");
	/* replaced whole under the index lock, as a prune does: a prune
	 * meanwhile cannot drop the line, nor an append reach a twin of
	 * the file (a store copied with cp -al) */
	lock = store_lock(store, err);
	if (lock < 0)
		return -1;
	if (read_file(path, &buf, &len, &rerr) < 0) {
		if (rerr->errnum != ENOENT)
			return error_set(err, 0, "%s", error_msg(rerr));
		len = 0;
	}
	out = malloc(len + OCI_DIGEST_SIZE + 2);
	if (!out)
		return error_set(err, ENOMEM, "alloc");
	memcpy(out, buf ? buf : "", len);
	n = len;
	if (n && out[n - 1] != '\n')
		out[n++] = '\n';
	n += sprintf(out + n, "%s\n", digest);
	return write_file_own(path, out, n, 0644, err);
}

char *oci_store_built_marks(struct oci_store *store)
{
	cleanup_free char *path = built_path(store);
	char *buf = NULL;
	size_t len;

	if (!path || read_file(path, &buf, &len, NULL) < 0)
		return NULL;
	return buf;
}

bool oci_built_marks_have(const char *marks, const char *digest)
{
	const char *p;

	if (!marks || !oci_digest_valid(digest))
		return false;
	for (p = marks; (p = strstr(p, digest)); p += OCI_DIGEST_LEN)
		if ((p == marks || p[-1] == '\n') &&
		    (p[OCI_DIGEST_LEN] == '\n' || !p[OCI_DIGEST_LEN]))
			return true;
	return false;
}

bool oci_store_is_built(struct oci_store *store, const char *digest)
{
	cleanup_free char *marks = NULL;

	if (!oci_digest_valid(digest))
		return false;
	marks = oci_store_built_marks(store);
	return oci_built_marks_have(marks, digest);
}

int oci_store_prune_built(struct oci_store *store, struct error **err)
{
	cleanup_free char *path = built_path(store);
	cleanup_close int lock = -1;
	cleanup_free char *buf = NULL;
	cleanup_free char *out = NULL;
	char *line, *save = NULL;
	size_t len, n = 0;

	if (!path)
		return error_set(err, ENOMEM, "alloc");
	/* read and replaced under the index lock, as builds append */
	lock = store_lock(store, err);
	if (lock < 0)
		return -1;
	if (read_file(path, &buf, &len, NULL) < 0)
		return 0; /* nothing built here */
	out = malloc(len + 1);
	if (!out)
		return error_set(err, ENOMEM, "alloc");
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!oci_digest_valid(line) || !oci_store_has_blob(store, line))
			continue;
		n += sprintf(out + n, "%s\n", line);
	}
	return write_file_own(path, out, n, 0644, err);
}

/* The subject hex of a signature's reference: what follows "sha256-" (64
 * digits, then ".sig" or nothing). */
static const char *signed_hex(const char *ref)
{
	return oci_stored_tag(ref) + 7;
}

/*
 * The hex digests stored references other than signatures' hold, as the
 * keys of an object: theirs, and those an index of theirs lists (one
 * architecture's manifest may be signed).  NULL when an index cannot be
 * read: then everything counts as held.
 */
static json_t *held_digests(struct oci_store *store, json_t *manifests)
{
	cleanup_json json_t *held = json_object();
	json_t *e;
	size_t j, k;

	if (!held)
		return NULL;
	json_array_foreach (manifests, j, e) {
		const char *o = store_entry_ref(e);
		const char *d = json_string_value(json_object_get(e, "digest"));
		const char *mt =
			json_string_value(json_object_get(e, "mediaType"));
		cleanup_index struct oci_index *idx = NULL;
		cleanup_free char *buf = NULL;
		size_t len;

		if (!o || oci_is_signature_ref(o) || !d || !oci_digest_valid(d))
			continue;
		if (json_object_set_new(held, oci_digest_hex(d), json_true()))
			return NULL;
		if (!mt || oci_media_kind(mt) != OCI_KIND_INDEX)
			continue;
		if (oci_store_read_blob(store, d, -1, &buf, &len, NULL) < 0 ||
		    oci_index_parse(buf, len, &idx, NULL) < 0)
			return NULL;
		for (k = 0; k < idx->n_manifests; k++)
			if (json_object_set_new(
				    held,
				    oci_digest_hex(idx->manifests[k].digest),
				    json_true()))
				return NULL;
	}
	return steal_ptr(held);
}

int oci_store_drop_orphan_signatures(struct oci_store *store,
				     struct error **err)
{
	cleanup_close int lock = -1;
	cleanup_json json_t *idx = store_index_load_locked(store, &lock, err);
	cleanup_json json_t *held = NULL;
	json_t *manifests;
	size_t i = 0, before;
	bool read = false;

	if (!idx)
		return -1;
	manifests = json_object_get(idx, "manifests");
	before = json_array_size(manifests);
	while (i < json_array_size(manifests)) {
		const char *r = store_entry_ref(json_array_get(manifests, i));

		if (!r || !oci_is_signature_ref(r)) {
			i++;
			continue;
		}
		/* read once, at the first signature (dropping one changes
		 * nothing held) */
		if (!read) {
			held = held_digests(store, manifests);
			read = true;
		}
		if (held && !json_object_getn(held, signed_hex(r), 64))
			json_array_remove(manifests, i);
		else
			i++;
	}
	if (json_array_size(manifests) == before)
		return 0;
	return store_index_save(store, idx, err);
}
