// SPDX-License-Identifier: Apache-2.0
/* runner/gadget.c: what the runner finds in a gadget's ELF from BTF alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "runner/gadget.h"

static struct gadget *open_example(const char *name)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *elf = NULL;
	const char *build = getenv("BUILD");
	char path[512];
	struct gadget *g = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/examples/%s/program.bpf.o",
		 build ? build : "build", name);
	if (read_file(path, &elf, &len, &err))
		fail_msg("%s (run make first)", error_msg(err));
	if (gadget_open(elf, len, name, &g, &err))
		fail_msg("%s", error_msg(err));
	return g;
}

static void open__tracer_marker__names_map_and_struct(void **state)
{
	struct gadget *g = open_example("trace_exec");
	const struct gadget_tracer *t;

	(void)state;
	assert_int_equal(gadget_tracer_count(g), 1);
	t = gadget_tracer(g, 0);
	assert_string_equal(t->name, "exec");
	assert_string_equal(t->map, "events");
	assert_string_equal(t->type, "event");
	assert_false(t->snapshot);
	assert_true(t->type_id > 0);
	gadget_free(g);
}

static void open__snapshotter_marker__lists_programs(void **state)
{
	struct gadget *g = open_example("snapshot_process");
	const struct gadget_tracer *t;

	(void)state;
	assert_int_equal(gadget_tracer_count(g), 1);
	t = gadget_tracer(g, 0);
	assert_true(t->snapshot);
	assert_string_equal(t->name, "processes");
	assert_string_equal(t->type, "process_entry");
	assert_string_equal(t->progs[0], "snapshot_processes");
	assert_null(t->progs[1]);
	gadget_free(g);
}

static size_t find_param(struct gadget *g, const char *var)
{
	size_t i;

	for (i = 0; i < gadget_param_count(g); i++)
		if (!strcmp(gadget_param(g, i)->var, var))
			return i;
	fail_msg("no param %s", var);
	return 0;
}

static void param_set__bool__accepts_true_false_only(void **state)
{
	cleanup_error struct error *err = NULL;
	struct gadget *g = open_example("trace_exec");
	size_t i = find_param(g, "ignore_failed");

	(void)state;
	assert_int_equal(gadget_param(g, i)->size, 1);
	assert_int_equal(gadget_param_set(g, i, "false", &err), 0);
	assert_int_equal(gadget_param_set(g, i, "true", &err), 0);
	assert_int_equal(gadget_param_set(g, i, "maybe", &err), -1);
	assert_non_null(strstr(error_msg(err), "ignore_failed"));
	gadget_free(g);
}

static void param_set__filter_ints__range_checked(void **state)
{
	cleanup_error struct error *err = NULL;
	struct gadget *g = open_example("trace_exec");
	size_t i = find_param(g, "targ_uid");

	(void)state;
	assert_int_equal(gadget_param_set(g, i, "1000", &err), 0);
	assert_int_equal(gadget_param_set(g, i, "0x10", &err), 0);
	assert_int_equal(gadget_param_set(g, i, "4294967296", &err), -1);
	assert_int_equal(gadget_param_set(g, i, "-1", &err), -1);
	assert_int_equal(gadget_param_set(g, i, "12abc", &err), -1);
	assert_int_equal(gadget_param_set(g, i, "", &err), -1);
	gadget_free(g);
}

static void param_set__char_array__length_checked(void **state)
{
	cleanup_error struct error *err = NULL;
	struct gadget *g = open_example("trace_exec");
	size_t i = find_param(g, "targ_comm");

	(void)state;
	assert_int_equal(gadget_param_set(g, i, "nslookup", &err), 0);
	assert_int_equal(
		gadget_param_set(g, i, "a-very-long-command-name", &err), -1);
	gadget_free(g);
}

static void open__not_an_elf__fails_with_message(void **state)
{
	cleanup_error struct error *err = NULL;
	struct gadget *g = NULL;
	static const char junk[] = "this is not an ELF file";

	(void)state;
	assert_int_equal(gadget_open(junk, sizeof(junk), "junk", &g, &err), -1);
	assert_null(g);
	assert_non_null(strstr(error_msg(err), "open eBPF object"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open__tracer_marker__names_map_and_struct),
		cmocka_unit_test(open__snapshotter_marker__lists_programs),
		cmocka_unit_test(param_set__bool__accepts_true_false_only),
		cmocka_unit_test(param_set__filter_ints__range_checked),
		cmocka_unit_test(param_set__char_array__length_checked),
		cmocka_unit_test(open__not_an_elf__fails_with_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
