// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "runner/engine/btf_min.h"
#include "runner/engine/containers_tracker.h"
#include "runner/engine/log.h"
#include "runner/engine/libbpf_log.h"

#include "containers.skel.h"

struct containers_tracker {
	struct containers_bpf *skel;
	struct ring_buffer *rb;
	containers_note_fn fn;
	containers_later_fn later; /* NULL: every note past until waits */
	void *ctx;
	__u64 until; /* containers_tracker_consume(): notes up to this */
	/* the first note past until, taken from the ring (holding) */
	struct containers_note held;
	bool holding;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct containers_tracker *t = ctx;
	const struct containers_note *n = data;

	if (size < sizeof(struct containers_note))
		return 0;
	if (n->boot_ns > t->until && (!t->later || t->later(t->ctx, n))) {
		/* libbpf has taken it from the ring: kept for later */
		t->held = *n;
		t->holding = true;
		return -EAGAIN; /* and those after it left in the ring */
	}
	t->fn(t->ctx, n);
	return 0;
}

int containers_tracker_new(containers_note_fn fn, void *ctx,
			   struct containers_tracker **out, struct error **err)
{
	libbpf_print_fn_t old_print = libbpf_set_print(engine_libbpf_print);
	struct containers_tracker *t;
	struct btf_min_open btf;
	const void *elf;
	size_t len;
	int rc;

	t = calloc(1, sizeof(*t));
	if (!t) {
		error_set(err, ENOMEM, "exec tracker");
		goto restore_print;
	}
	t->fn = fn;
	t->ctx = ctx;
	/* CO-RE from the kernel's BTF cut down for this object (cached):
	 * the hook is a raw tracepoint, so nothing else needs the kernel's
	 * whole BTF parsed. */
	elf = containers_bpf__elf_bytes(&len);
	btf_min_open_init(&btf, elf, len, ENGINE_LOG_INFO, "exec tracker");
	t->skel = containers_bpf__open_opts(&btf.opts);
	rc = t->skel ? containers_bpf__load(t->skel) : -errno;
	btf_min_open_done(&btf);
	if (!t->skel) {
		error_set(err, -rc, "open exec tracker");
		goto free_tracker;
	}
	if (rc) {
		error_set(err, -rc, "load exec tracker");
		goto free_tracker;
	}
	rc = containers_bpf__attach(t->skel);
	if (rc) {
		error_set(err, -rc, "attach exec tracker");
		goto free_tracker;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.notes), on_record, t,
				 NULL);
	if (!t->rb) {
		error_set(err, errno, "exec tracker ring buffer");
		goto free_tracker;
	}
	libbpf_set_print(old_print);
	*out = t;
	return 0;

free_tracker:
	containers_tracker_free(t);
restore_print:
	libbpf_set_print(old_print);
	return -1;
}

void containers_tracker_filter_fds(const struct containers_tracker *t,
				   int *mntns_fd, int *netns_fd)
{
	*mntns_fd = bpf_map__fd(t->skel->maps.mntns_filter);
	*netns_fd = bpf_map__fd(t->skel->maps.selected_netns);
}

int containers_tracker_notes_fd(const struct containers_tracker *t)
{
	return bpf_map__fd(t->skel->maps.notes);
}

void containers_tracker_free(struct containers_tracker *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	containers_bpf__destroy(t->skel);
	free(t);
}

void containers_tracker_set_later(struct containers_tracker *t,
				  containers_later_fn later)
{
	t->later = later;
}

bool containers_tracker_holding(const struct containers_tracker *t)
{
	return t->holding;
}

int containers_tracker_take_held(struct containers_tracker *t, __u64 mntns,
				 __u32 pid)
{
	if (!t->holding || t->held.mntns != mntns || t->held.pid != pid)
		return 0;
	t->holding = false;
	t->fn(t->ctx, &t->held);
	return 1;
}

int containers_tracker_consume(struct containers_tracker *t)
{
	return containers_tracker_consume_until(t, UINT64_MAX);
}

int containers_tracker_consume_until(struct containers_tracker *t, __u64 until)
{
	int rc, n = 0;

	/* later() kept it when it was taken (asked once, not again for
	 * each event read meanwhile): it waits for until to pass it */
	if (t->holding) {
		if (t->held.boot_ns > until)
			return 0;
		n += containers_tracker_take_held(t, t->held.mntns,
						  t->held.pid);
	}
	t->until = until;
	rc = ring_buffer__consume(t->rb);
	return rc == -EAGAIN ? n : rc < 0 ? rc : rc + n;
}
