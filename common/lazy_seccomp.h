/* SPDX-License-Identifier: Apache-2.0 */
/* libseccomp, loaded on first use (common/lazylib.h): its functions the
 * project calls (syscall names, for gadget_syscall fields only).  Include
 * this instead of the library's headers. */
#ifndef COMMON_LAZY_SECCOMP_H
#define COMMON_LAZY_SECCOMP_H

#include <seccomp.h>

#include "common/lazylib.h"

extern struct lazylib lazy_seccomp;

#define seccomp_arch_native LAZYLIB_FN(lazy_seccomp, seccomp_arch_native)
#define seccomp_syscall_resolve_num_arch \
	LAZYLIB_FN(lazy_seccomp, seccomp_syscall_resolve_num_arch)

#endif
