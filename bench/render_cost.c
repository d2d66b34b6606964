// SPDX-License-Identifier: Apache-2.0
/*
 * The runner's rendering of trace_dns events, without the kernel: events
 * filled like the ones a dnsperf -> dnsmasq run shows (both ends, both
 * ways: addresses, ports, pids, comms, uids, names, latencies, a wall clock
 * that moves 12.5 us per event), rendered by output_event() as JSON lines
 * or columns and written in the runner's batches to FILE (default
 * /dev/null; a file on disk adds the copy into the page cache).  Thread CPU
 * time per event.
 *   build/bench/render_cost json|columns [EVENTS [FILE]]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/fileutil.h"
#include "metadata/metadata.h"
#include "runner/engine/fields_internal.h"
#include "runner/engine/gadget.h"
#include "runner/engine/output.h"

#define N_EV 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const struct field *field(const struct fieldset *fs, const char *name)
{
	int i = fieldset_lookup(fs, name);

	if (i < 0) {
		fprintf(stderr, "render_cost: no field %s\n", name);
		exit(1);
	}
	return &fs->f[i];
}

static void put(const struct fieldset *fs, char *ev, const char *name, __u64 v)
{
	const struct field *f = field(fs, name);

	memcpy(ev + f->off, &v, f->size);
}

static void put_str(const struct fieldset *fs, char *ev, const char *name,
		    const char *s)
{
	const struct field *f = field(fs, name);

	strncpy(ev + f->off, s, f->size);
}

static void put_ip(const struct fieldset *fs, char *ev, const char *name,
		   __u32 a)
{
	const struct field *f = field(fs, name);

	memcpy(ev + f->addr_off, &a, 4);
	ev[f->ver_off] = 4;
	if (f->port_size)
		memset(ev + f->port_off, 0, f->port_size);
}

/* Event i of a query/response exchange seen at four hops. */
static void fill(const struct fieldset *fs, char *ev, int i)
{
	int hop = i & 3, q = i >> 2, resp = hop >= 2;
	int client = hop == 0 || hop == 3;
	__u32 cli = 0x0100630a, srv = 0x0200630a; /* 10.99.0.1, .2 */
	__u16 cport = (__u16)(32768 + 977 * q);

	put(fs, ev, "timestamp_raw", 25592168198355ULL);
	put(fs, ev, "netns_id", client ? 4026532246U : 4026532177U);
	put(fs, ev, "id", (__u16)(q * 7919));
	put(fs, ev, "pkt_type_raw", client ? (resp ? 0 : 4) : (resp ? 4 : 0));
	put_ip(fs, ev, "src", resp ? srv : cli);
	put_ip(fs, ev, "dst", resp ? cli : srv);
	put(fs, ev, "src.port", resp ? 53 : cport);
	put(fs, ev, "dst.port", resp ? cport : 53);
	put(fs, ev, "src.proto_raw", 17);
	put(fs, ev, "dst.proto_raw", 17);
	put_str(fs, ev, "proc.comm", client ? "dnsperf" : "dnsmasq");
	put(fs, ev, "proc.pid", client ? 21827 : 21800);
	put(fs, ev, "proc.tid", client ? 21830 + (q & 3) : 21800);
	put(fs, ev, "proc.mntns_id", client ? 4026532318U : 4026532315U);
	put(fs, ev, "proc.creds.uid", 0);
	put(fs, ev, "proc.creds.gid", client ? 0 : 30);
	put_str(fs, ev, "proc.parent.comm", client ? "bash" : "systemd");
	put(fs, ev, "proc.parent.pid", client ? 21785 : 1);
	put(fs, ev, "proc.parent.tid", client ? 21785 : 1);
	put_ip(fs, ev, "nameserver", srv);
	put(fs, ev, "qr_raw", resp);
	put(fs, ev, "aa", 0);
	put(fs, ev, "qtype_raw", 1);
	put(fs, ev, "qclass", 1);
	put(fs, ev, "num_answers", resp);
	put(fs, ev, "rd", 1);
	put(fs, ev, "ra", resp);
	put_str(fs, ev, "name",
		q % 3 ? "host17.bench.test." : "www.example.com.");
	if (resp) {
		put_ip(fs, ev, "addresses", 0x0302010a);
		put(fs, ev, "latency_ns_raw", 41000 + 7919 * q);
		put(fs, ev, "ttl", 600);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "json";
	long n = argc > 2 ? atol(argv[2]) : 2000000;
	const char *path = argc > 3 ? argv[3] : "/dev/null";
	const char *obj = "build/gadget/trace_dns/program.bpf.o";
	const char *yml = "gadget/trace_dns/gadget.yaml";
	struct gadget_metadata *md = NULL;
	struct fieldset *fs = NULL;
	struct output *out = NULL;
	struct error *err = NULL;
	struct gadget *g = NULL;
	char *elf = NULL, *yaml = NULL, *evs;
	size_t elen, ylen, esz;
	const struct field *ts;
	__u64 t_ev = 25592168198355ULL;
	double t0, t;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || read_file(obj, &elf, &elen, &err) ||
	    read_file(yml, &yaml, &ylen, &err) ||
	    metadata_parse(yaml, ylen, yml, &md, &err) ||
	    gadget_open(elf, elen, "trace_dns", &g, &err) ||
	    fieldset_new(gadget_btf(g), gadget_tracer(g, 0)->type_id, md,
			 gadget_tracer(g, 0)->name, &fs, &err) ||
	    output_new(fs, strcmp(mode, "json") ? OUTPUT_COLUMNS : OUTPUT_JSON,
		       fd, &out, &err)) {
		fprintf(stderr, "render_cost: %s\n",
			fd < 0 ? path : error_msg(err));
		return 1;
	}
	esz = fieldset_event_size(fs);
	evs = calloc(N_EV, esz);
	for (int i = 0; i < N_EV; i++)
		fill(fs, evs + i * esz, i);
	ts = field(fs, "timestamp_raw");
	output_header(out);
	t0 = now();
	for (long i = 0; i < n; i++) {
		char *ev = evs + (i % N_EV) * esz;

		t_ev += 12500;
		memcpy(ev + ts->off, &t_ev, 8);
		output_event(out, ev, esz);
		if ((i & 1023) == 1023) /* the runner: once per ring drain */
			output_flush(out);
	}
	output_flush(out);
	t = now() - t0;
	printf("%s: %.0f ns/event; %ld events to %s\n", mode, t / n * 1e9, n,
	       path);
	output_free(out);
	fieldset_free(fs);
	gadget_free(g);
	metadata_free(md);
	free(evs);
	free(elf);
	free(yaml);
	close(fd);
	return 0;
}
