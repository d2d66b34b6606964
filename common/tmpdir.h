/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private temporary folders that a killed runner does not leave behind for
 * good: each is flock'ed while in use, and making one removes the folders
 * of the same prefix that no live process holds.
 */
#ifndef COMMON_TMPDIR_H
#define COMMON_TMPDIR_H

#include <stddef.h>

#include "error.h"

/*
 * A new folder $TMPDIR/<prefix>XXXXXX (TMPDIR unset or empty: /tmp), mode
 * 0700, its path in path (size bytes); returns a descriptor that holds
 * its lock (close-on-exec), for tmpdir_remove().  First removes this
 * user's folders of that prefix there whose lock no process holds.  -1
 * with err.
 */
int tmpdir_make(const char *prefix, char *path, size_t size,
		struct error **err);

/* Remove the files of folder path (fd from tmpdir_make()), it, close fd. */
void tmpdir_remove(const char *path, int fd);

/* Remove the files (not folders) in folder fd (best effort). */
void dir_empty(int fd);

#endif
