// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/ref.h"
#include "oci/registry.h"
#include "oci/store.h"
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
	const char *repo;
};

static int pull_blob(struct pull *p, const struct oci_descriptor *d,
		     struct error **err)
{
	struct oci_blob_writer *w = NULL;

	if (oci_txn_has_blob(p->txn, d->digest)) {
		if (oci_txn_blob_size(p->txn, d->digest) != d->size)
			return error_set(err, 0,
					 "stored blob %s has the wrong size",
					 d->digest);
		return oci_txn_need(p->txn, d->digest, err);
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

	if (oci_media_kind(d->media_type) == OCI_KIND_OTHER)
		return error_set(err, 0, "%s: unsupported media type %s",
				 d->digest, d->media_type);
	if (oci_nesting_check(depth, err) < 0)
		return -1;
	if (oci_txn_has_blob(p->txn, d->digest)) {
		if (oci_txn_read_blob(p->txn, d->digest, d->size, &buf, &len,
				      err) < 0 ||
		    oci_txn_need(p->txn, d->digest, err) < 0)
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

int oci_pull(struct oci_store *store, const char *ref, const char *arch,
	     const struct oci_registry_opts *opts, char **digest,
	     struct error **err)
{
	cleanup_ref struct oci_ref *r = NULL;
	cleanup_registry struct oci_registry *reg = NULL;
	cleanup_txn struct oci_txn *txn = NULL;
	cleanup_free char *name = NULL;
	cleanup_free char *buf = NULL;
	cleanup_free char *mt = NULL;
	char top[OCI_DIGEST_SIZE];
	struct pull p;
	size_t len;

	if (oci_ref_parse(ref, NULL, &r, err) < 0)
		return -1;
	name = oci_ref_format(r);
	if (!name)
		return error_set(err, ENOMEM, "alloc");
	if (oci_registry_new(r->registry, opts, &reg, err) < 0 ||
	    oci_txn_begin(store, &txn, err) < 0)
		goto fail;
	p = (struct pull){ .reg = reg, .txn = txn, .repo = r->repository };
	if (oci_registry_get_manifest(reg, r->repository,
				      r->digest ? r->digest : r->tag, &buf,
				      &len, &mt, top, err) < 0 ||
	    oci_txn_put(txn, buf, len, NULL, err) < 0 ||
	    pull_children(&p, mt, buf, len, arch, 0, err) < 0 ||
	    oci_txn_set_ref(txn, name, mt, top, len, err) < 0 ||
	    oci_txn_commit(txn, err) < 0)
		goto fail;
	if (digest) {
		*digest = strdup(top);
		if (!*digest)
			return error_set(err, ENOMEM, "alloc");
	}
	return 0;
fail:
	return error_prefix(err, "pull %s", name);
}

struct push {
	struct oci_store *store;
	struct oci_registry *reg;
	const char *repo;
};

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
				     err);
}

/* Push what d names (children first), the document itself under ref. */
static int push_doc(struct push *p, const struct oci_descriptor *d,
		    const char *reference, int depth, struct error **err)
{
	cleanup_free char *buf = NULL;
	cleanup_doc struct oci_doc doc = { 0 };
	const struct oci_descriptor *c;
	size_t len, i;

	if (oci_nesting_check(depth, err) < 0)
		return -1;
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

int oci_push(struct oci_store *store, const char *ref, const char *dest,
	     const struct oci_registry_opts *opts, char **digest,
	     struct error **err)
{
	cleanup_ref struct oci_ref *r = NULL;
	cleanup_registry struct oci_registry *reg = NULL;
	struct oci_descriptor *d = NULL;
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
	if (oci_registry_new(r->registry, opts, &reg, err) < 0)
		goto fail;
	p = (struct push){ .store = store, .reg = reg, .repo = r->repository };
	if (push_doc(&p, d, r->tag ? r->tag : d->digest, 0, err) < 0)
		goto fail;
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
	struct oci_registry_opts defaults;
	struct oci_descriptor *d = NULL;
	struct error *e = NULL;

	if (!opts) {
		oci_registry_opts_init(&defaults);
		opts = &defaults;
	}
	if (policy != OCI_PULL_ALWAYS) {
		if (oci_store_resolve(store, ref, &d, &e) == 0) {
			oci_descriptor_free(d);
			return 0;
		}
		if (!e || e->errnum != ENOENT) {
			if (err) {
				error_free(*err);
				*err = e;
			} else {
				error_free(e);
			}
			return -1;
		}
		error_free(e);
		if (policy == OCI_PULL_NEVER)
			return error_set(err, 0,
					 "image %s is not in store %s and the "
					 "pull policy is never",
					 ref, oci_store_dir(store));
	}
	return oci_pull(store, ref, oci_host_arch(), opts, NULL, err);
}
