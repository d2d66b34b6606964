// SPDX-License-Identifier: Apache-2.0
/*
 * The trace_dns socket filter's DNS-over-TCP stream reassembly, in the
 * kernel.  An input is a TCP byte stream and how to cut it:
 *   byte 0      bit 0: send every segment twice (a retransmission)
 *   byte 1      n = byte & 15 segment sizes follow (0: 1000 bytes each)
 *   n bytes     segment sizes, used in turn (0 means 1000)
 *   the rest    the stream (at most STREAM_MAX bytes)
 * sent on a new connection (its SYN first) through BPF_PROG_TEST_RUN.
 * This harness reads the stream itself (a 2-byte length, then that many
 * bytes, again and again), and every run must hold:
 *   - each segment sends one event per message of at least a header whose
 *     first min(length, 2048) bytes it completes, in stream order
 *   - each such event decodes as the same bytes sent in one UDP datagram
 *     do (every field but the endpoints, time, latency and packet)
 *   - a retransmitted segment sends nothing and counts one tcp_skipped;
 *     nothing else is skipped
 *   - oversized counts the lengths past 2048
 * Needs root.
 */
#include <arpa/inet.h>

#include "trace_dns_bpf.h"

#define STREAM_MAX 3000
#define SEG_DEFAULT 1000 /* at most 501 pieces: under the 512 steps */
#define DECODED 2048
#define EV_MAX 4096
#define MAX_EVENTS 256
#define ISN 0x7FFFFFF0u /* wraps within the stream */

static struct {
	struct dns_bpf d;
	size_t n; /* events of the last run */
	uint8_t ev[MAX_EVENTS][EV_MAX];
	struct loc cmp[16]; /* members compared with the UDP decoding */
	size_t n_cmp;
	struct loc name, cnames; /* and strings (bytes past the NUL vary) */
	struct bpf_map *skipped, *oversized;
	uint16_t port;
} g;

__attribute__((
	used, section("__libfuzzer_extra_counters"))) static uint8_t extra[256];

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	FUZZ_CHECK(len <= EV_MAX, "record of %zu bytes, event %zu", len,
		   g.d.ev_size);
	/* a record cut after its last byte in use: the rest reads as
	 * zeros */
	if (g.n < MAX_EVENTS) {
		size_t n = len < g.d.ev_size ? len : g.d.ev_size;

		memcpy(g.ev[g.n], data, n);
		memset(g.ev[g.n] + n, 0, g.d.ev_size - n);
	}
	g.n++;
	return 0;
}

static void unload(void)
{
	dns_bpf_unload(&g.d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const same[] = {
		"id",	       "qr_raw",    "opcode_raw", "aa",	       "tc",
		"rd",	       "ra",	    "rcode_raw",  "qtype_raw", "qclass",
		"num_answers", "addresses", "ttl",
	};

	(void)argc;
	(void)argv;
	dns_bpf_load(&g.d, on_event);
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		g.cmp[g.n_cmp++] = member(g.d.btf, g.d.ev, same[i], NULL);
	g.name = member(g.d.btf, g.d.ev, "name", NULL);
	g.cnames = member(g.d.btf, g.d.ev, "cnames", NULL);
	g.skipped = bpf_object__find_map_by_name(g.d.obj,
						 "gadget_counter_tcp_skipped");
	g.oversized = bpf_object__find_map_by_name(g.d.obj,
						   "gadget_counter_oversized");
	if (!g.skipped || !g.oversized)
		die("no tcp_skipped or oversized counter");
	atexit(unload);
	return 0;
}

static uint64_t counter(struct bpf_map *m)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[256], sum = 0;
	uint32_t key = 0;

	if (ncpu <= 0 || ncpu > 256 ||
	    bpf_map_lookup_elem(bpf_map__fd(m), &key, vals))
		die("counter");
	for (int i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

/* Run one frame; returns its events (in g.ev). */
static size_t run(const uint8_t *frame, size_t len)
{
	struct __sk_buff ctx = { .cb = { 1 } };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err;

	g.n = 0;
	err = bpf_prog_test_run_opts(g.d.fd, &opts);
	FUZZ_CHECK(!err, "BPF_PROG_TEST_RUN: %s", strerror(-err));
	ring_buffer__consume(g.d.rb);
	return g.n;
}

/* Ethernet + IPv4 (10.1.2.3 -> 10.9.8.7) of an L4 payload of n bytes. */
static size_t ip4(uint8_t *f, uint8_t proto, size_t n)
{
	static const uint8_t ip[20] = { 0x45, 0, 0,  0, 0, 1, 0,  0, 64, 0,
					0,    0, 10, 1, 2, 3, 10, 9, 8,	 7 };
	uint16_t tot = htons(20 + n);

	memset(f, 0, 14);
	f[12] = 0x08;
	memcpy(f + 14, ip, sizeof(ip));
	memcpy(f + 16, &tot, 2);
	f[23] = proto;
	return 34;
}

static size_t tcp_segment(uint8_t *f, uint32_t seq, uint8_t flags,
			  const uint8_t *data, size_t n)
{
	size_t off = ip4(f, IPPROTO_TCP, 20 + n);
	uint16_t sport = htons(g.port), dport = htons(53);

	seq = htonl(seq);
	memset(f + off, 0, 20);
	memcpy(f + off, &sport, 2);
	memcpy(f + off + 2, &dport, 2);
	memcpy(f + off + 4, &seq, 4);
	f[off + 12] = 5 << 4;
	f[off + 13] = flags;
	if (n)
		memcpy(f + off + 20, data, n);
	return off + 20 + n;
}

/* The event of msg (n bytes) sent as one UDP datagram, into out. */
static void udp_event(const uint8_t *msg, size_t n, uint8_t *out)
{
	static uint8_t f[14 + 20 + 8 + DECODED];
	size_t off = ip4(f, IPPROTO_UDP, 8 + n);
	uint16_t sport = htons(40000), dport = htons(53), len = htons(8 + n);

	memset(f + off, 0, 8);
	memcpy(f + off, &sport, 2);
	memcpy(f + off + 2, &dport, 2);
	memcpy(f + off + 4, &len, 2);
	memcpy(f + off + 8, msg, n);
	FUZZ_CHECK(run(f, off + 8 + n) == 1, "UDP: %zu events", g.n);
	memcpy(out, g.ev[0], g.d.ev_size);
}

/* A message of the stream: where its decoded bytes end, how many. */
struct expect {
	size_t start, done; /* offsets in the stream */
};

/* Where this harness finds messages in s (n bytes); returns how many,
 * and the lengths past DECODED in *over. */
static size_t messages(const uint8_t *s, size_t n, struct expect *e, size_t max,
		       size_t *over)
{
	size_t k = 0, pos = 0;

	*over = 0;
	while (pos + 2 <= n) {
		size_t len = s[pos] << 8 | s[pos + 1];
		size_t want = len < DECODED ? len : DECODED;

		if (len > DECODED)
			(*over)++;
		if (len >= 12 && pos + 2 + want <= n && k < max)
			e[k++] = (struct expect){ pos + 2, pos + 2 + want };
		pos += 2 + len;
	}
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[14 + 20 + 20 + SEG_DEFAULT], udp[EV_MAX];
	static uint8_t tcp[MAX_EVENTS][EV_MAX];
	static struct expect want[STREAM_MAX / 14 + 1];
	size_t ncut, n, nmsg, next = 0, over, pos = 0, i = 0, f;
	uint64_t skipped0 = counter(g.skipped), over0 = counter(g.oversized);
	const uint8_t *cuts, *s;
	unsigned retrans = 0;
	bool twice;

	if (size < 2)
		return 0;
	twice = data[0] & 1;
	ncut = data[1] & 15;
	if (size < 2 + ncut)
		return 0;
	cuts = data + 2;
	s = data + 2 + ncut;
	n = size - 2 - ncut;
	if (n > STREAM_MAX)
		n = STREAM_MAX;
	nmsg = messages(s, n, want, sizeof(want) / sizeof(want[0]), &over);
	g.port = g.port < 1024 || g.port >= 65000 ? 1024 : g.port + 1;

	f = tcp_segment(frame, ISN, 0x02, NULL, 0); /* SYN */
	FUZZ_CHECK(run(frame, f) == 0, "%zu events for a SYN", g.n);
	while (pos < n) {
		size_t sz = ncut ? cuts[i++ % ncut] : SEG_DEFAULT, got, k;

		if (!sz)
			sz = SEG_DEFAULT;
		if (sz > n - pos)
			sz = n - pos;
		f = tcp_segment(frame, ISN + 1 + pos, 0x18, s + pos, sz);
		got = run(frame, f);
		for (k = 0; next + k < nmsg && want[next + k].done <= pos + sz;)
			k++;
		FUZZ_CHECK(got == k, "segment [%zu, %zu): %zu events, want %zu",
			   pos, pos + sz, got, k);
		FUZZ_CHECK(got <= MAX_EVENTS, "%zu events", got);
		memcpy(tcp, g.ev, got * sizeof(g.ev[0]));
		for (size_t j = 0; j < got; j++) {
			const struct expect *e = &want[next + j];

			udp_event(s + e->start, e->done - e->start, udp);
			for (size_t m = 0; m < g.n_cmp; m++)
				FUZZ_CHECK(!memcmp(tcp[j] + g.cmp[m].off,
						   udp + g.cmp[m].off,
						   g.cmp[m].size),
					   "message at %zu: member %zu differs "
					   "from its UDP decoding",
					   e->start, m);
			FUZZ_CHECK(
				!strncmp((char *)tcp[j] + g.name.off,
					 (char *)udp + g.name.off,
					 g.name.size) &&
					!strncmp((char *)tcp[j] + g.cnames.off,
						 (char *)udp + g.cnames.off,
						 g.cnames.size),
				"message at %zu: name or cnames differ",
				e->start);
		}
		next += got;
		if (twice) {
			FUZZ_CHECK(run(frame, f) == 0,
				   "retransmission: %zu events", g.n);
			retrans++;
		}
		pos += sz;
	}
	FUZZ_CHECK(next == nmsg, "%zu of %zu messages", next, nmsg);
	FUZZ_CHECK(counter(g.skipped) - skipped0 == retrans,
		   "tcp_skipped %llu, want %u",
		   (unsigned long long)(counter(g.skipped) - skipped0),
		   retrans);
	FUZZ_CHECK(counter(g.oversized) - over0 == over,
		   "oversized %llu, want %zu",
		   (unsigned long long)(counter(g.oversized) - over0), over);
	f = tcp_segment(frame, ISN + 1 + n, 0x11, NULL, 0); /* FIN */
	run(frame, f);

	extra[nmsg & 127]++;
	extra[128 + (i & 63)]++;
	extra[192 + (over & 15) + 16 * twice]++;
	return 0;
}
