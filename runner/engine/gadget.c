// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
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
#include "runner/engine/cgroup2.h"
#include "runner/engine/gadget.h"
#include "runner/engine/libbpf_log.h"
#include "runner/engine/mapiter.h"
#include "runner/engine/netns.h"
#include "runner/engine/services.h"

#define TRACER_PREFIX "gadget_tracer_"
#define SNAPSHOTTER_PREFIX "gadget_snapshotter_"
#define ITER_PREFIX "gadget_iter_" /* GADGET_ITER: the same shape */
#define PARAM_PREFIX "gadget_param_"
#define MAPITER_PREFIX "gadget_mapiter_"
#define ITER_TARGET_PREFIX "gadget_mapelem_iter_target_"
#define MAPITER_INTERVAL_MS 1000 /* ig's default map-fetch-interval */
#define LOST_MAP "gadget_lost"
#define COUNTER_PREFIX "gadget_counter_" /* GADGET_COUNTER */
#define MAX_TRACERS 8
#define MAX_PARAMS 64
#define MAX_LINKS 64
#define MAX_SOCKET_PROGS 8

struct subscription {
	gadget_event_fn fn;
	void *ctx;
	struct gadget *g;
};

struct gadget {
	struct bpf_object *obj;
	const struct btf *btf;
	struct gadget_tracer tracers[MAX_TRACERS];
	char *tracer_names[MAX_TRACERS]; /* owns name/map/type strings */
	size_t n_tracers;
	struct gadget_param params[MAX_PARAMS];
	size_t n_params;
	struct bpf_map *rodata_map;
	void *rodata; /* copy of .rodata's initial value, set before load */
	size_t rodata_size;
	struct bpf_link *links[MAX_LINKS];
	size_t n_links;
	struct netns_set *netns;
	struct ring_buffer *rb;
	struct perf_buffer *pbs[MAX_TRACERS];
	struct subscription subs[MAX_TRACERS];
	__u64 perf_lost;
	int lost_fd;
	struct services *svc; /* what ig's gadgets expect of their host */
	struct btf *ext_btf; /* split BTF: map iterator records */
	struct btf *ext_base; /* its base, a copy of btf */
	struct mapiter *mapiters[MAX_TRACERS];
	double next_fetch; /* CLOCK_MONOTONIC seconds */
	char *btf_path; /* custom BTF for CO-RE, removed after load */
};

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const struct btf_type *skip_mods(const struct btf *btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

/* "gadget_tracer_<name>___<map>___<struct>" */
static int add_tracer(struct gadget *g, const char *sym, struct error **err)
{
	char *s, *map, *type;
	struct gadget_tracer *t;
	int id;

	if (g->n_tracers == MAX_TRACERS)
		return error_set(err, 0, "too many tracers");
	s = strdup(sym + strlen(TRACER_PREFIX));
	if (!s)
		return error_set(err, ENOMEM, "tracer");
	map = strstr(s, "___");
	type = map ? strstr(map + 3, "___") : NULL;
	if (!map || !type || map == s) {
		free(s);
		return error_set(err, 0, "malformed tracer symbol %s", sym);
	}
	*map = '\0';
	map += 3;
	*type = '\0';
	type += 3;
	id = btf__find_by_name_kind(g->btf, type, BTF_KIND_STRUCT);
	if (id < 0) {
		error_set(err, 0, "tracer %s: no struct %s in BTF",
			  sym + strlen(TRACER_PREFIX), type);
		free(s);
		return -1;
	}
	t = &g->tracers[g->n_tracers];
	g->tracer_names[g->n_tracers++] = s;
	t->name = s;
	t->map = map;
	t->type = type;
	t->type_id = id;
	return 0;
}

/* "gadget_{snapshotter,iter}_<name>___<struct>___<prog1>[___<prog2>...]" */
static int add_snapshotter(struct gadget *g, const char *sym, size_t skip,
			   struct error **err)
{
	char *s, *p, *next;
	struct gadget_tracer *t;
	size_t n = 0;
	int id;

	if (g->n_tracers == MAX_TRACERS)
		return error_set(err, 0, "too many data sources");
	s = strdup(sym + skip);
	if (!s)
		return error_set(err, ENOMEM, "snapshotter");
	t = &g->tracers[g->n_tracers];
	memset(t, 0, sizeof(*t));
	t->snapshot = true;
	t->name = s;
	p = strstr(s, "___");
	if (!p || p == s)
		goto bad;
	*p = '\0';
	t->type = p + 3;
	for (p = strstr(t->type, "___"); p; p = next) {
		*p = '\0';
		p += 3;
		next = strstr(p, "___");
		if (n == GADGET_MAX_SNAPSHOT_PROGS || !*p)
			goto bad;
		t->progs[n++] = p;
	}
	if (!n)
		goto bad;
	id = btf__find_by_name_kind(g->btf, t->type, BTF_KIND_STRUCT);
	if (id < 0) {
		error_set(err, 0, "snapshotter %s: no struct %s in BTF",
			  t->name, t->type);
		free(s);
		return -1;
	}
	t->type_id = id;
	g->tracer_names[g->n_tracers++] = s;
	return 0;
bad:
	free(s);
	return error_set(err, 0, "malformed snapshotter symbol %s", sym);
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
		const char *sec = btf__name_by_offset(g->btf, t->name_off);
		__u16 j;

		if (!btf_is_datasec(t) || strcmp(sec, ".rodata"))
			continue;
		vs = btf_var_secinfos(t);
		for (j = 0; j < btf_vlen(t); j++, vs++) {
			const struct btf_type *v =
				btf__type_by_id(g->btf, vs->type);
			struct gadget_param *p;

			if (strcmp(btf__name_by_offset(g->btf, v->name_off),
				   var))
				continue;
			p = &g->params[g->n_params++];
			p->var = btf__name_by_offset(g->btf, v->name_off);
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

/* "gadget_mapiter_<name>___<map>" */
static int add_mapiter(struct gadget *g, const char *sym, struct error **err)
{
	struct gadget_tracer *t;
	char *s, *map;

	if (g->n_tracers == MAX_TRACERS)
		return error_set(err, 0, "too many data sources");
	s = strdup(sym + strlen(MAPITER_PREFIX));
	if (!s)
		return error_set(err, ENOMEM, "map iterator");
	map = strstr(s, "___");
	if (!map || map == s || !map[3]) {
		free(s);
		return error_set(err, 0, "malformed map iterator symbol %s",
				 sym);
	}
	*map = '\0';
	map += 3;
	t = &g->tracers[g->n_tracers];
	memset(t, 0, sizeof(*t));
	if (mapiter_new(g->obj, g->btf, &g->ext_base, &g->ext_btf, s, map,
			&g->mapiters[g->n_tracers], &t->type_id, err)) {
		free(s);
		return -1;
	}
	t->name = s;
	t->map = map;
	t->type = "";
	t->mapiter = true;
	g->tracer_names[g->n_tracers++] = s;
	return 0;
}

static int describe(struct gadget *g, struct error **err)
{
	__u32 i, n = btf__type_cnt(g->btf);

	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(g->btf, i);
		const char *name;

		if (!btf_is_var(t))
			continue;
		name = btf__name_by_offset(g->btf, t->name_off);
		if (!strncmp(name, TRACER_PREFIX, strlen(TRACER_PREFIX))) {
			if (add_tracer(g, name, err))
				return -1;
		} else if (!strncmp(name, SNAPSHOTTER_PREFIX,
				    strlen(SNAPSHOTTER_PREFIX))) {
			if (add_snapshotter(g, name, strlen(SNAPSHOTTER_PREFIX),
					    err))
				return -1;
		} else if (!strncmp(name, ITER_PREFIX, strlen(ITER_PREFIX))) {
			if (add_snapshotter(g, name, strlen(ITER_PREFIX), err))
				return -1;
		} else if (!strncmp(name, MAPITER_PREFIX,
				    strlen(MAPITER_PREFIX))) {
			if (add_mapiter(g, name, err))
				return -1;
		} else if (!strncmp(name, PARAM_PREFIX, strlen(PARAM_PREFIX))) {
			if (add_param(g, name + strlen(PARAM_PREFIX), err))
				return -1;
		}
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

int gadget_open(const void *elf, size_t len, const char *name,
		struct gadget **out, struct error **err)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name);
	struct gadget *g;

	/* The user sees one error line; the engine log (RUNNER_DEBUG in the
	 * CLI) shows libbpf's own messages, the verifier log among them. */
	libbpf_set_print(engine_libbpf_print);
	g = calloc(1, sizeof(*g));
	if (!g)
		return error_set(err, ENOMEM, "gadget");
	g->lost_fd = -1;
	g->obj = bpf_object__open_mem(elf, len, &opts);
	if (!g->obj) {
		error_set(err, errno, "open eBPF object");
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
		if (services_socket_btf(&g->btf_path, err))
			goto fail;
		opts.btf_custom_path = g->btf_path;
		bpf_object__close(g->obj);
		g->obj = bpf_object__open_mem(elf, len, &opts);
		if (!g->obj) {
			error_set(err, errno, "open eBPF object");
			goto fail;
		}
		g->btf = bpf_object__btf(g->obj);
	}
	if (describe(g, err) || find_rodata(g, err))
		goto fail;
	*out = g;
	return 0;
fail:
	gadget_free(g);
	return -1;
}

void gadget_free(struct gadget *g)
{
	size_t i;

	if (!g)
		return;
	ring_buffer__free(g->rb);
	for (i = 0; i < MAX_TRACERS; i++)
		perf_buffer__free(g->pbs[i]);
	netns_set_free(g->netns);
	for (i = g->n_links; i > 0; i--)
		bpf_link__destroy(g->links[i - 1]);
	services_free(g->svc);
	bpf_object__close(g->obj);
	if (g->btf_path)
		unlink(g->btf_path);
	free(g->btf_path);
	for (i = 0; i < g->n_tracers; i++) {
		mapiter_free(g->mapiters[i]);
		free(g->tracer_names[i]);
	}
	btf__free(g->ext_btf);
	btf__free(g->ext_base);
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

static int parse_int(const char *s, const struct btf_type *t, void *dst,
		     const char *var, struct error **err)
{
	bool is_signed = btf_is_int(t) ?
				 (btf_int_encoding(t) & BTF_INT_SIGNED) != 0 :
				 false;
	size_t size = t->size;
	unsigned long long u;
	long long v;
	char *end;

	errno = 0;
	if (btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL)) {
		if (!strcmp(s, "true") || !strcmp(s, "1"))
			u = 1;
		else if (!strcmp(s, "false") || !strcmp(s, "0"))
			u = 0;
		else
			return error_set(err, 0,
					 "param %s: '%s' is not true or false",
					 var, s);
		memcpy(dst, &u, 1);
		return 0;
	}
	if (is_signed) {
		v = strtoll(s, &end, 0);
		u = (unsigned long long)v;
		if (size < 8 && (v < -(1LL << (size * 8 - 1)) ||
				 v >= (1LL << (size * 8 - 1))))
			errno = ERANGE;
	} else {
		if (*s == '-')
			errno = ERANGE;
		u = strtoull(s, &end, 0);
		if (size < 8 && u >> (size * 8))
			errno = ERANGE;
	}
	if (!*s || *end || errno)
		return error_set(
			err, 0,
			"param %s: invalid value '%s' for a %zu-byte %s integer",
			var, s, size, is_signed ? "signed" : "unsigned");
		/* little- and big-endian alike: copy the low bytes */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(dst, &u, size);
#else
	memcpy(dst, (char *)&u + 8 - size, size);
#endif
	return 0;
}

/* Offset of member name in struct/union t, or -1. */
static int member_offset(const struct btf *btf, const struct btf_type *t,
			 const char *name)
{
	const struct btf_member *m = btf_members(t);

	for (__u16 i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), name))
			return btf_member_bit_offset(t, i) / 8;
	return -1;
}

/* union gadget_ip_addr_t or struct gadget_l3endpoint_t from "1.2.3.4"/"::1". */
static int parse_ip_param(const struct btf *btf, const struct btf_type *t,
			  const char *value, char *dst, size_t size,
			  const char *var, struct error **err)
{
	const char *name = btf__name_by_offset(btf, t->name_off);
	bool ep = !strcmp(name, "gadget_l3endpoint_t");
	int addr_off = ep ? member_offset(btf, t, "addr_raw") : 0;
	int ver_off = ep ? member_offset(btf, t, "version") : -1;
	__u8 buf[16];
	int version;

	if (addr_off < 0 || (ep && ver_off < 0) || addr_off + 16 > (int)size)
		return error_set(err, 0, "param %s: unsupported layout", var);
	if (inet_pton(AF_INET, value, buf) == 1)
		version = 4;
	else if (inet_pton(AF_INET6, value, buf) == 1)
		version = 6;
	else
		return error_set(
			err, 0, "param %s: '%s' is not an IPv4 or IPv6 address",
			var, value);
	memset(dst, 0, size);
	memcpy(dst + addr_off, buf, version == 4 ? 4 : 16);
	if (ep)
		dst[ver_off] = version;
	return 0;
}

const void *gadget_param_data(const struct gadget *g, size_t i)
{
	const struct gadget_param *p = gadget_param(g, i);

	if (!p || !g->rodata || p->offset + p->size > g->rodata_size)
		return NULL;
	return (const char *)g->rodata + p->offset;
}

int gadget_param_set(struct gadget *g, size_t i, const char *value,
		     struct error **err)
{
	const struct gadget_param *p = gadget_param(g, i);
	const struct btf_type *t;
	__u32 id;
	char *dst;

	if (!p || !g->rodata || p->offset + p->size > g->rodata_size)
		return error_set(err, 0, "no such param");
	id = p->type_id;
	t = skip_mods(g->btf, &id);
	dst = (char *)g->rodata + p->offset;
	if (btf_is_int(t) || btf_is_enum(t))
		return parse_int(value, t, dst, p->var, err);
	if (btf_is_composite(t)) {
		const char *tn = btf__name_by_offset(g->btf, t->name_off);

		if (!strcmp(tn, "gadget_ip_addr_t") ||
		    !strcmp(tn, "gadget_l3endpoint_t"))
			return parse_ip_param(g->btf, t, value, dst, p->size,
					      p->var, err);
	}
	if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		__u32 eid = a->type;
		const struct btf_type *e = skip_mods(g->btf, &eid);
		cleanup_free char *copy = NULL;
		char *tok, *save = NULL;
		size_t n = 0;

		if (btf_is_int(e) && e->size == 1 &&
		    !(btf_int_encoding(e) & BTF_INT_BOOL) &&
		    (btf_int_encoding(e) & BTF_INT_CHAR ||
		     !strcmp(btf__name_by_offset(g->btf, e->name_off),
			     "char"))) {
			if (strlen(value) >= a->nelems)
				return error_set(
					err, 0,
					"param %s: longer than %u bytes",
					p->var, a->nelems - 1);
			memset(dst, 0, a->nelems);
			memcpy(dst, value, strlen(value));
			return 0;
		}
		if (!btf_is_int(e) && !btf_is_enum(e))
			return error_set(err, 0, "param %s: unsupported type",
					 p->var);
		copy = strdup(value);
		if (!copy)
			return error_set(err, ENOMEM, "param");
		memset(dst, 0, p->size);
		for (tok = strtok_r(copy, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save), n++) {
			if (n == a->nelems)
				return error_set(
					err, 0, "param %s: more than %u values",
					p->var, a->nelems);
			if (parse_int(tok, e, dst + n * e->size, p->var, err))
				return -1;
		}
		return 0;
	}
	return error_set(err, 0, "param %s: unsupported type", p->var);
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

/*
 * Run an iterator program once, reading it to the end.  With fn, its
 * output is cut into records of rec_size bytes, each passed to fn.
 */
/* The fd of the map GADGET_ITER_TARGET_MAP names for program prog, or -1. */
static int iter_target_map(struct bpf_object *obj, struct bpf_program *p)
{
	const struct btf *btf = bpf_object__btf(obj);
	const char *prog = bpf_program__name(p);
	char prefix[256];
	__u32 i, n = btf__type_cnt(btf);

	snprintf(prefix, sizeof(prefix), "%s%s___", ITER_TARGET_PREFIX, prog);
	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const char *name = btf__name_by_offset(btf, t->name_off);
		struct bpf_map *m;

		if (!btf_is_var(t) || strncmp(name, prefix, strlen(prefix)))
			continue;
		m = bpf_object__find_map_by_name(obj, name + strlen(prefix));
		return m ? bpf_map__fd(m) : -1;
	}
	return -1;
}

static int run_iter(struct bpf_object *obj, struct bpf_program *p,
		    size_t rec_size, gadget_event_fn fn, void *ctx,
		    struct error **err)
{
	int map_fd = iter_target_map(obj, p);
	union bpf_iter_link_info info = { .map.map_fd = map_fd };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info,
		    .link_info_len = sizeof(info));
	struct bpf_link *l =
		bpf_program__attach_iter(p, map_fd >= 0 ? &opts : NULL);
	char buf[16384];
	size_t have = 0;
	ssize_t n;
	int fd;

	if (!l)
		return error_set(err, errno, "attach iterator %s",
				 bpf_program__name(p));
	fd = bpf_iter_create(bpf_link__fd(l));
	if (fd < 0) {
		bpf_link__destroy(l);
		return error_set(err, -fd, "create iterator %s",
				 bpf_program__name(p));
	}
	if (fn && (rec_size == 0 || rec_size > sizeof(buf)))
		fn = NULL;
	while ((n = read(fd, buf + have, sizeof(buf) - have)) > 0) {
		size_t off = 0;

		if (!fn)
			continue;
		have += n;
		while (have - off >= rec_size) {
			fn(ctx, buf + off, rec_size);
			off += rec_size;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	close(fd);
	bpf_link__destroy(l);
	if (n < 0)
		return error_set(err, errno, "read iterator %s",
				 bpf_program__name(p));
	return 0;
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
		if (size <= 0)
			return error_set(err, 0, "snapshotter %s: bad type",
					 t->name);
		if (run_iter(g->obj, p, size, fn, ctx, err))
			return -1;
	}
	return 0;
}

void gadget_host_needs(const struct gadget *g, struct host_needs *needs)
{
	struct bpf_program *p;
	struct bpf_map *m;

	*needs = (struct host_needs){ 0 };
	bpf_object__for_each_program (p, g->obj) {
		const char *sec = bpf_program__section_name(p);

		if (!strncmp(sec, "tracepoint/", 11) || !strncmp(sec, "tp/", 3))
			needs->tracefs = true;
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
	int socks[MAX_SOCKET_PROGS], cgroup_fd = -1;
	bool mounted;
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
	rc = bpf_object__load(g->obj);
	if (g->btf_path)
		unlink(g->btf_path);
	if (rc)
		return error_set(err, -rc,
				 "load eBPF object (RUNNER_DEBUG=1 shows the "
				 "verifier log)");
	lost = bpf_object__find_map_by_name(g->obj, LOST_MAP);
	if (lost)
		g->lost_fd = bpf_map__fd(lost);

	/* Hooks that keep state first, then iterators to seed it, then the
	 * socket filters that read it. */
	bpf_object__for_each_program (p, g->obj) {
		const char *sec = bpf_program__section_name(p);
		struct bpf_link *l;

		if (bpf_program__type(p) == BPF_PROG_TYPE_SOCKET_FILTER ||
		    !strncmp(sec, "iter/", 5) || services_attaches(p))
			continue;
		if (is_cgroup_prog(p) && cgroup_fd < 0) {
			cgroup_fd = cgroup2_root_open(&mounted, err);
			if (cgroup_fd < 0)
				return -1;
		}
		if (is_cgroup_prog(p))
			l = bpf_program__attach_cgroup(p, cgroup_fd);
		else
			l = bpf_program__attach(p);
		if (!l) {
			error_set(err, errno, "attach %s (%s)",
				  bpf_program__name(p), sec);
			goto close_cgroup;
		}
		if (add_link(g, l, err))
			goto close_cgroup;
	}
	if (cgroup_fd >= 0)
		close(cgroup_fd);
	cgroup_fd = -1;
	if (services_attach(g->svc, g->obj, err))
		goto close_cgroup;
	bpf_object__for_each_program (p, g->obj) {
		if (!strncmp(bpf_program__section_name(p), "iter/", 5) &&
		    !is_snapshot_prog(g, bpf_program__name(p)) &&
		    run_iter(g->obj, p, 0, NULL, NULL, err))
			return -1;
	}
	bpf_object__for_each_program (p, g->obj) {
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

close_cgroup:
	if (cgroup_fd >= 0)
		close(cgroup_fd);
	return -1;
}

int gadget_refresh(struct gadget *g, struct error **err)
{
	return g->netns ? netns_scan(g->netns, err) : 0;
}

__u64 gadget_lost(const struct gadget *g)
{
	__u64 sum = g->perf_lost;
	__u32 key = 0;
	int i, n;

	if (g->lost_fd < 0)
		return sum;
	n = libbpf_num_possible_cpus();
	if (n <= 0)
		return sum;
	{
		__u64 vals[n];

		if (bpf_map_lookup_elem(g->lost_fd, &key, vals))
			return sum;
		for (i = 0; i < n; i++)
			sum += vals[i];
	}
	return sum;
}

int gadget_counter(const struct gadget *g, size_t i, const char **name,
		   __u64 *value)
{
	const size_t plen = strlen(COUNTER_PREFIX);
	struct bpf_map *m;
	__u32 key = 0;
	int n = libbpf_num_possible_cpus();

	if (n <= 0)
		return -1;
	bpf_object__for_each_map (m, g->obj) {
		const char *mn = bpf_map__name(m);

		if (strncmp(mn, COUNTER_PREFIX, plen) ||
		    bpf_map__type(m) != BPF_MAP_TYPE_PERCPU_ARRAY ||
		    bpf_map__value_size(m) != sizeof(__u64) || i-- > 0)
			continue;
		{
			__u64 vals[n];

			*name = mn + plen;
			*value = 0;
			if (bpf_map_lookup_elem(bpf_map__fd(m), &key, vals))
				return 0;
			for (int c = 0; c < n; c++)
				*value += vals[c];
		}
		return 0;
	}
	return -1;
}

static int ringbuf_cb(void *ctx, void *data, size_t size)
{
	struct subscription *s = ctx;

	return s->fn(s->ctx, data, size);
}

static void perf_cb(void *ctx, int cpu, void *data, __u32 size)
{
	struct subscription *s = ctx;

	(void)cpu;
	s->fn(s->ctx, data, size);
}

static void perf_lost_cb(void *ctx, int cpu, __u64 n)
{
	struct subscription *s = ctx;

	(void)cpu;
	s->g->perf_lost += n;
}

int gadget_subscribe(struct gadget *g, size_t i, gadget_event_fn fn, void *ctx,
		     struct error **err)
{
	const struct gadget_tracer *t = gadget_tracer(g, i);
	struct subscription *s = &g->subs[i];
	struct bpf_map *m;
	int fd;

	if (!t)
		return error_set(err, 0, "no tracer %zu", i);
	s->fn = fn;
	s->ctx = ctx;
	s->g = g;
	if (t->mapiter) {
		g->next_fetch = now_sec() + MAPITER_INTERVAL_MS / 1000.0;
		return 0;
	}
	m = bpf_object__find_map_by_name(g->obj, t->map);
	if (!m)
		return error_set(err, 0, "tracer %s: no map %s", t->name,
				 t->map);
	fd = bpf_map__fd(m);
	switch (bpf_map__type(m)) {
	case BPF_MAP_TYPE_RINGBUF:
		if (!g->rb) {
			g->rb = ring_buffer__new(fd, ringbuf_cb, s, NULL);
			if (!g->rb)
				return error_set(err, errno, "ring buffer %s",
						 t->map);
		} else if (ring_buffer__add(g->rb, fd, ringbuf_cb, s)) {
			return error_set(err, errno, "ring buffer %s", t->map);
		}
		return 0;
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY: {
		g->pbs[i] = perf_buffer__new(fd, 64, perf_cb, perf_lost_cb, s,
					     NULL);
		if (!g->pbs[i])
			return error_set(err, errno, "perf buffer %s", t->map);
		return 0;
	}
	default:
		return error_set(err, 0,
				 "tracer %s: map %s is neither a ring buffer "
				 "nor a perf event array",
				 t->name, t->map);
	}
}

int gadget_flush(struct gadget *g, struct error **err)
{
	for (size_t i = 0; i < g->n_tracers; i++)
		if (g->mapiters[i] && g->subs[i].fn &&
		    mapiter_fetch(g->mapiters[i], g->subs[i].fn, g->subs[i].ctx,
				  err))
			return -1;
	return 0;
}

/* Map iterators: fetch when due; without buffers to wait on, sleep until
 * then (or timeout_ms). */
static int poll_mapiters(struct gadget *g, int timeout_ms, bool idle,
			 struct error **err)
{
	double now = now_sec();

	if (!g->next_fetch)
		return 0;
	if (idle && now < g->next_fetch && timeout_ms > 0) {
		double wait = g->next_fetch - now;

		if (wait > timeout_ms / 1000.0)
			wait = timeout_ms / 1000.0;
		usleep((useconds_t)(wait * 1e6));
		now = now_sec();
	}
	if (now < g->next_fetch)
		return 0;
	g->next_fetch = now + MAPITER_INTERVAL_MS / 1000.0;
	return gadget_flush(g, err);
}

int gadget_poll(struct gadget *g, int timeout_ms, struct error **err)
{
	bool idle = !g->rb;
	size_t i;
	int rc;

	for (i = 0; i < MAX_TRACERS; i++)
		idle = idle && !g->pbs[i];
	if (poll_mapiters(g, timeout_ms, idle, err))
		return -1;
	if (idle && !g->next_fetch && timeout_ms > 0) /* nothing to wait on */
		usleep(timeout_ms * 1000);

	if (g->rb) {
		rc = ring_buffer__poll(g->rb, timeout_ms);
		if (rc >= 0)
			rc = ring_buffer__consume(g->rb);
		/* -ECANCELED: a callback asked to stop (--max-events) */
		if (rc < 0 && rc != -EINTR && rc != -ECANCELED)
			return error_set(err, -rc, "read ring buffer");
		timeout_ms = 0;
	}
	for (i = 0; i < MAX_TRACERS; i++) {
		if (!g->pbs[i])
			continue;
		rc = perf_buffer__poll(g->pbs[i], timeout_ms);
		if (rc < 0 && rc != -EINTR)
			return error_set(err, -rc, "read perf buffer");
		timeout_ms = 0;
	}
	return 0;
}
