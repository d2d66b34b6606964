// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "runner/engine/pbwire.h"

/* A base-128 varint of at most 10 bytes; 0, or -1 if cut or too long. */
static int get_varint(struct pb_reader *r, uint64_t *v)
{
	unsigned int shift;

	*v = 0;
	for (shift = 0; shift < 70 && r->p < r->end; shift += 7) {
		uint8_t b = *r->p++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return -1;
}

static int fail(struct pb_reader *r)
{
	r->p = r->end = NULL;
	return -1;
}

int pb_next(struct pb_reader *r, struct pb_field *f)
{
	uint64_t key, n;

	if (!r->p)
		return -1;
	if (r->p == r->end)
		return 0;
	memset(f, 0, sizeof(*f));
	if (get_varint(r, &key) || key >> 32 || !(key >> 3))
		return fail(r);
	f->num = (uint32_t)(key >> 3);
	f->wire = (enum pb_wire)(key & 7);
	switch (f->wire) {
	case PB_VARINT:
		if (get_varint(r, &f->varint))
			return fail(r);
		return 1;
	case PB_I64:
	case PB_I32:
		n = f->wire == PB_I64 ? 8 : 4;
		if ((size_t)(r->end - r->p) < n)
			return fail(r);
		for (unsigned int i = 0; i < n; i++)
			f->varint |= (uint64_t)r->p[i] << (8 * i);
		r->p += n;
		return 1;
	case PB_LEN:
		if (get_varint(r, &n) || n > (uint64_t)(r->end - r->p))
			return fail(r);
		f->data = r->p;
		f->len = (size_t)n;
		r->p += n;
		return 1;
	default: /* groups (3, 4) and unknown types: not in proto3 */
		return fail(r);
	}
}

static size_t put_varint(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	do {
		out[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

int pb_put_len(uint8_t *buf, size_t size, size_t *off, uint32_t num,
	       const void *data, size_t len)
{
	uint8_t head[20];
	size_t h;

	h = put_varint(head, ((uint64_t)num << 3) | PB_LEN);
	h += put_varint(head + h, len);
	if (*off > size || size - *off < h || size - *off - h < len)
		return -1;
	memcpy(buf + *off, head, h);
	memcpy(buf + *off + h, data, len);
	*off += h + len;
	return 0;
}
