/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local image store: a standard OCI image layout (oci-layout,
 * index.json, blobs/sha256/...).  Tags are recorded in index.json as the
 * annotation org.opencontainers.image.ref.name = the full normalised
 * reference.  Writes are atomic and index.json is locked.
 */
#ifndef OCI_STORE_H
#define OCI_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "oci/digest.h"
#include "oci/manifest.h"

#define OCI_STORE_DEFAULT_DIR "/var/lib/runner/oci-store"

struct oci_store;

/* Open (and create if missing) the layout at dir. */
int oci_store_open(const char *dir, struct oci_store **out, struct error **err);
void oci_store_free(struct oci_store *store);

/* One eBPF program per architecture ("amd64", "arm64"). */
struct oci_gadget_arch {
	const char *arch;
	const void *program;
	size_t program_len;
};

struct oci_annotation {
	const char *key;
	const char *value;
};

/*
 * Store a gadget image: the gadget.yaml bytes as config, one manifest per
 * architecture, an index over them, tagged as ref (a normalised reference).
 * On success *index_digest (if not NULL) receives "sha256:..." (malloc'd).
 */
int oci_store_add_gadget(struct oci_store *store, const char *ref,
			 const void *config, size_t config_len,
			 const struct oci_gadget_arch *archs, size_t n_archs,
			 const struct oci_annotation *ann, size_t n_ann,
			 char **index_digest, struct error **err);

struct oci_gadget {
	char *ref; /* normalised reference it was found under */
	char *digest; /* digest of the index (or manifest) the ref names */
	char *config; /* gadget.yaml, NUL-terminated */
	size_t config_len;
	void *program; /* the eBPF ELF for the requested architecture */
	size_t program_len;
};

/*
 * Look up ref (normalised) and read the config and the program for arch
 * ("amd64", "arm64"; NULL = this machine's).  Digests are verified.
 */
int oci_store_get_gadget(struct oci_store *store, const char *ref,
			 const char *arch, struct oci_gadget **out,
			 struct error **err);
void oci_gadget_free(struct oci_gadget *gadget);

/* This machine's OCI architecture name ("amd64", "arm64", ...). */
const char *oci_host_arch(void);

/* The folder of the layout. */
const char *oci_store_dir(const struct oci_store *store);

/* One entry of index.json. */
struct oci_store_entry {
	char *ref; /* org.opencontainers.image.ref.name; NULL when untagged */
	char *digest;
	char *media_type;
	int64_t size;
	char *created; /* the image's created annotation, NULL if unknown */
};

/* Every entry of index.json, in file order. */
int oci_store_list(struct oci_store *store, struct oci_store_entry **out,
		   size_t *n, struct error **err);
void oci_store_entries_free(struct oci_store_entry *e, size_t n);

/*
 * The descriptor ref names: a normalised reference, "name@sha256:..." or a
 * bare "sha256:..." digest (of an index.json entry or of any stored index
 * or manifest).  Fails with errnum ENOENT when the store lacks it.
 */
int oci_store_resolve(struct oci_store *store, const char *ref,
		      struct oci_descriptor **out, struct error **err);

/* Whether the store holds blob digest. */
bool oci_store_has_blob(struct oci_store *store, const char *digest);
/* Read a whole blob (NUL-terminated), checking its digest, and its size when
 * size >= 0. */
int oci_store_read_blob(struct oci_store *store, const char *digest,
			int64_t size, char **buf, size_t *len,
			struct error **err);
/* Open a blob for streaming (no check); returns an fd or -1. */
int oci_store_open_blob(struct oci_store *store, const char *digest,
			struct error **err);

/* Tag what src names as dst (both normalised references). */
int oci_store_tag(struct oci_store *store, const char *src, const char *dst,
		  struct error **err);
/* Remove the index.json entry for ref (a reference or a digest). */
int oci_store_untag(struct oci_store *store, const char *ref,
		    struct error **err);
/* Delete blobs nothing in index.json references, and stale temp files. */
int oci_store_gc(struct oci_store *store, size_t *removed, struct error **err);

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
int oci_txn_commit(struct oci_txn *txn, struct error **err);
/* Free; a transaction not committed is rolled back. */
void oci_txn_free(struct oci_txn *txn);

static inline void oci_store_freep(struct oci_store **p)
{
	oci_store_free(*p);
}

static inline void oci_txn_freep(struct oci_txn **p)
{
	oci_txn_free(*p);
}

static inline void oci_gadget_freep(struct oci_gadget **p)
{
	oci_gadget_free(*p);
}

#define cleanup_store __attribute__((cleanup(oci_store_freep)))
#define cleanup_txn __attribute__((cleanup(oci_txn_freep)))
#define cleanup_gadget __attribute__((cleanup(oci_gadget_freep)))

#endif
