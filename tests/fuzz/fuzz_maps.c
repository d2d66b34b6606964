// SPDX-License-Identifier: Apache-2.0
/*
 * stacks_read_maps() (runner/engine/stacks.c) of hostile /proc/<pid>/maps
 * texts (a mapped file's path is its owner's to name: spaces, and
 * hundreds of bytes that read as lines of their own; never a NUL, so the
 * text ends at the first): the mappings read are, in order, those of the
 * text's lines whose beginning (what the reader's buffer holds of it)
 * has an address range, offset, device and a non-zero inode, the first
 * max of them, and nothing of a line's rest.
 */
#include <stdbool.h>
#include <sys/sysmacros.h>

#include "fuzz.h"
#include "runner/engine/stacks.h"

#define MAX 8
#define LINE 640 /* stacks_read_maps()'s buffer */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* The mappings of the text's lines, as stacks_read_maps() is to read
 * them. */
static size_t expected(const char *text, struct stacks_mapping *maps,
		       size_t max)
{
	const char *at = text;
	size_t n = 0;

	while (*at && n < max) {
		const char *nl = strchr(at, '\n');
		size_t len = nl ? (size_t)(nl - at) + 1 : strlen(at);
		unsigned long long start, end, off, ino;
		unsigned int maj, min;
		char line[LINE];

		snprintf(line, sizeof(line), "%.*s", (int)len, at);
		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &start, &end,
			   &off, &maj, &min, &ino) == 6 &&
		    ino) {
			maps[n].start = start;
			maps[n].end = end;
			maps[n].off = off;
			maps[n].dev = makedev(maj, min);
			maps[n].ino = (ino_t)ino;
			n++;
		}
		at += len;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stacks_mapping got[MAX], want[MAX];
	char *text = fuzz_strndup(data, size);
	size_t n, m;
	FILE *f;

	if (!text || !text[0]) {
		free(text);
		return 0;
	}
	f = fmemopen(text, strlen(text), "r");
	FUZZ_CHECK(f, "fmemopen");
	n = stacks_read_maps(f, got, MAX);
	fclose(f);
	m = expected(text, want, MAX);
	FUZZ_CHECK(n == m, "%zu mappings read, %zu lines hold one", n, m);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(got[i].start == want[i].start &&
				   got[i].end == want[i].end &&
				   got[i].off == want[i].off &&
				   got[i].dev == want[i].dev &&
				   got[i].ino == want[i].ino &&
				   got[i].tab == -1,
			   "mapping %zu: %llx-%llx, line's %llx-%llx", i,
			   (unsigned long long)got[i].start,
			   (unsigned long long)got[i].end,
			   (unsigned long long)want[i].start,
			   (unsigned long long)want[i].end);
	}
	free(text);
	return 0;
}
