// SPDX-License-Identifier: Apache-2.0
/*
 * boltdb lookups (runner/engine/boltdb.c) in hostile files: podman's
 * path to a pod's labels (ctr/<id>/config, pod/<id>/config) and a few
 * other keys; whatever the pages say, a value found lies within the file.
 * A meta page's checksum would keep mutations away from its page size,
 * root and txid: an input whose meta pages fail it is read as it is and
 * again with their checksums made right.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "runner/engine/boltdb.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void check_value(const uint8_t *data, size_t size, const uint8_t *v,
			size_t len)
{
	FUZZ_CHECK(v >= data && len <= size && v - data <= (long)(size - len),
		   "value of %zu bytes outside the file", len);
}

static void lookups(const uint8_t *data, size_t size)
{
	static const char *const top[] = { "ctr", "pod", "allCtrs", "x" };
	static const char *const ids[] = { "c1", "p1", "a", "" };
	struct boltdb db;
	struct boltdb_bucket root, b, c;
	const uint8_t *v;
	size_t len;

	if (boltdb_from_memory(data, size, &db))
		return;
	boltdb_root(&db, &root);
	for (size_t i = 0; i < 4; i++) {
		if (!boltdb_get(&db, &root, top[i], strlen(top[i]), &v, &len))
			check_value(data, size, v, len);
		if (boltdb_bucket(&db, &root, top[i], strlen(top[i]), &b))
			continue;
		for (size_t j = 0; j < 4; j++) {
			if (!boltdb_get(&db, &b, ids[j], strlen(ids[j]), &v,
					&len))
				check_value(data, size, v, len);
			if (boltdb_bucket(&db, &b, ids[j], strlen(ids[j]), &c))
				continue;
			if (!boltdb_get(&db, &c, "config", 6, &v, &len))
				check_value(data, size, v, len);
		}
	}
}

/* FNV-1a 64 of the meta fields before the checksum, as bbolt's. */
static uint64_t meta_sum(const uint8_t *m)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < 56; i++)
		h = (h ^ m[i]) * 0x100000001b3ULL;
	return h;
}

/* Make the checksum of a meta page at off right; true when it changed. */
static bool fix_meta(uint8_t *data, size_t size, size_t off)
{
	uint8_t le[8];
	uint64_t h;

	if (off > size || size - off < 16 + 64)
		return false;
	h = meta_sum(data + off + 16);
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(h >> (8 * i));
	if (!memcmp(data + off + 16 + 56, le, 8))
		return false;
	memcpy(data + off + 16 + 56, le, 8);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;
	uint32_t psize;
	bool changed;

	lookups(data, size);
	fixed = malloc(size ? size : 1);
	if (!fixed)
		return 0;
	memcpy(fixed, data, size);
	changed = fix_meta(fixed, size, 0);
	if (size >= 16 + 12) { /* the second meta page: page 0's size on */
		psize = (uint32_t)fixed[24] | (uint32_t)fixed[25] << 8 |
			(uint32_t)fixed[26] << 16 | (uint32_t)fixed[27] << 24;
		changed |= fix_meta(fixed, size, psize);
	}
	if (changed)
		lookups(fixed, size);
	free(fixed);
	return 0;
}
