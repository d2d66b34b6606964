// SPDX-License-Identifier: Apache-2.0
/*
 * boltdb lookups (runner/engine/boltdb.c) in hostile files: podman's
 * path to a pod's labels (ctr/<id>/config, pod/<id>/config) and a few
 * other keys; whatever the pages say, a value found lies within the file.
 */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const top[] = { "ctr", "pod", "allCtrs", "x" };
	static const char *const ids[] = { "c1", "p1", "a", "" };
	struct boltdb db;
	struct boltdb_bucket root, b, c;
	const uint8_t *v;
	size_t len;

	if (boltdb_from_memory(data, size, &db))
		return 0;
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
	return 0;
}
