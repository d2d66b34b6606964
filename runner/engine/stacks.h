/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stack ids to symbols, as Inspektor Gadget renders them: a kernel stack
 * (gadget_kernel_stack, an id in the gadget's ig_kstack map) becomes
 * "sym; sym; " from /proc/kallsyms ("[unknown]" where none), a user stack
 * (struct gadget_user_stack, an id in ig_ustack) becomes its addresses
 * ("0x%016x; " each) and symbols ("sym; " each, "0x%x" where none).  User
 * addresses are resolved through /proc/<pid>/maps and the symbol tables
 * (.symtab, else .dynsym) of the mapped ELF files, read through
 * /proc/<pid>/map_files (a container's files too), cached per file
 * (device and inode) and per address space (pid and the stack's
 * base_addr_hash), within fixed bounds.  Nothing is allocated per event.
 */
#ifndef RUNNER_STACKS_H
#define RUNNER_STACKS_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>

struct gadget;
struct stacks;

/* What the runner reads stacks from: g's ig_kstack and ig_ustack maps
 * (looked up when first needed: after the gadget loads). */
struct stacks *stacks_new(const struct gadget *g);
void stacks_free(struct stacks *s);

#define STACK_MAX_DEPTH 127
#define STACK_MAX_SYMBOL 128
/* Bytes a rendered stack can take. */
#define STACK_TEXT_MAX (STACK_MAX_DEPTH * (STACK_MAX_SYMBOL + 2))

/* Kernel stack id: "sym; sym; " into buf (cap bytes); its length.  A lost
 * stack renders as "". */
size_t stacks_kernel_text(struct stacks *s, __u32 id, char *buf, size_t cap);

enum stacks_user_part {
	STACK_ADDRESSES,
	STACK_BUILDID,
	STACK_SYMBOLS,
};

/* User stack id of process pid (the stack's base_addr_hash): the part
 * asked for; "" when stacks were not collected (inode 0). */
size_t stacks_user_text(struct stacks *s, enum stacks_user_part part, __u32 id,
			__u32 pid, __u32 hash, __u64 inode, char *buf,
			size_t cap);

/* A file mapped in a process, as /proc/<pid>/maps tells it. */
struct stacks_mapping {
	__u64 start, end, off;
	dev_t dev;
	ino_t ino;
	int tab; /* index in the files read, -1 not loaded yet, -2 none */
};

/* The file mappings (inode not 0) of /proc/<pid>/maps text f, the first
 * max: how many.  A line is one whatever its length (a path of up to
 * PATH_MAX bytes, spaces and all, whoever named it). */
size_t stacks_read_maps(FILE *f, struct stacks_mapping *maps, size_t max);

#endif
