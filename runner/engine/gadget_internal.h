/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gadget object inside the engine: what gadget.c (open, params,
 * load and attach) and gadget_stream.c (counters, events, polling)
 * share.  Not for other parts: they use gadget.h.
 */
#ifndef RUNNER_ENGINE_GADGET_INTERNAL_H
#define RUNNER_ENGINE_GADGET_INTERNAL_H

#include <time.h>

#include <bpf/libbpf.h>

#include "runner/engine/gadget.h"
#include "runner/engine/ringread.h"

#define MAPITER_INTERVAL_MS 1000 /* ig's default map-fetch-interval */
#define COUNTER_PREFIX "gadget_counter_" /* GADGET_COUNTER */
#define MAX_TRACERS 8
#define MAX_PARAMS 64
#define MAX_LINKS 64
#define MAX_SOCKET_PROGS 8
#define MAX_SAMPLED 8 /* perf_event programs with their own sampling */

/* When a map iterator is fetched (gadget_set_fetch()). */
struct fetch_plan {
	double interval; /* seconds, 0: never on time */
	unsigned long count, done; /* count 0: no limit */
	bool flush; /* at the end too */
	double next; /* CLOCK_MONOTONIC seconds, 0: not on time */
};

struct subscription {
	gadget_event_fn fn;
	void *ctx;
	struct gadget *g;
};

struct gadget {
	struct bpf_object *obj;
	const struct btf *btf;
	struct gadget_tracer tracers[MAX_TRACERS];
	char *tracer_names[MAX_TRACERS]; /* owns name/map/type strings */
	size_t n_tracers;
	struct gadget_param params[MAX_PARAMS];
	char *pf_var[MAX_PARAMS], *pf_expr[MAX_PARAMS]; /* packet filters */
	size_t n_params;
	struct bpf_map *rodata_map;
	void *rodata; /* copy of .rodata's initial value, set before load */
	struct bpf_map *mntns_filter; /* gadget_filter_by_mntns set */
	size_t rodata_size;
	struct bpf_link *links[MAX_LINKS];
	size_t n_links;
	struct netns_set *netns;
	struct ringread *rr; /* its ring buffers */
	struct perf_buffer *pbs[MAX_TRACERS];
	struct subscription subs[MAX_TRACERS];
	__u64 perf_lost;
	int lost_fd;
	struct services *svc; /* what ig's gadgets expect of their host */
	char *sampled[MAX_SAMPLED]; /* perf_event sections with ... */
	struct perf_sampling sampling[MAX_SAMPLED]; /* ... their sampling */
	size_t n_sampled;
	/* gadget.yaml programs.<name>.attach_to: attach there instead */
	struct bpf_program *retarget[MAX_LINKS];
	char *retarget_to[MAX_LINKS];
	size_t n_retarget;
	struct btf *ext_btf; /* split BTF: map iterator records */
	struct btf *ext_base; /* its base, a copy of btf */
	struct mapiter *mapiters[MAX_TRACERS];
	struct fetch_plan fetch[MAX_TRACERS];
	double next_fetch; /* the earliest plan's next, 0: none */
	/* BTF for CO-RE, held until load: the kernel's cut down (btf_min.h)
	 * or the socket enricher's (services_socket_btf()); -1: libbpf's */
	int btf_min_fd;
	char *vmlinux_needs; /* btf_vmlinux_needs(), or NULL */
	struct btf_vmlinux_ahead *vmlinux_ahead; /* that BTF read ahead */
	bool par; /* programs loaded two at a time (progpar.h) */
	size_t n_par; /* how many of them by progpar's thread */
	struct mapahead *ahead; /* its maps made ahead, or NULL */
	char *iface; /* tc classifiers only there (ig's --iface), or NULL */
	bool selective; /* gadget_select_containers() */
	bool selective_host; /* its host */
	gadget_netns_walk netns_walk; /* NULL: the runner's namespace */
	void *netns_walk_ctx;
};

static inline double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
