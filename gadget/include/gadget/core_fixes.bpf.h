/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading kernel structures that changed between releases, with CO-RE:
 * each helper checks which layout the running kernel has (through
 * "___flavor" structs that name only the fields in question) and reads
 * that one.  Needs vmlinux.h.
 */
#ifndef GADGET_CORE_FIXES_BPF_H
#define GADGET_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <gadget/tracing_compat.h>

/*
 * Make the verifier reject the program if this call is reachable, with
 * the message libbpf gives for an unguarded failed CO-RE relocation
 * ("invalid func unknown#195896080", 0xbad2310).  For branches that no
 * supported kernel takes.
 */
static void (*bpf_core_unreachable)(void) = (void *)0xbad2310;

/* task_struct::state became __state in 5.14 (2f064a59a1). */
struct task_struct___gadget_pre514 {
	volatile long state;
} __attribute__((preserve_access_index));

struct task_struct___gadget_514 {
	unsigned int __state;
} __attribute__((preserve_access_index));

static __always_inline __s64 get_task_state(void *task)
{
	struct task_struct___gadget_514 *t = task;

	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___gadget_pre514 *)task, state);
}

/* bio::bi_disk was replaced by bi_bdev->bd_disk in 5.12 (309dca309fc3). */
struct bio___gadget_pre512 {
	struct gendisk *bi_disk;
} __attribute__((preserve_access_index));

struct bio___gadget_512 {
	struct block_device *bi_bdev;
} __attribute__((preserve_access_index));

static __always_inline struct gendisk *get_gendisk(void *bio)
{
	struct bio___gadget_512 *b = bio;

	if (bpf_core_field_exists(b->bi_bdev))
		return BPF_CORE_READ(b, bi_bdev, bd_disk);
	return BPF_CORE_READ((struct bio___gadget_pre512 *)bio, bi_disk);
}

/*
 * block_rq_complete's event struct is trace_event_raw_block_rq_completion
 * since 5.17 (d5869fdc189f, which added block_rq_error).
 */
struct trace_event_raw_block_rq_completion___gadget {
	dev_t dev;
} __attribute__((preserve_access_index));

static __always_inline bool has_block_rq_completion(void)
{
	return bpf_core_type_exists(
		struct trace_event_raw_block_rq_completion___gadget);
}

/* request::rq_disk went away in 5.17 (f3fa33acca9f): use q->disk. */
struct request_queue___gadget {
	struct gendisk *disk;
} __attribute__((preserve_access_index));

struct request___gadget {
	struct request_queue___gadget *q;
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

static __always_inline struct gendisk *get_disk(void *request)
{
	struct request___gadget *r = request;

	if (bpf_core_field_exists(r->rq_disk))
		return BPF_CORE_READ(r, rq_disk);
	return BPF_CORE_READ(r, q, disk);
}

/*
 * renamedata::old_mnt_userns came with idmapped mounts in 5.12
 * (6521f8917082), together with a first user_namespace argument to
 * vfs_create()/vfs_unlink().
 */
struct renamedata___gadget {
	struct user_namespace *old_mnt_userns;
} __attribute__((preserve_access_index));

static __always_inline bool renamedata_has_old_mnt_userns_field(void)
{
	return bpf_core_field_exists(struct renamedata___gadget,
				     old_mnt_userns);
}

/* kmem tracepoints: kfree and kmem_cache_free have their own events since
 * 6.0 (3544de8ee6e4). */
struct trace_event_raw_kfree___gadget {
	const void *ptr;
} __attribute__((preserve_access_index));

struct trace_event_raw_kmem_cache_free___gadget {
	const void *ptr;
} __attribute__((preserve_access_index));

static __always_inline bool has_kfree(void)
{
	return bpf_core_type_exists(struct trace_event_raw_kfree___gadget);
}

static __always_inline bool has_kmem_cache_free(void)
{
	return bpf_core_type_exists(
		struct trace_event_raw_kmem_cache_free___gadget);
}

/*
 * tcp:tcp_retransmit_skb has its own event struct (with an err field) on
 * kernels that carry "tcp: trace retransmit failures"; older ones share
 * trace_event_raw_tcp_event_sk_skb.  Both start with the same pointers.
 */
struct trace_event_raw_tcp_retransmit_skb___gadget {
	const void *skbaddr;
	const void *skaddr;
} __attribute__((preserve_access_index));

struct trace_event_raw_tcp_event_sk_skb___gadget {
	const void *skbaddr;
	const void *skaddr;
} __attribute__((preserve_access_index));

static __always_inline const struct sk_buff *
gadget_get_tcp_retransmit_skb_skbaddr(void *ctx)
{
	if (bpf_core_type_exists(
		    struct trace_event_raw_tcp_retransmit_skb___gadget))
		return BPF_CORE_READ(
			(struct trace_event_raw_tcp_retransmit_skb___gadget *)
				ctx,
			skbaddr);
	return BPF_CORE_READ(
		(struct trace_event_raw_tcp_event_sk_skb___gadget *)ctx,
		skbaddr);
}

static __always_inline const struct sock *
gadget_get_tcp_retransmit_skb_skaddr(void *ctx)
{
	if (bpf_core_type_exists(
		    struct trace_event_raw_tcp_retransmit_skb___gadget))
		return BPF_CORE_READ(
			(struct trace_event_raw_tcp_retransmit_skb___gadget *)
				ctx,
			skaddr);
	return BPF_CORE_READ(
		(struct trace_event_raw_tcp_event_sk_skb___gadget *)ctx,
		skaddr);
}

/*
 * inode ctime: i_ctime (timespec64) before 6.6, __i_ctime in 6.6-6.10,
 * i_ctime_sec + i_ctime_nsec since 6.11; since 6.13 the top bit of the
 * nanoseconds is a flag (I_CTIME_QUERIED), not time.
 */
struct inode___gadget_pre66 {
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));

struct inode___gadget_66 {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

struct inode___gadget_611 {
	time64_t i_ctime_sec;
	__u32 i_ctime_nsec;
} __attribute__((preserve_access_index));

#define __GADGET_CTIME_NSEC_MASK 0x7fffffffU

static __always_inline __u64 gadget_get_ctime_nanosec_from_inode(void *inode)
{
	struct inode___gadget_611 *i611 = inode;
	struct inode___gadget_66 *i66 = inode;
	struct inode___gadget_pre66 *iold = inode;
	__s64 sec;
	__u32 nsec;

	if (bpf_core_field_exists(i611->i_ctime_sec)) {
		sec = BPF_CORE_READ(i611, i_ctime_sec);
		nsec = BPF_CORE_READ(i611, i_ctime_nsec);
	} else if (bpf_core_field_exists(i66->__i_ctime)) {
		sec = BPF_CORE_READ(i66, __i_ctime.tv_sec);
		nsec = BPF_CORE_READ(i66, __i_ctime.tv_nsec);
	} else {
		sec = BPF_CORE_READ(iold, i_ctime.tv_sec);
		nsec = BPF_CORE_READ(iold, i_ctime.tv_nsec);
	}
	if (sec < 0)
		return 0;
	return (__u64)sec * 1000000000ULL + (nsec & __GADGET_CTIME_NSEC_MASK);
}

/* The syscall number and arguments (1 to 6) saved in a syscall's pt_regs. */
struct pt_regs___gadget_x86 {
	unsigned long orig_ax;
} __attribute__((preserve_access_index));

struct pt_regs___gadget_arm64 {
	__s32 syscallno;
} __attribute__((preserve_access_index));

static __always_inline long gadget_get_syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return BPF_CORE_READ((struct pt_regs___gadget_x86 *)regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	return BPF_CORE_READ((struct pt_regs___gadget_arm64 *)regs, syscallno);
#else
	return -1;
#endif
}

static __always_inline unsigned long
gadget_get_syscall_arg(struct pt_regs *regs, unsigned int n)
{
	switch (n) {
	case 1:
		return PT_REGS_PARM1_CORE_SYSCALL(regs);
	case 2:
		return PT_REGS_PARM2_CORE_SYSCALL(regs);
	case 3:
		return PT_REGS_PARM3_CORE_SYSCALL(regs);
	case 4:
		return PT_REGS_PARM4_CORE_SYSCALL(regs);
	case 5:
		return PT_REGS_PARM5_CORE_SYSCALL(regs);
	case 6:
		return PT_REGS_PARM6_CORE_SYSCALL(regs);
	}
	return 0;
}

#endif /* GADGET_CORE_FIXES_BPF_H */
