// SPDX-License-Identifier: Apache-2.0
/*
 * containers_parse_cgroup() (runner/engine/containers.c) of hostile
 * /proc/<pid>/cgroup texts and cgroup paths (a container's cgroup names
 * come from its runtime, some from what the user named it): whatever the
 * text, a container found has an id that the text holds, of 64
 * lowercase hex digits or (containerd's /k8s.io/<id>) one of containerd's
 * identifiers of at most 76 characters, and a runtime the runner knows;
 * containers_parse_containerd_cgroup()'s namespace and id (any
 * namespace's /<namespace>/<id>) are both such identifiers, "/ns/id" in
 * the text.
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
	char runtime[16], id[CONTAINERS_ID_MAX + 1], ns[CONTAINERS_ID_MAX + 1];
	bool ok = false;

	if (!text)
		return 0;
	memset(runtime, 'x', sizeof(runtime));
	memset(id, 'x', sizeof(id));
	if (containers_parse_cgroup(text, runtime, id) == 0) {
		size_t len = strnlen(id, sizeof(id));
		bool hex = len == 64;

		FUZZ_CHECK(len > 0 && len < sizeof(id), "id of %zu bytes", len);
		for (size_t i = 0; i < len; i++)
			hex = hex && isxdigit((unsigned char)id[i]) &&
			      !isupper((unsigned char)id[i]);
		/* else alphanumerics, one of . _ - between two of them */
		for (size_t i = 0; !hex && i < len; i++)
			FUZZ_CHECK(isalnum((unsigned char)id[i]) ||
					   (i > 0 && i + 1 < len &&
					    strchr("._-", id[i]) &&
					    isalnum((unsigned char)id[i - 1]) &&
					    isalnum((unsigned char)id[i + 1])),
				   "id \"%s\"", id);
		FUZZ_CHECK(hex || !strcmp(runtime, "containerd"),
			   "%s id \"%s\"", runtime, id);
		FUZZ_CHECK(strstr(text, id), "id \"%s\" not in the text", id);
		FUZZ_CHECK(memchr(runtime, '\0', sizeof(runtime)),
			   "runtime not terminated");
		for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
			ok = ok || !strcmp(runtime, known[i]);
		FUZZ_CHECK(ok, "runtime \"%s\"", runtime);
	}
	if (containers_parse_containerd_cgroup(text, ns, id) == 0) {
		char path[2 * sizeof(id) + 2];

		FUZZ_CHECK(containers_containerd_ident(ns), "ns \"%.80s\"", ns);
		FUZZ_CHECK(containers_containerd_ident(id), "id \"%.80s\"", id);
		snprintf(path, sizeof(path), "/%s/%s", ns, id);
		FUZZ_CHECK(strstr(text, path), "%s not in the text", path);
	}
	free(text);
	return 0;
}
