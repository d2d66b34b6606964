// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/uprobes.c's uprobes_open_mapping(), as the hook's note of
 * a library mapped is followed: the file at the range is opened only if
 * it is the one the note names, so that a process that mapped another
 * file over the range since (mmap MAP_FIXED) does not get the library's
 * probes on that file.  The hook names a file of an overlay (a
 * container's) by the file below, whose device fstat() of the overlay's
 * file does not tell, nor, once copied up, its inode number: such a file
 * is opened unchecked.  The test's own mappings; reads /proc/self/map_files
 * and mounts an overlay in a mount namespace of its own: needs root.
 */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner/engine/uprobes.h"

#define SIZE 4096

static char root[] = "/tmp/uprobes-mapping-XXXXXX";

static void put(const char *path)
{
	static char page[SIZE];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, page, sizeof(page)), sizeof(page));
	close(fd);
}

/* path mapped executable at addr (NULL: anywhere) */
static void *map(const char *path, void *addr)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *p;

	assert_true(fd >= 0);
	p = mmap(addr, SIZE, PROT_READ | PROT_EXEC,
		 MAP_PRIVATE | (addr ? MAP_FIXED : 0), fd, 0);
	close(fd);
	assert_true(p != MAP_FAILED);
	return p;
}

static void key(const char *path, __u64 *ino, __u32 *dev)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	*ino = st.st_ino;
	*dev = major(st.st_dev) << 20 | minor(st.st_dev);
}

static int open_at(void *p, __u64 ino, __u32 dev)
{
	return uprobes_open_mapping(getpid(), (uintptr_t)p, (uintptr_t)p + SIZE,
				    ino, dev);
}

/* The file mapped at p opens as that of ino on dev. */
static void opens(void *p, __u64 ino, __u32 dev)
{
	int fd = open_at(p, ino, dev);

	assert_true(fd >= 0);
	close(fd);
}

static void open_mapping__other_file_mapped_over_range__not_opened(void **state)
{
	char a[PATH_MAX], b[PATH_MAX];
	__u64 ino_a, ino_b;
	__u32 dev_a, dev_b;
	void *p;

	(void)state;
	snprintf(a, sizeof(a), "%s/liba.so", root);
	snprintf(b, sizeof(b), "%s/other", root);
	put(a);
	put(b);
	key(a, &ino_a, &dev_a);
	key(b, &ino_b, &dev_b);
	p = map(a, NULL);
	opens(p, ino_a, dev_a);
	/* remapped after the hook saw liba.so there */
	map(b, p);
	assert_int_equal(open_at(p, ino_a, dev_a), -1);
	assert_int_equal(open_at(p, ino_b, dev_b + 1), -1);
	opens(p, ino_b, dev_b);
	munmap(p, SIZE);
}

static void open_mapping__file_of_overlay__opened(void **state)
{
	char lower[PATH_MAX], dir[PATH_MAX], opts[4 * PATH_MAX],
		lib[PATH_MAX + 16];
	const char *sub[] = { "lower", "upper", "work", "merged" };
	__u64 ino;
	__u32 dev;
	void *p;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", root, sub[i]);
		assert_int_equal(mkdir(dir, 0755), 0);
	}
	snprintf(lower, sizeof(lower), "%s/lower/libc.so.6", root);
	put(lower);
	key(lower, &ino, &dev);
	assert_int_equal(unshare(CLONE_NEWNS), 0);
	assert_int_equal(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	snprintf(opts, sizeof(opts),
		 "lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work", root,
		 root, root);
	snprintf(dir, sizeof(dir), "%s/merged", root);
	assert_int_equal(mount("overlay", dir, "overlay", 0, opts), 0);
	snprintf(lib, sizeof(lib), "%s/libc.so.6", dir);
	/* the hook names the file below (vm_file->f_inode) */
	p = map(lib, NULL);
	opens(p, ino, dev);
	munmap(p, SIZE);
	/* copied up: the file below is the upper one, whose inode number
	 * the overlay does not tell (it keeps the lower file's) */
	assert_int_equal(chmod(lib, 0755), 0);
	snprintf(lower, sizeof(lower), "%s/upper/libc.so.6", root);
	key(lower, &ino, &dev);
	p = map(lib, NULL);
	opens(p, ino, dev);
	munmap(p, SIZE);
	umount2(dir, MNT_DETACH);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			open_mapping__other_file_mapped_over_range__not_opened),
		cmocka_unit_test(open_mapping__file_of_overlay__opened),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
