/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An eBPF object's .BTF.ext read with every offset and count in bounds:
 * its header and the sections of records of each of its parts.  Used by
 * objinfo.c (source lines, objinfo_check()) and btf_min.c (the CO-RE
 * relocations).
 */
#ifndef RUNNER_ENGINE_BTF_EXT_H
#define RUNNER_ENGINE_BTF_EXT_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>

#include <bpf/btf.h>

/* The .BTF.ext header (libbpf_internal.h's, as the kernel's docs give it) */
struct btf_ext_header {
	__u16 magic;
	__u8 version, flags;
	__u32 hdr_len;
	__u32 func_info_off, func_info_len;
	__u32 line_info_off, line_info_len;
	__u32 core_relo_off, core_relo_len;
};

enum btf_ext_part { BTF_EXT_FUNC, BTF_EXT_LINE, BTF_EXT_CORE };

/* The header of the .BTF.ext at buf (len bytes) into *h, its parts'
 * bytes (after the header) at *p, *size of them; false when buf holds no
 * such header.  A header too short for the CO-RE part has none. */
bool btf_ext_header_read(const void *buf, size_t len, struct btf_ext_header *h,
			 const unsigned char **p, size_t *size);

/* What to do with a section of a part: its name, its n records of rec
 * bytes (in bounds); false to stop. */
typedef bool (*btf_ext_sec_fn)(void *ctx, const char *sec,
			       const unsigned char *recs, __u32 n, __u32 rec);

/* One part of .BTF.ext at [off, off + len) of p (size bytes, as
 * btf_ext_header_read() gives them): a record size, then sections of a
 * name (in btf) and records, each in bounds, each handed to fn; false
 * when one is not, or fn said stop. */
bool btf_ext_part_each(const struct btf *btf, enum btf_ext_part part,
		       const unsigned char *p, size_t size, __u64 off,
		       __u64 len, btf_ext_sec_fn fn, void *ctx);

#endif
