// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/param_value.c: a param's value written into its .rodata
 * slot, as a hostile gadget's BTF may describe it: nothing is written
 * outside the slot, whatever the types say.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>
#include <cmocka.h>

#include "runner/engine/param_value.h"

/* value for var, of type t into a slot of size bytes, is refused: msg. */
static void assert_refused(const struct btf *btf, int t, const char *var,
			   const char *value, size_t size, const char *msg)
{
	struct error *err = NULL;
	uint8_t slot[64];

	assert_true(size <= sizeof(slot));
	assert_int_equal(
		param_value_parse(btf, t, var, value, slot, size, &err), -1);
	assert_string_equal(error_msg(err), msg);
	error_free(err);
}

/* A 16-byte integer (a gadget's __int128, or a hostile size) is refused:
 * its value was copied from an 8-byte one. */
static void parse__integer_wider_than_8__refused(void **state)
{
	struct btf *btf = btf__new_empty();
	int t = btf__add_int(btf, "__int128", 16, BTF_INT_SIGNED);

	(void)state;
	assert_refused(btf, t, "big", "1", 16, "param big: unsupported type");
	btf__free(btf);
}

/* A slot of another size than its type (the datasec and the variable's
 * type disagree): refused before anything is written. */
static void parse__slot_not_of_the_type_size__refused(void **state)
{
	struct btf *btf = btf__new_empty();
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	int str = btf__add_array(btf, u32, chr, 16);
	struct error *err = NULL;
	uint8_t slot[8] = { 0 };

	(void)state;
	assert_refused(btf, str, "name", "x", 8,
		       "param name: its type is not of its 8 bytes");
	assert_int_equal(param_value_parse(btf, u32, "n", "7", slot, 4, &err),
			 0);
	assert_int_equal(slot[0], 7);
	btf__free(btf);
}

/* gadget_l3endpoint_t whose version member lies past the struct: refused
 * ("unsupported layout"), not written past the slot. */
static void parse__l3endpoint_version_past_the_struct__refused(void **state)
{
	struct btf *btf = btf__new_empty();
	int u8 = btf__add_int(btf, "unsigned char", 1, 0);
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int v6 = btf__add_array(btf, u32, u8, 16);
	int ep = btf__add_struct(btf, "gadget_l3endpoint_t", 20);

	(void)state;
	btf__add_field(btf, "addr_raw", v6, 0, 0);
	btf__add_field(btf, "version", u8, 8 * 200, 0);
	assert_refused(btf, ep, "ip", "10.0.0.1", 20,
		       "param ip: unsupported layout");
	btf__free(btf);
}

/*
 * A bool param takes what every ig bool param takes here: Go's ParseBool
 * spellings and true or false in any case (ig's ValidateBool); whatever
 * the spelling, its one byte is 1 or 0, as ig writes a Go bool: the
 * gadget sees true or false, never the text.
 */
static void parse__bool_any_spelling__one_byte_1_or_0(void **state)
{
	static const char *const yes[] = { "1",	   "t",	   "T",	   "TRUE",
					   "true", "True", "tRuE", "TRUe" };
	static const char *const no[] = { "0",	   "f",	    "F",     "FALSE",
					  "false", "False", "fAlSe", "faLSE" };
	static const char *const bad[] = { "yes",    "",  " true",
					   "true\n", "2", "on" };
	struct btf *btf = btf__new_empty();
	int b = btf__add_int(btf, "_Bool", 1, BTF_INT_BOOL);
	int cb = btf__add_const(
		btf, btf__add_volatile(btf, btf__add_typedef(btf, "bool", b)));
	struct error *err = NULL;
	uint8_t slot[2];
	char msg[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		memset(slot, 0xa5, sizeof(slot));
		assert_int_equal(param_value_parse(btf, cb, "on", yes[i], slot,
						   1, &err),
				 0);
		assert_int_equal(slot[0], 1);
		assert_int_equal(slot[1], 0xa5);
		assert_int_equal(param_value_parse(btf, cb, "on", no[i], slot,
						   1, &err),
				 0);
		assert_int_equal(slot[0], 0);
		assert_int_equal(slot[1], 0xa5);
	}
	assert_null(err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(msg, sizeof(msg),
			 "param on: '%s' is not true or false", bad[i]);
		assert_refused(btf, cb, "on", bad[i], 1, msg);
	}
	btf__free(btf);
}

/* value into an integer of type t and size bytes: the bytes it writes,
 * read back as a 64-bit number (sign-extended for a signed one). */
static long long parsed(const struct btf *btf, int t, const char *value,
			size_t size, bool is_signed)
{
	struct error *err = NULL;
	union {
		int8_t s8;
		int32_t s32;
		uint32_t u32;
		uint64_t u64;
	} slot = { 0 };

	if (param_value_parse(btf, t, "n", value, &slot, size, &err))
		fail_msg("'%s': %s", value, error_msg(err));
	if (size == 1)
		return slot.s8;
	if (size == 4)
		return is_signed ? slot.s32 : (long long)slot.u32;
	return (long long)slot.u64;
}

/* Integers as ig's params take them (Go's strconv.ParseUint and ParseInt
 * in base 10, and 0x hex): no space, no sign on an unsigned one, which
 * strtoull() read as " -5" = 2^64 - 5; a sign on a signed one. */
static void parse__integers_as_go_parses_them(void **state)
{
	struct btf *btf = btf__new_empty();
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	int u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	int s8 = btf__add_int(btf, "signed char", 1, BTF_INT_SIGNED);
	/* each refused by a 4-byte unsigned (0) or signed (1) integer */
	static const struct {
		const char *v;
		bool is_signed;
	} bad[] = {
		{ " -5", 0 },	     { " 5", 0 },	   { "+5", 0 },
		{ "5 ", 0 },	     { "-5", 0 },	   { "", 0 },
		{ "0x", 0 },	     { "0x-5", 0 },	   { "0x 5", 0 },
		{ "0x+5", 0 },	     { "0x0x5", 0 },	   { "4294967296", 0 },
		{ "\t5", 0 },	     { "5x", 0 },	   { " -5", 1 },
		{ " 5", 1 },	     { "- 5", 1 },	   { "+-5", 1 },
		{ "--5", 1 },	     { "0x-5", 1 },	   { "-0x5", 1 },
		{ "2147483648", 1 }, { "-2147483649", 1 },
	};
	char msg[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(msg, sizeof(msg),
			 "param n: invalid value '%s' for a 4-byte %s integer",
			 bad[i].v, bad[i].is_signed ? "signed" : "unsigned");
		assert_refused(btf, bad[i].is_signed ? s32 : u32, "n", bad[i].v,
			       4, msg);
	}
	assert_refused(btf, u64, "n", " -5", 8,
		       "param n: invalid value ' -5' for a 8-byte unsigned "
		       "integer");
	assert_refused(btf, u64, "n", "18446744073709551616", 8,
		       "param n: invalid value '18446744073709551616' for a "
		       "8-byte unsigned integer");
	assert_refused(btf, s8, "n", "128", 1,
		       "param n: invalid value '128' for a 1-byte signed "
		       "integer");
	assert_int_equal(parsed(btf, u32, "5", 4, false), 5);
	assert_int_equal(parsed(btf, u32, "010", 4, false), 10);
	assert_int_equal(parsed(btf, u32, "0x1f", 4, false), 31);
	assert_int_equal(parsed(btf, u32, "0XfF", 4, false), 255);
	assert_int_equal(parsed(btf, u32, "4294967295", 4, false),
			 4294967295LL);
	assert_true((uint64_t)parsed(btf, u64, "18446744073709551615", 8,
				     false) == UINT64_MAX);
	assert_int_equal(parsed(btf, s32, "-5", 4, true), -5);
	assert_int_equal(parsed(btf, s32, "+5", 4, true), 5);
	assert_int_equal(parsed(btf, s32, "-2147483648", 4, true),
			 -2147483648LL);
	assert_int_equal(parsed(btf, s8, "-128", 1, true), -128);
	assert_int_equal(parsed(btf, s8, "0x7f", 1, true), 127);
	btf__free(btf);
}

/*
 * The type names ig's well-known params are told by: the variable's type
 * through const, volatile, typedefs and array elements ("const volatile
 * gadget_comm targ_comm[16]" is a gadget_comm and a char), not a
 * struct's members nor a pointer's target; a typedef loop ends.
 */
static void type_named__through_qualifiers_typedefs_arrays(void **state)
{
	struct btf *btf = btf__new_empty();
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	int b = btf__add_int(btf, "_Bool", 1, BTF_INT_BOOL);
	int pid = btf__add_typedef(btf, "gadget_pid", u32);
	int cpid = btf__add_const(btf, btf__add_volatile(btf, pid));
	int comm = btf__add_typedef(btf, "gadget_comm", chr);
	int comms = btf__add_array(btf, u32, btf__add_volatile(btf, comm), 16);
	int cb = btf__add_const(btf, btf__add_typedef(btf, "bool", b));
	int st = btf__add_struct(btf, "s", 4);
	int ptr, loop;

	(void)state;
	btf__add_field(btf, "p", pid, 0, 0);
	ptr = btf__add_ptr(btf, pid);
	loop = btf__add_typedef(btf, "loop", 0);
	/* libbpf adds no loop: made by hand, as a hostile BTF has it */
	((struct btf_type *)btf__type_by_id(btf, loop))->type = (__u32)loop;
	assert_true(param_type_named(btf, cpid, "gadget_pid"));
	assert_true(param_type_named(btf, cpid, "unsigned int"));
	assert_false(param_type_named(btf, cpid, "gadget_tid"));
	assert_true(param_type_named(btf, comms, "gadget_comm"));
	assert_true(param_type_named(btf, comms, "char"));
	assert_true(param_type_named(btf, cb, "bool"));
	assert_false(param_type_named(btf, b, "bool"));
	assert_false(param_type_named(btf, st, "gadget_pid"));
	assert_false(param_type_named(btf, ptr, "gadget_pid"));
	assert_false(param_type_named(btf, loop, "x"));
	assert_false(param_type_named(btf, 9999, "x"));
	btf__free(btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse__integer_wider_than_8__refused),
		cmocka_unit_test(parse__slot_not_of_the_type_size__refused),
		cmocka_unit_test(
			parse__l3endpoint_version_past_the_struct__refused),
		cmocka_unit_test(parse__integers_as_go_parses_them),
		cmocka_unit_test(parse__bool_any_spelling__one_byte_1_or_0),
		cmocka_unit_test(
			type_named__through_qualifiers_typedefs_arrays),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
