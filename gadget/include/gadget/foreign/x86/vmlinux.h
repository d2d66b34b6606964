/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vmlinux.h for an x86-64 object built on another CPU: the host's types
 * with x86-64's pt_regs in place of the host's (see ../arm64/vmlinux.h).
 */
#ifndef GADGET_FOREIGN_VMLINUX_H
#define GADGET_FOREIGN_VMLINUX_H

#define pt_regs __gadget_host_pt_regs
#include_next <vmlinux.h>
#undef pt_regs

struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx;
	unsigned long r11, r10, r9, r8, ax, cx, dx, si, di;
	unsigned long orig_ax;
	unsigned long ip, cs, flags, sp, ss;
} __attribute__((preserve_access_index));

#endif /* GADGET_FOREIGN_VMLINUX_H */
