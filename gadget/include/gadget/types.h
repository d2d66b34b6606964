/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Types whose names carry meaning: the runner decides how to render a field
 * from its typedef or struct name (timestamps to wall clock, ids to names,
 * endpoints to addresses).  Names and layouts are a public contract shared
 * with Inspektor Gadget's gadget API; change nothing here lightly.
 */
#ifndef GADGET_TYPES_H
#define GADGET_TYPES_H

/* bool comes from vmlinux.h, or else from stdbool.h. */
#ifndef __VMLINUX_H__
#include <stdbool.h>
#endif

#ifndef TASK_COMM_LEN
#define TASK_COMM_LEN 16
#endif

/* An IPv4 address (network order, in v4) or an IPv6 address. */
union gadget_ip_addr_t {
	__u8 v6[16];
	unsigned __int128 v6_raw; /* the 16 bytes as one word */
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

/* A kernel stack: the id bpf_get_stackid() gave in ig_kstack. */
typedef __u32 gadget_kernel_stack;

/*
 * A user stack (gadget/user_stack_map.h): its id in ig_ustack and what
 * identifies the executable and the address space it was taken in.  All
 * zero when stacks are not collected.
 */
struct gadget_user_stack {
	__u32 major; /* device of the executable */
	__u32 minor;
	__u64 inode; /* inode of the executable */
	__u64 mtime_sec;
	__u32 mtime_nsec;
	__u32 base_addr_hash; /* FNV-1a of (mm, start_code, start_stack) */
	__u32 stack_id;
	__u32 tgid_level0; /* ids in the initial pid namespace ... */
	__u32 pid_level0;
	__u32 pidns_level0;
	__u32 pid_level1; /* ... and in the next one down, if any */
	__u32 pidns_level1;
	__u64 otel_correlation_id; /* always 0 here */
	__u64 boot_timestamp; /* when the stack was taken */
};

/* Metrics: counters, gauges and histogram slots. */
typedef __u32 gadget_counter__u32;
typedef __u64 gadget_counter__u64;
typedef __u32 gadget_gauge__u32;
typedef __u64 gadget_gauge__u64;
typedef __u32 gadget_histogram_slot__u32;
typedef __u64 gadget_histogram_slot__u64;

/* The process behind an event, as gadget_process_populate() fills it. */
struct gadget_process {
	gadget_comm comm[TASK_COMM_LEN];
	gadget_pid pid;
	gadget_tid tid;
	gadget_mntns_id mntns_id;
	struct gadget_creds creds;
	struct gadget_parent parent;
};

/*
 * What the runner's socket enricher knows about a local socket
 * (gadget/sockets-map.h).  Read with CO-RE: the runner gives the loader
 * this struct's real layout, so fields may move or be left out.
 */
#define GADGET_SE_PATH_MAX 4096

struct gadget_socket_value {
	__u64 mntns;
	__u64 pid_tgid;
	__u64 uid_gid;
	char task[TASK_COMM_LEN];
	char ptask[TASK_COMM_LEN];
	__u64 sock;
	__u64 deletion_timestamp;
	__u32 ppid;
	__u32 ptid;
	char ipv6only;
	char optional_fields_start[0] __attribute__((aligned(8)));
	char cwd[GADGET_SE_PATH_MAX];
	char exepath[GADGET_SE_PATH_MAX];
} __attribute__((preserve_access_index));

#endif /* GADGET_TYPES_H */
