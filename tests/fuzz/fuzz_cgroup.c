// SPDX-License-Identifier: Apache-2.0
/*
 * containers_parse_cgroup() (runner/engine/containers.c) of hostile
 * /proc/<pid>/cgroup texts and cgroup paths (a container's cgroup names
 * come from its runtime, some from what the user named it): whatever the
 * text, a container found has an id of 64 lowercase hex digits that the
 * text holds, and a runtime the runner knows.
 */
#include <ctype.h>
#include <stdbool.h>

#include "runner/engine/containers.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[] = { "podman", "docker", "containerd",
					     "cri-o" };
	char *text = fuzz_strndup(data, size);
	char runtime[16], id[65];
	bool ok = false;

	if (!text)
		return 0;
	memset(runtime, 'x', sizeof(runtime));
	memset(id, 'x', sizeof(id));
	if (containers_parse_cgroup(text, runtime, id) == 0) {
		FUZZ_CHECK(memchr(id, '\0', sizeof(id)) == id + 64,
			   "id of %zu bytes", strnlen(id, sizeof(id)));
		for (size_t i = 0; i < 64; i++)
			FUZZ_CHECK(isxdigit((unsigned char)id[i]) &&
					   !isupper((unsigned char)id[i]),
				   "id \"%s\"", id);
		FUZZ_CHECK(strstr(text, id), "id \"%s\" not in the text", id);
		FUZZ_CHECK(memchr(runtime, '\0', sizeof(runtime)),
			   "runtime not terminated");
		for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
			ok = ok || !strcmp(runtime, known[i]);
		FUZZ_CHECK(ok, "runtime \"%s\"", runtime);
	}
	free(text);
	return 0;
}
