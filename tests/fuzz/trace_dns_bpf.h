/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the fuzz targets of the trace_dns socket filter share: the BPF
 * object loaded with its filter only (no unanswered-query reports: the
 * queries fuzzed get no answers, and the sweep would report them between
 * runs), the event struct found by the GADGET_TRACER marker, its members
 * by BTF, and its ring buffer.  Needs root.
 */
#ifndef TESTS_FUZZ_TRACE_DNS_BPF_H
#define TESTS_FUZZ_TRACE_DNS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "fuzz.h"
#include "runner/engine/gadget_api.h"

struct loc {
	size_t off, size;
};

struct dns_bpf {
	struct bpf_object *obj;
	const struct btf *btf;
	int fd; /* the socket filter */
	int ev; /* the event struct's BTF id */
	size_t ev_size;
	struct ring_buffer *rb;
};

static void die(const char *what)
{
	fprintf(stderr, "fuzz: %s\n", what);
	exit(1);
}

/* Member name of struct type (typedefs skipped): offset, size, type. */
static struct loc member(const struct btf *btf, __u32 type, const char *name,
			 __u32 *mtype)
{
	const struct btf_type *t =
		btf__type_by_id(btf, btf__resolve_type(btf, type));
	const struct btf_member *m = btf_members(t);

	for (__u16 i = 0; btf_is_composite(t) && i < btf_vlen(t); i++, m++) {
		if (strcmp(btf__name_by_offset(btf, m->name_off), name))
			continue;
		if (mtype)
			*mtype = m->type;
		return (struct loc){ btf_member_bit_offset(t, i) / 8,
				     btf__resolve_size(btf, m->type) };
	}
	fprintf(stderr, "fuzz: the event has no member %s\n", name);
	exit(1);
}

/* The event struct that the GADGET_TRACER marker names, and its map. */
static int tracer(const struct btf *btf, char *map, size_t size)
{
	for (__u32 id = 1; id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		struct gadget_marker m;
		int rc, type;

		if (!btf_is_var(t))
			continue;
		rc = gadget_marker_parse(btf__name_by_offset(btf, t->name_off),
					 &m, NULL);
		if (rc < 0)
			die("bad marker");
		if (rc == 0 || m.kind != GADGET_MARKER_TRACER) {
			gadget_marker_fini(&m);
			continue;
		}
		snprintf(map, size, "%s", m.part[1]);
		type = btf__find_by_name_kind(btf, m.part[2], BTF_KIND_STRUCT);
		gadget_marker_fini(&m);
		return type;
	}
	die("no GADGET_TRACER marker");
	return -1;
}

static void no_unanswered(struct bpf_object *obj)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *ro = bpf_object__find_map_by_name(obj, ".rodata");
	int id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	const struct btf_var_secinfo *vs;
	const struct btf_type *t;
	const void *init;
	uint8_t *copy;
	size_t size;

	if (!ro || id < 0)
		die("no .rodata");
	t = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(t);
	for (__u16 i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, v->name_off),
			   "unanswered_timeout"))
			continue;
		init = bpf_map__initial_value(ro, &size);
		copy = malloc(size);
		if (!copy)
			die("malloc");
		memcpy(copy, init, size);
		memset(copy + vs->offset, 0, vs->size);
		if (bpf_map__set_initial_value(ro, copy, size))
			die("set .rodata");
		free(copy);
		return;
	}
	die("no unanswered_timeout param");
}

/* Load $BUILD/gadget/trace_dns/program.bpf.o into d, its events to cb. */
static void dns_bpf_load(struct dns_bpf *d, ring_buffer_sample_fn cb)
{
	const char *build = getenv("BUILD");
	struct bpf_program *p, *filter = NULL;
	struct bpf_map *events;
	char path[512], map[128];

	snprintf(path, sizeof(path), "%s/gadget/trace_dns/program.bpf.o",
		 build ? build : "build");
	d->obj = bpf_object__open_file(path, NULL);
	if (libbpf_get_error(d->obj))
		die("cannot open the BPF object (run make)");
	bpf_object__for_each_program (p, d->obj) {
		if (bpf_program__type(p) == BPF_PROG_TYPE_SOCKET_FILTER)
			filter = p;
		else
			bpf_program__set_autoload(p, false);
	}
	if (filter)
		no_unanswered(d->obj);
	if (!filter || bpf_object__load(d->obj))
		die("cannot load the socket filter (root?)");
	d->fd = bpf_program__fd(filter);
	d->btf = bpf_object__btf(d->obj);
	d->ev = tracer(d->btf, map, sizeof(map));
	if (d->ev <= 0)
		die("no event struct");
	d->ev_size = btf__resolve_size(d->btf, d->ev);
	events = bpf_object__find_map_by_name(d->obj, map);
	if (!events)
		die("no events map");
	d->rb = ring_buffer__new(bpf_map__fd(events), cb, NULL, NULL);
	if (!d->rb)
		die("ring_buffer__new");
}

static void dns_bpf_unload(struct dns_bpf *d)
{
	ring_buffer__free(d->rb);
	bpf_object__close(d->obj);
}

#endif
