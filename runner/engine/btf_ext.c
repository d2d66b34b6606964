// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "runner/engine/btf_ext.h"

bool btf_ext_header_read(const void *buf, size_t len, struct btf_ext_header *h,
			 const unsigned char **p, size_t *size)
{
	*p = buf;
	*size = len;
	memset(h, 0, sizeof(*h));
	if (*size < offsetof(struct btf_ext_header, func_info_off))
		return false;
	memcpy(h, *p, *size < sizeof(*h) ? *size : sizeof(*h));
	if (h->magic != BTF_MAGIC || h->version != BTF_VERSION ||
	    h->hdr_len > *size ||
	    h->hdr_len < offsetof(struct btf_ext_header, core_relo_off))
		return false;
	if (h->hdr_len < sizeof(*h))
		h->core_relo_len = 0;
	*p += h->hdr_len;
	*size -= h->hdr_len;
	return true;
}

bool btf_ext_part_each(const struct btf *btf, enum btf_ext_part part,
		       const unsigned char *p, size_t size, __u64 off,
		       __u64 len, btf_ext_sec_fn fn, void *ctx)
{
	static const __u32 min_rec[] = { 8, 16, 16 };
	__u32 rec, hdr[2];

	if (!len)
		return true;
	if (off % 4 || off > size || len > size - off || len < 8)
		return false;
	p += off;
	memcpy(&rec, p, sizeof(rec));
	if (rec < min_rec[part] || rec % 4)
		return false;
	for (__u64 at = 4; at < len; at += (__u64)hdr[1] * rec) {
		const char *sec;

		if (len - at < sizeof(hdr))
			return false;
		memcpy(hdr, p + at, sizeof(hdr)); /* sec_name_off, num_info */
		at += sizeof(hdr);
		sec = btf__str_by_offset(btf, hdr[0]);
		if (!sec || !hdr[1] || (len - at) / rec < hdr[1] ||
		    !fn(ctx, sec, p + at, hdr[1], rec))
			return false;
	}
	return true;
}
