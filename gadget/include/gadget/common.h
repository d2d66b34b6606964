/* SPDX-License-Identifier: Apache-2.0 */
/* Filling struct gadget_process from the current task or a given one. */
#ifndef GADGET_COMMON_H
#define GADGET_COMMON_H

#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <gadget/types.h>
#include <gadget/mntns.h>

/* Everything but comm and the ids of task itself (shared by both forms). */
static __always_inline void __gadget_process_fill_rest(struct gadget_process *p,
						       struct task_struct *task)
{
	struct task_struct *parent;

	p->mntns_id = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	parent = BPF_CORE_READ(task, real_parent);
	if (!parent) {
		p->parent.comm[0] = '\0';
		p->parent.pid = 0;
		p->parent.tid = 0;
		return;
	}
	BPF_CORE_READ_STR_INTO(&p->parent.comm, parent, comm);
	p->parent.pid = BPF_CORE_READ(parent, tgid);
	p->parent.tid = BPF_CORE_READ(parent, pid);
}

/* The current task: comm, pid/tid, mount namespace, uid/gid, parent. */
static __always_inline void gadget_process_populate(struct gadget_process *p)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	bpf_get_current_comm(p->comm, sizeof(p->comm));
	p->pid = pid_tgid >> 32;
	p->tid = (__u32)pid_tgid;
	p->creds.uid = (__u32)uid_gid;
	p->creds.gid = uid_gid >> 32;
	__gadget_process_fill_rest(p, task);
}

/*
 * Any task (e.g. from an iterator): the same fields, uid/gid from its
 * credentials as seen from the initial user namespace.
 */
static __always_inline void
gadget_process_populate_task(struct gadget_process *p, struct task_struct *task)
{
	BPF_CORE_READ_STR_INTO(&p->comm, task, comm);
	p->pid = BPF_CORE_READ(task, tgid);
	p->tid = BPF_CORE_READ(task, pid);
	p->creds.uid = BPF_CORE_READ(task, cred, uid.val);
	p->creds.gid = BPF_CORE_READ(task, cred, gid.val);
	__gadget_process_fill_rest(p, task);
}

#endif /* GADGET_COMMON_H */
