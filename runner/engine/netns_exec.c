// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "runner/engine/bpf/netns_exec.h"
#include "runner/engine/btf_min.h"
#include "runner/engine/cgroup2.h"
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

/*
 * The creation of inet sockets, on the cgroup v2 root (every task of the
 * runner's cgroup namespace): without it, a namespace a task makes or
 * enters itself waits for its next fork or exec, or for the scan.
 */
static void attach_sock_create(struct netns_exec *x)
{
	struct netns_exec_bpf *s = x->skel;
	struct error *e = NULL;
	int fd;

	fd = cgroup2_root_fd(&e);
	if (fd < 0) {
		engine_log(ENGINE_LOG_INFO,
			   "netns exec hook: sockets not told: %s",
			   error_msg(e));
		error_free(e);
		return;
	}
	s->links.netns_sock =
		bpf_program__attach_cgroup(s->progs.netns_sock, fd);
	if (!s->links.netns_sock)
		engine_log(ENGINE_LOG_INFO,
			   "netns exec hook: sockets not told: %s",
			   strerror(errno));
}

int netns_exec_new(netns_exec_fn fn, void *ctx, struct netns_exec **out,
		   struct error **err)
{
	libbpf_print_fn_t old_print = libbpf_set_print(engine_libbpf_print);
	struct btf_min_open btf;
	struct netns_exec *x;
	const void *elf;
	size_t len;
	int rc;

	x = calloc(1, sizeof(*x));
	if (!x) {
		error_set(err, ENOMEM, "netns exec hook");
		goto restore_print;
	}
	x->fn = fn;
	x->ctx = ctx;
	/* CO-RE from the kernel's BTF cut down for this object (cached) */
	elf = netns_exec_bpf__elf_bytes(&len);
	btf_min_open_init(&btf, elf, len, ENGINE_LOG_INFO, "netns exec hook");
	x->skel = netns_exec_bpf__open_opts(&btf.opts);
	if (x->skel) {
		/* attached below, to the cgroup root */
		bpf_program__set_autoattach(x->skel->progs.netns_sock, false);
		x->skel->rodata->runner_tgid = (__u32)getpid();
	}
	rc = x->skel ? netns_exec_bpf__load(x->skel) : -errno;
	btf_min_open_done(&btf);
	if (!x->skel || rc) {
		error_set(err, -rc, "load netns exec hook");
		goto free_hook;
	}
	rc = netns_exec_bpf__attach(x->skel);
	if (rc) {
		error_set(err, -rc, "attach netns exec hook");
		goto free_hook;
	}
	attach_sock_create(x);
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
