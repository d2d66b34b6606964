// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for image references: any input fails with a message or
 * parses; what parses formats to a reference that parses to itself.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -D_GNU_SOURCE \
 *     tests/fuzz/fuzz_oci_ref.c oci/ref.c oci/digest.c common/error.c \
 *     -lcrypto
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_ref *ref = NULL, *again = NULL;
	struct error *err = NULL;
	char *s = strndup((const char *)data, size);
	char *out, *out2;

	if (!s)
		return 0;
	if (oci_ref_parse(s, NULL, &ref, &err) < 0) {
		if (!err || !err->msg)
			abort();
		error_free(err);
		free(s);
		return 0;
	}
	out = oci_ref_format(ref);
	if (!out || oci_ref_parse(out, "other.example/p/", &again, &err) < 0)
		abort(); /* a normalised reference must parse as it is */
	out2 = oci_ref_format(again);
	if (!out2 || strcmp(out, out2))
		abort();
	free(out);
	free(out2);
	oci_ref_free(again);
	oci_ref_free(ref);
	free(s);
	return 0;
}
