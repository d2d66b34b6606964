// SPDX-License-Identifier: Apache-2.0
/*
 * ig's ebpf.flowchart and ebpf.sequence: mermaid graphs of which program
 * calls which map helper on which map, from the programs' instructions
 * as objinfo.c reads them (nothing loaded).  As ig's ebpf2graph, the map
 * of a call is the last map (or data section, function, kfunc) an
 * instruction with a relocation put in the helper's map register (r1;
 * r2 for bpf_perf_event_output), walking the flattened program in
 * order: a move between registers, a branch, a spill to the stack are
 * not followed.  The text is ig's, byte for byte, its quirks too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/grow.h"
#include "common/json.h"
#include "runner/engine/objinfo.h"
#include "runner/engine/objinfo_internal.h"

/* ig's merged verbs, in the order it joins them with '+' */
static const char *const merged[] = { "Lookup", "Update", "Delete" };

/* A data section ig draws no node or participant for. */
static bool hidden_map(const char *name)
{
	return !strcmp(name, ".rodata") || !strcmp(name, ".bss");
}

/* The verb of helper call in on its map, and the register that holds the
 * map: FnMapXElem acts on r1 ("X"), FnPerfEventOutput on r2
 * ("EventOutput"); -1 for any other helper. */
static int helper_verb(const struct objinfo_insn *in, char *verb, size_t size)
{
	char name[OBJINFO_HELPER_NAME_MAX];
	size_t n;

	objinfo_helper_name(name, sizeof(name), in->constant);
	n = strlen(name);
	if (!strncmp(name, "FnMap", 5) && n >= 9 &&
	    !strcmp(name + n - 4, "Elem")) {
		snprintf(verb, size, "%.*s", (int)(n - 9), name + 5);
		return BPF_REG_1;
	}
	if (!strcmp(name, "FnPerfEventOutput")) {
		snprintf(verb, size, "%s", name + 6);
		return BPF_REG_2;
	}
	return -1;
}

/* A call of a helper (not of a function or kfunc), as cilium's
 * IsBuiltinCall(). */
static bool builtin_call(const struct bpf_insn *i)
{
	unsigned int cls = BPF_CLASS(i->code);

	return (cls == BPF_JMP || cls == BPF_JMP32) &&
	       BPF_OP(i->code) == BPF_CALL && !i->src_reg && !i->dst_reg;
}

/* The index of (map, verb) among p's accesses, or -1. */
static int access_find(const struct objinfo_graph_prog *p, const char *map,
		       const char *verb)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->acc[i].map, map) &&
		    !strcmp(p->acc[i].verb, verb))
			return (int)i;
	return -1;
}

static int access_add(struct objinfo_graph_prog *p, const char *map,
		      const char *verb)
{
	struct objinfo_access *a;

	if (access_find(p, map, verb) >= 0)
		return 0;
	if (grow_array((void **)&p->acc, &p->cap, p->n + 1, sizeof(*p->acc), 8))
		return -1;
	a = &p->acc[p->n];
	a->map = strdup(map);
	if (!a->map)
		return -1;
	snprintf(a->verb, sizeof(a->verb), "%s", verb);
	p->n++;
	return 0;
}

int objinfo_graph_add(struct objinfo_graph *g, const char *name,
		      const struct objinfo_insn *insns, size_t n)
{
	const char *last[16] = { 0 }; /* per register: its last reference */
	struct objinfo_graph_prog *p;

	if (grow_array((void **)&g->progs, &g->cap, g->n + 1, sizeof(*g->progs),
		       8))
		return -1;
	p = &g->progs[g->n];
	memset(p, 0, sizeof(*p));
	p->name = strdup(name);
	if (!p->name)
		return -1;
	g->n++;
	for (size_t k = 0; k < n; k++) {
		const struct objinfo_insn *in = &insns[k];

		if (builtin_call(&in->insn)) {
			char verb[OBJINFO_HELPER_NAME_MAX];
			int r = helper_verb(in, verb, sizeof(verb));

			if (r >= 0 && last[r] && access_add(p, last[r], verb))
				return -1;
		}
		if (in->ref && *in->ref)
			last[in->insn.dst_reg] = in->ref;
	}
	return 0;
}

void objinfo_graph_free(struct objinfo_graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		for (size_t k = 0; k < g->progs[i].n; k++)
			free(g->progs[i].acc[k].map);
		free(g->progs[i].acc);
		free(g->progs[i].name);
	}
	free(g->progs);
	memset(g, 0, sizeof(*g));
}

static int cmp_prog(const void *a, const void *b)
{
	return strcmp(((const struct objinfo_graph_prog *)a)->name,
		      ((const struct objinfo_graph_prog *)b)->name);
}

/* g's programs by name, as both of ig's graphs list them */
static void sort_programs(struct objinfo_graph *g)
{
	if (g->n)
		qsort(g->progs, g->n, sizeof(*g->progs), cmp_prog);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The text of memstream f (its buffer *buf), or NULL when a write or the
 * close failed. */
static char *text_of(FILE *f, char **buf)
{
	bool bad = ferror(f);

	if (fclose(f) || bad) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

/*
 * p's edges as ig writes them: each access in the order found; when its
 * map has more than one of Lookup, Update and Delete not drawn yet, the
 * edge is labelled with all of those (joined by '+', that order) and
 * they count as drawn, whatever the access's own verb (so an
 * "EventOutput" found before them is drawn as, say, "Lookup+Update").
 */
static void flow_edges(FILE *f, const struct objinfo_graph_prog *p, bool *drawn)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct objinfo_access *a = &p->acc[i];
		int live[sizeof(merged) / sizeof(merged[0])], n_live = 0;

		if (drawn[i])
			continue;
		for (size_t v = 0; v < sizeof(merged) / sizeof(merged[0]);
		     v++) {
			int k = access_find(p, a->map, merged[v]);

			if (k >= 0 && !drawn[k])
				live[n_live++] = k;
		}
		fprintf(f, "%s -- \"", p->name);
		if (n_live > 1) {
			for (int v = 0; v < n_live; v++) {
				drawn[live[v]] = true;
				fprintf(f, "%s%s", v ? "+" : "",
					p->acc[live[v]].verb);
			}
		} else {
			fputs(a->verb, f);
		}
		fprintf(f, "\" --> %s\n", a->map);
	}
}

char *objinfo_graph_flowchart(struct objinfo_graph *g, const char **maps,
			      size_t n_maps)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (n_maps)
		qsort(maps, n_maps, sizeof(*maps), cmp_str);
	sort_programs(g);
	fputs("flowchart LR\n", f);
	for (size_t i = 0; i < n_maps; i++)
		if (!hidden_map(maps[i]))
			fprintf(f, "%s[(\"%s\")]\n", maps[i], maps[i]);
	for (size_t i = 0; i < g->n; i++) {
		const struct objinfo_graph_prog *p = &g->progs[i];
		cleanup_free bool *drawn = calloc(p->n + 1, sizeof(*drawn));

		if (!drawn) {
			fclose(f);
			free(buf);
			return NULL;
		}
		flow_edges(f, p, drawn);
		fprintf(f, "%s[\"%s\"]\n", p->name, p->name);
	}
	return text_of(f, &buf);
}

/* Whether map is the map of an access of a program before p, or of one
 * of p's before its access k. */
static bool map_seen(const struct objinfo_graph *g, size_t p, size_t k,
		     const char *map)
{
	for (size_t i = 0; i <= p; i++)
		for (size_t j = 0; j < (i < p ? g->progs[i].n : k); j++)
			if (!strcmp(g->progs[i].acc[j].map, map))
				return true;
	return false;
}

char *objinfo_graph_sequence(struct objinfo_graph *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	sort_programs(g);
	fputs("sequenceDiagram\nbox eBPF Programs\n", f);
	for (size_t i = 0; i < g->n; i++)
		fprintf(f, "participant %s\n", g->progs[i].name);
	/* the maps in the order the programs first act on them */
	fputs("end\nbox eBPF Maps\n", f);
	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->progs[i].n; k++) {
			const char *map = g->progs[i].acc[k].map;

			if (!hidden_map(map) && !map_seen(g, i, k, map))
				fprintf(f, "participant %s\n", map);
		}
	fputs("end\n", f);
	/* every access, to .rodata and .bss too, as ig */
	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->progs[i].n; k++)
			fprintf(f, "%s->>%s: %s\n", g->progs[i].name,
				g->progs[i].acc[k].map,
				g->progs[i].acc[k].verb);
	return text_of(f, &buf);
}

static int graph_add(void *ctx, const char *name, const char *section,
		     const struct objinfo_insn *insns, size_t n)
{
	(void)section;
	return objinfo_graph_add(ctx, name, insns, n);
}

/* ig's flowchart (flow) or sequence diagram of the object, as a JSON
 * string; NULL + err. */
static json_t *graph_text(const void *elf, size_t len, bool flow,
			  struct error **err)
{
	struct objinfo_graph g = { 0 };
	cleanup_json json_t *maps = NULL;
	cleanup_free const char **names = NULL;
	cleanup_free char *text = NULL;
	json_t *out = NULL, *m;
	size_t i;

	if (flow) {
		/* the nodes: the maps of ig's ebpf.maps */
		maps = objinfo_maps(elf, len, err);
		if (!maps)
			return NULL;
		names = calloc(json_array_size(maps) + 1, sizeof(*names));
		if (!names) {
			error_set(err, ENOMEM, "extra info");
			return NULL;
		}
		json_array_foreach (maps, i, m)
			names[i] =
				json_string_value(json_object_get(m, "Name"));
	}
	if (objinfo_each_program(elf, len, graph_add, &g, err) == 0) {
		text = flow ? objinfo_graph_flowchart(&g, names,
						      json_array_size(maps)) :
			      objinfo_graph_sequence(&g);
		/* text, never written as JSON: names as the ELF has them */
		out = text ? json_string_nocheck(text) : NULL;
		if (!out)
			error_set(err, ENOMEM, "extra info");
	}
	objinfo_graph_free(&g);
	return out;
}

json_t *objinfo_flowchart(const void *elf, size_t len, struct error **err)
{
	return graph_text(elf, len, true, err);
}

json_t *objinfo_sequence(const void *elf, size_t len, struct error **err)
{
	return graph_text(elf, len, false, err);
}
