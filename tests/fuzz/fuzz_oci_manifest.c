// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the JSON a registry or an archive hands us: image
 * indexes, manifests, the document-kind sniffing, and WWW-Authenticate.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -D_GNU_SOURCE \
 *     tests/fuzz/fuzz_oci_manifest.c oci/manifest.c oci/auth.c \
 *     oci/digest.c common/error.c common/fileutil.c -ljansson -lcrypto
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/auth.h"
#include "oci/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_index *idx = NULL;
	struct oci_manifest *m = NULL;
	struct oci_challenge ch;
	struct error *err = NULL;
	char *mt = NULL, *s;
	size_t i;

	oci_doc_kind(data, size, &mt);
	free(mt);
	if (oci_index_parse(data, size, &idx, &err) == 0) {
		char *archs = oci_index_archs(idx);

		oci_index_find_arch(idx, "amd64");
		for (i = 0; i < idx->n_manifests; i++)
			if (!idx->manifests[i].digest ||
			    idx->manifests[i].size < 0)
				abort();
		free(archs);
		oci_index_free(idx);
	} else if (!err) {
		abort();
	}
	error_free(err);
	err = NULL;
	if (oci_manifest_parse(data, size, &m, &err) == 0) {
		oci_kv_get(m->annotations, m->n_annotations, "x");
		oci_manifest_free(m);
	} else if (!err) {
		abort();
	}
	error_free(err);
	err = NULL;
	s = strndup((const char *)data, size);
	if (s && oci_challenge_parse(s, &ch, &err) == 0)
		oci_challenge_clear(&ch);
	error_free(err);
	free(s);
	return 0;
}
