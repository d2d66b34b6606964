/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * The runner's hook on libraries mapped, for uprobes named by library
 * ("uprobe/libc:malloc"): a process that maps a file of a wanted name
 * ("libc.so", "libc.so.6") executable, one the runner did not attach to
 * at start (a container's copy, a copy at another path), is told with
 * the file's inode, so that the runner attaches there; an exit or exec of
 * a process told before is told too, and its forks, so that the runner
 * drops an attachment when its last process went.  The iterator tells the same
 * of the mappings that were there before the runner.
 *
 * A library is mapped by the dynamic loader (ld.so), at start-up or by
 * dlopen(), and the loader calls _dl_debug_state() after each change of
 * its list of objects (the debuggers' r_brk, glibc's and musl's): the
 * runner probes that function in each loader file (uprobe_loader), told
 * of one not probed yet by the exec of a process that runs it (or the
 * iterator), and the probe walks the caller's mappings.  A hook on mmap(2)
 * would be a syscall tracepoint: every syscall of the host on the slow
 * path.  Without the kernel's task_vma iterator kfuncs (before 6.7) the
 * hook is that tracepoint still (uprobe_mmap).
 *
 * The inode is the mapping's own (vm_file->f_inode): for a file of an
 * overlay (a container's), the file below, which the kernel's uprobe
 * attaches to too (d_real_inode()), so two containers of one image share
 * one attachment.  The files attached at start are in `quiet`: the
 * processes mapping them cost a lookup, no note.  When the run selects
 * containers (select_on), only the processes of the mount namespaces in
 * `selected` are told of: the others' mappings cost a lookup, no note.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "runner/engine/bpf/uprobe_maps.h"

char LICENSE[] SEC("license") = "GPL";

#define VM_EXEC 0x4
#define EEXIST 17
#define AT_NULL 0
#define AT_BASE 7 /* where the loader is mapped */
#define NAME_LEN 64
#define RT_CONSISTENT 0 /* r_state: the loader's list is complete */

const volatile char libs[UPROBE_MAPS_LIBS][UPROBE_MAPS_LIB_LEN] = {};
const volatile __u32 n_libs = 0;
/* the loaders' probe tells of mappings (not the hook on mmap(2)) */
const volatile bool by_loader = false;
/* set before attach: only the mount namespaces in selected are told */
__u32 select_on = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UPROBE_MAPS_QUIET);
	__type(key, struct uprobe_maps_file);
	__type(value, __u32);
} quiet SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UPROBE_MAPS_SELECTED);
	__type(key, __u64); /* mount namespace (its inode number) */
	__type(value, __u8);
} selected SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, UPROBE_MAPS_PROCS);
	__type(key, __u32); /* tgid */
	__type(value, __u32);
} procs SEC(".maps");

/* the loaders told of (enum uprobe_maps_loader_state) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UPROBE_MAPS_LOADERS);
	__type(key, struct uprobe_maps_file);
	__type(value, __u32);
} loaders SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 4096); /* 1365 notes */
} notes SEC(".maps");

/* Does name end in ".so" (after byte from)? */
static __always_inline bool ends_so(const char *name, __u32 from)
{
	__u32 k;

	for (k = from; k < NAME_LEN && name[k]; k++)
		;
	return k >= 3 && k < NAME_LEN && name[k - 3] == '.' &&
	       name[k - 2] == 's' && name[k - 1] == 'o';
}

/*
 * Index of the wanted library that file name is (LIB.so, LIB.so.*, or
 * LIB-*.so, the file glibc before 2.34 names libc-2.31.so behind its
 * libc.so.6 link), or -1.
 */
static __always_inline int lib_of(const char *name)
{
	for (__u32 i = 0; i < UPROBE_MAPS_LIBS && i < n_libs; i++) {
		__u32 j;

		for (j = 0; j < UPROBE_MAPS_LIB_LEN; j++) {
			char c = libs[i][j];

			if (!c || name[j] != c)
				break;
		}
		if (j == 0 || j >= UPROBE_MAPS_LIB_LEN || libs[i][j] ||
		    j + 4 >= NAME_LEN)
			continue;
		if (name[j] == '.' && name[j + 1] == 's' &&
		    name[j + 2] == 'o' &&
		    (name[j + 3] == '\0' || name[j + 3] == '.'))
			return i;
		if (name[j] == '-' && ends_so(name, j + 1))
			return i;
	}
	return -1;
}

/* Is task's mount namespace one the run selects (or selects it none)? */
static __always_inline bool task_selected(struct task_struct *task)
{
	__u64 mntns;

	if (!select_on)
		return true; /* no read of the namespace */
	mntns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	return bpf_map_lookup_elem(&selected, &mntns);
}

/* The inode a uprobe on file f attaches to. */
static __always_inline void file_key(struct file *f,
				     struct uprobe_maps_file *key)
{
	struct inode *ino = f->f_inode;

	key->ino = ino->i_ino;
	key->dev = ino->i_sb->s_dev;
}

/* Index of the wanted library that file f is, or -1. */
static __always_inline int lib_of_file(struct file *f)
{
	char name[NAME_LEN];

	if (bpf_probe_read_kernel_str(name, sizeof(name),
				      f->f_path.dentry->d_name.name) <= 0)
		return -1;
	return lib_of(name);
}

/*
 * Fill n from an executable mapping of a wanted library that is not
 * quiet, by a task the run selects; false for any other mapping.  The
 * cheap checks first: most mappings are not executable, or anonymous.
 * The kernel's pointers (vma, its file) are read directly, no helper.
 */
static __always_inline bool wanted(struct task_struct *task,
				   struct vm_area_struct *vma,
				   struct uprobe_maps_note *n)
{
	struct file *f;
	int lib;

	if (!(vma->vm_flags & VM_EXEC))
		return false;
	f = vma->vm_file;
	if (!f)
		return false;
	lib = lib_of_file(f);
	if (lib < 0)
		return false;
	if (!task_selected(task))
		return false;
	file_key(f, &n->file);
	if (bpf_map_lookup_elem(&quiet, &n->file))
		return false;
	n->start = vma->vm_start;
	n->end = vma->vm_end;
	n->kind = UPROBE_MAPS_MAP;
	n->lib = lib;
	return true;
}

/* Follow tgid: its exit or exec is told.  False when the map is full. */
static __always_inline bool follow(__u32 tgid)
{
	__u32 one = 1;

	return !bpf_map_update_elem(&procs, &tgid, &one, BPF_ANY);
}

struct found {
	__u32 tgid;
};

static long on_vma(struct task_struct *task, struct vm_area_struct *vma,
		   void *data)
{
	struct found *fd = data;
	struct uprobe_maps_note n = {};

	if (!wanted(task, vma, &n))
		return 0;
	n.tgid = fd->tgid;
	n.untracked = !follow(fd->tgid);
	/* the runner waits; a full ring: this process is not traced */
	bpf_ringbuf_output(&notes, &n, sizeof(n), BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* ld.so maps a library's code with mmap(PROT_EXEC), dlopen() too: the
 * hook before Linux 6.7 (no task_vma iterator kfuncs for the loader's
 * probe). */
SEC("tracepoint/syscalls/sys_exit_mmap")
int uprobe_mmap(struct trace_event_raw_sys_exit *ctx)
{
	struct found fd = { .tgid = bpf_get_current_pid_tgid() >> 32 };

	if (ctx->ret < 0 && ctx->ret > -4096)
		return 0; /* failed */
	bpf_find_vma(bpf_get_current_task_btf(), (__u64)ctx->ret, on_vma, &fd,
		     0);
	return 0;
}

extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it,
				 struct task_struct *task,
				 __u64 addr) __weak __ksym;
extern struct vm_area_struct *
bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __weak __ksym;
extern void
bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __weak __ksym;

/*
 * The runner probes _dl_debug_state() of each loader: called at start-up
 * and by each dlopen() and dlclose(), during the change (RT_ADD,
 * RT_DELETE: the list not whole yet; glibc 2.36's dlopen() has mapped
 * the object named, not its dependencies) and after it
 * (RT_CONSISTENT); the caller's executable mappings of wanted names are
 * told after it.  The
 * probe's cookie is where the loader's r_state lies from the function
 * (glibc's _r_debug), 0 for a loader without it (musl): walked at each
 * call.
 */
SEC("uprobe")
int uprobe_loader(struct pt_regs *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct found fd = { .tgid = bpf_get_current_pid_tgid() >> 32 };
	__s64 off = bpf_get_attach_cookie(ctx);
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;
	int state;

	/* the new objects are mapped once the list is consistent again */
	if (off &&
	    !bpf_probe_read_user(&state, sizeof(state),
				 (void *)(PT_REGS_IP(ctx) + off)) &&
	    state != RT_CONSISTENT)
		return 0;
	if (!task_selected(task))
		return 0;
	bpf_iter_task_vma_new(&it, task, 0);
	while ((vma = bpf_iter_task_vma_next(&it)))
		on_vma(task, vma, &fd);
	bpf_iter_task_vma_destroy(&it);
	return 0;
}

/* Where task's loader is mapped (its AT_BASE), 0 for a static program:
 * the saved auxv read AUXV_CHUNK pairs at a time (AT_BASE is the 9th). */
#define AUXV_CHUNK 8
static __always_inline __u64 loader_base(struct task_struct *task)
{
	struct mm_struct *mm = task->mm;
	__u32 n;

	if (!mm)
		return 0;
	n = bpf_core_field_size(mm->saved_auxv) / (2 * sizeof(__u64));
	for (__u32 c = 0; c + AUXV_CHUNK <= n && c < 64; c += AUXV_CHUNK) {
		__u64 kv[AUXV_CHUNK][2];

		if (bpf_probe_read_kernel(kv, sizeof(kv),
					  &mm->saved_auxv[2 * c]))
			return 0;
		for (__u32 i = 0; i < AUXV_CHUNK; i++) {
			if (kv[i][0] == AT_NULL)
				return 0;
			if (kv[i][0] == AT_BASE)
				return kv[i][1];
		}
	}
	return 0;
}

/*
 * Fill n from vma, the loader's first mapping, if the runner does not
 * probe that loader yet: told once, and again for each process that runs
 * it until the runner probes it (the runner walks those processes'
 * mappings after its attach).  False when probed already, or when no
 * more loaders are told (the map is full).
 */
static __always_inline bool new_loader(struct vm_area_struct *vma, __u32 tgid,
				       struct uprobe_maps_note *n)
{
	struct file *f = vma->vm_file;
	__u32 told = UPROBE_MAPS_LOADER_TOLD, *state;

	if (!f)
		return false;
	file_key(f, &n->file);
	state = bpf_map_lookup_elem(&loaders, &n->file);
	if (state && *state != UPROBE_MAPS_LOADER_TOLD)
		return false;
	if (!state &&
	    bpf_map_update_elem(&loaders, &n->file, &told, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&loaders, &n->file))
		return false; /* the map is full */
	n->start = vma->vm_start;
	n->end = vma->vm_end;
	n->tgid = tgid;
	n->kind = UPROBE_MAPS_LOADER;
	return true;
}

static long on_loader(struct task_struct *task, struct vm_area_struct *vma,
		      void *data)
{
	struct found *fd = data;
	struct uprobe_maps_note n = {};

	if (new_loader(vma, fd->tgid, &n))
		bpf_ringbuf_output(&notes, &n, sizeof(n), BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* Tell that tgid's mappings went, if it was followed. */
static __always_inline int gone(__u32 tgid)
{
	struct uprobe_maps_note *n;

	if (bpf_map_delete_elem(&procs, &tgid))
		return 0; /* the common case: not followed */
	n = bpf_ringbuf_reserve(&notes, sizeof(*n), 0);
	if (!n)
		return 0; /* its attachments stay */
	__builtin_memset(n, 0, sizeof(*n));
	n->tgid = tgid;
	n->kind = UPROBE_MAPS_GONE;
	bpf_ringbuf_submit(n, 0);
	return 0;
}

/*
 * The process ends with its last thread, whichever: the main one may end
 * first while others go on calling.  do_exit() counts the thread out of
 * signal->live before this tracepoint; two last threads at once both see
 * 0, and the second finds tgid no longer followed.
 */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(uprobe_exit, struct task_struct *p)
{
	if (BPF_CORE_READ(p, signal, live.counter))
		return 0; /* others of its threads run on */
	return gone(BPF_CORE_READ(p, tgid));
}

/*
 * A process forked from one followed maps what its parent maps, without
 * an mmap: followed too, so that a file stays attached while a child
 * (a daemon's worker, a shell's job) runs on after its parent.  A
 * thread's creation costs a comparison, another fork a lookup.
 */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(uprobe_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 tgid = BPF_CORE_READ(child, tgid);
	struct uprobe_maps_note n = {};

	if (tgid == ptgid || !bpf_map_lookup_elem(&procs, &ptgid))
		return 0;
	n.tgid = tgid;
	n.ptgid = ptgid;
	n.kind = UPROBE_MAPS_FORK;
	n.untracked = !follow(tgid);
	if (bpf_ringbuf_output(&notes, &n, sizeof(n), 0))
		bpf_map_delete_elem(&procs, &tgid); /* a full ring */
	return 0;
}

/*
 * An exec drops the old program's mappings.  The kernel mapped the new
 * program and its loader: a program that is a wanted library is told, a
 * loader the runner does not probe yet too (its libraries are mapped
 * later, by the loader).
 */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(uprobe_exec, struct task_struct *p)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct found fd = { .tgid = BPF_CORE_READ(p, tgid) };
	struct mm_struct *mm = task->mm;
	struct file *exe;
	__u64 base;

	gone(fd.tgid);
	if (!by_loader || !mm || !task_selected(task))
		return 0;
	/* the program's mapping looked up only when its name is wanted */
	exe = mm->exe_file;
	if (exe && lib_of_file(exe) >= 0)
		bpf_find_vma(task, mm->start_code, on_vma, &fd, 0);
	base = loader_base(task);
	if (base)
		bpf_find_vma(task, base, on_loader, &fd, 0);
	return 0;
}

/*
 * A mapping the seed's walk found: follow its process.  The walk races
 * with the hooks: a process whose exit or exec was told before it took
 * tgid in (its last thread past signal->live, or its mm another) is not
 * taken; one told after finds tgid in and is told gone, after the walk's
 * note.  The map's bucket lock orders the two (the exit counts live down
 * before its delete, the walk reads it after its update).
 */
static __always_inline bool seed_follow(struct task_struct *task,
					struct vm_area_struct *vma,
					struct uprobe_maps_note *n)
{
	__u32 one = 1, tgid = BPF_CORE_READ(task, tgid);
	long r = bpf_map_update_elem(&procs, &tgid, &one, BPF_NOEXIST);

	n->tgid = tgid;
	if (r == -EEXIST)
		return true; /* followed already */
	if (r) {
		n->untracked = 1; /* the map is full */
		return true;
	}
	if (BPF_CORE_READ(task, signal, live.counter) &&
	    BPF_CORE_READ(task, mm) == BPF_CORE_READ(vma, vm_mm))
		return true;
	bpf_map_delete_elem(&procs, &tgid);
	return false;
}

/*
 * The mappings there before the runner, or before a container was
 * selected, written to the iterator's output: per process (one thread of
 * it: the leader, any while the leader is a zombie), its mount namespace
 * first, then its mappings (the kernel's open-coded iterator, 6.7), and
 * its loader if the runner does not probe it yet.
 */
SEC("iter/task")
int uprobe_seed(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;
	__u64 base;

	if (!task)
		return 0;
	if (BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid) &&
	    BPF_CORE_READ(task, group_leader, mm))
		return 0;
	if (!task_selected(task))
		return 0;
	base = by_loader ? loader_base(task) : 0;
	bpf_iter_task_vma_new(&it, task, 0);
	while ((vma = bpf_iter_task_vma_next(&it))) {
		struct uprobe_maps_note n = {};

		if ((wanted(task, vma, &n) && seed_follow(task, vma, &n)) ||
		    (base && BPF_CORE_READ(vma, vm_start) == base &&
		     new_loader(vma, BPF_CORE_READ(task, tgid), &n)))
			bpf_seq_write(ctx->meta->seq, &n, sizeof(n));
	}
	bpf_iter_task_vma_destroy(&it);
	return 0;
}

/* The same on a kernel without that iterator (before 6.7): a run of the
 * program for every mapping of every process. */
SEC("iter/task_vma")
int uprobe_seed_vmas(struct bpf_iter__task_vma *ctx)
{
	struct vm_area_struct *vma = ctx->vma;
	struct task_struct *task = ctx->task;
	struct uprobe_maps_note n = {};

	if (!vma || !task || !task_selected(task))
		return 0;
	if (wanted(task, vma, &n) && seed_follow(task, vma, &n))
		bpf_seq_write(ctx->meta->seq, &n, sizeof(n));
	return 0;
}
