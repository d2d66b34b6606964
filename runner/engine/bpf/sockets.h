/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * The runner's socket enricher, shared by its BPF side and user space:
 * the key of ig's gadget_sockets map and the value the enricher writes.
 * The value has the always-present fields of ig's struct
 * gadget_socket_value; gadgets read it with CO-RE, and the runner gives
 * the loader this layout (runner/engine/services.c), so its optional fields (cwd,
 * exepath) read as absent.
 */
#ifndef RUNNER_BPF_SOCKETS_H
#define RUNNER_BPF_SOCKETS_H

#define SOCKETS_COMM_LEN 16
#define SOCKETS_MAX 16384

struct sockets_key {
	__u32 netns;
	__u16 family;
	__u8 proto;
	__u8 pad;
	__u16 port; /* local, host order */
	__u16 pad2;
};

struct sockets_value {
	__u64 mntns;
	__u64 pid_tgid;
	__u64 uid_gid;
	char task[SOCKETS_COMM_LEN];
	char ptask[SOCKETS_COMM_LEN];
	__u64 sock;
	__u64 deletion_timestamp;
	__u32 ppid;
	__u32 ptid;
	char ipv6only;
	char pad[7];
};

#endif
