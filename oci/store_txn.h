/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Changes to the local store (oci/store.h): staged blobs, needed blobs and
 * index.json entries, committed together or not at all.
 */
#ifndef OCI_STORE_TXN_H
#define OCI_STORE_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "oci/digest.h"
#include "oci/store.h"

/*
 * Transactions, for pulls and imports: blobs are staged (verified, fsynced)
 * in the store's ingest folder, then oci_txn_commit() moves them in and
 * applies the index.json changes, all under the index lock.  A process
 * killed at any point leaves the visible store unchanged.
 */
struct oci_txn;
struct oci_blob_writer;

int oci_txn_begin(struct oci_store *store, struct oci_txn **out,
		  struct error **err);
/* Stage a blob from memory; digest (if not NULL) receives its digest. */
int oci_txn_put(struct oci_txn *txn, const void *buf, size_t len,
		char digest[OCI_DIGEST_SIZE], struct error **err);
/* Stream a blob into the staging area. */
int oci_txn_writer_open(struct oci_txn *txn, struct oci_blob_writer **out,
			struct error **err);
int oci_blob_writer_write(struct oci_blob_writer *w, const void *buf,
			  size_t len, struct error **err);
/* Start over (after a dropped connection). */
int oci_blob_writer_reset(struct oci_blob_writer *w, struct error **err);
/*
 * Check the blob against digest (NULL: any) and size (< 0: any) and stage
 * it; frees w in every case.  digest_out (if not NULL) receives the digest.
 */
int oci_blob_writer_finish(struct oci_blob_writer *w, const char *digest,
			   int64_t size, char digest_out[OCI_DIGEST_SIZE],
			   struct error **err);
/* Drop a writer without staging anything. */
void oci_blob_writer_abort(struct oci_blob_writer *w);
/* Record that a blob already in the store is needed (checked at commit). */
int oci_txn_need(struct oci_txn *txn, const char *digest, struct error **err);
/*
 * Keep a stored blob for txn (pulls and imports, which keep every blob of
 * an image): a hard link to it in the transaction's folder holds its
 * content, however a concurrent remove collects garbage meanwhile, and the
 * commit puts it back in place.  Where no hard link can be made, as
 * oci_txn_need().  Fails with errnum ENOENT when the store lacks it.
 */
int oci_txn_keep(struct oci_txn *txn, const char *digest, struct error **err);
/* Whether the blob is staged in txn or present in the store. */
bool oci_txn_has_blob(struct oci_txn *txn, const char *digest);
/* Size of a blob staged in txn or stored; -1 when it is neither. */
int64_t oci_txn_blob_size(struct oci_txn *txn, const char *digest);
/* Read a blob staged in txn, or else stored, checking digest and size. */
int oci_txn_read_blob(struct oci_txn *txn, const char *digest, int64_t size,
		      char **buf, size_t *len, struct error **err);
/* Add or replace the index.json entry for ref. */
int oci_txn_set_ref(struct oci_txn *txn, const char *ref,
		    const char *media_type, const char *digest, int64_t size,
		    struct error **err);
/* Build: the commit marks digest built on this machine, before index.json
 * names it (an image tagged is never left unmarked). */
void oci_txn_mark_built(struct oci_txn *txn, const char *digest);
/* Staged blobs replace stored copies (which may have rotted); ingest
 * files of killed writers are removed on the way, under the lock. */
int oci_txn_commit(struct oci_txn *txn, struct error **err);
/* Import: staged blob digest is reached from a ref being set. */
void oci_txn_mark_used(struct oci_txn *txn, const char *digest);
/* Import: drop the staged blobs no ref reaches (nothing unreferenced
 * enters the store). */
void oci_txn_drop_unused(struct oci_txn *txn);
/* Free; a transaction not committed is rolled back. */
void oci_txn_free(struct oci_txn *txn);

static inline void oci_txn_freep(struct oci_txn **p)
{
	oci_txn_free(*p);
}

#define cleanup_txn __attribute__((cleanup(oci_txn_freep)))

/* Tag what src names as dst (both normalised references). */
int oci_store_tag(struct oci_store *store, const char *src, const char *dst,
		  struct error **err);

#endif
