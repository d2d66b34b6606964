// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/stacks.c with no symbols to sort: a /proc/kallsyms without
 * addresses (as a reader without CAP_SYSLOG sees it) and a mapped ELF file
 * without a symbol table.  The gadget's stack maps are this test's own
 * (bpf_map_lookup_elem and gadget_map_fd wrapped), and so is kallsyms
 * (fopen wrapped).  Reads /proc/self/map_files: needs root.
 */
#include <elf.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "runner/engine/gadget.h"
#include "runner/engine/stacks.h"

#define STACK_FD 1000 /* what gadget_map_fd() answers: never opened */

static __u64 frame; /* the one frame of every stack */

int __wrap_gadget_map_fd(const struct gadget *g, const char *name);
int __wrap_bpf_map_lookup_elem(int fd, const void *key, void *value);
FILE *__real_fopen(const char *path, const char *mode);
FILE *__wrap_fopen(const char *path, const char *mode);

int __wrap_gadget_map_fd(const struct gadget *g, const char *name)
{
	(void)g;
	(void)name;
	return STACK_FD;
}

int __wrap_bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	(void)key;
	assert_int_equal(fd, STACK_FD);
	memset(value, 0, STACK_MAX_DEPTH * sizeof(__u64));
	memcpy(value, &frame, sizeof(frame));
	return 0;
}

/* kallsyms as without CAP_SYSLOG: every address 0, so no symbol kept */
FILE *__wrap_fopen(const char *path, const char *mode)
{
	static char zeros[] = "0000000000000000 T _text\n"
			      "0000000000000000 t do_one_initcall\n";

	if (!strcmp(path, "/proc/kallsyms"))
		return fmemopen(zeros, strlen(zeros), "r");
	return __real_fopen(path, mode);
}

static void kernel_text__no_symbols__unknown(void **state)
{
	struct stacks *s = stacks_new(NULL);
	char buf[STACK_TEXT_MAX];

	(void)state;
	assert_non_null(s);
	frame = 0xffffffff81000000ull;
	assert_int_equal(stacks_kernel_text(s, 1, buf, sizeof(buf)),
			 strlen("[unknown]; "));
	assert_string_equal(buf, "[unknown]; ");
	stacks_free(s);
}

static void user_text__elf_without_symtab__address(void **state)
{
	char path[] = "/tmp/test_stacks.XXXXXX", want[64];
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
			     ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_DYN,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_ehsize = sizeof(Elf64_Ehdr),
	};
	struct stacks *s = stacks_new(NULL);
	char buf[STACK_TEXT_MAX];
	void *map;
	int fd = mkstemp(path);

	(void)state;
	assert_non_null(s);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, &eh, sizeof(eh)), sizeof(eh));
	map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(map != MAP_FAILED);
	close(fd);
	frame = (__u64)(uintptr_t)map + 16;
	snprintf(want, sizeof(want), "0x%llx; ", (unsigned long long)frame);
	stacks_user_text(s, STACK_SYMBOLS, 1, (__u32)getpid(), 0, 1, buf,
			 sizeof(buf));
	assert_string_equal(buf, want);
	munmap(map, 4096);
	stacks_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_text__no_symbols__unknown),
		cmocka_unit_test(user_text__elf_without_symtab__address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
