/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel's BTF cut down to what CO-RE may match for one eBPF object,
 * and a per-kernel cache of it on disk: libbpf then resolves the object's
 * relocations against a few kilobytes instead of parsing the kernel's
 * whole BTF (5 MB, tens of milliseconds) at each start.
 */
#ifndef RUNNER_BTF_MIN_H
#define RUNNER_BTF_MIN_H

#include <stddef.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/error.h"
#include "runner/engine/log.h"

/*
 * Every type of kern whose kind and name are those (the essential name, up
 * to "___") of the root type of one of the CO-RE relocations in ext (an
 * object's .BTF.ext; local its .BTF): each with all its members, the types
 * it holds by value copied alike, a pointer as a pointer to a forward
 * declaration of the struct or union it points to (else to void).  When a
 * relocation asks for the kernel's type id of a type, kern's ids are kept
 * instead: the types above as they are, every other one a nameless pointer
 * (12 bytes).  For each relocation CO-RE finds the same candidates,
 * members, offsets and ids as in kern.  NULL with errno on failure: ENOENT
 * when a root type is not in kern (a module's type: libbpf looks for it in
 * the modules' BTF), ENOTSUP for a match through pointers, which only kern
 * itself answers.
 */
struct btf *btf_min_new(const struct btf *local, const void *ext,
			size_t ext_len, const struct btf *kern);

/*
 * The kernel's types needs names, kept at the kernel's ids, with what
 * libbpf compares them with (btf_vmlinux.h): needs is lines of a kind
 * letter, a space and a name: "T btf_trace_<tracepoint>" (a typedef), "F
 * <function>", "V <variable>".  Every other type a nameless pointer, none
 * after the last kept one.  NULL with errno: ENOENT when one is not in kern.
 */
struct btf *btf_min_attach_new(const char *needs, const struct btf *kern);

/* Raw BTF: size bytes at data, in a mapping of a cache file or held by a
 * struct btf. */
struct btf_min_raw {
	const void *data;
	__u32 size;
	void *map; /* the cache file's mapping, map_len bytes, or NULL */
	size_t map_len;
	struct btf *btf; /* what data is the raw data of, or NULL */
};

/*
 * btf_min_attach_new(needs, the running kernel's BTF) as raw BTF in raw,
 * cached as btf_min_fd()'s; -1 with err.
 */
int btf_min_attach_raw(const char *needs, struct btf_min_raw *raw,
		       struct error **err);

/* Unmap or free what raw holds; raw is then empty (size 0). */
void btf_min_raw_release(struct btf_min_raw *raw);

/*
 * A memfd holding btf_min_new(the BTF of the object elf, the running
 * kernel's BTF), read from the cache folder ($RUNNER_CACHE_DIR, default
 * /var/cache/runner) when a file there is for this kernel (its build id,
 * release and BTF size) and this object's BTF and its checksum holds, else
 * made from the kernel's BTF and stored there (atomically; a folder that
 * can not be written only costs the next start the same work).  An object
 * btf_min_new() can not serve is remembered there too.  For
 * bpf_object_open_opts.btf_custom_path (btf_min_open_init()).  -1 with err
 * on failure: the caller lets libbpf read the kernel's BTF itself.
 */
int btf_min_fd(const void *elf, size_t len, struct error **err);

/*
 * A memfd called name holding raw BTF of size bytes, for btf_custom_path
 * as /proc/self/fd/N (btf_min_open_fd()): no file is left behind, however
 * the runner ends.  -1 with err.
 */
int btf_min_memfd(const char *name, const void *raw, size_t size,
		  struct error **err);

/*
 * What opening an eBPF object with CO-RE from btf_min_fd() takes: opts for
 * a skeleton's __open_opts() or bpf_object__open_mem(), their
 * btf_custom_path ("/proc/self/fd/N") in path, and fd, to hold until the
 * object is loaded.
 */
struct btf_min_open {
	struct bpf_object_open_opts opts;
	char path[32];
	int fd; /* or -1: libbpf reads the kernel's BTF itself */
};

/*
 * o for the object elf: btf_min_fd() of it as opts.btf_custom_path, or
 * (told in the engine log at level, as "what: why") default opts and fd -1.
 */
void btf_min_open_init(struct btf_min_open *o, const void *elf, size_t len,
		       enum engine_log_level level, const char *what);

/*
 * o with the BTF in fd (a memfd: btf_min_memfd()) as opts.btf_custom_path
 * (fd -1: libbpf's default), in place of the fd it had, which whoever owns
 * it closes.
 */
void btf_min_open_fd(struct btf_min_open *o, int fd);

/* Close o's fd, once the object is loaded (or will not be). */
void btf_min_open_done(struct btf_min_open *o);

/* The BTF of the object elf as the compiler wrote it (before libbpf's
 * changes: kfuncs in .ksyms), or NULL with errno. */
struct btf *btf_min_object_btf(const void *elf, size_t len);

#endif
