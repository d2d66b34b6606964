// SPDX-License-Identifier: Apache-2.0
/*
 * What metrics add per event, measured on the runner's own code: trace_dns
 * events (the real program's BTF and gadget.yaml) with varied qr, qtype,
 * rcode and latency, counted by metrics_observe() and, for scale, rendered
 * as JSON lines into /dev/null by output_event().  No kernel needed.
 *   build/bench/metrics_cost [PROGRAM.bpf.o [GADGET.yaml [EVENTS]]]
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
#include "runner/engine/metrics.h"
#include "runner/engine/output.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID,
		      &ts); /* CPU time: a shared machine */
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put(const struct fieldset *fs, void *ev, const char *name, __u64 v)
{
	int i = fieldset_lookup(fs, name);

	if (i < 0) {
		fprintf(stderr, "no field %s\n", name);
		exit(1);
	}
	memcpy((char *)ev + fs->f[i].off, &v, fs->f[i].size);
}

int main(int argc, char **argv)
{
	const char *obj = argc > 1 ? argv[1] :
				     "build/gadget/trace_dns/"
				     "program.bpf.o";
	const char *yml = argc > 2 ? argv[2] : "gadget/trace_dns/gadget.yaml";
	long n = argc > 3 ? atol(argv[3]) : 2000000;
	static const __u64 qtypes[] = { 1, 28, 5, 15, 16, 33 };
	struct gadget_metadata *md = NULL;
	struct fieldset *fs = NULL;
	struct metrics *m = NULL;
	struct output *out = NULL;
	struct error *err = NULL;
	struct gadget *g = NULL;
	char *elf = NULL, *yaml = NULL, *evs;
	size_t elen, ylen, esz;
	double t0, t_metrics, t_json;
	int fd = open("/dev/null", O_WRONLY);

	if (read_file(obj, &elf, &elen, &err) ||
	    read_file(yml, &yaml, &ylen, &err) ||
	    metadata_parse(yaml, ylen, yml, &md, &err) ||
	    gadget_open(elf, elen, "trace_dns", &g, &err) ||
	    fieldset_new(gadget_btf(g), gadget_tracer(g, 0)->type_id, md,
			 gadget_tracer(g, 0)->name, &fs, &err) ||
	    metrics_new(fs, md, gadget_tracer(g, 0)->name, NULL, 2000, &m,
			&err) ||
	    output_new(fs, OUTPUT_JSON, fd, &out, &err)) {
		fprintf(stderr, "metrics_cost: %s\n", error_msg(err));
		return 1;
	}
	/* 64 different events, as a busy resolver would show */
	esz = fieldset_event_size(fs);
	evs = calloc(64, esz);
	for (int i = 0; i < 64; i++) {
		void *ev = evs + i * esz;

		put(fs, ev, "qr_raw", i & 1);
		put(fs, ev, "qtype_raw", qtypes[i % 6]);
		put(fs, ev, "rcode_raw", (i & 1) ? (i % 5 == 0 ? 3 : 0) : 0);
		put(fs, ev, "latency_ns_raw", (i & 1) ? 50000 + 7919 * i : 0);
		strcpy((char *)ev + fs->f[fieldset_lookup(fs, "name")].off,
		       "www.example.com.");
	}
	t0 = now();
	for (long i = 0; i < n; i++)
		metrics_observe(m, evs + (i & 63) * esz);
	t_metrics = now() - t0;
	t0 = now();
	for (long i = 0; i < n; i++) {
		output_event(out, evs + (i & 63) * esz, esz);
		if ((i & 255) == 255)
			output_flush(out);
	}
	output_flush(out);
	t_json = now() - t0;
	printf("metrics_observe: %.0f ns/event (%zu series); JSON line: "
	       "%.0f ns/event; %ld events\n",
	       t_metrics / n * 1e9, metrics_series(m), t_json / n * 1e9, n);
	output_free(out);
	metrics_free(m);
	fieldset_free(fs);
	gadget_free(g);
	metadata_free(md);
	free(evs);
	free(elf);
	free(yaml);
	close(fd);
	return 0;
}
