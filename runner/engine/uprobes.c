// SPDX-License-Identifier: Apache-2.0
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/thread.h"
#include "runner/engine/bpf/uprobe_maps.h"
#include "runner/engine/btf_min.h"
#include "runner/engine/libbpf_log.h"
#include "runner/engine/loaded.h"
#include "runner/engine/log.h"
#include "runner/engine/uprobes.h"
#include "runner/engine/uprobes_procs.h"

#include "uprobe_maps.skel.h"

#if defined(__x86_64__)
#define LIB_MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define LIB_MULTIARCH "aarch64-linux-gnu"
#else
#define LIB_MULTIARCH "."
#endif

/* processes walked again after a walk (then, past it, all of them) */
#define UPROBES_REWALK 64

_Static_assert(UPROBES_MAX_FILES <= 64, "a process's files are a __u64 mask");

struct uprobe_prog {
	struct bpf_program *p;
	const char *func;
	bool ret;
	int lib; /* index in libs */
};

/* A file attached: the host's library (pinned) or one a process mapped. */
struct ufile {
	struct uprobe_maps_file key;
	bool used;
	bool pinned; /* the host's: stays to the end */
	bool sticky; /* a process not followed maps it: stays too */
	int lib;
	__u32 n_procs; /* processes followed that map it */
	struct bpf_link **links; /* n_progs of them, NULL where none */
};

struct uprobes {
	struct uprobe_prog progs[UPROBES_MAX_PROGS];
	size_t n_progs;
	char libs[UPROBE_MAPS_LIBS][UPROBE_MAPS_LIB_LEN];
	size_t n_libs;
	struct ufile files[UPROBES_MAX_FILES];
	struct bpf_link **links; /* UPROBES_MAX_FILES * n_progs */
	struct uprocs procs; /* the processes followed */
	bool told_full, told_procs, told_selected;
	bool selective; /* only the mount namespaces uprobes_select() says */
	bool host; /* the host's libraries attached beside a selection */
	bool rescan; /* one was selected since the last walk */
	/* the loaders whose _dl_debug_state() is probed (by_loader) */
	struct uprobe_maps_file loader_keys[UPROBE_MAPS_LOADERS];
	struct bpf_link *loader_links[UPROBE_MAPS_LOADERS];
	size_t n_loaders;
	bool by_loader; /* the loaders' probe tells, not the hook on mmap */
	bool in_walk; /* seed() reads its iterator */
	/* the processes the walk told of a loader not probed when it saw
	 * them: walked again after it (all of them past the bound) */
	__u32 rewalk[UPROBES_REWALK];
	size_t n_rewalk;
	struct uprobe_maps_bpf *skel;
	struct bpf_program *seed; /* the walk's iterator */
	struct ring_buffer *rb;
	pthread_t thread;
	int stop; /* eventfd: the thread ends */
	int walk; /* eventfd: the thread walks (uprobes_rescan()) */
	pthread_mutex_t lock; /* the notes thread's, uprobes_rescan()'s */
};

/* "uprobe/libc:malloc": a library named without a path (ig resolves it,
 * libbpf 1.1 does not). */
bool uprobes_by_library(const char *sec)
{
	const char *target = strchr(sec, '/');

	if (strncmp(sec, "uprobe/", 7) && strncmp(sec, "uretprobe/", 10))
		return false;
	return target && target[1] != '/' && strchr(target, ':');
}

/* Is path an ELF shared object (not a linker script, such as the
 * libc.so of libc6-dev)? */
static bool shared_object(const char *path)
{
	unsigned char h[18]; /* e_ident, e_type: the same in ELF32 and 64 */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok;
	__u16 type;

	if (fd < 0)
		return false;
	ok = read(fd, h, sizeof(h)) == sizeof(h) && !memcmp(h, ELFMAG, SELFMAG);
	close(fd);
	if (!ok)
		return false; /* h not (all) read */
	memcpy(&type, h + 16, sizeof(type));
	return type == ET_DYN;
}

/*
 * Order of the versions after "<lib>.so" ("", ".6", ".1.1", ".6x"), the
 * order ldconfig sorts the names of ld.so.cache by: a run of digits
 * against another by its number, against any other byte after it; other
 * bytes by value; a version that starts the other first.
 */
static int version_cmp(const char *a, const char *b)
{
	static const char digits[] = "0123456789";

	while (*a || *b) {
		bool da = *a >= '0' && *a <= '9', db = *b >= '0' && *b <= '9';

		if (da && db) {
			size_t la, lb;
			int c;

			a += strspn(a, "0"); /* by number, of any length */
			b += strspn(b, "0");
			la = strspn(a, digits);
			lb = strspn(b, digits);
			if (la != lb)
				return la < lb ? -1 : 1;
			c = memcmp(a, b, la);
			if (c)
				return c < 0 ? -1 : 1;
			a += la;
			b += lb;
		} else if (da != db) {
			return da ? 1 : -1;
		} else if (*a != *b) {
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		} else {
			a++;
			b++;
		}
	}
	return 0;
}

int uprobes_find_library(const char *const *dirs, size_t n_dirs,
			 const char *lib, char *out, size_t len)
{
	size_t n = strlen(lib);

	for (size_t i = 0; i < n_dirs; i++) {
		DIR *d = opendir(dirs[i]);
		char best[NAME_MAX + 1] = "", path[PATH_MAX];
		struct dirent *e;

		if (!d)
			continue;
		while ((e = readdir(d))) {
			const char *v = e->d_name + n + 3;

			if (strncmp(e->d_name, lib, n) ||
			    strncmp(e->d_name + n, ".so", 3) ||
			    (*v && *v != '.') ||
			    (best[0] && version_cmp(v, best + n + 3) <= 0) ||
			    snprintf(path, sizeof(path), "%s/%s", dirs[i],
				     e->d_name) >= (int)sizeof(path) ||
			    !shared_object(path))
				continue;
			snprintf(best, sizeof(best), "%s", e->d_name);
		}
		closedir(d);
		if (best[0])
			return snprintf(out, len, "%s/%s", dirs[i], best) <
					       (int)len ?
				       0 :
				       -1;
	}
	return -1;
}

/* The file of library lib ("libc", "libssl") in the host's usual
 * folders, as the dynamic loader would take it. */
static int find_library(const char *lib, char *out, size_t len)
{
	static const char *const dirs[] = {
		"/lib/" LIB_MULTIARCH,
		"/usr/lib/" LIB_MULTIARCH,
		"/lib64",
		"/usr/lib64",
		"/lib",
		"/usr/lib",
		"/usr/local/lib",
	};

	return uprobes_find_library(dirs, sizeof(dirs) / sizeof(dirs[0]), lib,
				    out, len);
}

/* The gadget's uprobes named by library, and the names. */
static int collect(struct uprobes *u, struct bpf_object *obj,
		   struct error **err)
{
	struct bpf_program *p;

	for_each_loaded_program (p, obj) {
		const char *sec = bpf_program__section_name(p);
		const char *target, *colon;
		struct uprobe_prog *up;
		size_t n, i;

		if (!uprobes_by_library(sec))
			continue;
		target = strchr(sec, '/') + 1;
		colon = strchr(target, ':');
		n = colon - target;
		if (u->n_progs == UPROBES_MAX_PROGS)
			return error_set(err, 0, "more than %d uprobe programs",
					 UPROBES_MAX_PROGS);
		if (n >= UPROBE_MAPS_LIB_LEN)
			return error_set(err, 0,
					 "%s: a library name of %d bytes at "
					 "most",
					 sec, UPROBE_MAPS_LIB_LEN - 1);
		for (i = 0; i < u->n_libs; i++)
			if (!strncmp(u->libs[i], target, n) && !u->libs[i][n])
				break;
		if (i == u->n_libs) {
			if (u->n_libs == UPROBE_MAPS_LIBS)
				return error_set(
					err, 0,
					"uprobes on more than %d libraries",
					UPROBE_MAPS_LIBS);
			memcpy(u->libs[i], target, n);
			u->n_libs++;
		}
		up = &u->progs[u->n_progs++];
		up->p = p;
		up->func = colon + 1;
		up->ret = !strncmp(sec, "uretprobe/", 10);
		up->lib = i;
	}
	return 0;
}

/* The kernel's dev_t of a stat's st_dev (MKDEV: 20 bits of minor). */
static __u32 kernel_dev(dev_t d)
{
	return (__u32)(major(d) << 20 | minor(d));
}

/*
 * Attach the programs of f's library to path; a symbol the file does not
 * have leaves that program out (as ig).  Returns the links made, or -1
 * with err.
 */
static int attach_file(struct uprobes *u, struct ufile *f, const char *path,
		       struct error **err)
{
	int made = 0;

	for (size_t i = 0; i < u->n_progs; i++) {
		struct uprobe_prog *up = &u->progs[i];
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = up->func,
			    .retprobe = up->ret);

		if (up->lib != f->lib)
			continue;
		f->links[i] = bpf_program__attach_uprobe_opts(up->p, -1, path,
							      0, &opts);
		if (f->links[i]) {
			made++;
			continue;
		}
		if (errno == ENOENT) /* this build has no such symbol */
			continue;
		return error_set(err, errno, "attach %s (%s in %s)",
				 bpf_program__name(up->p),
				 bpf_program__section_name(up->p), path);
	}
	return made;
}

static void detach_file(struct uprobes *u, struct ufile *f)
{
	for (size_t i = u->n_progs; i > 0; i--) {
		bpf_link__destroy(f->links[i - 1]);
		f->links[i - 1] = NULL;
	}
	f->used = f->pinned = f->sticky = false;
	f->n_procs = 0;
}

static struct ufile *file_of(struct uprobes *u,
			     const struct uprobe_maps_file *key)
{
	for (size_t i = 0; i < UPROBES_MAX_FILES; i++)
		if (u->files[i].used && u->files[i].key.ino == key->ino &&
		    u->files[i].key.dev == key->dev)
			return &u->files[i];
	return NULL;
}

static struct ufile *free_file(struct uprobes *u)
{
	for (size_t i = 0; i < UPROBES_MAX_FILES; i++)
		if (!u->files[i].used)
			return &u->files[i];
	return NULL;
}

/* The host's libraries, attached at start as before: pinned, and quiet
 * in the hook (no process of theirs is told). */
static int attach_host(struct uprobes *u, struct error **err)
{
	for (size_t l = 0; l < u->n_libs; l++) {
		char path[PATH_MAX];
		struct ufile *f;
		struct stat st;

		/* a library the host lacks: only where processes map it */
		if (find_library(u->libs[l], path, sizeof(path)) ||
		    stat(path, &st))
			continue;
		f = free_file(u);
		f->key.ino = st.st_ino;
		f->key.dev = kernel_dev(st.st_dev);
		if (file_of(u, &f->key)) /* two names of one file */
			continue;
		f->used = f->pinned = true;
		f->lib = l;
		if (attach_file(u, f, path, err) < 0)
			return -1;
	}
	return 0;
}

/* A process past the bound maps files (bits): they stay to the end. */
static void not_followed(struct uprobes *u, __u64 files)
{
	if (!u->told_procs)
		engine_log(ENGINE_LOG_NOTICE,
			   "uprobes: %d processes followed, the most: the "
			   "files of others stay attached to the end",
			   UPROBE_MAPS_PROCS);
	u->told_procs = true;
	for (size_t i = 0; i < UPROBES_MAX_FILES; i++)
		if (files & 1ULL << i)
			u->files[i].sticky = true;
}

int uprobes_open_mapping(__u32 tgid, __u64 start, __u64 end, __u64 ino,
			 __u32 dev)
{
	char path[64];
	struct statfs fs;
	struct stat st;
	int fd;

	/* the file mapped, whatever its path in which root */
	snprintf(path, sizeof(path), "/proc/%u/map_files/%llx-%llx", tgid,
		 (unsigned long long)start, (unsigned long long)end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || fstatfs(fd, &fs) < 0)
		goto other;
	/* a file of an overlay (a container's) is the overlay's here (Linux
	 * 6.8+: map_files gives the path the process used): its device is
	 * not that of the file below, which the hook names, nor, once copied
	 * up, its inode number (the lower file's): taken unchecked */
	if (fs.f_type == OVERLAYFS_SUPER_MAGIC)
		return fd;
	/* btrfs tells a subvolume's device, not its superblock's */
	if (st.st_ino == ino &&
	    (kernel_dev(st.st_dev) == dev || fs.f_type == BTRFS_SUPER_MAGIC))
		return fd;
other:
	close(fd);
	return -1;
}

/* A process mapped a file of a wanted library: attach the file unless it
 * is, and count the process. */
static int on_map(struct uprobes *u, const struct uprobe_maps_note *n)
{
	struct ufile *f = file_of(u, &n->file);
	struct error *err = NULL;
	struct uproc *p;
	char path[64];
	int fd, made;

	if (n->lib >= u->n_libs)
		return 0;
	if (!f) {
		f = free_file(u);
		if (!f) {
			if (!u->told_full)
				engine_log(ENGINE_LOG_NOTICE,
					   "uprobes: %d files attached, the "
					   "most: %s of pid %u (inode %llu) "
					   "not traced (nor, untold, others "
					   "while the bound is reached)",
					   UPROBES_MAX_FILES, u->libs[n->lib],
					   n->tgid,
					   (unsigned long long)n->file.ino);
			u->told_full = true;
			return 0;
		}
		fd = uprobes_open_mapping(n->tgid, n->start, n->end,
					  n->file.ino, n->file.dev);
		if (fd < 0)
			return 0; /* gone already, or another file there now */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		f->key = n->file;
		f->lib = n->lib;
		f->used = true;
		made = attach_file(u, f, path, &err);
		close(fd);
		if (made < 0) {
			engine_log(ENGINE_LOG_INFO, "uprobes: %s of pid %u: %s",
				   u->libs[n->lib], n->tgid, error_msg(err));
			error_free(err);
		} else {
			engine_log(ENGINE_LOG_INFO,
				   "uprobes: %s of pid %u (inode %llu): %d "
				   "attached",
				   u->libs[n->lib], n->tgid,
				   (unsigned long long)n->file.ino, made);
		}
	}
	if (n->untracked) {
		f->sticky = true;
		return 0;
	}
	p = uprocs_slot(&u->procs, n->tgid);
	if (!p->tgid && !uprocs_add(&u->procs, p, n->tgid)) {
		not_followed(u, 1ULL << (f - u->files));
		return 0;
	}
	if (!(p->files & 1ULL << (f - u->files))) {
		p->files |= 1ULL << (f - u->files);
		f->n_procs++;
	}
	return 0;
}

/* A process followed exited or exec'd: files no process maps go. */
static void on_gone(struct uprobes *u, __u32 tgid)
{
	struct uproc *p = uprocs_slot(&u->procs, tgid);

	if (!p->tgid)
		return;
	for (size_t i = 0; i < UPROBES_MAX_FILES; i++) {
		struct ufile *f = &u->files[i];

		if (!(p->files & 1ULL << i) || --f->n_procs || f->pinned ||
		    f->sticky)
			continue;
		engine_log(ENGINE_LOG_INFO,
			   "uprobes: %s (inode %llu) detached: its last "
			   "process went",
			   u->libs[f->lib], (unsigned long long)f->key.ino);
		detach_file(u, f);
	}
	uprocs_remove(&u->procs, p);
}

/* A process followed forked: the child maps what it maps. */
static void on_fork(struct uprobes *u, const struct uprobe_maps_note *n)
{
	struct uproc *p = uprocs_slot(&u->procs, n->ptgid), *c;
	__u64 files;

	if (!p->tgid)
		return; /* not followed here (past the bound) */
	files = p->files;
	/* a pid reused whose exit was not told (a full ring): gone now */
	if (uprocs_slot(&u->procs, n->tgid)->tgid)
		on_gone(u, n->tgid);
	c = uprocs_slot(&u->procs, n->tgid);
	if (n->untracked || !uprocs_add(&u->procs, c, n->tgid)) {
		not_followed(u, files);
		return;
	}
	c->files = files;
	for (size_t i = 0; i < UPROBES_MAX_FILES; i++)
		u->files[i].n_procs += !!(files & 1ULL << i);
}

static int seed(struct uprobes *u, __u32 tgid, struct error **err);

/*
 * Where a loader's r_state lies from its _dl_debug_state(), the probe's
 * cookie: glibc's _r_debug, a struct r_debug (r_version, r_map, r_brk,
 * r_state), in the loader's dynamic symbols.  0 for a loader without it
 * (musl's keeps its own) or a file not read: its probe walks
 * at every call.
 */
static __u64 r_state_off(const char *path)
{
	GElf_Addr func = 0, state = 0;
	Elf_Scn *scn = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *e;

	if (fd < 0)
		return 0;
	e = elf_version(EV_CURRENT) == EV_NONE ?
		    NULL :
		    elf_begin(fd, ELF_C_READ_MMAP, NULL);
	while (e && (scn = elf_nextscn(e, scn))) {
		/* r_state after an int and two pointers */
		size_t off = gelf_getclass(e) == ELFCLASS32 ? 12 : 24;
		Elf_Data *d = elf_getdata(scn, NULL);
		GElf_Shdr sh;
		GElf_Sym sym;

		if (!d || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM ||
		    !sh.sh_entsize)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			const char *name;

			if (!gelf_getsym(d, (int)i, &sym) || !sym.st_value ||
			    !(name = elf_strptr(e, sh.sh_link, sym.st_name)))
				continue;
			if (!strcmp(name, "_dl_debug_state"))
				func = sym.st_value;
			else if (!strcmp(name, "_r_debug") &&
				 sym.st_size >= off + sizeof(int))
				state = sym.st_value + off;
		}
	}
	elf_end(e);
	close(fd);
	return func && state ? (__u64)state - func : 0;
}

/*
 * Probe _dl_debug_state() of loader file, open at path, and tell the hook
 * it is probed.  A loader without that function (or past the bound) is
 * given up: the libraries its processes map are not traced.
 */
static void probe_loader(struct uprobes *u, const struct uprobe_maps_file *file,
			 const char *path)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = "_dl_debug_state");
	__u32 done = UPROBE_MAPS_LOADER_DONE;
	struct bpf_link *l = NULL;

	if (u->n_loaders < UPROBE_MAPS_LOADERS) {
		opts.bpf_cookie = r_state_off(path);
		l = bpf_program__attach_uprobe_opts(
			u->skel->progs.uprobe_loader, -1, path, 0, &opts);
		if (!l)
			engine_log(ENGINE_LOG_INFO,
				   "uprobes: loader (inode %llu): probe "
				   "_dl_debug_state: %s: the libraries its "
				   "processes map are not traced",
				   (unsigned long long)file->ino,
				   strerror(errno));
		u->loader_keys[u->n_loaders] = *file;
		u->loader_links[u->n_loaders++] = l;
	}
	bpf_map_update_elem(bpf_map__fd(u->skel->maps.loaders), file, &done,
			    BPF_ANY);
}

static void unprobe_loaders(struct uprobes *u)
{
	for (; u->n_loaders > 0; u->n_loaders--)
		bpf_link__destroy(u->loader_links[u->n_loaders - 1]);
}

/* The process's mappings, after its loader was probed. */
static void walk_process(struct uprobes *u, __u32 tgid)
{
	struct error *err = NULL;

	if (seed(u, tgid, &err) && error_errnum(err) != ENOENT)
		engine_log(ENGINE_LOG_INFO, "uprobes: mappings of pid %u: %s",
			   tgid, error_msg(err));
	error_free(err);
}

/*
 * A process runs a loader not probed yet: probe it, then take in what
 * the process mapped before.  Told again for another process that ran it
 * before the hook knew it probed: walked too.  During a walk, the
 * process is walked again after it (what it mapped since the walk saw
 * it, before the probe, is told by neither).
 */
static void on_loader(struct uprobes *u, const struct uprobe_maps_note *n)
{
	char path[64];
	size_t i;
	int fd;

	for (i = 0; i < u->n_loaders; i++)
		if (u->loader_keys[i].ino == n->file.ino &&
		    u->loader_keys[i].dev == n->file.dev)
			break;
	if (i == u->n_loaders) {
		fd = uprobes_open_mapping(n->tgid, n->start, n->end,
					  n->file.ino, n->file.dev);
		if (fd < 0)
			return; /* its next process tells again */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		probe_loader(u, &n->file, path);
		close(fd);
	}
	if (!u->in_walk)
		walk_process(u, n->tgid);
	else if (u->n_rewalk++ < UPROBES_REWALK)
		u->rewalk[u->n_rewalk - 1] = n->tgid;
}

static int on_note(void *ctx, void *data, size_t size)
{
	struct uprobes *u = ctx;
	struct uprobe_maps_note n;

	if (size < sizeof(n))
		return 0;
	memcpy(&n, data, sizeof(n));
	if (n.kind == UPROBE_MAPS_MAP)
		return on_map(u, &n);
	if (n.kind == UPROBE_MAPS_GONE)
		on_gone(u, n.tgid);
	if (n.kind == UPROBE_MAPS_FORK)
		on_fork(u, &n);
	if (n.kind == UPROBE_MAPS_LOADER)
		on_loader(u, &n);
	return 0;
}

/* The mappings there before (of process tgid, or all): the iterator's
 * records. */
static int seed(struct uprobes *u, __u32 tgid, struct error **err)
{
	union bpf_iter_link_info info = { .task.pid = tgid };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info,
		    .link_info_len = sizeof(info));
	struct bpf_link *l =
		bpf_program__attach_iter(u->seed, tgid ? &opts : NULL);
	struct uprobe_maps_note buf[256];
	size_t have = 0;
	ssize_t n;
	int fd;

	if (!l)
		return error_set(err, errno, "attach iterator");
	fd = bpf_iter_create(bpf_link__fd(l));
	if (fd < 0) {
		bpf_link__destroy(l);
		return error_set(err, -fd, "create iterator");
	}
	u->in_walk = true;
	while ((n = read(fd, (char *)buf + have, sizeof(buf) - have)) > 0) {
		size_t i;

		have += n;
		for (i = 0; (i + 1) * sizeof(buf[0]) <= have; i++)
			on_note(u, &buf[i], sizeof(buf[i]));
		memmove(buf, (char *)buf + i * sizeof(buf[0]),
			have - i * sizeof(buf[0]));
		have -= i * sizeof(buf[0]);
	}
	u->in_walk = false;
	close(fd);
	bpf_link__destroy(l);
	return n < 0 ? error_set(err, errno, "read iterator") : 0;
}

/*
 * Every process's mappings; then again those of the processes whose
 * loader was not probed yet when the walk saw them (every process's,
 * past the bound).  The second whole walk needs no such list: every
 * loader the first told is probed before it, and one it tells is of a
 * process that exec'd since the hook was attached, whose exec note,
 * taken after the walk, walks it again (on_loader()); or of one selected
 * since, which asks for another walk.
 */
static int seed_all(struct uprobes *u, struct error **err)
{
	size_t n;

	u->n_rewalk = 0;
	if (seed(u, 0, err))
		return -1;
	n = u->n_rewalk;
	if (n > UPROBES_REWALK)
		return seed(u, 0, err);
	for (size_t i = 0; i < n; i++)
		walk_process(u, u->rewalk[i]);
	return 0;
}

/*
 * The mappings already there of the mount namespaces selected: the
 * seed's walk, on the notes thread (or the caller's, holding the lock).
 * What the hook tells meanwhile is taken after it, in order: a process
 * that maps a file during the walk is told twice, and counted once
 * (on_map()); one that exits after the walk saw it is told gone after.
 */
static void walk(struct uprobes *u)
{
	struct error *err = NULL;

	engine_step("uprobes walk begun");
	if (seed_all(u, &err)) {
		engine_log(ENGINE_LOG_NOTICE,
			   "uprobes: the mappings of containers selected: %s",
			   error_msg(err));
		error_free(err);
	}
	engine_step("uprobes walk done");
}

/* The notes thread: waits for notes, a walk asked (or stop), takes
 * them in. */
static void *notes_main(void *arg)
{
	struct uprobes *u = arg;
	struct pollfd p[3] = {
		{ .fd = bpf_map__fd(u->skel->maps.notes), .events = POLLIN },
		{ .fd = u->stop, .events = POLLIN },
		{ .fd = u->walk, .events = POLLIN },
	};
	__u64 asked;

	for (;;) {
		if (poll(p, 3, -1) < 0 && errno != EINTR) {
			engine_log(ENGINE_LOG_NOTICE,
				   "uprobes: wait for notes: %s: libraries "
				   "mapped from now on are not traced",
				   strerror(errno));
			break;
		}
		if (p[1].revents)
			break;
		pthread_mutex_lock(&u->lock);
		/* the selections made before this read are in the map the
		 * walk reads; one made later asks again */
		if (p[2].revents &&
		    read(u->walk, &asked, sizeof(asked)) == sizeof(asked))
			walk(u);
		ring_buffer__consume(u->rb);
		pthread_mutex_unlock(&u->lock);
	}
	return NULL;
}

/* Open and load the hook; its walk by process (by_task: the kernel's
 * task_vma kfuncs, 6.7), or by mapping. */
static int hook_load(struct uprobes *u, bool by_task, struct error **err)
{
	struct btf_min_open btf;
	const void *elf;
	size_t len;
	int rc = -1, r;

	elf = uprobe_maps_bpf__elf_bytes(&len);
	btf_min_open_init(&btf, elf, len, ENGINE_LOG_INFO, "uprobes hook");
	u->skel = uprobe_maps_bpf__open_opts(&btf.opts);
	if (!u->skel) {
		error_set(err, errno, "open");
		goto out;
	}
	memcpy((void *)u->skel->rodata->libs, u->libs, sizeof(u->libs));
	u->skel->rodata->n_libs = u->n_libs;
	/* with the kfuncs the loaders' probe tells, else the hook on mmap */
	u->by_loader = u->skel->rodata->by_loader = by_task;
	bpf_program__set_autoload(u->skel->progs.uprobe_mmap, !by_task);
	bpf_program__set_autoload(u->skel->progs.uprobe_loader, by_task);
	bpf_program__set_autoattach(u->skel->progs.uprobe_loader, false);
	bpf_program__set_autoload(u->skel->progs.uprobe_seed, by_task);
	bpf_program__set_autoload(u->skel->progs.uprobe_seed_vmas, !by_task);
	u->seed = by_task ? u->skel->progs.uprobe_seed :
			    u->skel->progs.uprobe_seed_vmas;
	r = uprobe_maps_bpf__load(u->skel);
	if (r) {
		error_set(err, -r, "load");
		goto out;
	}
	rc = 0;
out:
	btf_min_open_done(&btf);
	return rc;
}

/*
 * Probe the runner's own loader, the host's (/lib64/ld-linux-x86-64.so.2)
 * before the walk: the host's processes starting meanwhile are told by
 * it.  Nothing when the runner has none (static).
 */
static void probe_own_loader(struct uprobes *u)
{
	unsigned long base = getauxval(AT_BASE), start;
	struct uprobe_maps_file file;
	char line[PATH_MAX + 128], path[PATH_MAX];
	struct stat st;
	FILE *f;

	if (!base || !(f = fopen("/proc/self/maps", "re")))
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%*x %*s %*s %*s %*s %4095s", &start,
			   path) == 2 &&
		    start == base && !stat(path, &st)) {
			file.ino = st.st_ino;
			file.dev = kernel_dev(st.st_dev);
			file.pad = 0;
			probe_loader(u, &file, path);
			break;
		}
	fclose(f);
}

/* Load the hook, seed, start the thread. */
static int hook_new(struct uprobes *u, struct error **err)
{
	libbpf_print_fn_t old_print = libbpf_set_print(engine_libbpf_print);
	struct error *by_task = NULL;
	int rc = -1, r;
	__u32 one = 1;

	if (hook_load(u, true, &by_task)) {
		engine_log(ENGINE_LOG_INFO,
			   "uprobes hook: %s: its walk by mapping instead",
			   error_msg(by_task));
		error_free(by_task);
		uprobe_maps_bpf__destroy(u->skel);
		u->skel = NULL;
		if (hook_load(u, false, err))
			goto out;
	}
	for (size_t i = 0; i < UPROBES_MAX_FILES; i++)
		if (u->files[i].pinned)
			bpf_map_update_elem(bpf_map__fd(u->skel->maps.quiet),
					    &u->files[i].key, &one, BPF_ANY);
	u->skel->bss->select_on = u->selective;
	if (u->by_loader && (!u->selective || u->host))
		probe_own_loader(u);
	/* the hook first: a mapping after the seed's walk is told */
	r = uprobe_maps_bpf__attach(u->skel);
	if (r) {
		error_set(err, -r, "attach");
		goto out;
	}
	u->rb = ring_buffer__new(bpf_map__fd(u->skel->maps.notes), on_note, u,
				 NULL);
	if (!u->rb) {
		error_set(err, errno, "ring buffer");
		goto out;
	}
	if (seed_all(u, err))
		goto out;
	ring_buffer__consume(u->rb);
	u->stop = eventfd(0, EFD_CLOEXEC);
	u->walk = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (u->stop < 0 || u->walk < 0) {
		error_set(err, errno, "eventfd");
		/* no thread to stop: uprobes_free() joins one when stop is
		 * open */
		if (u->stop >= 0)
			close(u->stop);
		u->stop = -1;
		goto out;
	}
	/* signals go to the main thread, whose wait they end */
	r = thread_start(&u->thread, notes_main, u);
	if (r) {
		close(u->stop);
		u->stop = -1;
		error_set(err, r, "thread");
		goto out;
	}
	rc = 0;
out:
	libbpf_set_print(old_print);
	return rc;
}

int uprobes_new(struct bpf_object *obj, bool selective, bool host,
		struct uprobes **out, struct error **err)
{
	struct uprobes *u = calloc(1, sizeof(*u));
	struct error *hook_err = NULL;

	*out = NULL;
	if (!u)
		return error_set(err, ENOMEM, "uprobes");
	u->stop = u->walk = -1;
	u->selective = selective;
	u->host = host;
	pthread_mutex_init(&u->lock, NULL);
	if (collect(u, obj, err))
		goto free_u;
	if (!u->n_progs) {
		pthread_mutex_destroy(&u->lock);
		free(u);
		return 0;
	}
	u->links = calloc(UPROBES_MAX_FILES * u->n_progs, sizeof(*u->links));
	if (!u->links ||
	    uprocs_init(&u->procs, 2 * UPROBE_MAPS_PROCS, UPROBE_MAPS_PROCS)) {
		error_set(err, ENOMEM, "uprobes");
		goto free_u;
	}
	for (size_t i = 0; i < UPROBES_MAX_FILES; i++)
		u->files[i].links = &u->links[i * u->n_progs];
	if ((!selective || host) && attach_host(u, err))
		goto free_u;
	if (hook_new(u, &hook_err)) {
		engine_log(ENGINE_LOG_NOTICE,
			   "uprobes: hook on mapped libraries: %s: %s",
			   error_msg(hook_err),
			   selective ? "no library is traced (the host's are "
				       "not selected)" :
				       "only the host's libraries are traced");
		error_free(hook_err);
		ring_buffer__free(u->rb);
		u->rb = NULL;
		unprobe_loaders(u);
		uprobe_maps_bpf__destroy(u->skel);
		u->skel = NULL;
		/* what the seed attached stays: its processes are not
		 * followed */
		for (size_t i = 0; i < UPROBES_MAX_FILES; i++)
			u->files[i].sticky = true;
	}
	*out = u;
	return 0;

free_u:
	uprobes_free(u);
	return -1;
}

void uprobes_free(struct uprobes *u)
{
	__u64 one = 1;

	if (!u)
		return;
	if (u->stop >= 0) {
		/* an eventfd's write of 1 fails only past 2^64 - 2 */
		if (write(u->stop, &one, sizeof(one)) != sizeof(one))
			engine_log(ENGINE_LOG_NOTICE, "stop uprobes notes: %s",
				   strerror(errno));
		pthread_join(u->thread, NULL);
		close(u->stop);
	}
	if (u->walk >= 0)
		close(u->walk);
	ring_buffer__free(u->rb);
	unprobe_loaders(u);
	uprobe_maps_bpf__destroy(u->skel);
	if (u->links)
		for (size_t i = UPROBES_MAX_FILES; i > 0; i--)
			detach_file(u, &u->files[i - 1]);
	free(u->links);
	uprocs_fini(&u->procs);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

void uprobes_select(struct uprobes *u, __u64 mntns, bool on)
{
	__u8 one = 1;
	int fd;

	if (!u || !u->selective || !u->skel)
		return;
	fd = bpf_map__fd(u->skel->maps.selected);
	if (!on) {
		bpf_map_delete_elem(fd, &mntns);
		return;
	}
	if (!bpf_map_update_elem(fd, &mntns, &one, BPF_NOEXIST)) {
		u->rescan = true;
		return;
	}
	if (errno != EEXIST && !u->told_selected) {
		engine_log(ENGINE_LOG_NOTICE,
			   "uprobes: %d containers selected, the most: the "
			   "libraries of others are not traced",
			   UPROBE_MAPS_SELECTED);
		u->told_selected = true;
	}
}

void uprobes_rescan(struct uprobes *u, bool wait)
{
	__u64 one = 1;

	if (!u || !u->rescan)
		return;
	u->rescan = false;
	if (!wait) {
		/* the notes thread walks; a write fails only when the count
		 * is past 2^64 - 2, a walk asked already */
		if (write(u->walk, &one, sizeof(one)) != sizeof(one) &&
		    errno != EAGAIN)
			engine_log(ENGINE_LOG_NOTICE,
				   "uprobes: ask for a walk: %s",
				   strerror(errno));
		return;
	}
	pthread_mutex_lock(&u->lock);
	walk(u);
	pthread_mutex_unlock(&u->lock);
}
