/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signatures in the local store: signing a stored image, finding and
 * verifying its signatures (offline), and the marks of images built on
 * this machine.  A legacy signature is kept as its own reference
 * "registry/repo:sha256-<hex>.sig"; sigstore bundles as referrers, listed
 * in an index under "registry/repo:sha256-<hex>" (the OCI 1.1 referrers
 * tag schema).
 */
#ifndef OCI_SIGN_STORE_H
#define OCI_SIGN_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "oci/sign.h"

struct oci_store;
struct oci_txn;

/*
 * Sign the stored image ref (normalised, with a repository) with key: the
 * legacy signature (added to a stored one) and a sigstore bundle.
 * *digest and *sig_ref (if not NULL) receive what was signed and the
 * signature's reference.
 */
int oci_store_sign(struct oci_store *store, const char *ref,
		   const struct oci_key *key, char **digest, char **sig_ref,
		   struct error **err);

/* The stored references of legacy signatures of digest (any repository). */
int oci_store_sig_refs(struct oci_store *store, const char *digest,
		       char ***refs, size_t *n, struct error **err);
void oci_strv_free(char **v, size_t n);

/*
 * Verify image digest against keys with its legacy signatures: the one
 * staged in txn at staged_sig (a manifest digest; both may be NULL), then
 * those the store holds.  Blobs are read from txn (staged or stored) or,
 * without txn, from the store.
 */
int oci_verify_image(struct oci_store *store, struct oci_txn *txn,
		     const char *digest, const char *staged_sig,
		     const struct oci_keyset *keys, struct oci_verified *out,
		     struct error **err);

/*
 * Verify the sigstore bundles stored as referrers of digest (under
 * name:sha256-<hex>).  Fails with errnum ENOENT when there is none.
 */
int oci_verify_bundles(struct oci_store *store, const char *name,
		       const char *digest, const struct oci_keyset *keys,
		       struct oci_verified *out, struct error **err);

/* Record that digest was built on this machine (never pulled). */
int oci_store_mark_built(struct oci_store *store, const char *digest,
			 struct error **err);
bool oci_store_is_built(struct oci_store *store, const char *digest);
/* The marks, read once for many oci_built_marks_have() (malloc'd; NULL
 * when there are none), and whether they hold digest. */
char *oci_store_built_marks(struct oci_store *store);
bool oci_built_marks_have(const char *marks, const char *digest);
/* Forget the marks of images no longer stored (after a removal): one
 * pulled later is not "built here". */
int oci_store_prune_built(struct oci_store *store, struct error **err);
/*
 * Untag the signatures (legacy tags, referrers indexes) of what no stored
 * image holds any more (after a removal, or a tag moved by a build, tag or
 * pull): they list as no image, and a later pull brings them again with
 * the image.
 */
int oci_store_drop_orphan_signatures(struct oci_store *store,
				     struct error **err);

#endif
