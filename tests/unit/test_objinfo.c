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
#include <elf.h>
#include <linux/btf.h>

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

static Elf64_Shdr *shdr(char *elf, size_t i)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)elf;

	return (Elf64_Shdr *)(elf + eh->e_shoff) + i;
}

/* The first section of type type (and name, unless NULL). */
static Elf64_Shdr *section(char *elf, unsigned type, const char *name)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)elf;
	const char *names = elf + shdr(elf, eh->e_shstrndx)->sh_offset;

	for (size_t i = 1; i < eh->e_shnum; i++)
		if (shdr(elf, i)->sh_type == type &&
		    (!name || !strcmp(names + shdr(elf, i)->sh_name, name)))
			return shdr(elf, i);
	fail_msg("no section %s of type %u", name ? name : "", type);
	return NULL;
}

static Elf64_Sym *last_symbol(char *elf)
{
	Elf64_Shdr *s = section(elf, SHT_SYMTAB, NULL);

	return (Elf64_Sym *)(elf + s->sh_offset) +
	       s->sh_size / sizeof(Elf64_Sym) - 1;
}

static Elf64_Rel *first_rel(char *elf)
{
	return (Elf64_Rel *)(elf + section(elf, SHT_REL, NULL)->sh_offset);
}

static void sym_section_past_last(char *elf)
{
	last_symbol(elf)->st_shndx = ((Elf64_Ehdr *)elf)->e_shnum;
}

static void sym_past_its_section(char *elf)
{
	/* as libbpf 1.6 fixed: an offset that wraps to before the section */
	last_symbol(elf)->st_value = (Elf64_Addr)-64;
}

static void rel_symbol_past_table(char *elf)
{
	Elf64_Shdr *s = section(elf, SHT_SYMTAB, NULL);

	first_rel(elf)->r_info =
		ELF64_R_INFO(s->sh_size / sizeof(Elf64_Sym), R_BPF_64_64);
}

static void rel_past_its_section(char *elf)
{
	Elf64_Shdr *rel = section(elf, SHT_REL, NULL);

	first_rel(elf)->r_offset = shdr(elf, rel->sh_info)->sh_size;
}

/* The program holding the first relocation (a 64-bit load) ends inside
 * that instruction. */
static void program_ends_mid_load(char *elf)
{
	Elf64_Shdr *rel = section(elf, SHT_REL, NULL);
	Elf64_Shdr *code = shdr(elf, rel->sh_info);
	Elf64_Shdr *syms = section(elf, SHT_SYMTAB, NULL);
	Elf64_Sym *sym = (Elf64_Sym *)(elf + syms->sh_offset);
	Elf64_Addr at = first_rel(elf)->r_offset;

	assert_int_equal((unsigned char)elf[code->sh_offset + at], 0x18);
	for (size_t i = 0; i < syms->sh_size / sizeof(*sym); i++, sym++)
		if (ELF64_ST_TYPE(sym->st_info) == STT_FUNC &&
		    sym->st_shndx == rel->sh_info && sym->st_value <= at &&
		    at < sym->st_value + sym->st_size)
			sym->st_size = at + 8 - sym->st_value;
}

static void rel_of_section_past_last(char *elf)
{
	section(elf, SHT_REL, NULL)->sh_info = ((Elf64_Ehdr *)elf)->e_shnum;
}

static void section_past_file_end(char *elf)
{
	section(elf, SHT_PROGBITS, ".rodata")->sh_offset = 1u << 30;
}

static void names_not_strings(char *elf)
{
	Elf64_Shdr *s = section(elf, SHT_SYMTAB, NULL);

	s->sh_link = (Elf64_Word)(s - shdr(elf, 0)); /* itself */
}

/* Type 1 of the object's .BTF, a PTR in trace_dns. */
static struct btf_type *btf_ptr_1(char *elf)
{
	char *btf = elf + section(elf, SHT_PROGBITS, ".BTF")->sh_offset;
	const struct btf_header *h = (const struct btf_header *)btf;
	struct btf_type *t =
		(struct btf_type *)(btf + h->hdr_len + h->type_off);

	assert_int_equal(BTF_INFO_KIND(t->info), BTF_KIND_PTR);
	return t;
}

static void btf_type_refers_past_last(char *elf)
{
	btf_ptr_1(elf)->type = 0xffffff;
}

static void btf_ptr_to_itself(char *elf)
{
	btf_ptr_1(elf)->type = 1;
}

static void btf_ext_records_past_end(char *elf)
{
	char *ext = elf + section(elf, SHT_PROGBITS, ".BTF.ext")->sh_offset;

	memset(ext + 8, 0x7f, 4); /* func_info_off */
}

/* What libbpf 1.1 takes for granted, broken one at a time in trace_dns's
 * object: each is refused, and the object itself passes. */
static void objinfo_check__one_flaw_each__refused(void **state)
{
	static const struct {
		void (*mutate)(char *elf);
		const char *why;
	} flaws[] = {
		{ sym_section_past_last, "out of range" },
		{ sym_past_its_section, "past the end of section" },
		{ rel_symbol_past_table, "relocation 0 out of range" },
		{ rel_past_its_section, "relocation 0 out of range" },
		{ rel_of_section_past_last, "bad relocation section" },
		{ program_ends_mid_load, "relocation 0: no whole instruction" },
		{ section_past_file_end, "past the end of the file" },
		{ names_not_strings, "not a string table" },
		{ btf_type_refers_past_last, "type 1: refers to a type past" },
		{ btf_ptr_to_itself, "a loop of type references" },
		{ btf_ext_records_past_end, "invalid .BTF.ext" },
	};
	cleanup_free char *elf = NULL, *copy = NULL;
	size_t len;

	(void)state;
	elf = trace_dns(&len);
	copy = malloc(len);
	assert_non_null(copy);
	assert_int_equal(objinfo_check(elf, len, NULL), 0);
	for (size_t i = 0; i < sizeof(flaws) / sizeof(flaws[0]); i++) {
		cleanup_error struct error *err = NULL;

		memcpy(copy, elf, len);
		flaws[i].mutate(copy);
		assert_int_equal(objinfo_check(copy, len, &err), -1);
		if (!strstr(error_msg(err), flaws[i].why))
			fail_msg("flaw %zu: %s", i, error_msg(err));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(objinfo__not_elf_or_cut__error),
		cmocka_unit_test(objinfo__trace_dns__sections_maps_variables),
		cmocka_unit_test(objinfo_check__one_flaw_each__refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
