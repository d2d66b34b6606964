/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * The runner's container tracker: the first exec seen in a mount namespace
 * is told to user space with the exec'ing process's cgroup (its names up
 * to CONTAINERS_CGROUP_DEPTH levels), so that a container is known before
 * its first event even when it ends within milliseconds.  The kernel hands
 * a freed namespace inode number to the next namespace at once: a number
 * told before is told again when its namespace instance differs (or, on a
 * kernel without instance ids, its cgroup).
 *
 * Any other exec costs one hash lookup.  The runner takes the records
 * from memory before each event; each wakes whoever waits on the ring
 * (they are rare: one per new namespace), which only a run that acts per
 * container does (tc classifiers, uprobes, the pods' filter): it acts at
 * once, not at its next refresh.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "runner/engine/bpf/containers.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * The mount namespaces told, least recently exec'd in first out.  An entry
 * evicted only makes its namespace be told again at its next exec (one
 * more note, the same answer), so the map needs the namespaces that exec
 * often, not all there ever were.  A node runs a few hundred of them (110
 * pods by default, a few containers each, plus the host's services with
 * private mounts): 4096 is ample.  Each entry is preallocated and touched
 * at map creation (bpf_lru_populate), the dearest part of the runner's
 * start-up in VMs where fresh pages are dear: 16384 took 3.6 ms there.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* mount namespace inode number */
	__type(value, struct containers_seen);
} seen SEC(".maps");

/*
 * Pod selection in the kernel (--k8s-*): the runner lists the network
 * namespaces of the selected pods; the first exec in a new mount namespace
 * inside one of them puts that namespace into the gadget's mount namespace
 * filter (this map, which the gadget's gadget_mntns_filter_map reuses)
 * before the runner hears of the container.  A superset: the runner takes
 * out the containers the selection does not name.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32); /* network namespace inode number */
	__type(value, __u32);
} selected_netns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024); /* as gadget/mntns_filter.h's */
	__type(key, __u64); /* mount namespace inode number */
	__type(value, __u32);
} mntns_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} notes SEC(".maps");

/* kernfs_node.parent became __parent in Linux 6.15. */
struct kernfs_node___new {
	struct kernfs_node *__parent;
} __attribute__((preserve_access_index));

struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

/* The namespace id: ns_common.ns_id in recent kernels (6.18), the
 * per-namespace sequence number mnt_namespace.seq before. */
struct ns_common___id {
	__u64 ns_id;
} __attribute__((preserve_access_index));

struct mnt_namespace___id {
	struct ns_common___id ns;
} __attribute__((preserve_access_index));

struct mnt_namespace___seq {
	__u64 seq;
} __attribute__((preserve_access_index));

/*
 * Reads by BPF_CORE_READ() (bpf_probe_read_kernel(), relocated by
 * CO-RE), not plain loads through the BTF pointer tp_btf hands over: the
 * verifier looks each of those up by name in the kernel's BTF (~10 ms of
 * the runner's start-up), and an exec is rare enough for a helper call.
 * A raw tracepoint, not tp_btf: no attach BTF id, so libbpf resolves the
 * CO-RE reads from a small cached BTF (btf_min.h) and never parses the
 * kernel's whole BTF for this object.
 */
static struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	struct kernfs_node___new *n = (void *)kn;
	struct kernfs_node___old *o = (void *)kn;

	if (bpf_core_field_exists(n->__parent))
		return BPF_CORE_READ(n, __parent);
	if (bpf_core_field_exists(o->parent))
		return BPF_CORE_READ(o, parent);
	return NULL;
}

static __u64 mntns_instance(struct mnt_namespace *ns)
{
	struct mnt_namespace___id *i = (void *)ns;
	struct mnt_namespace___seq *s = (void *)ns;

	if (bpf_core_field_exists(i->ns.ns_id))
		return BPF_CORE_READ(i, ns.ns_id);
	if (bpf_core_field_exists(s->seq))
		return BPF_CORE_READ(s, seq);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *p)
{
	struct containers_seen now, *told;
	struct containers_note *n;
	struct nsproxy *nsp = BPF_CORE_READ(p, nsproxy);
	struct mnt_namespace *ns;
	struct kernfs_node *kn;
	struct net *net;
	__u64 mntns;
	__u32 i;

	if (!nsp)
		return 0; /* exiting */
	ns = BPF_CORE_READ(nsp, mnt_ns);
	if (!ns)
		return 0;
	mntns = BPF_CORE_READ(ns, ns.inum);
	now.mntns_instance = mntns_instance(ns);
	told = bpf_map_lookup_elem(&seen, &mntns);
	if (told && now.mntns_instance &&
	    told->mntns_instance == now.mntns_instance)
		return 0; /* the common case: told already */
	now.cgroup_id = bpf_get_current_cgroup_id();
	if (told && !now.mntns_instance && told->cgroup_id == now.cgroup_id)
		return 0; /* told already, as far as a kernel without ids tells */

	net = BPF_CORE_READ(nsp, net_ns);
	if (net) {
		__u32 netns = BPF_CORE_READ(net, ns.inum), one = 1;

		if (bpf_map_lookup_elem(&selected_netns, &netns))
			bpf_map_update_elem(&mntns_filter, &mntns, &one,
					    BPF_ANY);
	}
	n = bpf_ringbuf_reserve(&notes, sizeof(*n), 0);
	if (!n)
		return 0; /* not marked as told: the next exec tries again */
	bpf_map_update_elem(&seen, &mntns, &now, BPF_ANY);
	n->mntns = mntns;
	n->mntns_instance = now.mntns_instance;
	n->cgroup_id = now.cgroup_id;
	n->boot_ns = bpf_ktime_get_boot_ns();
	n->pid = BPF_CORE_READ(p, tgid);
	kn = BPF_CORE_READ(p, cgroups, dfl_cgrp, kn);
	for (i = 0; i < CONTAINERS_CGROUP_DEPTH && kn; i++) {
		if (bpf_probe_read_kernel_str(n->names[i], CONTAINERS_NAME_LEN,
					      BPF_CORE_READ(kn, name)) < 0)
			n->names[i][0] = '\0';
		kn = kn_parent(kn);
	}
	n->depth = i;
	bpf_ringbuf_submit(n, BPF_RB_FORCE_WAKEUP);
	return 0;
}
