// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/objinfo_graph.c: ig's ebpf.flowchart and ebpf.sequence,
 * on an object built from tests/fixtures/ig_graph and on instructions
 * made here for the register cases a compiler does not make on demand.
 * The expected texts follow ig's pkg/utils/ebpf2graph rules, its quirks
 * included (a map pointer moved between registers is not followed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/bpf.h>

#include "common/cleanup.h"
#include "common/error.h"
#include "common/fileutil.h"
#include "common/json.h"
#include "runner/engine/objinfo.h"
#include "runner/engine/objinfo_internal.h"

/* r = the map name (ld_imm64 with a relocation to .maps) */
#define MAP(r, name)                                         \
	{                                                    \
		.insn = { .code = BPF_LD | BPF_IMM | BPF_DW, \
			  .dst_reg = r,                      \
			  .src_reg = BPF_PSEUDO_MAP_FD },    \
		.ref = name,                                 \
	}
/* r = a data section's value (ld_imm64 with a relocation to it) */
#define VAL(r, sec)                                          \
	{                                                    \
		.insn = { .code = BPF_LD | BPF_IMM | BPF_DW, \
			  .dst_reg = r,                      \
			  .src_reg = BPF_PSEUDO_MAP_VALUE }, \
		.ref = sec,                                  \
	}
/* dst = src */
#define MOV(dst, src)                                          \
	{                                                      \
		.insn = { .code = BPF_ALU64 | BPF_MOV | BPF_X, \
			  .dst_reg = dst,                      \
			  .src_reg = src },                    \
	}
/* a helper call */
#define CALL(fn)                                        \
	{                                               \
		.insn = { .code = BPF_JMP | BPF_CALL }, \
		.constant = BPF_FUNC_##fn,              \
	}

/* g's flowchart with maps as nodes, and its sequence diagram. */
static void graphs(struct objinfo_graph *g, const char **maps, size_t n_maps,
		   char **flow, char **seq)
{
	*flow = objinfo_graph_flowchart(g, maps, n_maps);
	*seq = objinfo_graph_sequence(g);
	assert_non_null(*flow);
	assert_non_null(*seq);
}

/* A graph of one program "p" of n insns: its flowchart with maps as
 * nodes and its sequence diagram. */
static void one_program(const struct objinfo_insn *insns, size_t n,
			const char **maps, size_t n_maps, char **flow,
			char **seq)
{
	struct objinfo_graph g = { 0 };

	assert_int_equal(objinfo_graph_add(&g, "p", insns, n), 0);
	graphs(&g, maps, n_maps, flow, seq);
	objinfo_graph_free(&g);
}

/* The sequence diagram's head for program "p" alone, to its maps. */
#define SEQ_P                                                      \
	"sequenceDiagram\nbox eBPF Programs\nparticipant p\nend\n" \
	"box eBPF Maps\n"

/* Two programs reach "counts" only through the subprogram they share
 * (flattened after each of them); the perf event array is r2's. */
static void graph__subprogram_of_two_programs__in_each(void **state)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *elf = NULL;
	cleanup_json json_t *flow = NULL, *seq = NULL;
	const char *build = getenv("BUILD");
	char path[512];
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/fixtures/ig_graph/program.bpf.o",
		 build ? build : "build");
	if (read_file(path, &elf, &len, &err))
		fail_msg("%s (run make first)", error_msg(err));
	flow = objinfo_flowchart(elf, len, &err);
	seq = objinfo_sequence(elf, len, &err);
	assert_non_null(flow);
	assert_non_null(seq);
	assert_string_equal(json_string_value(flow),
			    "flowchart LR\n"
			    "counts[(\"counts\")]\n"
			    "events[(\"events\")]\n"
			    "last[(\"last\")]\n"
			    "on_exec -- \"Lookup+Update\" --> counts\n"
			    "on_exec[\"on_exec\"]\n"
			    "on_exit -- \"Lookup\" --> last\n"
			    "on_exit -- \"EventOutput\" --> events\n"
			    "on_exit -- \"Lookup+Update\" --> counts\n"
			    "on_exit[\"on_exit\"]\n");
	assert_string_equal(json_string_value(seq),
			    "sequenceDiagram\n"
			    "box eBPF Programs\n"
			    "participant on_exec\n"
			    "participant on_exit\n"
			    "end\n"
			    "box eBPF Maps\n"
			    "participant counts\n"
			    "participant last\n"
			    "participant events\n"
			    "end\n"
			    "on_exec->>counts: Lookup\n"
			    "on_exec->>counts: Update\n"
			    "on_exit->>last: Lookup\n"
			    "on_exit->>events: EventOutput\n"
			    "on_exit->>counts: Lookup\n"
			    "on_exit->>counts: Update\n");
}

/* As ig: only an instruction with a relocation sets a register's map, so
 * a pointer moved from r2 (or r6) to r1 leaves r1 what it was: nothing
 * (no access), or an older map (an access to that one). */
static void graph__map_moved_between_registers__not_followed(void **state)
{
	static const struct objinfo_insn insns[] = {
		MAP(BPF_REG_2, "a"),	   MOV(BPF_REG_1, BPF_REG_2),
		CALL(map_lookup_elem),	   MAP(BPF_REG_1, "b"),
		CALL(map_lookup_elem),	   MAP(BPF_REG_6, "c"),
		MOV(BPF_REG_1, BPF_REG_6), CALL(map_update_elem),
	};
	const char *maps[] = { "c", "b", "a" };
	cleanup_free char *flow = NULL, *seq = NULL;

	(void)state;
	one_program(insns, sizeof(insns) / sizeof(insns[0]), maps, 3, &flow,
		    &seq);
	assert_string_equal(flow, "flowchart LR\n"
				  "a[(\"a\")]\n"
				  "b[(\"b\")]\n"
				  "c[(\"c\")]\n"
				  "p -- \"Lookup+Update\" --> b\n"
				  "p[\"p\"]\n");
	assert_string_equal(seq, SEQ_P "participant b\n"
				       "end\n"
				       "p->>b: Lookup\n"
				       "p->>b: Update\n");
}

/* ig's merge: an access found before two or more of a map's Lookup,
 * Update and Delete is drawn as those (its own verb is lost); one found
 * after them keeps its verb; the sequence has every access once. */
static void graph__verbs_merged__as_ig(void **state)
{
	static const struct objinfo_insn first[] = {
		MAP(BPF_REG_2, "m"),   CALL(perf_event_output),
		MAP(BPF_REG_1, "m"),   CALL(map_lookup_elem),
		CALL(map_update_elem), CALL(map_lookup_elem),
		MAP(BPF_REG_1, "n"),   CALL(map_delete_elem),
		CALL(map_update_elem), CALL(map_lookup_elem),
		CALL(map_push_elem),
	};
	static const struct objinfo_insn later[] = {
		MAP(BPF_REG_1, "m"),	 CALL(map_delete_elem),
		CALL(map_lookup_elem),	 MAP(BPF_REG_2, "m"),
		CALL(perf_event_output),
	};
	const char *maps[] = { "n", "m" };
	struct objinfo_graph g = { 0 };
	cleanup_free char *flow = NULL, *seq = NULL;

	(void)state;
	/* added out of order: both graphs sort programs by name */
	assert_int_equal(objinfo_graph_add(&g, "zeta", later, 5), 0);
	assert_int_equal(objinfo_graph_add(&g, "alpha", first, 11), 0);
	graphs(&g, maps, 2, &flow, &seq);
	assert_string_equal(flow, "flowchart LR\n"
				  "m[(\"m\")]\n"
				  "n[(\"n\")]\n"
				  "alpha -- \"Lookup+Update\" --> m\n"
				  "alpha -- \"Lookup+Update+Delete\" --> n\n"
				  "alpha -- \"Push\" --> n\n"
				  "alpha[\"alpha\"]\n"
				  "zeta -- \"Lookup+Delete\" --> m\n"
				  "zeta -- \"EventOutput\" --> m\n"
				  "zeta[\"zeta\"]\n");
	assert_string_equal(seq, "sequenceDiagram\n"
				 "box eBPF Programs\n"
				 "participant alpha\n"
				 "participant zeta\n"
				 "end\n"
				 "box eBPF Maps\n"
				 "participant m\n"
				 "participant n\n"
				 "end\n"
				 "alpha->>m: EventOutput\n"
				 "alpha->>m: Lookup\n"
				 "alpha->>m: Update\n"
				 "alpha->>n: Delete\n"
				 "alpha->>n: Update\n"
				 "alpha->>n: Lookup\n"
				 "alpha->>n: Push\n"
				 "zeta->>m: Delete\n"
				 "zeta->>m: Lookup\n"
				 "zeta->>m: EventOutput\n");
	objinfo_graph_free(&g);
}

/* Which calls count: bpf_map_*_elem by the middle of cilium's name
 * (LookupPercpu, Pop, Peek), bpf_perf_event_output; not ring buffer
 * output, a kfunc or a call with a register set; .rodata and .bss have
 * no node or participant, but their accesses are drawn, as ig's. */
static void graph__helpers_that_count__and_hidden_sections(void **state)
{
	static const struct objinfo_insn insns[] = {
		MAP(BPF_REG_1, "q"),
		CALL(map_pop_elem),
		CALL(map_peek_elem),
		CALL(map_lookup_percpu_elem),
		CALL(ringbuf_output),
		CALL(ringbuf_reserve),
		{ .insn = { .code = BPF_JMP | BPF_CALL,
			    .src_reg = BPF_PSEUDO_KFUNC_CALL },
		  .constant = BPF_FUNC_map_delete_elem,
		  .ref = "bpf_obj_new_impl" },
		{ .insn = { .code = BPF_JMP | BPF_CALL, .dst_reg = 1 },
		  .constant = BPF_FUNC_map_update_elem },
		VAL(BPF_REG_1, ".rodata"),
		CALL(map_lookup_elem),
		VAL(BPF_REG_1, ".bss"),
		CALL(map_update_elem),
	};
	const char *maps[] = { "q", ".rodata", ".bss", ".data" };
	cleanup_free char *flow = NULL, *seq = NULL;

	(void)state;
	one_program(insns, sizeof(insns) / sizeof(insns[0]), maps, 4, &flow,
		    &seq);
	assert_string_equal(flow, "flowchart LR\n"
				  ".data[(\".data\")]\n"
				  "q[(\"q\")]\n"
				  "p -- \"Pop\" --> q\n"
				  "p -- \"Peek\" --> q\n"
				  "p -- \"LookupPercpu\" --> q\n"
				  "p -- \"Lookup\" --> .rodata\n"
				  "p -- \"Update\" --> .bss\n"
				  "p[\"p\"]\n");
	assert_string_equal(seq, SEQ_P "participant q\n"
				       "end\n"
				       "p->>q: Pop\n"
				       "p->>q: Peek\n"
				       "p->>q: LookupPercpu\n"
				       "p->>.rodata: Lookup\n"
				       "p->>.bss: Update\n");
}

/* An object without programs: the headers, the map nodes alone. */
static void graph__no_programs__headers_only(void **state)
{
	const char *maps[] = { "only" };
	struct objinfo_graph g = { 0 };
	cleanup_free char *flow = NULL, *seq = NULL;

	(void)state;
	graphs(&g, maps, 1, &flow, &seq);
	assert_string_equal(flow, "flowchart LR\nonly[(\"only\")]\n");
	assert_string_equal(seq, "sequenceDiagram\nbox eBPF Programs\nend\n"
				 "box eBPF Maps\nend\n");
	objinfo_graph_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(graph__subprogram_of_two_programs__in_each),
		cmocka_unit_test(
			graph__map_moved_between_registers__not_followed),
		cmocka_unit_test(graph__verbs_merged__as_ig),
		cmocka_unit_test(
			graph__helpers_that_count__and_hidden_sections),
		cmocka_unit_test(graph__no_programs__headers_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
