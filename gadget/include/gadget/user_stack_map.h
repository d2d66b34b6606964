/* SPDX-License-Identifier: Apache-2.0 */
/*
 * User stacks.  With the collect_ustack param set, gadget_get_user_stack*()
 * store the current user stack in ig_ustack and fill a struct
 * gadget_user_stack with its id and what identifies the executable (device,
 * inode, mtime) and its address space; otherwise they zero it.
 *
 * gadget_get_user_stack(ctx, ustack) picks the variant from ctx's type
 * (struct pt_regs * or struct bpf_perf_event_data *); tracepoints call
 * gadget_get_user_stack_from_tracepoint().  Needs vmlinux.h.
 */
#ifndef GADGET_USER_STACK_MAP_H
#define GADGET_USER_STACK_MAP_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <gadget/core_fixes.bpf.h>
#include <gadget/fnv1a.h>
#include <gadget/macros.h>
#include <gadget/types.h>

const volatile bool collect_ustack = false;
GADGET_PARAM(collect_ustack);

#define GADGET_USER_MAX_STACK_DEPTH 127
#define GADGET_USER_STACK_MAP_MAX_ENTRIES 10000

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, GADGET_USER_MAX_STACK_DEPTH * sizeof(__u64));
	__uint(max_entries, GADGET_USER_STACK_MAP_MAX_ENTRIES);
} ig_ustack SEC(".maps");

/*
 * inode mtime: a timespec64 i_mtime before 6.7, __i_mtime in 6.7-6.10,
 * i_mtime_sec + i_mtime_nsec since 6.11.
 */
struct inode___gadget_mtime_old {
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

struct inode___gadget_mtime_67 {
	struct timespec64 __i_mtime;
} __attribute__((preserve_access_index));

struct inode___gadget_mtime_611 {
	time64_t i_mtime_sec;
	__u32 i_mtime_nsec;
} __attribute__((preserve_access_index));

static __always_inline void gadget_inode_get_mtime(struct inode *inode,
						   __u64 *sec, __u32 *nsec)
{
	struct inode___gadget_mtime_611 *i611 = (void *)inode;
	struct inode___gadget_mtime_67 *i67 = (void *)inode;
	struct inode___gadget_mtime_old *iold = (void *)inode;

	if (bpf_core_field_exists(i611->i_mtime_sec)) {
		*sec = BPF_CORE_READ(i611, i_mtime_sec);
		*nsec = BPF_CORE_READ(i611, i_mtime_nsec);
	} else if (bpf_core_field_exists(i67->__i_mtime)) {
		*sec = BPF_CORE_READ(i67, __i_mtime.tv_sec);
		*nsec = BPF_CORE_READ(i67, __i_mtime.tv_nsec);
	} else {
		*sec = BPF_CORE_READ(iold, i_mtime.tv_sec);
		*nsec = BPF_CORE_READ(iold, i_mtime.tv_nsec);
	}
}

/* Changes when the address space does (execve, ASLR): mm and its layout. */
static __always_inline __u32 gadget_get_base_addr_hash(struct task_struct *task)
{
	__u32 h = fnv_32a_init();

	fnv_32a_update_u64(&h, (__u64)BPF_CORE_READ(task, mm));
	fnv_32a_update_u64(&h, BPF_CORE_READ(task, mm, start_code));
	fnv_32a_update_u64(&h, BPF_CORE_READ(task, mm, start_stack));
	return h;
}

static __always_inline void
__gadget_fill_user_stack(void *ctx, struct gadget_user_stack *u)
{
	struct task_struct *task;
	struct inode *inode;
	struct pid *tp;
	struct upid *up;
	unsigned int level;
	dev_t dev;

	__builtin_memset(u, 0, sizeof(*u));
	if (!collect_ustack)
		return;
	u->stack_id = bpf_get_stackid(ctx, &ig_ustack,
				      BPF_F_FAST_STACK_CMP | BPF_F_USER_STACK);
	u->boot_timestamp = bpf_ktime_get_boot_ns();
	task = (struct task_struct *)bpf_get_current_task();
	u->tgid_level0 = BPF_CORE_READ(task, tgid);
	tp = BPF_CORE_READ(task, thread_pid);
	level = BPF_CORE_READ(tp, level);
	up = &tp->numbers[0];
	u->pid_level0 = BPF_CORE_READ(up, nr);
	u->pidns_level0 = BPF_CORE_READ(up, ns, ns.inum);
	if (level >= 1) {
		up = &tp->numbers[1];
		u->pid_level1 = BPF_CORE_READ(up, nr);
		u->pidns_level1 = BPF_CORE_READ(up, ns, ns.inum);
	}
	inode = BPF_CORE_READ(task, mm, exe_file, f_inode);
	dev = BPF_CORE_READ(inode, i_sb, s_dev);
	u->major = dev >> 20; /* the kernel's MAJOR()/MINOR() */
	u->minor = dev & ((1U << 20) - 1);
	u->inode = BPF_CORE_READ(inode, i_ino);
	gadget_inode_get_mtime(inode, &u->mtime_sec, &u->mtime_nsec);
	u->base_addr_hash = gadget_get_base_addr_hash(task);
}

static __always_inline void
gadget_get_user_stack_from_tracepoint(void *ctx, struct gadget_user_stack *u)
{
	__gadget_fill_user_stack(ctx, u);
}

static __always_inline void
gadget_get_user_stack_from_kprobe(void *ctx, struct gadget_user_stack *u)
{
	__gadget_fill_user_stack(ctx, u);
}

static __always_inline void
gadget_get_user_stack_from_perf_event(void *ctx, struct gadget_user_stack *u)
{
	__gadget_fill_user_stack(ctx, u);
}

#define gadget_get_user_stack(ctx, ustack)                                 \
	_Generic((ctx), struct bpf_perf_event_data *                       \
		 : gadget_get_user_stack_from_perf_event, struct pt_regs * \
		 : gadget_get_user_stack_from_kprobe)((ctx), (ustack))

#endif /* GADGET_USER_STACK_MAP_H */
