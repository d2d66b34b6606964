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
/*
 * Open the layout at dir only if it is whole (oci-layout, index.json,
 * blobs/sha256, ingest/), making and locking nothing: for a store that
 * another user can write (run --oci-store-user as root), where a file
 * made or a lock opened could follow a symlink planted meanwhile.  Its
 * index.json and blobs are then read only as regular files, not through
 * a symlink (ELOOP, EINVAL).
 */
int oci_store_open_existing(const char *dir, struct oci_store **out,
			    struct error **err);
void oci_store_free(struct oci_store *store);

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

/* Every entry of index.json, in file order, with its created time: every
 * image's manifest is read. */
int oci_store_list(struct oci_store *store, struct oci_store_entry **out,
		   size_t *n, struct error **err);
/* The same from index.json alone (created NULL): what a lookup by name or
 * tag takes, whatever the number of images stored. */
int oci_store_index(struct oci_store *store, struct oci_store_entry **out,
		    size_t *n, struct error **err);
void oci_store_entries_free(struct oci_store_entry *e, size_t n);

/*
 * The descriptor ref names: a normalised reference, "name@sha256:..." or a
 * bare "sha256:..." digest (of an index.json entry or of any stored index
 * or manifest).  Fails with errnum ENOENT when the store lacks it.
 */
int oci_store_resolve(struct oci_store *store, const char *ref,
		      struct oci_descriptor **out, struct error **err);

/*
 * After an operation on what ref resolved to (digest) failed with *err
 * for lack of a stored file (errnum ENOENT): when ref names digest no
 * more, a remove (or a tag) came in between, and *err says so instead.
 * Returns -1.
 */
int oci_store_explain_gone(struct oci_store *store, const char *ref,
			   const char *digest, struct error **err);

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

/* Remove the index.json entries ref names: a tag, every tag of a bare
 * digest (one tagged more than once only with all, counted under the
 * lock), or the tags of name holding the digest of "name@digest".  Once
 * saved, removed (if not NULL) is called with each entry's tag (its
 * digest when it had none). */
int oci_store_untag(struct oci_store *store, const char *ref, bool all,
		    void (*removed)(const char *name, void *arg), void *arg,
		    struct error **err);
/* Delete blobs nothing in index.json references, and stale temp files. */
int oci_store_gc(struct oci_store *store, size_t *removed, struct error **err);
/* Does the stored blob hash to its digest?  *intact false when it does
 * not or is missing; -1 only when it cannot be read. */
int oci_store_blob_intact(struct oci_store *store, const char *digest,
			  bool *intact, struct error **err);

static inline void oci_store_freep(struct oci_store **p)
{
	oci_store_free(*p);
}

#define cleanup_store __attribute__((cleanup(oci_store_freep)))

#endif
