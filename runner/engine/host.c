// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "runner/engine/host.h"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* libbpf 1.1 prefers debugfs's tracing/ when it exists, else tracefs. */
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"

static bool is_fs(const char *path, unsigned long magic)
{
	struct statfs st;

	return !statfs(path, &st) && (unsigned long)st.f_type == magic;
}

static bool has_cap(const __u32 eff[2], int cap)
{
	return eff[cap / 32] & (1u << (cap % 32));
}

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int n = CAP_BPF;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = CAP_BPF;
		fclose(f);
	}
	return n;
}

int host_check_caps(const struct host_needs *needs, struct error **err)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { 0 };
	static const struct {
		int cap;
		const char *name;
	} caps[] = {
		{ CAP_BPF, "CAP_BPF" },
		{ CAP_PERFMON, "CAP_PERFMON" },
		{ CAP_NET_RAW, "CAP_NET_RAW" },
		{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
	};
	char missing[96] = "";
	__u32 eff[2];
	bool modern = last_cap() >= CAP_BPF;
	size_t i;

	if (syscall(SYS_capget, &hdr, data))
		return error_set(err, errno, "read capabilities");
	eff[0] = data[0].effective;
	eff[1] = data[1].effective;
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int c = caps[i].cap;

		if (c == CAP_NET_RAW && !needs->net_raw)
			continue;
		if ((c == CAP_BPF || c == CAP_PERFMON) && !modern)
			continue;
		if (has_cap(eff, c))
			continue;
		if (*missing)
			strcat(missing, ", ");
		strcat(missing, caps[i].name);
	}
	if (!*missing)
		return 0;
	return error_set(err, 0,
			 "missing privileges: %s (run as root, e.g. with sudo)",
			 missing);
}

int host_check_kprobes(const struct host_needs *needs, struct error **err)
{
	if (!needs->kprobe ||
	    !access("/sys/bus/event_source/devices/kprobe/type", F_OK) ||
	    !access(HOST_TRACEFS "/kprobe_events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/kprobe_events", F_OK))
		return 0;
	return error_set(err, 0,
			 "this kernel has no kprobes (no kprobe PMU, no "
			 "kprobe_events: CONFIG_KPROBE_EVENTS is off), which "
			 "program %s (%s) needs",
			 needs->kprobe_prog, needs->kprobe);
}

int host_check_proc(struct error **err)
{
	struct statfs st;

	if (!statfs("/proc/self/fd", &st) && st.f_type == PROC_SUPER_MAGIC)
		return 0;
	return error_set(err, 0,
			 "/proc is not mounted (the runner reads processes, "
			 "namespaces and its own descriptors there): "
			 "mount -t proc proc /proc");
}

int host_check_btf(struct error **err)
{
	struct btf *btf;
	int e;

	if (!access(HOST_BTF, R_OK))
		return 0;
	e = errno;
	/* libbpf also looks in /boot and /lib/modules: ask it (rare) */
	btf = btf__load_vmlinux_btf();
	if (!libbpf_get_error(btf)) {
		btf__free(btf);
		return 0;
	}
	return error_set(err, 0,
			 "the kernel's BTF is missing (%s: %s): the runner "
			 "needs a kernel built with CONFIG_DEBUG_INFO_BTF=y",
			 HOST_BTF, strerror(e));
}

/* Mount a file system of type (name: how the user calls it) on path
 * unless one with magic is there (or at alt); the error names the fix. */
static int ensure_fs(const char *name, const char *type, const char *path,
		     unsigned long magic, const char *alt, bool *mounted,
		     struct error **err)
{
	*mounted = false;
	if (is_fs(path, magic) || (alt && is_fs(alt, magic)))
		return 0;
	if (mount(type, path, type, 0, NULL))
		return error_set(err, 0,
				 "%s is not mounted on %s and mounting it "
				 "failed: %s; as root, run: mount -t %s %s %s",
				 name, path, strerror(errno), type, type, path);
	*mounted = true;
	return 0;
}

int host_ensure_tracefs(bool *mounted, struct error **err)
{
	return ensure_fs("tracefs", "tracefs", HOST_TRACEFS, TRACEFS_MAGIC,
			 DEBUGFS_TRACING, mounted, err);
}

int host_ensure_bpffs(bool *mounted, struct error **err)
{
	return ensure_fs("bpffs", "bpf", HOST_BPFFS, BPF_FS_MAGIC, NULL,
			 mounted, err);
}
