// SPDX-License-Identifier: Apache-2.0
/*
 * The trace_dns socket filter's DNS decoder, in the kernel: every input is
 * a DNS message sent in a UDP/IPv4 frame to port 53 through
 * BPF_PROG_TEST_RUN, and every event must hold:
 *   - exactly one event when the message has a full header, none otherwise
 *   - id and num_answers as the header says
 *   - name NUL-terminated in its array, printable ASCII only, escapes as
 *     dig writes them (\c for a special character, \DDD for other bytes),
 *     ending with '.' unless empty; one cut or unreadable ends in "..."
 *     after its last whole label
 *   - addresses: versions 0, 4 or 6, the used ones first
 *   - ttl: the smallest TTL of the answer records, 0 without any
 *   - cnames: the targets of the first 4 CNAME records of class IN,
 *     comma-separated, up to the last one that is readable and fits,
 *     then ",..." when one is left out
 *   - the question name and type, and the A/AAAA answers, as an
 *     independent reading of the message gives them (ref_name(),
 *     ref_answers()); "..." after its whole labels when it cannot be read
 * The event layout comes from the object's BTF.  Needs root.
 *
 * The BPF code has no coverage instrumentation, so what the event looks
 * like is fed back to libFuzzer as extra counters: inputs that decode
 * differently count as new coverage.
 *
 * FUZZ_DNS_PARTIAL_NAMES=1 accepts names without a final '.' (a finding,
 * since fixed: names longer than the field were cut mid-label).
 */
#include <arpa/inet.h>

#include "trace_dns_bpf.h"

#define FRAME_MAX 3500 /* what BPF_PROG_TEST_RUN takes in one page */
#define HDRS (14 + 20 + 8)
#define EV_MAX 4096
#define PACKET_MAX 512 /* program.bpf.c's */

static struct {
	struct dns_bpf d;
	struct loc id, num_answers, name, qtype, addresses, version, addr_raw;
	struct loc ttl, cnames;
	size_t n_addr, addr_size;
	size_t n; /* events of the last run */
	uint8_t ev[EV_MAX];
	bool partial_names;
	struct loc data_len;
	size_t rec_len;
} g;

/* Coverage for libFuzzer from what the kernel decoded. */
__attribute__((
	used,
	section("__libfuzzer_extra_counters"))) static uint8_t extra[1024];

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	FUZZ_CHECK(len <= EV_MAX, "record of %zu bytes, event %zu", len,
		   g.d.ev_size);
	/* a record cut after its last byte in use: the rest reads as
	 * zeros */
	if (g.n++ == 0) {
		memcpy(g.ev, data, len);
		memset(g.ev + len, 0, EV_MAX - len);
		g.rec_len = len;
	}
	return 0;
}

static void unload(void)
{
	dns_bpf_unload(&g.d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const struct btf *btf;
	const struct btf_type *arr;
	__u32 addr_type, elem;
	int ev;

	(void)argc;
	(void)argv;
	g.partial_names = getenv("FUZZ_DNS_PARTIAL_NAMES") != NULL;
	dns_bpf_load(&g.d, on_event);
	btf = g.d.btf;
	ev = g.d.ev;
	g.id = member(btf, ev, "id", NULL);
	g.num_answers = member(btf, ev, "num_answers", NULL);
	g.name = member(btf, ev, "name", NULL);
	g.qtype = member(btf, ev, "qtype_raw", NULL);
	g.ttl = member(btf, ev, "ttl", NULL);
	g.data_len = member(btf, ev, "data_len", NULL);
	g.cnames = member(btf, ev, "cnames", NULL);
	g.addresses = member(btf, ev, "addresses", &addr_type);
	arr = btf__type_by_id(btf, btf__resolve_type(btf, addr_type));
	if (!btf_is_array(arr))
		die("addresses is not an array");
	elem = btf_array(arr)->type;
	g.n_addr = btf_array(arr)->nelems;
	g.addr_size = btf__resolve_size(btf, elem);
	g.version = member(btf, elem, "version", NULL);
	g.addr_raw = member(btf, elem, "addr_raw", NULL);
	atexit(unload);
	return 0;
}

static uint64_t get(const struct loc *l)
{
	uint64_t v = 0;

	memcpy(&v, g.ev + l->off, l->size); /* little endian */
	return v;
}

static bool special(char c)
{
	return c && strchr("\"$().;@\\", c);
}

/* Check the name's syntax; returns how many escapes it holds. */
static unsigned check_name(const char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);
	unsigned escapes = 0;
	bool dot = true; /* a label may not be empty: no dot after a dot */
	bool marked; /* cut or unreadable: whole labels, then "..." */

	FUZZ_CHECK(end, "name without a NUL in %zu bytes", size);
	marked = end - s >= 3 && !memcmp(end - 3, "...", 3);
	if (marked)
		end -= 3;
	for (const char *c = s; c < end; c++) {
		FUZZ_CHECK(*c > 0x20 && *c < 0x7f,
			   "byte 0x%02x at %zd in name \"%s\"", (uint8_t)*c,
			   c - s, s);
		if (*c == '.') {
			FUZZ_CHECK(!dot || (c == s && end == s + 1),
				   "empty label in \"%s\"", s);
			dot = true;
			continue;
		}
		dot = false;
		if (*c != '\\') {
			FUZZ_CHECK(!special(*c), "unescaped '%c' in \"%s\"", *c,
				   s);
			continue;
		}
		escapes++;
		if (special(c[1])) {
			c++;
		} else {
			if (marked && c + 3 >= end)
				break; /* cut at the field's end */
			FUZZ_CHECK(c + 3 < end && c[1] >= '0' && c[1] <= '2' &&
					   c[2] >= '0' && c[2] <= '9' &&
					   c[3] >= '0' && c[3] <= '9' &&
					   (c[1] - '0') * 100 +
							   (c[2] - '0') * 10 +
							   (c[3] - '0') <=
						   255,
				   "bad escape at %zd in \"%s\"", c - s, s);
			c += 3;
		}
	}
	FUZZ_CHECK(g.partial_names || marked || end == s || end[-1] == '.',
		   "name \"%s\" does not end with '.'", s);
	return escapes;
}

/*
 * The question name as this harness reads RFC 1035: labels, compression
 * pointers strictly backwards (at most 16 followed), no other label
 * types, nothing past the end.  Written in presentation form the way dig
 * does, cut like the gadget cuts it (a name whose presentation does not
 * fit in 255 characters ends at its last whole label; ref_mark() adds
 * the question's marker).  The BPF walker
 * takes one step per length byte, label byte or pointer, 512 in all: a
 * name that needs more is not compared.
 */
#define MSG_MAX 2048
#define NAME_MAX_CHARS 255
#define STEPS 512
#define HOPS 16

struct ref {
	bool valid; /* reached the root label */
	bool budget; /* within the walker's steps */
	size_t end; /* offset after the name, where the type follows */
	size_t out;
	size_t kept; /* characters up to and including the last dot */
	bool cut;
	size_t iters; /* the walker's calls: labels, pointers, the end */
	char name[NAME_MAX_CHARS + 1];
};

static void ref_put(struct ref *r, const char *s, size_t n)
{
	if (r->cut || r->out + n > NAME_MAX_CHARS) {
		r->cut = true;
		return;
	}
	memcpy(r->name + r->out, s, n);
	r->out += n;
	if (n == 1 && s[0] == '.' && r->out <= NAME_MAX_CHARS - 2)
		r->kept = r->out; /* "..." fits in its place */
}

static void ref_byte(struct ref *r, uint8_t c)
{
	char esc[8];

	if (c > 0x20 && c < 0x7f && !special(c)) {
		ref_put(r, (const char *)&c, 1);
	} else if (c > 0x20 && c < 0x7f) {
		esc[0] = '\\';
		esc[1] = c;
		ref_put(r, esc, 2);
	} else {
		snprintf(esc, sizeof(esc), "\\%03u", c);
		ref_put(r, esc, 4);
	}
}

static void ref_name(const uint8_t *m, size_t len, size_t pos, struct ref *r)
{
	size_t steps = 0;
	unsigned hops = 0;

	memset(r, 0, sizeof(*r));
	r->budget = true;
	for (;; r->iters++) {
		uint8_t b;

		if (++steps > STEPS) {
			r->budget = false;
			return;
		}
		if (pos >= len)
			return;
		b = m[pos];
		if (b == 0) {
			if (!r->end)
				r->end = pos + 1;
			if (!r->out)
				ref_put(r, ".", 1);
			if (r->cut)
				r->name[r->kept] = '\0';
			r->valid = true;
			return;
		}
		if ((b & 0xC0) == 0xC0) {
			size_t ptr;

			if (pos + 1 >= len || ++hops > HOPS)
				return;
			ptr = (b & 0x3F) << 8 | m[pos + 1];
			if (ptr >= pos)
				return;
			if (!r->end)
				r->end = pos + 2;
			pos = ptr;
			continue;
		}
		if (b & 0xC0)
			return;
		for (pos++; b; b--, pos++) {
			if (++steps > STEPS) {
				r->budget = false;
				return;
			}
			if (pos >= len)
				return;
			ref_byte(r, m[pos]);
		}
		ref_put(r, ".", 1);
	}
}

/* The question name as the gadget shows one cut or unreadable: up to its
 * last whole label, then "..." (for the dot), within the field. */
static void ref_mark(struct ref *r)
{
	size_t p = r->kept ? r->kept - 1 : 0;

	FUZZ_CHECK(p <= NAME_MAX_CHARS - 3, "kept %zu", r->kept);
	memcpy(r->name + p, "...", 4);
}

#define NO_ANSWERS ((size_t)0)
#define UNKNOWN ((size_t)-1)

/*
 * The event's question against the harness's own reading of data.
 * Returns where the first question ends (the others and the answers
 * follow), NO_ANSWERS when the gadget does not look for answers (a first
 * question it cannot read whole), UNKNOWN past the walker's budget.
 */
static size_t check_question(const uint8_t *data, size_t size, const char *name)
{
	size_t len = size < MSG_MAX ? size : MSG_MAX;
	unsigned qdcount = data[4] << 8 | data[5];
	unsigned qtype = get(&g.qtype);
	struct ref r;

	if (!qdcount) {
		FUZZ_CHECK(!*name && !qtype, "no question, yet \"%s\" %u", name,
			   qtype);
		return 12;
	}
	ref_name(data, len, 12, &r);
	if (!r.budget)
		return UNKNOWN;
	if (!r.valid || r.cut)
		ref_mark(&r);
	if (!r.valid) {
		FUZZ_CHECK(!strcmp(name, r.name),
			   "undecodable name shown as \"%s\", want \"%s\"",
			   name, r.name);
		FUZZ_CHECK(!qtype, "qtype %u after an undecodable name", qtype);
		return NO_ANSWERS;
	}
	FUZZ_CHECK(!strcmp(name, r.name), "name \"%s\", want \"%s\"", name,
		   r.name);
	if (r.end + 4 > len) {
		FUZZ_CHECK(!qtype, "qtype %u past the end", qtype);
		return NO_ANSWERS;
	}
	FUZZ_CHECK(qtype == (unsigned)(data[r.end] << 8 | data[r.end + 1]),
		   "qtype %u for \"%s\"", qtype, name);
	return r.end + 4;
}

/*
 * The A and AAAA answers of class IN (the top bit is mDNS's cache flush)
 * from pos on, past skip more questions, at most 8, as this harness
 * reads them: each question is a name (labels ending with the root or a
 * pointer), type and class; each record such a name, type, class, TTL,
 * length and data; reading stops at the first that does not fit.  The
 * gadget's walker takes one step per name label (or pointer) and per
 * question or record, MSG_MAX / 2 + 1 in all (enough for any message of
 * MSG_MAX bytes): false when more are needed.
 */
#define RR_STEPS (MSG_MAX / 2 + 1)
#define MAX_ADDR 8
#define MAX_CNAMES 4

struct ref_addr {
	uint8_t version;
	uint8_t addr[16];
};

struct ref_answers {
	struct ref_addr addr[MAX_ADDR];
	unsigned n;
	uint32_t ttl; /* smallest */
	size_t cname_at[MAX_CNAMES];
	unsigned ncnames;
};

static bool ref_answers(const uint8_t *m, size_t len, size_t pos, unsigned skip,
			unsigned count, struct ref_answers *a)
{
	struct ref_addr *out = a->addr;
	unsigned steps = 0, *n = &a->n;
	bool any = false;

	memset(a, 0, sizeof(*a));
	for (unsigned i = 0; i < skip + count; i++) {
		unsigned type, class, rdlen;
		uint32_t ttl;

		for (;;) { /* the owner, or the question's name */
			if (++steps > RR_STEPS)
				return false;
			if (pos >= len)
				return true;
			if (m[pos] == 0) {
				pos++;
				break;
			}
			if ((m[pos] & 0xC0) == 0xC0) {
				pos += 2;
				break;
			}
			if (m[pos] & 0xC0)
				return true;
			pos += 1 + m[pos];
		}
		if (++steps > RR_STEPS)
			return false;
		if (i < skip) { /* its type and class */
			if (pos + 4 > len)
				return true;
			pos += 4;
			continue;
		}
		if (pos + 10 > len)
			return true;
		type = m[pos] << 8 | m[pos + 1];
		class = m[pos + 2] << 8 | m[pos + 3];
		rdlen = m[pos + 8] << 8 | m[pos + 9];
		ttl = (uint32_t)m[pos + 4] << 24 | m[pos + 5] << 16 |
		      m[pos + 6] << 8 | m[pos + 7];
		pos += 10;
		if (pos + rdlen > len)
			return true;
		if (!any || ttl < a->ttl)
			a->ttl = ttl;
		any = true;
		if ((class & 0x7FFF) == 1 && type == 5 && rdlen &&
		    a->ncnames < MAX_CNAMES)
			a->cname_at[a->ncnames++] = pos;
		if ((class & 0x7FFF) == 1 && *n < MAX_ADDR &&
		    ((type == 1 && rdlen == 4) ||
		     (type == 28 && rdlen == 16))) {
			out[*n].version = type == 1 ? 4 : 6;
			memcpy(out[*n].addr, m + pos, rdlen);
			(*n)++;
		}
		pos += rdlen;
	}
	return true;
}

/*
 * The CNAME targets as the gadget writes them: each read like the
 * question name, joined by ',', up to the last one that is readable and
 * fits in 255 characters; when one is left out, up to the last one that
 * fits with ",..." after it, then ",...".  The gadget's walk takes one
 * step per label, pointer and root label of all of them, 512 in all:
 * false past that, or past a name's own budget.
 */
static bool ref_cnames(const uint8_t *m, size_t len,
		       const struct ref_answers *a, char *out)
{
	size_t n = 0, fit = 0, iters = 0;

	out[0] = '\0';
	for (unsigned k = 0; k < a->ncnames; k++) {
		size_t l;
		struct ref r;

		ref_name(m, len, a->cname_at[k], &r);
		if (!r.budget)
			return false;
		iters += r.iters + 1; /* and the root or the failure */
		if (iters > STEPS)
			return false;
		l = strlen(r.name);
		if (!r.valid || r.cut || n + !!k + l > NAME_MAX_CHARS) {
			n = fit;
			if (n)
				out[n++] = ',';
			memcpy(out + n, "...", 4); /* the rest is not shown */
			return true;
		}
		if (k)
			out[n++] = ',';
		memcpy(out + n, r.name, l + 1);
		n += l;
		if (n <= NAME_MAX_CHARS - 4) /* room for ",..." */
			fit = n;
	}
	return true;
}

static void check_answers(const uint8_t *data, size_t size, size_t start)
{
	size_t len = size < MSG_MAX ? size : MSG_MAX;
	unsigned qdcount = data[4] << 8 | data[5];
	unsigned ancount = data[6] << 8 | data[7], n;
	struct ref_answers ra = { 0 };
	struct ref_addr *want = ra.addr;
	const char *cnames = (const char *)g.ev + g.cnames.off;
	char want_cnames[NAME_MAX_CHARS + 2];

	if (start == UNKNOWN)
		return;
	if (start != NO_ANSWERS && (data[2] & 0x80) &&
	    !ref_answers(data, len, start, qdcount ? qdcount - 1 : 0, ancount,
			 &ra))
		return;
	n = ra.n;
	FUZZ_CHECK(get(&g.ttl) == ra.ttl, "ttl %u, want %u",
		   (unsigned)get(&g.ttl), ra.ttl);
	FUZZ_CHECK(memchr(cnames, '\0', g.cnames.size), "cnames without NUL");
	if (ref_cnames(data, len, &ra, want_cnames))
		FUZZ_CHECK(!strcmp(cnames, want_cnames),
			   "cnames \"%s\", want \"%s\"", cnames, want_cnames);
	for (size_t i = 0; i < g.n_addr; i++) {
		const uint8_t *e = g.ev + g.addresses.off + i * g.addr_size;
		struct ref_addr w = i < MAX_ADDR ? want[i] :
						   (struct ref_addr){ 0 };

		FUZZ_CHECK(e[g.version.off] == w.version &&
				   !memcmp(e + g.addr_raw.off, w.addr,
					   sizeof(w.addr)),
			   "address %zu: version %u, want %u (of %u)", i,
			   e[g.version.off], w.version, n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t ip[20] = { 0x45, 0, 0,  0, 0, 1, 0,  0, 64, 17,
					0,    0, 10, 1, 2, 3, 10, 9, 8,	 7 };
	uint8_t frame[FRAME_MAX] = { [12] = 0x08, [13] = 0x00 };
	struct __sk_buff ctx = { .cb = { 1 } };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	uint16_t len16, sport = htons(40000), dport = htons(53);
	unsigned naddr = 0, escapes;
	const char *name;
	int err;

	if (size > FRAME_MAX - HDRS)
		size = FRAME_MAX - HDRS;
	memcpy(frame + 14, ip, sizeof(ip));
	len16 = htons(20 + 8 + size);
	memcpy(frame + 16, &len16, 2);
	memcpy(frame + 34, &sport, 2);
	memcpy(frame + 36, &dport, 2);
	len16 = htons(8 + size);
	memcpy(frame + 38, &len16, 2);
	memcpy(frame + HDRS, data, size);
	opts.data_size_in = HDRS + size;

	g.n = 0;
	err = bpf_prog_test_run_opts(g.d.fd, &opts);
	FUZZ_CHECK(!err, "BPF_PROG_TEST_RUN: %s", strerror(-err));
	ring_buffer__consume(g.d.rb);
	FUZZ_CHECK(g.n == (size >= 12), "%zu events for %zu bytes", g.n, size);
	if (!g.n)
		return 0;

	FUZZ_CHECK(get(&g.id) == (unsigned)(data[0] << 8 | data[1]), "id");
	FUZZ_CHECK(get(&g.num_answers) == (unsigned)(data[6] << 8 | data[7]),
		   "num_answers %u, ancount %u", (unsigned)get(&g.num_answers),
		   data[6] << 8 | data[7]);
	/* the packet from its IP header, up to PACKET_MAX bytes, after
	 * the whole event */
	{
		size_t want = 20 + 8 + size, got = get(&g.data_len);

		if (want > PACKET_MAX)
			want = PACKET_MAX;
		FUZZ_CHECK(got == want, "data_len %zu, want %zu", got, want);
		FUZZ_CHECK(g.rec_len == g.d.ev_size + got,
			   "record of %zu bytes, event %zu, packet %zu",
			   g.rec_len, g.d.ev_size, got);
		FUZZ_CHECK(!memcmp(g.ev + g.d.ev_size, frame + 14, got),
			   "packet bytes differ");
	}
	name = (const char *)g.ev + g.name.off;
	escapes = check_name(name, g.name.size);
	check_answers(data, size, check_question(data, size, name));
	for (size_t i = 0; i < g.n_addr; i++) {
		uint8_t v =
			g.ev[g.addresses.off + i * g.addr_size + g.version.off];

		FUZZ_CHECK(v == 0 || v == 4 || v == 6, "address %zu version %u",
			   i, v);
		FUZZ_CHECK(v == 0 || naddr == i, "address %zu after a gap", i);
		if (v)
			naddr++;
	}
	FUZZ_CHECK(naddr <= 8, "%u addresses", naddr);

	extra[strlen(name) & 255]++;
	extra[256 + (naddr & 15)]++;
	extra[272 + (escapes < 64 ? escapes : 63)]++;
	extra[336 +
	      ((data[2] >> 7) | (naddr > 0) << 1 | (strlen(name) > 0) << 2)]++;
	return 0;
}
