/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Syscall numbers of this CPU architecture by name, as Inspektor Gadget's
 * formatter shows a gadget_syscall: "SYS_" and the name in upper case
 * ("SYS_OPENAT").  The names are libseccomp's
 * (seccomp_syscall_resolve_num_arch() for the native architecture), read
 * once on first use; nothing is allocated per event.
 */
#ifndef RUNNER_SYSCALL_NAMES_H
#define RUNNER_SYSCALL_NAMES_H

#include <linux/types.h>

/* Numbers at or above this are not looked up (no architecture here has
 * syscalls that high: x86_64 and arm64 stay below 500). */
#define SYSCALL_NAMES_MAX 1024
/* Bytes a shown name takes at most, without its NUL. */
#define SYSCALL_NAME_MAX 40

/* "SYS_<NAME>" of syscall nr of the native architecture, or NULL for a
 * number libseccomp does not know. */
const char *syscall_name(__u64 nr);

#endif
