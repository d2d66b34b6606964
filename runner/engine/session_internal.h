/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The session inside: what session.c (sources, events, the run) and
 * session_ops.c (ig's operator params for array data sources) share.  Not
 * for other parts: they use session.h.
 */
#ifndef RUNNER_ENGINE_SESSION_INTERNAL_H
#define RUNNER_ENGINE_SESSION_INTERNAL_H

#include <stdbool.h>
#include <linux/types.h>

#include "runner/engine/container_select.h"
#include "runner/engine/session.h"

#define SESSION_MAX_OPS 5

struct batch;
struct containers;
struct fieldset;
struct filter;
struct gadget;
struct gadget_metadata;
struct gadget_tracer;
struct metrics;
struct output;
struct record_pad;
struct stacks;

/* One data source of the program and where its events go. */
struct source {
	struct session *s;
	const struct gadget_tracer *tracer;
	struct fieldset *fs;
	struct filter *filter;
	struct output *out;
	struct record_pad *pad; /* short records, read as whole ones */
	int time_field; /* the events' time (fieldset_time_field()) */
	struct batch *batch; /* an array data source's batch, else NULL */
	__u64 fetch_ns; /* a map iterator's --map-fetch-interval */
	unsigned long fetch_count; /* and --map-fetch-count */
	struct metrics *metrics; /* NULL: none */
	bool quiet; /* metrics only: no events printed */
	/* session_output.c: its -o mode, or none (no_output), as ig's cli
	 * operator chooses; whether -o named it; whether its columns clear
	 * the screen before each batch (cli.clear-screen-before) */
	enum output_mode mode;
	bool no_output, mode_given, clear_screen;
	unsigned long long seen; /* quiet: events that passed the filter */
	/* filter_gave_up() of -F's rules, of -E, last told */
	unsigned long long gave_up_told[2];
};

struct session {
	struct gadget *g;
	const struct gadget_metadata *md;
	struct containers *ctrs; /* NULL without runtime.* fields or tc */
	struct stacks *stacks; /* NULL without stack fields */
	bool describe_only; /* session_describe_open(): never started */
	struct container_select sel; /* -c, --k8s-*, images, --host=false */
	struct uprobes *uprobes; /* selective (gadget_select_containers()) */
	struct tc_set *tc; /* the gadget's tc classifiers, for containers */
	int pods_fd; /* the gadget's mount namespace filter (pods_in_kernel) */
	int pods_netns_fd; /* the exec hook's selected network namespaces */
	bool pods_in_kernel; /* the selection applies in the kernel too */
	struct source *src;
	size_t n_src;
	size_t n_streams; /* tracers (not snapshots, not map iterators) */
	unsigned long long count, max;
	__u64 lost, lost_seen;
	__u64 counted[SESSION_COUNTERS]; /* GADGET_COUNTERs, as last told */
	bool broken; /* an output failed: stop, drain nothing */
	bool output_chosen; /* session_set_output() was called */
	int term_width; /* columns: 0 as the output finds it */
	session_tick_fn tick;
	void *tick_ctx;
	int tick_fd; /* -1: none */
	bool tick_fd_watched;
	double tick_next; /* the tick's *next: when to call it again */
	bool pace; /* session_set_lag_nice() */
	bool raised; /* at lag_nice now */
	int lag_nice, base_nice;
	double calm_since; /* raised: first poll below half full, or 0 */
	/* ig's operator params that apply (session_ops.c): flags after
	 * the gadget's params */
	size_t n_ops;
	bool trace_pipe_wanted; /* --trace-pipe */
	struct trace_pipe *trace_pipe;
	int ops[SESSION_MAX_OPS];
};

/* The operator params that apply to s's data sources, their defaults
 * (gadget.yaml paramDefaults, else ig's) set. */
int session_ops_open(struct session *s, struct error **err);
/* Op param i (counted after the gadget's): flag, description, default. */
void session_op_info(const struct session *s, size_t i, const char **key,
		     const char **desc, const char **def);
int session_op_set(struct session *s, size_t i, const char *value,
		   struct error **err);
/* Map iterators fetched as the params say (before they subscribe). */
int session_ops_start(struct session *s, struct error **err);

#endif
