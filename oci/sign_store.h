/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signatures in the local store: signing a stored image, finding and
 * verifying its signatures (offline), and the marks of images built on
 * this machine.  A legacy signature is kept as its own reference
 * "registry/repo:sha256-<hex>.sig"; OCI 1.1 referrers (sigstore bundles,
 * cosign signatures) listed in an index under "registry/repo:sha256-<hex>"
 * (the OCI 1.1 referrers tag schema).
 */
#ifndef OCI_SIGN_STORE_H
#define OCI_SIGN_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "oci/sign.h"

struct oci_descriptor;
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

/* Whether stored reference ref is in repository name ("name:tag"). */
bool oci_ref_in_repo(const char *ref, const char *name);

/*
 * The stored referrers index of digest made in repository name: the one
 * under "name:sha256-<hex>", else a bare "sha256-<hex>" (ig's store keeps
 * them so).  *ref and *d (each if not NULL) receive the reference it is
 * under and its descriptor.  Returns 1 when found, 0 when neither is
 * stored, -1 on error (alloc).
 */
int oci_store_referrers_of(struct oci_store *store, const char *name,
			   const char *digest, char **ref,
			   struct oci_descriptor **d, struct error **err);

/*
 * A signature of digest the store keeps in another repository than name
 * that holds nothing but signatures of digest (what `image tag` then a
 * push of the new name carries along, as ig's store keeps signatures by
 * digest alone): the legacy signature tag, each payload naming digest,
 * or with referrers the referrers index, each referrer's subject digest.
 * *ref (malloc'd) is its reference.  1 found, 0 none, -1 error (alloc).
 */
int oci_store_sig_elsewhere(struct oci_store *store, const char *name,
			    const char *digest, bool referrers, char **ref,
			    struct error **err);

/* The forms of a signature, in the order ig tries them. */
enum oci_sig_form {
	OCI_SIG_LEGACY, /* the tag sha256-<hex>.sig */
	OCI_SIG_OCI11, /* a cosign signature kept as an OCI 1.1 referrer */
	OCI_SIG_BUNDLE, /* a sigstore bundle kept as an OCI 1.1 referrer */
	OCI_SIG_NFORMS,
};

/* "cosign signature", "cosign signature (OCI 1.1 referrer)", ... */
const char *oci_sig_form_name(enum oci_sig_form form);

/* The signatures a pull staged beside an image (digests, NULL: none). */
struct oci_staged_sigs {
	const char *sig; /* the legacy signature manifest */
	const char *referrers; /* the referrers index (tag sha256-<hex>) */
};

/*
 * Verify image digest against keys with its signatures of every form:
 * those staged in txn (staged may be NULL), then those the store holds
 * (sha256-<hex>.sig tags; referrers indexes, sha256-<hex>, of OCI 1.1
 * cosign signatures and sigstore bundles), under any repository or bare.
 * Blobs are read from txn (staged or stored) or, without txn, from the
 * store.  Without all, stop at the first signature that verifies; with
 * all, find one of each form.  out[form].ok says which verified.  Fails
 * with the first reason a signature did not verify, or "no signature".
 */
int oci_verify_image(struct oci_store *store, struct oci_txn *txn,
		     const char *digest, const struct oci_staged_sigs *staged,
		     const struct oci_keyset *keys, bool all,
		     struct oci_verified out[OCI_SIG_NFORMS],
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
