/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbpf 1.1 parses the kernel's whole BTF (5 MB, ~10 ms) to load an object
 * with tp_btf, iter, fentry/fexit or lsm programs or kfuncs, only to look
 * up a few names' type ids, even when CO-RE reads another BTF
 * (btf_custom_path).  The runner defines btf__load_vmlinux_btf() itself,
 * which libbpf calls through its PLT: while armed, it returns the kernel's
 * BTF cut down to those names, at the kernel's ids (btf_min.h, cached);
 * else, and if that fails, libbpf's own.
 */
#ifndef RUNNER_BTF_VMLINUX_H
#define RUNNER_BTF_VMLINUX_H

#include <bpf/libbpf.h>

#include "common/error.h"

struct btf_vmlinux_ahead;

/*
 * What loading obj (opened from elf, len bytes) looks up in the kernel's
 * BTF by name (malloc'd text, btf_min_attach_new()'s needs; "" for
 * nothing), or NULL with err when it needs what this can not tell.
 */
char *btf_vmlinux_needs(struct bpf_object *obj, const void *elf, size_t len,
			struct error **err);

/*
 * Until btf_vmlinux_disarm(), this thread's btf__load_vmlinux_btf() returns
 * the kernel's BTF cut down to needs (btf_vmlinux_needs() of an object
 * opened with a btf_custom_path: CO-RE does not read it); -1 with err.
 */
int btf_vmlinux_arm(const char *needs, struct error **err);

void btf_vmlinux_disarm(void);

/*
 * The same cut-down BTF read and parsed ahead, on a thread of its own (the
 * parse is most of its cost: ~60k placeholder types up to the last one
 * kept); NULL when there is nothing to read or no thread.  Give it to
 * btf_vmlinux_arm_ahead() on the thread that loads, which then hands libbpf
 * that parsed BTF; btf_vmlinux_ahead_free() after (or instead).
 */
struct btf_vmlinux_ahead *btf_vmlinux_ahead_start(const char *needs);
/* btf_vmlinux_arm(needs) with what ahead read and parsed (joined here);
 * as btf_vmlinux_arm() if ahead is NULL or failed. */
int btf_vmlinux_arm_ahead(const char *needs, struct btf_vmlinux_ahead *ahead,
			  struct error **err);
void btf_vmlinux_ahead_free(struct btf_vmlinux_ahead *ahead);

#endif
