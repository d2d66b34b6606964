/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vmlinux.h for an arm64 object built on another CPU: the host's types
 * (relocated by CO-RE at load like any other) with arm64's own register
 * structs in place of the host's pt_regs.  `runner image build` puts this
 * folder first on the include path for arm64 when the host is not arm64.
 */
#ifndef GADGET_FOREIGN_VMLINUX_H
#define GADGET_FOREIGN_VMLINUX_H

#define pt_regs __gadget_host_pt_regs
#include_next <vmlinux.h>
#undef pt_regs

struct user_pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
} __attribute__((preserve_access_index));

struct pt_regs {
	union {
		struct user_pt_regs user_regs;
		struct {
			__u64 regs[31];
			__u64 sp;
			__u64 pc;
			__u64 pstate;
		};
	};
	__u64 orig_x0;
	__s32 syscallno;
	__u32 pmr;
} __attribute__((preserve_access_index));

#endif /* GADGET_FOREIGN_VMLINUX_H */
