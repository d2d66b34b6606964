/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by objinfo.c (which reads the ELF), objinfo_insn.c (which
 * writes instructions as cilium/ebpf does) and objinfo_graph.c (ig's
 * mermaid graphs of them); no other module includes it (the unit tests
 * do, to feed the graphs instructions of their own).
 */
#ifndef RUNNER_ENGINE_OBJINFO_INTERNAL_H
#define RUNNER_ENGINE_OBJINFO_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include <linux/bpf.h>

#include "common/error.h"

/* An instruction of a program as cilium's loader leaves it. */
struct objinfo_insn {
	struct bpf_insn insn; /* src_reg as the loader sets it */
	long long constant; /* imm, both halves for ld_imm64 */
	const char *sym; /* a function starts here: its name, else NULL */
	const char *ref; /* what it refers to: map, section, function */
	const char *line; /* source line of BTF.ext starting here, or NULL */
};

/* Room for every helper's name (the longest is under 40 bytes). */
#define OBJINFO_HELPER_NAME_MAX 64

/* cilium's BuiltinFunc name of helper n ("Fn" and the kernel's name in
 * CamelCase: FnMapLookupElem), or "BuiltinFunc(N)", into buf. */
void objinfo_helper_name(char *buf, size_t size, long long n);

/* The instruction (no offset, no symbol, no line) on f. */
void objinfo_insn_format(FILE *f, const struct objinfo_insn *in);

/*
 * A program of the object, flattened as cilium's loader does (the
 * functions it calls or points to after it); 0, or -1 to stop (out of
 * memory).  The instructions are valid during the call only.
 */
typedef int (*objinfo_prog_fn)(void *ctx, const char *name, const char *section,
			       const struct objinfo_insn *insns, size_t n);

/* fn() of each program objinfo_programs() lists, in that order; -1 + err
 * when the ELF cannot be read or fn() failed. */
int objinfo_each_program(const void *elf, size_t len, objinfo_prog_fn fn,
			 void *ctx, struct error **err);

/* What a program does to a map, as ig's ebpf2graph finds it. */
struct objinfo_access {
	char *map; /* the map (or data section) named by the relocation */
	/* Lookup, Update, Delete, Push, Pop, Peek, LookupPercpu (a
	 * bpf_map_*_elem helper's), EventOutput (bpf_perf_event_output) */
	char verb[OBJINFO_HELPER_NAME_MAX];
};

/* A program and its accesses, each once, in the order first found. */
struct objinfo_graph_prog {
	char *name;
	struct objinfo_access *acc;
	size_t n, cap;
};

/* The programs of an object, for ig's graphs. */
struct objinfo_graph {
	struct objinfo_graph_prog *progs;
	size_t n, cap;
};

/* Program name with the accesses its (flattened) insns make, added to g;
 * -1 without memory. */
int objinfo_graph_add(struct objinfo_graph *g, const char *name,
		      const struct objinfo_insn *insns, size_t n);
/* ig's ebpf.flowchart of g with the n_maps maps (sorted here; .rodata
 * and .bss get no node) as nodes; malloc'd text, NULL without memory. */
char *objinfo_graph_flowchart(struct objinfo_graph *g, const char **maps,
			      size_t n_maps);
/* ig's ebpf.sequence of g; malloc'd text, NULL without memory. */
char *objinfo_graph_sequence(struct objinfo_graph *g);
/* What g holds (g itself is the caller's). */
void objinfo_graph_free(struct objinfo_graph *g);

#endif
