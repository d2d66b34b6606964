/* SPDX-License-Identifier: Apache-2.0 */
/* Small file helpers shared by the libraries. */
#ifndef COMMON_FILEUTIL_H
#define COMMON_FILEUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Read a whole file; *buf is NUL-terminated (not counted in *len). */
int read_file(const char *path, char **buf, size_t *len, struct error **err);
/* Write a whole file atomically: temp file in the same folder, fsync, rename. */
int write_file_atomic(const char *path, const void *buf, size_t len,
		      mode_t mode, struct error **err);
/* mkdir -p with the given mode for the folders it creates. */
int mkdir_p(const char *path, mode_t mode, struct error **err);

#endif
