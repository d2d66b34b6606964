// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/uprobes.c: a library named without a path
 * ("uprobe/libc:malloc") is the ELF shared object of the highest version
 * in the first folder that has one, never the linker script libc6-dev
 * installs as libc.so, nor an object file or a library whose name only
 * starts the same.
 */
#include <elf.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner/engine/uprobes.h"

static char root[] = "/tmp/uprobes-lib-XXXXXX";
static char dir1[PATH_MAX], dir2[PATH_MAX];

static void put(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* An ELF header of type type (the rest of the file does not matter). */
static void put_elf(const char *dir, const char *name, uint16_t type)
{
	Elf64_Ehdr h = { .e_type = type };

	memcpy(h.e_ident, ELFMAG, SELFMAG);
	h.e_ident[EI_CLASS] = ELFCLASS64;
	put(dir, name, &h, sizeof(h));
}

static void put_script(const char *dir, const char *name)
{
	static const char s[] = "/* GNU ld script */\nOUTPUT_FORMAT(elf64-"
				"x86-64)\nGROUP ( /lib/libc.so.6 )\n";

	put(dir, name, s, sizeof(s) - 1);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	snprintf(dir1, sizeof(dir1), "%s/a", root);
	snprintf(dir2, sizeof(dir2), "%s/b", root);
	return mkdir(dir1, 0755) || mkdir(dir2, 0755);
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static void find(const char *lib, const char *want_dir, const char *want)
{
	const char *const dirs[] = { dir1, dir2 };
	char out[PATH_MAX], expect[PATH_MAX];

	assert_int_equal(uprobes_find_library(dirs, 2, lib, out, sizeof(out)),
			 0);
	snprintf(expect, sizeof(expect), "%s/%s", want_dir, want);
	assert_string_equal(out, expect);
}

/* The first folder has only a linker script (and an object file): the
 * library is the second's. */
static void test_script_alone_is_not_the_library(void **state)
{
	(void)state;
	put_script(dir1, "libx.so");
	put_elf(dir1, "libx.so.7", ET_REL);
	put_elf(dir2, "libx.so.1", ET_DYN);
	find("libx", dir2, "libx.so.1");
}

/* Beside the script, the highest version by number (10 above 9), not a
 * longer name's. */
static void test_highest_version_beside_the_script(void **state)
{
	(void)state;
	put_elf(dir1, "liby.so.1", ET_DYN);
	put_script(dir1, "liby.so");
	put_elf(dir1, "liby.so.10", ET_DYN);
	put_elf(dir1, "liby.so.9.5", ET_DYN);
	put_elf(dir1, "libyy.so.99", ET_DYN);
	put_elf(dir1, "liby.so.10.0.1", ET_DYN);
	put_elf(dir2, "liby.so.11", ET_DYN);
	find("liby", dir1, "liby.so.10.0.1");
}

/* A version with more than numbers is ordered as ldconfig orders the
 * names of ld.so.cache: ".6x" after ".6" and ".6.1" ('x' after '.'),
 * ".7" after ".6x", never equal to ".6". */
static void test_version_with_letters_ordered_as_ldconfig(void **state)
{
	(void)state;
	put_elf(dir1, "libu.so.6", ET_DYN);
	put_elf(dir1, "libu.so.6x", ET_DYN);
	put_elf(dir1, "libu.so.6.1", ET_DYN);
	find("libu", dir1, "libu.so.6x");
	put_elf(dir2, "libt.so.6x", ET_DYN);
	put_elf(dir2, "libt.so.7", ET_DYN);
	put_elf(dir2, "libt.so.06", ET_DYN);
	find("libt", dir2, "libt.so.7");
}

/* A plain <lib>.so that is a shared object is taken where it is the
 * only one; only scripts: none. */
static void test_unversioned_and_none(void **state)
{
	const char *const dirs[] = { dir1, dir2 };
	char out[PATH_MAX];

	(void)state;
	put_elf(dir2, "libz.so", ET_DYN);
	find("libz", dir2, "libz.so");
	put_script(dir1, "libw.so");
	put_script(dir2, "libw.so");
	assert_int_equal(
		uprobes_find_library(dirs, 2, "libw", out, sizeof(out)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script_alone_is_not_the_library),
		cmocka_unit_test(test_highest_version_beside_the_script),
		cmocka_unit_test(test_unversioned_and_none),
		cmocka_unit_test(test_version_with_letters_ordered_as_ldconfig),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
