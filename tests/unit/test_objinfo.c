// SPDX-License-Identifier: Apache-2.0
/* runner/engine/objinfo.c: ig's ebpf.* extra info of an untrusted ELF. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/cleanup.h"
#include "common/error.h"
#include "common/fileutil.h"
#include "common/json.h"
#include "runner/engine/objinfo.h"

typedef json_t *(*info_fn)(const void *, size_t, struct error **);

static const info_fn infos[] = { objinfo_sections, objinfo_maps,
				 objinfo_variables, objinfo_programs };

static char *trace_dns(size_t *len)
{
	cleanup_error struct error *err = NULL;
	const char *build = getenv("BUILD");
	char path[512];
	char *elf = NULL;

	snprintf(path, sizeof(path), "%s/gadget/trace_dns/program.bpf.o",
		 build ? build : "build");
	if (read_file(path, &elf, len, &err))
		fail_msg("%s (run make first)", error_msg(err));
	return elf;
}

/* What no ELF is, or an ELF cut short, is one error for every key. */
static void objinfo__not_elf_or_cut__error(void **state)
{
	static const char junk[] = "not an ELF object at all, only text";
	cleanup_free char *elf = NULL;
	size_t len, cuts[] = { 16, 64, 4096 };

	(void)state;
	elf = trace_dns(&len);
	for (size_t k = 0; k < sizeof(infos) / sizeof(infos[0]); k++) {
		cleanup_error struct error *err = NULL;

		assert_null(infos[k](junk, sizeof(junk), &err));
		assert_non_null(err);
		for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
			cleanup_error struct error *e2 = NULL;

			assert_true(cuts[c] < len);
			assert_null(infos[k](elf, cuts[c], &e2));
			assert_non_null(e2);
		}
	}
}

/* info of the ELF as compact JSON text (malloc'd); NULL + err. */
static char *info_text(info_fn info, const void *elf, size_t len,
		       struct error **err)
{
	cleanup_json json_t *v = info(elf, len, err);

	return v ? json_dumps(v, JSON_COMPACT) : NULL;
}

/* The whole object: sections from the null one, maps and variables. */
static void objinfo__trace_dns__sections_maps_variables(void **state)
{
	cleanup_free char *elf = NULL, *secs = NULL, *maps = NULL, *vars = NULL;
	cleanup_error struct error *err = NULL;
	size_t len;

	(void)state;
	elf = trace_dns(&len);
	secs = info_text(objinfo_sections, elf, len, &err);
	assert_non_null(secs);
	assert_memory_equal(secs, "[\"\",", 4);
	assert_non_null(strstr(secs, "\"socket\""));
	maps = info_text(objinfo_maps, elf, len, &err);
	assert_non_null(maps);
	assert_non_null(
		strstr(maps, "{\"Name\":\"events\",\"Type\":\"RingBuf\"}"));
	assert_null(strstr(maps, ".rodata"));
	vars = info_text(objinfo_variables, elf, len, &err);
	assert_non_null(vars);
	assert_non_null(strstr(vars, "{\"Name\":\"targ_pid\",\"Offset\":4,"
				     "\"Size\":4,\"Map\":\".rodata\"}"));
	assert_null(strstr(vars, "\"zero\"")); /* a static */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(objinfo__not_elf_or_cut__error),
		cmocka_unit_test(objinfo__trace_dns__sections_maps_variables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
