// SPDX-License-Identifier: Apache-2.0
/*
 * The trace_dns socket filter alone, timed by the kernel: BPF_PROG_TEST_RUN
 * with a repeat count on a DNS query, its response (one A record), and UDP
 * and TCP packets that are not DNS; prints the average ns per run of each
 * (the best of a few batches, as the machine is shared).  The ring buffer
 * is drained between batches.  Needs root.  As the runner loads it for
 * every output but pcap-ng, gadget_rest_wanted is false (no packet bytes
 * after the events); with `pcap`, true.
 *   progrun [OBJECT [pcap]]  (default build/gadget/trace_dns/program.bpf.o)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bench/rodata.h"

/* Runs per batch: the records of a batch (up to ~1 KiB each) stay below
 * half of the ring (4 MiB), past which every record forces a wake-up of
 * the reader (inflight.bpf.h): 5000 took 1.8 us per query here, 2000
 * 0.37 (8 MiB, 976-byte records). */
#define BATCH 2000
#define BATCHES 7

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

/* Ethernet + IPv4 + UDP or TCP header + payload into f; returns length. */
static size_t frame(uint8_t *f, int proto, uint16_t sport, uint16_t dport,
		    const uint8_t *pl, size_t n)
{
	size_t l4 = proto == IPPROTO_UDP ? 8 : 20, off = 14 + 20;
	uint16_t tot = htons(20 + l4 + n);

	memset(f, 0, off + l4);
	f[12] = 0x08; /* IPv4 */
	f[14] = 0x45;
	memcpy(f + 16, &tot, 2);
	f[22] = 64;
	f[23] = proto;
	memcpy(f + 26, "\x0a\x63\x00\x01\x0a\x63\x00\x02", 8);
	sport = htons(sport);
	dport = htons(dport);
	memcpy(f + off, &sport, 2);
	memcpy(f + off + 2, &dport, 2);
	if (proto == IPPROTO_UDP) {
		uint16_t ul = htons(8 + n);

		memcpy(f + off + 4, &ul, 2);
	} else {
		f[off + 12] = 5 << 4;
	}
	memcpy(f + off + l4, pl, n);
	return off + l4 + n;
}

static const uint8_t query[] =
	"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
	"\x05host1\x05"
	"bench\x04test\x00\x00\x01\x00\x01";
static const uint8_t response[] =
	"\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00"
	"\x05host1\x05"
	"bench\x04test\x00\x00\x01\x00\x01"
	"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x01\x02\x03";

static double run(int fd, struct ring_buffer *rb, const uint8_t *f, size_t n)
{
	struct __sk_buff ctx = { .cb = { 0xF0000123u } };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f, .data_size_in = n,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = BATCH);
	double best = 1e18;

	for (int b = 0; b < BATCHES; b++) {
		if (bpf_prog_test_run_opts(fd, &opts))
			return -1;
		if (opts.duration < best)
			best = opts.duration;
		ring_buffer__consume(rb);
	}
	return best;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] :
				      "build/gadget/trace_dns/program.bpf.o";
	struct bpf_program *p, *filter = NULL;
	struct ring_buffer *rb;
	struct bpf_object *obj;
	struct bpf_map *events;
	uint8_t f[512], junk[64] = { 0 };
	size_t n;

	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "progrun: open %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	rodata_set(obj, "gadget_rest_wanted",
		   argc > 2 && !strcmp(argv[2], "pcap"));
	bpf_object__for_each_program (p, obj) {
		if (bpf_program__type(p) == BPF_PROG_TYPE_SOCKET_FILTER)
			filter = p;
		else
			bpf_program__set_autoload(p, false);
	}
	events = bpf_object__find_map_by_name(obj, "events");
	if (!filter || !events || bpf_object__load(obj)) {
		fprintf(stderr, "progrun: load %s\n", path);
		return 1;
	}
	rb = ring_buffer__new(bpf_map__fd(events), on_event, NULL, NULL);
	if (!rb)
		return 1;
	/* every page of the ring written a few times over first: a
	 * record on a page not yet written since the ring was made cost
	 * ~0.4 us more here (short records took all 7 batches of a kind
	 * to go once around an 8 MiB ring; 976-byte ones wrapped within
	 * the first kind's batches) */
	n = frame(f, IPPROTO_UDP, 53, 40000, response, sizeof(response) - 1);
	for (int i = 0; i < 12; i++)
		run(bpf_program__fd(filter), rb, f, n);
	n = frame(f, IPPROTO_UDP, 40000, 53, query, sizeof(query) - 1);
	printf("dns query     %6.0f ns\n",
	       run(bpf_program__fd(filter), rb, f, n));
	n = frame(f, IPPROTO_UDP, 53, 40000, response, sizeof(response) - 1);
	printf("dns response  %6.0f ns\n",
	       run(bpf_program__fd(filter), rb, f, n));
	n = frame(f, IPPROTO_UDP, 40000, 11111, junk, sizeof(junk));
	printf("other udp     %6.0f ns\n",
	       run(bpf_program__fd(filter), rb, f, n));
	n = frame(f, IPPROTO_TCP, 40000, 5201, junk, sizeof(junk));
	printf("other tcp     %6.0f ns\n",
	       run(bpf_program__fd(filter), rb, f, n));
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return 0;
}
