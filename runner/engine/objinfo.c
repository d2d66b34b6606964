// SPDX-License-Identifier: Apache-2.0
/*
 * ig's ebpf.* extra info of an eBPF object: its ELF sections and symbols
 * through libelf, its maps' types from its BTF (nothing is loaded; not
 * libbpf's object open either, which crashes on some malformed ELFs).
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include <bpf/btf.h>
#include <jansson.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "runner/engine/objinfo.h"

/* cilium/ebpf's MapType names, by the kernel's enum bpf_map_type */
static const char *const map_types[] = {
	"UnspecifiedMap",
	"Hash",
	"Array",
	"ProgramArray",
	"PerfEventArray",
	"PerCPUHash",
	"PerCPUArray",
	"StackTrace",
	"CGroupArray",
	"LRUHash",
	"LRUCPUHash",
	"LPMTrie",
	"ArrayOfMaps",
	"HashOfMaps",
	"DevMap",
	"SockMap",
	"CPUMap",
	"XSKMap",
	"SockHash",
	"CGroupStorage",
	"ReusePortSockArray",
	"PerCPUCGroupStorage",
	"Queue",
	"Stack",
	"SkStorage",
	"DevMapHash",
	"StructOpsMap",
	"RingBuf",
	"InodeStorage",
	"TaskStorage",
	"BloomFilter",
	"UserRingbuf",
	"CgroupStorage",
	"Arena",
};

/* An eBPF ELF open for reading: its sections and its symbol table. */
struct elf_view {
	Elf *e;
	size_t nsec, shstrndx;
	Elf_Data *syms; /* .symtab, or NULL */
	size_t nsyms, symstr;
	bool *used; /* per section: a symbol in it or a relocation to it */
	Elf_Data *btf; /* .BTF, or NULL */
};

static void elf_view_close(struct elf_view *v)
{
	free(v->used);
	if (v->e)
		elf_end(v->e);
}

static const char *sec_name(const struct elf_view *v, size_t i)
{
	Elf_Scn *scn = elf_getscn(v->e, i);
	const char *name = NULL;
	GElf_Shdr sh;

	if (scn && gelf_getshdr(scn, &sh))
		name = elf_strptr(v->e, v->shstrndx, sh.sh_name);
	return name ? name : "";
}

/* Every relocation of a SHT_REL section s marks its symbol's section. */
static void mark_relocated(struct elf_view *v, Elf_Scn *s, size_t n)
{
	Elf_Data *d = elf_getdata(s, NULL);
	GElf_Rel r;
	GElf_Sym sym;

	for (size_t i = 0; d && i < n; i++)
		if (gelf_getrel(d, (int)i, &r) &&
		    gelf_getsym(v->syms, (int)GELF_R_SYM(r.r_info), &sym) &&
		    sym.st_shndx < v->nsec)
			v->used[sym.st_shndx] = true;
}

static int elf_view_open(struct elf_view *v, const void *elf, size_t len,
			 struct error **err)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Sym sym;

	memset(v, 0, sizeof(*v));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return error_set(err, 0, "libelf: %s", elf_errmsg(-1));
	v->e = elf_memory((char *)elf, len);
	if (!v->e || elf_getshdrnum(v->e, &v->nsec) ||
	    elf_getshdrstrndx(v->e, &v->shstrndx))
		return error_set(err, 0, "eBPF object: %s", elf_errmsg(-1));
	if (!v->nsec) /* libelf's count when the headers lie past the end */
		return error_set(err, 0, "eBPF object: no sections");
	v->used = calloc(v->nsec, sizeof(*v->used));
	if (!v->used)
		return error_set(err, ENOMEM, "eBPF object");
	for (size_t i = 0; i < v->nsec; i++) {
		scn = elf_getscn(v->e, i);
		if (!scn || !gelf_getshdr(scn, &sh) ||
		    !elf_strptr(v->e, v->shstrndx, sh.sh_name))
			return error_set(err, 0, "eBPF object: section %zu: %s",
					 i, elf_errmsg(-1));
		if (!strcmp(elf_strptr(v->e, v->shstrndx, sh.sh_name),
			    ".BTF") &&
		    sh.sh_type == SHT_PROGBITS) {
			v->btf = elf_getdata(scn, NULL);
			if (!v->btf || !v->btf->d_buf)
				return error_set(err, 0,
						 "eBPF object: .BTF: %s",
						 elf_errmsg(-1));
		}
	}
	scn = NULL;
	while ((scn = elf_nextscn(v->e, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB &&
		    sh.sh_entsize) {
			v->syms = elf_getdata(scn, NULL);
			v->nsyms = sh.sh_size / sh.sh_entsize;
			v->symstr = sh.sh_link;
		}
	for (size_t i = 0; v->syms && i < v->nsyms; i++)
		if (gelf_getsym(v->syms, (int)i, &sym) &&
		    sym.st_shndx < v->nsec && sym.st_shndx != SHN_UNDEF)
			v->used[sym.st_shndx] = true;
	while (v->syms && (scn = elf_nextscn(v->e, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_REL &&
		    sh.sh_entsize)
			mark_relocated(v, scn, sh.sh_size / sh.sh_entsize);
	return 0;
}

/* cilium/ebpf's data sections, each an Array map named after it */
static bool data_section(const char *name)
{
	return !strcmp(name, ".bss") || !strncmp(name, ".data", 5) ||
	       !strncmp(name, ".rodata", 7);
}

/* Add to arr what v holds; -1 when out of memory, -2 on invalid BTF. */
typedef int (*fill_fn)(const struct elf_view *v, json_t *arr);

/* arr (taken) with what fill adds of the ELF; NULL + err. */
static json_t *from_elf(const void *elf, size_t len, json_t *arr, fill_fn fill,
			struct error **err)
{
	cleanup_json json_t *a = arr;
	struct elf_view v;
	json_t *out = NULL;

	if (!a) {
		error_set(err, ENOMEM, "extra info");
		return NULL;
	}
	if (elf_view_open(&v, elf, len, err) == 0) {
		int rc = fill(&v, a);

		if (rc == -2)
			error_set(err, 0, "eBPF object: invalid BTF");
		else if (rc < 0)
			error_set(err, ENOMEM, "extra info");
		else
			out = steal_ptr(a);
	}
	elf_view_close(&v);
	return out;
}

static int fill_sections(const struct elf_view *v, json_t *arr)
{
	for (size_t i = 0; i < v->nsec; i++)
		if (json_array_append_new(arr, json_string(sec_name(v, i))))
			return -1;
	return 0;
}

json_t *objinfo_sections(const void *elf, size_t len, struct error **err)
{
	return from_elf(elf, len, json_array(), fill_sections, err);
}

static json_t *map_entry(const char *name, unsigned type)
{
	char other[32];
	const char *t = other;

	if (type < sizeof(map_types) / sizeof(map_types[0]))
		t = map_types[type];
	else
		snprintf(other, sizeof(other), "MapType(%u)", type);
	return json_pack("{s:s, s:s}", "Name", name, "Type", t);
}

/* as cilium: a data section with neither symbols nor references
 * (.rodata.str1.1 of a linked object) is none; ig leaves out .rodata
 * and .bss */
static int fill_data_maps(const struct elf_view *v, json_t *arr)
{
	for (size_t i = 0; i < v->nsec; i++) {
		const char *name = sec_name(v, i);

		if (data_section(name) && v->used[i] &&
		    strcmp(name, ".rodata") && strcmp(name, ".bss") &&
		    json_array_append_new(arr,
					  map_entry(name, BPF_MAP_TYPE_ARRAY)))
			return -1;
	}
	return 0;
}

/* The `type` of the BTF map definition struct id: int (*type)[TYPE]. */
static unsigned btf_map_type(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;

	if (!t || !btf_is_struct(t))
		return 0;
	m = btf_members(t);
	for (__u16 i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);
		const struct btf_type *p = btf__type_by_id(btf, m->type);

		if (!name || strcmp(name, "type") || !p || !btf_is_ptr(p))
			continue;
		p = btf__type_by_id(btf, p->type);
		return p && btf_is_array(p) ? btf_array(p)->nelems : 0;
	}
	return 0;
}

/* The maps of .maps, by their BTF as libbpf and cilium read them (a map
 * without a type is cilium's UnspecifiedMap), then the data sections. */
static int fill_maps(const struct elf_view *v, json_t *arr)
{
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct btf *btf;
	int id, rc = 0;

	if (!v->btf)
		return fill_data_maps(v, arr);
	btf = btf__new(v->btf->d_buf, v->btf->d_size);
	if (!btf)
		return -2;
	id = btf__find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC);
	sec = id > 0 ? btf__type_by_id(btf, id) : NULL;
	vs = sec ? btf_var_secinfos(sec) : NULL;
	for (__u16 i = 0; sec && i < btf_vlen(sec) && !rc; i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);
		const char *name =
			var ? btf__name_by_offset(btf, var->name_off) : NULL;

		if (!var || !btf_is_var(var) || !name)
			continue;
		rc = json_array_append_new(
			arr, map_entry(name, btf_map_type(btf, var->type)));
	}
	btf__free(btf);
	return rc ? -1 : fill_data_maps(v, arr);
}

json_t *objinfo_maps(const void *elf, size_t len, struct error **err)
{
	return from_elf(elf, len, json_array(), fill_maps, err);
}

/* as cilium: global or weak symbols of data sections, not hidden or
 * internal, not compiler-internal (".L...") */
static int fill_variables(const struct elf_view *v, json_t *arr)
{
	GElf_Sym sym;

	for (size_t i = 0; v->syms && i < v->nsyms; i++) {
		const char *name, *sec;
		int vis;

		if (!gelf_getsym(v->syms, (int)i, &sym) ||
		    sym.st_shndx >= v->nsec || sym.st_shndx == SHN_UNDEF)
			continue;
		sec = sec_name(v, sym.st_shndx);
		name = elf_strptr(v->e, v->symstr, sym.st_name);
		vis = GELF_ST_VISIBILITY(sym.st_other);
		if (!data_section(sec) || !name || name[0] == '.' ||
		    vis == STV_HIDDEN || vis == STV_INTERNAL ||
		    (GELF_ST_BIND(sym.st_info) != STB_GLOBAL &&
		     GELF_ST_BIND(sym.st_info) != STB_WEAK))
			continue;
		if (json_array_append_new(
			    arr, json_pack("{s:s, s:I, s:I, s:s}", "Name", name,
					   "Offset", (json_int_t)sym.st_value,
					   "Size", (json_int_t)sym.st_size,
					   "Map", sec)))
			return -1;
	}
	return 0;
}

json_t *objinfo_variables(const void *elf, size_t len, struct error **err)
{
	return from_elf(elf, len, json_array(), fill_variables, err);
}
