// SPDX-License-Identifier: Apache-2.0
/*
 * cgroup2_find_mount() (runner/engine/cgroup2.c), and through it the
 * line splitter netns.c's scan of bind mounts shares (mountinfo.c), of
 * hostile mountinfo texts (mount points and sources come from whoever
 * mounts, a privileged container's propagate to the host): whatever the
 * text, a mount point
 * found is NUL-terminated within its buffer, has no escaped characters,
 * and the text holds it as a whole field (fields are split by spaces
 * only) after a root "/" or "/.." (a NUL byte in the text is not its end: fgets()
 * reads on).
 */
#include <limits.h>
#include <stdbool.h>

#include "fuzz.h"
#include "runner/engine/cgroup2.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* Does data hold s, followed by a space, the line's end or the text's? */
static bool whole_field(const uint8_t *data, size_t size, const char *s)
{
	size_t len = strlen(s);
	const uint8_t *at = data, *end = data + size;

	while ((at = memmem(at, (size_t)(end - at), s, len))) {
		if (at + len == end || strchr(" \n", at[len]))
			return true;
		at++;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char point[PATH_MAX], small[16], field[PATH_MAX + 8];
	char *text = fuzz_strndup(data, size);
	FILE *f;

	if (!text || !size) {
		free(text);
		return 0;
	}
	f = fmemopen(text, size, "r");
	FUZZ_CHECK(f, "fmemopen");
	memset(point, 'x', sizeof(point));
	if (cgroup2_find_mount(f, NULL, NULL, point, sizeof(point))) {
		FUZZ_CHECK(memchr(point, '\0', sizeof(point)),
			   "point not terminated");
		FUZZ_CHECK(!strchr(point, '\\'), "point \"%s\"", point);
		snprintf(field, sizeof(field), "/ %s", point);
		if (!whole_field(data, size, field)) /* "/..", "/../.." */
			snprintf(field, sizeof(field), ".. %s", point);
		FUZZ_CHECK(point[0] && whole_field(data, size, field),
			   "point \"%s\" not a field of the text", point);
	}
	rewind(f);
	memset(small, 'x', sizeof(small));
	if (cgroup2_find_mount(f, NULL, NULL, small, sizeof(small)))
		FUZZ_CHECK(strnlen(small, sizeof(small)) < sizeof(small),
			   "point not terminated in %zu bytes", sizeof(small));
	fclose(f);
	free(text);
	return 0;
}
