// SPDX-License-Identifier: Apache-2.0
/*
 * What metrics add per event, measured on the runner's own code: trace_dns
 * events (the real program's BTF and gadget.yaml) with varied qr, qtype,
 * rcode and latency, counted by metrics_observe() and, for scale, rendered
 * as JSON lines into /dev/null by output_event(), and what one scrape's
 * render of those series (metrics_render(), text and OpenMetrics) costs,
 * the work the listener does once per scrape moment.  No kernel needed.
 *   build/bench/metrics_cost [PROGRAM.bpf.o [GADGET.yaml [EVENTS]]]
 */
#include <fcntl.h>
#include <unistd.h>

#include "bench/trace_dns_events.h"
#include "runner/engine/metrics.h"
#include "runner/engine/output.h"

int main(int argc, char **argv)
{
	const char *obj = argc > 1 ? argv[1] :
				     "build/gadget/trace_dns/"
				     "program.bpf.o";
	const char *yml = argc > 2 ? argv[2] : "gadget/trace_dns/gadget.yaml";
	long n = argc > 3 ? atol(argv[3]) : 2000000;
	static const __u64 qtypes[] = { 1, 28, 5, 15, 16, 33 };
	struct bench_events b;
	struct fieldset *fs;
	struct metrics *m = NULL;
	struct output *out = NULL;
	struct error *err = NULL;
	char *evs;
	size_t esz;
	double t0, t_metrics, t_json;
	int fd = open("/dev/null", O_WRONLY);

	if (bench_events_open(obj, yml, &b, &err) ||
	    metrics_new(b.fs, b.md, gadget_tracer(b.g, 0)->name, NULL, 2000, &m,
			&err) ||
	    output_new(b.fs, OUTPUT_JSON, fd, &out, &err)) {
		fprintf(stderr, "metrics_cost: %s\n", error_msg(err));
		return 1;
	}
	fs = b.fs;
	/* 64 different events, as a busy resolver would show */
	esz = fieldset_event_size(fs);
	evs = calloc(64, esz);
	for (int i = 0; i < 64; i++) {
		void *ev = evs + i * esz;

		bench_put(fs, ev, "qr_raw", i & 1);
		bench_put(fs, ev, "qtype_raw", qtypes[i % 6]);
		bench_put(fs, ev, "rcode_raw",
			  (i & 1) ? (i % 5 == 0 ? 3 : 0) : 0);
		bench_put(fs, ev, "latency_ns_raw",
			  (i & 1) ? 50000 + 7919 * i : 0);
		strcpy((char *)ev + bench_field(fs, "name")->off,
		       "www.example.com.");
	}
	t0 = bench_cpu_now();
	for (long i = 0; i < n; i++)
		metrics_observe(m, evs + (i & 63) * esz);
	t_metrics = bench_cpu_now() - t0;
	t0 = bench_cpu_now();
	for (long i = 0; i < n; i++) {
		output_event(out, evs + (i & 63) * esz, esz);
		if ((i & 255) == 255)
			output_flush(out);
	}
	output_flush(out);
	t_json = bench_cpu_now() - t0;
	for (int om = 0; om < 2; om++) {
		struct mbuf page = { 0 };
		double t_render;
		int renders = 2000;

		t0 = bench_cpu_now();
		for (int i = 0; i < renders; i++) {
			page.len = 0;
			metrics_render(m, om, &page);
		}
		t_render = bench_cpu_now() - t0;
		printf("render (%s): %.1f us per scrape, %zu bytes\n",
		       om ? "OpenMetrics" : "text", t_render / renders * 1e6,
		       page.len);
		mbuf_free(&page);
	}
	printf("metrics_observe: %.0f ns/event (%zu series); JSON line: "
	       "%.0f ns/event; %ld events\n",
	       t_metrics / n * 1e9, metrics_series(m), t_json / n * 1e9, n);
	output_free(out);
	metrics_free(m);
	bench_events_free(&b);
	free(evs);
	close(fd);
	return 0;
}
