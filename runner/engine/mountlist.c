// SPDX-License-Identifier: Apache-2.0
/*
 * listmount(2) and statmount(2), which Debian 12's glibc and kernel
 * headers (6.1) lack: the syscall numbers and structs below are the
 * kernel's ABI (include/uapi/linux/mount.h, Linux 6.8, the first versions
 * of both structs; a later kernel takes them as they are).  The numbers
 * are those of every architecture but alpha and mips.
 */
#include <errno.h>
#include <linux/magic.h>
#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runner/engine/mountlist.h"

#ifndef __NR_statmount
#define __NR_statmount 457
#endif
#ifndef __NR_listmount
#define __NR_listmount 458
#endif

/* listmount()'s mount to list the mounts below: the caller's root */
#define LSMT_ROOT_ID 0xffffffffffffffffULL
/* statmount()'s request mask */
#define SM_SB_BASIC 0x1ULL
#define SM_MNT_ROOT 0x8ULL
#define SM_MNT_POINT 0x10ULL

/* struct mnt_id_req, MNT_ID_REQ_SIZE_VER0: param is listmount()'s last
 * listed id, statmount()'s request mask */
struct mnt_req {
	__u32 size;
	__u32 spare;
	__u64 mnt_id;
	__u64 param;
};

/* struct statmount: the fixed part (512 bytes), then the strings, the
 * string fields being offsets into str */
struct mnt_stat {
	__u32 size;
	__u32 spare1;
	__u64 mask;
	__u32 sb_dev_major;
	__u32 sb_dev_minor;
	__u64 sb_magic;
	__u32 sb_flags;
	__u32 fs_type;
	__u64 mnt_id;
	__u64 mnt_parent_id;
	__u32 mnt_id_old;
	__u32 mnt_parent_id_old;
	__u64 mnt_attr;
	__u64 mnt_propagation;
	__u64 mnt_peer_group;
	__u64 mnt_master;
	__u64 propagate_from;
	__u32 mnt_root;
	__u32 mnt_point;
	__u64 spare2[50];
	char str[];
};

_Static_assert(sizeof(struct mnt_req) == 24, "MNT_ID_REQ_SIZE_VER0");
_Static_assert(sizeof(struct mnt_stat) == 512, "struct statmount");
_Static_assert(offsetof(struct mnt_stat, sb_magic) == 24, "sb_magic");
_Static_assert(offsetof(struct mnt_stat, mnt_root) == 104, "mnt_root");
_Static_assert(MOUNTLIST_BUF_SIZE > sizeof(struct mnt_stat),
	       "MOUNTLIST_BUF_SIZE");

ssize_t mountlist_after(uint64_t after, uint64_t *ids, size_t n)
{
	struct mnt_req req = { .size = sizeof(req),
			       .mnt_id = LSMT_ROOT_ID,
			       .param = after };

	return syscall(__NR_listmount, &req, ids, n, 0);
}

/* 1: *sm holds what mask asks; 0: the mount is gone or does not fit */
static int stat_mount(uint64_t id, __u64 mask, struct mnt_stat *sm, size_t size)
{
	struct mnt_req req = { .size = sizeof(req),
			       .mnt_id = id,
			       .param = mask };

	if (syscall(__NR_statmount, &req, sm, size, 0) < 0)
		return errno == ENOENT || errno == EOVERFLOW ? 0 : -1;
	return (sm->mask & mask) == mask;
}

/* Is the string at offset off of the room bytes after sm's fixed part? */
static const char *str_at(const struct mnt_stat *sm, __u32 off, size_t room)
{
	return off < room && memchr(sm->str + off, 0, room - off) ?
		       sm->str + off :
		       NULL;
}

int mountlist_netns(uint64_t id, void *buf, unsigned long *ino,
		    const char **point)
{
	size_t room = MOUNTLIST_BUF_SIZE - sizeof(struct mnt_stat);
	struct mnt_stat *sm = buf;
	const char *root;
	int rc;

	/* the superblock's type first: the strings for nsfs only */
	rc = stat_mount(id, SM_SB_BASIC, sm, sizeof(*sm));
	if (rc <= 0)
		return rc;
	if (sm->sb_magic != NSFS_MAGIC)
		return 0;
	rc = stat_mount(id, SM_MNT_ROOT | SM_MNT_POINT, sm, MOUNTLIST_BUF_SIZE);
	if (rc <= 0)
		return rc;
	root = str_at(sm, sm->mnt_root, room);
	*point = str_at(sm, sm->mnt_point, room);
	return root && *point && sscanf(root, "net:[%lu]", ino) == 1;
}
