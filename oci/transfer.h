/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Moving images between the local store and registries: pull, push, and
 * the pull policy `runner run --pull` applies before reading an image.
 */
#ifndef OCI_TRANSFER_H
#define OCI_TRANSFER_H

#include <stdbool.h>

#include "common/error.h"
#include "oci/registry.h"

struct oci_store;

enum oci_pull_policy {
	OCI_PULL_MISSING, /* pull when the store lacks the image (default) */
	OCI_PULL_ALWAYS,
	OCI_PULL_NEVER,
};

/* "missing", "always", "never". */
int oci_pull_policy_parse(const char *s, enum oci_pull_policy *out,
			  struct error **err);

/*
 * Pull ref (a normalised reference, tag or digest) with every manifest and
 * blob it uses into store, verifying each digest and size before anything
 * is committed.  With arch, fail before downloading blobs when an index
 * has no manifest for it.  *digest (if not NULL) receives the digest.
 * Its signatures come along; one the registry holds broken (or will not
 * give) is left out, as ig's pull does, and *dropped (if not NULL)
 * receives why (malloc'd), NULL when none was.
 */
int oci_pull(struct oci_store *store, const char *ref, const char *arch,
	     const struct oci_registry_opts *opts, char **digest,
	     char **dropped, struct error **err);

/*
 * A check of a pulled image before anything is committed: fn gets the
 * transaction (read blobs with oci_txn_read_blob), the image digest and
 * the signatures pulled with it (oci/sign_store.h; NULL: none).  For an
 * image already stored, txn holds nothing staged.  A failure stops the
 * pull and leaves the store as it was.
 */
struct oci_txn;
struct oci_staged_sigs;
struct oci_pull_check {
	int (*fn)(void *ctx, struct oci_txn *txn, const char *digest,
		  const struct oci_staged_sigs *staged, struct error **err);
	void *ctx;
	bool unverified; /* fn does not verify: signatures are optional */
};

/*
 * Push the stored image ref to dest (NULL: to ref itself): blobs the
 * registry lacks, then each manifest, then the index under dest's tag;
 * then its signatures: the legacy tag, and OCI 1.1 referrers (through
 * the referrers tag sha256-<hex> where the registry has no referrers API).
 */
int oci_push(struct oci_store *store, const char *ref, const char *dest,
	     const struct oci_registry_opts *opts, char **digest,
	     struct error **err);

/*
 * Make sure the store holds ref (normalised) for this machine's
 * architecture according to policy; call before oci_store_get_gadget().
 * opts NULL means oci_registry_opts_init() defaults.
 */
int oci_ensure_gadget(struct oci_store *store, const char *ref,
		      enum oci_pull_policy policy,
		      const struct oci_registry_opts *opts, struct error **err);
/*
 * oci_ensure_gadget() with check run on the image (pulled or stored)
 * before it is committed or used; *digest (if not NULL) receives the
 * digest checked.
 */
int oci_ensure_gadget_checked(struct oci_store *store, const char *ref,
			      enum oci_pull_policy policy,
			      const struct oci_registry_opts *opts,
			      const struct oci_pull_check *check, char **digest,
			      struct error **err);

#endif
