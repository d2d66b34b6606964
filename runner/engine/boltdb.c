// SPDX-License-Identifier: Apache-2.0
/*
 * The layout read here (bbolt's page.go, bucket.go, db.go; all little
 * endian): a page starts with { u64 id; u16 flags; u16 count; u32
 * overflow } and spans 1 + overflow pages.  Pages 0 and 1 are meta pages:
 * { u32 magic 0xED0CDAED; u32 version 2; u32 page size; u32 flags; u64
 * root bucket's page; u64 sequence; u64 freelist; u64 high water mark;
 * u64 txid; u64 checksum (FNV-1a 64 of what comes before) }, the valid
 * one with the larger txid is current.  A branch page holds count
 * elements { u32 pos; u32 key size; u64 child page }, a leaf page { u32
 * flags (1: a bucket); u32 pos; u32 key size; u32 value size }, pos
 * counted from the element itself, keys sorted.  A bucket's value is {
 * u64 root page; u64 sequence }, followed by the bucket's one page when
 * root is 0 (an inline bucket).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "runner/engine/boltdb.h"

#define PAGE_HDR 16
#define ELEM 16
#define F_BRANCH 0x01
#define F_LEAF 0x02
#define F_META 0x04
#define LEAF_BUCKET 0x01
#define MAGIC 0xED0CDAEDu

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* A meta page's root page and txid if it is valid. */
static int meta(const uint8_t *page, size_t avail, uint32_t *psize,
		uint64_t *root, uint64_t *txid)
{
	const uint8_t *m = page + PAGE_HDR;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	if (avail < PAGE_HDR + 64 || !(le16(page + 8) & F_META) ||
	    le32(m) != MAGIC || le32(m + 4) != 2)
		return -1;
	for (i = 0; i < 56; i++)
		h = (h ^ m[i]) * 0x100000001b3ULL;
	if (h != le64(m + 56))
		return -1;
	*psize = le32(m + 8);
	*root = le64(m + 16);
	*txid = le64(m + 48);
	return 0;
}

int boltdb_from_memory(const void *data, size_t size, struct boltdb *db)
{
	uint64_t root[2] = { 0, 0 }, txid[2] = { 0, 0 };
	uint32_t ps[2] = { 0, 0 };
	bool ok[2];
	int best;

	memset(db, 0, sizeof(*db));
	db->fd = -1;
	db->data = data;
	db->size = size;
	ok[0] = !meta(data, size, &ps[0], &root[0], &txid[0]);
	/* the second meta page is one page (page 0's size) further */
	ok[1] = ok[0] && ps[0] >= PAGE_HDR + 64 && ps[0] <= (1u << 20) &&
		ps[0] < size &&
		!meta(db->data + ps[0], size - ps[0], &ps[1], &root[1],
		      &txid[1]) &&
		ps[1] == ps[0];
	if (!ok[0])
		return -1;
	best = ok[1] && txid[1] > txid[0] ? 1 : 0;
	if (ps[best] < PAGE_HDR + 64 || ps[best] > (1u << 20))
		return -1;
	db->page_size = ps[best];
	db->root = root[best];
	return 0;
}

int boltdb_open(const char *path, long lock_wait_ms, struct boltdb *db,
		struct error **err)
{
	struct timespec pause = { 0, 5 * 1000 * 1000 };
	struct stat st;
	void *map;
	long waited;
	int fd;

	memset(db, 0, sizeof(*db));
	db->fd = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno, "open %s", path);
	for (waited = 0; flock(fd, LOCK_SH | LOCK_NB); waited += 5) {
		if (errno != EWOULDBLOCK || waited >= lock_wait_ms) {
			error_set(err, errno, "lock %s", path);
			close(fd);
			return -1;
		}
		nanosleep(&pause, NULL);
	}
	if (fstat(fd, &st) || st.st_size <= 0) {
		close(fd);
		return error_set(err, EINVAL, "%s: empty", path);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		error_set(err, errno, "map %s", path);
		close(fd);
		return -1;
	}
	if (boltdb_from_memory(map, (size_t)st.st_size, db)) {
		munmap(map, (size_t)st.st_size);
		close(fd);
		return error_set(err, EINVAL, "%s: not a bbolt database", path);
	}
	db->fd = fd;
	db->map = map;
	return 0;
}

void boltdb_close(struct boltdb *db)
{
	if (db->map)
		munmap(db->map, db->size);
	if (db->fd >= 0)
		close(db->fd); /* lets the lock go */
	memset(db, 0, sizeof(*db));
	db->fd = -1;
}

void boltdb_root(const struct boltdb *db, struct boltdb_bucket *b)
{
	memset(b, 0, sizeof(*b));
	b->root = db->root;
}

/* Page id of the file: where it starts and how many bytes it spans. */
static int page_at(const struct boltdb *db, uint64_t id, const uint8_t **p,
		   size_t *len)
{
	uint64_t off, span;

	if (id < 2 || id > db->size / db->page_size)
		return -1;
	off = id * db->page_size;
	if (db->size - off < PAGE_HDR)
		return -1;
	span = ((uint64_t)le32(db->data + off + 12) + 1) * db->page_size;
	*p = db->data + off;
	*len = span <= db->size - off ? (size_t)span : db->size - off;
	return 0;
}

/* Element i's key (and a leaf's value), checked against the page. */
static int element(const uint8_t *page, size_t len, unsigned int i, bool leaf,
		   const uint8_t **key, size_t *klen, const uint8_t **val,
		   size_t *vlen, uint32_t *flags, uint64_t *child)
{
	size_t at = PAGE_HDR + (size_t)i * ELEM, pos;
	const uint8_t *e;

	if (at > len || len - at < ELEM)
		return -1;
	e = page + at;
	if (leaf) {
		*flags = le32(e);
		pos = le32(e + 4);
		*klen = le32(e + 8);
		*vlen = le32(e + 12);
	} else {
		pos = le32(e);
		*klen = le32(e + 4);
		*child = le64(e + 8);
		*vlen = 0;
	}
	if (pos > len - at || *klen > len - at - pos ||
	    *vlen > len - at - pos - *klen)
		return -1;
	*key = e + pos;
	if (val)
		*val = e + pos + *klen;
	return 0;
}

static int keycmp(const uint8_t *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* The leaf element of key in bucket b: its flags and value. */
static int find(const struct boltdb *db, const struct boltdb_bucket *b,
		const void *key, size_t len, uint32_t *flags,
		const uint8_t **val, size_t *vlen)
{
	const uint8_t *page = b->page;
	size_t plen = b->page_len;
	int depth;

	if (!b->page && page_at(db, b->root, &page, &plen))
		return -1;
	for (depth = 0; depth < BOLTDB_MAX_DEPTH; depth++) {
		uint16_t pflags, count;
		uint64_t next = 0;
		unsigned int i;

		if (plen < PAGE_HDR)
			return -1;
		pflags = le16(page + 8);
		count = le16(page + 10);
		for (i = 0; i < count; i++) {
			const uint8_t *k, *v;
			size_t kl, vl;
			uint64_t child = 0;
			uint32_t f = 0;
			int c;

			if (element(page, plen, i, pflags & F_LEAF, &k, &kl, &v,
				    &vl, &f, &child))
				return -1;
			c = keycmp(k, kl, key, len);
			if (pflags & F_LEAF) {
				if (c)
					continue;
				*flags = f;
				*val = v;
				*vlen = vl;
				return 0;
			}
			/* a branch: the last child whose first key <= key */
			if (c > 0)
				break;
			next = child;
		}
		if (!(pflags & F_BRANCH) || !next || !b->root ||
		    page_at(db, next, &page, &plen))
			return -1;
	}
	return -1;
}

int boltdb_bucket(const struct boltdb *db, const struct boltdb_bucket *parent,
		  const void *name, size_t len, struct boltdb_bucket *out)
{
	const uint8_t *v;
	uint32_t flags;
	size_t vlen;

	if (find(db, parent, name, len, &flags, &v, &vlen) ||
	    !(flags & LEAF_BUCKET) || vlen < 16)
		return -1;
	memset(out, 0, sizeof(*out));
	out->root = le64(v);
	if (!out->root) {
		out->page = v + 16;
		out->page_len = vlen - 16;
	}
	return 0;
}

int boltdb_get(const struct boltdb *db, const struct boltdb_bucket *b,
	       const void *key, size_t len, const uint8_t **val,
	       size_t *val_len)
{
	uint32_t flags;

	if (find(db, b, key, len, &flags, val, val_len) ||
	    (flags & LEAF_BUCKET))
		return -1;
	return 0;
}
