// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/progpar.c: the programs loaded on its thread are the
 * programs libbpf loads (real kernel: trace_dns loaded twice, with and
 * without gadget_load_ahead(), which also reads the kernel's BTF ahead,
 * btf_vmlinux.c).  Linked with the runner's exports, as the runner is:
 * libbpf's calls then reach progpar.c's bpf_prog_load().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "runner/engine/gadget.h"
#include "runner/engine/progpar.h"
#include "tests/unit/trace_dns_started.h"

#define MAX_PROGS 32
#define MAX_IDS 64

struct prog {
	char name[64];
	struct bpf_prog_info info;
	char maps[MAX_IDS][BPF_OBJ_NAME_LEN]; /* its maps' names, sorted */
};

struct loaded {
	char *elf;
	size_t len;
	struct gadget *g;
	struct prog progs[MAX_PROGS];
	size_t n;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Program fd's info, and the names of the maps it uses. */
static void prog_info(int fd, struct prog *p)
{
	__u32 ids[MAX_IDS], size = sizeof(p->info);

	memset(&p->info, 0, sizeof(p->info));
	p->info.nr_map_ids = MAX_IDS;
	p->info.map_ids = (__u64)(uintptr_t)ids;
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &p->info, &size), 0);
	assert_true(p->info.nr_map_ids <= MAX_IDS);
	for (__u32 i = 0; i < p->info.nr_map_ids; i++) {
		struct bpf_map_info mi = { 0 };
		__u32 msize = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(ids[i]);

		assert_true(mfd >= 0);
		assert_int_equal(bpf_obj_get_info_by_fd(mfd, &mi, &msize), 0);
		snprintf(p->maps[i], sizeof(p->maps[i]), "%s", mi.name);
		close(mfd);
	}
	qsort(p->maps, p->info.nr_map_ids, sizeof(p->maps[0]), by_name);
	p->info.map_ids = 0;
}

/* trace_dns started (ahead: as `runner run` does) and its programs. */
static void load(struct loaded *l, bool ahead)
{
	struct bpf_program *p;
	struct bpf_object *obj;

	memset(l, 0, sizeof(*l));
	obj = trace_dns_started(&l->elf, &l->len, &l->g, ahead);
	bpf_object__for_each_program (p, obj) {
		struct prog *pr = &l->progs[l->n];
		int fd;

		assert_true(l->n < MAX_PROGS);
		snprintf(pr->name, sizeof(pr->name), "%s",
			 bpf_program__name(p));
		fd = gadget_prog_fd(l->g, pr->name);
		if (fd < 0)
			fail_msg("program %s: no fd", pr->name);
		prog_info(fd, pr);
		l->n++;
	}
	bpf_object__close(obj);
}

static void unload(struct loaded *l)
{
	gadget_free(l->g);
	free(l->elf);
}

static void in_parallel__same_kernel_programs_as_libbpf(void **state)
{
	struct loaded plain, par;

	(void)state;
	load(&plain, false);
	load(&par, true);
	assert_int_equal(plain.n, par.n);
	for (size_t i = 0; i < plain.n; i++) {
		const struct bpf_prog_info *a = &plain.progs[i].info,
					   *b = &par.progs[i].info;

		assert_string_equal(plain.progs[i].name, par.progs[i].name);
		print_message("%s: %u instructions, %u maps\n",
			      plain.progs[i].name, a->xlated_prog_len / 8,
			      a->nr_map_ids);
		assert_int_equal(a->type, b->type);
		assert_memory_equal(a->tag, b->tag, sizeof(a->tag));
		assert_int_equal(a->xlated_prog_len, b->xlated_prog_len);
		assert_int_equal(a->jited_prog_len, b->jited_prog_len);
		assert_string_equal(a->name, b->name);
		assert_int_equal(a->gpl_compatible, b->gpl_compatible);
		/* the same maps (.rodata bound to each, as libbpf binds it) */
		assert_int_equal(a->nr_map_ids, b->nr_map_ids);
		for (__u32 k = 0; k < a->nr_map_ids; k++)
			assert_string_equal(plain.progs[i].maps[k],
					    par.progs[i].maps[k]);
		/* BTF, function and line info sent alike */
		assert_int_equal(!a->btf_id, !b->btf_id);
		assert_int_equal(a->nr_func_info, b->nr_func_info);
		assert_int_equal(a->nr_line_info, b->nr_line_info);
		/* the attach point found in the kernel's BTF read ahead */
		assert_int_equal(a->attach_btf_id, b->attach_btf_id);
		assert_int_equal(a->attach_btf_obj_id, b->attach_btf_obj_id);
		assert_int_equal(a->verified_insns, b->verified_insns);
	}
	/* the path is taken: every program but the largest (the socket
	 * filter) loaded on the thread, and none without ahead */
	print_message("on the thread: %zu of %zu\n",
		      gadget_progs_in_parallel(par.g), par.n);
	assert_int_equal(gadget_progs_in_parallel(par.g), par.n - 1);
	assert_int_equal(gadget_progs_in_parallel(plain.g), 0);
	unload(&plain);
	unload(&par);
}

/* The calls libbpf makes, made here while armed for trace_dns's object:
 * a program that loads ends on its placeholder's fd, bound to the map
 * bound before it was loaded; one that fails is the error after. */
static void handed_over__fd_moved_bind_kept_failure_said(void **state)
{
	const struct bpf_insn ok[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	const struct bpf_insn bad[] = {
		{ .code = BPF_JMP | BPF_EXIT }, /* r0 never set */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	cleanup_error struct error *err = NULL;
	const char *build = getenv("BUILD");
	struct bpf_prog_info info = { 0 };
	__u32 size = sizeof(info), id;
	struct bpf_map_info mi = { 0 };
	__u32 msize = sizeof(mi);
	struct bpf_object *obj;
	struct progpar *p;
	char path[512], *elf;
	size_t len;
	int good, failing, largest, map;

	(void)state;
	snprintf(path, sizeof(path), "%s/gadget/trace_dns/program.bpf.o",
		 build ? build : "build");
	if (read_file(path, &elf, &len, &err))
		fail_msg("%s (run make first)", error_msg(err));
	obj = bpf_object__open_mem(elf, len, NULL);
	assert_non_null(obj);
	map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "progpar_test", 4, 4, 1, NULL);
	assert_true(map >= 0);
	assert_int_equal(bpf_obj_get_info_by_fd(map, &mi, &msize), 0);

	/* not armed: libbpf's own */
	good = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "connect4", "GPL", ok,
			     2, &opts);
	assert_true(good >= 0);
	assert_int_equal(bpf_obj_get_info_by_fd(good, &info, &size), 0);
	close(good);

	p = progpar_arm(obj);
	assert_non_null(p);
	good = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "connect4", "GPL", ok,
			     2, &opts);
	failing = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "sendmsg4", "GPL",
				bad, 1, &opts);
	assert_true(good >= 0);
	assert_true(failing >= 0); /* a placeholder: told after */
	assert_int_equal(bpf_prog_bind_map(good, map, NULL), 0);
	assert_int_equal(progpar_count(p), 2);
	/* the largest program (the filter) is not handed over */
	largest = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "trace_dns", "GPL",
				ok, 2, &opts);
	assert_true(largest >= 0);
	assert_int_equal(progpar_count(p), 2);
	close(largest);
	assert_int_equal(progpar_finish(p, 0, &err), -1);
	assert_non_null(strstr(error_msg(err), "sendmsg4"));

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 1;
	info.map_ids = (__u64)(uintptr_t)&id;
	assert_int_equal(bpf_obj_get_info_by_fd(good, &info, &size), 0);
	assert_int_equal(info.type, BPF_PROG_TYPE_SOCKET_FILTER);
	assert_string_equal(info.name, "connect4");
	assert_int_equal(info.nr_map_ids, 1);
	assert_int_equal(id, mi.id);
	close(good);
	close(failing);
	close(map);
	bpf_object__close(obj);
	free(elf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(in_parallel__same_kernel_programs_as_libbpf),
		cmocka_unit_test(handed_over__fd_moved_bind_kept_failure_said),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
