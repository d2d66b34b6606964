/* SPDX-License-Identifier: Apache-2.0 */
/* Small file helpers shared by the libraries. */
#ifndef COMMON_FILEUTIL_H
#define COMMON_FILEUTIL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Read a whole file; *buf is NUL-terminated (not counted in *len). */
int read_file(const char *path, char **buf, size_t *len, struct error **err);
/* The same from open file fd, from where it is (path names it in errors). */
int read_fd(int fd, const char *path, char **buf, size_t *len,
	    struct error **err);
/* read_fd() that stops after max bytes (a FIFO or a device ends too). */
int read_fd_max(int fd, const char *path, size_t max, char **buf, size_t *len,
		struct error **err);
/*
 * A file the runner writes for the user (an export, an auth file, a store
 * file). The one rule for all of them: a temp file renamed over the target
 * only when the target is missing or a regular file this user owns with
 * one link; a symlink is followed and the rule applied to what it points
 * at; device nodes and FIFOs are written through, never replaced; sockets
 * and folders are refused.
 */
struct out_file {
	int fd;
	bool renames; /* commit renames tmp over path */
	bool no_sync; /* commit does not fsync (set after open): a marker */
	char path[PATH_MAX]; /* the target, symlinks resolved */
	char tmp[PATH_MAX];
};

/* Open f for path (see above); mode is that of a file it creates. */
int out_file_open(struct out_file *f, const char *path, mode_t mode,
		  struct error **err);
/*
 * The same for a file only the runner writes (the store's index.json),
 * which readers expect replaced, never rewritten: a regular file is
 * renamed over even when another user owns it or it has other links
 * (a store copied with `cp -al` keeps its twin as it was).
 */
int out_file_open_own(struct out_file *f, const char *path, mode_t mode,
		      struct error **err);
/* Write all of buf, retrying short writes and EINTR. */
int out_file_write(struct out_file *f, const void *buf, size_t len,
		   struct error **err);
/* Make it durable and visible (fsync + rename), close; f is done either way. */
int out_file_commit(struct out_file *f, struct error **err);
/* Drop what was written (the temp file); the target stays as it was. */
void out_file_abort(struct out_file *f);

/* Write a whole file by the out_file rule, in one go. */
int write_file_atomic(const char *path, const void *buf, size_t len,
		      mode_t mode, struct error **err);
/* The same by out_file_open_own(). */
int write_file_own(const char *path, const void *buf, size_t len, mode_t mode,
		   struct error **err);
/*
 * A file the user keeps (gadget.yaml rewritten by image build
 * --update-metadata): a regular file is always replaced by a temp file
 * renamed over it, with its mode and owner; a new one gets mode 0644 and
 * its folder's owner.  Symlinks, devices and FIFOs as above.
 */
int write_file_as_before(const char *path, const void *buf, size_t len,
			 struct error **err);
/*
 * Take an exclusive flock on path (created with mode if missing), waiting
 * for other holders; returns the fd that holds it (close to release).
 */
int file_lock(const char *path, mode_t mode, struct error **err);
/* mkdir -p with the given mode for the folders it creates. */
int mkdir_p(const char *path, mode_t mode, struct error **err);

#endif
