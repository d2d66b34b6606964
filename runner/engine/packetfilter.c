// SPDX-License-Identifier: Apache-2.0
/*
 * Packet filters put in place at load time (see packetfilter.h).
 *
 * libbpf links a program's subprograms into one instruction array before
 * calling a section handler's prog_prepare_load_fn; there the function
 * gadget_pf_<name> is found by its BTF function record (func_info).  Its
 * body, up to the next function, becomes
 *
 *	call <translated filter>; r0 = r0 ...; exit
 *
 * (the translated function gets the same R1-R5: skb, skb, skb, data,
 * data_end), and the translated function is appended to the array, with a
 * func_info record of gadget_pf_<name>'s type and a copy of its first
 * line_info record, so nothing else in the program moves.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "runner/engine/btf_name.h"
#include "runner/engine/packetfilter.h"

#define MAX_FILTERS 16
#define MAX_ALLOCS 64

struct pf_filter {
	char *name;
	struct bpf_insn *code;
	size_t n;
	bool applied; /* put in some program */
};

struct pf_load {
	const struct btf *btf;
	struct pf_filter filters[MAX_FILTERS];
	size_t n_filters;
	void *allocs[MAX_ALLOCS]; /* func/line info handed to libbpf */
	size_t n_allocs;
	char error[256];
};

/* The object being loaded; libbpf's hook has no per-object argument. */
static struct pf_load *active;

static int hook(struct bpf_program *prog, struct bpf_prog_load_opts *opts,
		long cookie);

int pf_register(struct error **err)
{
	static const struct {
		const char *sec;
		enum bpf_prog_type type;
	} secs[] = {
		{ "classifier/", BPF_PROG_TYPE_SCHED_CLS },
		{ "classifier", BPF_PROG_TYPE_SCHED_CLS },
		{ "tc", BPF_PROG_TYPE_SCHED_CLS },
		/* every section libbpf does not know ("socket1"...) */
		{ NULL, BPF_PROG_TYPE_UNSPEC },
	};
	static bool done;
	LIBBPF_OPTS(libbpf_prog_handler_opts, opts,
		    .prog_prepare_load_fn = hook);

	if (done)
		return 0;
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		int rc = libbpf_register_prog_handler(secs[i].sec, secs[i].type,
						      0, &opts);

		if (rc < 0)
			return error_set(err, -rc,
					 "packet filters: section handler");
	}
	done = true;
	return 0;
}

int pf_load_begin(const struct btf *btf, const char *const *names,
		  const char *const *exprs, size_t n, struct pf_load **out,
		  struct error **err)
{
	struct pf_load *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (!l)
		return error_set(err, ENOMEM, "packet filters");
	l->btf = btf;
	for (size_t i = 0; i < n; i++) {
		struct pf_filter *f = &l->filters[l->n_filters];
		struct cbpf_insn *cb = NULL;
		size_t n_cb = 0;
		char msg[256];

		if (!exprs[i] || !*exprs[i])
			continue;
		if (l->n_filters == MAX_FILTERS) {
			pf_load_end(l);
			return error_set(err, 0, "too many packet filters");
		}
		f->name = strdup(names[i]);
		if (!f->name) {
			pf_load_end(l);
			return error_set(err, ENOMEM, "packet filters");
		}
		l->n_filters++;
		if (pf_compile_cbpf(exprs[i], &cb, &n_cb, err)) {
			pf_load_end(l);
			return error_prefix(err, "%s%s%s %s", PF_PARAM,
					    *names[i] ? "-" : "", names[i],
					    exprs[i]);
		}
		if (cbpf_to_ebpf(cb, n_cb, &f->code, &f->n, msg, sizeof(msg))) {
			free(cb);
			pf_load_end(l);
			return error_set(err, 0, "%s%s%s: %s", PF_PARAM,
					 *names[i] ? "-" : "", names[i], msg);
		}
		free(cb);
	}
	active = l;
	*out = l;
	return 0;
}

const char *pf_load_error(const struct pf_load *l)
{
	return l && l->error[0] ? l->error : NULL;
}

const char *pf_load_unapplied(const struct pf_load *l)
{
	for (size_t i = 0; l && i < l->n_filters; i++)
		if (!l->filters[i].applied)
			return l->filters[i].name;
	return NULL;
}

void pf_load_end(struct pf_load *l)
{
	if (!l)
		return;
	if (active == l)
		active = NULL;
	for (size_t i = 0; i < l->n_filters; i++) {
		free(l->filters[i].name);
		free(l->filters[i].code);
	}
	for (size_t i = 0; i < l->n_allocs; i++)
		free(l->allocs[i]);
	free(l);
}

static struct pf_filter *find_filter(struct pf_load *l, const char *fn)
{
	if (strncmp(fn, PF_PREFIX, strlen(PF_PREFIX)))
		return NULL;
	fn += strlen(PF_PREFIX);
	for (size_t i = 0; i < l->n_filters; i++)
		if (!strcmp(l->filters[i].name, fn))
			return &l->filters[i];
	return NULL;
}

static void *keep(struct pf_load *l, size_t size)
{
	void *p;

	if (l->n_allocs == MAX_ALLOCS)
		return NULL;
	p = calloc(1, size);
	if (p)
		l->allocs[l->n_allocs++] = p;
	return p;
}

static int hook_fail(struct pf_load *l, const struct bpf_program *prog,
		     const char *why)
{
	snprintf(l->error, sizeof(l->error), "packet filter in %s: %s",
		 bpf_program__name(prog), why);
	return -EINVAL;
}

/* Where a record of rec_size bytes at index i starts. */
static void *rec(const void *base, __u32 rec_size, size_t i)
{
	return (char *)base + (size_t)rec_size * i;
}

static int hook(struct bpf_program *prog, struct bpf_prog_load_opts *opts,
		long cookie)
{
	struct pf_load *l = active;
	const struct bpf_insn *old = bpf_program__insns(prog);
	size_t n_old = bpf_program__insn_cnt(prog), n_new, n_fi, n_li;
	__u32 fsz = opts->func_info_rec_size, lsz = opts->line_info_rec_size;
	struct bpf_insn *insns;
	void *fi, *li = NULL;
	size_t i, extra = 0, hits = 0;

	(void)cookie;
	if (!l || !l->n_filters || !opts->func_info || !opts->func_info_cnt)
		return 0;
	for (i = 0; i < opts->func_info_cnt; i++) {
		const struct bpf_func_info *f = rec(opts->func_info, fsz, i);
		const struct btf_type *t = btf__type_by_id(l->btf, f->type_id);
		const struct pf_filter *pf =
			t ? find_filter(l, btf_name(l->btf, t->name_off)) :
			    NULL;

		if (pf) {
			extra += pf->n;
			hits++;
		}
	}
	if (!hits)
		return 0;
	n_new = n_old + extra;
	n_fi = opts->func_info_cnt + hits;
	n_li = opts->line_info_cnt ? opts->line_info_cnt + hits : 0;
	insns = keep(l, n_new * sizeof(*insns));
	fi = keep(l, n_fi * fsz);
	if (n_li)
		li = keep(l, n_li * lsz);
	if (!insns || !fi || (n_li && !li))
		return hook_fail(l, prog,
				 "out of memory, or too many programs");
	memcpy(insns, old, n_old * sizeof(*insns));
	memcpy(fi, opts->func_info, (size_t)opts->func_info_cnt * fsz);
	if (li)
		memcpy(li, opts->line_info, (size_t)opts->line_info_cnt * lsz);

	n_new = n_old;
	n_fi = opts->func_info_cnt;
	n_li = opts->line_info_cnt;
	for (i = 0; i < opts->func_info_cnt; i++) {
		const struct bpf_func_info *f = rec(opts->func_info, fsz, i);
		const struct btf_type *t = btf__type_by_id(l->btf, f->type_id);
		struct pf_filter *pf =
			t ? find_filter(l, btf_name(l->btf, t->name_off)) :
			    NULL;
		size_t start = f->insn_off, end = n_old, j;
		struct bpf_func_info *nf;

		if (!pf)
			continue;
		if (i + 1 < opts->func_info_cnt)
			end = ((const struct bpf_func_info *)rec(
				       opts->func_info, fsz, i + 1))
				      ->insn_off;
		if (end < start + 2 || end > n_old)
			return hook_fail(l, prog, "the stub is too short");
		/* call; r0 = r0 ...; exit */
		memset(&insns[start], 0, (end - start) * sizeof(*insns));
		insns[start].code = BPF_JMP | BPF_CALL;
		insns[start].src_reg = BPF_PSEUDO_CALL;
		insns[start].imm = (__s32)(n_new - start - 1);
		for (j = start + 1; j + 1 < end; j++)
			insns[j].code = BPF_ALU64 | BPF_MOV | BPF_X;
		insns[end - 1].code = BPF_JMP | BPF_EXIT;
		/* the filter, a function of gadget_pf_<name>'s type */
		nf = rec(fi, fsz, n_fi++);
		memcpy(nf, f, fsz);
		nf->insn_off = (__u32)n_new;
		if (li) {
			const struct bpf_line_info *first = NULL;
			struct bpf_line_info *nl;

			for (j = 0; j < opts->line_info_cnt && !first; j++) {
				const struct bpf_line_info *r =
					rec(opts->line_info, lsz, j);

				if (r->insn_off == start)
					first = r;
			}
			if (!first)
				return hook_fail(l, prog,
						 "no line record for the stub");
			nl = rec(li, lsz, n_li++);
			memcpy(nl, first, lsz);
			nl->insn_off = (__u32)n_new;
		}
		memcpy(&insns[n_new], pf->code, pf->n * sizeof(*insns));
		n_new += pf->n;
		pf->applied = true;
	}
	if (bpf_program__set_insns(prog, insns, n_new))
		return hook_fail(l, prog, "set instructions");
	opts->func_info = fi;
	opts->func_info_cnt = (__u32)n_fi;
	if (li) {
		opts->line_info = li;
		opts->line_info_cnt = (__u32)n_li;
	}
	return 0;
}
