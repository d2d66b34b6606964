// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/ref.h"
#include "oci/registry.h"
#include "oci/sign.h"
#include "oci/sign_store.h"
#include "oci/store.h"
#include "oci/store_txn.h"
#include "oci/transfer.h"

int oci_pull_policy_parse(const char *s, enum oci_pull_policy *out,
			  struct error **err)
{
	if (!strcmp(s, "missing"))
		*out = OCI_PULL_MISSING;
	else if (!strcmp(s, "always"))
		*out = OCI_PULL_ALWAYS;
	else if (!strcmp(s, "never"))
		*out = OCI_PULL_NEVER;
	else
		return error_set(err, 0,
				 "invalid pull policy \"%s\": want always, "
				 "missing or never",
				 s);
	return 0;
}

struct pull {
	struct oci_registry *reg;
	struct oci_txn *txn;
	struct oci_store *store;
	const char *repo;
	struct oci_seen *docs; /* manifests and indexes walked */
};

/*
 * Keep the stored copy of digest for the pull (oci_txn_keep()): 1 when
 * kept, 0 when a concurrent remove deleted it meanwhile (to be fetched).
 */
static int keep_stored(struct pull *p, const char *digest, struct error **err)
{
	struct error *e = NULL;

	if (oci_txn_keep(p->txn, digest, &e) == 0)
		return 1;
	return error_absent_ok(e, err);
}

static int pull_blob(struct pull *p, const struct oci_descriptor *d,
		     struct error **err)
{
	struct oci_blob_writer *w = NULL;
	bool intact = true;

	if (d->size < 0 || d->size > oci_media_max_size(d->media_type))
		return error_set(err, 0,
				 "blob %s of %s: %lld bytes, more than the "
				 "%lld allowed",
				 d->digest, d->media_type ? d->media_type : "?",
				 (long long)d->size,
				 (long long)oci_media_max_size(d->media_type));
	/* a stored copy is used only if it still hashes to its digest:
	 * a corrupt one is fetched again and replaced */
	if (oci_txn_has_blob(p->txn, d->digest)) {
		bool stored = oci_store_has_blob(p->store, d->digest);
		bool same_size = oci_txn_blob_size(p->txn, d->digest) ==
				 d->size;

		if (stored && same_size &&
		    oci_store_blob_intact(p->store, d->digest, &intact, err) <
			    0)
			return -1;
		/* staged for another descriptor too: of its size only (one
		 * of another size is fetched, and refused) */
		if (same_size && intact) {
			int kept = keep_stored(p, d->digest, err);

			if (kept)
				return kept < 0 ? -1 : 0;
		}
	}
	if (oci_txn_writer_open(p->txn, &w, err) < 0)
		return -1;
	if (oci_registry_get_blob(p->reg, p->repo, d->digest, d->size, w, err) <
	    0) {
		oci_blob_writer_abort(w);
		return -1;
	}
	if (oci_blob_writer_finish(w, d->digest, d->size, NULL, err) < 0)
		return error_prefix(err, "blob %s", d->digest);
	return 0;
}

static int pull_doc(struct pull *p, const struct oci_descriptor *d,
		    const char *arch, int depth, struct error **err);

/* Pull what an index or manifest document (already staged) references. */
static int pull_children(struct pull *p, const char *mt, const char *buf,
			 size_t len, const char *arch, int depth,
			 struct error **err)
{
	cleanup_doc struct oci_doc doc = { 0 };
	const struct oci_descriptor *c;
	size_t i;

	if (oci_doc_parse(mt, buf, len, &doc, err) < 0)
		return -1;
	if (doc.idx && arch && depth == 0 &&
	    !oci_index_find_arch(doc.idx, arch)) {
		cleanup_free char *have = oci_index_archs(doc.idx);

		return error_set(err, 0,
				 "no manifest for architecture %s "
				 "(image has: %s)",
				 arch, have && *have ? have : "none");
	}
	for (i = 0; (c = oci_doc_child(&doc, i)); i++)
		if ((doc.idx ? pull_doc(p, c, arch, depth + 1, err) :
			       pull_blob(p, c, err)) < 0)
			return -1;
	return 0;
}

/* Pull a manifest or index named by descriptor d, and its children. */
static int pull_doc(struct pull *p, const struct oci_descriptor *d,
		    const char *arch, int depth, struct error **err)
{
	cleanup_free char *buf = NULL;
	cleanup_free char *mt = NULL;
	char got[OCI_DIGEST_SIZE];
	size_t len;
	bool intact = true;
	int seen, kept = 0;

	if (oci_media_kind(d->media_type) == OCI_KIND_OTHER)
		return error_set(err, 0, "%s: unsupported media type %s",
				 d->digest, d->media_type);
	if (oci_nesting_check(depth, err) < 0)
		return -1;
	seen = oci_seen_add(p->docs, d->digest, err);
	if (seen < 0)
		return -1;
	if (seen) {
		/* staged with its children: only this descriptor is new */
		int64_t have = oci_txn_blob_size(p->txn, d->digest);

		if (have != d->size)
			return error_set(err, 0,
					 "manifest %s: %lld bytes, its "
					 "descriptor says %lld",
					 d->digest, (long long)have,
					 (long long)d->size);
		return 0;
	}
	if (oci_store_has_blob(p->store, d->digest) &&
	    oci_store_blob_intact(p->store, d->digest, &intact, err) < 0)
		return -1;
	if (oci_txn_has_blob(p->txn, d->digest) && intact &&
	    (kept = keep_stored(p, d->digest, err))) {
		if (kept < 0 || oci_txn_read_blob(p->txn, d->digest, d->size,
						  &buf, &len, err) < 0)
			return -1;
	} else {
		if (oci_registry_get_manifest(p->reg, p->repo, d->digest, &buf,
					      &len, &mt, got, err) < 0)
			return -1;
		if ((int64_t)len != d->size)
			return error_set(err, 0,
					 "manifest %s: %zu bytes, its "
					 "descriptor says %lld",
					 d->digest, len, (long long)d->size);
		if (oci_txn_put(p->txn, buf, len, NULL, err) < 0)
			return -1;
	}
	return pull_children(p, d->media_type, buf, len, arch, depth, err);
}

/*
 * Stage the legacy signature of digest (tag sha256-<hex>.sig of the same
 * repository) when the registry has one, as name:<tag>; sig receives its
 * manifest digest, "" when there is none.
 */
static int pull_signature(struct pull *p, const char *name, const char *digest,
			  char sig[OCI_DIGEST_SIZE], struct error **err)
{
	cleanup_free char *buf = NULL;
	cleanup_free char *mt = NULL;
	cleanup_free char *sref = NULL;
	char tag[OCI_SIG_TAG_SIZE], got[OCI_DIGEST_SIZE];
	struct error *e = NULL;
	size_t len;

	sig[0] = '\0';
	oci_sig_tag(digest, tag);
	if (oci_registry_get_manifest(p->reg, p->repo, tag, &buf, &len, &mt,
				      got, &e) < 0) {
		return error_absent_ok(e, err);
	}
	if (oci_media_kind(mt) != OCI_KIND_MANIFEST)
		return error_set(err, 0, "signature %s: media type %s", tag,
				 mt ? mt : "none");
	if (asprintf(&sref, "%s:%s", name, tag) < 0) {
		sref = NULL;
		return error_set(err, ENOMEM, "alloc");
	}
	if (oci_txn_put(p->txn, buf, len, NULL, err) < 0 ||
	    pull_children(p, mt, buf, len, NULL, 0, err) < 0 ||
	    oci_txn_set_ref(p->txn, sref, mt, got, len, err) < 0)
		return error_prefix(err, "signature %s", tag);
	memcpy(sig, got, OCI_DIGEST_SIZE);
	return 0;
}

/*
 * Whether a referrer goes with the image: a sigstore bundle or a cosign
 * signature by the artifact type its descriptor says, or one whose
 * descriptor says none (or the empty type, as some registries list a
 * bundle): its manifest says, and verification reads it.
 */
static bool kept_referrer(const struct oci_descriptor *m)
{
	const char *t = m->artifact_type;

	return oci_media_kind(m->media_type) == OCI_KIND_MANIFEST &&
	       (!t || !strcmp(t, OCI_MT_EMPTY) ||
		!strcmp(t, OCI_MT_SIGSTORE_BUNDLE) ||
		!strcmp(t, OCI_MT_COSIGN_SIG_ARTIFACT));
}

/*
 * The referrers of digest: the registry's referrers API, or, without it,
 * the index under the referrers tag sha256-<hex> (OCI 1.1's tag schema,
 * as cosign and oras keep them on such registries).  *buf NULL: none.
 */
static int get_referrers(struct pull *p, const char *digest, char **buf,
			 size_t *len, struct error **err)
{
	cleanup_free char *mt = NULL;
	char tag[OCI_SIG_TAG_SIZE], got[OCI_DIGEST_SIZE];
	struct error *e = NULL;
	bool api = false;

	if (oci_registry_referrers(p->reg, p->repo, digest, &api, buf, len,
				   NULL) == 0 &&
	    api)
		return 0;
	free(*buf);
	*buf = NULL;
	oci_referrers_tag(digest, tag);
	if (oci_registry_get_manifest(p->reg, p->repo, tag, buf, len, &mt, got,
				      &e) < 0)
		return error_absent_ok(e, err);
	if (oci_media_kind(mt) != OCI_KIND_INDEX) {
		free(*buf);
		*buf = NULL;
		return error_set(err, 0, "referrers tag %s: media type %s", tag,
				 mt ? mt : "none");
	}
	return 0;
}

/*
 * Stage the sigstore bundles and cosign signatures the registry lists as
 * referrers of digest, with an index of them as name:sha256-<hex>, as
 * `runner image sign` keeps them; idx receives the index's digest, ""
 * when there is none.
 */
static int pull_referrers(struct pull *p, const char *name, const char *digest,
			  char idx[OCI_DIGEST_SIZE], struct error **err)
{
	cleanup_free char *buf = NULL;
	cleanup_free char *rref = NULL;
	cleanup_free char *out = NULL;
	cleanup_index struct oci_index *ri = NULL;
	cleanup_json json_t *list = NULL;
	cleanup_json json_t *doc = NULL;
	char tag[OCI_SIG_TAG_SIZE];
	size_t len = 0, i;

	idx[0] = '\0';
	oci_referrers_tag(digest, tag);
	if (get_referrers(p, digest, &buf, &len, err) < 0)
		return -1;
	if (!buf)
		return 0;
	if (oci_index_parse(buf, len, &ri, err) < 0)
		return error_prefix(err, "referrers of %s", digest);
	list = json_array();
	if (!list)
		return error_set(err, ENOMEM, "alloc");
	for (i = 0; i < ri->n_manifests && i < 64; i++) {
		const struct oci_descriptor *m = &ri->manifests[i];
		json_t *e;

		if (!kept_referrer(m))
			continue;
		if (pull_doc(p, m, NULL, 1, err) < 0)
			return error_prefix(err, "referrer %s", m->digest);
		e = json_pack("{s:s, s:s, s:I}", "mediaType", m->media_type,
			      "digest", m->digest, "size", (json_int_t)m->size);
		if (e && m->artifact_type)
			json_object_set_new(e, "artifactType",
					    json_string(m->artifact_type));
		if (json_array_append_new(list, e) < 0)
			return error_set(err, ENOMEM, "alloc");
	}
	if (!json_array_size(list))
		return 0;
	doc = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
			OCI_MT_INDEX, "manifests", list);
	out = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (!out || asprintf(&rref, "%s:%s", name, tag) < 0) {
		rref = NULL;
		return error_set(err, ENOMEM, "alloc");
	}
	if (oci_txn_put(p->txn, out, strlen(out), idx, err) < 0 ||
	    oci_txn_set_ref(p->txn, rref, OCI_MT_INDEX, idx, strlen(out), err) <
		    0) {
		idx[0] = '\0';
		return -1;
	}
	return 0;
}

/* The signatures pulled beside an image (pull_signatures()). */
struct pulled_sigs {
	char sig[OCI_DIGEST_SIZE];
	char referrers[OCI_DIGEST_SIZE];
	struct oci_staged_sigs staged;
	char *dropped; /* why one was left out (the first), malloc'd */
};

/*
 * A signature of the image that could not be pulled: fails the pull when
 * check verifies signatures; else (a pull without a check, as ig's, or a
 * check that does not verify) it is left out, the image pulled, and the
 * first reason kept in ps->dropped.
 */
static int sig_left_out(const struct oci_pull_check *check,
			struct pulled_sigs *ps, struct error **err)
{
	if (check && !check->unverified)
		return -1;
	if (!ps->dropped && err && *err)
		ps->dropped = strdup(error_msg(*err));
	error_free(err ? *err : NULL);
	if (err)
		*err = NULL;
	return 0;
}

/*
 * The signatures of digest beside it (pull_signature(), pull_referrers()),
 * each left out when broken unless check verifies them (sig_left_out()).
 */
static int pull_signatures(struct pull *p, const char *name, const char *digest,
			   const struct oci_pull_check *check,
			   struct pulled_sigs *ps, struct error **err)
{
	if (pull_signature(p, name, digest, ps->sig, err) < 0) {
		ps->sig[0] = '\0';
		if (sig_left_out(check, ps, err) < 0)
			return -1;
	}
	if (pull_referrers(p, name, digest, ps->referrers, err) < 0) {
		ps->referrers[0] = '\0';
		if (sig_left_out(check, ps, err) < 0)
			return -1;
	}
	ps->staged.sig = *ps->sig ? ps->sig : NULL;
	ps->staged.referrers = *ps->referrers ? ps->referrers : NULL;
	return 0;
}

/* Stage the top document of a pull (fetched as digest): its stored copy
 * kept when whole (no write: a pull of an image stored whole writes
 * nothing), else buf. */
static int stage_top(struct pull *p, const char *digest, const char *buf,
		     size_t len, struct error **err)
{
	bool intact = false;
	int kept;

	if (oci_store_blob_intact(p->store, digest, &intact, err) < 0)
		return -1;
	if (intact && (kept = keep_stored(p, digest, err)))
		return kept < 0 ? -1 : 0;
	return oci_txn_put(p->txn, buf, len, NULL, err);
}

static int pull_checked(struct oci_store *store, const char *ref,
			const char *arch, const struct oci_registry_opts *opts,
			const struct oci_pull_check *check, char **digest,
			char **dropped, struct error **err)
{
	cleanup_free char *repo_name = NULL;
	struct pulled_sigs sigs = { 0 };
	cleanup_ref struct oci_ref *r = NULL;
	cleanup_registry struct oci_registry *reg = NULL;
	cleanup_txn struct oci_txn *txn = NULL;
	cleanup_free char *name = NULL;
	cleanup_free char *buf = NULL;
	cleanup_free char *mt = NULL;
	char top[OCI_DIGEST_SIZE];
	cleanup_seen struct oci_seen docs = { 0 };
	struct pull p;
	size_t len;

	if (opts && opts->no_pull)
		return error_set(err, 0, "pull %s: pulling is disallowed", ref);
	if (oci_ref_parse(ref, NULL, &r, err) < 0)
		return -1;
	name = oci_ref_format(r);
	if (!name)
		return error_set(err, ENOMEM, "alloc");
	if (oci_registry_new(r->registry, opts, &reg, err) < 0 ||
	    oci_txn_begin(store, &txn, err) < 0)
		goto fail;
	p = (struct pull){ .reg = reg,
			   .txn = txn,
			   .store = store,
			   .repo = r->repository,
			   .docs = &docs };
	repo_name = oci_ref_name(r);
	if (!repo_name) {
		error_set(err, ENOMEM, "alloc");
		goto fail;
	}
	if (oci_registry_get_manifest(reg, r->repository,
				      r->digest ? r->digest : r->tag, &buf,
				      &len, &mt, top, err) < 0 ||
	    stage_top(&p, top, buf, len, err) < 0 ||
	    pull_children(&p, mt, buf, len, arch, 0, err) < 0 ||
	    pull_signatures(&p, repo_name, top, check, &sigs, err) < 0 ||
	    (check && check->fn(check->ctx, txn, top, &sigs.staged, err) < 0) ||
	    oci_txn_set_ref(txn, name, mt, top, len, err) < 0 ||
	    oci_txn_commit(txn, err) < 0)
		goto fail;
	if (dropped)
		*dropped = steal_ptr(sigs.dropped);
	free(sigs.dropped);
	if (digest) {
		*digest = strdup(top);
		if (!*digest)
			return error_set(err, ENOMEM, "alloc");
	}
	return 0;
fail:
	free(sigs.dropped);
	return error_prefix(err, "pull %s", name);
}

int oci_pull(struct oci_store *store, const char *ref, const char *arch,
	     const struct oci_registry_opts *opts, char **digest,
	     char **dropped, struct error **err)
{
	if (dropped)
		*dropped = NULL;
	return pull_checked(store, ref, arch, opts, NULL, digest, dropped, err);
}

struct push {
	struct oci_store *store;
	struct oci_registry *reg;
	const char *repo;
	struct oci_seen *docs; /* manifests and indexes pushed by digest */
	/* the hex digest of a blob -> another repository of the registry
	 * that the store names an image holding it in */
	json_t *from;
};

/* A repository the registry may mount blob digest from, or NULL. */
static const char *mount_from(const struct push *p, const char *digest)
{
	return json_string_value(
		json_object_get(p->from, oci_digest_hex(digest)));
}

static int push_blob(struct push *p, const struct oci_descriptor *d,
		     struct error **err)
{
	cleanup_close int fd = -1;
	bool exists = false;

	if (oci_registry_has_blob(p->reg, p->repo, d->digest, &exists, err) < 0)
		return -1;
	if (exists)
		return 0;
	fd = oci_store_open_blob(p->store, d->digest, err);
	if (fd < 0)
		return -1;
	return oci_registry_put_blob(p->reg, p->repo, d->digest, d->size, fd,
				     mount_from(p, d->digest), NULL, err);
}

/* Push what d names (children first), the document itself under ref. */
static int push_doc(struct push *p, const struct oci_descriptor *d,
		    const char *reference, int depth, struct error **err)
{
	cleanup_free char *buf = NULL;
	cleanup_doc struct oci_doc doc = { 0 };
	const struct oci_descriptor *c;
	size_t len, i;
	int seen = 0;

	if (oci_nesting_check(depth, err) < 0)
		return -1;
	if (!strcmp(reference, d->digest))
		seen = oci_seen_add(p->docs, d->digest, err);
	if (seen)
		return seen < 0 ? -1 : 0; /* pushed with its children */
	if (oci_store_read_blob(p->store, d->digest, d->size, &buf, &len, err) <
	    0)
		return error_prefix(err, "image is incomplete");
	if (oci_doc_parse(d->media_type, buf, len, &doc, err) < 0)
		return -1;
	for (i = 0; (c = oci_doc_child(&doc, i)); i++)
		if ((doc.idx ? push_doc(p, c, c->digest, depth + 1, err) :
			       push_blob(p, c, err)) < 0)
			return -1;
	return oci_registry_put_manifest(p->reg, p->repo, reference,
					 d->media_type, buf, len, err);
}

/* The reference of a stored document, pushed under reference. */
static int push_ref(struct push *p, const char *ref, const char *reference,
		    struct error **err)
{
	struct oci_descriptor *d = NULL;
	int ret;

	if (oci_store_resolve(p->store, ref, &d, err) < 0)
		return -1;
	ret = push_doc(p, d, reference ? reference : d->digest, 0, err);
	oci_descriptor_free(d);
	return ret;
}

/* Push the blob buf (a document made for the push) unless it is there. */
static int push_mem_blob(struct push *p, const char *buf, size_t len,
			 struct error **err)
{
	cleanup_close int fd = -1;
	char digest[OCI_DIGEST_SIZE];
	bool exists = false;

	oci_digest_buf(buf, len, digest);
	if (oci_registry_has_blob(p->reg, p->repo, digest, &exists, err) < 0)
		return -1;
	if (exists)
		return 0;
	fd = memfd_create("runner-blob", MFD_CLOEXEC);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		return error_set(err, fd < 0 ? errno : EIO, "push blob %s",
				 digest);
	return oci_registry_put_blob(p->reg, p->repo, digest, (int64_t)len, fd,
				     mount_from(p, digest), NULL, err);
}

/*
 * Push the stored legacy signature manifest ref under tag, added to the
 * one the registry has there (cosign adds its signatures to it): the
 * signatures it holds are kept, ours appended, nothing pushed when it
 * has them all.
 */
static int push_sig(struct push *p, const char *ref, const char *tag,
		    struct error **err)
{
	cleanup_free char *theirs = NULL;
	cleanup_free char *mt = NULL;
	cleanup_free char *ours = NULL;
	cleanup_free char *merged = NULL;
	cleanup_free char *config = NULL;
	cleanup_doc struct oci_doc doc = { 0 };
	struct oci_descriptor *d = NULL;
	const struct oci_descriptor *c;
	char got[OCI_DIGEST_SIZE];
	struct error *e = NULL;
	size_t tlen, olen, mlen, clen, i;
	int ret = -1;

	if (oci_registry_get_manifest(p->reg, p->repo, tag, &theirs, &tlen, &mt,
				      got, &e) < 0 &&
	    error_absent_ok(e, err) < 0)
		return -1;
	if (!theirs || oci_media_kind(mt) != OCI_KIND_MANIFEST)
		return push_ref(p, ref, tag, err);
	if (oci_store_resolve(p->store, ref, &d, err) < 0)
		return -1;
	if (oci_store_read_blob(p->store, d->digest, d->size, &ours, &olen,
				err) < 0 ||
	    oci_sig_manifest_merge(ours, olen, theirs, tlen, &merged, &mlen,
				   &config, &clen, err) < 0)
		goto out;
	if (!merged) {
		ret = 0;
		goto out;
	}
	if (oci_doc_parse(d->media_type, ours, olen, &doc, err) < 0)
		goto out;
	/* our payloads (child 0 is our config: the merged one replaces it) */
	for (i = 1; (c = oci_doc_child(&doc, i)); i++)
		if (push_blob(p, c, err) < 0)
			goto out;
	if (push_mem_blob(p, config, clen, err) < 0 ||
	    oci_registry_put_manifest(p->reg, p->repo, tag, OCI_MT_MANIFEST,
				      merged, mlen, err) < 0)
		goto out;
	ret = 0;
out:
	oci_descriptor_free(d);
	return ret;
}

/*
 * The registry's index under the referrers tag with the entries of ours
 * (buf) it lacks added; *out NULL when it lacks none.
 */
static int referrers_merged(struct push *p, const char *tag, const char *buf,
			    size_t len, char **out, struct error **err)
{
	cleanup_free char *have = NULL;
	cleanup_free char *mt = NULL;
	cleanup_json json_t *theirs = NULL;
	cleanup_json json_t *ours = json_loadb(buf, len, 0, NULL);
	char got[OCI_DIGEST_SIZE];
	struct error *e = NULL;
	size_t hlen, i, j, before;
	json_t *list, *m, *o;
	bool exists;

	*out = NULL;
	if (oci_registry_get_manifest(p->reg, p->repo, tag, &have, &hlen, &mt,
				      got, &e) < 0 &&
	    error_absent_ok(e, err) < 0)
		return -1;
	if (have && oci_media_kind(mt) == OCI_KIND_INDEX)
		theirs = json_loadb(have, hlen, 0, NULL);
	exists = json_is_array(json_object_get(theirs, "manifests"));
	if (!exists) {
		json_decref(theirs);
		theirs = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2,
				   "mediaType", OCI_MT_INDEX, "manifests");
	}
	list = json_object_get(theirs, "manifests");
	if (!ours || !list)
		return error_set(err, ENOMEM, "referrers index");
	before = json_array_size(list);
	json_array_foreach (json_object_get(ours, "manifests"), i, o) {
		const char *d = json_string_value(json_object_get(o, "digest"));

		json_array_foreach (list, j, m)
			if (d && json_equal(json_object_get(m, "digest"),
					    json_object_get(o, "digest")))
				break;
		if (d && j == json_array_size(list))
			json_array_append(list, o);
	}
	if (exists && json_array_size(list) == before)
		return 0;
	*out = json_dumps(theirs, JSON_COMPACT);
	return *out ? 0 : error_set(err, ENOMEM, "alloc");
}

/*
 * Push the stored referrers index ri of digest (sigstore bundles, cosign
 * signatures): each referrer by digest; a registry with the referrers API
 * lists them by their subject, one without it finds them in the index
 * under the referrers tag, merged with the one it has.
 */
static int push_referrers(struct push *p, const struct oci_descriptor *ri,
			  const char *digest, struct error **err)
{
	cleanup_index struct oci_index *idx = NULL;
	cleanup_free char *buf = NULL;
	cleanup_free char *merged = NULL;
	char tag[OCI_SIG_TAG_SIZE];
	bool api = false;
	size_t len, i;

	if (oci_store_read_blob(p->store, ri->digest, ri->size, &buf, &len,
				err) < 0 ||
	    oci_index_parse(buf, len, &idx, err) < 0 ||
	    oci_registry_has_referrers_api(p->reg, p->repo, digest, &api, err) <
		    0)
		return -1;
	for (i = 0; i < idx->n_manifests; i++)
		if (push_doc(p, &idx->manifests[i], idx->manifests[i].digest, 1,
			     err) < 0)
			return -1;
	if (api || !idx->n_manifests)
		return 0;
	oci_referrers_tag(digest, tag);
	if (referrers_merged(p, tag, buf, len, &merged, err) < 0 ||
	    (merged &&
	     oci_registry_put_manifest(p->reg, p->repo, tag, OCI_MT_INDEX,
				       merged, strlen(merged), err) < 0))
		return error_prefix(err, "referrers tag %s", tag);
	return 0;
}

/*
 * Push the stored signatures of digest made in src's repository: the
 * legacy one under its tag, and the OCI 1.1 referrers (push_referrers()).
 * Without them there (an image tagged from another repository), those of
 * another repository that hold nothing but signatures of digest.
 */
static int push_signatures(struct push *p, const char *src, const char *digest,
			   struct error **err)
{
	cleanup_ref struct oci_ref *r = NULL;
	cleanup_free char *name = NULL;
	cleanup_free char *other = NULL;
	char tag[OCI_SIG_TAG_SIZE];
	struct oci_descriptor *d = NULL;
	char **refs = NULL;
	size_t n = 0, i, pick;
	int rc;

	if (!oci_digest_valid(src) && oci_ref_parse(src, NULL, &r, NULL) == 0)
		name = oci_ref_name(r);
	if (oci_store_sig_refs(p->store, digest, &refs, &n, err) < 0)
		return -1;
	/* the signature in the image's repository, else a bare one (ig's
	 * store keeps them so) */
	pick = n;
	for (i = 0; name && i < n; i++)
		if (oci_ref_in_repo(refs[i], name))
			pick = i;
	for (i = 0; pick == n && i < n; i++)
		if (!strchr(refs[i], '/'))
			pick = i;
	oci_sig_tag(digest, tag);
	rc = pick < n || !name ? 0 :
				 oci_store_sig_elsewhere(p->store, name, digest,
							 false, &other, err);
	if (rc < 0 ||
	    ((pick < n || other) &&
	     push_sig(p, pick < n ? refs[pick] : other, tag, err) < 0)) {
		oci_strv_free(refs, n);
		return error_prefix(err, "signature %s", tag);
	}
	oci_strv_free(refs, n);
	if (!name)
		return 0;
	rc = oci_store_referrers_of(p->store, name, digest, NULL, &d, err);
	if (rc == 0) {
		free(other);
		rc = oci_store_sig_elsewhere(p->store, name, digest, true,
					     &other, err);
		if (rc > 0 && oci_store_resolve(p->store, other, &d, err) < 0)
			rc = -1;
	}
	if (rc <= 0)
		return rc; /* -1: error, 0: no referrers */
	rc = push_referrers(p, d, digest, err);
	oci_descriptor_free(d);
	return rc < 0 ? error_prefix(err, "referrers of %s", digest) : 0;
}

/*
 * Record in from (hex digest -> repo) each blob the stored document
 * digest reaches that from lacks.  Best effort: what cannot be read is
 * uploaded rather than mounted.
 */
static int mount_walk(struct oci_store *store, json_t *from, const char *repo,
		      const char *mt, const char *digest, int depth)
{
	cleanup_free char *buf = NULL;
	cleanup_doc struct oci_doc doc = { 0 };
	const struct oci_descriptor *c;
	size_t len, i;

	if (depth > OCI_MAX_NESTING || oci_media_kind(mt) == OCI_KIND_OTHER ||
	    oci_store_read_blob(store, digest, -1, &buf, &len, NULL) < 0 ||
	    oci_doc_parse(mt, buf, len, &doc, NULL) < 0)
		return 0;
	for (i = 0; (c = oci_doc_child(&doc, i)); i++) {
		const char *hex = oci_digest_hex(c->digest);

		if (doc.kind != OCI_KIND_MANIFEST) {
			if (mount_walk(store, from, repo, c->media_type,
				       c->digest, depth + 1) < 0)
				return -1;
		} else if (!json_object_get(from, hex) &&
			   json_object_set_new(from, hex, json_string(repo)) <
				   0) {
			return -1;
		}
	}
	return 0;
}

/*
 * For each blob, another repository of dest's registry that the store
 * names an image holding it in (the image pulled from there, or pushed
 * there), whose blobs the registry may mount into dest's: a layer two
 * images share comes from the other one, as docker remembers where it
 * pulled or pushed each blob.
 */
static int mount_sources(struct oci_store *store, const struct oci_ref *dest,
			 json_t **out, struct error **err)
{
	cleanup_json json_t *from = json_object();
	struct oci_store_entry *e = NULL;
	size_t n = 0, i;
	int ret = 0;

	if (!from)
		return error_set(err, ENOMEM, "alloc");
	if (oci_store_index(store, &e, &n, err) < 0)
		return -1;
	for (i = 0; i < n && ret == 0; i++) {
		cleanup_ref struct oci_ref *r = NULL;

		if (!e[i].ref || oci_is_signature_ref(e[i].ref) ||
		    oci_ref_parse(e[i].ref, NULL, &r, NULL) < 0 ||
		    strcmp(r->registry, dest->registry) ||
		    !strcmp(r->repository, dest->repository))
			continue;
		ret = mount_walk(store, from, r->repository, e[i].media_type,
				 e[i].digest, 0);
	}
	oci_store_entries_free(e, n);
	if (ret < 0)
		return error_set(err, ENOMEM, "alloc");
	*out = steal_ptr(from);
	return 0;
}

int oci_push(struct oci_store *store, const char *ref, const char *dest,
	     const struct oci_registry_opts *opts, char **digest,
	     struct error **err)
{
	cleanup_ref struct oci_ref *r = NULL;
	cleanup_registry struct oci_registry *reg = NULL;
	struct oci_descriptor *d = NULL;
	cleanup_seen struct oci_seen docs = { 0 };
	cleanup_json json_t *from = NULL;
	struct push p;
	int ret = -1;

	if (!dest)
		dest = ref;
	if (oci_ref_parse(dest, NULL, &r, err) < 0)
		return error_prefix(err, "push");
	if (oci_store_resolve(store, ref, &d, err) < 0)
		return error_prefix(err, "push");
	if (r->digest && strcmp(r->digest, d->digest)) {
		error_set(err, 0, "push %s: the image has digest %s", dest,
			  d->digest);
		goto out;
	}
	if (mount_sources(store, r, &from, err) < 0 ||
	    oci_registry_new(r->registry, opts, &reg, err) < 0)
		goto fail;
	p = (struct push){ .store = store,
			   .reg = reg,
			   .repo = r->repository,
			   .docs = &docs,
			   .from = from };
	if (push_doc(&p, d, r->tag ? r->tag : d->digest, 0, err) < 0 ||
	    push_signatures(&p, ref, d->digest, err) < 0) {
		oci_store_explain_gone(store, ref, d->digest, err);
		goto fail;
	}
	if (digest) {
		*digest = strdup(d->digest);
		if (!*digest) {
			error_set(err, ENOMEM, "alloc");
			goto out;
		}
	}
	ret = 0;
	goto out;
fail:
	error_prefix(err, "push %s", dest);
out:
	oci_descriptor_free(d);
	return ret;
}

int oci_ensure_gadget(struct oci_store *store, const char *ref,
		      enum oci_pull_policy policy,
		      const struct oci_registry_opts *opts, struct error **err)
{
	return oci_ensure_gadget_checked(store, ref, policy, opts, NULL, NULL,
					 err);
}

/* The check on an image the store already holds. */
static int check_stored(struct oci_store *store, const char *digest,
			const struct oci_pull_check *check, struct error **err)
{
	cleanup_txn struct oci_txn *txn = NULL;

	if (!check)
		return 0;
	if (oci_txn_begin(store, &txn, err) < 0)
		return -1;
	return check->fn(check->ctx, txn, digest, NULL, err);
}

int oci_ensure_gadget_checked(struct oci_store *store, const char *ref,
			      enum oci_pull_policy policy,
			      const struct oci_registry_opts *opts,
			      const struct oci_pull_check *check, char **digest,
			      struct error **err)
{
	struct oci_registry_opts defaults;
	struct oci_descriptor *d = NULL;
	struct error *e = NULL;

	if (!opts) {
		oci_registry_opts_init(&defaults);
		opts = &defaults;
	}
	if (policy != OCI_PULL_ALWAYS) {
		if (oci_store_resolve(store, ref, &d, &e) == 0) {
			int ret = check_stored(store, d->digest, check, err);

			if (ret == 0 && digest &&
			    !(*digest = strdup(d->digest)))
				ret = error_set(err, ENOMEM, "alloc");
			oci_descriptor_free(d);
			return ret;
		}
		if (!e || e->errnum != ENOENT)
			return error_pass(e, err);
		error_free(e);
		if (policy == OCI_PULL_NEVER)
			return error_set(err, 0,
					 "image %s is not in store %s and the "
					 "pull policy is never",
					 ref, oci_store_dir(store));
		if (opts->no_pull)
			return error_set(err, 0,
					 "image %s is not in store %s and "
					 "pulling is disallowed",
					 ref, oci_store_dir(store));
	}
	return pull_checked(store, ref, oci_host_arch(), opts, check, digest,
			    NULL, err);
}
