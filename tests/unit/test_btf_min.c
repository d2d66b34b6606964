// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/btf_min.c on the real kernel's BTF: the cut-down BTF holds
 * what CO-RE matches, as the kernel has it, with the kernel's type ids when
 * asked for; relocations it can not serve are refused; and its cache: the exec hook (containers_tracker.c) loads
 * and tells execs from a cache that is fresh, damaged, foreign or missing,
 * a damaged or foreign file being made anew.  Needs root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "runner/engine/btf_min.h"
#include "runner/engine/btf_vmlinux.h"
#include "runner/engine/containers_tracker.h"
#include "tests/unit/log_fx.h"
#include "tests/unit/tmpdir_fx.h"

/* A .BTF.ext with one CO-RE relocation of kind on local type id. */
static void *ext_of(__u32 type_id, __u32 kind, size_t *len)
{
	struct {
		__u16 magic;
		__u8 version, flags;
		__u32 hdr_len;
		__u32 fi_off, fi_len, li_off, li_len, cr_off, cr_len;
		__u32 rec_size, sec_name_off, num_info;
		__u32 insn_off, type_id, access_str_off, kind;
	} *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->magic = 0xeB9F;
	e->version = 1;
	e->hdr_len = 32;
	e->cr_len = 4 * 7;
	e->rec_size = 16;
	e->num_info = 1;
	e->type_id = type_id;
	e->kind = kind;
	*len = sizeof(*e);
	return e;
}

static int member_offset(const struct btf *btf, __s32 id, const char *name)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), name))
			return (int)btf_member_bit_offset(t, i);
	return -1;
}

/* Struct id of kern and of min: members of the same names and kinds,
 * through typedefs and modifiers, and the same sizes. */
static void same_members(const struct btf *kern, const struct btf *min,
			 __s32 id)
{
	const struct btf_type *k = btf__type_by_id(kern, id);
	const struct btf_type *m = btf__type_by_id(min, id);

	assert_int_equal(btf_vlen(m), btf_vlen(k));
	for (int i = 0; i < btf_vlen(k); i++) {
		__u32 kt = btf_members(k)[i].type, mt = btf_members(m)[i].type;
		const struct btf_type *a = btf__type_by_id(kern, kt);
		const struct btf_type *b = btf__type_by_id(min, mt);

		assert_string_equal(
			btf__name_by_offset(min, btf_members(m)[i].name_off),
			btf__name_by_offset(kern, btf_members(k)[i].name_off));
		while (btf_is_mod(a) || btf_is_typedef(a)) {
			assert_int_equal(btf_kind(b), btf_kind(a));
			a = btf__type_by_id(kern, a->type);
			b = btf__type_by_id(min, b->type);
		}
		assert_int_equal(btf_kind(b), btf_kind(a));
		if (!btf_is_ptr(a) && !btf_is_func_proto(a))
			assert_int_equal(b->size, a->size);
		assert_string_equal(btf__name_by_offset(min, b->name_off),
				    btf__name_by_offset(kern, a->name_off));
	}
}

/* struct task_struct___flavor { int tgid; } relocated: the cut-down BTF
 * has the kernel's task_struct, members at the kernel's offsets. */
static void btf_min_new__task_struct__kernel_layout(void **state)
{
	struct btf *kern = btf__load_vmlinux_btf(), *local, *min;
	__s32 kid, mid, id;
	size_t len;
	void *ext;

	(void)state;
	assert_non_null(kern);
	local = btf__new_empty();
	assert_non_null(local);
	id = btf__add_int(local, "int", 4, BTF_INT_SIGNED);
	id = btf__add_struct(local, "task_struct___flavor", 4);
	assert_int_equal(btf__add_field(local, "tgid", 1, 0, 0), 0);
	ext = ext_of(id, 0 /* byte offset */, &len);
	min = btf_min_new(local, ext, len, kern);
	assert_non_null(min);
	kid = btf__find_by_name_kind(kern, "task_struct", BTF_KIND_STRUCT);
	mid = btf__find_by_name_kind(min, "task_struct", BTF_KIND_STRUCT);
	assert_true(kid > 0 && mid > 0);
	assert_int_equal(btf__type_by_id(min, mid)->size,
			 btf__type_by_id(kern, kid)->size);
	assert_int_equal(btf_vlen(btf__type_by_id(min, mid)),
			 btf_vlen(btf__type_by_id(kern, kid)));
	assert_true(member_offset(kern, kid, "tgid") > 0);
	assert_int_equal(member_offset(min, mid, "tgid"),
			 member_offset(kern, kid, "tgid"));
	assert_int_equal(member_offset(min, mid, "nsproxy"),
			 member_offset(kern, kid, "nsproxy"));
	/* a few hundred types, not the kernel's 100k */
	assert_true(btf__type_cnt(min) < btf__type_cnt(kern) / 10);
	btf__free(min);
	free(ext);

	/* the kernel's type id of a type: kept, and what it holds */
	ext = ext_of(id, 7 /* BPF_CORE_TYPE_ID_TARGET */, &len);
	min = btf_min_new(local, ext, len, kern);
	assert_non_null(min);
	/* the ids CO-RE asks for kept, the rest after them: few types */
	assert_true(btf__type_cnt(min) > (__u32)kid);
	assert_true(btf__type_cnt(min) < btf__type_cnt(kern) / 10);
	same_members(kern, min, kid);
	assert_int_equal(btf__find_by_name_kind(min, "task_struct",
						BTF_KIND_STRUCT),
			 kid);
	assert_int_equal(member_offset(min, kid, "tgid"),
			 member_offset(kern, kid, "tgid"));
	btf__free(min);
	free(ext);

	/* a match through pointers: only the kernel's BTF answers it */
	ext = ext_of(id, 12 /* BPF_CORE_TYPE_MATCHES */, &len);
	errno = 0;
	assert_null(btf_min_new(local, ext, len, kern));
	assert_int_equal(errno, ENOTSUP);
	free(ext);
	btf__free(local);

	/* a type the kernel does not have (a module's?): libbpf's to find */
	local = btf__new_empty();
	btf__add_int(local, "int", 4, BTF_INT_SIGNED);
	id = btf__add_struct(local, "runner_no_such_struct", 4);
	btf__add_field(local, "x", 1, 0, 0);
	ext = ext_of(id, 0, &len);
	errno = 0;
	assert_null(btf_min_new(local, ext, len, kern));
	assert_int_equal(errno, ENOENT);
	free(ext);
	btf__free(local);
	btf__free(kern);
}

/* kind and name of id in btf, or "" */
static const char *kind_name(const struct btf *btf, __s32 id, char *buf,
			     size_t size)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	if (!t)
		return "";
	snprintf(buf, size, "%d %s", btf_kind(t),
		 btf__name_by_offset(btf, t->name_off));
	return buf;
}

/* The kernel's tracepoint typedef, iterator and kfunc, at their ids; the
 * kfunc's prototype as the kernel's down to scalars and structs. */
static void btf_min_attach_new__kernel_ids_and_prototype(void **state)
{
	struct btf *kern = btf__load_vmlinux_btf(), *min;
	const char *names[] = { "btf_trace_net_dev_queue", "bpf_iter_task_file",
				"bpf_rdonly_cast" };
	const int kinds[] = { BTF_KIND_TYPEDEF, BTF_KIND_FUNC, BTF_KIND_FUNC };
	char a[128], b[128];
	__s32 kid, max = 0;
	__u32 k, m;

	(void)state;
	assert_non_null(kern);
	min = btf_min_attach_new("T btf_trace_net_dev_queue\n"
				 "F bpf_iter_task_file\n"
				 "F bpf_rdonly_cast\n",
				 kern);
	assert_non_null(min);
	for (int i = 0; i < 3; i++) {
		kid = btf__find_by_name_kind(kern, names[i], kinds[i]);
		assert_true(kid > 0);
		assert_int_equal(
			btf__find_by_name_kind(min, names[i], kinds[i]), kid);
		max = kid > max ? kid : max;
	}
	/* void *bpf_rdonly_cast(const void *, u32): the same chain of kinds
	 * and names down to void and the integer */
	kid = btf__find_by_name_kind(kern, "bpf_rdonly_cast", BTF_KIND_FUNC);
	k = btf__type_by_id(kern, kid)->type;
	m = btf__type_by_id(min, kid)->type;
	assert_string_equal(kind_name(min, m, a, sizeof(a)),
			    kind_name(kern, k, b, sizeof(b)));
	assert_int_equal(btf_vlen(btf__type_by_id(min, m)), 2);
	for (int i = 0; i < 2; i++) {
		k = btf_params(btf__type_by_id(kern, k))[i].type;
		m = btf_params(btf__type_by_id(min, m))[i].type;
		while (k || m) {
			assert_string_equal(kind_name(min, m, a, sizeof(a)),
					    kind_name(kern, k, b, sizeof(b)));
			if (btf_is_int(btf__type_by_id(kern, k)))
				break;
			k = btf__type_by_id(kern, k)->type;
			m = btf__type_by_id(min, m)->type;
		}
		k = btf__type_by_id(kern, kid)->type;
		m = btf__type_by_id(min, kid)->type;
	}
	assert_true(btf__type_cnt(min) > (__u32)max);
	assert_true(btf__type_cnt(min) < btf__type_cnt(kern));
	btf__free(min);

	errno = 0;
	assert_null(btf_min_attach_new("F runner_no_such_function\n", kern));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(btf_min_attach_new("X bpf_rdonly_cast\n", kern));
	assert_int_equal(errno, EINVAL);
	btf__free(kern);
}

/* The built object dir/name (build/gadget/trace_dns/program.bpf.o), len
 * bytes. */
static char *read_object(const char *dir, const char *name, size_t *len)
{
	cleanup_error struct error *err = NULL;
	const char *build = getenv("BUILD");
	char path[512], *elf = NULL;

	snprintf(path, sizeof(path), "%s/%s/%s/program.bpf.o",
		 build ? build : "build", dir, name);
	if (read_file(path, &elf, len, &err))
		fail_msg("%s (run make first)", error_msg(err));
	return elf;
}

static char *object_needs(const char *dir, const char *name)
{
	cleanup_error struct error *err = NULL;
	size_t len;
	cleanup_free char *elf = read_object(dir, name, &len);
	struct bpf_object *obj;
	char *needs;

	obj = bpf_object__open_mem(elf, len, NULL);
	assert_non_null(obj);
	needs = btf_vmlinux_needs(obj, elf, len, &err);
	bpf_object__close(obj);
	if (!needs)
		fail_msg("%s: %s", name, error_msg(err));
	return needs;
}

/* What the objects' loads look up in the kernel's BTF by name. */
static void btf_vmlinux_needs__programs_and_kfuncs(void **state)
{
	cleanup_free char *dns = object_needs("gadget", "trace_dns");
	cleanup_free char *exec = object_needs("examples", "trace_exec");

	(void)state;
	assert_string_equal(dns, "T btf_trace_net_dev_queue\n"
				 "F bpf_iter_task_file\n"
				 "F bpf_cast_to_kern_ctx\n"
				 "F bpf_rdonly_cast\n");
	assert_string_equal(exec, "");
}

/* Armed with net_dev_queue's tracepoint: libbpf finds it at id queue,
 * the kernel's. */
static void arm_net_dev_queue(__s32 queue)
{
	cleanup_error struct error *err = NULL;

	assert_int_equal(btf_vmlinux_arm("T btf_trace_net_dev_queue\n", &err),
			 0);
	assert_int_equal(libbpf_find_vmlinux_btf_id("net_dev_queue",
						    BPF_TRACE_RAW_TP),
			 queue);
}

/* Armed, libbpf's own look-ups (libbpf_find_vmlinux_btf_id() calls
 * btf__load_vmlinux_btf() as bpf_object__load() does) see the cut-down
 * BTF: what it holds, at the kernel's id, and nothing else; unarmed or
 * disarmed, the kernel's whole BTF. */
static void btf_vmlinux_arm__libbpf_reads_the_cut_down_btf(void **state)
{
	cleanup_error struct error *err = NULL;
	char dir[] = "/tmp/runner-btf-arm-XXXXXX", path[512];
	struct btf *kern = btf__load_vmlinux_btf();
	__s32 queue, sw;
	DIR *d;
	struct dirent *e;

	(void)state;
	assert_non_null(kern);
	queue = btf__find_by_name_kind(kern, "btf_trace_net_dev_queue",
				       BTF_KIND_TYPEDEF);
	sw = btf__find_by_name_kind(kern, "btf_trace_sched_switch",
				    BTF_KIND_TYPEDEF);
	assert_true(queue > 0 && sw > 0);
	assert_non_null(tmpdir_fx_make(dir));
	setenv("RUNNER_CACHE_DIR", dir, 1);
	for (int i = 0; i < 2; i++) { /* made, then read from the cache */
		arm_net_dev_queue(queue);
		assert_true(libbpf_find_vmlinux_btf_id("sched_switch",
						       BPF_TRACE_RAW_TP) < 0);
		btf_vmlinux_disarm();
		assert_int_equal(libbpf_find_vmlinux_btf_id("sched_switch",
							    BPF_TRACE_RAW_TP),
				 sw);
	}
	/* a name the kernel does not have: not armed */
	assert_int_equal(btf_vmlinux_arm("F runner_no_such_function\n", &err),
			 -1);
	assert_int_equal(libbpf_find_vmlinux_btf_id("sched_switch",
						    BPF_TRACE_RAW_TP),
			 sw);
	unsetenv("RUNNER_CACHE_DIR");
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			assert_int_equal(unlink(path), 0);
		}
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
	btf__free(kern);
}

/* The path of the one file in dir, in path. */
static void one_file(const char *dir, char *path, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, size, "%s/%s", dir, e->d_name);
			n++;
		}
	closedir(d);
	assert_int_equal(n, 1);
}

/* The one file in dir (its path in path): its bytes, len of them. */
static char *only_file(const char *dir, char *path, size_t size, size_t *len)
{
	char *data = NULL;

	one_file(dir, path, size);
	assert_int_equal(read_file(path, &data, len, NULL), 0);
	return data;
}

/* An object with CO-RE relocations: its cut-down BTF (libbpf parses it)
 * behind opts.btf_custom_path until done, nothing logged; one without:
 * default opts, and why in one line at the level asked for. */
static void btf_min_open__cut_down_btf_as_custom_path__else_logged(void **state)
{
	char dir[] = "/tmp/runner-btf-open-XXXXXX", path[512], want[32];
	static const char junk[] = "not an ELF";
	size_t len;
	cleanup_free char *elf = read_object("gadget", "trace_dns", &len);
	struct said said = SAID_INIT;
	struct btf_min_open o;
	struct btf *btf;
	int fd;

	(void)state;
	assert_non_null(tmpdir_fx_make(dir));
	setenv("RUNNER_CACHE_DIR", dir, 1);
	engine_log_set(said_log, &said);
	btf_min_open_init(&o, elf, len, ENGINE_LOG_INFO, "test hook");
	assert_true(o.fd >= 0);
	assert_int_equal(o.opts.sz, sizeof(o.opts));
	assert_ptr_equal(o.opts.btf_custom_path, o.path);
	snprintf(want, sizeof(want), "/proc/self/fd/%d", o.fd);
	assert_string_equal(o.path, want);
	btf = btf__parse_raw(o.path);
	assert_non_null(btf);
	assert_true(btf__find_by_name_kind(btf, "sk_buff", BTF_KIND_STRUCT) >
		    0);
	btf__free(btf);
	assert_int_equal(said.lines, 0);
	fd = o.fd;
	btf_min_open_done(&o);
	assert_int_equal(o.fd, -1);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);

	btf_min_open_init(&o, junk, sizeof(junk), ENGINE_LOG_DEBUG,
			  "test hook");
	assert_int_equal(o.fd, -1);
	assert_int_equal(o.opts.sz, sizeof(o.opts));
	assert_null(o.opts.btf_custom_path);
	assert_int_equal(said.lines, 1);
	assert_int_equal(said.level, ENGINE_LOG_DEBUG);
	assert_string_equal(said.last, "test hook: no CO-RE relocations");
	btf_min_open_done(&o); /* nothing to close */
	engine_log_set(NULL, NULL);
	unsetenv("RUNNER_CACHE_DIR");
	one_file(dir, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void write_bytes(const char *path, const char *data, size_t len);

/* Armed from a damaged or cut-short cache file: libbpf still sees the
 * kernel's id (not a damaged BTF's), and the file is made anew. */
static void btf_vmlinux_arm__cache_damaged__made_anew(void **state)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *good = NULL;
	char dir[] = "/tmp/runner-btf-armd-XXXXXX", path[512];
	struct btf *kern = btf__load_vmlinux_btf();
	size_t len, i;
	__s32 queue;

	(void)state;
	assert_non_null(kern);
	queue = btf__find_by_name_kind(kern, "btf_trace_net_dev_queue",
				       BTF_KIND_TYPEDEF);
	assert_true(queue > 0);
	btf__free(kern);
	assert_non_null(tmpdir_fx_make(dir));
	setenv("RUNNER_CACHE_DIR", dir, 1);
	assert_int_equal(btf_vmlinux_arm("T btf_trace_net_dev_queue\n", &err),
			 0);
	btf_vmlinux_disarm();
	good = only_file(dir, path, sizeof(path), &len);
	assert_true(len > 200);
	for (i = 0; i < 4; i++) {
		cleanup_free char *bad = malloc(len), *now = NULL;
		size_t bad_len = len, now_len;

		memcpy(bad, good, len);
		switch (i) {
		case 0: /* the type the name is: now another kind */
			bad[len / 2] ^= 0x04;
			break;
		case 1: /* the last byte */
			bad[len - 1] ^= 0x20;
			break;
		case 2: /* cut short */
			bad_len = len - 8;
			break;
		case 3: /* only the header (104 bytes) */
			bad_len = 104;
			break;
		}
		write_bytes(path, bad, bad_len);
		arm_net_dev_queue(queue);
		btf_vmlinux_disarm();
		now = only_file(dir, path, sizeof(path), &now_len);
		assert_int_equal(now_len, len);
		assert_memory_equal(now, good, len);
	}
	unsetenv("RUNNER_CACHE_DIR");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static char cache_dir[] = "/tmp/runner-btf-test-XXXXXX";

/* The one file in the cache folder. */
static void cache_file(char *path, size_t size)
{
	one_file(cache_dir, path, size);
}

static void keep(void *ctx, const struct containers_note *n)
{
	__u64 *mntns = ctx;

	if (n->mntns == mntns[0])
		mntns[1] = 1;
}

/* Load the exec hook; a child execs in a mount namespace of its own: the
 * hook tells it. */
static void hook_tells_exec(void)
{
	struct containers_tracker *t = NULL;
	__u64 seen[2] = { 0, 0 };
	int ready[2], go[2], status;
	char c, path[64];
	struct stat st;
	pid_t pid;

	assert_int_equal(containers_tracker_new(keep, seen, &t, NULL), 0);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		if (unshare(CLONE_NEWNS) || write(ready[1], "r", 1) != 1 ||
		    read(go[0], &c, 1) != 1)
			_exit(2);
		execl("/bin/true", "true", (char *)NULL);
		_exit(3);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	assert_int_equal(stat(path, &st), 0);
	seen[0] = st.st_ino;
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && !WEXITSTATUS(status));
	containers_tracker_consume(t);
	assert_true(seen[1]);
	containers_tracker_free(t);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

static void write_bytes(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Damaged or foreign: the hook still loads from a file made anew. */
static void
exec_hook__cache_damaged_or_foreign__rebuilt_still_tells(void **state)
{
	cleanup_free char *good = NULL;
	char path[512];
	size_t len, i;

	(void)state;
	assert_non_null(tmpdir_fx_make(cache_dir));
	setenv("RUNNER_CACHE_DIR", cache_dir, 1);
	hook_tells_exec(); /* made */
	cache_file(path, sizeof(path));
	assert_int_equal(read_file(path, (char **)&good, &len, NULL), 0);
	assert_true(len > 200);
	hook_tells_exec(); /* read */
	for (i = 0; i < 10; i++) {
		cleanup_free char *bad = malloc(len), *now = NULL;
		size_t bad_len = len, now_len = 0;

		memcpy(bad, good, len);
		switch (i) {
		case 0: /* a bit flipped in the BTF */
			bad[len - 100] ^= 0x10;
			break;
		case 1: /* in the header's key: another kernel's */
			bad[20] ^= 0x01;
			break;
		case 2: /* cut short */
			bad_len = len / 2;
			break;
		case 3: /* empty */
			bad_len = 0;
			break;
		case 4: /* garbage */
			memset(bad, 0x5a, len);
			break;
		case 5: /* removed */
			break;
		case 6: /* as made, but writable by others */
			break;
		case 7: /* the BTF's last byte (past the last whole word) */
			bad[len - 1] ^= 0x01;
			break;
		case 8: /* the BTF's first byte (after the 104-byte header) */
			bad[104] ^= 0x80;
			break;
		case 9: /* one byte too many */
			bad = realloc(bad, len + 1);
			bad[len] = 0;
			bad_len = len + 1;
			break;
		}
		if (i == 5)
			assert_int_equal(unlink(path), 0);
		else
			write_bytes(path, bad, bad_len);
		if (i == 6) {
			struct stat st;

			assert_int_equal(chmod(path, 0666), 0);
			hook_tells_exec();
			/* not trusted: made anew (mkstemp(): 0600) */
			assert_int_equal(stat(path, &st), 0);
			assert_int_equal(st.st_mode & 0777, 0600);
			continue;
		}
		hook_tells_exec();
		assert_int_equal(read_file(path, &now, &now_len, NULL), 0);
		assert_int_equal(now_len, len);
		assert_memory_equal(now, good, len);
	}
	/* a folder that can not be made: loads all the same */
	setenv("RUNNER_CACHE_DIR", "/proc/runner-no-such-dir", 1);
	hook_tells_exec();
	unsetenv("RUNNER_CACHE_DIR");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(cache_dir), 0);
}

static void touch_days_ago(const char *dir, const char *name, int atime_days,
			   int mtime_days)
{
	time_t now = time(NULL);
	struct timespec ts[2] = { { .tv_sec = now - atime_days * 86400L },
				  { .tv_sec = now - mtime_days * 86400L } };
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_bytes(path, "x", 1);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static bool exists(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* A file made removes the cache files idle (not read, not written) for
 * over 30 days, and nothing else. */
static void cache_made__idle_files_removed__others_kept(void **state)
{
	char dir[] = "/tmp/runner-btf-prune-XXXXXX", path[512];
	const char *names[] = { "btf-idle", "btf-read-today", "btf-new",
				"notes-idle" };
	DIR *d;
	struct dirent *e;
	int n = 0;

	(void)state;
	assert_non_null(tmpdir_fx_make(dir));
	touch_days_ago(dir, names[0], 40, 40);
	touch_days_ago(dir, names[1], 0, 40);
	touch_days_ago(dir, names[2], 40, 2);
	touch_days_ago(dir, names[3], 40, 40);
	setenv("RUNNER_CACHE_DIR", dir, 1);
	hook_tells_exec(); /* its file made */
	unsetenv("RUNNER_CACHE_DIR");
	assert_false(exists(dir, names[0]));
	for (size_t i = 1; i < 4; i++)
		assert_true(exists(dir, names[i]));
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		assert_int_equal(unlink(path), 0);
		n++;
	}
	closedir(d);
	assert_int_equal(n, 4); /* the three kept and the one made */
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(btf_min_new__task_struct__kernel_layout),
		cmocka_unit_test(btf_min_attach_new__kernel_ids_and_prototype),
		cmocka_unit_test(btf_vmlinux_needs__programs_and_kfuncs),
		cmocka_unit_test_teardown(
			btf_min_open__cut_down_btf_as_custom_path__else_logged,
			said_forget),
		cmocka_unit_test(
			btf_vmlinux_arm__libbpf_reads_the_cut_down_btf),
		cmocka_unit_test(btf_vmlinux_arm__cache_damaged__made_anew),
		cmocka_unit_test(
			exec_hook__cache_damaged_or_foreign__rebuilt_still_tells),
		cmocka_unit_test(cache_made__idle_files_removed__others_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
