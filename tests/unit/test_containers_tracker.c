// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/bpf/containers.bpf.c through runner/engine/containers_tracker.c, on the
 * real kernel: children exec /bin/true in mount namespaces of their own
 * (unshare(CLONE_NEWNS)) or in ours, and the notes are checked against
 * /proc and the cgroup v2 tree.  Needs root.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
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
#include "runner/engine/containers.h"
#include "runner/engine/containers_tracker.h"

#define MAX_NOTES 256

struct notes {
	struct containers_note n[MAX_NOTES];
	size_t count;
	size_t asked; /* later() calls */
	__u32 hold_pid; /* later_of_pid(): the process whose note waits */
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

/* Notes about mntns from the from-th on (numbers are reused). */
static size_t count_notes(const struct notes *ns, size_t from, __u64 mntns)
{
	size_t k = 0;

	for (size_t i = from; i < ns->count; i++)
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

enum ns_how { NS_OURS, NS_NEW, NS_JOIN };

/*
 * A child that joins cgroup v2 folder cgdir (unless NULL), then our mount
 * namespace, a new one, or that of process join, and execs prog (true or
 * sleep 10) once told to; its pid, and its mount namespace before the exec.
 */
static pid_t spawn(const char *cgdir, enum ns_how how, pid_t join,
		   const char *prog, __u64 *mntns)
{
	int ready[2], go[2];
	char c = 0, path[4200];
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;

		if (cgdir) {
			snprintf(path, sizeof(path), "%s/cgroup.procs", cgdir);
			fd = open(path, O_WRONLY);
			if (fd < 0 || write(fd, "0", 1) != 1)
				_exit(2);
			close(fd);
		}
		if (how == NS_NEW && unshare(CLONE_NEWNS))
			_exit(3);
		if (how == NS_JOIN) {
			snprintf(path, sizeof(path), "/proc/%d/ns/mnt",
				 (int)join);
			fd = open(path, O_RDONLY);
			if (fd < 0 || setns(fd, CLONE_NEWNS))
				_exit(4);
			close(fd);
		}
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(5);
		execl(prog, prog, "10", (char *)NULL);
		_exit(6);
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

static pid_t exec_true(bool new_mntns, __u64 *mntns)
{
	return spawn(NULL, new_mntns ? NS_NEW : NS_OURS, 0, "/bin/true", mntns);
}

static void reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Wait until process pid has exec'd prog (its comm changed). */
static void wait_exec(pid_t pid, const char *comm)
{
	char path[64];
	int i;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (i = 0; i < 500; i++) {
		cleanup_free char *text = NULL;

		if (!read_file(path, &text, NULL, NULL) &&
		    !strncmp(text, comm, strlen(comm)))
			return;
		usleep(10000);
	}
	fail_msg("process %d did not exec %s", (int)pid, comm);
}

/* The cgroup v2 mount point: /sys/fs/cgroup, or .../unified (hybrid). */
static void cgroup2_mount(char *mnt, size_t size)
{
	cleanup_free char *mi = NULL;
	char *line, *save = NULL;

	assert_int_equal(read_file("/proc/self/mountinfo", &mi, NULL, NULL), 0);
	for (line = strtok_r(mi, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char dir[1024];

		if (strstr(line, " - cgroup2 ") &&
		    sscanf(line, "%*s %*s %*s %*s %1023s", dir) == 1) {
			snprintf(mnt, size, "%s", dir);
			return;
		}
	}
	fail_msg("no cgroup2 mount");
}

/* Our cgroup v2 path ("/a/b", "/" for the root) and its folder. */
static void own_cgroup(char *path, size_t size, char *dir, size_t dsize)
{
	cleanup_free char *cg = NULL;
	char mnt[1024];
	const char *line;

	assert_int_equal(read_file("/proc/self/cgroup", &cg, NULL, NULL), 0);
	line = strstr(cg, "0::");
	assert_non_null(line);
	snprintf(path, size, "%.*s", (int)strcspn(line + 3, "\n"), line + 3);
	cgroup2_mount(mnt, sizeof(mnt));
	snprintf(dir, dsize, "%s%s", mnt, strcmp(path, "/") ? path : "");
}

static __u64 inode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
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

/* A new mount namespace, from a cgroup of the test's: told, with the
 * cgroup's id and names. */
static void exec__new_mntns__told_with_cgroup(void **state)
{
	struct fixture *f = *state;
	const struct containers_note *n;
	char path[1024], dir[2048], cgdir[2200], leaf[64];
	const char *parent;
	__u64 mntns, cgid;
	pid_t pid;

	own_cgroup(path, sizeof(path), dir, sizeof(dir));
	snprintf(leaf, sizeof(leaf), "runner-test-%d", (int)getpid());
	snprintf(cgdir, sizeof(cgdir), "%s/%s", dir, leaf);
	assert_int_equal(mkdir(cgdir, 0755), 0);
	cgid = inode_of(cgdir); /* the cgroup id */
	pid = spawn(cgdir, NS_NEW, 0, "/bin/true", &mntns);
	reap(pid);
	assert_int_equal(rmdir(cgdir), 0);
	assert_true(containers_tracker_consume(f->t) >= 1);
	n = find_note(&f->notes, mntns);
	assert_non_null(n);
	assert_int_equal(n->pid, pid);
	assert_int_not_equal(n->mntns_instance, 0);
	assert_true(n->depth >= 2 && n->depth <= CONTAINERS_CGROUP_DEPTH);
	assert_string_equal(n->names[0], leaf);
	parent = strrchr(path, '/') + 1; /* "" for the root */
	assert_string_equal(n->names[1], parent);
	assert_int_equal(n->cgroup_id, cgid);
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

/*
 * A namespace told once is not told again: not for another exec, not for
 * one from another cgroup.
 */
static void exec__known_namespace__not_told_again(void **state)
{
	struct fixture *f = *state;
	char path[1024], dir[2048], cgdir[2200];
	__u64 mntns, joined;
	size_t from = f->notes.count;
	pid_t a, b;
	int status;

	own_cgroup(path, sizeof(path), dir, sizeof(dir));
	snprintf(cgdir, sizeof(cgdir), "%s/runner-test-%d-b", dir,
		 (int)getpid());
	assert_int_equal(mkdir(cgdir, 0755), 0);
	a = spawn(NULL, NS_NEW, 0, "/bin/sleep", &mntns);
	wait_exec(a, "sleep");
	containers_tracker_consume(f->t);
	assert_int_equal(count_notes(&f->notes, from, mntns), 1);
	b = spawn(NULL, NS_JOIN, a, "/bin/true", &joined);
	reap(b);
	b = spawn(cgdir, NS_JOIN, a, "/bin/true", &joined);
	reap(b);
	assert_int_equal(joined, mntns);
	kill(a, SIGKILL);
	assert_int_equal(waitpid(a, &status, 0), a);
	assert_int_equal(rmdir(cgdir), 0);
	containers_tracker_consume(f->t);
	assert_int_equal(count_notes(&f->notes, from, mntns), 1);
}

/* Every note waits (as for one that would replace a container), asked
 * about once: it is counted. */
static bool later(void *ctx, const struct containers_note *n)
{
	struct notes *ns = ctx;

	(void)n;
	ns->asked++;
	return true;
}

/* Only the note of process hold_pid waits. */
static bool later_of_pid(void *ctx, const struct containers_note *n)
{
	const struct notes *ns = ctx;

	return n->pid == ns->hold_pid;
}

/*
 * A note kept for later is taken in at once for an event of the process
 * it tells of, in its namespace (its exec's, stamped before the note by a
 * hook that ran first), not for another process's or namespace's.
 */
static void take_held__the_note_s_process__taken_in(void **state)
{
	struct fixture *f = *state;
	__u64 mntns;
	size_t from;
	pid_t pid;

	containers_tracker_consume(f->t);
	from = f->notes.count;
	containers_tracker_set_later(f->t, later_of_pid);
	pid = exec_true(true, &mntns);
	reap(pid);
	f->notes.hold_pid = (__u32)pid;
	containers_tracker_consume_until(f->t, 0);
	assert_true(containers_tracker_holding(f->t));
	assert_int_equal(
		containers_tracker_take_held(f->t, mntns, (__u32)pid + 1), 0);
	assert_int_equal(
		containers_tracker_take_held(f->t, mntns + 1, (__u32)pid), 0);
	assert_int_equal(count_notes(&f->notes, from, mntns), 0);
	assert_int_equal(containers_tracker_take_held(f->t, mntns, (__u32)pid),
			 1);
	assert_false(containers_tracker_holding(f->t));
	assert_int_equal(count_notes(&f->notes, from, mntns), 1);
	containers_tracker_set_later(f->t, NULL);
}

/*
 * A note made after until that later() keeps waits, and the notes after
 * it, until an until past it (events read up to its time): later() is
 * asked once, when it is taken from the ring, not again at each consume
 * while it waits (one per event read).
 */
static void consume_until__later_note__held_and_asked_once(void **state)
{
	struct fixture *f = *state;
	__u64 mntns;
	size_t from;

	containers_tracker_consume(f->t);
	from = f->notes.count;
	containers_tracker_set_later(f->t, later);
	f->notes.asked = 0;
	reap(exec_true(true, &mntns));
	for (int i = 0; i < 5; i++)
		assert_int_equal(containers_tracker_consume_until(f->t, 0), 0);
	assert_int_equal(f->notes.asked, 1);
	assert_int_equal(count_notes(&f->notes, from, mntns), 0);
	assert_true(containers_tracker_consume_until(f->t, UINT64_MAX) >= 1);
	assert_int_equal(count_notes(&f->notes, from, mntns), 1);
	containers_tracker_set_later(f->t, NULL);
}

/* containers_new("/") runs the tracker once containers_load_ahead()
 * starts it; a fake root does not. */
static void containers_new__host_root__tracking(void **state)
{
	struct containers *host = containers_new("/");
	struct containers *fake = containers_new("/nonexistent");

	(void)state;
	assert_non_null(host);
	assert_non_null(fake);
	/* nothing in the kernel until the run is sure (a flag refused
	 * before it loads nothing) */
	assert_false(containers_tracking(host));
	containers_load_ahead(host);
	containers_load_ahead(fake);
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
		cmocka_unit_test(exec__known_namespace__not_told_again),
		cmocka_unit_test(
			consume_until__later_note__held_and_asked_once),
		cmocka_unit_test(take_held__the_note_s_process__taken_in),
		cmocka_unit_test(containers_new__host_root__tracking),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
