/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the local image layout (store.c, store_txn.c, store_gc.c,
 * sign_store.c): the store itself and the helpers its parts share.
 */
#ifndef OCI_STORE_INTERNAL_H
#define OCI_STORE_INTERNAL_H

#include <sys/stat.h>

#include <jansson.h>

#include "common/error.h"
#include "oci/store.h"

/* Where the digests of images built here are recorded, one a line
 * (sign_store.c); replaced whole under the index lock. */
#define STORE_BUILT_FILE "runner-built"

/*
 * The space reserve: allocated blocks that hold no data, given up only by
 * a remove, to write the index.json (or runner-built) that lets it free
 * space on a full disk.  Losing it (killed after giving it up) loses
 * nothing: the next change to the store, or the remove's own garbage
 * collection, makes it again.  It outgrows index.json by this much.
 */
#define STORE_RESERVE_FILE "runner-reserve"
#define STORE_RESERVE_SLACK (64L << 10)

/* Largest blob read into memory (gadget programs and configs are small). */
#define MAX_BLOB_IN_MEMORY (512L << 20)
/* Ingest files older than this, and not locked, are leftovers. */
#define STALE_INGEST_SECONDS 60

struct oci_store {
	char *dir;
	/* index.json as last read for lookups (store_index_read()): the
	 * file held open, its stat */
	json_t *index;
	int index_fd;
	struct stat index_st;
	/* another user can write it (oci_store_open_existing()): index and
	 * blobs read only as regular files, not through a symlink */
	bool untrusted;
};

/* Fill *err with "<what> <name> not found in store <dir>", errnum ENOENT. */
void store_not_found(struct error **err, const char *what, const char *name,
		     const char *dir);
/* dir/rel, or dir/blobs/sha256/<hex> (malloc'd; NULL without memory). */
char *store_path(const struct oci_store *s, const char *rel);
char *store_blob_path(const struct oci_store *s, const char *digest);
int store_fsync_dir(const char *dir);
/* Take the index lock; returns the fd that holds it (close to release). */
int store_lock(struct oci_store *s, struct error **err);
/* Under the lock: ingest files no live writer holds (older than a
 * minute) and the temp files killed writers of index.json, runner-built
 * or oci-layout left go. */
void store_remove_stale(struct oci_store *s);
/* Under the lock: record that digest was built on this machine (never
 * pulled), in STORE_BUILT_FILE (sign_store.c). */
int store_mark_built(struct oci_store *store, const char *digest,
		     struct error **err);
/* index.json, checked to be an image index; written atomically. */
json_t *store_index_load(struct oci_store *s, struct error **err);
/* The same, not to be changed: parsed again only when index.json was
 * replaced since this store last read it. */
json_t *store_index_read(struct oci_store *s, struct error **err);
/* The index lock taken (*lock: close to release) and index.json loaded
 * under it; NULL (no lock held, *lock -1) when either fails. */
json_t *store_index_load_locked(struct oci_store *s, int *lock,
				struct error **err);
/* Replace index.json, then make or grow the space reserve (best effort). */
int store_index_save(struct oci_store *s, json_t *j, struct error **err);
/* For a remove: replace index.json, giving up the reserve on a full disk. */
int store_index_save_freeing(struct oci_store *s, json_t *j,
			     struct error **err);
/* Under the lock, for a remove: write_file_own(), giving up the reserve
 * on a full disk. */
int store_write_freeing(struct oci_store *s, const char *path, const void *buf,
			size_t len, struct error **err);
/* Under the lock: make the space reserve, or grow it to follow
 * index.json; best effort (on a full disk it waits for room). */
void store_reserve_keep(struct oci_store *s);
/* The org.opencontainers.image.ref.name of an index.json entry. */
const char *store_entry_ref(json_t *e);

#endif
