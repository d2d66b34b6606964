// SPDX-License-Identifier: Apache-2.0
/*
 * stacks_read_maps() (runner/engine/stacks.c) of /proc/<pid>/maps texts:
 * a mapped file's path is whatever its owner named it, spaces included,
 * up to PATH_MAX bytes; what it holds past the reader's buffer is no
 * mapping of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <cmocka.h>

#include "runner/engine/stacks.h"

#define REAL "7f0000000000-7f0000010000 r-xp 00000000 08:01 1234 "
/* what a process can name a directory of its own: a mapping's line */
#define FAKE "1000-2000 r-xp 00000000 08:01 1235 "
#define NEXT "7f0000020000-7f0000030000 r--p 00001000 08:01 1236 /lib/b.so\n"

static size_t read_text(const char *text, struct stacks_mapping *maps,
			size_t max)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	size_t n;

	assert_non_null(f);
	n = stacks_read_maps(f, maps, max);
	fclose(f);
	return n;
}

/* A path whose bytes from every offset 'at' of a few hundred on read as a
 * mapping: none but the lines' own are read, whatever the reader's
 * buffer. */
static void read_maps__long_path_holding_a_line__one_mapping(void **state)
{
	struct stacks_mapping maps[8];
	char text[4096];

	(void)state;
	for (size_t at = 300; at < 2000; at++) {
		size_t len = strlen(REAL), n;

		memcpy(text, REAL, len);
		/* components of NAME_MAX bytes at most */
		while (len < at) {
			text[len] = len % 200 ? 'a' : '/';
			len++;
		}
		snprintf(text + len, sizeof(text) - len, "%s/lib.so\n%s", FAKE,
			 NEXT);
		n = read_text(text, maps, 8);
		assert_int_equal(n, 2);
		assert_int_equal(maps[0].start, 0x7f0000000000ULL);
		assert_int_equal(maps[0].ino, 1234);
		assert_int_equal(maps[1].start, 0x7f0000020000ULL);
		assert_int_equal(maps[1].off, 0x1000);
		assert_int_equal(maps[1].ino, 1236);
	}
}

/* Anonymous mappings (inode 0) are left out; the first max kept. */
static void read_maps__anonymous_left_out_bounded(void **state)
{
	struct stacks_mapping maps[2];
	const char *text =
		"7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n" NEXT REAL
		"/x\n" NEXT;

	(void)state;
	assert_int_equal(read_text(text, maps, 2), 2);
	assert_int_equal(maps[0].ino, 1236);
	assert_int_equal(maps[0].dev, makedev(8, 1));
	assert_int_equal(maps[1].ino, 1234);
	assert_int_equal(maps[1].tab, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			read_maps__long_path_holding_a_line__one_mapping),
		cmocka_unit_test(read_maps__anonymous_left_out_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
