// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>
#include <string.h>

#include "runner/engine/record.h"

struct record_pad {
	size_t size; /* the struct's */
	size_t dirty; /* bytes from the start that may not be zeros */
	unsigned char buf[];
};

struct record_pad *record_pad_new(size_t size)
{
	struct record_pad *p = calloc(1, sizeof(*p) + size);

	if (p)
		p->size = size;
	return p;
}

void record_pad_free(struct record_pad *p)
{
	free(p);
}

const void *record_whole(struct record_pad *p, const void *data, size_t *size)
{
	size_t n = *size;

	if (n >= p->size)
		return data;
	/* only what the last copy wrote past this one is cleared: a
	 * stream of short records costs their bytes, not the struct's */
	memcpy(p->buf, data, n);
	if (p->dirty > n)
		memset(p->buf + n, 0, p->dirty - n);
	p->dirty = n;
	*size = p->size;
	return p->buf;
}
