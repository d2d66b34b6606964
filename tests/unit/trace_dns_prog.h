/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the trace_dns program tests share: the BPF object loaded, its
 * events read by their BTF layout, and DNS messages and frames encoded
 * independently of the BPF code (see test_trace_dns_prog.c).
 */
#ifndef TESTS_UNIT_TRACE_DNS_PROG_H
#define TESTS_UNIT_TRACE_DNS_PROG_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/bpf.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "runner/engine/gadget_api.h"

#define NETNS_ID 0xF0000123u
#define MAX_EVENTS 16
#define EV_MAX 4096

/* ---- the program, loaded, and the events it produced ---- */

struct prog {
	struct bpf_object *obj;
	const struct btf *btf;
	int ev_type; /* the event struct's BTF id */
	size_t ev_size;
	int fd;
	struct ring_buffer *rb;
	bool no_rest; /* gadget_rest_wanted set false: records are events */
	size_t n; /* events of the last run */
	uint8_t ev[MAX_EVENTS][EV_MAX];
	size_t ev_len[MAX_EVENTS];
};

static inline int on_event(void *ctx, void *data, size_t len)
{
	struct prog *p = ctx;

	/* a record cut after its last byte in use: the rest reads as
	 * zeros, as the runner reads it */
	if (p->n < MAX_EVENTS && len <= EV_MAX) {
		memcpy(p->ev[p->n], data, len);
		memset(p->ev[p->n] + len, 0, EV_MAX - len);
		p->ev_len[p->n] = len;
	}
	p->n++;
	return 0;
}

/* The tracer's map and struct names, from its gadget_tracer_ variable. */
static inline void tracer_names(const struct btf *btf, char *map, char *type,
				size_t size)
{
	for (__u32 id = 1; id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		struct gadget_marker m;
		int rc;

		if (!btf_is_var(t))
			continue;
		rc = gadget_marker_parse(btf__name_by_offset(btf, t->name_off),
					 &m, NULL);
		if (rc < 0)
			fail_msg("bad marker %s",
				 btf__name_by_offset(btf, t->name_off));
		if (rc == 0 || m.kind != GADGET_MARKER_TRACER) {
			gadget_marker_fini(&m);
			continue;
		}
		snprintf(map, size, "%s", m.part[1]);
		snprintf(type, size, "%s", m.part[2]);
		gadget_marker_fini(&m);
		return;
	}
	fail_msg("no GADGET_TRACER in the object");
}

/* Offset of var in the datasec named sec, or -1. */
static inline long var_offset(const struct btf *btf, const char *sec,
			      const char *var)
{
	int id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
	const struct btf_type *t;
	const struct btf_var_secinfo *vs;

	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(t);
	for (__u16 i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);

		if (!strcmp(btf__name_by_offset(btf, v->name_off), var))
			return vs->offset;
	}
	return -1;
}

/* Load the object with ports (n of them, NULL: the defaults),
 * unanswered_timeout (0: the default) and, when no_rest, no packet bytes
 * after the events (gadget_rest_wanted false, as the runner sets it). */
static inline struct prog *prog_load_opts(const uint16_t *ports, size_t n,
					  uint32_t timeout, bool no_rest)
{
	struct prog *p = calloc(1, sizeof(*p));
	const char *build = getenv("BUILD");
	struct bpf_program *bp, *filter = NULL;
	struct bpf_map *events;
	char path[512], map[128], type[128];

	assert_non_null(p);
	snprintf(path, sizeof(path), "%s/gadget/trace_dns/program.bpf.o",
		 build ? build : "build");
	p->obj = bpf_object__open_file(path, NULL);
	if (libbpf_get_error(p->obj))
		fail_msg("open %s (run make first)", path);
	p->btf = bpf_object__btf(p->obj);
	assert_non_null(p->btf);
	/* only the socket filter: the hooks that find processes need no
	 * loading to decode packets */
	bpf_object__for_each_program (bp, p->obj) {
		if (bpf_program__type(bp) == BPF_PROG_TYPE_SOCKET_FILTER)
			filter = bp;
		else
			bpf_program__set_autoload(bp, false);
	}
	assert_non_null(filter);
	if (ports || timeout || no_rest) {
		struct bpf_map *ro =
			bpf_object__find_map_by_name(p->obj, ".rodata");
		long off = var_offset(p->btf, ".rodata", "ports");
		long t_off =
			var_offset(p->btf, ".rodata", "unanswered_timeout");
		long r_off =
			var_offset(p->btf, ".rodata", "gadget_rest_wanted");
		const void *init;
		uint8_t *copy;
		size_t size;

		assert_non_null(ro);
		assert_true(off >= 0 && t_off >= 0 && r_off >= 0);
		init = bpf_map__initial_value(ro, &size);
		copy = malloc(size);
		memcpy(copy, init, size);
		if (ports) {
			memset(copy + off, 0, 16 * sizeof(*ports));
			memcpy(copy + off, ports, n * sizeof(*ports));
		}
		if (timeout)
			memcpy(copy + t_off, &timeout, sizeof(timeout));
		if (no_rest)
			copy[r_off] = 0;
		p->no_rest = no_rest;
		assert_int_equal(bpf_map__set_initial_value(ro, copy, size), 0);
		free(copy);
	}
	if (bpf_object__load(p->obj))
		fail_msg("load %s", path);
	p->fd = bpf_program__fd(filter);

	tracer_names(p->btf, map, type, sizeof(map));
	p->ev_type = btf__find_by_name_kind(p->btf, type, BTF_KIND_STRUCT);
	assert_true(p->ev_type > 0);
	p->ev_size = btf__resolve_size(p->btf, p->ev_type);
	assert_true(p->ev_size > 0 && p->ev_size <= EV_MAX);
	events = bpf_object__find_map_by_name(p->obj, map);
	assert_non_null(events);
	p->rb = ring_buffer__new(bpf_map__fd(events), on_event, p, NULL);
	assert_non_null(p->rb);
	return p;
}

static inline struct prog *prog_load_with(const uint16_t *ports, size_t n,
					  uint32_t timeout)
{
	return prog_load_opts(ports, n, timeout, false);
}

static inline struct prog *prog_load(const uint16_t *ports, size_t n)
{
	return prog_load_with(ports, n, 0);
}

static inline void prog_free(struct prog *p)
{
	if (!p)
		return;
	ring_buffer__free(p->rb);
	bpf_object__close(p->obj);
	free(p);
}

static inline uint64_t ev_u(struct prog *p, size_t i, const char *path);

/* Run the filter on one frame seen in network namespace netns; returns
 * how many events it sent. */
static inline size_t run_in(struct prog *p, const void *frame, size_t len,
			    uint32_t netns)
{
	struct __sk_buff ctx = { .cb = { netns } };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err;

	p->n = 0;
	err = bpf_prog_test_run_opts(p->fd, &opts);
	if (err)
		fail_msg("BPF_PROG_TEST_RUN: %s", strerror(-err));
	assert_int_equal(opts.retval, 0);
	ring_buffer__consume(p->rb);
	/* the front of the event in use, or the whole event then the
	 * packet (data_len bytes) when an output wants the packet */
	for (size_t i = 0; i < p->n && i < MAX_EVENTS; i++)
		if (p->no_rest || !ev_u(p, i, "data_len"))
			assert_true(p->ev_len[i] <= p->ev_size);
		else
			assert_int_equal(p->ev_len[i],
					 p->ev_size + ev_u(p, i, "data_len"));
	return p->n;
}

/* Run the filter on one frame; returns how many events it sent. */
static inline size_t run(struct prog *p, const void *frame, size_t len)
{
	return run_in(p, frame, len, NETNS_ID);
}

/* The byte offset of member name in struct or union type id, and its
 * type in *type; -1 if it has none. */
static inline long member_at(const struct btf *btf, __u32 id, const char *name,
			     __u32 *type)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m = btf_members(t);

	for (__u16 k = 0; k < btf_vlen(t); k++, m++) {
		if (strcmp(btf__name_by_offset(btf, m->name_off), name))
			continue;
		*type = m->type;
		return btf_member_bit_offset(t, k) / 8;
	}
	return -1;
}

/* The byte offset of member of the program's struct type. */
static inline size_t member_off(struct prog *p, const char *type,
				const char *member)
{
	int id = btf__find_by_name_kind(p->btf, type, BTF_KIND_STRUCT);
	__u32 mtype;
	long off;

	assert_true(id > 0);
	off = member_at(p->btf, id, member, &mtype);
	if (off < 0)
		fail_msg("%s has no %s", type, member);
	return off;
}

/*
 * A field of the event by path: "id", "src.port", "addresses[3].version".
 * Offsets and sizes come from BTF.
 */
static inline const void *field(struct prog *p, size_t i, const char *path,
				size_t *size)
{
	const struct btf *btf = p->btf;
	__u32 type = p->ev_type;
	size_t off = 0;
	char buf[128], *tok, *save = NULL;

	assert_true(i < p->n);
	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok;
	     tok = strtok_r(NULL, ".", &save)) {
		char *br = strchr(tok, '[');
		__u32 id = btf__resolve_type(btf, type);
		long at;

		if (br)
			*br = '\0';
		if (!btf_is_composite(btf__type_by_id(btf, id)))
			fail_msg("%s: %s is not in a struct", path, tok);
		at = member_at(btf, id, tok, &type);
		if (at < 0)
			fail_msg("the event has no field %s", path);
		off += at;
		if (br) {
			const struct btf_type *a = btf__type_by_id(
				btf, btf__resolve_type(btf, type));
			size_t idx = strtoul(br + 1, NULL, 10);

			if (!btf_is_array(a) || idx >= btf_array(a)->nelems)
				fail_msg("%s: bad index", path);
			type = btf_array(a)->type;
			off += idx * btf__resolve_size(btf, type);
		}
	}
	*size = btf__resolve_size(btf, type);
	assert_true(off + *size <= p->ev_size);
	return p->ev[i] + off;
}

/* The offset of a field in the event (after a run with an event). */
static inline size_t ev_off(struct prog *p, const char *path)
{
	size_t size;

	return (const uint8_t *)field(p, 0, path, &size) - p->ev[0];
}

/* An integer (or bool or enum) field of event i. */
static inline uint64_t ev_u(struct prog *p, size_t i, const char *path)
{
	size_t size;
	const void *f = field(p, i, path, &size);

	switch (size) {
	case 1:
		return *(const uint8_t *)f;
	case 2:
		return *(const uint16_t *)f;
	case 4:
		return *(const uint32_t *)f;
	case 8:
		return *(const uint64_t *)f;
	}
	fail_msg("%s has %zu bytes", path, size);
	return 0;
}

/* A string field of event i, checked to be NUL-terminated in its array. */
static inline const char *ev_str(struct prog *p, size_t i, const char *path)
{
	size_t size;
	const char *s = field(p, i, path, &size);

	assert_true(memchr(s, '\0', size) != NULL);
	return s;
}

static inline const char *ev_name(struct prog *p, size_t i)
{
	return ev_str(p, i, "name");
}

/* Address j of event i in text form ("" when its version is 0). */
static inline const char *ev_addr(struct prog *p, size_t i, int j, char *buf,
				  size_t n)
{
	char path[64];
	size_t size;
	const void *a;
	int v;

	snprintf(path, sizeof(path), "addresses[%d].version", j);
	v = ev_u(p, i, path);
	snprintf(path, sizeof(path), "addresses[%d].addr_raw", j);
	a = field(p, i, path, &size);
	buf[0] = '\0';
	if (v == 4 || v == 6)
		inet_ntop(v == 4 ? AF_INET : AF_INET6, a, buf, n);
	else
		assert_int_equal(v, 0);
	return buf;
}

/* ---- DNS messages, encoded independently of the BPF code ---- */

struct msg {
	uint8_t b[4096];
	size_t len;
};

static inline void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->len + n <= sizeof(m->b));
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static inline void put8(struct msg *m, uint8_t v)
{
	put(m, &v, 1);
}

static inline void put16(struct msg *m, uint16_t v)
{
	v = htons(v);
	put(m, &v, 2);
}

static inline void put32(struct msg *m, uint32_t v)
{
	v = htonl(v);
	put(m, &v, 4);
}

#define F_QR 0x8000
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_RA 0x0080
#define OPCODE(o) ((o) << 11)

static inline void header(struct msg *m, uint16_t id, uint16_t flags,
			  uint16_t qd, uint16_t an)
{
	m->len = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

/* A name from dotted text (no escapes; "" or "." is the root); returns
 * its offset, for compression pointers. */
static inline uint16_t name(struct msg *m, const char *dotted)
{
	uint16_t at = m->len;
	const char *p = dotted;

	while (*p && strcmp(p, ".")) {
		size_t n = strcspn(p, ".");

		put8(m, n);
		put(m, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	put8(m, 0);
	return at;
}

static inline void label(struct msg *m, const void *p, uint8_t n)
{
	put8(m, n);
	put(m, p, n);
}

static inline void pointer(struct msg *m, uint16_t off)
{
	put16(m, 0xC000 | off);
}

static inline void question_tail(struct msg *m, uint16_t type, uint16_t class)
{
	put16(m, type);
	put16(m, class);
}

/* A record's fields after its owner name. */
static inline void rr_ttl(struct msg *m, uint16_t type, uint16_t class,
			  uint32_t ttl, const void *rdata, uint16_t len)
{
	put16(m, type);
	put16(m, class);
	put32(m, ttl);
	put16(m, len);
	put(m, rdata, len);
}

static inline void rr(struct msg *m, uint16_t type, uint16_t class,
		      const void *rdata, uint16_t len)
{
	rr_ttl(m, type, class, 300, rdata, len);
}

static inline void rr_a(struct msg *m, uint16_t owner, const char *ip)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, ip, a), 1);
	pointer(m, owner);
	rr(m, 1, 1, a, 4);
}

static inline void rr_aaaa(struct msg *m, uint16_t owner, const char *ip)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET6, ip, a), 1);
	pointer(m, owner);
	rr(m, 28, 1, a, 16);
}

/* ---- frames: Ethernet + IPv4/IPv6 + UDP/TCP ---- */

struct frame {
	uint8_t b[4096];
	size_t len;
};

static inline void eth(struct frame *f, uint16_t type)
{
	static const uint8_t macs[12] = { 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1 };

	memcpy(f->b, macs, 12); /* to 00:00:..: PACKET_HOST on lo */
	f->b[12] = type >> 8;
	f->b[13] = type & 0xFF;
	f->len = 14;
}

static inline void fput(struct frame *f, const void *p, size_t n)
{
	assert_true(f->len + n <= sizeof(f->b));
	if (n)
		memcpy(f->b + f->len, p, n);
	f->len += n;
}

static inline void fput16(struct frame *f, uint16_t v)
{
	v = htons(v);
	fput(f, &v, 2);
}

static inline void l4(struct frame *f, uint8_t proto, uint16_t sport,
		      uint16_t dport, const struct msg *m)
{
	fput16(f, sport);
	fput16(f, dport);
	if (proto == IPPROTO_UDP) {
		fput16(f, 8 + m->len);
		fput16(f, f->b[12] == 0x86 ? 0xFFFF : 0); /* IPv6 needs one */
	} else {
		static const uint8_t rest[] = { 0, 0, 0,    1,	  0,	0,
						0, 1, 0x50, 0x18, 0xff, 0xff,
						0, 0, 0,    0 };

		fput(f, rest, sizeof(rest)); /* seq, ack, doff 5, PSH|ACK */
		if (m)
			fput16(f, m->len);
	}
	if (m)
		fput(f, m->b, m->len);
}

static inline size_t l4_len(uint8_t proto, const struct msg *m)
{
	if (proto == IPPROTO_UDP)
		return 8 + m->len;
	return 20 + (m ? 2 + m->len : 0);
}

static inline void ipv4(struct frame *f, uint8_t proto, const char *src,
			const char *dst, uint16_t frag, uint16_t sport,
			uint16_t dport, const struct msg *m)
{
	uint8_t ip[20] = { 0x45, 0,	    0,		 0,  0,
			   1,	 frag >> 8, frag & 0xFF, 64, proto };
	uint16_t tot = 20 + l4_len(proto, m);

	eth(f, 0x0800);
	ip[2] = tot >> 8;
	ip[3] = tot & 0xFF;
	assert_int_equal(inet_pton(AF_INET, src, ip + 12), 1);
	assert_int_equal(inet_pton(AF_INET, dst, ip + 16), 1);
	fput(f, ip, sizeof(ip));
	l4(f, proto, sport, dport, m);
}

static inline void udp4(struct frame *f, uint16_t sport, uint16_t dport,
			const struct msg *m)
{
	ipv4(f, IPPROTO_UDP, "10.1.2.3", "10.9.8.7", 0, sport, dport, m);
}

/* IPv6 with ext (extension headers, their next-header bytes filled in
 * by the caller), first naming the first header after the fixed one. */
static inline void ipv6(struct frame *f, uint8_t first, const uint8_t *ext,
			size_t ext_len, uint8_t proto, uint16_t sport,
			uint16_t dport, const struct msg *m)
{
	uint8_t ip[40] = { 0x60 };
	uint16_t plen = ext_len + l4_len(proto, m);

	eth(f, 0x86DD);
	ip[4] = plen >> 8;
	ip[5] = plen & 0xFF;
	ip[6] = ext_len ? first : proto;
	ip[7] = 64;
	assert_int_equal(inet_pton(AF_INET6, "fd00::1", ip + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, "fd00::53", ip + 24), 1);
	fput(f, ip, sizeof(ip));
	fput(f, ext, ext_len);
	l4(f, proto, sport, dport, m);
}

/* ---- tests ---- */

static inline int setup(void **state)
{
	/* queries left unanswered here are not reported while tests run */
	*state = prog_load_with(NULL, 0, 3600);
	return 0;
}

static inline int teardown(void **state)
{
	prog_free(*state);
	return 0;
}

/* A query for name, type A, class IN. */
static inline void query(struct msg *m, uint16_t id, const char *qname)
{
	header(m, id, F_RD, 1, 0);
	name(m, qname);
	question_tail(m, 1, 1);
}

/*
 * Events the sweep sends (after the runs' own were consumed): p->n once
 * it reaches want, or after tenths of seconds.
 */
static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline size_t wait_events(struct prog *p, size_t want, int tenths)
{
	double end = now_s() + tenths / 10.0;

	while (p->n < want && now_s() < end)
		ring_buffer__poll(p->rb, 100);
	return p->n;
}

static inline uint64_t counter(struct prog *p, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(p->obj, name);
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu > 0 ? ncpu : 1], sum = 0;
	uint32_t key = 0;

	assert_non_null(m);
	assert_true(ncpu > 0);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(m), &key, vals), 0);
	for (int i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

#endif
