// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot_process: one record per process (thread-group leader) at the
 * moment the gadget runs, written by a task iterator.  A snapshot, not a
 * stream: the runner reads the iterator once, prints, and exits.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include <gadget/common.h>
#include <gadget/filter.h>
#include <gadget/macros.h>
#include <gadget/types.h>

struct process_entry {
	struct gadget_process proc;
	__u32 threads;
	__u32 pad;
	gadget_bytes rss_pages;
};

GADGET_SNAPSHOTTER(processes, process_entry, snapshot_processes);

SEC("iter/task")
int snapshot_processes(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct process_entry e = {};
	struct mm_struct *mm;

	if (!task || task->pid != task->tgid)
		return 0;
	gadget_process_populate_task(&e.proc, task);
	if (gadget_should_discard_process(&e.proc))
		return 0;
	e.threads = BPF_CORE_READ(task, signal, nr_threads);
	mm = BPF_CORE_READ(task, mm);
	if (mm)
		e.rss_pages = BPF_CORE_READ(mm, hiwater_rss);
	bpf_seq_write(ctx->meta->seq, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
