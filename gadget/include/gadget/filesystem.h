/* SPDX-License-Identifier: Apache-2.0 */
/*
 * File paths in the kernel: the full path of a struct path (crossing mount
 * points up to the root of the task's mount tree) and of an open file
 * descriptor of the current task.  Needs vmlinux.h.
 *
 * The path is assembled backwards, from the last component to the first,
 * in a per-CPU buffer; the pointer returned points into that buffer and is
 * valid until the next call on this CPU.  Files without a path (memfd,
 * anonymous inodes) give their dentry name.
 */
#ifndef GADGET_FILESYSTEM_H
#define GADGET_FILESYSTEM_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#define GADGET_PATH_MAX 512 /* path fields in events; longer paths are cut */
#ifndef PATH_MAX
#define PATH_MAX 4096
#endif
#define MAX_PATH_COMPONENTS 80
#define MAX_PERCPU_BUFSIZE (2 * PATH_MAX)

/* A per-CPU scratch buffer; the path ends in its first half. */
typedef struct simple_buf {
	__u8 buf[MAX_PERCPU_BUFSIZE];
} buf_t;

enum buf_idx_e {
	STRING_BUF_IDX,
	MAX_BUFFERS,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_BUFFERS);
	__type(key, __u32);
	__type(value, buf_t);
} bufs SEC(".maps");

static __always_inline buf_t *get_buf(int idx)
{
	return bpf_map_lookup_elem(&bufs, &idx);
}

static __always_inline struct mount *real_mount(struct vfsmount *mnt)
{
	return container_of(mnt, struct mount, mnt);
}

static __always_inline struct dentry *
get_mnt_root_ptr_from_vfsmnt(struct vfsmount *vfsmnt)
{
	return BPF_CORE_READ(vfsmnt, mnt_root);
}

static __always_inline struct dentry *
get_d_parent_ptr_from_dentry(struct dentry *dentry)
{
	return BPF_CORE_READ(dentry, d_parent);
}

static __always_inline struct qstr get_d_name_from_dentry(struct dentry *dentry)
{
	return BPF_CORE_READ(dentry, d_name);
}

/* Offsets into buf_t are masked with this: the first half, PATH_MAX. */
#define __GADGET_PATH_MASK (PATH_MAX - 1)

/* Where the path walk is, between steps (internal). */
struct __gadget_path_walk {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt, *parent;
	buf_t *b;
	__u32 pos; /* the path so far starts at b->buf[pos] */
};

/*
 * One step up: prepend one component, or cross to the mount point of the
 * mount at hand.  A bpf_loop() callback, so that the verifier checks one
 * step, not MAX_PATH_COMPONENTS of them.
 */
static long __gadget_path_step(__u32 i, void *ctx)
{
	/* BPF_CORE_READ() only on locals: on w->x it would relocate w too */
	struct __gadget_path_walk *w = ctx;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct dentry *dentry = w->dentry;
	struct mount *mnt = w->mnt;
	struct dentry *root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct dentry *up = BPF_CORE_READ(dentry, d_parent);
	struct qstr name;
	__u32 len, pos = w->pos;

	if (dentry == root || dentry == up) {
		/* top of this mount: go on from where it is mounted, unless
		 * it is the root of the tree (or the dentry is unhashed) */
		if (dentry != root || mnt == w->parent)
			return 1;
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		mnt = w->parent;
		w->mnt = mnt;
		w->parent = BPF_CORE_READ(mnt, mnt_parent);
		w->vfsmnt = &mnt->mnt;
		return 0;
	}
	name = BPF_CORE_READ(dentry, d_name);
	len = name.len & 255;
	if (len + 1 > pos)
		return 1;
	pos -= len;
	bpf_probe_read_kernel(&w->b->buf[pos & __GADGET_PATH_MASK], len,
			      name.name);
	pos--;
	w->b->buf[pos & __GADGET_PATH_MASK] = '/';
	w->pos = pos;
	w->dentry = up;
	return 0;
}

/* The full path of *path, NUL-terminated, or NULL (no buffer). */
static __always_inline char *get_path_str(struct path *path)
{
	struct __gadget_path_walk w = {};
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	__u32 end = PATH_MAX - 1;

	w.b = get_buf(STRING_BUF_IDX);
	if (!w.b)
		return NULL;
	w.dentry = BPF_CORE_READ(path, dentry);
	vfsmnt = BPF_CORE_READ(path, mnt);
	mnt = real_mount(vfsmnt);
	w.vfsmnt = vfsmnt;
	w.mnt = mnt;
	w.parent = BPF_CORE_READ(mnt, mnt_parent);
	w.pos = end;
	w.b->buf[end] = '\0';
	bpf_loop(MAX_PATH_COMPONENTS, __gadget_path_step, &w, 0);
	if (w.pos == end) {
		struct dentry *dentry = w.dentry;
		struct qstr name = BPF_CORE_READ(dentry, d_name);

		bpf_probe_read_kernel_str(w.b->buf, PATH_MAX, name.name);
		return (char *)w.b->buf;
	}
	return (char *)&w.b->buf[w.pos & __GADGET_PATH_MASK];
}

/* The struct file behind descriptor fd of the current task, or NULL. */
static __always_inline struct file *get_struct_file_for_fd(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file **fds;
	struct file *f = NULL;
	unsigned int max;

	if (fd < 0 || !task)
		return NULL;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	max = BPF_CORE_READ(task, files, fdt, max_fds);
	if ((unsigned int)fd >= max)
		return NULL;
	bpf_core_read(&f, sizeof(f), &fds[fd]);
	return f;
}

/* Copy the full path of the current task's fd into buf; the length with
 * the NUL, or a negative value. */
static __always_inline long read_full_path_of_open_file_fd(int fd, char *buf,
							   __u64 buf_len)
{
	struct file *file = get_struct_file_for_fd(fd);
	struct path p;
	char *s;

	if (!file)
		return -1;
	p = BPF_CORE_READ(file, f_path);
	s = get_path_str(&p);
	if (!s)
		return -1;
	return bpf_probe_read_kernel_str(buf, buf_len, s);
}

#endif /* GADGET_FILESYSTEM_H */
