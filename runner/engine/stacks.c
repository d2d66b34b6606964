// SPDX-License-Identifier: Apache-2.0
/* Stack ids to symbols (see stacks.h). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <bpf/bpf.h>

#include "common/grow.h"
#include "runner/engine/gadget.h"
#include "runner/engine/stacks.h"

#define KSTACK_MAP "ig_kstack"
#define USTACK_MAP "ig_ustack"
#define MAX_FILES 64 /* ELF files whose symbols are kept */
#define MAX_SYMS_TOTAL (4u << 20) /* symbols over all of them */
#define MAX_FILE_SIZE (512u << 20)
#define MAX_SEGS 16
#define MAX_PROCS 32 /* address spaces whose mappings are kept */
#define MAX_MAPS 512

struct sym {
	__u64 addr, size;
	__u32 name; /* offset in the pool */
};

struct symtab {
	dev_t dev;
	ino_t ino;
	bool failed; /* no symbols: not tried again */
	struct sym *syms;
	size_t n;
	char *pool;
	struct {
		__u64 off, filesz, vaddr;
	} seg[MAX_SEGS];
	size_t n_seg;
};

struct proc {
	__u32 pid, hash;
	__u64 used; /* LRU tick, 0: free */
	struct stacks_mapping maps[MAX_MAPS];
	size_t n;
};

struct stacks {
	const struct gadget *g;
	int kfd, ufd;
	/* kernel */
	bool k_loaded;
	struct sym *ksyms;
	size_t n_ksyms;
	char *kpool;
	/* user */
	struct symtab files[MAX_FILES];
	size_t n_files, total_syms;
	struct proc *procs; /* MAX_PROCS of them */
	__u64 tick;
	__u64 frames[STACK_MAX_DEPTH];
};

struct stacks *stacks_new(const struct gadget *g)
{
	struct stacks *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->g = g;
	s->kfd = s->ufd = -1;
	return s;
}

void stacks_free(struct stacks *s)
{
	if (!s)
		return;
	free(s->ksyms);
	free(s->kpool);
	for (size_t i = 0; i < s->n_files; i++) {
		free(s->files[i].syms);
		free(s->files[i].pool);
	}
	free(s->procs);
	free(s);
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* A growing symbol array and string pool. */
struct symbuf {
	struct sym *syms;
	size_t n, cap;
	char *pool;
	size_t len, pcap;
};

static int symbuf_add(struct symbuf *b, __u64 addr, __u64 size,
		      const char *name)
{
	size_t nl = strnlen(name, STACK_MAX_SYMBOL - 1);

	if (grow_array((void **)&b->syms, &b->cap, b->n + 1, sizeof(*b->syms),
		       1024) ||
	    grow_array((void **)&b->pool, &b->pcap, b->len + nl + 1, 1, 16384))
		return -1;
	/* names come from any binary: no control bytes to a terminal */
	for (size_t i = 0; i < nl; i++) {
		unsigned char c = (unsigned char)name[i];

		b->pool[b->len + i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	b->pool[b->len + nl] = '\0';
	b->syms[b->n].addr = addr;
	b->syms[b->n].size = size;
	b->syms[b->n++].name = (__u32)b->len;
	b->len += nl + 1;
	return 0;
}

/* By address.  No symbols leaves syms NULL, which qsort() must not get
 * even with a count of 0 (C11 7.22.5). */
static void sort_syms(struct symbuf *b)
{
	if (b->n > 1)
		qsort(b->syms, b->n, sizeof(*b->syms), cmp_sym);
}

/* ---- kernel ---- */

static void load_kallsyms(struct stacks *s)
{
	struct symbuf b = { 0 };
	char line[512], name[256];
	FILE *f;

	s->k_loaded = true;
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type;

		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 ||
		    !addr)
			continue;
		if (symbuf_add(&b, addr, 0, name)) {
			b.n = 0;
			break;
		}
	}
	fclose(f);
	sort_syms(&b);
	s->ksyms = b.syms;
	s->n_ksyms = b.n;
	s->kpool = b.pool;
}

/* The last symbol at or below addr, as ig's kallsyms lookup. */
static const char *ksym(struct stacks *s, __u64 addr)
{
	size_t lo = 0, hi = s->n_ksyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->ksyms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? s->kpool + s->ksyms[lo - 1].name : "[unknown]";
}

static int map_fd(struct stacks *s, int *fd, const char *name)
{
	if (*fd < 0)
		*fd = gadget_map_fd(s->g, name);
	return *fd;
}

/* The frames of stack id in the map fd; how many. */
static size_t frames(struct stacks *s, int fd, __u32 id)
{
	size_t n = 0;

	memset(s->frames, 0, sizeof(s->frames));
	if (fd < 0 || bpf_map_lookup_elem(fd, &id, s->frames))
		return 0;
	while (n < STACK_MAX_DEPTH && s->frames[n])
		n++;
	return n;
}

/* Append "text; " if it fits. */
static size_t append(char *buf, size_t len, size_t cap, const char *text)
{
	size_t tl = strlen(text);

	if (len + tl + 2 >= cap)
		return len;
	memcpy(buf + len, text, tl);
	buf[len + tl] = ';';
	buf[len + tl + 1] = ' ';
	return len + tl + 2;
}

size_t stacks_kernel_text(struct stacks *s, __u32 id, char *buf, size_t cap)
{
	size_t n, len = 0;

	if (!s || !cap)
		return 0;
	buf[0] = '\0';
	n = frames(s, map_fd(s, &s->kfd, KSTACK_MAP), id);
	if (n && !s->k_loaded)
		load_kallsyms(s);
	for (size_t i = 0; i < n; i++)
		len = append(buf, len, cap, ksym(s, s->frames[i]));
	buf[len] = '\0';
	return len;
}

/* ---- user ---- */

static int load_symtab(struct symtab *t, int fd, size_t budget)
{
	struct symbuf b = { 0 };
	Elf_Scn *scn = NULL, *dynsym = NULL, *symtab = NULL;
	GElf_Ehdr eh;
	size_t nph;
	struct stat st;
	Elf *e;
	int rc = -1;

	if (fstat(fd, &st) || st.st_size > MAX_FILE_SIZE)
		return -1;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e)
		return -1;
	if (!gelf_getehdr(e, &eh) || elf_getphdrnum(e, &nph))
		goto out;
	for (size_t i = 0; i < nph && t->n_seg < MAX_SEGS; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		t->seg[t->n_seg].off = ph.p_offset;
		t->seg[t->n_seg].filesz = ph.p_filesz;
		t->seg[t->n_seg++].vaddr = ph.p_vaddr;
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			symtab = scn;
		else if (sh.sh_type == SHT_DYNSYM)
			dynsym = scn;
	}
	scn = symtab ? symtab : dynsym;
	if (scn) {
		GElf_Shdr sh;
		Elf_Data *d = elf_getdata(scn, NULL);

		if (!gelf_getshdr(scn, &sh) || !d || !sh.sh_entsize)
			goto out;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, (int)i, &sym) || !sym.st_size ||
			    !sym.st_value)
				continue;
			name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!name || !*name)
				continue;
			if (b.n == budget ||
			    symbuf_add(&b, sym.st_value, sym.st_size, name))
				goto out;
		}
	}
	sort_syms(&b);
	t->syms = b.syms;
	t->n = b.n;
	t->pool = b.pool;
	b.syms = NULL;
	b.pool = NULL;
	rc = 0;
out:
	free(b.syms);
	free(b.pool);
	elf_end(e);
	return rc;
}

/* The symbol table of mapping m of process pid, loaded if need be. */
static struct symtab *file_of(struct stacks *s, __u32 pid,
			      struct stacks_mapping *m)
{
	char path[96];
	size_t i;
	int fd;

	if (m->tab >= 0)
		return &s->files[m->tab];
	if (m->tab == -2)
		return NULL;
	for (i = 0; i < s->n_files; i++)
		if (s->files[i].dev == m->dev && s->files[i].ino == m->ino)
			break;
	if (i == s->n_files) {
		struct symtab *t;

		if (s->n_files == MAX_FILES ||
		    s->total_syms >= MAX_SYMS_TOTAL) {
			m->tab = -2;
			return NULL;
		}
		t = &s->files[s->n_files++];
		memset(t, 0, sizeof(*t));
		t->dev = m->dev;
		t->ino = m->ino;
		snprintf(path, sizeof(path), "/proc/%u/map_files/%llx-%llx",
			 pid, (unsigned long long)m->start,
			 (unsigned long long)m->end);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 ||
		    load_symtab(t, fd, MAX_SYMS_TOTAL - s->total_syms))
			t->failed = true;
		if (fd >= 0)
			close(fd);
		s->total_syms += t->n;
	}
	m->tab = s->files[i].failed ? -2 : (int)i;
	return m->tab >= 0 ? &s->files[i] : NULL;
}

size_t stacks_read_maps(FILE *f, struct stacks_mapping *maps, size_t max)
{
	char line[640];
	bool at_start = true; /* line begins one of the text */
	size_t n = 0;

	while (n < max && fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off, ino;
		unsigned int maj, min;
		struct stacks_mapping *m = &maps[n];
		bool begins = at_start;

		/* the rest of a longer line is its path's, not a mapping */
		at_start = strchr(line, '\n') != NULL;
		if (!begins ||
		    sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &start, &end,
			   &off, &maj, &min, &ino) != 6 ||
		    !ino)
			continue;
		m->start = start;
		m->end = end;
		m->off = off;
		m->dev = makedev(maj, min);
		m->ino = (ino_t)ino;
		m->tab = -1;
		n++;
	}
	return n;
}

static struct proc *proc_of(struct stacks *s, __u32 pid, __u32 hash)
{
	struct proc *p = NULL;
	char path[32];
	FILE *f;

	if (!s->procs) {
		s->procs = calloc(MAX_PROCS, sizeof(*s->procs));
		if (!s->procs)
			return NULL;
	}
	s->tick++;
	for (size_t i = 0; i < MAX_PROCS; i++) {
		struct proc *c = &s->procs[i];

		if (c->used && c->pid == pid && c->hash == hash) {
			c->used = s->tick;
			return c;
		}
		if (!p || c->used < p->used)
			p = c; /* the least recently used */
	}
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	p->pid = pid;
	p->hash = hash;
	p->used = s->tick;
	p->n = stacks_read_maps(f, p->maps, MAX_MAPS);
	fclose(f);
	return p;
}

/* The name of user address addr in process p, or NULL. */
static const char *usym(struct stacks *s, struct proc *p, __u64 addr)
{
	for (size_t i = 0; i < p->n; i++) {
		struct stacks_mapping *m = &p->maps[i];
		struct symtab *t;
		__u64 off, v = 0;
		bool found = false;
		size_t lo, hi;

		if (addr < m->start || addr >= m->end)
			continue;
		t = file_of(s, p->pid, m);
		if (!t)
			return NULL;
		off = addr - m->start + m->off;
		for (size_t j = 0; j < t->n_seg && !found; j++) {
			if (off >= t->seg[j].off &&
			    off < t->seg[j].off + t->seg[j].filesz) {
				v = off - t->seg[j].off + t->seg[j].vaddr;
				found = true;
			}
		}
		if (!found)
			return NULL;
		lo = 0;
		hi = t->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (t->syms[mid].addr <= v)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* the symbols at or below v: the one whose range holds it */
		while (lo > 0 && t->syms[lo - 1].addr <= v) {
			const struct sym *c = &t->syms[lo - 1];

			if (v < c->addr + c->size)
				return t->pool + c->name;
			if (v - c->addr > (1u << 24))
				break;
			lo--;
		}
		return NULL;
	}
	return NULL;
}

size_t stacks_user_text(struct stacks *s, enum stacks_user_part part, __u32 id,
			__u32 pid, __u32 hash, __u64 inode, char *buf,
			size_t cap)
{
	struct proc *p = NULL;
	size_t n, len = 0;
	char hex[24];

	if (!s || !cap)
		return 0;
	buf[0] = '\0';
	if (!inode || part == STACK_BUILDID)
		return 0;
	n = frames(s, map_fd(s, &s->ufd, USTACK_MAP), id);
	if (n && part == STACK_SYMBOLS && pid)
		p = proc_of(s, pid, hash);
	for (size_t i = 0; i < n; i++) {
		const char *name = p ? usym(s, p, s->frames[i]) : NULL;

		if (part == STACK_ADDRESSES) {
			snprintf(hex, sizeof(hex), "0x%016llx",
				 (unsigned long long)s->frames[i]);
			name = hex;
		} else if (!name) {
			snprintf(hex, sizeof(hex), "0x%llx",
				 (unsigned long long)s->frames[i]);
			name = hex;
		}
		len = append(buf, len, cap, name);
	}
	buf[len] = '\0';
	return len;
}
