// SPDX-License-Identifier: Apache-2.0
/*
 * The runner's rendering of trace_dns events, without the kernel: events
 * filled like the ones a dnsperf -> dnsmasq run shows (both ends, both
 * ways: addresses, ports, pids, comms, uids, names, latencies, a wall clock
 * that moves 12.5 us per event; as in the runner, the containers are
 * looked up, in a tree without any: every namespace is the host's),
 * rendered by output_event() as JSON lines
 * or columns and written in the runner's batches to FILE (default
 * /dev/null; a file on disk adds the copy into the page cache).  Thread CPU
 * time per event.  PORTS: "fixed" (default) cycles 16 client ports, as
 * dnsperf's few sockets do; "fresh" gives every query (its 4 events) a
 * new one, as stub resolvers (getaddrinfo, dig) do with a socket per
 * query; "stub" too, with the client's 2 events of each query only (a
 * host whose resolver runs elsewhere).
 * Options, for what the runner does before rendering: -F EXPR filters
 * every event by -F EXPR first (as session.c's on_event(); "--host=false"
 * is -F 'runtime.containerId~.', which drops every event here: no
 * containers); -t LAYOUT gives the timestamp a formatters.timestamp.format
 * (a Go layout); -c puts the client (dnsperf, half the events) in a
 * docker container; -k SELECTOR puts that container in a pod (namespace
 * prod, labels POD_LABELS_JSON) and selects pods as
 * --k8s-namespace=prod,default --k8s-selector=SELECTOR would (as
 * session.c's on_event()); -n LIST filters as --containername=LIST (the
 * client's container is named 3f4e1b2a9c8d, its id's head).  MODE: an -o
 * mode of runner run (json, jsonpretty, yaml, columns).
 *   build/bench/render_cost [-c] [-F EXPR] [-n LIST] [-t LAYOUT] [-k SELECTOR]
 *                           MODE [EVENTS [FILE [fixed|fresh|stub]]]
 */
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>

#include "common/fileutil.h"

#include "bench/trace_dns_events.h"
#include "runner/engine/bpf/containers.h"
#include "runner/engine/containers.h"
#include "runner/engine/filter.h"
#include "runner/engine/k8s_select.h"
#include "runner/engine/output.h"
#include "runner/engine/pods.h"

/* the pod's labels, as the sandbox's config.v2.json has them */
#define POD_LABELS_JSON                                               \
	"\"io.kubernetes.pod.name\":\"web-prod-7d9c6b8f5d-x2x9k\","   \
	"\"io.kubernetes.docker.type\":\"podsandbox\","               \
	"\"app.kubernetes.io/instance\":\"web-prod\","                \
	"\"app.kubernetes.io/name\":\"web\",\"app\":\"web\","         \
	"\"pod-template-hash\":\"7d9c6b8f5d\",\"tier\":\"frontend\"," \
	"\"version\":\"v1.2.3\""

#define N_EV 64

static void put_str(const struct fieldset *fs, char *ev, const char *name,
		    const char *s)
{
	const struct field *f = bench_field(fs, name);

	strncpy(ev + f->off, s, f->size);
}

static void put_ip(const struct fieldset *fs, char *ev, const char *name,
		   __u32 a)
{
	const struct field *f = bench_field(fs, name);

	memcpy(ev + f->addr_off, &a, 4);
	ev[f->ver_off] = 4;
	if (f->port_size)
		memset(ev + f->port_off, 0, f->port_size);
}

/* The first entry of an address list (its parts' offsets are an
 * entry's). */
static void put_ip_first(const struct fieldset *fs, char *ev, const char *name,
			 __u32 a)
{
	const struct field *f = bench_field(fs, name);

	memcpy(ev + f->off + f->addr_off, &a, 4);
	ev[f->off + f->ver_off] = 4;
}

/* The client port of query q (fresh: new ones, else 16 in turn). */
static __u16 client_port(long q, bool fresh)
{
	/* fresh: 977 and the 28232 ports of Linux's ephemeral range
	 * (32768-60999) are coprime: no port twice in 28232 queries */
	return (__u16)(32768 + 977 * (fresh ? q % 28232 : q % 16));
}

/* Event i of a query/response exchange seen at four hops. */
static void fill(const struct fieldset *fs, char *ev, int i)
{
	int hop = i & 3, q = i >> 2, resp = hop >= 2;
	int client = hop == 0 || hop == 3;
	__u32 cli = 0x0100630a, srv = 0x0200630a; /* 10.99.0.1, .2 */
	__u16 cport = client_port(q, false);

	bench_put(fs, ev, "timestamp_raw", 25592168198355ULL);
	bench_put(fs, ev, "netns_id", client ? 4026532246U : 4026532177U);
	bench_put(fs, ev, "id", (__u16)(q * 7919));
	bench_put(fs, ev, "pkt_type_raw",
		  client ? (resp ? 0 : 4) : (resp ? 4 : 0));
	put_ip(fs, ev, "src", resp ? srv : cli);
	put_ip(fs, ev, "dst", resp ? cli : srv);
	bench_put(fs, ev, "src.port", resp ? 53 : cport);
	bench_put(fs, ev, "dst.port", resp ? cport : 53);
	bench_put(fs, ev, "src.proto_raw", 17);
	bench_put(fs, ev, "dst.proto_raw", 17);
	put_str(fs, ev, "proc.comm", client ? "dnsperf" : "dnsmasq");
	bench_put(fs, ev, "proc.pid", client ? 21827 : 21800);
	bench_put(fs, ev, "proc.tid", client ? 21830 + (q & 3) : 21800);
	bench_put(fs, ev, "proc.mntns_id", client ? 4026532318U : 4026532315U);
	bench_put(fs, ev, "proc.creds.uid", 0);
	bench_put(fs, ev, "proc.creds.gid", client ? 0 : 30);
	put_str(fs, ev, "proc.parent.comm", client ? "bash" : "systemd");
	bench_put(fs, ev, "proc.parent.pid", client ? 21785 : 1);
	bench_put(fs, ev, "proc.parent.tid", client ? 21785 : 1);
	put_ip(fs, ev, "nameserver", srv);
	bench_put(fs, ev, "qr_raw", resp);
	bench_put(fs, ev, "aa", 0);
	bench_put(fs, ev, "qtype_raw", 1);
	bench_put(fs, ev, "qclass", 1);
	bench_put(fs, ev, "num_answers", resp);
	bench_put(fs, ev, "rd", 1);
	bench_put(fs, ev, "ra", resp);
	put_str(fs, ev, "name",
		q % 3 ? "host17.bench.test." : "www.example.com.");
	if (resp) {
		put_ip_first(fs, ev, "addresses", 0x0302010a);
		bench_put(fs, ev, "latency_ns_raw", 41000 + 7919 * q);
		bench_put(fs, ev, "ttl", 600);
	}
}

#define CTR_ID \
	"3f4e1b2a9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f"
#define SANDBOX_ID \
	"5b0e1b2a9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f"

/* A docker container's config.v2.json in root; labels: its own. */
static int put_docker(const char *root, const char *id, const char *labels)
{
	char dir[256], path[300], text[1024];

	snprintf(dir, sizeof(dir), "%s/var/lib/docker/containers/%s", root, id);
	snprintf(path, sizeof(path), "%s/config.v2.json", dir);
	snprintf(text, sizeof(text),
		 "{\"Name\":\"/k8s_web_web-prod-7d9c6b8f5d-x2x9k_prod_u1_0\","
		 "\"Config\":{\"Image\":\"web:1\",\"Labels\":{%s}}}",
		 labels);
	return mkdir_p(dir, 0755, NULL) ||
	       write_file_atomic(path, text, strlen(text), 0644, NULL);
}

/*
 * -c: the client's mount namespace is a docker container's, as the exec
 * hook tells it; -k: that container is pod web-prod-7d9c6b8f5d-x2x9k's
 * (namespace prod), as cri-dockerd makes them, with POD_LABELS.
 */
static int bench_container(struct containers *ctrs, const char *root, bool pod)
{
	struct containers_note note = { .mntns = 4026532318U, .depth = 2 };

	if (pod &&
	    (put_docker(
		     root, CTR_ID,
		     "\"io.kubernetes.pod.name\":\"web-prod-7d9c6b8f5d-x2x9k\","
		     "\"io.kubernetes.pod.namespace\":\"prod\","
		     "\"io.kubernetes.pod.uid\":\"u1\","
		     "\"io.kubernetes.container.name\":\"web\","
		     "\"io.kubernetes.docker.type\":\"container\","
		     "\"io.kubernetes.sandbox.id\":\"" SANDBOX_ID "\"") ||
	     put_docker(root, SANDBOX_ID, POD_LABELS_JSON)))
		return -1;
	snprintf(note.names[0], sizeof(note.names[0]), "docker-%s.scope",
		 CTR_ID);
	strcpy(note.names[1], "system.slice");
	return containers_handle_note(ctrs, &note);
}

int main(int argc, char **argv)
{
	const char *expr = NULL, *layout = NULL, *selector = NULL,
		   *names = NULL;
	const char *mode, *path, *ports;
	struct filter *filter = NULL;
	struct k8s_select *sel = NULL;
	long n, shown = 0;
	bool stub, fresh, in_ctr = false;
	int opt;

	while ((opt = getopt(argc, argv, "cF:n:t:k:")) != -1) {
		if (opt == 'c')
			in_ctr = true;
		else if (opt == 'F')
			expr = optarg;
		else if (opt == 'n')
			names = optarg;
		else if (opt == 't')
			layout = optarg;
		else if (opt == 'k')
			selector = optarg;
		else
			return 2;
	}
	argc -= optind - 1;
	argv += optind - 1;
	mode = argc > 1 ? argv[1] : "json";
	n = argc > 2 ? atol(argv[2]) : 2000000;
	path = argc > 3 ? argv[3] : "/dev/null";
	ports = argc > 4 ? argv[4] : "fixed";
	stub = !strcmp(ports, "stub");
	fresh = stub || !strcmp(ports, "fresh");
	const char *obj = "build/gadget/trace_dns/program.bpf.o";
	const char *yml = "gadget/trace_dns/gadget.yaml";
	char root[] = "/tmp/render-cost-XXXXXX";
	struct containers *ctrs = NULL;
	struct bench_events b;
	struct fieldset *fs;
	struct output *out = NULL;
	struct error *err = NULL;
	char *evs;
	size_t esz;
	const struct field *ts, *sport, *dport;
	__u64 t_ev = 25592168198355ULL;
	enum output_mode omode;
	double t0, t;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (output_mode_parse(mode, &omode) < 0 || omode == OUTPUT_PCAPNG) {
		fprintf(stderr, "render_cost: mode: json, jsonpretty, yaml or "
				"columns\n");
		return 2;
	}
	if (!fresh && strcmp(ports, "fixed")) {
		fprintf(stderr, "render_cost: ports: fixed, fresh or stub\n");
		return 2;
	}
	if (fd < 0 || !mkdtemp(root) || !(ctrs = containers_new(root))) {
		fprintf(stderr, "render_cost: %s\n", fd < 0 ? path : root);
		return 1;
	}
	if ((in_ctr || selector) && bench_container(ctrs, root, selector)) {
		fprintf(stderr, "render_cost: no container\n");
		return 1;
	}
	if (!bench_events_open_as(obj, yml, layout, &b, &err))
		fieldset_set_containers(b.fs, ctrs);
	if (!err && expr)
		filter_add(&filter, b.fs, expr, &err);
	if (!err && names)
		filter_add_names(&filter, b.fs, "runtime.containerName", names,
				 &err);
	if (!err && selector &&
	    !k8s_select_add(&sel, K8S_SELECT_NAMESPACE, "prod,default", &err))
		k8s_select_add(&sel, K8S_SELECT_LABELS, selector, &err);
	if (err || output_new(b.fs, omode, fd, &out, &err)) {
		fprintf(stderr, "render_cost: %s\n", error_msg(err));
		return 1;
	}
	fs = b.fs;
	esz = fieldset_event_size(fs);
	evs = calloc(N_EV, esz);
	for (int i = 0; i < N_EV; i++)
		fill(fs, evs + i * esz, i);
	ts = bench_field(fs, "timestamp_raw");
	sport = bench_field(fs, "src.port");
	dport = bench_field(fs, "dst.port");
	if (sport->size != 2 || dport->size != 2) {
		fprintf(stderr, "render_cost: ports are not 16 bits\n");
		return 1;
	}
	output_header(out);
	t0 = bench_cpu_now();
	for (long i = 0; i < n; i++) {
		/* query q's event at hop (stub: 0 and 3, the client's) */
		long q = stub ? i >> 1 : i >> 2;
		int hop = stub ? (int)(i & 1) * 3 : (int)(i & 3);
		char *ev = evs + ((q % 16) * 4 + hop) * esz;
		__u16 port = client_port(q, fresh);

		t_ev += 12500;
		memcpy(ev + ts->off, &t_ev, 8);
		/* the client's end: src of the query, dst of the response */
		memcpy(ev + (hop < 2 ? sport : dport)->off, &port, 2);
		if (!filter_match(filter, ev))
			continue;
		if (sel && !k8s_select_event(sel, fs, ev))
			continue;
		shown++;
		output_event(out, ev, esz);
		if ((i & 1023) == 1023) /* the runner: once per ring drain */
			output_flush(out);
	}
	output_flush(out);
	t = bench_cpu_now() - t0;
	printf("%s: %.0f ns/event; %ld events to %s, %s ports", mode,
	       t / n * 1e9, n, path, ports);
	if (filter || sel)
		printf(", %ld shown", shown);
	printf("\n");
	output_free(out);
	filter_free(filter);
	k8s_select_free(sel);
	bench_events_free(&b);
	containers_free(ctrs);
	rmdir(root);
	free(evs);
	close(fd);
	return 0;
}
