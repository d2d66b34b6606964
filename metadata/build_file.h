/* SPDX-License-Identifier: Apache-2.0 */
/*
 * build.yaml, the build description of a gadget folder as `ig image build`
 * reads it: ebpfsource (default program.bpf.c), metadata (default
 * gadget.yaml), wasm (a module, unset by default) and cflags (more clang
 * flags).  Other keys are ignored, as ig ignores them.
 */
#ifndef METADATA_BUILD_FILE_H
#define METADATA_BUILD_FILE_H

#include <stddef.h>

#include "common/error.h"

struct build_file {
	char *ebpfsource; /* never NULL */
	char *metadata; /* never NULL */
	char *wasm; /* NULL when unset */
	char *cflags; /* NULL when unset */
};

/*
 * Parse build.yaml (len bytes; empty means every default); filename names
 * it in messages (file:line:col).
 */
int build_file_parse(const char *buf, size_t len, const char *filename,
		     struct build_file **out, struct error **err);
void build_file_free(struct build_file *bf);

static inline void build_file_freep(struct build_file **p)
{
	build_file_free(*p);
}

#define cleanup_build_file __attribute__((cleanup(build_file_freep)))

#endif
