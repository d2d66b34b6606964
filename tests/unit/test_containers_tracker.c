// SPDX-License-Identifier: Apache-2.0
/*
 * runner/bpf/containers.bpf.c through runner/containers_tracker.c, on the
 * real kernel: children exec /bin/true in mount namespaces of their own
 * (unshare(CLONE_NEWNS)) or in ours, and the notes are checked against
 * /proc and the cgroup v2 tree.  Needs root.
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "runner/containers.h"
#include "runner/containers_tracker.h"

#define MAX_NOTES 256

struct notes {
	struct containers_note n[MAX_NOTES];
	size_t count;
};

static void keep(void *ctx, const struct containers_note *n)
{
	struct notes *ns = ctx;

	if (ns->count < MAX_NOTES)
		ns->n[ns->count++] = *n;
}

static const struct containers_note *find_note(const struct notes *ns,
					       __u64 mntns)
{
	for (size_t i = 0; i < ns->count; i++)
		if (ns->n[i].mntns == mntns)
			return &ns->n[i];
	return NULL;
}

static size_t count_notes(const struct notes *ns, __u64 mntns)
{
	size_t k = 0;

	for (size_t i = 0; i < ns->count; i++)
		k += ns->n[i].mntns == mntns;
	return k;
}

static __u64 mntns_of(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/*
 * Exec /bin/true in a child, in a new mount namespace if asked; return its
 * pid and (before the exec) its mount namespace.
 */
static pid_t exec_true(bool new_mntns, __u64 *mntns)
{
	int ready[2], go[2];
	char c = 0;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (new_mntns && unshare(CLONE_NEWNS))
			_exit(2);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		execl("/bin/true", "true", (char *)NULL);
		_exit(4);
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	*mntns = mntns_of(pid);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(ready[0]);
	close(go[1]);
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Our cgroup v2 path ("/a/b") and its id (the directory's inode). */
static void own_cgroup(char *path, size_t size, __u64 *id)
{
	cleanup_free char *cg = NULL, *mi = NULL;
	char dir[4096], mnt[1024] = "";
	const char *line, *p;
	struct stat st;

	assert_int_equal(read_file("/proc/self/cgroup", &cg, NULL, NULL), 0);
	line = strstr(cg, "0::");
	assert_non_null(line);
	snprintf(path, size, "%.*s", (int)strcspn(line + 3, "\n"), line + 3);
	/* the cgroup2 mount point: /sys/fs/cgroup or .../unified */
	assert_int_equal(read_file("/proc/self/mountinfo", &mi, NULL, NULL), 0);
	for (p = mi; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (sscanf(p, "%*s %*s %*s %*s %1023s", mnt) == 1 &&
		    strstr(p, " - cgroup2 "))
			break;
	assert_non_null(p);
	snprintf(dir, sizeof(dir), "%s%s", mnt, path);
	assert_int_equal(stat(dir, &st), 0);
	*id = st.st_ino;
}

struct fixture {
	struct containers_tracker *t;
	struct notes notes;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || containers_tracker_new(keep, &f->notes, &f->t, NULL)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	containers_tracker_free(f->t);
	free(f);
	return 0;
}

/* Exec in a new mount namespace: told, with our cgroup and its names. */
static void exec__new_mntns__told_with_cgroup(void **state)
{
	struct fixture *f = *state;
	const struct containers_note *n;
	char path[4096];
	const char *leaf;
	__u64 mntns, cgid;
	pid_t pid;

	own_cgroup(path, sizeof(path), &cgid);
	pid = exec_true(true, &mntns);
	reap(pid);
	assert_true(containers_tracker_consume(f->t) >= 1);
	n = find_note(&f->notes, mntns);
	assert_non_null(n);
	assert_int_equal(n->pid, pid);
	assert_int_equal(n->cgroup_id, cgid);
	assert_int_not_equal(n->mntns_instance, 0);
	assert_true(n->depth >= 1 && n->depth <= CONTAINERS_CGROUP_DEPTH);
	leaf = strrchr(path, '/') + 1;
	if (*leaf) {
		assert_string_equal(n->names[0], leaf);
	} else { /* the root cgroup */
		assert_int_equal(n->depth, 1);
		assert_true(!strcmp(n->names[0], "") ||
			    !strcmp(n->names[0], "/"));
	}
}

/*
 * Namespace after namespace (the kernel often gives the next one the
 * number just freed): each is told, each as a namespace of its own.
 */
static void exec__mntns_after_mntns__each_told_apart(void **state)
{
	struct fixture *f = *state;
	__u64 mntns[4], instance[4];
	size_t i, j;

	for (i = 0; i < 4; i++) {
		const struct containers_note *n;
		size_t before = f->notes.count;
		pid_t pid = exec_true(true, &mntns[i]);

		reap(pid);
		containers_tracker_consume(f->t);
		n = NULL;
		for (j = before; j < f->notes.count; j++)
			if (f->notes.n[j].mntns == mntns[i] &&
			    f->notes.n[j].pid == (__u32)pid)
				n = &f->notes.n[j];
		assert_non_null(n);
		instance[i] = n->mntns_instance;
		for (j = 0; j < i; j++)
			assert_true(instance[j] != instance[i]);
	}
}

/* A second exec in the same namespace and cgroup costs no note. */
static void exec__pair_already_told__not_told_again(void **state)
{
	struct fixture *f = *state;
	__u64 mntns, again;
	size_t told;

	reap(exec_true(false, &mntns));
	containers_tracker_consume(f->t);
	assert_int_equal(mntns, mntns_of(getpid()));
	told = count_notes(&f->notes, mntns);
	reap(exec_true(false, &again));
	reap(exec_true(false, &again));
	containers_tracker_consume(f->t);
	assert_int_equal(count_notes(&f->notes, mntns), told);
}

/* containers_new("/") runs the tracker; a fake root does not. */
static void containers_new__host_root__tracking(void **state)
{
	struct containers *host = containers_new("/");
	struct containers *fake = containers_new("/nonexistent");

	(void)state;
	assert_non_null(host);
	assert_non_null(fake);
	assert_true(containers_tracking(host));
	assert_false(containers_tracking(fake));
	containers_free(host);
	containers_free(fake);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exec__new_mntns__told_with_cgroup),
		cmocka_unit_test(exec__mntns_after_mntns__each_told_apart),
		cmocka_unit_test(exec__pair_already_told__not_told_again),
		cmocka_unit_test(containers_new__host_root__tracking),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
