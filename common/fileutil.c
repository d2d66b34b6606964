// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileutil.h"
#include "grow.h"

int read_file(const char *path, char **buf, size_t *len, struct error **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return error_set(err, errno, "open %s", path);
	return read_fd(fd, path, buf, len, err);
}

int read_fd(int fd, const char *path, char **buf, size_t *len,
	    struct error **err)
{
	return read_fd_max(fd, path, SIZE_MAX - 1, buf, len, err);
}

int read_fd_max(int fd, const char *path, size_t max, char **buf, size_t *len,
		struct error **err)
{
	cleanup_free char *data = NULL;
	size_t cap = 0, n = 0;
	ssize_t r;

	while (n < max) {
		/* room for one more byte and the '\0' */
		if (grow_array((void **)&data, &cap, n + 2, 1, 16384))
			return error_set(err, ENOMEM, "read %s", path);
		r = read(fd, data + n,
			 cap - n - 1 < max - n ? cap - n - 1 : max - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return error_set(err, errno, "read %s", path);
		}
		if (r == 0)
			break;
		n += r;
	}
	if (!data && !(data = calloc(1, 1)))
		return error_set(err, ENOMEM, "read %s", path);
	data[n] = '\0';
	*buf = steal_ptr(data);
	if (len)
		*len = n;
	return 0;
}

/* The target of a chain of symlinks, or path itself when it is none. */
static int resolve_target(const char *path, char *out, size_t len,
			  struct error **err)
{
	char *real = realpath(path, NULL);

	if (!real) {
		/* a dangling link: the file it names does not exist yet */
		ssize_t n = readlink(path, out, len - 1);

		if (n < 0 || (size_t)n >= len - 1)
			return error_set(err, errno ? errno : ENAMETOOLONG,
					 "resolve %s", path);
		out[n] = '\0';
		if (out[0] != '/')
			return error_set(err, 0,
					 "%s: a dangling relative symlink",
					 path);
		return 0;
	}
	if (snprintf(out, len, "%s", real) >= (int)len) {
		free(real);
		return error_set(err, ENAMETOOLONG, "resolve %s", path);
	}
	free(real);
	return 0;
}

/* out_file_open(); replace: a regular file is always renamed over */
static int open_target(struct out_file *f, const char *path, mode_t mode,
		       bool replace, struct error **err)
{
	struct stat st;

	f->fd = -1;
	f->renames = false;
	f->no_sync = false;
	f->tmp[0] = '\0';
	if (snprintf(f->path, sizeof(f->path), "%s", path) >=
	    (int)sizeof(f->path))
		return error_set(err, ENAMETOOLONG, "write %s", path);
	if (!lstat(path, &st) && S_ISLNK(st.st_mode) &&
	    resolve_target(path, f->path, sizeof(f->path), err))
		return -1;
	if (lstat(f->path, &st)) {
		if (errno != ENOENT)
			return error_set(err, errno, "write %s", f->path);
		f->renames = true;
	} else if (S_ISLNK(st.st_mode)) {
		return error_set(err, ELOOP, "write %s", path);
	} else if (S_ISDIR(st.st_mode)) {
		return error_set(err, EISDIR, "write %s", f->path);
	} else if (S_ISSOCK(st.st_mode)) {
		return error_set(err, 0, "write %s: a socket", f->path);
	} else if (S_ISREG(st.st_mode)) {
		f->renames = replace ||
			     (st.st_uid == geteuid() && st.st_nlink == 1);
	}
	if (!f->renames) {
		/* a device, a FIFO, or another's file: write through it */
		f->fd = open(f->path,
			     O_WRONLY | O_CLOEXEC | O_NOCTTY |
				     (S_ISREG(st.st_mode) ? O_TRUNC : 0));
		if (f->fd < 0)
			return error_set(err, errno, "open %s", f->path);
		return 0;
	}
	if (snprintf(f->tmp, sizeof(f->tmp), "%s.tmp.XXXXXX", f->path) >=
	    (int)sizeof(f->tmp))
		return error_set(err, ENAMETOOLONG, "write %s", f->path);
	f->fd = mkostemp(f->tmp, O_CLOEXEC);
	if (f->fd < 0) {
		int e = errno;

		f->tmp[0] = '\0';
		return error_set(err, e, "create a temp file beside %s",
				 f->path);
	}
	if (fchmod(f->fd, mode) < 0) {
		int e = errno;

		out_file_abort(f);
		return error_set(err, e, "write %s", f->path);
	}
	return 0;
}

int out_file_open(struct out_file *f, const char *path, mode_t mode,
		  struct error **err)
{
	return open_target(f, path, mode, false, err);
}

int out_file_open_own(struct out_file *f, const char *path, mode_t mode,
		      struct error **err)
{
	return open_target(f, path, mode, true, err);
}

int out_file_write(struct out_file *f, const void *buf, size_t len,
		   struct error **err)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(f->fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return error_set(err, errno, "write %s", f->path);
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int out_file_commit(struct out_file *f, struct error **err)
{
	int e = 0;

	if (f->renames && !f->no_sync && fsync(f->fd) < 0)
		e = errno;
	if (close(f->fd) < 0 && !e)
		e = errno;
	f->fd = -1;
	if (!e && f->renames && rename(f->tmp, f->path) < 0)
		e = errno;
	if (e) {
		out_file_abort(f);
		return error_set(err, e, "write %s", f->path);
	}
	f->tmp[0] = '\0';
	return 0;
}

void out_file_abort(struct out_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->tmp[0])
		unlink(f->tmp);
	f->tmp[0] = '\0';
}

static int write_whole(const char *path, const void *buf, size_t len,
		       mode_t mode, bool own, struct error **err)
{
	struct out_file f;

	if (open_target(&f, path, mode, own, err))
		return -1;
	if (out_file_write(&f, buf, len, err)) {
		out_file_abort(&f);
		return -1;
	}
	return out_file_commit(&f, err);
}

int write_file_atomic(const char *path, const void *buf, size_t len,
		      mode_t mode, struct error **err)
{
	return write_whole(path, buf, len, mode, false, err);
}

int write_file_own(const char *path, const void *buf, size_t len, mode_t mode,
		   struct error **err)
{
	return write_whole(path, buf, len, mode, true, err);
}

int write_file_as_before(const char *path, const void *buf, size_t len,
			 struct error **err)
{
	struct out_file f;
	struct stat st;
	bool had;
	int e = 0;

	if (open_target(&f, path, 0644, true, err))
		return -1;
	if (!f.renames) /* a device or a FIFO: written through */
		goto write;
	had = !stat(f.path, &st);
	if (!had) {
		/* new: owned as its folder, as ig's copyFileOwner() */
		char dir[PATH_MAX];
		char *slash;

		snprintf(dir, sizeof(dir), "%s", f.path);
		slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		if (stat(slash ? dir : ".", &st)) {
			e = errno;
			goto fail;
		}
	}
	if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(f.fd, st.st_uid, st.st_gid) < 0 && had) {
		/* a new file stays this user's when it cannot be given
		 * away (ig only warns) */
		e = errno;
		goto fail;
	}
	if (had && fchmod(f.fd, st.st_mode & 07777) < 0) {
		e = errno;
		goto fail;
	}
write:
	if (out_file_write(&f, buf, len, err)) {
		out_file_abort(&f);
		return -1;
	}
	return out_file_commit(&f, err);
fail:
	out_file_abort(&f);
	return error_set(err, e, "write %s", f.path);
}

int file_lock(const char *path, mode_t mode, struct error **err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode);

	if (fd < 0)
		return error_set(err, errno, "open %s", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			error_set(err, errno, "lock %s", path);
			close(fd);
			return -1;
		}
	}
	return fd;
}

int mkdir_p(const char *path, mode_t mode, struct error **err)
{
	char buf[PATH_MAX];
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return error_set(err, ENAMETOOLONG, "mkdir %s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return error_set(err, errno, "mkdir %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return error_set(err, errno, "mkdir %s", buf);
	return 0;
}
