/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Uprobes named by library ("uprobe/libc:malloc", "uretprobe/libssl:
 * SSL_read"), as ig's uprobe tracer attaches them: to the host's library
 * at start, and to every other file of that name a process maps (a
 * container's copy, a copy at another path), once per file (inode) however
 * many processes and containers map it; an attachment of the latter goes
 * when the last process that mapped its file exits or execs.  The
 * runner's hook (runner/engine/bpf/uprobe_maps.bpf.c) tells of mappings;
 * a thread of this module attaches and detaches as they come.
 */
#ifndef RUNNER_UPROBES_H
#define RUNNER_UPROBES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct bpf_object;
struct uprobes;

/* files (inodes) attached at once: the host's and those found since */
#define UPROBES_MAX_FILES 64
/* uprobe programs named by library in one gadget */
#define UPROBES_MAX_PROGS 64

/* Is sec a uprobe or uretprobe named by library ("uprobe/libc:malloc")? */
bool uprobes_by_library(const char *sec);
/*
 * The file of library lib ("libc") in the first of dirs that has one:
 * <lib>.so or <lib>.so.<version>, an ELF shared object (not a linker
 * script), the highest version; -1 when none.
 */
int uprobes_find_library(const char *const *dirs, size_t n_dirs,
			 const char *lib, char *out, size_t len);
/*
 * After load: attach obj's uprobes named by library to the host's
 * libraries, then follow the mappings of other files of those names;
 * *out NULL when obj has none.  Without the hook (an older kernel), it
 * says so and the host's libraries alone are traced.
 */
int uprobes_new(struct bpf_object *obj, struct uprobes **out,
		struct error **err);
/* Stop following, detach; accepts NULL. */
void uprobes_free(struct uprobes *u);

#endif
