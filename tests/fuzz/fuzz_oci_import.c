// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for `runner image import`: the input is a tar (or a
 * compressed one) imported into a scratch store.  It must fail with a
 * message or succeed, never crash, and a failed import leaves index.json as
 * it was (blob files only ever get names from verified digests).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -D_GNU_SOURCE \
 *     tests/fuzz/fuzz_oci_import.c $(ls oci/[a-z]*.c common/[a-z]*.c) \
 *     -ljansson -lcrypto -larchive -lcurl
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileutil.h"
#include "oci/archive.h"
#include "oci/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static struct oci_store *store;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char tar[128], index[128];
	char *before = NULL, *after = NULL;
	struct error *err = NULL;
	char **refs = NULL;
	size_t n = 0, i;
	int rc;

	if (!store) {
		strcpy(dir, "/tmp/fuzz_oci_import.XXXXXX");
		if (!mkdtemp(dir) || oci_store_open(dir, &store, NULL) < 0)
			abort();
	}
	snprintf(tar, sizeof(tar), "%s.tar", dir);
	snprintf(index, sizeof(index), "%s/index.json", dir);
	if (write_file_atomic(tar, data, size, 0600, NULL) < 0 ||
	    read_file(index, &before, NULL, NULL) < 0)
		abort();
	rc = oci_import(store, tar, "localhost:5000/fuzz:v1", NULL, &refs, &n,
			&err);
	if (rc < 0) {
		if (!err)
			abort();
		if (read_file(index, &after, NULL, NULL) < 0 ||
		    strcmp(before, after))
			abort(); /* a failed import changed the index */
	}
	for (i = 0; i < n; i++)
		free(refs[i]);
	free(refs);
	free(before);
	free(after);
	error_free(err);
	unlink(tar);
	return 0;
}
