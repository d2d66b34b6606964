// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileutil.h"

int read_file(const char *path, char **buf, size_t *len, struct error **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	cleanup_free char *data = NULL;
	size_t cap = 0, n = 0;
	ssize_t r;

	if (fd < 0)
		return error_set(err, errno, "open %s", path);
	for (;;) {
		if (n + 1 >= cap) {
			char *p;

			cap = cap ? cap * 2 : 16384;
			p = realloc(data, cap);
			if (!p)
				return error_set(err, ENOMEM, "read %s", path);
			data = p;
		}
		r = read(fd, data + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return error_set(err, errno, "read %s", path);
		}
		if (r == 0)
			break;
		n += r;
	}
	data[n] = '\0';
	*buf = steal_ptr(data);
	if (len)
		*len = n;
	return 0;
}

int write_file_atomic(const char *path, const void *buf, size_t len,
		      mode_t mode, struct error **err)
{
	char tmp[PATH_MAX];
	const char *p = buf;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >=
	    (int)sizeof(tmp))
		return error_set(err, ENAMETOOLONG, "write %s", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return error_set(err, errno, "create %s", tmp);
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += w;
		len -= w;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	error_set(err, errno, "write %s", path);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
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
