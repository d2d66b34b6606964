// SPDX-License-Identifier: Apache-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tmpdir.h"

void dir_empty(int fd)
{
	DIR *d = fdopendir(fcntl(fd, F_DUPFD_CLOEXEC, 0));
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

/*
 * Remove the folders prefix* of dir owned by this user that no process
 * holds locked: their maker was killed.  Each is removed while locked, so
 * that a maker waiting for its lock sees it gone (tmpdir_make()).
 */
static void remove_stale(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		int fd;

		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		fd = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!fstat(fd, &st) && st.st_uid == geteuid() &&
		    !flock(fd, LOCK_EX | LOCK_NB)) {
			dir_empty(fd);
			unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
		}
		close(fd);
	}
	closedir(d);
}

int tmpdir_make(const char *prefix, char *path, size_t size, struct error **err)
{
	const char *dir = getenv("TMPDIR");
	struct stat st;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	remove_stale(dir, prefix);
	for (;;) {
		if (snprintf(path, size, "%s/%sXXXXXX", dir, prefix) >=
		    (int)size)
			return error_set(err, ENAMETOOLONG, "create %s/%s", dir,
					 prefix);
		if (!mkdtemp(path))
			return error_set(err, errno, "create %s", path);
		fd = open(path,
			  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* another's remove_stale() took it already: make another */
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return error_set(err, errno, "open %s", path);
		/* waits only for another's remove_stale(), which took it for
		 * a killed one's before this lock: then it is gone */
		if (flock(fd, LOCK_EX) || fstat(fd, &st)) {
			error_set(err, errno, "lock %s", path);
			close(fd);
			rmdir(path);
			return -1;
		}
		if (st.st_nlink)
			return fd;
		close(fd);
	}
}

void tmpdir_remove(const char *path, int fd)
{
	if (fd < 0)
		return;
	dir_empty(fd);
	rmdir(path);
	close(fd);
}
