/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An object's programs verified two at a time.  libbpf 1.1's
 * bpf_object__load() loads them one after another on the calling thread,
 * the kernel verifying each there, while the other CPU may be idle.
 * Between progpar_arm() and progpar_finish(), the runner's bpf_prog_load(),
 * which libbpf calls through its PLT (like btf__load_vmlinux_btf(),
 * btf_vmlinux.h), hands every program of the object but its largest to a
 * thread of its own and returns a placeholder fd (/dev/null) at once, so
 * that libbpf goes on to the next one meanwhile; progpar_finish() waits for
 * them and moves each program onto its placeholder's fd number (dup3()),
 * the fd libbpf keeps for it.  Each is loaded with the very attributes
 * libbpf passed (copied); libbpf's bpf_prog_bind_map() of .rodata to a
 * placeholder is done once the program is loaded.
 *
 * Loaded as libbpf does, on the calling thread: calls with a verifier log
 * (RUNNER_DEBUG's retry after a failure included), an fd_array, another
 * program to attach to, other names (libbpf's feature probes), other
 * threads' calls; and every program of an object with program arrays
 * (libbpf fills them with the programs' fds before its load returns).
 */
#ifndef RUNNER_ENGINE_PROGPAR_H
#define RUNNER_ENGINE_PROGPAR_H

#include <stdbool.h>
#include <stddef.h>

#include <bpf/libbpf.h>

#include "common/error.h"

struct progpar;

/* Arm this thread for obj's bpf_object__load(); NULL: nothing to hand
 * over (one program, program arrays) or no thread: a plain load. */
struct progpar *progpar_arm(struct bpf_object *obj);
/*
 * Right after bpf_object__load() returned load_rc: disarm, wait for the
 * thread, put the programs on their fds (when load_rc is 0) and free.  -1
 * with err when one of them failed to load (the verifier's log then goes
 * to the engine log, as libbpf's would); load_rc otherwise.
 */
int progpar_finish(struct progpar *p, int load_rc, struct error **err);
/* Programs handed to the thread (for tests). */
size_t progpar_count(const struct progpar *p);

#endif
