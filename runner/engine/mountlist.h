/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mounts of the runner's mount namespace by id, through listmount(2)
 * and statmount(2) (Linux 6.8), where /proc/self/mountinfo gives them only
 * all at once.  A mount's id here is statmount's mnt_id_unique: never
 * reused, and larger than that of every mount made before it.
 */
#ifndef RUNNER_ENGINE_MOUNTLIST_H
#define RUNNER_ENGINE_MOUNTLIST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Scratch space mountlist_netns() writes in: statmount's fixed part, the
 * namespace's name and a mount point of up to PATH_MAX bytes. */
#define MOUNTLIST_BUF_SIZE (512 + 64 + 4096)

/*
 * Ids of the mounts after mount id `after` (0: from the first), in
 * increasing order, at most n: how many (n: there may be more after the
 * last), or -1 with errno (ENOSYS: a kernel before 6.8).  The kernel finds
 * the first in its tree of the namespace's mounts by id, so listing the
 * mounts made since a known id costs their number, not the table's.
 */
ssize_t mountlist_after(uint64_t after, uint64_t *ids, size_t n);

/*
 * Is mount `id` a network namespace's bind mount (nsfs, root "net:[N]")?
 * 1: yes, *ino = N and *point the mount point (within buf, which is
 * MOUNTLIST_BUF_SIZE bytes); 0: another mount, one gone since it was
 * listed, or a point longer than buf holds; -1 with errno.
 */
int mountlist_netns(uint64_t id, void *buf, unsigned long *ino,
		    const char **point);

#endif
