// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/cleanup.h"
#include "runner/engine/btf_min.h"
#include "runner/engine/btf_name.h"
#include "runner/engine/btf_vmlinux.h"
#include "runner/engine/cgroup2.h"
#include "runner/engine/gadget.h"
#include "runner/engine/gadget_api.h"
#include "runner/engine/libbpf_log.h"
#include "runner/engine/loaded.h"
#include "runner/engine/log.h"
#include "runner/engine/mapahead.h"
#include "runner/engine/mapiter.h"
#include "runner/engine/netns.h"
#include "runner/engine/objinfo.h"
#include "runner/engine/packetfilter.h"
#include "runner/engine/param_value.h"
#include "runner/engine/progpar.h"
#include "runner/engine/services.h"
#include "runner/engine/uprobes.h"

#include "runner/engine/gadget_internal.h"

/* A tracer or snapshotter marker: a data source and its event struct. */
static int add_source(struct gadget *g, struct gadget_marker *m,
		      struct error **err)
{
	struct gadget_tracer *t;
	size_t k;
	int id;

	if (g->n_tracers == MAX_TRACERS)
		return error_set(err, 0, "too many data sources");
	t = &g->tracers[g->n_tracers];
	memset(t, 0, sizeof(*t));
	t->name = m->part[0];
	if (m->kind == GADGET_MARKER_TRACER) {
		t->map = m->part[1];
		t->type = m->part[2];
	} else {
		t->snapshot = true;
		t->type = m->part[1];
		for (k = 2; k < m->n_parts; k++)
			t->progs[k - 2] = m->part[k];
	}
	id = btf__find_by_name_kind(g->btf, t->type, BTF_KIND_STRUCT);
	if (id < 0)
		return error_set(err, 0, "%s %s: no struct %s in BTF",
				 t->snapshot ? "snapshotter" : "tracer",
				 t->name, t->type);
	t->type_id = id;
	g->tracer_names[g->n_tracers++] = steal_ptr(m->buf);
	return 0;
}

/* Locate var in the .rodata DATASEC: its type, offset and size. */
static int add_param(struct gadget *g, const char *var, struct error **err)
{
	__u32 i, n = btf__type_cnt(g->btf);

	if (g->n_params == MAX_PARAMS)
		return error_set(err, 0, "too many params");
	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(g->btf, i);
		const struct btf_var_secinfo *vs;
		const char *sec = btf_name(g->btf, t->name_off);
		__u16 j;

		if (!btf_is_datasec(t) || strcmp(sec, ".rodata"))
			continue;
		vs = btf_var_secinfos(t);
		for (j = 0; j < btf_vlen(t); j++, vs++) {
			const struct btf_type *v =
				btf__type_by_id(g->btf, vs->type);
			struct gadget_param *p;

			if (strcmp(btf_name(g->btf, v->name_off), var))
				continue;
			p = &g->params[g->n_params++];
			p->var = btf_name(g->btf, v->name_off);
			p->type_id = v->type;
			p->offset = vs->offset;
			p->size = vs->size;
			return 0;
		}
	}
	return error_set(err, 0,
			 "param %s is not a const volatile variable in .rodata",
			 var);
}

/* A map iterator marker: a data source read from a map's elements. */
static int add_mapiter(struct gadget *g, struct gadget_marker *m,
		       struct error **err)
{
	struct gadget_tracer *t;

	if (g->n_tracers == MAX_TRACERS)
		return error_set(err, 0, "too many data sources");
	t = &g->tracers[g->n_tracers];
	memset(t, 0, sizeof(*t));
	if (mapiter_new(g->obj, g->btf, &g->ext_base, &g->ext_btf, m->part[0],
			m->part[1], &g->mapiters[g->n_tracers], &t->type_id,
			err))
		return -1;
	t->name = m->part[0];
	t->map = m->part[1];
	t->type = "";
	t->mapiter = true;
	g->tracer_names[g->n_tracers++] = steal_ptr(m->buf);
	return 0;
}

static int describe(struct gadget *g, struct error **err)
{
	__u32 i, n = btf__type_cnt(g->btf);

	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(g->btf, i);
		struct gadget_marker m;
		int rc;

		if (!btf_is_var(t))
			continue;
		rc = gadget_marker_parse(btf_name(g->btf, t->name_off), &m,
					 err);
		if (rc <= 0) {
			if (rc < 0)
				return -1;
			continue;
		}
		if (m.kind == GADGET_MARKER_PARAM)
			rc = add_param(g, m.part[0], err);
		else if (m.kind == GADGET_MARKER_MAPITER)
			rc = add_mapiter(g, &m, err);
		else
			rc = add_source(g, &m, err);
		gadget_marker_fini(&m);
		if (rc)
			return -1;
	}
	return 0;
}

static int find_rodata(struct gadget *g, struct error **err)
{
	struct bpf_map *m;

	bpf_object__for_each_map (m, g->obj) {
		const char *name = bpf_map__name(m);
		size_t len = strlen(name);

		if (bpf_map__is_internal(m) && len >= 7 &&
		    !strcmp(name + len - 7, ".rodata")) {
			const void *v =
				bpf_map__initial_value(m, &g->rodata_size);

			g->rodata_map = m;
			g->rodata = malloc(g->rodata_size);
			if (!g->rodata)
				return error_set(err, ENOMEM, ".rodata");
			memcpy(g->rodata, v, g->rodata_size);
			return 0;
		}
	}
	return 0;
}

/* gadget/packetfilter.h: each function gadget_pf_<name> is a param
 * "pf-<name>" ("pf" without a name), as in ig. */
static int add_packet_filters(struct gadget *g, struct error **err)
{
	__u32 i, n = btf__type_cnt(g->btf);

	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(g->btf, i);
		const char *name = btf_name(g->btf, t->name_off);
		struct gadget_param *p;
		char *var;
		size_t j;

		if (!btf_is_func(t) ||
		    strncmp(name, PF_PREFIX, strlen(PF_PREFIX)))
			continue;
		name += strlen(PF_PREFIX);
		if (asprintf(&var, "%s%s%s", PF_PARAM, *name ? "-" : "", name) <
		    0)
			return error_set(err, ENOMEM, "packet filter");
		for (j = 0; j < g->n_params; j++)
			if (g->params[j].pf && !strcmp(g->params[j].var, var))
				break;
		if (j < g->n_params) {
			free(var);
			continue;
		}
		if (g->n_params == MAX_PARAMS) {
			free(var);
			return error_set(err, 0, "too many params");
		}
		g->pf_var[g->n_params] = var;
		p = &g->params[g->n_params++];
		memset(p, 0, sizeof(*p));
		p->var = var;
		p->pf = true;
	}
	return 0;
}

/* The cut-down BTF's fd, once libbpf has read it (load) or will not. */
static void close_btf_min(struct gadget *g)
{
	if (g->btf_min_fd >= 0)
		close(g->btf_min_fd);
	g->btf_min_fd = -1;
}

/* What its load looks up in the kernel's BTF (btf_vmlinux.h). */
static char *vmlinux_needs(struct bpf_object *obj, const void *elf, size_t len)
{
	struct error *err = NULL;
	char *needs = btf_vmlinux_needs(obj, elf, len, &err);

	if (!needs) {
		engine_log(ENGINE_LOG_DEBUG, "kernel BTF for attach: %s",
			   error_msg(err));
		error_free(err);
	}
	return needs;
}

/* A load short of descriptors: each program and map takes one. */
#define LOAD_EMFILE_HINT                                                  \
	"each program and map takes a file descriptor: raise the limit, " \
	"ulimit -Hn"

/*
 * what, with the text of libbpf's error e (negative or not): its own codes
 * (LIBBPF_ERRNO__*, "BPF object format invalid", ...) are no errno that
 * strerror() knows; -1.
 */
static int bpf_error(struct error **err, int e, const char *what)
{
	char why[128];

	if (e < 0)
		e = -e;
	if (e < __LIBBPF_ERRNO__START)
		return error_set(err, e, "%s", what);
	libbpf_strerror(e, why, sizeof(why));
	return error_set(err, 0, "%s: %s", what, why);
}

int gadget_open(const void *elf, size_t len, const char *name,
		struct gadget **out, struct error **err)
{
	/* libbpf's messages of the check (btf__new()) to the engine log */
	libbpf_set_print(engine_libbpf_print);
	/* libbpf 1.1 trusts the ELF's structure: a malformed one crashed */
	if (objinfo_check(elf, len, err))
		return -1;
	return gadget_open_checked(elf, len, name, out, err);
}

int gadget_open_checked(const void *elf, size_t len, const char *name,
			struct gadget **out, struct error **err)
{
	struct btf_min_open btf;
	struct gadget *g;

	/* The user sees one error line; the engine log (RUNNER_DEBUG in the
	 * CLI) shows libbpf's own messages, the verifier log among them. */
	libbpf_set_print(engine_libbpf_print);
	if (pf_register(err))
		return -1;
	g = calloc(1, sizeof(*g));
	if (!g)
		return error_set(err, ENOMEM, "gadget");
	g->lost_fd = -1;
	for (size_t i = 0; i < MAX_TRACERS; i++)
		g->fetch[i].interval = MAPITER_INTERVAL_MS / 1000.0;
	/* CO-RE against the kernel's BTF cut down for this object (cached):
	 * its relocations then search a few hundred types, not the whole
	 * kernel's */
	btf_min_open_init(&btf, elf, len, ENGINE_LOG_DEBUG,
			  "CO-RE from the kernel's BTF");
	btf.opts.object_name = name;
	g->btf_min_fd = btf.fd; /* close_btf_min() */
	g->obj = bpf_object__open_mem(elf, len, &btf.opts);
	if (!g->obj) {
		bpf_error(err, errno, "open eBPF object");
		goto fail;
	}
	g->btf = bpf_object__btf(g->obj);
	if (!g->btf) {
		error_set(err, 0, "eBPF object has no BTF");
		goto fail;
	}
	/* ig's socket enricher value: CO-RE needs its layout, which is not
	 * in the kernel's BTF; open again with it added */
	if (services_want_socket_btf(g->btf)) {
		int fd = services_socket_btf(err);

		if (fd < 0)
			goto fail;
		close_btf_min(g);
		btf_min_open_fd(&btf, fd);
		g->btf_min_fd = fd;
		bpf_object__close(g->obj);
		g->obj = bpf_object__open_mem(elf, len, &btf.opts);
		if (!g->obj) {
			bpf_error(err, errno, "open eBPF object");
			goto fail;
		}
		g->btf = bpf_object__btf(g->obj);
	}
	if (describe(g, err) || add_packet_filters(g, err) ||
	    find_rodata(g, err))
		goto fail;
	g->vmlinux_needs = vmlinux_needs(g->obj, elf, len);
	*out = g;
	return 0;
fail:
	gadget_free(g);
	return -1;
}

void gadget_load_ahead(struct gadget *g)
{
	/* the kernel's BTF for attach points when load_with_filters()
	 * will arm it */
	if (!g->vmlinux_ahead && g->vmlinux_needs && g->btf_min_fd >= 0)
		g->vmlinux_ahead = btf_vmlinux_ahead_start(g->vmlinux_needs);
	if (!g->ahead)
		g->ahead = mapahead_start(g->obj);
	g->par = true;
}

size_t gadget_progs_in_parallel(const struct gadget *g)
{
	return g->n_par;
}

bool gadget_map_made_ahead(const struct gadget *g, const char *name)
{
	return mapahead_made(g->ahead, name);
}

void gadget_free(struct gadget *g)
{
	size_t i;

	if (!g)
		return;
	ringread_free(g->rr);
	for (i = 0; i < MAX_TRACERS; i++)
		perf_buffer__free(g->pbs[i]);
	netns_set_free(g->netns);
	for (i = g->n_links; i > 0; i--)
		bpf_link__destroy(g->links[i - 1]);
	services_free(g->svc);
	for (i = 0; i < g->n_sampled; i++)
		free(g->sampled[i]);
	for (i = 0; i < g->n_retarget; i++)
		free(g->retarget_to[i]);
	mapahead_free(g->ahead);
	btf_vmlinux_ahead_free(g->vmlinux_ahead);
	bpf_object__close(g->obj);
	free(g->iface);
	close_btf_min(g);
	free(g->vmlinux_needs);
	for (i = 0; i < g->n_tracers; i++) {
		mapiter_free(g->mapiters[i]);
		free(g->tracer_names[i]);
	}
	btf__free(g->ext_btf);
	btf__free(g->ext_base);
	for (i = 0; i < MAX_PARAMS; i++) {
		free(g->pf_var[i]);
		free(g->pf_expr[i]);
	}
	free(g->rodata);
	free(g);
}

const struct btf *gadget_btf(const struct gadget *g)
{
	return g->ext_btf ? g->ext_btf : g->btf;
}

size_t gadget_tracer_count(const struct gadget *g)
{
	return g->n_tracers;
}

const struct gadget_tracer *gadget_tracer(const struct gadget *g, size_t i)
{
	return i < g->n_tracers ? &g->tracers[i] : NULL;
}

size_t gadget_param_count(const struct gadget *g)
{
	return g->n_params;
}

const struct gadget_param *gadget_param(const struct gadget *g, size_t i)
{
	return i < g->n_params ? &g->params[i] : NULL;
}

#define MNTNS_FILTER_VAR "gadget_filter_by_mntns"
#define MNTNS_FILTER_MAP "gadget_mntns_filter_map"
#define REST_WANTED_VAR "gadget_rest_wanted"

/* Set the one-byte .rodata variable var (no param) to v; false if the
 * program has none. */
static bool rodata_flag_set(struct gadget *g, const char *var, char v)
{
	struct gadget_param p;
	size_t n = g->n_params;

	if (!g->rodata)
		return false;
	/* add_param() finds the variable; it is no param: take it back */
	if (n == MAX_PARAMS || add_param(g, var, NULL))
		return false;
	p = g->params[n];
	g->n_params = n;
	if (p.size != 1 || p.offset >= g->rodata_size)
		return false;
	((char *)g->rodata)[p.offset] = v;
	return true;
}

bool gadget_mntns_filter_enable(struct gadget *g, int map_fd)
{
	struct bpf_map *m =
		bpf_object__find_map_by_name(g->obj, MNTNS_FILTER_MAP);

	if (!m || !rodata_flag_set(g, MNTNS_FILTER_VAR, 1))
		return false;
	g->mntns_filter = m;
	/* libbpf checks the layout (and takes the other map's name); a map
	 * of its own otherwise */
	if (map_fd >= 0)
		bpf_map__reuse_fd(m, map_fd);
	return true;
}

bool gadget_rest_unwanted(struct gadget *g)
{
	return rodata_flag_set(g, REST_WANTED_VAR, 0);
}

void gadget_select_containers(struct gadget *g, bool host)
{
	g->selective = true;
	g->selective_host = host;
}

struct uprobes *gadget_uprobes(const struct gadget *g)
{
	return services_uprobes(g->svc);
}

struct tc_set *gadget_tc(const struct gadget *g)
{
	return services_tc(g->svc);
}

int gadget_mntns_filter_fd(const struct gadget *g)
{
	return g->mntns_filter ? bpf_map__fd(g->mntns_filter) : -1;
}

int gadget_map_fd(const struct gadget *g, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(g->obj, name);
	int fd = m ? bpf_map__fd(m) : -1;

	return fd < 0 ? -1 : fd;
}

#define PERF_SEC "perf_event/"

bool gadget_has_tc(const struct gadget *g)
{
	return services_has_tc(g->obj);
}

int gadget_set_iface(struct gadget *g, const char *iface, struct error **err)
{
	char *copy = iface && *iface ? strdup(iface) : NULL;

	if (iface && *iface && !copy)
		return error_set(err, ENOMEM, "--iface");
	free(g->iface);
	g->iface = copy;
	return 0;
}

bool gadget_samples(const struct gadget *g, const char *name)
{
	struct bpf_program *p;

	bpf_object__for_each_program (p, g->obj) {
		const char *sec = bpf_program__section_name(p);

		if (!strncmp(sec, PERF_SEC, strlen(PERF_SEC)) &&
		    !strcmp(sec + strlen(PERF_SEC), name))
			return true;
	}
	return false;
}

int gadget_set_sampling(struct gadget *g, const char *name,
			const struct perf_sampling *ps, struct error **err)
{
	if (g->n_sampled == MAX_SAMPLED)
		return error_set(err, 0, "more than %d perf_event programs",
				 MAX_SAMPLED);
	if (asprintf(&g->sampled[g->n_sampled], PERF_SEC "%s", name) < 0) {
		g->sampled[g->n_sampled] = NULL;
		return error_set(err, ENOMEM, "program %s", name);
	}
	g->sampling[g->n_sampled++] = *ps;
	return 0;
}

/* How program p attaches elsewhere: a tracepoint, raw tracepoint or
 * k(ret)probe; 0 for other programs. */
static char retarget_kind(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);

	switch (bpf_program__type(p)) {
	case BPF_PROG_TYPE_TRACEPOINT:
		return 't';
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
		return 'r';
	case BPF_PROG_TYPE_KPROBE:
		if (!strncmp(sec, "kprobe/", 7))
			return 'k';
		if (!strncmp(sec, "kretprobe/", 10))
			return 'K';
		return 0;
	default:
		return 0;
	}
}

int gadget_set_attach_to(struct gadget *g, const char *name, const char *target,
			 struct error **err)
{
	struct bpf_program *p = bpf_object__find_program_by_name(g->obj, name);
	const char *slash = strchr(target, '/');
	char kind;

	if (!p || !*target)
		return 0;
	if (!strcmp(target, GADGET_PROGRAM_DISABLED))
		return bpf_program__set_autoload(p, false) ?
			       error_set(err, 0,
					 "program %s: cannot leave "
					 "it out",
					 name) :
			       0;
	kind = retarget_kind(p);
	if (!kind)
		return 0; /* as in ig: attached by its section */
	if (kind == 't' &&
	    (!slash || slash == target || !slash[1] || strchr(slash + 1, '/')))
		return error_set(err, 0,
				 "\"%s\": a tracepoint is CATEGORY/NAME",
				 target);
	if (g->n_retarget == MAX_LINKS)
		return error_set(err, 0, "more than %d programs", MAX_LINKS);
	g->retarget_to[g->n_retarget] = strdup(target);
	if (!g->retarget_to[g->n_retarget])
		return error_set(err, ENOMEM, "program %s", name);
	g->retarget[g->n_retarget++] = p;
	return 0;
}

/* Attach p where gadget.yaml's attach_to says, else by its section. */
static struct bpf_link *attach_prog(const struct gadget *g,
				    struct bpf_program *p)
{
	char cat[256];
	const char *to;
	size_t i;

	for (i = 0; i < g->n_retarget && g->retarget[i] != p; i++)
		;
	if (i == g->n_retarget)
		return bpf_program__attach(p);
	to = g->retarget_to[i];
	switch (retarget_kind(p)) {
	case 't':
		snprintf(cat, sizeof(cat), "%.*s", (int)strcspn(to, "/"), to);
		return bpf_program__attach_tracepoint(p, cat,
						      strchr(to, '/') + 1);
	case 'r':
		return bpf_program__attach_raw_tracepoint(p, to);
	default:
		return bpf_program__attach_kprobe(p, retarget_kind(p) == 'K',
						  to);
	}
}

int gadget_prog_fd(const struct gadget *g, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(g->obj, name);
	int fd = p ? bpf_program__fd(p) : -1;

	return fd < 0 ? -1 : fd;
}

const void *gadget_param_data(const struct gadget *g, size_t i)
{
	const struct gadget_param *p = gadget_param(g, i);

	if (!p || p->pf || !g->rodata || p->offset + p->size > g->rodata_size)
		return NULL;
	return (const char *)g->rodata + p->offset;
}

int gadget_param_set(struct gadget *g, size_t i, const char *value,
		     struct error **err)
{
	const struct gadget_param *p = gadget_param(g, i);

	if (p && p->pf) {
		free(g->pf_expr[i]);
		g->pf_expr[i] = strdup(value);
		return g->pf_expr[i] ? 0 : error_set(err, ENOMEM, "param");
	}
	if (!p || !g->rodata || p->offset + p->size > g->rodata_size)
		return error_set(err, 0, "no such param");
	return param_value_parse(g->btf, p->type_id, p->var, value,
				 (char *)g->rodata + p->offset, p->size, err);
}

static int add_link(struct gadget *g, struct bpf_link *l, struct error **err)
{
	if (g->n_links == MAX_LINKS) {
		bpf_link__destroy(l);
		return error_set(err, 0, "too many programs");
	}
	g->links[g->n_links++] = l;
	return 0;
}

static bool is_snapshot_prog(const struct gadget *g, const char *prog)
{
	size_t i, j;

	for (i = 0; i < g->n_tracers; i++)
		for (j = 0; j < GADGET_MAX_SNAPSHOT_PROGS; j++)
			if (g->tracers[i].progs[j] &&
			    !strcmp(g->tracers[i].progs[j], prog))
				return true;
	return false;
}

/* The fd of the map GADGET_ITER_TARGET_MAP names for program prog, or -1. */
static int iter_target_map(struct bpf_object *obj, struct bpf_program *p)
{
	const struct btf *btf = bpf_object__btf(obj);
	const char *prog = bpf_program__name(p);
	char prefix[256];
	__u32 i, n = btf__type_cnt(btf);

	snprintf(prefix, sizeof(prefix), "%s%s___", GADGET_API_ITER_TARGET,
		 prog);
	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const char *name = btf_name(btf, t->name_off);
		struct bpf_map *m;

		if (!btf_is_var(t) || strncmp(name, prefix, strlen(prefix)))
			continue;
		m = bpf_object__find_map_by_name(obj, name + strlen(prefix));
		return m ? bpf_map__fd(m) : -1;
	}
	return -1;
}

/*
 * Iterators whose kernel side walks the network namespace of the task
 * that makes the iterator (bpf_iter_create(): bpf_iter_init_seq_net()
 * takes current's): run once in each namespace of the run, as ig runs its
 * tcp and udp ones in each container's.
 */
static bool iter_per_netns(const struct bpf_program *p)
{
	static const char *const kinds[] = { "iter/tcp", "iter/udp",
					     "iter/unix", "iter/netlink",
					     "iter/ipv6_route" };
	const char *sec = bpf_program__section_name(p);

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(sec, kinds[i]))
			return true;
	return false;
}

bool gadget_iters_per_netns(const struct gadget *g)
{
	struct bpf_program *p;

	for_each_loaded_program (p, g->obj)
		if (iter_per_netns(p))
			return true;
	return false;
}

void gadget_set_netns_walk(struct gadget *g, gadget_netns_walk walk, void *ctx)
{
	g->netns_walk = walk;
	g->netns_walk_ctx = ctx;
}

/* What an iterator's read takes at once: records up to this size. */
#define ITER_BUF_SIZE 16384

/* One iterator program being run: its link, where its records go. */
struct iter_run {
	struct bpf_link *l;
	const char *name;
	size_t rec_size;
	gadget_event_fn fn;
	void *ctx;
	int fd; /* the iterator made in a namespace (iter_create()) */
};

/* Read iterator fd to the end; with r->fn, its output is cut into
 * records of r->rec_size bytes, each passed to r->fn. */
static int iter_read(const struct iter_run *r, int fd, struct error **err)
{
	char buf[ITER_BUF_SIZE];
	size_t have = 0;
	ssize_t n;

	while ((n = read(fd, buf + have, sizeof(buf) - have)) > 0) {
		size_t off = 0;

		if (!r->fn)
			continue;
		have += n;
		while (have - off >= r->rec_size) {
			r->fn(r->ctx, buf + off, r->rec_size);
			off += r->rec_size;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	if (n < 0)
		return error_set(err, errno, "read iterator %s", r->name);
	return 0;
}

static int iter_create(void *ctx, struct error **err)
{
	struct iter_run *r = ctx;

	r->fd = bpf_iter_create(bpf_link__fd(r->l));
	if (r->fd < 0)
		return error_set(err, -r->fd, "create iterator %s", r->name);
	return 0;
}

/* The iterator made in namespace nsfd, read here. */
static int iter_in_netns(void *ctx, int nsfd, unsigned long ino,
			 struct error **err)
{
	struct iter_run *r = ctx;
	int rc;

	r->fd = -1;
	if (netns_call_in(nsfd, iter_create, r, err)) {
		/* made, but the thread did not get back */
		if (r->fd >= 0)
			close(r->fd);
		return error_prefix(err, "netns %lu", ino);
	}
	rc = iter_read(r, r->fd, err);
	close(r->fd);
	return rc;
}

/*
 * Run an iterator program once, reading it to the end.  With fn, its
 * output is cut into records of rec_size bytes, each passed to fn.  One
 * that walks a network namespace runs in each of the run's (the
 * gadget_set_netns_walk() walk), else in the runner's own.
 */
static int run_iter(struct gadget *g, struct bpf_program *p, size_t rec_size,
		    gadget_event_fn fn, void *ctx, struct error **err)
{
	int map_fd = iter_target_map(g->obj, p);
	union bpf_iter_link_info info = { .map.map_fd = map_fd };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info,
		    .link_info_len = sizeof(info));
	struct iter_run r = { .name = bpf_program__name(p),
			      .rec_size = rec_size,
			      .fn = fn,
			      .ctx = ctx };
	int rc;

	if (fn && (rec_size == 0 || rec_size > ITER_BUF_SIZE))
		r.fn = NULL;
	r.l = bpf_program__attach_iter(p, map_fd >= 0 ? &opts : NULL);
	if (!r.l)
		return error_set(err, errno, "attach iterator %s", r.name);
	if (g->netns_walk && iter_per_netns(p)) {
		rc = g->netns_walk(g->netns_walk_ctx, iter_in_netns, &r, err);
	} else {
		rc = iter_create(&r, err);
		if (!rc) {
			rc = iter_read(&r, r.fd, err);
			close(r.fd);
		}
	}
	bpf_link__destroy(r.l);
	return rc;
}

int gadget_snapshot(struct gadget *g, size_t i, gadget_event_fn fn, void *ctx,
		    struct error **err)
{
	const struct gadget_tracer *t = gadget_tracer(g, i);
	size_t j;

	if (!t || !t->snapshot)
		return error_set(err, 0, "data source %zu is no snapshotter",
				 i);
	for (j = 0; j < GADGET_MAX_SNAPSHOT_PROGS && t->progs[j]; j++) {
		struct bpf_program *p =
			bpf_object__find_program_by_name(g->obj, t->progs[j]);
		__s64 size = btf__resolve_size(g->btf, t->type_id);

		if (!p)
			return error_set(err, 0,
					 "snapshotter %s: no program %s",
					 t->name, t->progs[j]);
		if (!bpf_program__autoload(p))
			continue; /* SEC("?..."): not loaded, not run */
		if (size <= 0)
			return error_set(err, 0, "snapshotter %s: bad type",
					 t->name);
		if (run_iter(g, p, size, fn, ctx, err))
			return -1;
	}
	fn(ctx, NULL, 0); /* one batch: every program's records */
	return 0;
}

/* Sections libbpf attaches through the kprobe PMU (or kprobe_events). */
static bool is_kprobe_sec(const char *sec)
{
	static const char *const kinds[] = { "kprobe/", "kretprobe/",
					     "ksyscall/", "kretsyscall/" };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(sec, kinds[i], strlen(kinds[i])))
			return true;
	return false;
}

void gadget_host_needs(const struct gadget *g, struct host_needs *needs)
{
	struct bpf_program *p;
	struct bpf_map *m;

	*needs = (struct host_needs){ 0 };
	for_each_loaded_program (p, g->obj) {
		const char *sec = bpf_program__section_name(p);

		/* uprobes by library: the hook on mmap's syscall tracepoint */
		if (!strncmp(sec, "tracepoint/", 11) ||
		    !strncmp(sec, "tp/", 3) || uprobes_by_library(sec))
			needs->tracefs = true;
		if (!needs->kprobe && is_kprobe_sec(sec)) {
			needs->kprobe = sec;
			needs->kprobe_prog = bpf_program__name(p);
		}
		if (bpf_program__type(p) == BPF_PROG_TYPE_SOCKET_FILTER ||
		    !strncmp(sec, "socket", 6))
			needs->net_raw = true;
	}
	bpf_object__for_each_map (m, g->obj) {
		/* the socket enricher attaches syscall tracepoints */
		if (!strcmp(bpf_map__name(m), "gadget_sockets"))
			needs->tracefs = true;
		if (bpf_map__get_pin_path(m))
			needs->bpffs = true;
	}
}

static void arm_vmlinux(struct gadget *g)
{
	struct error *err = NULL;

	if (g->vmlinux_needs &&
	    btf_vmlinux_arm_ahead(g->vmlinux_needs, g->vmlinux_ahead, &err)) {
		engine_log(ENGINE_LOG_DEBUG, "kernel BTF for attach: %s",
			   error_msg(err));
		error_free(err);
	}
}

/* bpf_object__load() with the packet filters' expressions put in. */
static int load_with_filters(struct gadget *g, struct error **err)
{
	const char *names[MAX_PARAMS], *exprs[MAX_PARAMS];
	struct error *par_err = NULL;
	struct progpar *par;
	struct pf_load *pf;
	size_t n = 0;
	int rc, par_rc;

	for (size_t i = 0; i < g->n_params; i++) {
		if (!g->params[i].pf)
			continue;
		names[n] = g->params[i].var + strlen(PF_PARAM);
		names[n] += *names[n] == '-';
		exprs[n++] = g->pf_expr[i];
	}
	if (pf_load_begin(g->btf, names, exprs, n, &pf, err))
		return -1;
	engine_step("loading");
	mapahead_finish(g->ahead, g->obj);
	engine_step("maps made");
	/* CO-RE reads its own BTF: the kernel's for attach points and
	 * kfuncs only, cut down (btf_vmlinux.h; read ahead, joined here) */
	if (g->btf_min_fd >= 0)
		arm_vmlinux(g);
	par = g->par ? progpar_arm(g->obj) : NULL;
	rc = bpf_object__load(g->obj);
	engine_step("programs loaded");
	g->n_par = progpar_count(par);
	par_rc = progpar_finish(par, rc, &par_err);
	btf_vmlinux_disarm();
	btf_vmlinux_ahead_free(g->vmlinux_ahead);
	g->vmlinux_ahead = NULL;
	close_btf_min(g);
	if (rc && pf_load_error(pf))
		error_set(err, 0, "%s", pf_load_error(pf));
	else if (rc)
		bpf_error(err, rc,
			  rc == -EMFILE ? "load eBPF object (" LOAD_EMFILE_HINT
					  ")" :
					  "load eBPF object (-v or "
					  "RUNNER_DEBUG=1 shows the verifier "
					  "log)");
	else if (par_rc)
		rc = error_set(err, 0, "load eBPF object: %s (%s)",
			       error_msg(par_err),
			       error_errnum(par_err) == EMFILE ?
				       LOAD_EMFILE_HINT :
				       "-v or RUNNER_DEBUG=1 shows the "
				       "verifier log");
	else if (pf_load_unapplied(pf))
		rc = error_set(err, 0,
			       "packet filter %s%s%s: no program calls "
			       "%s%s",
			       PF_PARAM, *pf_load_unapplied(pf) ? "-" : "",
			       pf_load_unapplied(pf), PF_PREFIX,
			       pf_load_unapplied(pf));
	pf_load_end(pf);
	error_free(par_err);
	return rc ? -1 : 0;
}

/* Programs that hook a cgroup: attached to the cgroup v2 root. */
static bool is_cgroup_prog(const struct bpf_program *p)
{
	switch (bpf_program__type(p)) {
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_CGROUP_SOCK:
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
	case BPF_PROG_TYPE_SOCK_OPS:
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
	case BPF_PROG_TYPE_CGROUP_SYSCTL:
		return true;
	default:
		return false;
	}
}

int gadget_start(struct gadget *g, struct error **err)
{
	int socks[MAX_SOCKET_PROGS], cgroup_fd;
	struct bpf_program *p;
	struct bpf_map *lost;
	size_t n_socks = 0;
	int rc;

	if (g->rodata_map) {
		rc = bpf_map__set_initial_value(g->rodata_map, g->rodata,
						g->rodata_size);
		if (rc)
			return error_set(err, -rc, "set params");
	}
	if (services_prepare(g->obj, &g->svc, err))
		return -1;
	if (g->selective)
		services_select_containers(g->svc, g->selective_host);
	if (load_with_filters(g, err))
		return -1;
	lost = bpf_object__find_map_by_name(g->obj, GADGET_API_LOST_MAP);
	if (lost)
		g->lost_fd = bpf_map__fd(lost);

	/* Hooks that keep state first, then iterators to seed it, then the
	 * socket filters that read it. */
	for_each_loaded_program (p, g->obj) {
		const char *sec = bpf_program__section_name(p);
		struct bpf_link *l;

		if (bpf_program__type(p) == BPF_PROG_TYPE_SOCKET_FILTER ||
		    !strncmp(sec, "iter/", 5) || services_attaches(p))
			continue;
		if (is_cgroup_prog(p)) {
			cgroup_fd = cgroup2_root_fd(err);
			if (cgroup_fd < 0)
				return -1;
			l = bpf_program__attach_cgroup(p, cgroup_fd);
		} else {
			l = attach_prog(g, p);
		}
		if (!l)
			return error_set(err, errno, "attach %s (%s)",
					 bpf_program__name(p), sec);
		if (add_link(g, l, err))
			return -1;
	}
	if (services_attach(g->svc, g->obj, (const char *const *)g->sampled,
			    g->sampling, g->n_sampled, g->iface, err))
		return -1;
	for_each_loaded_program (p, g->obj) {
		if (!strncmp(bpf_program__section_name(p), "iter/", 5) &&
		    !is_snapshot_prog(g, bpf_program__name(p)) &&
		    run_iter(g, p, 0, NULL, NULL, err))
			return -1;
	}
	for_each_loaded_program (p, g->obj) {
		if (bpf_program__type(p) != BPF_PROG_TYPE_SOCKET_FILTER)
			continue;
		if (n_socks == MAX_SOCKET_PROGS)
			return error_set(err, 0, "too many socket programs");
		socks[n_socks++] = bpf_program__fd(p);
	}
	if (n_socks) {
		if (netns_set_new(socks, n_socks, &g->netns, err))
			return -1;
		return netns_scan(g->netns, err);
	}
	return 0;
}

int gadget_refresh(struct gadget *g, struct error **err)
{
	return g->netns ? netns_scan(g->netns, err) : 0;
}

int gadget_mounts_fd(const struct gadget *g)
{
	return g->netns ? netns_mounts_fd(g->netns) : -1;
}

int gadget_mounted(struct gadget *g, struct error **err)
{
	return g->netns ? netns_mounted(g->netns, err) : 0;
}

bool gadget_mounts_pending(const struct gadget *g)
{
	return g->netns && netns_mounts_pending(g->netns);
}

int gadget_noted(struct gadget *g, struct error **err)
{
	return g->netns ? netns_noted(g->netns, err) : 0;
}
