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

#include "common/cleanup.h"
#include "runner/engine/cgroup2.h"
#include "runner/engine/log.h"
#include "runner/engine/mountinfo.h"

/*
 * Is the cgroup2 directory at point the hierarchy's root?  Only the root
 * has no cgroup.type (the kernel's CFTYPE_NOT_ON_ROOT files), whatever
 * the reader's cgroup namespace makes of its path.
 */
static bool is_root(const char *point)
{
	cleanup_close int fd = open(point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd >= 0 && !faccessat(fd, "cgroup.procs", F_OK, 0) &&
	       faccessat(fd, "cgroup.type", F_OK, 0) && errno == ENOENT;
}

/* A cgroup2 mount of the hierarchy's root in /proc/self/mountinfo. */
static bool find_mount(char *point, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	bool found;

	if (!f)
		return false;
	found = cgroup2_find_mount(f, is_root, point, size);
	fclose(f);
	return found;
}

bool cgroup2_find_mount(FILE *f, bool (*root_at)(const char *point),
			char *point, size_t size)
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
		    strlen(at) >= size || (root_at && !root_at(at)))
			continue;
		strcpy(point, at);
		found = true;
	}
	return found;
}

static int root_open(struct error **err)
{
	char point[PATH_MAX];
	int fd;

	if (!find_mount(point, sizeof(point))) {
		if (mkdir("/run/runner", 0755) && errno != EEXIST)
			return error_set(err, errno, "mkdir /run/runner");
		if (mkdir(CGROUP2_MOUNT, 0755) && errno != EEXIST)
			return error_set(err, errno, "mkdir " CGROUP2_MOUNT);
		if (mount("cgroup2", CGROUP2_MOUNT, "cgroup2", 0, NULL))
			return error_set(err, errno,
					 "no cgroup2 mounted, and mounting it "
					 "on " CGROUP2_MOUNT " failed");
		engine_log(ENGINE_LOG_NOTICE,
			   "mounted cgroup2 on %s (no cgroup v2 hierarchy "
			   "was mounted)",
			   CGROUP2_MOUNT);
		strcpy(point, CGROUP2_MOUNT);
		if (!is_root(point))
			engine_log(
				ENGINE_LOG_NOTICE,
				"the runner is in a cgroup namespace of "
				"its own: its socket hooks see only the "
				"processes of its cgroup; mount the host's "
				"cgroup v2 (/sys/fs/cgroup) or run it in the "
				"host's cgroup namespace");
	}
	fd = open(point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno, "open cgroup2 root %s", point);
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
