// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/engine/cgroup2.h"
#include "runner/engine/log.h"
#include "runner/engine/mountinfo.h"

/*
 * Is cgroup2 directory fd the hierarchy's root?  Only the root has no
 * cgroup.type (the kernel's CFTYPE_NOT_ON_ROOT files), whatever the
 * reader's cgroup namespace makes of its path.
 */
static bool fd_is_root(int fd)
{
	return !faccessat(fd, "cgroup.procs", F_OK, 0) &&
	       faccessat(fd, "cgroup.type", F_OK, 0) && errno == ENOENT;
}

/* cgroup2_find_mount()'s check: the root, opened once, kept in *ctx. */
static bool open_root(const char *point, void *ctx)
{
	int *fd = ctx;

	*fd = open(point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd >= 0 && fd_is_root(*fd))
		return true;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	return false;
}

bool cgroup2_find_mount(FILE *f, bool (*root_at)(const char *point, void *ctx),
			void *ctx, char *point, size_t size)
{
	char line[4096];
	bool found = false;

	while (!found && fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");
		char *root, *at;

		/* in a cgroup namespace, a mount of what is above its root
		 * reads "/.." (the host's /sys/fs/cgroup in a pod) */
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) ||
		    !mountinfo_root_point(line, &root, &at) ||
		    (strcmp(root, "/") && strncmp(root, "/..", 3)) ||
		    strlen(at) >= size || (root_at && !root_at(at, ctx)))
			continue;
		strcpy(point, at);
		found = true;
	}
	return found;
}

static void tell_not_root(void)
{
	engine_log(ENGINE_LOG_NOTICE,
		   "the runner is in a cgroup namespace of its own: its socket "
		   "hooks see only the processes of its cgroup; mount the "
		   "host's cgroup v2 (/sys/fs/cgroup) or run it in the host's "
		   "cgroup namespace");
}

/*
 * The root of a cgroup2 mounted already, or of one mounted here.  In a
 * cgroup namespace without the host's hierarchy, the namespace's own
 * mount (its root, told), as before.
 */
static int root_open(struct error **err)
{
	char point[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int fd = -1;

	if (f) {
		if (!cgroup2_find_mount(f, open_root, &fd, point,
					sizeof(point))) {
			rewind(f);
			if (cgroup2_find_mount(f, NULL, NULL, point,
					       sizeof(point)) &&
			    (fd = open(point, O_RDONLY | O_DIRECTORY |
						      O_CLOEXEC)) >= 0)
				tell_not_root();
		}
		fclose(f);
	}
	if (fd >= 0)
		return fd;
	if (mkdir("/run/runner", 0755) && errno != EEXIST)
		return error_set(err, errno, "mkdir /run/runner");
	if (mkdir(CGROUP2_MOUNT, 0755) && errno != EEXIST)
		return error_set(err, errno, "mkdir " CGROUP2_MOUNT);
	if (mount("cgroup2", CGROUP2_MOUNT, "cgroup2", 0, NULL))
		return error_set(err, errno,
				 "no cgroup2 mounted, and mounting it on "
				 "" CGROUP2_MOUNT " failed");
	engine_log(ENGINE_LOG_NOTICE,
		   "mounted cgroup2 on %s (no cgroup v2 hierarchy was mounted)",
		   CGROUP2_MOUNT);
	fd = open(CGROUP2_MOUNT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno,
				 "open cgroup2 root " CGROUP2_MOUNT);
	if (!fd_is_root(fd))
		tell_not_root();
	return fd;
}

int cgroup2_root_fd(struct error **err)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static int root = -1;
	int fd;

	pthread_mutex_lock(&lock);
	if (root < 0)
		root = root_open(err);
	fd = root;
	pthread_mutex_unlock(&lock);
	return fd;
}
