// SPDX-License-Identifier: Apache-2.0
/*
 * ig's ebpf.* extra info of an eBPF object: its ELF sections and symbols
 * through libelf, its maps' types from its BTF, its programs' instructions
 * with their relocations and BTF.ext source lines (nothing is loaded; not
 * libbpf's object open either, which crashes on some malformed ELFs),
 * and objinfo_check(), the same reading of the ELF held to what libbpf
 * 1.1 takes for granted, before `run` and `image build` hand it libbpf.
 */
#include <errno.h>
#include <stdarg.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include <bpf/btf.h>
#include <jansson.h>

#include "common/cleanup.h"
#include "common/grow.h"
#include "common/json.h"
#include "runner/engine/btf_ext.h"
#include "runner/engine/objinfo.h"
#include "runner/engine/objinfo_internal.h"

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
	size_t nsyms, symstr, symtab; /* symtab: its section, or 0 */
	size_t nsymtabs; /* SHT_SYMTAB sections */
	bool *used; /* per section: a symbol in it or a relocation to it */
	Elf_Data *btf; /* .BTF, or NULL */
	Elf_Data *btf_ext; /* .BTF.ext, or NULL */
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

/* *out: the data of section scn if it is the PROGBITS one named name;
 * -1 when it has none. */
static int btf_section(const struct elf_view *v, Elf_Scn *scn,
		       const GElf_Shdr *sh, const char *name, Elf_Data **out)
{
	if (strcmp(elf_strptr(v->e, v->shstrndx, sh->sh_name), name) ||
	    sh->sh_type != SHT_PROGBITS)
		return 0;
	*out = elf_getdata(scn, NULL);
	return *out && (*out)->d_buf ? 0 : -1;
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
		if (btf_section(v, scn, &sh, ".BTF", &v->btf) ||
		    btf_section(v, scn, &sh, ".BTF.ext", &v->btf_ext))
			return error_set(err, 0, "eBPF object: %s: %s",
					 sec_name(v, i), elf_errmsg(-1));
	}
	scn = NULL;
	while ((scn = elf_nextscn(v->e, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB &&
		    sh.sh_entsize) {
			v->syms = elf_getdata(scn, NULL);
			/* what the data holds, not what the header says */
			v->nsyms = v->syms ? v->syms->d_size / sh.sh_entsize :
					     0;
			v->symstr = sh.sh_link;
			v->symtab = elf_ndxscn(scn);
			v->nsymtabs++;
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

/* A function of an executable section (a program or a subprogram). */
struct func {
	size_t sec;
	GElf_Addr off, end; /* bytes in the section */
	const char *name;
	bool program; /* global, not in .text: one of ig's programs */
};

/* An executable section decoded, one entry per 8-byte slot. */
struct code {
	struct objinfo_insn *insns;
	bool *second; /* the second slot of an ld_imm64 */
	size_t n;
	bool done;
};

/* What programs are made of: the view, its functions, its code. */
struct progs {
	const struct elf_view *v;
	struct btf *btf; /* for BTF.ext's source lines, or NULL */
	struct func *funcs;
	size_t n_funcs;
	struct code *code; /* per section */
};

static bool is_exec(const struct elf_view *v, size_t i, GElf_Shdr *sh)
{
	Elf_Scn *scn = elf_getscn(v->e, i);

	return scn && gelf_getshdr(scn, sh) && sh->sh_type == SHT_PROGBITS &&
	       (sh->sh_flags & SHF_EXECINSTR);
}

/* The function that starts at off of section sec; -1 if none. */
static int func_at(const struct progs *p, size_t sec, GElf_Addr off)
{
	for (size_t i = 0; i < p->n_funcs; i++)
		if (p->funcs[i].sec == sec && p->funcs[i].off == off)
			return (int)i;
	return -1;
}

/* Every function symbol of an executable section, in symbol order. */
static int find_funcs(struct progs *p)
{
	const struct elf_view *v = p->v;
	GElf_Shdr sh;
	GElf_Sym sym;

	p->funcs = calloc(v->nsyms ? v->nsyms : 1, sizeof(*p->funcs));
	if (!p->funcs)
		return -1;
	for (size_t i = 0; v->syms && i < v->nsyms; i++) {
		struct func *f = &p->funcs[p->n_funcs];
		const char *name;

		if (!gelf_getsym(v->syms, (int)i, &sym) ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx >= v->nsec || !is_exec(v, sym.st_shndx, &sh))
			continue;
		name = elf_strptr(v->e, v->symstr, sym.st_name);
		if (!name || sym.st_value >= sh.sh_size ||
		    sym.st_value % sizeof(struct bpf_insn))
			continue;
		f->sec = sym.st_shndx;
		f->off = sym.st_value;
		f->end = sym.st_size && sym.st_size <=
						 sh.sh_size - sym.st_value ?
				 sym.st_value + sym.st_size :
				 sh.sh_size;
		f->name = name;
		f->program = strcmp(sec_name(v, f->sec), ".text") &&
			     GELF_ST_BIND(sym.st_info) != STB_LOCAL;
		p->n_funcs++;
	}
	return 0;
}

/* Slot k of section sec refers through symbol sym (a relocation): as
 * cilium's loader rewrites it, a map, a data section or a function. */
static void relocate(const struct progs *p, struct code *c, size_t k,
		     const GElf_Sym *sym, const char *name)
{
	struct objinfo_insn *in = &c->insns[k];
	bool section = GELF_ST_TYPE(sym->st_info) == STT_SECTION;
	const char *target =
		sym->st_shndx < p->v->nsec ? sec_name(p->v, sym->st_shndx) : "";
	GElf_Shdr sh;
	GElf_Addr off;
	int f;

	if (sym->st_shndx == SHN_UNDEF || sym->st_shndx >= p->v->nsec) {
		in->ref = name; /* an extern: a kfunc when called */
		if (in->insn.code == (BPF_JMP | BPF_CALL))
			in->insn.src_reg = BPF_PSEUDO_KFUNC_CALL;
		return;
	}
	if (in->insn.code == (BPF_LD | BPF_IMM | BPF_DW) &&
	    (!strcmp(target, ".maps") || !strcmp(target, "maps"))) {
		in->insn.src_reg = BPF_PSEUDO_MAP_FD;
		in->ref = name;
		return;
	}
	if (in->insn.code == (BPF_LD | BPF_IMM | BPF_DW) &&
	    data_section(target)) {
		off = (__u32)in->constant + (section ? 0 : sym->st_value);
		in->insn.src_reg = BPF_PSEUDO_MAP_VALUE;
		in->constant = (long long)((__u64)(__u32)off << 32);
		in->ref = target;
		return;
	}
	if (!is_exec(p->v, sym->st_shndx, &sh))
		return;
	if (in->insn.code == (BPF_JMP | BPF_CALL))
		off = section ? sym->st_value + (in->insn.imm + 1) * 8ULL :
				sym->st_value;
	else
		off = section ? (__u32)in->constant : sym->st_value;
	f = func_at(p, sym->st_shndx, off);
	if (f < 0)
		return;
	in->constant = -1;
	in->ref = p->funcs[f].name;
	in->insn.src_reg = in->insn.code == (BPF_JMP | BPF_CALL) ?
				   BPF_PSEUDO_CALL :
				   BPF_PSEUDO_FUNC;
}

/* Where source lines go: the slots of section sec. */
struct lines {
	const struct progs *p;
	const char *sec;
	struct code *c;
};

static bool set_lines(void *ctx, const char *sec, const unsigned char *r,
		      __u32 n, __u32 rec)
{
	const struct lines *l = ctx;

	if (strcmp(sec, l->sec))
		return true;
	for (__u32 j = 0; j < n; j++, r += rec) {
		struct bpf_line_info li;

		memcpy(&li, r, sizeof(li));
		if (li.insn_off % 8 == 0 && li.insn_off / 8 < l->c->n)
			l->c->insns[li.insn_off / 8].line =
				btf__name_by_offset(l->p->btf, li.line_off);
	}
	return true;
}

/* BTF.ext's source lines of section sec onto its slots. */
static void add_lines(const struct progs *p, size_t sec, struct code *c)
{
	struct lines l = { p, sec_name(p->v, sec), c };
	const unsigned char *b;
	struct btf_ext_header h;
	size_t size;

	if (p->v->btf_ext && p->btf &&
	    btf_ext_header_read(p->v->btf_ext->d_buf, p->v->btf_ext->d_size, &h,
				&b, &size))
		btf_ext_part_each(p->btf, BTF_EXT_LINE, b, size,
				  h.line_info_off, h.line_info_len, set_lines,
				  &l);
}

/* Section sec decoded once: instructions, relocations, lines. */
static struct code *decode(struct progs *p, size_t sec)
{
	struct code *c = &p->code[sec];
	Elf_Scn *scn = elf_getscn(p->v->e, sec), *rs = NULL;
	Elf_Data *d;
	GElf_Shdr sh;
	GElf_Rel r;
	GElf_Sym sym;

	if (c->done)
		return c;
	c->done = true;
	d = scn ? elf_getdata(scn, NULL) : NULL;
	if (!d || !d->d_buf)
		return c;
	c->n = d->d_size / sizeof(struct bpf_insn);
	c->insns = calloc(c->n ? c->n : 1, sizeof(*c->insns));
	c->second = calloc(c->n ? c->n : 1, sizeof(*c->second));
	if (!c->insns || !c->second)
		return NULL;
	for (size_t k = 0; k < c->n; k++) {
		struct objinfo_insn *in = &c->insns[k];

		memcpy(&in->insn, (char *)d->d_buf + k * sizeof(in->insn),
		       sizeof(in->insn));
		in->constant = in->insn.imm;
		if (in->insn.code == (BPF_LD | BPF_IMM | BPF_DW) &&
		    k + 1 < c->n) {
			struct bpf_insn hi;

			memcpy(&hi, (char *)d->d_buf + (k + 1) * sizeof(hi),
			       sizeof(hi));
			in->constant = (long long)((__u64)(__u32)hi.imm << 32 |
						   (__u32)in->insn.imm);
			c->second[++k] = true;
		}
	}
	while (p->v->syms && (rs = elf_nextscn(p->v->e, rs))) {
		Elf_Data *rd;

		if (!gelf_getshdr(rs, &sh) || sh.sh_type != SHT_REL ||
		    sh.sh_info != sec || !sh.sh_entsize)
			continue;
		rd = elf_getdata(rs, NULL);
		for (size_t i = 0; rd && i < sh.sh_size / sh.sh_entsize; i++) {
			size_t k;

			if (!gelf_getrel(rd, (int)i, &r) ||
			    !gelf_getsym(p->v->syms, (int)GELF_R_SYM(r.r_info),
					 &sym))
				continue;
			k = r.r_offset / sizeof(struct bpf_insn);
			if (r.r_offset % sizeof(struct bpf_insn) || k >= c->n ||
			    c->second[k])
				continue;
			relocate(p, c, k, &sym,
				 elf_strptr(p->v->e, p->v->symstr,
					    sym.st_name));
		}
	}
	/* calls within the section, with no relocation */
	for (size_t k = 0; k < c->n; k++) {
		struct objinfo_insn *in = &c->insns[k];
		long long t = (long long)k + 1 + in->insn.imm;
		int f;

		if (in->insn.code != (BPF_JMP | BPF_CALL) ||
		    in->insn.src_reg != BPF_PSEUDO_CALL || in->ref || t < 0)
			continue;
		f = func_at(p, sec, (GElf_Addr)t * sizeof(struct bpf_insn));
		if (f >= 0) {
			in->constant = -1;
			in->ref = p->funcs[f].name;
		}
	}
	add_lines(p, sec, c);
	return c;
}

/* Program fn with every function it calls or points to after it, as
 * cilium flattens it; NULL when out of memory (*n its length). */
static struct objinfo_insn *flatten(struct progs *p, size_t fn, size_t *n)
{
	cleanup_free bool *added = calloc(p->n_funcs, sizeof(*added));
	struct objinfo_insn *out = NULL;
	size_t cap = 0, len = 0, next = 0;
	int f = (int)fn;

	if (!added)
		return NULL;
	while (f >= 0) {
		const struct func *fu = &p->funcs[f];
		struct code *c = decode(p, fu->sec);
		bool first = true;

		added[f] = true;
		if (!c)
			goto oom;
		for (size_t k = fu->off / 8; k < fu->end / 8 && k < c->n; k++) {
			if (c->second[k])
				continue;
			if (grow_array((void **)&out, &cap, len + 1,
				       sizeof(*out), 64))
				goto oom;
			out[len] = c->insns[k];
			out[len++].sym = first ? fu->name : NULL;
			first = false;
		}
		/* the next function referred to and not yet added */
		for (f = -1; f < 0 && next < len; next++) {
			const struct objinfo_insn *in = &out[next];
			bool fref =
				(in->insn.code == (BPF_JMP | BPF_CALL) &&
				 in->insn.src_reg == BPF_PSEUDO_CALL) ||
				(in->insn.code == (BPF_LD | BPF_IMM | BPF_DW) &&
				 in->insn.src_reg == BPF_PSEUDO_FUNC);

			for (size_t j = 0; fref && in->ref && j < p->n_funcs;
			     j++)
				if (!added[j] &&
				    !strcmp(p->funcs[j].name, in->ref))
					f = (int)j;
		}
	}
	*n = len;
	return out;
oom:
	free(out);
	return NULL;
}

/* cilium's Instructions.String() and ig's SourceWithRelocation of
 * insns; 0, or -1 when out of memory. */
static int program_text(const struct objinfo_insn *insns, size_t n,
			char **source, char **with_relo)
{
	size_t slen = 0, rlen = 0, raw = 0;
	FILE *s = open_memstream(source, &slen);
	FILE *r = s ? open_memstream(with_relo, &rlen) : NULL;
	int width = 0;

	for (unsigned long long x = 1; x < (unsigned long long)n * 2; x *= 10)
		width++;
	for (size_t i = 0; r && i < n; i++) {
		const struct objinfo_insn *in = &insns[i];
		const char *line = in->line ? in->line : "";
		size_t a = strspn(line, " \t\n\r\v\f"), b = strlen(line);

		while (b > a && strchr(" \t\n\r\v\f", line[b - 1]))
			b--;
		if (in->sym)
			fprintf(s, "%s:\n", in->sym);
		if (b > a)
			fprintf(s, "\t%*s; %.*s\n", width, " ", (int)(b - a),
				line + a);
		fprintf(s, "\t%*zu: ", width, raw);
		objinfo_insn_format(s, in);
		fputc('\n', s);
		if (in->line)
			fprintf(r, "; %s\n", in->line);
		objinfo_insn_format(r, in);
		fputc('\n', r);
		raw += in->insn.code == (BPF_LD | BPF_IMM | BPF_DW) ? 2 : 1;
	}
	if (s && fclose(s))
		s = NULL;
	if (r && fclose(r))
		r = NULL;
	return s && r ? 0 : -1;
}

/* fn() of each program, flattened, in ELF order; -1 without memory. */
static int walk_programs(const struct elf_view *v, objinfo_prog_fn fn,
			 void *ctx)
{
	struct progs p = { .v = v };
	int rc = 0;

	p.code = calloc(v->nsec, sizeof(*p.code));
	if (v->btf)
		p.btf = btf__new(v->btf->d_buf, v->btf->d_size);
	if (!p.code || find_funcs(&p))
		rc = -1;
	for (size_t i = 0; !rc && i < p.n_funcs; i++) {
		cleanup_free struct objinfo_insn *insns = NULL;
		size_t n = 0;

		if (!p.funcs[i].program)
			continue;
		insns = flatten(&p, i, &n);
		if (!insns || fn(ctx, p.funcs[i].name,
				 sec_name(v, p.funcs[i].sec), insns, n))
			rc = -1;
	}
	for (size_t i = 0; p.code && i < v->nsec; i++) {
		free(p.code[i].insns);
		free(p.code[i].second);
	}
	free(p.code);
	free(p.funcs);
	btf__free(p.btf);
	return rc;
}

int objinfo_each_program(const void *elf, size_t len, objinfo_prog_fn fn,
			 void *ctx, struct error **err)
{
	struct elf_view v;
	int rc = elf_view_open(&v, elf, len, err);

	if (!rc && walk_programs(&v, fn, ctx))
		rc = error_set(err, ENOMEM, "extra info");
	elf_view_close(&v);
	return rc;
}

/* One of ig's ebpf.programs entries appended to the array ctx. */
static int program_json(void *ctx, const char *name, const char *section,
			const struct objinfo_insn *insns, size_t n)
{
	cleanup_free char *src = NULL, *relo = NULL;

	(void)name;
	if (program_text(insns, n, &src, &relo))
		return -1;
	return json_array_append_new(
		ctx, json_pack("{s:s, s:s, s:s}", "Section", section, "Source",
			       src, "SourceWithRelocation", relo));
}

/* ig's ebpf.programs: each program's section and text, in ELF order. */
static int fill_programs(const struct elf_view *v, json_t *arr)
{
	return walk_programs(v, program_json, arr);
}

json_t *objinfo_programs(const void *elf, size_t len, struct error **err)
{
	return from_elf(elf, len, json_array(), fill_programs, err);
}

/*
 * The structural checks below are what libbpf 1.1 (Debian 12) takes for
 * granted when it opens and loads an object; later libbpf releases check
 * some of them themselves (BTF type ids and string offsets since 1.3,
 * a symbol's offset past its section's end since 1.6, a relocation's
 * section without data since 1.4; negative CO-RE accessors not in a
 * release yet).  Each walk is linear in the object's size, but
 * program_ends(), once per code section with relocations.
 */

/* "eBPF object: section I (NAME): " then fmt; -1. */
static int sec_error(struct error **err, const struct elf_view *v, size_t i,
		     const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int sec_error(struct error **err, const struct elf_view *v, size_t i,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, 0, fmt, ap);
	va_end(ap);
	return error_prefix(err, "eBPF object: section %zu (%s)", i,
			    sec_name(v, i));
}

/* Section headers: the table and every section's bytes in the file, the
 * names' and symbols' string tables real ones, NOBITS only for .bss. */
static int check_sections(const struct elf_view *v, size_t len,
			  struct error **err)
{
	GElf_Ehdr eh;
	GElf_Shdr sh;

	if (!gelf_getehdr(v->e, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS64)
		return error_set(err, 0, "eBPF object: not a 64-bit ELF");
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > len ||
	    (len - eh.e_shoff) / sizeof(Elf64_Shdr) < v->nsec)
		return error_set(err, 0,
				 "eBPF object: section headers past the end");
	if (v->nsymtabs != 1)
		return error_set(err, 0, "eBPF object: %zu symbol tables",
				 v->nsymtabs);
	for (size_t i = 1; i < v->nsec; i++) {
		const char *name = sec_name(v, i);

		gelf_getshdr(elf_getscn(v->e, i), &sh);
		if (sh.sh_type != SHT_NOBITS &&
		    (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset))
			return sec_error(err, v, i, "past the end of the file");
		if (sh.sh_type == SHT_NOBITS && strncmp(name, ".bss", 4))
			return sec_error(err, v, i, "no data (NOBITS)");
		if (sh.sh_link >= v->nsec)
			return sec_error(err, v, i, "link %u out of range",
					 sh.sh_link);
		if ((i == v->shstrndx || i == v->symstr) &&
		    sh.sh_type != SHT_STRTAB)
			return sec_error(err, v, i, "not a string table");
		if (sh.sh_type == SHT_SYMTAB &&
		    (sh.sh_entsize != sizeof(Elf64_Sym) ||
		     sh.sh_size % sizeof(Elf64_Sym) || !sh.sh_link))
			return sec_error(err, v, i, "bad symbol table");
	}
	return 0;
}

/* Every symbol's name in the string table, its section a real one (or
 * none, absolute, common) and its bytes within that section. */
static int check_symbols(const struct elf_view *v, struct error **err)
{
	GElf_Sym sym;
	GElf_Shdr sh;

	for (size_t i = 0; i < v->nsyms; i++) {
		if (!gelf_getsym(v->syms, (int)i, &sym) ||
		    !elf_strptr(v->e, v->symstr, sym.st_name))
			return sec_error(err, v, v->symtab,
					 "symbol %zu: bad name", i);
		if (sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS ||
		    sym.st_shndx == SHN_COMMON)
			continue;
		if (sym.st_shndx >= v->nsec)
			return sec_error(err, v, v->symtab,
					 "symbol %zu: section %u out of range",
					 i, sym.st_shndx);
		gelf_getshdr(elf_getscn(v->e, sym.st_shndx), &sh);
		if (sym.st_value > sh.sh_size ||
		    sym.st_size > sh.sh_size - sym.st_value)
			return sec_error(err, v, v->symtab,
					 "symbol %zu: past the end of section "
					 "%u",
					 i, sym.st_shndx);
	}
	return 0;
}

#define BPF_LD_IMM64 0x18 /* BPF_LD | BPF_IMM | BPF_DW: 16 bytes */

/* Per instruction of code section shndx (size bytes): 1 where one of its
 * programs (FUNC symbols) ends; NULL without memory. */
static unsigned char *program_ends(const struct elf_view *v, size_t shndx,
				   __u64 size)
{
	unsigned char *ends = calloc(size / 8 + 1, 1);
	GElf_Sym sym;

	for (size_t i = 0; ends && i < v->nsyms; i++)
		if (gelf_getsym(v->syms, (int)i, &sym) &&
		    sym.st_shndx == shndx &&
		    GELF_ST_TYPE(sym.st_info) == STT_FUNC)
			ends[(sym.st_value + sym.st_size) / 8] = 1;
	return ends;
}

/* A SHT_REL section i: of the symbol table, for a section with data,
 * each relocation's symbol in the table and its place in that section;
 * in code, a whole instruction, both halves of a 16-byte one in one
 * program (libbpf 1.1 writes the second half's immediate at load). */
static int check_rel(const struct elf_view *v, const char *elf, size_t i,
		     const GElf_Shdr *sh, struct error **err)
{
	Elf_Data *d = elf_getdata(elf_getscn(v->e, i), NULL);
	unsigned char *ends = NULL;
	GElf_Shdr tsh;
	GElf_Rel r;
	size_t n = sh->sh_size / sizeof(Elf64_Rel);
	int rc = 0;

	if (sh->sh_entsize != sizeof(Elf64_Rel) ||
	    sh->sh_size % sizeof(Elf64_Rel) || sh->sh_link != v->symtab ||
	    !sh->sh_info || sh->sh_info >= v->nsec || !d)
		return sec_error(err, v, i, "bad relocation section");
	gelf_getshdr(elf_getscn(v->e, sh->sh_info), &tsh);
	if (tsh.sh_type == SHT_NOBITS && n)
		return sec_error(err, v, i, "relocates a section without data");
	if (n && (tsh.sh_flags & SHF_EXECINSTR)) {
		ends = program_ends(v, sh->sh_info, tsh.sh_size);
		if (!ends)
			return error_set(err, ENOMEM, "eBPF object");
	}
	for (size_t k = 0; k < n && !rc; k++) {
		const unsigned char *insn;
		__u64 at;

		if (!gelf_getrel(d, (int)k, &r) ||
		    GELF_R_SYM(r.r_info) >= v->nsyms ||
		    r.r_offset >= tsh.sh_size) {
			rc = sec_error(err, v, i, "relocation %zu out of range",
				       k);
			break;
		}
		if (!ends)
			continue;
		at = r.r_offset;
		insn = (const unsigned char *)elf + tsh.sh_offset + at;
		if (at % 8 || tsh.sh_size - at < 8 ||
		    (insn[0] == BPF_LD_IMM64 &&
		     (tsh.sh_size - at < 16 || ends[at / 8 + 1])))
			rc = sec_error(err, v, i,
				       "relocation %zu: no whole instruction",
				       k);
	}
	free(ends);
	return rc;
}

static int check_rels(const struct elf_view *v, const char *elf,
		      struct error **err)
{
	GElf_Shdr sh;

	for (size_t i = 1; i < v->nsec; i++)
		if (gelf_getshdr(elf_getscn(v->e, i), &sh) &&
		    sh.sh_type == SHT_REL && check_rel(v, elf, i, &sh, err))
			return -1;
	return 0;
}

static bool btf_str_ok(const struct btf *btf, __u32 off)
{
	return btf__str_by_offset(btf, off) != NULL;
}

static bool btf_id_ok(const struct btf *btf, __u32 id)
{
	return id < btf__type_cnt(btf);
}

#define MAX_TYPE_SIZE (1u << 30)

/* Type id's flaw: a name or a referenced type that does not exist, an
 * unknown kind, a FUNC not of a FUNC_PROTO (libbpf 1.3 checks these), a
 * struct over MAX_TYPE_SIZE; NULL when none. */
static const char *btf_type_flaw(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const char *bad_name = "name past the strings";
	const char *bad_ref = "refers to a type past the last";
	__u16 n = btf_vlen(t);

	if (!btf_str_ok(btf, t->name_off))
		return bad_name;
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FWD:
	case BTF_KIND_FLOAT:
		return NULL;
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
	case BTF_KIND_TYPE_TAG:
		return btf_id_ok(btf, t->type) ? NULL : bad_ref;
	case BTF_KIND_FUNC:
		if (!btf_id_ok(btf, t->type))
			return bad_ref;
		return btf_is_func_proto(btf__type_by_id(btf, t->type)) ?
			       NULL :
			       "FUNC of no FUNC_PROTO";
	case BTF_KIND_ARRAY:
		return btf_id_ok(btf, btf_array(t)->type) &&
				       btf_id_ok(btf,
						 btf_array(t)->index_type) ?
			       NULL :
			       bad_ref;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		/* libbpf 1.1 adds it to a 32-bit offset (.struct_ops) */
		if (t->size > MAX_TYPE_SIZE)
			return "size over 1 GiB";
		for (__u16 i = 0; i < n; i++) {
			if (!btf_str_ok(btf, btf_members(t)[i].name_off))
				return bad_name;
			if (!btf_id_ok(btf, btf_members(t)[i].type))
				return bad_ref;
		}
		return NULL;
	case BTF_KIND_ENUM:
		for (__u16 i = 0; i < n; i++)
			if (!btf_str_ok(btf, btf_enum(t)[i].name_off))
				return bad_name;
		return NULL;
	case BTF_KIND_ENUM64:
		for (__u16 i = 0; i < n; i++)
			if (!btf_str_ok(btf, btf_enum64(t)[i].name_off))
				return bad_name;
		return NULL;
	case BTF_KIND_FUNC_PROTO:
		for (__u16 i = 0; i < n; i++) {
			if (!btf_str_ok(btf, btf_params(t)[i].name_off))
				return bad_name;
			if (!btf_id_ok(btf, btf_params(t)[i].type))
				return bad_ref;
		}
		return btf_id_ok(btf, t->type) ? NULL : bad_ref;
	case BTF_KIND_DATASEC:
		for (__u16 i = 0; i < n; i++)
			if (!btf_id_ok(btf, btf_var_secinfos(t)[i].type))
				return bad_ref;
		return NULL;
	default:
		return "unknown kind";
	}
}

/* A kind libbpf follows without a depth limit (skip_mods_and_typedefs) */
static bool btf_chain_kind(const struct btf_type *t)
{
	return btf_is_mod(t) || btf_is_typedef(t) || btf_is_ptr(t);
}

/* No loop of modifiers, typedefs and pointers (the kernel refuses one;
 * libbpf's skip_mods_and_typedefs() has no depth limit):
 * each type is walked once (0 new, 1 on this walk, 2 done). */
static bool btf_chains_ok(const struct btf *btf)
{
	__u32 n = btf__type_cnt(btf);
	unsigned char *seen = calloc(n, 1);
	bool ok = seen != NULL;

	for (__u32 id = 1; ok && id < n; id++) {
		__u32 cur = id;
		const struct btf_type *t = btf__type_by_id(btf, cur);

		while (btf_chain_kind(t) && !seen[cur]) {
			seen[cur] = 1;
			cur = t->type;
			t = btf__type_by_id(btf, cur);
		}
		ok = !(btf_chain_kind(t) && seen[cur] == 1);
		for (cur = id; seen[cur] == 1;
		     cur = btf__type_by_id(btf, cur)->type)
			seen[cur] = 2;
	}
	free(seen);
	return ok;
}

/* "0:1:2": no sign, no empty or overlong index */
static bool access_ok(const char *s)
{
	size_t digits = 0;

	for (; *s; s++) {
		if (*s == ':' && digits) {
			digits = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || ++digits > 9)
			return false;
	}
	return digits > 0;
}

/* Record r (at least min bytes, in bounds) of a part: its ids and
 * strings in the BTF. */
static bool ext_record_ok(const struct btf *btf, enum btf_ext_part part,
			  const unsigned char *r)
{
	__u32 f[4];

	memcpy(f, r, sizeof(f[0]) * (part == BTF_EXT_FUNC ? 2 : 4));
	switch (part) {
	case BTF_EXT_FUNC: /* insn_off, type_id */
		return f[0] % 8 == 0 && btf_id_ok(btf, f[1]) &&
		       btf_is_func(btf__type_by_id(btf, f[1]));
	case BTF_EXT_LINE: /* insn_off, file_name_off, line_off, line_col */
		return f[0] % 8 == 0 && btf_str_ok(btf, f[1]) &&
		       btf_str_ok(btf, f[2]);
	default: /* insn_off, type_id, access_str_off, kind */
		return f[0] % 8 == 0 && btf_id_ok(btf, f[1]) &&
		       btf_str_ok(btf, f[2]) &&
		       access_ok(btf__str_by_offset(btf, f[2])) &&
		       f[3] <= 12 /* BPF_CORE_TYPE_MATCHES */;
	}
}

/* The BTF and the part ext_records_ok() checks records against. */
struct ext_check {
	const struct btf *btf;
	enum btf_ext_part part;
};

/* Each of n records (rec bytes) of a part's section: its ids and
 * strings in the BTF. */
static bool ext_records_ok(void *ctx, const char *sec, const unsigned char *r,
			   __u32 n, __u32 rec)
{
	const struct ext_check *c = ctx;

	(void)sec;
	for (__u32 k = 0; k < n; k++, r += rec)
		if (!ext_record_ok(c->btf, c->part, r))
			return false;
	return true;
}

static bool btf_ext_ok(const struct btf *btf, const Elf_Data *d)
{
	struct ext_check fn = { btf, BTF_EXT_FUNC },
			 line = { btf, BTF_EXT_LINE },
			 core = { btf, BTF_EXT_CORE };
	const unsigned char *p;
	struct btf_ext_header h;
	size_t size;

	return btf_ext_header_read(d->d_buf, d->d_size, &h, &p, &size) &&
	       btf_ext_part_each(btf, BTF_EXT_FUNC, p, size, h.func_info_off,
				 h.func_info_len, ext_records_ok, &fn) &&
	       btf_ext_part_each(btf, BTF_EXT_LINE, p, size, h.line_info_off,
				 h.line_info_len, ext_records_ok, &line) &&
	       btf_ext_part_each(btf, BTF_EXT_CORE, p, size, h.core_relo_off,
				 h.core_relo_len, ext_records_ok, &core);
}

/* .BTF as libbpf parses it, each type's names and references, no loop
 * libbpf would not leave; .BTF.ext's records within it and of it. */
static int check_btf(const struct elf_view *v, struct error **err)
{
	struct btf *btf;
	__u32 n;
	int rc = 0;

	if (!v->btf)
		return v->btf_ext ? error_set(err, 0,
					      "eBPF object: .BTF.ext "
					      "without .BTF") :
				    0;
	btf = btf__new(v->btf->d_buf, v->btf->d_size);
	if (!btf)
		return error_set(err, 0, "eBPF object: invalid .BTF");
	n = btf__type_cnt(btf);
	for (__u32 id = 1; id < n && !rc; id++) {
		const char *flaw = btf_type_flaw(btf, id);

		if (flaw)
			rc = error_set(err, 0, "eBPF object: .BTF: type %u: %s",
				       id, flaw);
	}
	if (!rc && !btf_chains_ok(btf))
		rc = error_set(err, 0,
			       "eBPF object: .BTF: a loop of type references");
	if (!rc && v->btf_ext && !btf_ext_ok(btf, v->btf_ext))
		rc = error_set(err, 0, "eBPF object: invalid .BTF.ext");
	btf__free(btf);
	return rc;
}

int objinfo_check(const void *elf, size_t len, struct error **err)
{
	struct elf_view v;
	int rc = elf_view_open(&v, elf, len, err);

	if (!rc && !v.syms)
		rc = error_set(err, 0, "eBPF object: no symbol table");
	if (!rc)
		rc = check_sections(&v, len, err);
	if (!rc)
		rc = check_symbols(&v, err);
	if (!rc)
		rc = check_rels(&v, elf, err);
	if (!rc)
		rc = check_btf(&v, err);
	elf_view_close(&v);
	return rc ? -1 : 0;
}
