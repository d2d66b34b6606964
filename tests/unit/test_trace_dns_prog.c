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
#include "tests/unit/trace_dns_prog.h"

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

/* The longest legal name (255 bytes on the wire), shown whole. */
static void name__longest_legal__whole(void **state)
{
	struct prog *p = *state;
	char lab[63], want[256];
	struct msg m;
	struct frame f;

	memset(lab, 'x', sizeof(lab));
	header(&m, 1, 0, 1, 0);
	for (int i = 0; i < 3; i++)
		label(&m, lab, 63);
	label(&m, lab, 61);
	put8(&m, 0);
	assert_int_equal(m.len, 12 + 255);
	question_tail(&m, 1, 1);
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	snprintf(want, sizeof(want), "%.63s.%.63s.%.63s.%.61s.", lab, lab, lab,
		 lab);
	assert_int_equal(strlen(want), 254);
	assert_string_equal(ev_name(p, 0), want);
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 1);
}

static void name__too_long__cut_and_terminated(void **state)
{
	static const struct {
		int ones; /* \001 bytes the first label starts with */
		const char *tail; /* and the rest of it */
		const char *rest[3]; /* the labels after it */
	} cuts[] = {
		{ 62, "", { "abcdefgh" } },
		{ 61, "ab", { "uvwxyz", "z", "test" } },
		{ 61, "ab", { "uvwxyzv", "z", "test" } },
	};
	struct prog *p = *state;
	uint8_t bin[63];
	char want[4 * 63 + 4]; /* and "..." for the last dot */
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
	/* 253 characters fit: the first label, whole; the second would not:
	 * the name ends in "..." after the first */
	ones_label(want, 63);
	strcpy(want + strlen(want) - 1, "...");
	assert_string_equal(s, want);
	/* the question is still decoded past the long name */
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 1);

	/* legal names whose presentation form does not fit: each ends at
	 * its last whole label that leaves room for "...", marked: no half
	 * label.  "\001" x 62, then "abcdefgh" (73 bytes on the wire);
	 * "\001" x 61 + "ab" (246 characters), then a label whose dot is
	 * at 253 or 254 (it showed that label cut by a byte or two, then
	 * "...", as if whole) */
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		memcpy(bin + cuts[i].ones, cuts[i].tail, strlen(cuts[i].tail));
		header(&m, 1, 0, 1, 0);
		label(&m, bin, cuts[i].ones + strlen(cuts[i].tail));
		for (int j = 0; j < 3 && cuts[i].rest[j]; j++)
			label(&m, cuts[i].rest[j], strlen(cuts[i].rest[j]));
		put8(&m, 0);
		question_tail(&m, 1, 1);
		udp4(&f, 40000, 53, &m);
		assert_int_equal(run(p, f.b, f.len), 1);
		ones_label(want, cuts[i].ones);
		sprintf(want + strlen(want) - 1, "%s...", cuts[i].tail);
		assert_string_equal(ev_name(p, 0), want);
		assert_int_equal(ev_u(p, 0, "qtype_raw"), 1);
		memset(bin, 1, sizeof(bin));
	}
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

/* A target that cannot be read ends the list at the last whole one, then
 * ",..."; only
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
	/* the unreadable one is left out, and that is said */
	assert_string_equal(ev_str(p, 0, "cnames"), "one.test.,...");
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

/* Targets that do not fit in the field together: the whole ones kept,
 * then ",...". */
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
			snprintf(want, sizeof(want), "%.63s.%.63s.,...", lab,
				 lab);
	}
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	/* two of 128 characters and a comma do not fit in 255: the first,
	 * and a sign that more are left out */
	assert_string_equal(ev_str(p, 0, "cnames"), want);
}

/*
 * CNAME targets of 128 and 125 characters: with the comma between them
 * 254 characters, a third does not fit, and ",..." does not fit after
 * the second either: the list ends after the first (it showed the
 * second cut by three bytes, then ",...").
 */
static void
answers__cnames__cut_where_the_last_target_leaves_no_room(void **state)
{
	struct prog *p = *state;
	struct msg m, rd;
	struct frame f;
	uint16_t q;
	char a[64], b[64], want[256];
	/* the labels of each target: 63 + 58 + "test" (128 with dots), 63
	 * + 55 + "test" (125), 63 + "test" */
	static const int lens[3][2] = { { 63, 58 }, { 63, 55 }, { 63, 0 } };

	header(&m, 7, F_QR, 1, 3);
	q = name(&m, "x.test");
	question_tail(&m, 5, 1);
	for (int i = 0; i < 3; i++) {
		memset(a, 'a' + 2 * i, sizeof(a));
		memset(b, 'b' + 2 * i, sizeof(b));
		rd.len = 0;
		label(&rd, a, lens[i][0]);
		if (lens[i][1])
			label(&rd, b, lens[i][1]);
		name(&rd, "test");
		pointer(&m, q);
		rr(&m, 5, 1, rd.b, rd.len);
	}
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	snprintf(want, sizeof(want), "%.63s.%.58s.test.,...", a, b);
	assert_string_equal(ev_str(p, 0, "cnames"), want);
}

/*
 * Many small records before an address, a CNAME and the smallest TTL, the
 * message within the 2 KiB decoded: 80 with the root as owner (2 steps of
 * the record walker each) and 30 whose owner is 8 labels (10 steps each):
 * every record is read (the walker stopped after 256 steps, 128 records
 * of a real server's ANY answer, leaving out what followed).
 */
static void answers__many_small_records__all_read(void **state)
{
	struct prog *p = *state;
	struct msg m, rd;
	struct frame f;
	uint16_t q;
	char buf[64];

	header(&m, 9, F_QR, 1, 80 + 30 + 2);
	q = name(&m, "small.test");
	question_tail(&m, 255, 1);
	for (int i = 0; i < 80; i++) {
		put8(&m, 0);
		rr_ttl(&m, 10, 1, 100, "", 0);
	}
	for (int i = 0; i < 30; i++) {
		name(&m, "a.b.c.d.e.f.g.h");
		rr_ttl(&m, 10, 1, 100, "", 0);
	}
	rr_a(&m, q, "10.1.2.3");
	rd.len = 0;
	name(&rd, "target.test");
	pointer(&m, q);
	rr_ttl(&m, 5, 1, 7, rd.b, rd.len);
	assert_true(m.len <= 2048);
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(ev_u(p, 0, "num_answers"), 112);
	assert_string_equal(ev_addr(p, 0, 0, buf, sizeof(buf)), "10.1.2.3");
	assert_string_equal(ev_str(p, 0, "cnames"), "target.test.");
	assert_int_equal(ev_u(p, 0, "ttl"), 7);
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

static void name__compression_loop__terminates_marked(void **state)
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
	assert_string_equal(ev_name(p, 0), "..."); /* no label read */
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
	/* the labels read until the pointers' budget ran out, marked */
	assert_string_equal(ev_name(p, 0),
			    "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a...");
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
	/* no half labels: the whole ones, marked as cut */
	assert_string_equal(ev_name(p, 0), "www...");
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

/* Set a 16-bit field of a frame (network order) at off. */
static void set16(struct frame *f, size_t off, uint16_t v)
{
	f->b[off] = v >> 8;
	f->b[off + 1] = v & 0xFF;
}

/* run() of a frame that must give no event: how much `undecoded` grew. */
static uint64_t dropped(struct prog *p, struct frame *f)
{
	uint64_t before = counter(p, "gadget_counter_undecoded");

	assert_int_equal(run(p, f->b, f->len), 0);
	return counter(p, "gadget_counter_undecoded") - before;
}

static void ipv6__extension_headers__skipped(void **state)
{
	struct prog *p = *state;
	/* hop-by-hop (8 bytes, PadN), destination options (16 bytes),
	 * fragment (offset 0, no more: an atomic fragment), then UDP */
	static const uint8_t ext[] = {
		60, 0, 1, 4,  0, 0, 0, 0, /* hop-by-hop -> dest opts */
		44, 1, 1, 12, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0, /* -> frag */
		17, 0, 0, 0,  0, 0, 0, 42, /* fragment -> UDP, atomic */
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

	/* a first fragment: decoded as far as it goes */
	memcpy(later, ext, sizeof(ext));
	later[24 + 3] = 0x01;
	ipv6(&f, 0, later, sizeof(later), IPPROTO_UDP, 40002, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_string_equal(ev_name(p, 0), "v6.example.");

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

/*
 * What the kernel's IP and UDP/TCP receive paths drop is no query
 * received: not decoded, counted in `undecoded` when on a DNS port.
 * Offsets: IPv4 at 14 (total length 16, fragment 20), UDP at 34 (length
 * 38), TCP data offset 46; IPv6 payload length at 18, UDP at 54 (length
 * 58, checksum 60).
 */
static void kernel_drops__bad_lengths__counted_not_decoded(void **state)
{
	struct prog *p = *state;
	struct msg m;
	struct frame f;

	query(&m, 21, "drop.test");
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_string_equal(ev_name(p, 0), "drop.test.");
	/* a UDP length past the IP payload, or below its header */
	set16(&f, 38, 8 + m.len + 1);
	assert_int_equal(dropped(p, &f), 1);
	set16(&f, 38, 7);
	assert_int_equal(dropped(p, &f), 1);
	/* below the payload: the rest is cut, as udp_rcv() does */
	set16(&f, 38, 8 + m.len - 2);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 0);
	set16(&f, 38, 8 + m.len);
	/* an IP total length past the frame, or below the header */
	set16(&f, 16, 20 + 8 + m.len + 1);
	assert_int_equal(dropped(p, &f), 1);
	set16(&f, 16, 19);
	assert_int_equal(dropped(p, &f), 1);
	set16(&f, 16, 0); /* 0 only on packets that leave (GSO) */
	assert_int_equal(dropped(p, &f), 1);
	/* a first fragment is decoded (below); later ones have no ports */
	ipv4(&f, IPPROTO_UDP, "10.1.2.3", "10.9.8.7", 0x0004, 40000, 53, &m);
	assert_int_equal(dropped(p, &f), 0);
	ipv4(&f, IPPROTO_UDP, "10.1.2.3", "10.9.8.7", 0x4000, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1); /* DF is no fragment */
	/* shorter than a DNS header: delivered, but no DNS */
	m.len = 11;
	udp4(&f, 40000, 53, &m);
	assert_int_equal(dropped(p, &f), 1);
	/* a TCP header below 20 bytes */
	query(&m, 21, "drop.test");
	ipv4(&f, IPPROTO_TCP, "10.1.2.3", "10.9.8.7", 0, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	f.b[46] = 0x40;
	assert_int_equal(dropped(p, &f), 1);
	/* IPv6: a payload length past the frame */
	ipv6(&f, 0, NULL, 0, IPPROTO_UDP, 40002, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	set16(&f, 18, 8 + m.len + 1);
	assert_int_equal(dropped(p, &f), 1);
	set16(&f, 18, 8 + m.len);
	set16(&f, 58, 8 + m.len + 1);
	assert_int_equal(dropped(p, &f), 1);
	set16(&f, 58, 8 + m.len);
	set16(&f, 60, 0); /* no UDP checksum: IPv4 only */
	assert_int_equal(dropped(p, &f), 1);
	/* not on a DNS port: not counted */
	udp4(&f, 40000, 80, &m);
	set16(&f, 38, 7);
	assert_int_equal(dropped(p, &f), 0);
}

/*
 * A UDP message past the path's MTU travels in IP fragments, of which a
 * packet socket sees each, never the datagram: the first one, whose UDP
 * length is the whole datagram's, is decoded as a message cut at its end
 * (header, question, the records it holds whole), at the first fragment
 * of IPv4 as of IPv6 (ipv6__extension_headers__skipped).  TCP in
 * fragments is not followed: counted.  Offsets as in kernel_drops__...
 */
static void fragments__first_one__decoded_as_far_as_it_goes(void **state)
{
	struct prog *p = *state;
	struct msg m;
	struct frame f;
	char buf[64];
	uint64_t undecoded;
	uint16_t q;
	size_t whole;

	header(&m, 0x4444, F_QR | F_RD | F_RA, 1, 3);
	q = name(&m, "frag.example");
	question_tail(&m, 1, 1);
	rr_a(&m, q, "192.0.2.1");
	rr_a(&m, q, "192.0.2.2");
	rr_a(&m, q, "192.0.2.3");
	whole = m.len;
	m.len -= 5; /* the third record ends in the next fragment */
	ipv4(&f, IPPROTO_UDP, "10.9.8.7", "10.1.2.3", 0x2000, 53, 40000, &m);
	set16(&f, 38, 8 + whole);
	undecoded = counter(p, "gadget_counter_undecoded");
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(counter(p, "gadget_counter_undecoded"), undecoded);
	assert_int_equal(ev_u(p, 0, "id"), 0x4444);
	assert_int_equal(ev_u(p, 0, "qr_raw"), 1);
	assert_string_equal(ev_name(p, 0), "frag.example.");
	assert_int_equal(ev_u(p, 0, "qtype_raw"), 1);
	assert_int_equal(ev_u(p, 0, "num_answers"), 3);
	assert_string_equal(ev_addr(p, 0, 0, buf, sizeof(buf)), "192.0.2.1");
	assert_string_equal(ev_addr(p, 0, 1, buf, sizeof(buf)), "192.0.2.2");
	assert_string_equal(ev_addr(p, 0, 2, buf, sizeof(buf)), "");

	/* a UDP length below the header is no datagram, fragment or not */
	set16(&f, 38, 7);
	assert_int_equal(dropped(p, &f), 1);
	/* TCP in fragments */
	ipv4(&f, IPPROTO_TCP, "10.9.8.7", "10.1.2.3", 0x2000, 53, 40000, &m);
	assert_int_equal(dropped(p, &f), 1);
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

/* gadget/rest.h: no output wants the packet, so no record carries it */
static void rest__unwanted__records_are_the_event_alone(void **state)
{
	struct prog *p = prog_load_opts(NULL, 0, 0, true);
	struct msg m;
	struct frame f;

	(void)state;
	query(&m, 15, "example.com");
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1); /* asserts the length */
	assert_int_equal(ev_u(p, 0, "data_len"), 0);
	assert_string_equal(ev_name(p, 0), "example.com.");
	/* cut after its name: its NUL is the first byte left out */
	assert_int_equal(p->ev_len[0], ev_off(p, "name") + 12);
	prog_free(p);
}

/* Bytes [from, to) of event i's record are zeros. */
static void assert_zeros(struct prog *p, size_t i, size_t from, size_t to)
{
	for (size_t k = from; k < to; k++)
		if (p->ev[i][k])
			fail_msg("byte %zu of the record is 0x%02x", k,
				 p->ev[i][k]);
}

/*
 * Records end after the last byte they use (the runner reads the rest as
 * zeros), and what they carry holds nothing of an older event: the event
 * is built in per-CPU lines reused for every packet.
 */
static void records__cut_after_last_use__no_older_bytes(void **state)
{
	struct prog *p = prog_load_opts(NULL, 0, 0, true);
	struct msg m, rd;
	struct frame f;
	size_t nm, addrs, a1, cnames;
	uint16_t q;

	(void)state;
	/* a long name, two addresses, a CNAME target */
	header(&m, 7, F_QR | F_RD | F_RA, 1, 3);
	q = name(&m, "a-rather-long-first-label.second-label.example.com");
	question_tail(&m, 1, 1);
	rd.len = 0;
	name(&rd, "target.example.net");
	pointer(&m, q);
	rr(&m, 5, 1, rd.b, rd.len);
	rr_aaaa(&m, q, "2001:db8::1");
	rr_a(&m, q, "192.0.2.1");
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	nm = ev_off(p, "name");
	addrs = ev_off(p, "addresses");
	a1 = ev_off(p, "addresses[1]");
	cnames = ev_off(p, "cnames");
	assert_int_equal(p->ev_len[0], cnames + 19);
	assert_string_equal(ev_str(p, 0, "cnames"), "target.example.net.");

	/* one A record: cut after it; its address's 12 bytes past the
	 * IPv4 one are zeros, and the name's after its NUL */
	header(&m, 8, F_QR | F_RD | F_RA, 1, 1);
	q = name(&m, "b.example");
	question_tail(&m, 1, 1);
	rr_a(&m, q, "192.0.2.2");
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(p->ev_len[0], a1);
	assert_string_equal(ev_name(p, 0), "b.example.");
	assert_zeros(p, 0, nm + 10, addrs);
	assert_zeros(p, 0, addrs + 4, addrs + 16);
	assert_int_equal(ev_u(p, 0, "addresses[0].version"), 4);

	/* a CNAME after one address: the second address slot (an older
	 * AAAA's) is zeros */
	header(&m, 9, F_QR | F_RD | F_RA, 1, 2);
	q = name(&m, "c.example");
	question_tail(&m, 1, 1);
	pointer(&m, q);
	rr(&m, 5, 1, rd.b, rd.len);
	rr_a(&m, q, "192.0.2.3");
	udp4(&f, 53, 40000, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(p->ev_len[0], cnames + 19);
	assert_zeros(p, 0, a1, cnames);

	/* a query: cut after its name, nothing of the answers before */
	query(&m, 10, "d.example");
	udp4(&f, 40000, 53, &m);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_int_equal(p->ev_len[0], nm + 10);
	assert_int_equal(ev_u(p, 0, "ttl"), 0);
	assert_int_equal(ev_u(p, 0, "num_answers"), 0);
	prog_free(p);
}

/*
 * Devices without a link-layer header (tun, wireguard, ipip: what
 * BPF_PROG_TEST_RUN gives here) whose source address has the bytes of an
 * Ethernet type where an Ethernet header would have it (bytes 12-13 of
 * the packet: 8.0.x.x for IPv4, 2001:db8:86dd:: for IPv6).
 */
static void raw_ip__address_like_an_ethertype__decoded(void **state)
{
	static const char *const srcs[] = { "8.0.1.2", "8.0.69.2",
					    "129.0.8.0" };
	struct prog *p = *state;
	struct msg m;
	struct frame f;

	query(&m, 21, "raw.example");
	for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		ipv4(&f, IPPROTO_UDP, srcs[i], "10.9.8.7", 0, 40003, 53, &m);
		assert_int_equal(run(p, f.b, f.len), 1);
		assert_string_equal(ev_name(p, 0), "raw.example.");
		assert_int_equal(ev_u(p, 0, "src.port"), 40003);
	}
	ipv6(&f, 0, NULL, 0, IPPROTO_UDP, 40003, 53, &m);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:86dd::1", f.b + 22), 1);
	assert_int_equal(run(p, f.b, f.len), 1);
	assert_string_equal(ev_name(p, 0), "raw.example.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			query__ipv4_udp__header_question_and_endpoints),
		cmocka_unit_test(response__flags__opcode_rcode_and_bits),
		cmocka_unit_test(name__root__single_dot),
		cmocka_unit_test(name__special_bytes__escaped_like_dig),
		cmocka_unit_test(name__longest_legal__whole),
		cmocka_unit_test(name__too_long__cut_and_terminated),
		cmocka_unit_test(answers__a_aaaa_owner_pointers__addresses),
		cmocka_unit_test(records__cut_after_last_use__no_older_bytes),
		cmocka_unit_test(answers__cname_chain__skipped_to_the_address),
		cmocka_unit_test(answers__more_than_eight__first_eight_kept),
		cmocka_unit_test(answers__many_small_records__all_read),
		cmocka_unit_test(
			answers__cnames__cut_where_the_last_target_leaves_no_room),
		cmocka_unit_test(
			answers__cname_chain__targets_and_smallest_ttl),
		cmocka_unit_test(answers__cnames__bad_target_chaos_and_limit),
		cmocka_unit_test(answers__cnames__too_long__whole_targets_kept),
		cmocka_unit_test(
			answers__class__in_and_cache_flush_kept_chaos_not),
		cmocka_unit_test(name__compression_loop__terminates_marked),
		cmocka_unit_test(truncated__messages__header_kept_rest_dropped),
		cmocka_unit_test(tcp__length_prefix__message_decoded),
		cmocka_unit_test(ipv6__extension_headers__skipped),
		cmocka_unit_test(
			fragments__first_one__decoded_as_far_as_it_goes),
		cmocka_unit_test(ports__not_dns__ignored),
		cmocka_unit_test(
			kernel_drops__bad_lengths__counted_not_decoded),
		cmocka_unit_test(ports__param__replaces_the_defaults),
		cmocka_unit_test(rest__unwanted__records_are_the_event_alone),
		cmocka_unit_test(raw_ip__address_like_an_ethertype__decoded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
