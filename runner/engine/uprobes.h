/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Uprobes named by library ("uprobe/libc:malloc", "uretprobe/libssl:
 * SSL_read"), as ig's uprobe tracer attaches them: to the host's library
 * at start, and to every other file of that name a process maps (a
 * container's copy, a copy at another path), once per file (inode) however
 * many processes and containers map it; an attachment of the latter goes
 * when the last process that mapped its file exits or execs.  The
 * runner's hook (runner/engine/bpf/uprobe_maps.bpf.c) tells of mappings;
 * a thread of this module attaches and detaches as they come.  A run
 * that selects containers attaches, as ig's, only for the processes of
 * the mount namespaces it selects (not the host's libraries at start).
 */
#ifndef RUNNER_UPROBES_H
#define RUNNER_UPROBES_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>

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
 * The file process tgid maps at start-end (/proc/TGID/map_files/), opened
 * read-only, if it is still the file of inode ino on device dev (the
 * kernel's dev_t, as the hook tells it); -1 when the mapping went or
 * another file is mapped there now (the process remapped the range since
 * the hook saw it).  A file of an overlay is taken unchecked, one of btrfs
 * by its inode number alone (their fstat() tells another device, or
 * inode, than the hook's).
 */
int uprobes_open_mapping(__u32 tgid, __u64 start, __u64 end, __u64 ino,
			 __u32 dev);
/*
 * After load: attach obj's uprobes named by library to the host's
 * libraries, then follow the mappings of other files of those names;
 * *out NULL when obj has none.  Without the hook (an older kernel), it
 * says so and the host's libraries alone are traced.  selective: none
 * at start (but the host's libraries with host: ig's --host beside a
 * selection attaches them as its host's "container"), and only the
 * mappings of processes in the mount namespaces uprobes_select() names.
 */
int uprobes_new(struct bpf_object *obj, bool selective, bool host,
		struct uprobes **out, struct error **err);
/* Stop following, detach; accepts NULL. */
void uprobes_free(struct uprobes *u);
/*
 * Selective: follow (on) or no longer follow the processes of mount
 * namespace mntns from now on; a file its processes mapped goes with its
 * last process, as ever.  u NULL or not selective: nothing.
 */
void uprobes_select(struct uprobes *u, __u64 mntns, bool on);
/*
 * The mappings already there of the namespaces selected since the last
 * call (a walk of every process's mappings): here and now with wait,
 * else on the notes thread, which takes what the hook tells meanwhile
 * after it (the caller goes on at once); u NULL: nothing.
 */
void uprobes_rescan(struct uprobes *u, bool wait);

#endif
