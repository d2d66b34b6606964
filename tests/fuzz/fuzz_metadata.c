// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the gadget.yaml parser: any input either fails with
 * a message or parses; what parses must write back to YAML that parses to
 * a model which writes the very same YAML again (a fixed point).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -D_GNU_SOURCE \
 *     tests/fuzz/fuzz_metadata.c metadata/metadata.c common/error.c -lyaml
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metadata/metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gadget_metadata *md = NULL, *md2 = NULL;
	struct error *err = NULL;
	char *out = NULL, *out2 = NULL;
	size_t len = 0, len2 = 0;

	if (metadata_parse((const char *)data, size, "fuzz.yaml", &md, &err)) {
		if (!err || !err->msg)
			abort();
		error_free(err);
		return 0;
	}
	/* touch every accessor */
	metadata_get(md, "name");
	for (size_t i = 0; i < metadata_ds_count(md); i++) {
		const char *ds = metadata_ds_name(md, i);

		metadata_ds_annotation(md, ds, "x");
		for (size_t j = 0; j < metadata_field_count(md, ds); j++)
			metadata_field_annotation(
				md, ds, metadata_field_name(md, ds, j),
				"description");
	}
	for (size_t i = 0; i < metadata_param_count(md); i++)
		if (!metadata_param(md, i)->key)
			abort();
	if (metadata_emit(md, &out, &len, &err) == 0) {
		if (metadata_parse(out, len, "emitted.yaml", &md2, &err))
			abort(); /* we wrote something we cannot read */
		if (metadata_emit(md2, &out2, &len2, &err) || len != len2 ||
		    memcmp(out, out2, len))
			abort();
	} else {
		error_free(err);
	}
	free(out);
	free(out2);
	metadata_free(md2);
	metadata_free(md);
	return 0;
}
