// SPDX-License-Identifier: Apache-2.0
/* runner/engine/gadget.c: what the runner finds in a gadget's ELF from BTF alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "runner/engine/gadget.h"
#include "runner/engine/param_value.h"

static struct gadget *open_object(const char *dir, const char *name)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *elf = NULL;
	const char *build = getenv("BUILD");
	char path[512];
	struct gadget *g = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s/%s/program.bpf.o",
		 build ? build : "build", dir, name);
	if (read_file(path, &elf, &len, &err))
		fail_msg("%s (run make first)", error_msg(err));
	if (gadget_open(elf, len, name, &g, &err))
		fail_msg("%s", error_msg(err));
	return g;
}

static struct gadget *open_example(const char *name)
{
	return open_object("examples", name);
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

static void param_set__bool__accepts_go_bools_only(void **state)
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

/* Set var to value; compare the bytes that will be loaded with want. */
static void expect_bytes(struct gadget *g, const char *var, const char *value,
			 const void *want, size_t n)
{
	cleanup_error struct error *err = NULL;
	size_t i = find_param(g, var);

	if (gadget_param_set(g, i, value, &err))
		fail_msg("%s=%s: %s", var, value, error_msg(err));
	assert_true(gadget_param(g, i)->size >= n);
	assert_memory_equal(gadget_param_data(g, i), want, n);
}

static void expect_rejected(struct gadget *g, const char *var,
			    const char *value)
{
	cleanup_error struct error *err = NULL;

	assert_int_equal(gadget_param_set(g, find_param(g, var), value, &err),
			 -1);
	assert_non_null(strstr(error_msg(err), var));
}

static void param_set__every_kind__bytes_as_loaded(void **state)
{
	struct gadget *g = open_object("tests/fixtures", "params");
	const __u8 t = 1, f = 0, u8 = 200;
	const __s32 s32 = -5;
	const __u64 u64 = 0x1122334455667788ULL;
	const char str[8] = "abc";
	const __u16 list3[4] = { 53, 5353, 853, 0 }, list1[4] = { 7, 0, 0, 0 };
	const __u8 v4[16] = { 10, 0, 0, 1 };
	const __u8 v6[16] = { 0xfd, 0x77, [15] = 1 };
	__u8 ep[17] = { 192, 0, 2, 1, [16] = 4 };

	(void)state;
	expect_bytes(g, "p_bool", "true", &t, 1);
	/* every spelling of Go's ParseBool, as ig's bool params */
	expect_bytes(g, "p_bool", "F", &f, 1);
	expect_bytes(g, "p_bool", "True", &t, 1);
	expect_bytes(g, "p_bool", "FALSE", &f, 1);
	expect_bytes(g, "p_bool", "t", &t, 1);
	expect_rejected(g, "p_bool", "yes");
	expect_bytes(g, "p_u8", "200", &u8, 1);
	expect_rejected(g, "p_u8", "256");
	expect_bytes(g, "p_s32", "-5", &s32, 4);
	expect_bytes(g, "p_s32", "-005", &s32, 4);
	expect_bytes(g, "p_u8", "0200", &u8, 1);
	expect_rejected(g, "p_s32", "2147483648");
	expect_bytes(g, "p_u64", "0x1122334455667788", &u64, 8);
	expect_bytes(g, "p_str", "abc", str, 8);
	expect_rejected(g, "p_str", "12345678");
	expect_bytes(g, "p_list", "53,5353,853", list3, 8);
	/* a shorter list zero-fills what the default had */
	expect_bytes(g, "p_list", "7", list1, 8);
	/* decimal with leading zeros, as ig's ParseUint (it was octal:
	 * "0053" refused, "010" 8) */
	expect_bytes(g, "p_list", "0053,05353,0853", list3, 8);
	expect_rejected(g, "p_list", "1,2,3,4,5");
	expect_rejected(g, "p_list", "1,x");
	expect_bytes(g, "p_ip", "10.0.0.1", v4, 16);
	expect_bytes(g, "p_ip", "fd77::1", v6, 16);
	expect_rejected(g, "p_ip", "10.0.0.256");
	expect_bytes(g, "p_ep", "192.0.2.1", ep, 17);
	memcpy(ep, v6, 16);
	ep[16] = 6;
	expect_bytes(g, "p_ep", "fd77::1", ep, 17);
	gadget_free(g);
}

/* Only a bool's flag may go without a value. */
static void param_is_bool__bool_only(void **state)
{
	struct gadget *g = open_object("tests/fixtures", "params");
	const struct btf *btf = gadget_btf(g);

	(void)state;
	assert_true(param_value_is_bool(
		btf, gadget_param(g, find_param(g, "p_bool"))->type_id));
	assert_false(param_value_is_bool(
		btf, gadget_param(g, find_param(g, "p_u8"))->type_id));
	assert_false(param_value_is_bool(
		btf, gadget_param(g, find_param(g, "p_str"))->type_id));
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
	/* refused before libbpf (objinfo_check()), in libelf's words */
	assert_non_null(strstr(error_msg(err), "eBPF object: "));
	assert_null(strstr(error_msg(err), "Unknown error"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open__tracer_marker__names_map_and_struct),
		cmocka_unit_test(param_is_bool__bool_only),
		cmocka_unit_test(open__snapshotter_marker__lists_programs),
		cmocka_unit_test(param_set__bool__accepts_go_bools_only),
		cmocka_unit_test(param_set__filter_ints__range_checked),
		cmocka_unit_test(param_set__char_array__length_checked),
		cmocka_unit_test(param_set__every_kind__bytes_as_loaded),
		cmocka_unit_test(open__not_an_elf__fails_with_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
