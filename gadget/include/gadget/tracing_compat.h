/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What newer <bpf/bpf_tracing.h> offers and libbpf 1.1 (Debian 12) lacks:
 * the sixth argument of a function or syscall (libbpf 1.2 added the
 * PT_REGS_PARM6* family), BPF_UPROBE()/BPF_URETPROBE(), and (with clang
 * 14) bpf_core_type_matches().  Defined only where missing.
 */
#ifndef GADGET_TRACING_COMPAT_H
#define GADGET_TRACING_COMPAT_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

/*
 * clang 14 has no BPF_TYPE_MATCHES relocation (LLVM 15 added it) and
 * aborts on it.  There, a type "matches" when it exists: right for the
 * kernels whose BTF has the newer shape gadgets test for.
 */
#if defined(__clang_major__) && __clang_major__ < 15
#undef bpf_core_type_matches
#define bpf_core_type_matches(type) bpf_core_type_exists(type)
#endif

#if defined(bpf_target_x86)
#define __GADGET_PT_PARM6_REG r9
#elif defined(bpf_target_arm64)
#define __GADGET_PT_PARM6_REG regs[5]
#endif

#ifdef __GADGET_PT_PARM6_REG
#ifndef PT_REGS_PARM6
#define PT_REGS_PARM6(x) (__PT_REGS_CAST(x)->__GADGET_PT_PARM6_REG)
#endif
#ifndef PT_REGS_PARM6_CORE
#define PT_REGS_PARM6_CORE(x) \
	BPF_CORE_READ(__PT_REGS_CAST(x), __GADGET_PT_PARM6_REG)
#endif
/* The syscall ABI passes the sixth argument where functions do. */
#ifndef PT_REGS_PARM6_SYSCALL
#define PT_REGS_PARM6_SYSCALL(x) PT_REGS_PARM6(x)
#endif
#ifndef PT_REGS_PARM6_CORE_SYSCALL
#define PT_REGS_PARM6_CORE_SYSCALL(x) PT_REGS_PARM6_CORE(x)
#endif
#endif

/* BPF_KPROBE() with a sixth argument (libbpf 1.1 stops at five). */
#if defined(__GADGET_PT_PARM6_REG) && !defined(___bpf_kprobe_args6)
#define ___bpf_kprobe_args6(x, args...) \
	___bpf_kprobe_args5(args), (void *)PT_REGS_PARM6(ctx)
#endif

/* libbpf 1.2 named the uprobe forms of BPF_KPROBE()/BPF_KRETPROBE(). */
#ifndef BPF_UPROBE
#define BPF_UPROBE(name, args...) BPF_KPROBE(name, ##args)
#endif
#ifndef BPF_URETPROBE
#define BPF_URETPROBE(name, args...) BPF_KRETPROBE(name, ##args)
#endif

#endif /* GADGET_TRACING_COMPAT_H */
