/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Filters on the process behind an event, set by the runner through the
 * targ_* params before load.  User-space terms: pid is the thread group id,
 * tid the thread.  An unset filter (0, GADGET_INVALID_ID, "") keeps all.
 */
#ifndef GADGET_FILTER_H
#define GADGET_FILTER_H

#include <bpf/bpf_helpers.h>
#include <gadget/macros.h>
#include <gadget/types.h>
#include <gadget/mntns_filter.h>
#ifndef GADGET_TYPE_NETWORKING /* socket filters have no current task */
#include <gadget/mntns.h>
#endif

#define GADGET_INVALID_ID ((gadget_uid)-1)

const volatile gadget_pid targ_pid = 0;
GADGET_PARAM(targ_pid);

const volatile gadget_tid targ_tid = 0;
GADGET_PARAM(targ_tid);

const volatile gadget_uid targ_uid = GADGET_INVALID_ID;
GADGET_PARAM(targ_uid);

const volatile gadget_gid targ_gid = GADGET_INVALID_ID;
GADGET_PARAM(targ_gid);

const volatile gadget_comm targ_comm[TASK_COMM_LEN] = {};
GADGET_PARAM(targ_comm);

static __always_inline bool gadget_should_discard_pid(gadget_pid pid)
{
	return targ_pid && targ_pid != pid;
}

static __always_inline bool gadget_should_discard_tid(gadget_tid tid)
{
	return targ_tid && targ_tid != tid;
}

static __always_inline bool gadget_should_discard_uid(gadget_uid uid)
{
	return targ_uid != GADGET_INVALID_ID && targ_uid != uid;
}

static __always_inline bool gadget_should_discard_gid(gadget_gid gid)
{
	return targ_gid != GADGET_INVALID_ID && targ_gid != gid;
}

/* Compares up to the first NUL of targ_comm, like strncmp on comm. */
static __always_inline bool gadget_should_discard_comm(const gadget_comm *comm)
{
	if (!targ_comm[0])
		return false;
	for (int i = 0; i < TASK_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return true;
		if (!comm[i])
			break;
	}
	return false;
}

/* True when any filter is set: events without a known process then go. */
static __always_inline bool gadget_filter_active(void)
{
	return gadget_filter_by_mntns || targ_pid || targ_tid ||
	       targ_uid != GADGET_INVALID_ID || targ_gid != GADGET_INVALID_ID ||
	       targ_comm[0];
}

/* True when an event of this process must not be sent. */
static __always_inline bool
gadget_should_discard_data(gadget_mntns_id mntns_id, gadget_pid pid,
			   gadget_tid tid, const gadget_comm *comm,
			   gadget_uid uid, gadget_gid gid)
{
	return gadget_should_discard_mntns_id(mntns_id) ||
	       gadget_should_discard_pid(pid) ||
	       gadget_should_discard_tid(tid) ||
	       gadget_should_discard_uid(uid) ||
	       gadget_should_discard_gid(gid) ||
	       gadget_should_discard_comm(comm);
}

/* The same for what the socket enricher knows (NULL: unknown socket). */
static __always_inline bool
gadget_should_discard_data_by_skb(const struct gadget_socket_value *v)
{
	if (!v)
		return gadget_filter_active();
	return gadget_should_discard_data(v->mntns, v->pid_tgid >> 32,
					  (__u32)v->pid_tgid, v->task,
					  (__u32)v->uid_gid, v->uid_gid >> 32);
}

#ifndef GADGET_TYPE_NETWORKING
/*
 * The same for the current task, fetching only what a set filter needs
 * (cheap enough for hot hooks when no filter is set).
 */
static __always_inline bool gadget_should_discard_data_current(void)
{
	if (gadget_should_discard_mntns_id(gadget_get_current_mntns_id()))
		return true;

	if (targ_pid || targ_tid) {
		__u64 pid_tgid = bpf_get_current_pid_tgid();

		if (gadget_should_discard_pid(pid_tgid >> 32) ||
		    gadget_should_discard_tid((__u32)pid_tgid))
			return true;
	}

	if (targ_uid != GADGET_INVALID_ID || targ_gid != GADGET_INVALID_ID) {
		__u64 uid_gid = bpf_get_current_uid_gid();

		if (gadget_should_discard_uid((__u32)uid_gid) ||
		    gadget_should_discard_gid(uid_gid >> 32))
			return true;
	}

	if (targ_comm[0]) {
		char comm[TASK_COMM_LEN];

		bpf_get_current_comm(comm, sizeof(comm));
		if (gadget_should_discard_comm(comm))
			return true;
	}

	return false;
}

#endif /* !GADGET_TYPE_NETWORKING */

/* The same for a struct gadget_process (NULL: unknown process). */
static __always_inline bool
gadget_should_discard_process(const struct gadget_process *p)
{
	if (!p)
		return gadget_filter_active();
	return gadget_should_discard_data(p->mntns_id, p->pid, p->tid, p->comm,
					  p->creds.uid, p->creds.gid);
}

#endif /* GADGET_FILTER_H */
