// SPDX-License-Identifier: Apache-2.0
/*
 * ig's ebpf.* extra info of an eBPF object: its ELF sections and symbols
 * through libelf, its maps' types from its BTF, its programs' instructions
 * with their relocations and BTF.ext source lines (nothing is loaded; not
 * libbpf's object open either, which crashes on some malformed ELFs).
 */
#include <errno.h>
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
#include "common/json.h"
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
	size_t nsyms, symstr;
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
		if (!strcmp(elf_strptr(v->e, v->shstrndx, sh.sh_name),
			    ".BTF.ext") &&
		    sh.sh_type == SHT_PROGBITS) {
			v->btf_ext = elf_getdata(scn, NULL);
			if (v->btf_ext && !v->btf_ext->d_buf)
				v->btf_ext = NULL;
		}
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

/* BTF.ext's source lines of section sec onto its slots. */
static void add_lines(const struct progs *p, size_t sec, struct code *c)
{
	const Elf_Data *d = p->v->btf_ext;
	const unsigned char *b = d ? d->d_buf : NULL;
	__u32 hdr, off, len, rec;
	size_t pos, end;

	if (!b || !p->btf || d->d_size < 24)
		return;
	memcpy(&hdr, b + 4, 4);
	memcpy(&off, b + 16, 4);
	memcpy(&len, b + 20, 4);
	if ((__u64)hdr + off + len > d->d_size || len < 4 || hdr < 24)
		return;
	pos = (size_t)hdr + off;
	end = pos + len;
	memcpy(&rec, b + pos, 4);
	if (rec < sizeof(struct bpf_line_info))
		return;
	for (pos += 4; pos + 8 <= end;) {
		__u32 name_off, n;
		const char *name;

		memcpy(&name_off, b + pos, 4);
		memcpy(&n, b + pos + 4, 4);
		pos += 8;
		if (n > (end - pos) / rec)
			return;
		name = btf__name_by_offset(p->btf, name_off);
		for (__u32 j = 0;
		     name && !strcmp(name, sec_name(p->v, sec)) && j < n; j++) {
			struct bpf_line_info li;

			memcpy(&li, b + pos + (size_t)j * rec, sizeof(li));
			if (li.insn_off % 8 == 0 && li.insn_off / 8 < c->n)
				c->insns[li.insn_off / 8].line =
					btf__name_by_offset(p->btf,
							    li.line_off);
		}
		pos += (size_t)n * rec;
	}
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
			if (len == cap) {
				struct objinfo_insn *o;

				cap = cap ? cap * 2 : 64;
				o = realloc(out, cap * sizeof(*o));
				if (!o)
					goto oom;
				out = o;
			}
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

/* ig's ebpf.programs: each program's section and text, in ELF order. */
static int fill_programs(const struct elf_view *v, json_t *arr)
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
		cleanup_free char *src = NULL, *relo = NULL;
		size_t n = 0;

		if (!p.funcs[i].program)
			continue;
		insns = flatten(&p, i, &n);
		if (!insns || program_text(insns, n, &src, &relo) ||
		    json_array_append_new(
			    arr,
			    json_pack("{s:s, s:s, s:s}", "Section",
				      sec_name(v, p.funcs[i].sec), "Source",
				      src, "SourceWithRelocation", relo)))
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

json_t *objinfo_programs(const void *elf, size_t len, struct error **err)
{
	return from_elf(elf, len, json_array(), fill_programs, err);
}
