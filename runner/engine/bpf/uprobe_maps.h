/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * The runner's hook on libraries mapped (uprobe_maps.bpf.c) and
 * runner/engine/uprobes.c share this: which libraries are wanted, and the
 * notes of a process that maps one (or whose mappings went).
 */
#ifndef RUNNER_BPF_UPROBE_MAPS_H
#define RUNNER_BPF_UPROBE_MAPS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* library names a gadget's uprobes may name ("libc", "libssl") */
#define UPROBE_MAPS_LIBS 8
#define UPROBE_MAPS_LIB_LEN 32
/* processes followed at once (those that map a library not pinned) */
#define UPROBE_MAPS_PROCS 16384
/* files the hook is told to keep quiet about (the host's own) */
#define UPROBE_MAPS_QUIET 64
/* mount namespaces selected (-c, --k8s-*, ...), when the run selects */
#define UPROBE_MAPS_SELECTED 4096
/* dynamic loaders (ld.so files) whose _dl_debug_state the runner probes */
#define UPROBE_MAPS_LOADERS 256

enum uprobe_maps_kind {
	UPROBE_MAPS_MAP = 1, /* tgid maps ino of dev executable */
	UPROBE_MAPS_GONE = 2, /* tgid exited or exec'd: its mappings went */
	UPROBE_MAPS_FORK = 3, /* tgid forked from ptgid: maps what it maps */
	UPROBE_MAPS_LOADER = 4, /* tgid runs a loader not probed yet */
};

/* State of a loader in the hook's map: told, or probed (or given up) */
enum uprobe_maps_loader_state {
	UPROBE_MAPS_LOADER_TOLD = 0,
	UPROBE_MAPS_LOADER_DONE = 1,
};

/* A file as the kernel knows it: the inode a uprobe attaches to. */
struct uprobe_maps_file {
	__u64 ino;
	__u32 dev; /* the kernel's dev_t: major << 20 | minor */
	__u32 pad;
};

/* One record of the ring buffer, or of the seed iterator's output. */
struct uprobe_maps_note {
	struct uprobe_maps_file file;
	__u64 start; /* the mapping, as /proc/PID/map_files/START-END */
	__u64 end;
	__u32 tgid;
	__u16 kind; /* enum uprobe_maps_kind */
	__u8 lib; /* index of the library name matched */
	__u8 untracked; /* the hook could not follow tgid (map full) */
	__u32 ptgid; /* the parent of a fork */
	__u32 pad;
};

#endif
