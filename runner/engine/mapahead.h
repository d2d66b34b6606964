/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An opened eBPF object's maps made ahead of bpf_object__load(), on a
 * thread of their own: creating a map is kernel work (a preallocated hash
 * touches every element; fresh pages are dear in some VMs), which can then
 * overlap the runner's own work before the load.
 *
 * Only maps whose definition is final when the object is opened, which
 * libbpf would make with one plain BPF_MAP_CREATE, are made ahead: the
 * same type, sizes, flags, name, NUMA node and BTF key/value type ids
 * (against a copy of the object's BTF loaded for them), so that the kernel
 * map is the one libbpf would make.  Left to libbpf: its internal maps
 * (.rodata, .data, ...), ring and perf buffers (their size is set later),
 * maps of maps, program arrays, pinned or offloaded maps, names the kernel
 * would cut (over 15 characters), the runner's API maps ("gadget_" names,
 * which it may share with its own objects), and values with fields the
 * verifier reads from BTF (spin locks, timers, kptrs, ...).  A map that
 * fails to be made, or whose definition changed meanwhile, is left to
 * libbpf too, which then says why if it fails again.
 */
#ifndef RUNNER_ENGINE_MAPAHEAD_H
#define RUNNER_ENGINE_MAPAHEAD_H

#include <stdbool.h>

#include <bpf/libbpf.h>

struct mapahead;

/* Start making obj's maps; NULL when none is to be made (or no thread).
 * obj's maps are read here only, not on the thread. */
struct mapahead *mapahead_start(struct bpf_object *obj);
/* Wait for the thread and give libbpf the maps made (bpf_map__reuse_fd());
 * call it right before bpf_object__load(). */
void mapahead_finish(struct mapahead *ma, struct bpf_object *obj);
/* Whether map name was made ahead and given to libbpf (for tests). */
bool mapahead_made(const struct mapahead *ma, const char *name);
/* Wait for the thread if still running, close what is left, free. */
void mapahead_free(struct mapahead *ma);

#endif
