/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Read-only lookups in a bbolt database file (the format of
 * go.etcd.io/bbolt, which podman 4 keeps its state in: bolt_state.db):
 * nested buckets by name, then a key's value.  Only the pages a lookup
 * walks are read, every offset is checked against the file, and a walk is
 * at most BOLTDB_MAX_DEPTH pages deep: a damaged or hostile file gives
 * "not found", never a read outside it.
 *
 * boltdb_open() holds a shared lock on the file (flock, as bbolt's own
 * read-only opens do) until boltdb_close(): a writer (which holds it
 * exclusively) cannot change the pages under the lookups.
 */
#ifndef RUNNER_BOLTDB_H
#define RUNNER_BOLTDB_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define BOLTDB_MAX_DEPTH 32

struct boltdb {
	const uint8_t *data;
	size_t size;
	uint32_t page_size;
	uint64_t root; /* the root bucket's page */
	int fd; /* -1: data is the caller's */
	void *map; /* mmap'd by boltdb_open() */
};

/* A bucket: its root page, or (inline) its page inside its parent. */
struct boltdb_bucket {
	uint64_t root;
	const uint8_t *page; /* inline: root == 0 */
	size_t page_len;
};

/*
 * Open path, waiting up to lock_wait_ms for a writer to let go: 0, or -1
 * with *err (EWOULDBLOCK: still locked; EINVAL: not a bbolt file).
 */
int boltdb_open(const char *path, long lock_wait_ms, struct boltdb *db,
		struct error **err);
/* The same over size bytes in memory (tests); 0, or -1 if not bbolt. */
int boltdb_from_memory(const void *data, size_t size, struct boltdb *db);
void boltdb_close(struct boltdb *db);

/* The root bucket, the one that holds the top-level buckets. */
void boltdb_root(const struct boltdb *db, struct boltdb_bucket *b);
/* Bucket name inside parent: 0, or -1 if there is none. */
int boltdb_bucket(const struct boltdb *db, const struct boltdb_bucket *parent,
		  const void *name, size_t len, struct boltdb_bucket *out);
/* The value of key in bucket b (not a bucket): 0, or -1 if none. */
int boltdb_get(const struct boltdb *db, const struct boltdb_bucket *b,
	       const void *key, size_t len, const uint8_t **val,
	       size_t *val_len);

#endif
