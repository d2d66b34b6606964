// SPDX-License-Identifier: GPL-2.0
/*
 * trace_exec: every successful execve, with the new command line.
 * Built on the sched_process_exec tracepoint, so it runs on kernels
 * without kprobes.  Proves the runner is generic: nothing here is DNS.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include <gadget/buffer.h>
#include <gadget/common.h>
#include <gadget/filter.h>
#include <gadget/macros.h>
#include <gadget/types.h>

#define ARGS_LEN 256

struct event {
	gadget_timestamp timestamp_raw;
	struct gadget_process proc;
	__u32 args_count;
	__u32 args_size;
	char args[ARGS_LEN];
};

const volatile bool ignore_failed = true;
GADGET_PARAM(ignore_failed);

GADGET_TRACER_MAP(events, 1024 * 256);
GADGET_TRACER(exec, events, event);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event);
} scratch SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int sched_process_exec(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	unsigned long start, end;
	__u32 zero = 0, i, n;
	struct event *e;

	if (gadget_should_discard_data_current())
		return 0;
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	e->timestamp_raw = bpf_ktime_get_boot_ns();
	gadget_process_populate(&e->proc);
	start = BPF_CORE_READ(task, mm, arg_start);
	end = BPF_CORE_READ(task, mm, arg_end);
	n = end - start;
	if (n >= ARGS_LEN)
		n = ARGS_LEN - 1;
	e->args_size = end - start;
	e->args_count = 0;
	__builtin_memset(e->args, 0, sizeof(e->args));
	if (bpf_probe_read_user(e->args, n & (ARGS_LEN - 1), (void *)start))
		e->args[0] = '\0';
	/* arguments are NUL-separated: show them space-separated */
	for (i = 0; i < ARGS_LEN - 1; i++) {
		if (i >= n)
			break;
		if (e->args[i] == '\0') {
			e->args_count++;
			if (i + 1 < n)
				e->args[i] = ' ';
		}
	}
	gadget_output_buf(ctx, &events, e, sizeof(*e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
