// SPDX-License-Identifier: Apache-2.0
/*
 * containerd_parse_get() (runner/engine/containerd_api.c) of hostile
 * gRPC response bodies, and pb_next() (pbwire.c) under it: whatever
 * arrives, each label told has a non-empty key, both NUL-terminated
 * within containerd's limit, and a walk of the bytes as one message ends
 * within them.
 */
#include "fuzz.h"
#include "runner/engine/containerd_api.h"
#include "runner/engine/pbwire.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void told(void *ctx, const char *key, const char *value)
{
	(void)ctx;
	FUZZ_CHECK(key[0] && strlen(key) <= 4096, "key of %zu bytes",
		   strlen(key));
	FUZZ_CHECK(strlen(value) <= 4096, "value of %zu bytes", strlen(value));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_reader r;
	struct pb_field f;
	int rc;

	containerd_parse_get(data, size, told, NULL);
	pb_reader_init(&r, data, size);
	while ((rc = pb_next(&r, &f)) > 0)
		FUZZ_CHECK(f.wire != PB_LEN || (f.data >= data &&
						f.data + f.len <= data + size),
			   "field %u outside the message", f.num);
	return 0;
}
