// SPDX-License-Identifier: Apache-2.0
/*
 * gadget/trace_dns/program.bpf.c: the in-kernel DNS decoder, run on crafted
 * packets with BPF_PROG_TEST_RUN.  The event layout is read from the
 * object's BTF (the struct that GADGET_TRACER names), never redeclared
 * here, and the DNS messages are encoded by the helpers below, which share
 * nothing with the BPF code.  Needs root and `make` (the BPF object).
 *
 * BPF_PROG_TEST_RUN hands a socket filter the packet after its Ethernet
 * header (eth_type_trans() pulls it), so the program takes its path for
 * devices without a link-layer header; skb->cb[0] comes from ctx_in.
 */
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
	size_t n; /* events of the last run */
	uint8_t ev[MAX_EVENTS][EV_MAX];
	size_t ev_len[MAX_EVENTS];
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct prog *p = ctx;

	if (p->n < MAX_EVENTS && len <= EV_MAX) {
		memcpy(p->ev[p->n], data, len);
		p->ev_len[p->n] = len;
	}
	p->n++;
	return 0;
}

/* The tracer's map and struct names, from its gadget_tracer_ variable. */
static void tracer_names(const struct btf *btf, char *map, char *type,
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
static long var_offset(const struct btf *btf, const char *sec, const char *var)
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

/* Load the object with ports (n of them, NULL: the defaults) and
 * unanswered_timeout (0: the default). */
static struct prog *prog_load_with(const uint16_t *ports, size_t n,
				   uint32_t timeout)
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
	if (ports || timeout) {
		struct bpf_map *ro =
			bpf_object__find_map_by_name(p->obj, ".rodata");
		long off = var_offset(p->btf, ".rodata", "ports");
		long t_off =
			var_offset(p->btf, ".rodata", "unanswered_timeout");
		const void *init;
		uint8_t *copy;
		size_t size;

		assert_non_null(ro);
		assert_true(off >= 0 && t_off >= 0);
		init = bpf_map__initial_value(ro, &size);
		copy = malloc(size);
		memcpy(copy, init, size);
		if (ports) {
			memset(copy + off, 0, 16 * sizeof(*ports));
			memcpy(copy + off, ports, n * sizeof(*ports));
		}
		if (timeout)
			memcpy(copy + t_off, &timeout, sizeof(timeout));
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

static struct prog *prog_load(const uint16_t *ports, size_t n)
{
	return prog_load_with(ports, n, 0);
}

static void prog_free(struct prog *p)
{
	if (!p)
		return;
	ring_buffer__free(p->rb);
	bpf_object__close(p->obj);
	free(p);
}

/* Run the filter on one frame; returns how many events it sent. */
static size_t run(struct prog *p, const void *frame, size_t len)
{
	struct __sk_buff ctx = { .cb = { NETNS_ID } };
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
	/* the event, then room for the packet (its bytes: data_len) */
	for (size_t i = 0; i < p->n && i < MAX_EVENTS; i++)
		assert_true(p->ev_len[i] > p->ev_size);
	return p->n;
}

/*
 * A field of the event by path: "id", "src.port", "addresses[3].version".
 * Offsets and sizes come from BTF.
 */
static const void *field(struct prog *p, size_t i, const char *path,
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
		const struct btf_type *t;
		const struct btf_member *m;
		bool found = false;

		if (br)
			*br = '\0';
		t = btf__type_by_id(btf, btf__resolve_type(btf, type));
		if (!btf_is_composite(t))
			fail_msg("%s: %s is not in a struct", path, tok);
		m = btf_members(t);
		for (__u16 k = 0; k < btf_vlen(t); k++, m++) {
			if (strcmp(btf__name_by_offset(btf, m->name_off), tok))
				continue;
			off += btf_member_bit_offset(t, k) / 8;
			type = m->type;
			found = true;
			break;
		}
		if (!found)
			fail_msg("the event has no field %s", path);
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

/* An integer (or bool or enum) field of event i. */
static uint64_t ev_u(struct prog *p, size_t i, const char *path)
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
static const char *ev_str(struct prog *p, size_t i, const char *path)
{
	size_t size;
	const char *s = field(p, i, path, &size);

	assert_true(memchr(s, '\0', size) != NULL);
	return s;
}

static const char *ev_name(struct prog *p, size_t i)
{
	return ev_str(p, i, "name");
}

/* Address j of event i in text form ("" when its version is 0). */
static const char *ev_addr(struct prog *p, size_t i, int j, char *buf, size_t n)
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

static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->len + n <= sizeof(m->b));
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void put8(struct msg *m, uint8_t v)
{
	put(m, &v, 1);
}

static void put16(struct msg *m, uint16_t v)
{
	v = htons(v);
	put(m, &v, 2);
}

static void put32(struct msg *m, uint32_t v)
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

static void header(struct msg *m, uint16_t id, uint16_t flags, uint16_t qd,
		   uint16_t an)
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
static uint16_t name(struct msg *m, const char *dotted)
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

static void label(struct msg *m, const void *p, uint8_t n)
{
	put8(m, n);
	put(m, p, n);
}

static void pointer(struct msg *m, uint16_t off)
{
	put16(m, 0xC000 | off);
}

static void question_tail(struct msg *m, uint16_t type, uint16_t class)
{
	put16(m, type);
	put16(m, class);
}

/* A record's fields after its owner name. */
static void rr_ttl(struct msg *m, uint16_t type, uint16_t class, uint32_t ttl,
		   const void *rdata, uint16_t len)
{
	put16(m, type);
	put16(m, class);
	put32(m, ttl);
	put16(m, len);
	put(m, rdata, len);
}

static void rr(struct msg *m, uint16_t type, uint16_t class, const void *rdata,
	       uint16_t len)
{
	rr_ttl(m, type, class, 300, rdata, len);
}

static void rr_a(struct msg *m, uint16_t owner, const char *ip)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, ip, a), 1);
	pointer(m, owner);
	rr(m, 1, 1, a, 4);
}

static void rr_aaaa(struct msg *m, uint16_t owner, const char *ip)
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

static void eth(struct frame *f, uint16_t type)
{
	static const uint8_t macs[12] = { 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1 };

	memcpy(f->b, macs, 12); /* to 00:00:..: PACKET_HOST on lo */
	f->b[12] = type >> 8;
	f->b[13] = type & 0xFF;
	f->len = 14;
}

static void fput(struct frame *f, const void *p, size_t n)
{
	assert_true(f->len + n <= sizeof(f->b));
	if (n)
		memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void fput16(struct frame *f, uint16_t v)
{
	v = htons(v);
	fput(f, &v, 2);
}

static void l4(struct frame *f, uint8_t proto, uint16_t sport, uint16_t dport,
	       const struct msg *m)
{
	fput16(f, sport);
	fput16(f, dport);
	if (proto == IPPROTO_UDP) {
		fput16(f, 8 + m->len);
		fput16(f, 0);
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

static size_t l4_len(uint8_t proto, const struct msg *m)
{
	if (proto == IPPROTO_UDP)
		return 8 + m->len;
	return 20 + (m ? 2 + m->len : 0);
}

static void ipv4(struct frame *f, uint8_t proto, const char *src,
		 const char *dst, uint16_t frag, uint16_t sport, uint16_t dport,
		 const struct msg *m)
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

static void udp4(struct frame *f, uint16_t sport, uint16_t dport,
		 const struct msg *m)
{
	ipv4(f, IPPROTO_UDP, "10.1.2.3", "10.9.8.7", 0, sport, dport, m);
}

/* IPv6 with ext (extension headers, their next-header bytes filled in
 * by the caller), first naming the first header after the fixed one. */
static void ipv6(struct frame *f, uint8_t first, const uint8_t *ext,
		 size_t ext_len, uint8_t proto, uint16_t sport, uint16_t dport,
		 const struct msg *m)
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

static int setup(void **state)
{
	/* queries left unanswered here are not reported while tests run */
	*state = prog_load_with(NULL, 0, 3600);
	return 0;
}

static int teardown(void **state)
{
	prog_free(*state);
	return 0;
}

/* A query for name, type A, class IN. */
static void query(struct msg *m, uint16_t id, const char *qname)
{
	header(m, id, F_RD, 1, 0);
	name(m, qname);
	question_tail(m, 1, 1);
}

static void query__ipv4_udp__header_question_and_endpoints(void **state)
{
	struct prog *p = *state;
	struct msg m;
	struct frame f;
	size_t size;
	const uint8_t *a;

	query(&m, 0xBEEF, "www.example.com");
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(ev_u(p, 0, "id"), 0xBEEF);
	assert_int_equal(ev_u(p, 0, "qr_raw"), 0);
	assert_int_equal(ev_u(p, 0, "opcode_raw"), 0);
	assert_int_equal(ev_u(p, 0, "rcode_raw"), 0);
	assert_int_equal(ev_u(p, 0, "rd"), 1);
	assert_int_equal(ev_u(p, 0, "aa"), 0);
	assert_int_equal(ev_u(p, 0, "tc"), 0);
	assert_int_equal(ev_u(p, 0, "ra"), 0);
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 1);
	assert_int_equal(ev_u(p, 0, "qclass"), 1);
	assert_int_equal(ev_u(p, 0, "num_answers"), 0);
	assert_string_equal(ev_name(p, 0), "www.example.com.");
	/* the packet from its IP header follows the event */
	assert_int_equal(ev_u(p, 0, "data_len"), f.len - 14);
	assert_true(p->ev_len[0] >= p->ev_size + f.len - 14);
	assert_memory_equal(p->ev[0] + p->ev_size, f.b + 14, f.len - 14);
	assert_int_equal(ev_u(p, 0, "netns_id"), NETNS_ID);
	assert_int_equal(ev_u(p, 0, "pkt_type_raw"), 0); /* HOST */
	assert_int_equal(ev_u(p, 0, "src.port"), 40000);
	assert_int_equal(ev_u(p, 0, "dst.port"), 53);
	assert_int_equal(ev_u(p, 0, "src.proto_raw"), IPPROTO_UDP);
	assert_int_equal(ev_u(p, 0, "src.version"), 4);
	a = field(p, 0, "src.addr_raw", &size);
	assert_memory_equal(a, "\x0a\x01\x02\x03", 4);
	/* a query goes to its nameserver */
	a = field(p, 0, "nameserver.addr_raw", &size);
	assert_memory_equal(a, "\x0a\x09\x08\x07", 4);
	assert_int_equal(ev_u(p, 0, "nameserver.version"), 4);
	assert_int_equal(ev_u(p, 0, "addresses[0].version"), 0);
}

static void response__flags__opcode_rcode_and_bits(void **state)
{
	struct prog *p = *state;
	struct msg m;
	struct frame f;
	size_t size;

	header(&m, 7, F_QR | OPCODE(5) | F_AA | F_TC | F_RA | 3, 1, 0);
	name(&m, "example.org");
	question_tail(&m, 28, 1);
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(ev_u(p, 0, "qr_raw"), 1);
	assert_int_equal(ev_u(p, 0, "opcode_raw"), 5);
	assert_int_equal(ev_u(p, 0, "aa"), 1);
	assert_int_equal(ev_u(p, 0, "tc"), 1);
	assert_int_equal(ev_u(p, 0, "rd"), 0);
	assert_int_equal(ev_u(p, 0, "ra"), 1);
	assert_int_equal(ev_u(p, 0, "rcode_raw"), 3);
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 28);
	assert_string_equal(ev_name(p, 0), "example.org.");
	/* a response comes from its nameserver */
	assert_memory_equal(field(p, 0, "nameserver.addr_raw", &size),
			    "\x0a\x01\x02\x03", 4);

	header(&m, 8, F_QR | OPCODE(4) | 2, 1, 0);
	name(&m, "a");
	question_tail(&m, 6, 3);
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(ev_u(p, 0, "opcode_raw"), 4);
	assert_int_equal(ev_u(p, 0, "rcode_raw"), 2);
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 6);
	assert_int_equal(ev_u(p, 0, "qclass"), 3);
	assert_int_equal(ev_u(p, 0, "aa") + ev_u(p, 0, "tc") +
				 ev_u(p, 0, "rd") + ev_u(p, 0, "ra"),
			 0);
}

static void name__root__single_dot(void **state)
{
	struct prog *p = *state;
	struct msg m;
	struct frame f;

	header(&m, 1, 0, 1, 0);
	name(&m, "");
	question_tail(&m, 2, 1); /* ". NS" */
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_string_equal(ev_name(p, 0), ".");
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 2);
}

static void name__special_bytes__escaped_like_dig(void **state)
{
	struct prog *p = *state;
	struct msg m;
	struct frame f;

	header(&m, 1, 0, 1, 0);
	label(&m, "a.b", 3);
	label(&m, "back\\slash", 10);
	label(&m, "\x01 \x7f\xff", 4);
	label(&m, "\"$();@", 6);
	label(&m, "Mixed-Case_09", 13);
	put8(&m, 0);
	question_tail(&m, 16, 1);
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_string_equal(ev_name(p, 0), "a\\.b.back\\\\slash."
					   "\\001\\032\\127\\255."
					   "\\\"\\$\\(\\)\\;\\@."
					   "Mixed-Case_09.");
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 16);
}

/* "\001" n times, then "." : a label of n bytes 1 as shown. */
static const char *ones_label(char *buf, int n)
{
	int i;

	for (i = 0; i < n; i++)
		memcpy(buf + 4 * i, "\\001", 4);
	strcpy(buf + 4 * n, ".");
	return buf;
}

static void name__too_long__cut_and_terminated(void **state)
{
	struct prog *p = *state;
	uint8_t bin[63];
	char want[4 * 63 + 2];
	struct msg m;
	struct frame f;
	size_t size;
	const char *s;

	memset(bin, 1, sizeof(bin)); /* 4 characters each: \001 */
	header(&m, 1, 0, 1, 0);
	for (int i = 0; i < 4; i++)
		label(&m, bin, sizeof(bin));
	put8(&m, 0);
	question_tail(&m, 1, 1);
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	s = field(p, 0, "name", &size);
	assert_int_equal(size, 256);
	assert_non_null(memchr(s, '\0', size));
	/* 253 characters fit: the first label, whole; the second would not */
	assert_string_equal(s, ones_label(want, 63));
	/* the question is still decoded past the long name */
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 1);

	/* a legal name (73 bytes on the wire) whose presentation form does
	 * not fit: "\001" x 62, then "abcdefgh" */
	header(&m, 1, 0, 1, 0);
	label(&m, bin, 62);
	label(&m, "abcdefgh", 8);
	put8(&m, 0);
	question_tail(&m, 1, 1);
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	/* it ends at its last whole label: no half label, not empty */
	assert_string_equal(ev_name(p, 0), ones_label(want, 62));
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 1);
}

/* A response for example.com with answers whose owners are pointers. */
static void answers__a_aaaa_owner_pointers__addresses(void **state)
{
	struct prog *p = *state;
	struct msg m;
	struct frame f;
	uint16_t q;
	char buf[64];

	header(&m, 2, F_QR | F_RD | F_RA, 1, 3);
	q = name(&m, "example.com");
	question_tail(&m, 255, 1);
	rr_a(&m, q, "93.184.216.34");
	rr_aaaa(&m, q, "2606:2800:220:1:248:1893:25c8:1946");
	pointer(&m, q);
	rr(&m, 16, 1, "\x05hello", 6); /* TXT: no address */
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(ev_u(p, 0, "num_answers"), 3);
	assert_string_equal(ev_name(p, 0), "example.com.");
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 255);
	assert_string_equal(ev_addr(p, 0, 0, buf, sizeof(buf)),
			    "93.184.216.34");
	assert_int_equal(ev_u(p, 0, "addresses[0].version"), 4);
	assert_string_equal(ev_addr(p, 0, 1, buf, sizeof(buf)),
			    "2606:2800:220:1:248:1893:25c8:1946");
	assert_int_equal(ev_u(p, 0, "addresses[1].version"), 6);
	assert_string_equal(ev_addr(p, 0, 2, buf, sizeof(buf)), "");
}

static void answers__cname_chain__skipped_to_the_address(void **state)
{
	struct prog *p = *state;
	struct msg m, rd;
	struct frame f;
	uint16_t q, target;
	char buf[64];

	header(&m, 3, F_QR | F_RD | F_RA, 1, 3);
	q = name(&m, "www.example.com");
	question_tail(&m, 1, 1);
	/* www.example.com CNAME edge.example.net (uncompressed rdata) */
	rd.len = 0;
	name(&rd, "edge.example.net");
	pointer(&m, q);
	rr(&m, 5, 1, rd.b, rd.len);
	/* edge.example.net CNAME a.cdn.test (owner written out in full) */
	name(&m, "edge.example.net");
	rd.len = 0;
	name(&rd, "a.cdn.test");
	target = m.len + 10; /* where the rdata goes */
	rr(&m, 5, 1, rd.b, rd.len);
	/* a.cdn.test A 192.0.2.7, its owner a pointer to that rdata */
	rr_a(&m, target, "192.0.2.7");
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(ev_u(p, 0, "num_answers"), 3);
	assert_string_equal(ev_addr(p, 0, 0, buf, sizeof(buf)), "192.0.2.7");
	assert_string_equal(ev_addr(p, 0, 1, buf, sizeof(buf)), "");
}

/* CNAME targets in answer order, compressed or not; the smallest TTL. */
static void answers__cname_chain__targets_and_smallest_ttl(void **state)
{
	struct prog *p = *state;
	struct msg m, rd;
	struct frame f;
	uint16_t q, target;
	uint8_t a[4] = { 192, 0, 2, 7 };

	header(&m, 3, F_QR | F_RD | F_RA, 1, 3);
	q = name(&m, "www.example.com");
	question_tail(&m, 1, 1);
	rd.len = 0;
	label(&rd, "edge", 4);
	name(&rd, "example.net");
	pointer(&m, q);
	rr_ttl(&m, 5, 1, 3600, rd.b, rd.len);
	/* a.cdn.test, "test" itself a pointer back into the first target */
	target = m.len;
	name(&m, "edge.example.net");
	rd.len = 0;
	label(&rd, "a", 1);
	label(&rd, "cdn", 3);
	pointer(&rd, target + 5 + 8); /* the "net" label */
	rr_ttl(&m, 5, 1, 60, rd.b, rd.len);
	pointer(&m, q);
	rr_ttl(&m, 1, 1, 900, a, 4);
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_string_equal(ev_str(p, 0, "cnames"),
			    "edge.example.net.,a.cdn.net.");
	assert_int_equal(ev_u(p, 0, "ttl"), 60);
	assert_int_equal(ev_u(p, 0, "unanswered"), 0);

	query(&m, 4, "www.example.com");
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_string_equal(ev_str(p, 0, "cnames"), "");
	assert_int_equal(ev_u(p, 0, "ttl"), 0);
}

/* A target that cannot be read ends the list at the last whole one; only
 * class IN CNAMEs count, the first four of them; TTL 0 is the smallest. */
static void answers__cnames__bad_target_chaos_and_limit(void **state)
{
	struct prog *p = *state;
	struct msg m, rd;
	struct frame f;
	uint16_t q, fwd;
	char want[256] = "";

	header(&m, 5, F_QR, 1, 3);
	q = name(&m, "x.test");
	question_tail(&m, 5, 1);
	rd.len = 0;
	name(&rd, "one.test");
	pointer(&m, q);
	rr_ttl(&m, 5, 3, 10, rd.b, rd.len); /* CHAOS: skipped */
	pointer(&m, q);
	rr_ttl(&m, 5, 1, 20, rd.b, rd.len);
	fwd = m.len + 2 + 10;
	rd.len = 0;
	pointer(&rd, fwd + 8); /* forward: not a name */
	pointer(&m, q);
	rr_ttl(&m, 5, 1, 0, rd.b, rd.len);
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_string_equal(ev_str(p, 0, "cnames"), "one.test.");
	assert_int_equal(ev_u(p, 0, "ttl"), 0);

	header(&m, 6, F_QR, 1, 6);
	q = name(&m, "x.test");
	question_tail(&m, 5, 1);
	for (int i = 0; i < 6; i++) {
		char t[16];

		snprintf(t, sizeof(t), "t%d.test", i);
		rd.len = 0;
		name(&rd, t);
		pointer(&m, q);
		rr_ttl(&m, 5, 1, 100 + i, rd.b, rd.len);
		if (i < 4)
			snprintf(want + strlen(want),
				 sizeof(want) - strlen(want), "%s%s.",
				 i ? "," : "", t);
	}
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_string_equal(ev_str(p, 0, "cnames"), want);
	assert_int_equal(ev_u(p, 0, "ttl"), 100);
}

/* Targets that do not fit in the field together: the whole ones kept. */
static void answers__cnames__too_long__whole_targets_kept(void **state)
{
	struct prog *p = *state;
	struct msg m, rd;
	struct frame f;
	uint16_t q;
	char lab[64], want[256] = "";

	memset(lab, 'a', sizeof(lab));
	header(&m, 7, F_QR, 1, 3);
	q = name(&m, "x.test");
	question_tail(&m, 5, 1);
	for (int i = 0; i < 3; i++) {
		rd.len = 0;
		lab[0] = '0' + i;
		label(&rd, lab, 63); /* 63 + "." = 64 per label */
		label(&rd, lab, 63);
		name(&rd, "");
		pointer(&m, q);
		rr(&m, 5, 1, rd.b, rd.len);
		if (i < 1)
			snprintf(want, sizeof(want), "%.63s.%.63s.", lab, lab);
	}
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	/* two of 128 characters and a comma do not fit in 255 */
	assert_string_equal(ev_str(p, 0, "cnames"), want);
}

static void answers__more_than_eight__first_eight_kept(void **state)
{
	struct prog *p = *state;
	struct msg m;
	struct frame f;
	uint16_t q;
	char ip[32], buf[64];

	header(&m, 4, F_QR, 1, 12);
	q = name(&m, "many.test");
	question_tail(&m, 1, 1);
	for (int i = 1; i <= 12; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		rr_a(&m, q, ip);
	}
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(ev_u(p, 0, "num_answers"), 12);
	for (int i = 0; i < 8; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i + 1);
		assert_string_equal(ev_addr(p, 0, i, buf, sizeof(buf)), ip);
	}
}

static void answers__class__in_and_cache_flush_kept_chaos_not(void **state)
{
	struct prog *p = *state;
	struct msg m;
	struct frame f;
	uint16_t q;
	char buf[64];

	header(&m, 5, F_QR | F_AA, 0, 2); /* an mDNS announcement */
	q = name(&m, "printer.local");
	put16(&m, 1);
	put16(&m, 3); /* CH */
	put32(&m, 120);
	put16(&m, 4);
	put(&m, "\x01\x02\x03\x04", 4);
	pointer(&m, q);
	rr(&m, 1, 0x8001, "\xc0\xa8\x01\x05", 4);
	udp4(&f, 5353, 5353, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(ev_u(p, 0, "num_answers"), 2);
	assert_string_equal(ev_name(p, 0), "");
	assert_string_equal(ev_addr(p, 0, 0, buf, sizeof(buf)), "192.168.1.5");
	assert_string_equal(ev_addr(p, 0, 1, buf, sizeof(buf)), "");
}

static void name__compression_loop__terminates_with_empty_name(void **state)
{
	struct prog *p = *state;
	struct msg m;
	struct frame f;

	/* a pointer to itself */
	header(&m, 6, 0, 1, 0);
	pointer(&m, 12);
	question_tail(&m, 1, 1);
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_string_equal(ev_name(p, 0), "");
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 0);

	/* a label, then a pointer back to it: a.a.a... forever */
	header(&m, 6, 0, 1, 0);
	label(&m, "a", 1);
	pointer(&m, 12);
	question_tail(&m, 1, 1);
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(ev_u(p, 0, "id"), 6);
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 0);
	assert_string_equal(ev_name(p, 0), "");
}

static void truncated__messages__header_kept_rest_dropped(void **state)
{
	struct prog *p = *state;
	struct msg m;
	struct frame f;
	uint16_t q;
	char buf[64];

	/* shorter than a header: nothing */
	query(&m, 9, "x.test");
	m.len = 11;
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 0);

	/* cut inside the type and class */
	query(&m, 9, "x.test");
	m.len -= 2;
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 0);

	/* two answers announced, the second cut: the first is kept */
	header(&m, 10, F_QR, 1, 2);
	q = name(&m, "x.test");
	question_tail(&m, 1, 1);
	rr_a(&m, q, "198.51.100.1");
	rr_a(&m, q, "198.51.100.2");
	m.len -= 2;
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(ev_u(p, 0, "num_answers"), 2);
	assert_string_equal(ev_name(p, 0), "x.test.");
	assert_string_equal(ev_addr(p, 0, 0, buf, sizeof(buf)), "198.51.100.1");
	assert_string_equal(ev_addr(p, 0, 1, buf, sizeof(buf)), "");

	/* cut inside the name: the header only */
	query(&m, 9, "www.example.com");
	m.len = 12 + 6;
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(ev_u(p, 0, "id"), 9);
	assert_int_equal(ev_u(p, 0, "rd"), 1);
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 0);
	assert_string_equal(ev_name(p, 0), ""); /* no half names */
}

static void tcp__length_prefix__message_decoded(void **state)
{
	struct prog *p = *state;
	struct msg m;
	struct frame f;
	uint16_t q;
	char buf[64];

	header(&m, 11, F_QR | F_RD | F_RA, 1, 1);
	q = name(&m, "tcp.example");
	question_tail(&m, 1, 1);
	rr_a(&m, q, "203.0.113.9");
	ipv4(&f, IPPROTO_TCP, "10.9.8.7", "10.1.2.3", 0, 53, 40001, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(ev_u(p, 0, "src.proto_raw"), IPPROTO_TCP);
	assert_int_equal(ev_u(p, 0, "id"), 11);
	assert_string_equal(ev_name(p, 0), "tcp.example.");
	assert_string_equal(ev_addr(p, 0, 0, buf, sizeof(buf)), "203.0.113.9");

	/* a segment without payload (handshake, ACK): nothing */
	ipv4(&f, IPPROTO_TCP, "10.9.8.7", "10.1.2.3", 0, 53, 40001, NULL);
	assert_int_equal(run(p, f.b, f.len), 0);
}

static void ipv6__extension_headers__skipped(void **state)
{
	struct prog *p = *state;
	/* hop-by-hop (8 bytes, PadN), destination options (16 bytes),
	 * fragment (offset 0, more fragments), then UDP */
	static const uint8_t ext[] = {
		60, 0, 1, 4,  0, 0, 0, 0, /* hop-by-hop -> dest opts */
		44, 1, 1, 12, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0, /* -> frag */
		17, 0, 0, 1,  0, 0, 0, 42, /* fragment -> UDP, offset 0, M */
	};
	static const uint8_t ah[] = {
		51, 0, 0, 0, 0, 0, 0, 0, /* routing, type 0, 0 left -> AH */
		17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 7, /* AH (12 bytes) -> UDP */
	};
	uint8_t later[sizeof(ext)];
	struct msg m;
	struct frame f;
	size_t size;

	query(&m, 12, "v6.example");
	ipv6(&f, 0, ext, sizeof(ext), IPPROTO_UDP, 40002, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(ev_u(p, 0, "src.version"), 6);
	assert_int_equal(ev_u(p, 0, "dst.port"), 53);
	assert_string_equal(ev_name(p, 0), "v6.example.");
	assert_memory_equal(field(p, 0, "dst.addr_raw", &size),
			    "\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x53", 16);

	/* a later fragment carries no UDP header: nothing */
	memcpy(later, ext, sizeof(ext));
	later[24 + 2] = 0x05; /* fragment offset 0x5 << 3 */
	later[24 + 3] = 0x01;
	ipv6(&f, 0, later, sizeof(later), IPPROTO_UDP, 40002, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 0);

	/* routing header, then an authentication header (its length
	 * counts 4-byte words, minus 2) */
	ipv6(&f, 43, ah, sizeof(ah), IPPROTO_UDP, 40002, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_string_equal(ev_name(p, 0), "v6.example.");

	/* no extension headers at all */
	ipv6(&f, 0, NULL, 0, IPPROTO_UDP, 40002, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_string_equal(ev_name(p, 0), "v6.example.");
}

static void ports__not_dns__ignored(void **state)
{
	struct prog *p = *state;
	struct msg m;
	struct frame f;

	query(&m, 13, "example.com");
	udp4(&f, 40000, 80, &m);
	assert_int_equal(run(p, f.b, f.len), 0);
	udp4(&f, 0, 0, &m);
	assert_int_equal(run(p, f.b, f.len), 0);
	udp4(&f, 40000, 5353, &m); /* the second default port */
	assert_int_equal(run(p, f.b, f.len), 1);
	/* a later IPv4 fragment */
	ipv4(&f, IPPROTO_UDP, "10.1.2.3", "10.9.8.7", 0x2001, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 0);
}

static void ports__param__replaces_the_defaults(void **state)
{
	static const uint16_t ports[] = { 5300, 8053 };
	struct prog *p = prog_load(ports, 2);
	struct msg m;
	struct frame f;

	(void)state;
	query(&m, 14, "example.com");
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 0);
	udp4(&f, 40000, 5300, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	udp4(&f, 8053, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_string_equal(ev_name(p, 0), "example.com.");
	prog_free(p);
}

/*
 * Events the sweep sends (after the runs' own were consumed): p->n once
 * it reaches want, or after tenths of seconds.
 */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t wait_events(struct prog *p, size_t want, int tenths)
{
	double end = now_s() + tenths / 10.0;

	while (p->n < want && now_s() < end)
		ring_buffer__poll(p->rb, 100);
	return p->n;
}

static uint64_t counter(struct prog *p, const char *name)
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

/*
 * A query without response (sent three times: retransmissions) becomes
 * one event after the timeout, with the query's fields.  The sweep runs
 * once a second: waiting for a second event for 3 s more shows there is
 * none.  (Responses that take their query's slot are covered end to end:
 * BPF_PROG_TEST_RUN makes every packet incoming.)
 */
static void unanswered__after_timeout__one_event_per_query(void **state)
{
	struct prog *p = prog_load_with(NULL, 0, 1);
	struct msg m;
	struct frame f;
	char buf[64];

	(void)state;
	header(&m, 0x5151, F_RD, 1, 0);
	name(&m, "nobody.test");
	question_tail(&m, 28, 1);
	udp4(&f, 40000, 53, &m);
	for (int i = 0; i < 3; i++)
		assert_int_equal(run(p, f.b, f.len), 1);

	p->n = 0;
	assert_int_equal(wait_events(p, 1, 150), 1);
	assert_int_equal(ev_u(p, 0, "unanswered"), 1);
	assert_int_equal(ev_u(p, 0, "id"), 0x5151);
	assert_string_equal(ev_name(p, 0), "nobody.test.");
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 28);
	assert_int_equal(ev_u(p, 0, "qclass"), 1);
	assert_int_equal(ev_u(p, 0, "qr_raw"), 0);
	assert_int_equal(ev_u(p, 0, "rd"), 1);
	assert_int_equal(ev_u(p, 0, "netns_id"), NETNS_ID);
	assert_int_equal(ev_u(p, 0, "pkt_type_raw"), 0); /* HOST */
	assert_int_equal(ev_u(p, 0, "src.port"), 40000);
	assert_int_equal(ev_u(p, 0, "dst.port"), 53);
	assert_int_equal(ev_u(p, 0, "src.proto_raw"), IPPROTO_UDP);
	assert_string_equal(ev_addr(p, 0, 0, buf, sizeof(buf)), "");
	assert_int_equal(ev_u(p, 0, "nameserver.version"), 4);
	/* waited at least the timeout, from the first transmission */
	assert_true(ev_u(p, 0, "latency_ns_raw") >= 1000000000ull);
	assert_true(ev_u(p, 0, "timestamp_raw") > 0);

	assert_int_equal(wait_events(p, 2, 30), 1);
	assert_int_equal(counter(p, "gadget_counter_untracked"), 0);
	prog_free(p);
}

/*
 * Bounded: 3000 queries in flight at once in the direct-mapped slots
 * (65536) collide; each one is either reported unanswered or counted as
 * untracked, never both, never neither.
 */
static void unanswered__slots_taken__reported_or_counted(void **state)
{
	struct prog *p = prog_load_with(NULL, 0, 1);
	const size_t total = 3000;
	struct msg m;
	struct frame f;
	uint64_t untracked;
	size_t got;

	(void)state;
	for (size_t i = 0; i < total; i++) {
		query(&m, i, "many.test");
		udp4(&f, 1024 + i, 53, &m);
		assert_int_equal(run(p, f.b, f.len), 1);
	}
	p->n = 0;
	for (double end = now_s() + 15; now_s() < end;) {
		ring_buffer__poll(p->rb, 100);
		untracked = counter(p, "gadget_counter_untracked");
		if (p->n + untracked >= total)
			break;
	}
	got = p->n;
	untracked = counter(p, "gadget_counter_untracked");
	assert_true(untracked > 0);
	assert_int_equal(got + untracked, total);
	for (size_t i = 0; i < got && i < MAX_EVENTS; i++)
		assert_int_equal(ev_u(p, i, "unanswered"), 1);
	prog_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			query__ipv4_udp__header_question_and_endpoints),
		cmocka_unit_test(response__flags__opcode_rcode_and_bits),
		cmocka_unit_test(name__root__single_dot),
		cmocka_unit_test(name__special_bytes__escaped_like_dig),
		cmocka_unit_test(name__too_long__cut_and_terminated),
		cmocka_unit_test(answers__a_aaaa_owner_pointers__addresses),
		cmocka_unit_test(answers__cname_chain__skipped_to_the_address),
		cmocka_unit_test(answers__more_than_eight__first_eight_kept),
		cmocka_unit_test(
			answers__cname_chain__targets_and_smallest_ttl),
		cmocka_unit_test(answers__cnames__bad_target_chaos_and_limit),
		cmocka_unit_test(answers__cnames__too_long__whole_targets_kept),
		cmocka_unit_test(
			answers__class__in_and_cache_flush_kept_chaos_not),
		cmocka_unit_test(
			name__compression_loop__terminates_with_empty_name),
		cmocka_unit_test(truncated__messages__header_kept_rest_dropped),
		cmocka_unit_test(tcp__length_prefix__message_decoded),
		cmocka_unit_test(ipv6__extension_headers__skipped),
		cmocka_unit_test(ports__not_dns__ignored),
		cmocka_unit_test(ports__param__replaces_the_defaults),
		cmocka_unit_test(
			unanswered__after_timeout__one_event_per_query),
		cmocka_unit_test(unanswered__slots_taken__reported_or_counted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
