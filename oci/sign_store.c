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

/* The stored references whose tag is tag (any repository, or bare). */
static int refs_tagged(struct oci_store *store, const char *tag, char ***refs,
		       size_t *n, struct error **err)
{
	struct oci_store_entry *e = NULL;
	size_t ne = 0, i, k = 0;
	char **v;

	*refs = NULL;
	*n = 0;
	if (oci_store_index(store, &e, &ne, err) < 0)
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

int oci_store_sig_refs(struct oci_store *store, const char *digest,
		       char ***refs, size_t *n, struct error **err)
{
	char tag[OCI_SIG_TAG_SIZE];

	oci_sig_tag(digest, tag);
	return refs_tagged(store, tag, refs, n, err);
}

bool oci_ref_in_repo(const char *ref, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(ref, name, n) && ref[n] == ':';
}

int oci_store_referrers_of(struct oci_store *store, const char *name,
			   const char *digest, char **ref,
			   struct oci_descriptor **d, struct error **err)
{
	char tag[OCI_SIG_TAG_SIZE];
	struct oci_descriptor *got = NULL;
	char *r = NULL;

	if (ref)
		*ref = NULL;
	oci_referrers_tag(digest, tag);
	if (asprintf(&r, "%s:%s", name, tag) < 0)
		return error_set(err, ENOMEM, "alloc");
	if (oci_store_resolve(store, r, &got, NULL) < 0) {
		free(r);
		r = NULL;
		if (oci_store_resolve(store, tag, &got, NULL) < 0)
			return 0; /* no referrers */
		if (ref && !(r = strdup(tag))) {
			oci_descriptor_free(got);
			return error_set(err, ENOMEM, "alloc");
		}
	}
	if (ref)
		*ref = steal_ptr(r);
	free(r);
	if (d)
		*d = got;
	else
		oci_descriptor_free(got);
	return 1;
}

/* Whether stored document d (a manifest) has subject digest. */
static bool has_subject(struct oci_store *store, const struct oci_descriptor *d,
			const char *digest)
{
	cleanup_free char *buf = NULL;
	cleanup_json json_t *j = NULL;
	const char *s;
	size_t len;

	if (oci_media_kind(d->media_type) != OCI_KIND_MANIFEST ||
	    oci_store_read_blob(store, d->digest, d->size, &buf, &len, NULL) <
		    0)
		return false;
	j = json_loadb(buf, len, 0, NULL);
	s = json_string_value(
		json_object_get(json_object_get(j, "subject"), "digest"));
	return s && !strcmp(s, digest);
}

/*
 * Whether the stored signature document d is one of digest alone: a
 * legacy signature manifest each of whose layers is a simple-signing
 * payload naming digest, or a referrers index each of whose referrers has
 * digest as its subject.
 */
static bool sig_of_only(struct oci_store *store, const struct oci_descriptor *d,
			const char *digest)
{
	cleanup_manifest struct oci_manifest *m = NULL;
	cleanup_index struct oci_index *idx = NULL;
	cleanup_free char *buf = NULL;
	size_t len, i;

	if (oci_store_read_blob(store, d->digest, d->size, &buf, &len, NULL) <
	    0)
		return false;
	if (oci_media_kind(d->media_type) == OCI_KIND_INDEX) {
		if (oci_index_parse(buf, len, &idx, NULL) < 0 ||
		    !idx->n_manifests)
			return false;
		for (i = 0; i < idx->n_manifests; i++)
			if (!has_subject(store, &idx->manifests[i], digest))
				return false;
		return true;
	}
	if (oci_manifest_parse(buf, len, &m, NULL) < 0 || !m->n_layers ||
	    m->n_layers > OCI_MAX_SIGNATURES)
		return false;
	for (i = 0; i < m->n_layers; i++) {
		const struct oci_descriptor *l = &m->layers[i];
		cleanup_free char *p = NULL;
		size_t plen;

		if (strcmp(l->media_type, OCI_MT_SIMPLESIGNING) ||
		    oci_store_read_blob(store, l->digest, l->size, &p, &plen,
					NULL) < 0 ||
		    oci_payload_check(p, plen, digest, NULL, NULL) < 0)
			return false;
	}
	return true;
}

int oci_store_sig_elsewhere(struct oci_store *store, const char *name,
			    const char *digest, bool referrers, char **ref,
			    struct error **err)
{
	char tag[OCI_SIG_TAG_SIZE];
	char **refs = NULL;
	size_t n = 0, i;

	*ref = NULL;
	if (referrers)
		oci_referrers_tag(digest, tag);
	else
		oci_sig_tag(digest, tag);
	if (refs_tagged(store, tag, &refs, &n, err) < 0)
		return -1;
	for (i = 0; i < n && !*ref; i++) {
		struct oci_descriptor *d = NULL;

		if (!strchr(refs[i], '/') || oci_ref_in_repo(refs[i], name) ||
		    oci_store_resolve(store, refs[i], &d, NULL) < 0)
			continue;
		if (sig_of_only(store, d, digest))
			*ref = steal_ptr(refs[i]);
		oci_descriptor_free(d);
	}
	oci_strv_free(refs, n);
	return *ref ? 1 : 0;
}

const char *oci_sig_form_name(enum oci_sig_form form)
{
	switch (form) {
	case OCI_SIG_LEGACY:
		return "cosign signature";
	case OCI_SIG_OCI11:
		return "cosign signature (OCI 1.1 referrer)";
	case OCI_SIG_BUNDLE:
		return "sigstore bundle";
	default:
		return "signature";
	}
}

/* One verification of an image's signatures (oci_verify_image()). */
struct verify {
	const char *digest;
	const struct oci_keyset *keys;
	oci_blob_read_fn read;
	void *ctx;
	bool all;
	struct oci_verified *out; /* [OCI_SIG_NFORMS] */
	struct error *first; /* why the first one found did not verify */
};

/* Whether verification can stop: one verified (or one of each form). */
static bool verify_done(const struct verify *v)
{
	size_t f, ok = 0;

	for (f = 0; f < OCI_SIG_NFORMS; f++)
		ok += v->out[f].ok;
	return v->all ? ok == OCI_SIG_NFORMS : ok > 0;
}

/* A signature was found and e says why it does not verify. */
static void verify_failed(struct verify *v, struct error *e)
{
	if (!v->first)
		v->first = e;
	else
		error_free(e);
}

/* A legacy signature manifest, or a cosign signature referrer's. */
static void verify_sig_manifest(struct verify *v, enum oci_sig_form form,
				const char *buf, size_t len, const char *where)
{
	struct error *e = NULL;

	if (v->out[form].ok)
		return;
	if (oci_sig_manifest_verify(buf, len, v->digest, v->keys, v->read,
				    v->ctx, &v->out[form], &e) == 0) {
		v->out[form].ok = true;
		return;
	}
	if (where)
		error_prefix(&e, "%s", where);
	verify_failed(v, e);
}

/* The sha256 digest of a manifest's subject, or NULL. */
static const char *subject_of(json_t *m)
{
	return json_string_value(
		json_object_get(json_object_get(m, "subject"), "digest"));
}

/* The sigstore bundle of a referrer manifest m (JSON in mj). */
static int verify_bundle(struct verify *v, const struct oci_manifest *m,
			 struct error **err)
{
	cleanup_free char *buf = NULL;
	size_t len;

	if (m->n_layers != 1 ||
	    strcmp(m->layers[0].media_type, OCI_MT_SIGSTORE_BUNDLE))
		return error_set(err, 0,
				 "the referrer holds no single bundle layer");
	if (v->read(v->ctx, m->layers[0].digest, m->layers[0].size, &buf, &len,
		    err) < 0 ||
	    oci_bundle_verify(buf, len, v->digest, v->keys,
			      &v->out[OCI_SIG_BUNDLE], err) < 0)
		return -1;
	snprintf(v->out[OCI_SIG_BUNDLE].payload_digest, OCI_DIGEST_SIZE, "%s",
		 m->layers[0].digest);
	v->out[OCI_SIG_BUNDLE].ok = true;
	return 0;
}

/*
 * One referrer d of the image: a cosign signature or a sigstore bundle by
 * its artifact type (the manifest's, else its config's media type, as OCI
 * 1.1 says); other artifacts (attestations, SBOMs) are no signature.
 */
static void verify_referrer(struct verify *v, const struct oci_descriptor *d)
{
	cleanup_manifest struct oci_manifest *m = NULL;
	cleanup_json json_t *mj = NULL;
	cleanup_free char *buf = NULL;
	struct error *e = NULL;
	const char *type, *pt, *subj;
	char where[160];
	size_t len;
	bool bundle;

	if (oci_media_kind(d->media_type) != OCI_KIND_MANIFEST)
		return;
	if (v->read(v->ctx, d->digest, d->size, &buf, &len, &e) < 0 ||
	    oci_manifest_parse(buf, len, &m, &e) < 0) {
		error_prefix(&e, "referrer %s", d->digest);
		verify_failed(v, e);
		return;
	}
	type = m->artifact_type ? m->artifact_type : m->config.media_type;
	bundle = !strcmp(type, OCI_MT_SIGSTORE_BUNDLE);
	if (!bundle && strcmp(type, OCI_MT_COSIGN_SIG_ARTIFACT))
		return;
	/* an attestation (SBOM, provenance) is no signature */
	pt = oci_kv_get(m->annotations, m->n_annotations,
			OCI_ANN_BUNDLE_PREDICATE);
	if (bundle && pt && strcmp(pt, OCI_COSIGN_PREDICATE))
		return;
	if (v->out[bundle ? OCI_SIG_BUNDLE : OCI_SIG_OCI11].ok)
		return;
	snprintf(where, sizeof(where), "%s %s",
		 bundle ? "sigstore bundle" : "OCI 1.1 signature", d->digest);
	mj = json_loadb(buf, len, 0, NULL);
	subj = subject_of(mj);
	if (!subj || strcmp(subj, v->digest)) {
		error_set(&e, 0, "%s: its subject is not the image", where);
		verify_failed(v, e);
		return;
	}
	if (!bundle) {
		verify_sig_manifest(v, OCI_SIG_OCI11, buf, len, where);
		return;
	}
	if (verify_bundle(v, m, &e) == 0)
		return;
	error_prefix(&e, "%s", where);
	verify_failed(v, e);
}

/* The referrers index at digest idx (staged or stored). */
static void verify_referrers(struct verify *v, const char *idx_digest)
{
	cleanup_index struct oci_index *idx = NULL;
	cleanup_free char *buf = NULL;
	struct error *e = NULL;
	size_t len, i;

	if (v->read(v->ctx, idx_digest, -1, &buf, &len, &e) < 0 ||
	    oci_index_parse(buf, len, &idx, &e) < 0) {
		error_prefix(&e, "referrers index %s", idx_digest);
		verify_failed(v, e);
		return;
	}
	for (i = 0; i < idx->n_manifests && i < MAX_REFERRERS; i++)
		if (!verify_done(v))
			verify_referrer(v, &idx->manifests[i]);
}

/* Every stored reference tagged tag: a legacy signature manifest, or
 * (referrers) a referrers index. */
static int verify_stored(struct verify *v, struct oci_store *store,
			 const char *tag, bool referrers, struct error **err)
{
	char **refs = NULL;
	size_t n = 0, i;

	if (refs_tagged(store, tag, &refs, &n, err) < 0)
		return -1;
	for (i = 0; i < n && !verify_done(v); i++) {
		struct oci_descriptor *d = NULL;
		struct error *e = NULL;

		if (oci_store_resolve(store, refs[i], &d, &e) < 0) {
			verify_failed(v, e);
			continue;
		}
		if (referrers) {
			verify_referrers(v, d->digest);
		} else {
			cleanup_free char *buf = NULL;
			size_t len;

			if (v->read(v->ctx, d->digest, d->size, &buf, &len,
				    &e) < 0)
				verify_failed(v, e);
			else
				verify_sig_manifest(v, OCI_SIG_LEGACY, buf, len,
						    NULL);
		}
		oci_descriptor_free(d);
	}
	oci_strv_free(refs, n);
	return 0;
}

/* A legacy signature staged by a pull. */
static void verify_staged_sig(struct verify *v, const char *sig)
{
	cleanup_free char *buf = NULL;
	struct error *e = NULL;
	size_t len;

	if (v->read(v->ctx, sig, -1, &buf, &len, &e) < 0)
		verify_failed(v, e);
	else
		verify_sig_manifest(v, OCI_SIG_LEGACY, buf, len, NULL);
}

int oci_verify_image(struct oci_store *store, struct oci_txn *txn,
		     const char *digest, const struct oci_staged_sigs *staged,
		     const struct oci_keyset *keys, bool all,
		     struct oci_verified out[OCI_SIG_NFORMS],
		     struct error **err)
{
	struct verify v = {
		.digest = digest,
		.keys = keys,
		.read = txn ? txn_read : store_read,
		.ctx = txn ? (void *)txn : (void *)store,
		.all = all,
		.out = out,
	};
	char tag[OCI_SIG_TAG_SIZE], rtag[OCI_SIG_TAG_SIZE];
	int ret = 0;

	memset(out, 0, OCI_SIG_NFORMS * sizeof(*out));
	if (keys->n == 0)
		return error_set(err, 0, "no public key to verify with");
	oci_sig_tag(digest, tag);
	oci_referrers_tag(digest, rtag);
	if (staged && staged->sig && txn)
		verify_staged_sig(&v, staged->sig);
	if (!verify_done(&v))
		ret = verify_stored(&v, store, tag, false, err);
	if (ret == 0 && !verify_done(&v) && staged && staged->referrers && txn)
		verify_referrers(&v, staged->referrers);
	if (ret == 0 && !verify_done(&v))
		ret = verify_stored(&v, store, rtag, true, err);
	if (ret < 0) {
		error_free(v.first);
		return -1;
	}
	if (out[OCI_SIG_LEGACY].ok || out[OCI_SIG_OCI11].ok ||
	    out[OCI_SIG_BUNDLE].ok) {
		error_free(v.first);
		return 0;
	}
	if (v.first) {
		if (err) {
			error_free(*err);
			*err = v.first;
		} else {
			error_free(v.first);
		}
		return -1;
	}
	return error_set(err, 0,
			 "no signature (no tag %s, no OCI 1.1 referrer under "
			 "tag %s)",
			 tag, rtag);
}

static char *built_path(struct oci_store *store)
{
	char *p;

	if (asprintf(&p, "%s/%s", oci_store_dir(store), STORE_BUILT_FILE) < 0)
		return NULL;
	return p;
}

int store_mark_built(struct oci_store *store, const char *digest,
		     struct error **err)
{
	cleanup_free char *path = built_path(store);
	cleanup_error struct error *rerr = NULL;
	cleanup_free char *buf = NULL;
	cleanup_free char *out = NULL;
	size_t len = 0, n;

	if (oci_digest_check(digest, err) < 0)
		return -1;
	if (oci_store_is_built(store, digest))
		return 0;
	if (!path)
		return error_set(err, ENOMEM, "alloc");
	/* replaced whole under the index lock (the commit's), as a prune
	 * does: a prune meanwhile cannot drop the line, nor an append reach
	 * a twin of the file (a store copied with cp -al) */
	if (read_file(path, &buf, &len, &rerr) < 0) {
		if (error_errnum(rerr) != ENOENT)
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
	out = malloc(len + 2); /* a last line may lack its newline */
	if (!out)
		return error_set(err, ENOMEM, "alloc");
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!oci_digest_valid(line) || !oci_store_has_blob(store, line))
			continue;
		n += sprintf(out + n, "%s\n", line);
	}
	if (n == len)
		return 0; /* every mark kept: nothing to write */
	return store_write_freeing(store, path, out, n, err);
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
	return store_index_save_freeing(store, idx, err);
}
