// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "runner/engine/bpf/netns_exec.h"
#include "runner/engine/btf_min.h"
#include "runner/engine/host.h"
#include "runner/engine/libbpf_log.h"
#include "runner/engine/log.h"
#include "runner/engine/netns_exec.h"

#include "netns_exec.skel.h"

struct netns_exec {
	struct netns_exec_bpf *skel;
	struct ring_buffer *rb;
	netns_exec_fn fn;
	void *ctx;
};

static int on_note(void *ctx, void *data, size_t size)
{
	struct netns_exec *x = ctx;
	const struct netns_exec_note *n = data;

	if (size < sizeof(*n))
		return 0;
	return x->fn(x->ctx, n->netns, n->pid, n->tid);
}

/* The syscall tracepoints, in the order of their ids below. */
static const char *const tp_names[] = { "sys_exit_unshare", "sys_exit_setns" };
#define N_TPS (sizeof(tp_names) / sizeof(tp_names[0]))

/* Where tracepoint syscalls/name's id is under the tracefs at root. */
static void tp_path(char *buf, size_t size, const char *root, const char *name)
{
	snprintf(buf, size, "%s/events/syscalls/%s/id", root, name);
}

/* The number in file path, or -1 (async-signal-safe: tp_ids()'s child
 * reads it too). */
static long tp_id(const char *path)
{
	char buf[32];
	long id = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		id = id * 10 + (buf[i] - '0');
	return id > 0 ? id : -1;
}

/*
 * The ids of tp_names: from tracefs where it is mounted, else from a
 * tracefs that a child mounts in a mount namespace of its own, seen by
 * nobody (a gadget that needs no tracefs leaves the host's as it was).
 * 0 or -1.
 */
static int tp_ids(long ids[N_TPS])
{
	char paths[N_TPS][128], alt[128];
	long got[N_TPS];
	int fds[2], status;
	size_t i;
	pid_t pid;
	ssize_t n;

	for (i = 0; i < N_TPS; i++)
		tp_path(paths[i], sizeof(paths[i]), HOST_TRACEFS, tp_names[i]);
	for (i = 0; i < N_TPS; i++) {
		tp_path(alt, sizeof(alt), "/sys/kernel/debug/tracing",
			tp_names[i]);
		if ((ids[i] = tp_id(paths[i])) < 0 && (ids[i] = tp_id(alt)) < 0)
			break;
	}
	if (i == N_TPS)
		return 0;
	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		/* async-signal-safe calls only: the runner has threads */
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("tracefs", HOST_TRACEFS, "tracefs", 0, NULL))
			_exit(1);
		for (i = 0; i < N_TPS; i++)
			got[i] = tp_id(paths[i]);
		_exit(write(fds[1], got, sizeof(got)) == sizeof(got) ? 0 : 1);
	}
	close(fds[1]);
	n = pid > 0 ? read(fds[0], ids, sizeof(got)) : -1;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (n != (ssize_t)sizeof(got))
		return -1;
	for (i = 0; i < N_TPS; i++)
		if (ids[i] < 0)
			return -1;
	return 0;
}

/* Attach prog to tracepoint id (as libbpf does, without tracefs). */
static struct bpf_link *attach_tp(struct bpf_program *prog, long id)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT,
					.size = sizeof(attr),
					.config = (__u64)id,
					.sample_period = 1,
					.wakeup_events = 1 };
	struct bpf_link *link;
	int pfd, e;

	pfd = syscall(__NR_perf_event_open, &attr, -1, 0, -1,
		      PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return NULL;
	link = bpf_program__attach_perf_event(prog, pfd);
	if (!link) {
		e = errno;
		close(pfd);
		errno = e;
	}
	return link;
}

/*
 * unshare(2) and setns(2), at their exit (syscall tracepoints): without
 * them, a namespace a task makes or enters waits for its next fork or
 * exec, or for the scan.
 */
static void attach_syscalls(struct netns_exec *x)
{
	struct netns_exec_bpf *s = x->skel;
	long ids[N_TPS];

	if (tp_ids(ids)) {
		engine_log(ENGINE_LOG_INFO,
			   "netns exec hook: unshare and setns not told: no "
			   "tracepoint ids");
		return;
	}
	s->links.netns_unshare = attach_tp(s->progs.netns_unshare, ids[0]);
	if (s->links.netns_unshare)
		s->links.netns_setns = attach_tp(s->progs.netns_setns, ids[1]);
	if (s->links.netns_unshare && s->links.netns_setns)
		return;
	engine_log(ENGINE_LOG_INFO,
		   "netns exec hook: unshare and setns not told: %s",
		   strerror(errno));
	bpf_link__destroy(s->links.netns_unshare);
	s->links.netns_unshare = NULL;
}

int netns_exec_new(netns_exec_fn fn, void *ctx, struct netns_exec **out,
		   struct error **err)
{
	libbpf_print_fn_t old_print = libbpf_set_print(engine_libbpf_print);
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct error *btf_err = NULL;
	struct netns_exec *x;
	char btf_path[64];
	const void *elf;
	size_t len;
	int rc, btf_fd;

	x = calloc(1, sizeof(*x));
	if (!x) {
		error_set(err, ENOMEM, "netns exec hook");
		goto restore_print;
	}
	x->fn = fn;
	x->ctx = ctx;
	/* CO-RE from the kernel's BTF cut down for this object (cached) */
	elf = netns_exec_bpf__elf_bytes(&len);
	btf_fd = btf_min_opts(elf, len, &opts, btf_path, sizeof(btf_path),
			      &btf_err);
	if (btf_fd < 0) {
		engine_log(ENGINE_LOG_INFO, "netns exec hook: %s",
			   error_msg(btf_err));
		error_free(btf_err);
	}
	x->skel = netns_exec_bpf__open_opts(&opts);
	if (x->skel) {
		/* attached below if they can be (tracefs) */
		bpf_program__set_autoattach(x->skel->progs.netns_unshare,
					    false);
		bpf_program__set_autoattach(x->skel->progs.netns_setns, false);
		x->skel->rodata->runner_tgid = (__u32)getpid();
	}
	rc = x->skel ? netns_exec_bpf__load(x->skel) : -errno;
	if (btf_fd >= 0)
		close(btf_fd);
	if (!x->skel || rc) {
		error_set(err, -rc, "load netns exec hook");
		goto free_hook;
	}
	rc = netns_exec_bpf__attach(x->skel);
	if (rc) {
		error_set(err, -rc, "attach netns exec hook");
		goto free_hook;
	}
	attach_syscalls(x);
	x->rb = ring_buffer__new(bpf_map__fd(x->skel->maps.notes), on_note, x,
				 NULL);
	if (!x->rb) {
		error_set(err, errno, "netns exec hook ring buffer");
		goto free_hook;
	}
	libbpf_set_print(old_print);
	*out = x;
	return 0;

free_hook:
	netns_exec_free(x);
restore_print:
	libbpf_set_print(old_print);
	return -1;
}

void netns_exec_free(struct netns_exec *x)
{
	if (!x)
		return;
	ring_buffer__free(x->rb);
	netns_exec_bpf__destroy(x->skel);
	free(x);
}

int netns_exec_fd(const struct netns_exec *x)
{
	return bpf_map__fd(x->skel->maps.notes);
}

int netns_exec_consume(struct netns_exec *x)
{
	int rc = ring_buffer__consume(x->rb);

	return rc < 0 ? rc : 0;
}

void netns_exec_known(struct netns_exec *x, __u32 netns, bool known)
{
	int fd = bpf_map__fd(x->skel->maps.known);
	__u32 one = 1;

	/* a full map: the namespace is left to the scan */
	if (known)
		bpf_map_update_elem(fd, &netns, &one, BPF_ANY);
	else
		bpf_map_delete_elem(fd, &netns);
}
