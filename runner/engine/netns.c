// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "common/cleanup.h"
#include "common/grow.h"
#include "runner/engine/log.h"
#include "runner/engine/mountinfo.h"
#include "runner/engine/mountlist.h"
#include "runner/engine/netns.h"
#include "runner/engine/netns_exec.h"

#define MAX_PROGS 8

struct netns_entry {
	unsigned long ino;
	int socks[MAX_PROGS];
	unsigned int gen; /* last scan that saw it */
	/* a thread told in it (not its process's first), or 0: the scan
	 * of /proc sees processes only (their first threads') */
	unsigned int pid, tid;
	bool mounted; /* found at a mount by the last read of them all */
};

struct netns_set {
	int prog_arrays[MAX_PROGS]; /* one PROG_ARRAY per gadget program */
	size_t n_progs;
	/* /proc/self/mountinfo twice: a poll() tells a mount since the last
	 * one, and takes it in; epoll's on the other would take it first */
	int mounts, mounts_wake;
	/* a change not read yet; when the table may next be read (ns);
	 * a change since the scan's last read of every mount (or none yet) */
	bool mounts_dirty, mounts_stale;
	unsigned long long mounts_next;
	/*
	 * Execs in namespaces not attached yet (or NULL), taken in by a
	 * thread of their own (notes): at once, whatever the main thread is
	 * doing (rendering a backlog, a scan).  lock guards entries against
	 * it; stop ends it; note_err is its first error, for netns_noted().
	 */
	struct netns_exec *exec;
	pthread_t notes;
	pthread_mutex_t lock;
	int stop;
	struct error *note_err;
	/* the mounts by id (listmount(2)): the last one read, scratch */
	bool by_id;
	uint64_t mounts_last;
	void *stat_buf;
	struct netns_entry *entries;
	size_t n, cap;
	unsigned int gen;
	bool short_told; /* a shortage (attach()) told once */
	bool marking; /* visit() marks what it finds mounted */
};

/* Called with each namespace a scan finds at path: its inode must be
 * want (0: any). */
typedef int (*visit_fn)(void *ctx, const char *path, unsigned long want,
			struct error **err);

static void exec_hook_new(struct netns_set *set);
static void exec_hook_free(struct netns_set *set);
static int scan_locked(struct netns_set *set, struct error **err);
static int attach_one(struct netns_set *set, const char *path,
		      unsigned long ino, struct error **err);

#define INSN(c, d, s, o, i)                 \
	((struct bpf_insn){ .code = (c),    \
			    .dst_reg = (d), \
			    .src_reg = (s), \
			    .off = (o),     \
			    .imm = (i) })

int netns_dispatcher_load(int prog_type, int prog_array, unsigned long ino,
			  int verdict)
{
	const struct bpf_insn insns[] = {
		INSN(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, (__s32)ino),
		INSN(BPF_STX | BPF_MEM | BPF_W, BPF_REG_1, BPF_REG_2,
		     offsetof(struct __sk_buff, cb[0]), 0),
		INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_MAP_FD, 0,
		     prog_array),
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, verdict),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};

	return bpf_prog_load(prog_type, NETNS_DISPATCHER, "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), NULL);
}

int netns_set_new(const int *prog_fds, size_t n, struct netns_set **out,
		  struct error **err)
{
	struct netns_set *set;
	uint64_t first_id;
	__u32 key = 0;
	size_t i;

	if (n > MAX_PROGS)
		return error_set(err, 0, "too many socket programs (%zu)", n);
	set = calloc(1, sizeof(*set));
	if (!set)
		return error_set(err, ENOMEM, "netns");
	set->mounts_stale = true;
	pthread_mutex_init(&set->lock, NULL);
	set->stop = -1;
	for (i = 0; i < MAX_PROGS; i++)
		set->prog_arrays[i] = -1;
	/* without it, namespaces wait for the next scan */
	set->mounts = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	set->mounts_wake = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	set->by_id = mountlist_after(0, &first_id, 1) >= 0;
	if (set->by_id) {
		set->stat_buf = malloc(MOUNTLIST_BUF_SIZE);
		if (!set->stat_buf) {
			error_set(err, ENOMEM, "netns");
			goto fail;
		}
	}
	engine_log(ENGINE_LOG_DEBUG, "mount table read %s",
		   set->by_id ? "by id (listmount)" :
				"whole (/proc/self/mountinfo)");
	for (i = 0; i < n; i++) {
		int fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "netns_progs",
					4, 4, 1, NULL);

		if (fd < 0) {
			error_set(err, -fd, "create program array");
			goto fail;
		}
		set->prog_arrays[i] = fd;
		set->n_progs++;
		if (bpf_map_update_elem(fd, &key, &prog_fds[i], BPF_ANY)) {
			error_set(err, errno, "fill program array");
			goto fail;
		}
	}
	exec_hook_new(set);
	*out = set;
	return 0;
fail:
	netns_set_free(set);
	return -1;
}

static void entry_close(struct netns_entry *e, size_t n_progs)
{
	size_t i;

	for (i = 0; i < n_progs; i++)
		if (e->socks[i] >= 0)
			close(e->socks[i]);
}

void netns_set_free(struct netns_set *set)
{
	size_t i;

	if (!set)
		return;
	exec_hook_free(set);
	for (i = 0; i < set->n; i++)
		entry_close(&set->entries[i], set->n_progs);
	for (i = 0; i < set->n_progs; i++)
		close(set->prog_arrays[i]);
	if (set->mounts >= 0)
		close(set->mounts);
	if (set->mounts_wake >= 0)
		close(set->mounts_wake);
	pthread_mutex_destroy(&set->lock);
	free(set->stat_buf);
	free(set->entries);
	free(set);
}

static struct netns_entry *find(struct netns_set *set, unsigned long ino)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->entries[i].ino == ino)
			return &set->entries[i];
	return NULL;
}

/* Out of a resource the kernel gives per process or per machine (file
 * descriptors, memory): not the run's fault, and perhaps over at the next
 * try. */
static bool shortage(int errnum)
{
	return errnum == EMFILE || errnum == ENFILE || errnum == ENOMEM ||
	       errnum == ENOBUFS;
}

/*
 * Enter the namespace at path, open one filtered socket per program.  A
 * shortage (past RLIMIT_NOFILE with thousands of namespaces) leaves this
 * one out, told, for the next try (a scan, a note): the namespaces taken
 * in already stay traced.
 */
static int attach(struct netns_set *set, const char *path, unsigned long ino,
		  struct error **err)
{
	struct error *e = NULL;

	if (!attach_one(set, path, ino, &e))
		return 0;
	if (!shortage(error_errnum(e)))
		return error_pass(e, err);
	engine_log(set->short_told ? ENGINE_LOG_INFO : ENGINE_LOG_NOTICE,
		   "netns %lu not traced until a later try (the others are): "
		   "%s",
		   ino, error_msg(e));
	set->short_told = true;
	error_free(e);
	return 0;
}

/* What attach_one() makes inside the namespace. */
struct in_ns {
	struct netns_set *set;
	struct netns_entry *e;
};

/* One packet socket per program, filtered by a dispatcher for e->ino. */
static int open_socks(void *ctx, struct error **err)
{
	struct in_ns *in = ctx;
	struct netns_entry *e = in->e;

	for (size_t i = 0; i < in->set->n_progs; i++) {
		int disp, rc = 0;

		e->socks[i] = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC,
				     htons(ETH_P_ALL));
		if (e->socks[i] < 0)
			return error_set(err, errno, "packet socket");
		disp = netns_dispatcher_load(BPF_PROG_TYPE_SOCKET_FILTER,
					     in->set->prog_arrays[i], e->ino,
					     0);
		if (disp < 0)
			return error_set(err, -disp, "load netns dispatcher");
		if (setsockopt(e->socks[i], SOL_SOCKET, SO_ATTACH_BPF, &disp,
			       sizeof(disp)) < 0)
			rc = error_set(err, errno, "attach");
		close(disp);
		if (rc)
			return rc;
	}
	return 0;
}

static int attach_one(struct netns_set *set, const char *path,
		      unsigned long ino, struct error **err)
{
	cleanup_close int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	struct netns_entry e = { .ino = ino, .gen = set->gen };
	struct in_ns in = { .set = set, .e = &e };
	struct statfs fs;
	struct stat st;

	/* not a network namespace (any more): a process that ended, a bind
	 * mount undone or never made (the empty file under it, in /run/netns
	 * too), another kind of namespace bind-mounted in /run/netns */
	if (nsfd < 0 || fstat(nsfd, &st) < 0 || st.st_ino != ino ||
	    fstatfs(nsfd, &fs) < 0 || fs.f_type != NSFS_MAGIC ||
	    ioctl(nsfd, NS_GET_NSTYPE) != CLONE_NEWNET)
		return 0;
	for (size_t i = 0; i < MAX_PROGS; i++)
		e.socks[i] = -1;
	if (netns_call_in(nsfd, open_socks, &in, err)) {
		entry_close(&e, set->n_progs);
		return error_prefix(err, "network namespace %lu", ino);
	}
	if (grow_array((void **)&set->entries, &set->cap, set->n + 1,
		       sizeof(*set->entries), 32)) {
		entry_close(&e, set->n_progs);
		return error_set(err, ENOMEM, "netns");
	}
	set->entries[set->n++] = e;
	if (set->exec)
		netns_exec_known(set->exec, ino, true);
	return 0;
}

/* want: the inode path must have (0: any) */
static int visit(void *ctx, const char *path, unsigned long want,
		 struct error **err)
{
	struct netns_set *set = ctx;
	struct netns_entry *e;
	struct stat st;

	if (stat(path, &st) < 0 || (want && st.st_ino != want))
		return 0;
	e = find(set, st.st_ino);
	if (!e) {
		if (attach(set, path, st.st_ino, err))
			return -1;
		e = find(set, st.st_ino);
		if (!e) /* not a namespace, or left out */
			return 0;
	}
	e->gen = set->gen;
	e->mounted |= set->marking;
	return 0;
}

static int scan_dir(const char *dir, bool procfs, visit_fn fn, void *ctx,
		    struct error **err)
{
	char path[512];
	struct dirent *d;
	DIR *dp = opendir(dir);
	int rc = 0;

	if (!dp)
		return 0;
	while (!rc && (d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		if (procfs) {
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/ns/net",
				 d->d_name);
		} else {
			snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		}
		rc = fn(ctx, path, 0, err);
	}
	closedir(dp);
	return rc;
}

/*
 * Network namespaces bind-mounted anywhere in the runner's mount namespace
 * (nsfs mounts whose root is net:[N]): `ip netns add`, podman's and CNI's
 * /run/netns, docker's exec root, each there before its first process.
 */
static int scan_mountinfo(visit_fn fn, void *ctx, struct error **err)
{
	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	cleanup_free char *line = NULL;
	char *root, *point;
	unsigned long ino;
	size_t len = 0;
	int rc = 0;

	if (!f)
		return 0;
	/* points with escapes (\040 for a space) passed over, as in
	 * cgroup2_find_mount() */
	while (!rc && getline(&line, &len, f) > 0) {
		if (!mountinfo_root_point(line, &root, &point) ||
		    sscanf(root, "net:[%lu]", &ino) != 1)
			continue;
		rc = fn(ctx, point, ino, err);
	}
	return rc;
}

/*
 * The same, of the mounts after mount id `after` only (0: all): a change
 * costs the mounts made since the last read, not the whole table (~1 ms
 * at 1000 mounts).  A mount made detached and attached later
 * (open_tree(OPEN_TREE_CLONE) or fsmount(), then move_mount()) keeps the
 * id of when it was made: if a later one was read in between, it waits
 * for the scan of every mount (netns_scan(), once a second).  If
 * listmount() fails, the whole mountinfo is read, now and from then on.
 */
static int scan_mounts_after(struct netns_set *set, uint64_t after,
			     struct error **err)
{
	uint64_t ids[256];
	const char *point = NULL;
	unsigned long ino = 0;
	ssize_t n, i;
	int rc = 0;

	do {
		n = mountlist_after(after, ids, sizeof(ids) / sizeof(ids[0]));
		if (n < 0) {
			engine_log(ENGINE_LOG_DEBUG,
				   "listmount: %s: mount table read whole",
				   strerror(errno));
			set->by_id = false;
			return scan_mountinfo(visit, set, err);
		}
		for (i = 0; i < n && !rc; i++) {
			after = ids[i];
			if (mountlist_netns(ids[i], set->stat_buf, &ino,
					    &point) == 1)
				rc = visit(set, point, ino, err);
		}
	} while (!rc && n == (ssize_t)(sizeof(ids) / sizeof(ids[0])));
	if (after > set->mounts_last)
		set->mounts_last = after;
	return rc;
}

static int scan_mounts(struct netns_set *set, struct error **err)
{
	return set->by_id ? scan_mounts_after(set, 0, err) :
			    scan_mountinfo(visit, set, err);
}

int netns_mounts_fd(const struct netns_set *set)
{
	return set->mounts >= 0 ? set->mounts_wake : -1;
}

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL +
	       (unsigned long long)ts.tv_nsec;
}

int netns_mounted(struct netns_set *set, struct error **err)
{
	struct pollfd p = { .fd = set->mounts, .events = POLLPRI };
	unsigned long long now;
	int rc;

	/* the poll itself takes the change in (proc_mounts' poll_event) */
	if (set->mounts >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLPRI))
		set->mounts_dirty = set->mounts_stale = true;
	if (!set->mounts_dirty)
		return 0;
	if (set->by_id) {
		set->mounts_dirty = false;
		pthread_mutex_lock(&set->lock);
		rc = scan_mounts_after(set, set->mounts_last, err);
		pthread_mutex_unlock(&set->lock);
		return rc;
	}
	/*
	 * The whole table (a kernel before 6.8): read at most once per
	 * NETNS_MOUNTS_GAP_MS, as it costs the kernel ~1 ms at 1000 mounts,
	 * and a container's start makes a burst of them; its namespace's
	 * comes long before its process.
	 */
	now = mono_ns();
	if (now < set->mounts_next)
		return 0;
	set->mounts_dirty = false;
	set->mounts_next = now + NETNS_MOUNTS_GAP_MS * 1000000ULL;
	pthread_mutex_lock(&set->lock);
	rc = scan_mounts(set, err);
	pthread_mutex_unlock(&set->lock);
	return rc;
}

bool netns_mounts_pending(const struct netns_set *set)
{
	return set->mounts_dirty;
}

int netns_scan(struct netns_set *set, struct error **err)
{
	int rc;

	pthread_mutex_lock(&set->lock);
	rc = scan_locked(set, err);
	pthread_mutex_unlock(&set->lock);
	return rc;
}

/* Is the thread told in e's namespace still there? */
static bool thread_in(struct netns_entry *e)
{
	char path[64];
	struct stat st;

	if (!e->tid)
		return false;
	snprintf(path, sizeof(path), "/proc/%u/task/%u/ns/net", e->pid, e->tid);
	if (!stat(path, &st) && st.st_ino == e->ino)
		return true;
	e->pid = e->tid = 0;
	return false;
}

/*
 * Every mount, for the scan: only when a mount came or went since the
 * last time (a poll), else the namespaces found mounted then are still
 * there: an idle scan costs no statmount(2) per mount (~0.3 us each), nor
 * a read of the whole mountinfo (~0.5 ms at 1000 mounts).
 */
static int scan_all_mounts(struct netns_set *set, struct error **err)
{
	struct pollfd p = { .fd = set->mounts, .events = POLLPRI };
	size_t i;
	int rc;

	if (set->mounts < 0 || (poll(&p, 1, 0) == 1 && (p.revents & POLLPRI)))
		set->mounts_dirty = set->mounts_stale = true;
	if (!set->mounts_stale) {
		for (i = 0; i < set->n; i++)
			if (set->entries[i].mounted)
				set->entries[i].gen = set->gen;
		return 0;
	}
	set->mounts_stale = false;
	for (i = 0; i < set->n; i++)
		set->entries[i].mounted = false;
	set->marking = true;
	rc = scan_mounts(set, err);
	set->marking = false;
	if (rc)
		set->mounts_stale = true;
	else /* read whole: nothing left for netns_mounted() */
		set->mounts_dirty = false;
	return rc;
}

static int scan_locked(struct netns_set *set, struct error **err)
{
	size_t i;

	set->gen++;
	if (visit(set, "/proc/self/ns/net", 0, err) ||
	    scan_dir("/run/netns", false, visit, set, err) ||
	    scan_all_mounts(set, err) ||
	    scan_dir("/proc", true, visit, set, err))
		return -1;
	for (i = 0; i < set->n;) {
		if (set->entries[i].gen == set->gen ||
		    thread_in(&set->entries[i])) {
			set->entries[i].gen = set->gen;
			i++;
			continue;
		}
		entry_close(&set->entries[i], set->n_progs);
		if (set->exec)
			netns_exec_known(set->exec, set->entries[i].ino, false);
		set->entries[i] = set->entries[--set->n];
	}
	return 0;
}

/*
 * A note of the exec hook: thread tid of process pid exec'd, was forked,
 * or made an inet socket in namespace ino (after unshare(2) or setns(2)
 * there: a thread's own), where the runner
 * had no socket.  Attached at once, before the new program has loaded; a
 * namespace not entered (the task ended, or left it) is forgotten by the
 * hook, to be told at its next exec, fork or socket there.  A
 * thread's namespace (not its process's) is looked for in that thread at
 * each scan.
 */
static int on_exec(void *ctx, __u32 ino, __u32 pid, __u32 tid)
{
	struct netns_set *set = ctx;
	struct netns_entry *e;
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/proc/%u/task/%u/ns/net", pid, tid);
	pthread_mutex_lock(&set->lock);
	rc = visit(set, path, ino, &set->note_err);
	e = find(set, ino);
	if (e && tid != pid) {
		e->pid = pid;
		e->tid = tid;
	}
	/* under the lock: a scan that attaches meanwhile marks it known
	 * after this */
	if (!e && !rc)
		netns_exec_known(set->exec, ino, false);
	pthread_mutex_unlock(&set->lock);
	if (rc)
		return -1;
	if (!e) {
		engine_log(ENGINE_LOG_INFO,
			   "netns %u: task %u gone or left before it was "
			   "entered: told again at its next exec, fork "
			   "or socket",
			   ino, tid);
		return 0;
	}
	engine_log(ENGINE_LOG_INFO,
		   "netns %u taken in at an exec, fork or socket (pid "
		   "%u, tid %u)",
		   ino, pid, tid);
	return 0;
}

/* An error of the notes thread, for netns_noted(): its first. */
static void note_failed(struct netns_set *set, int errnum, const char *what)
{
	pthread_mutex_lock(&set->lock);
	if (!set->note_err)
		error_set(&set->note_err, errnum, "%s", what);
	pthread_mutex_unlock(&set->lock);
}

/* The notes thread: waits for notes (or stop), takes them in; ends at
 * stop or at its first error. */
static void *notes_main(void *arg)
{
	struct netns_set *set = arg;
	struct pollfd p[2] = {
		{ .fd = netns_exec_fd(set->exec), .events = POLLIN },
		{ .fd = set->stop, .events = POLLIN },
	};
	int rc;

	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR) {
			note_failed(set, errno, "wait for exec notes");
			break;
		}
		if (p[1].revents)
			break;
		rc = netns_exec_consume(set->exec);
		if (rc < 0) {
			/* on_exec()'s error is set already */
			note_failed(set, -rc, "read netns exec notes");
			break;
		}
	}
	return NULL;
}

/* Without the hook, namespaces nobody bind-mounts wait for the scan. */
static void exec_hook_new(struct netns_set *set)
{
	struct error *err = NULL;
	sigset_t all, old;
	int rc;

	if (netns_exec_new(on_exec, set, &set->exec, &err))
		goto fail;
	set->stop = eventfd(0, EFD_CLOEXEC);
	if (set->stop < 0) {
		error_set(&err, errno, "netns exec notes: eventfd");
		goto fail;
	}
	/* signals go to the main thread, whose wait they end */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&set->notes, NULL, notes_main, set);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		error_set(&err, rc, "netns exec notes: thread");
		goto fail;
	}
	return;
fail:
	engine_log(ENGINE_LOG_INFO, "%s: new namespaces wait for scans",
		   error_msg(err));
	error_free(err);
	if (set->stop >= 0)
		close(set->stop);
	set->stop = -1;
	netns_exec_free(set->exec);
	set->exec = NULL;
}

static void exec_hook_free(struct netns_set *set)
{
	__u64 one = 1;

	if (!set->exec)
		return;
	/* an eventfd's write of 1 fails only past 2^64 - 2 */
	if (write(set->stop, &one, sizeof(one)) != sizeof(one))
		engine_log(ENGINE_LOG_NOTICE, "stop netns exec notes: %s",
			   strerror(errno));
	pthread_join(set->notes, NULL);
	close(set->stop);
	netns_exec_free(set->exec);
	set->exec = NULL;
	error_free(set->note_err);
}

int netns_noted(struct netns_set *set, struct error **err)
{
	struct error *e;

	if (!set->exec)
		return 0;
	pthread_mutex_lock(&set->lock);
	e = set->note_err;
	set->note_err = NULL;
	pthread_mutex_unlock(&set->lock);
	if (!e)
		return 0;
	if (err)
		*err = e;
	else
		error_free(e);
	return -1;
}

struct each {
	netns_visit_fn fn;
	void *ctx;
	unsigned long *seen; /* the namespaces told: a few per host */
	size_t n, cap;
};

static bool each_seen(const struct each *w, unsigned long ino)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->seen[i] == ino)
			return true;
	return false;
}

static int each_visit(void *ctx, const char *path, unsigned long want,
		      struct error **err)
{
	struct each *w = ctx;
	cleanup_close int nsfd = -1;
	struct statfs fs;
	struct stat st;

	/* most processes share a namespace told already: no open */
	if (stat(path, &st) < 0 || (want && st.st_ino != want) ||
	    each_seen(w, st.st_ino))
		return 0;
	/* as attach_one(): gone meanwhile, or not a namespace, or another
	 * kind (a mount or UTS namespace bind-mounted in /run/netns), which
	 * the visitor's setns(CLONE_NEWNET) would refuse */
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || fstat(nsfd, &st) < 0 || (want && st.st_ino != want) ||
	    fstatfs(nsfd, &fs) < 0 || fs.f_type != NSFS_MAGIC ||
	    ioctl(nsfd, NS_GET_NSTYPE) != CLONE_NEWNET ||
	    each_seen(w, st.st_ino))
		return 0;
	if (grow_array((void **)&w->seen, &w->cap, w->n + 1, sizeof(*w->seen),
		       32))
		return error_set(err, ENOMEM, "netns");
	w->seen[w->n++] = st.st_ino;
	return w->fn(w->ctx, nsfd, st.st_ino, err);
}

int netns_each(netns_visit_fn fn, void *ctx, struct error **err)
{
	struct each w = { .fn = fn, .ctx = ctx };
	int rc;

	rc = each_visit(&w, "/proc/self/ns/net", 0, err) ||
	     scan_dir("/run/netns", false, each_visit, &w, err) ||
	     scan_mountinfo(each_visit, &w, err) ||
	     scan_dir("/proc", true, each_visit, &w, err);
	free(w.seen);
	return rc ? -1 : 0;
}

int netns_call_in(int nsfd, int (*fn)(void *ctx, struct error **err), void *ctx,
		  struct error **err)
{
	cleanup_close int self =
		open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int rc;

	if (self < 0)
		return error_set(err, errno, "open /proc/thread-self/ns/net");
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return error_set(err, errno, "enter network namespace");
	rc = fn(ctx, err);
	/* stuck in nsfd's namespace, the thread would make its sockets, links
	 * and iterators there from now on: this error wins over fn's, so
	 * that the run ends saying so */
	if (setns(self, CLONE_NEWNET) < 0)
		return error_set(err, errno,
				 "return to own network namespace (the "
				 "thread stays in another)");
	return rc;
}
