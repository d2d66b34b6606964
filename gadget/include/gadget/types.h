/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Types whose names carry meaning: the runner decides how to render a field
 * from its typedef or struct name (timestamps to wall clock, ids to names,
 * endpoints to addresses).  Names and layouts are a public contract shared
 * with Inspektor Gadget's gadget API; change nothing here lightly.
 */
#ifndef GADGET_TYPES_H
#define GADGET_TYPES_H

#ifndef TASK_COMM_LEN
#define TASK_COMM_LEN 16
#endif

/* An IPv4 address (network order, in v4) or an IPv6 address. */
union gadget_ip_addr_t {
	__u8 v6[16];
	__u32 v4;
};

/* An address; version is 4 or 6, 0 for "none". */
struct gadget_l3endpoint_t {
	union gadget_ip_addr_t addr_raw;
	__u8 version;
};

/* An address with a port (host order) and an IP protocol number. */
struct gadget_l4endpoint_t {
	union gadget_ip_addr_t addr_raw;
	__u16 port;
	__u16 proto_raw;
	__u8 version;
};

/* Namespace inode numbers. */
typedef __u64 gadget_mntns_id;
typedef __u32 gadget_netns_id;

/* Nanoseconds since boot (bpf_ktime_get_boot_ns), shown as wall clock. */
typedef __u64 gadget_timestamp;

/* Numbers that the runner also shows by name. */
typedef __u32 gadget_signal;
typedef __u32 gadget_errno;
typedef __u64 gadget_syscall;
typedef __u32 gadget_uid;
typedef __u32 gadget_gid;

/* Process identity, user-space terms: pid is the tgid, tid the task. */
typedef __u32 gadget_pid;
typedef __u32 gadget_ppid;
typedef __u32 gadget_tid;
typedef __u32 gadget_ptid;
typedef char gadget_comm;
typedef char gadget_pcomm;

/* Quantities: a byte count and a duration in nanoseconds. */
typedef __u64 gadget_bytes;
typedef __u64 gadget_duration;

/* open(2) mode and flags, shown symbolically. */
typedef __u32 gadget_file_mode;
typedef __u32 gadget_file_flags;

struct gadget_creds {
	gadget_uid uid;
	gadget_gid gid;
};

struct gadget_parent {
	gadget_pcomm comm[TASK_COMM_LEN];
	gadget_ppid pid;
	gadget_ptid tid;
};

/* The process behind an event, as gadget_process_populate() fills it. */
struct gadget_process {
	gadget_comm comm[TASK_COMM_LEN];
	gadget_pid pid;
	gadget_tid tid;
	gadget_mntns_id mntns_id;
	struct gadget_creds creds;
	struct gadget_parent parent;
};

#endif /* GADGET_TYPES_H */
