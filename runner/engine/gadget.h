/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A gadget's eBPF object as the runner sees it: tracers and params found
 * from BTF marker symbols, params set in .rodata before load, programs
 * attached by their section type (socket filters in every network
 * namespace, tracepoints, raw tracepoints, iterators run once).
 */
#ifndef RUNNER_GADGET_H
#define RUNNER_GADGET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "common/error.h"
#include "runner/engine/gadget_api.h"
#include "runner/engine/host.h"
#include "runner/engine/netns.h"
#include "runner/engine/services.h"

struct btf;
struct gadget;
struct tc_set;

#define GADGET_MAX_SNAPSHOT_PROGS GADGET_API_MAX_SNAPSHOT_PROGS

/* A data source: a tracer (events from a map) or a snapshotter (records
 * written by iterator programs, read once). */
struct gadget_tracer {
	const char *name; /* data source name */
	const char *map; /* tracer: ring buffer / perf array map */
	const char *type; /* event struct name */
	__u32 type_id; /* its BTF id */
	bool snapshot; /* GADGET_SNAPSHOTTER */
	bool mapiter; /* GADGET_MAPITER: a hash map fetched periodically */
	const char *progs[GADGET_MAX_SNAPSHOT_PROGS]; /* its iterators */
};

struct gadget_param {
	const char *var; /* variable in .rodata */
	__u32 type_id; /* its BTF type (resolved later by the caller) */
	size_t offset, size;
	bool pf; /* not in .rodata: a packet filter "pf[-name]" */
};

/* Open an ELF from memory and describe it (nothing is loaded yet). */
int gadget_open(const void *elf, size_t len, const char *name,
		struct gadget **out, struct error **err);
/* gadget_open() of an ELF objinfo_check() has passed already. */
int gadget_open_checked(const void *elf, size_t len, const char *name,
			struct gadget **out, struct error **err);
/* Start making its maps that are final already, on a thread (mapahead.h),
 * and reading the kernel's BTF its load needs (btf_vmlinux.h), for
 * gadget_start() to load with, its programs then verified two at a time
 * (progpar.h): when it is sure to be loaded. */
void gadget_load_ahead(struct gadget *g);
/* Whether map name was made ahead (for tests). */
bool gadget_map_made_ahead(const struct gadget *g, const char *name);
/* How many programs gadget_start() had verified beside the others
 * (progpar.h: after gadget_load_ahead(); for tests). */
size_t gadget_progs_in_parallel(const struct gadget *g);
void gadget_free(struct gadget *g);

const struct btf *gadget_btf(const struct gadget *g);
size_t gadget_tracer_count(const struct gadget *g);
const struct gadget_tracer *gadget_tracer(const struct gadget *g, size_t i);
size_t gadget_param_count(const struct gadget *g);
const struct gadget_param *gadget_param(const struct gadget *g, size_t i);

/*
 * Set param i from its textual value: bool ("true"/"false"), integers
 * (range-checked, 0x.. accepted), enums (by number), strings (char arrays),
 * comma-separated integer lists (arrays; the rest zero-filled), IP
 * addresses (union gadget_ip_addr_t, struct gadget_l3endpoint_t).
 */
int gadget_param_set(struct gadget *g, size_t i, const char *value,
		     struct error **err);
/* The bytes param i will be loaded with (param->size of them). */
const void *gadget_param_data(const struct gadget *g, size_t i);

/*
 * gadget/mntns_filter.h: a program with gadget_filter_by_mntns (.rodata)
 * and gadget_mntns_filter_map keeps only the mount namespaces put in that
 * map once the flag is on.  Turn it on (before gadget_start()), with the
 * map reusing map_fd when it is not -1 and has the same layout; false if
 * the program has no such filter.
 */
bool gadget_mntns_filter_enable(struct gadget *g, int map_fd);
/*
 * gadget/rest.h: nothing reads the bytes after the event struct (ebpf.rest),
 * so a program with gadget_rest_wanted (.rodata) may skip copying them.
 * Before gadget_start(); false if the program has no such variable.
 */
bool gadget_rest_unwanted(struct gadget *g);
/* The run selects containers: uprobes named by library only where
 * gadget_uprobes() is told to (uprobes_select()), tc classifiers only on
 * the containers gadget_tc() is told of (tc_container()); with host (ig's
 * --host beside a selection), on the host's libraries and interfaces as
 * well; before gadget_start(). */
void gadget_select_containers(struct gadget *g, bool host);
/* Those uprobes once started; NULL: none. */
struct uprobes *gadget_uprobes(const struct gadget *g);
/* Its tc classifiers once started; NULL: none. */
struct tc_set *gadget_tc(const struct gadget *g);
/* The filter map's fd once started, -1 if the filter is off. */
int gadget_mntns_filter_fd(const struct gadget *g);
/* The fd of map name once loaded, else -1. */
int gadget_map_fd(const struct gadget *g, const char *name);
/* The fd of program name once loaded, else -1. */
int gadget_prog_fd(const struct gadget *g, const char *name);

/* Has the gadget a tc classifier ("classifier/...", "tc...")? */
bool gadget_has_tc(const struct gadget *g);
/* Its tc classifiers only on interface iface (ig's --iface; NULL or "":
 * on every interface of this network namespace). */
int gadget_set_iface(struct gadget *g, const char *iface, struct error **err);
/* Has the gadget a program in section "perf_event/<name>"? */
bool gadget_samples(const struct gadget *g, const char *name);
/* Sample with that program as ps says (gadget.yaml programs.<name>),
 * before gadget_start(). */
int gadget_set_sampling(struct gadget *g, const char *name,
			const struct perf_sampling *ps, struct error **err);
/* ig's value of programs.<name>.attach_to that leaves a program out. */
#define GADGET_PROGRAM_DISABLED "gadget_program_disabled"
/*
 * gadget.yaml programs.<name>.attach_to, before gadget_start(): program
 * name (none of that name: nothing, as in ig) is not loaded when target is
 * GADGET_PROGRAM_DISABLED, else attached to target instead of what its
 * section says: a tracepoint "CATEGORY/NAME", a raw tracepoint's name, a
 * kprobe's or kretprobe's function.  Other programs attach as their
 * section says.
 */
int gadget_set_attach_to(struct gadget *g, const char *name, const char *target,
			 struct error **err);
/* Every ring buffer map of the gadget this many bytes (a power of 2, at
 * least a page), before gadget_start(); gadget_ring.c. */
int gadget_set_ring_size(struct gadget *g, __u32 bytes, struct error **err);
/* What loading and attaching will need from the host. */
void gadget_host_needs(const struct gadget *g, struct host_needs *needs);
/* Load into the kernel, attach everything, run iterators once. */
int gadget_start(struct gadget *g, struct error **err);
/* Rescan network namespaces (no-op without socket filters). */
int gadget_refresh(struct gadget *g, struct error **err);
/* The fd that wakes gadget_poll() (gadget_watch_fd()) when a mount came
 * or went, -1 without socket filters; gadget_mounted() then attaches to
 * the network namespaces bind-mounted since (netns_mounted()). */
int gadget_mounts_fd(const struct gadget *g);
int gadget_mounted(struct gadget *g, struct error **err);
/* A change gadget_mounted() has not read yet (at most NETNS_MOUNTS_GAP_MS
 * old): call it again within that. */
bool gadget_mounts_pending(const struct gadget *g);
/* The error of attaching, on a thread of its own, to a network namespace
 * at its first fork or exec (netns_noted()), if any: call it after each
 * poll. */
int gadget_noted(struct gadget *g, struct error **err);
/* Events lost so far (the gadget_lost per-CPU counter), 0 if none. */
__u64 gadget_lost(const struct gadget *g);
/* The i-th GADGET_COUNTER of a started gadget (per-CPU map
 * gadget_counter_<name>): its name and sum; -1 past the last. */
int gadget_counter(const struct gadget *g, size_t i, const char **name,
		   __u64 *value);

/* Per-record callback; return non-zero to stop consuming.  For an array
 * data source (a snapshot, a map iterator), data NULL ends a batch: the
 * records of one run of its iterators, or of one fetch of its map. */
typedef int (*gadget_event_fn)(void *ctx, const void *data, size_t size);
/* Subscribe to tracer i's events. */
int gadget_subscribe(struct gadget *g, size_t i, gadget_event_fn fn, void *ctx,
		     struct error **err);
/*
 * Where iterators that walk a network namespace's sockets (iter/tcp,
 * iter/udp, iter/unix, iter/netlink, iter/ipv6_route) run: walk calls
 * visit once per namespace (netns_each(): every one of the host's, or
 * the selected containers'), and each is made and read there.  Without
 * it, or for other iterators: in the runner's own namespace.
 */
typedef int (*gadget_netns_walk)(void *ctx, netns_visit_fn visit, void *vctx,
				 struct error **err);
void gadget_set_netns_walk(struct gadget *g, gadget_netns_walk walk, void *ctx);
/* Has the gadget (loaded) iterators of that kind? */
bool gadget_iters_per_netns(const struct gadget *g);
/* Run snapshotter i's iterators and pass each record to fn, then NULL. */
int gadget_snapshot(struct gadget *g, size_t i, gadget_event_fn fn, void *ctx,
		    struct error **err);
/*
 * When map iterator i is fetched (before gadget_subscribe()), as ig's
 * map-fetch-interval and map-fetch-count: every interval_ns (0: never on
 * time), at most count times (0: no limit; interval 0 and count 1: once,
 * at the start); flush: once more at the end of the run (gadget_flush())
 * unless count was reached (ig's ebpf.map.flush-on-stop).  The default:
 * every second, no limit, no flush.
 */
void gadget_set_fetch(struct gadget *g, size_t i, __u64 interval_ns,
		      unsigned long count, bool flush);
/* Is a subscribed map iterator still to be fetched (its count not
 * reached)? */
bool gadget_fetching(const struct gadget *g);
/* The last fetch of the map iterators that flush at the end. */
int gadget_flush(struct gadget *g, struct error **err);
/* Wait up to timeout_ms for events, then consume all that are ready;
 * after a quiet spell, up to idle_ms if longer, for ring buffers whose
 * next record wakes the reader (ringread_poll()). */
int gadget_poll(struct gadget *g, int timeout_ms, int idle_ms,
		struct error **err);
/* Also end gadget_poll()'s wait when fd has new input; -1 without ring
 * buffers to wait on (after gadget_subscribe()). */
int gadget_watch_fd(struct gadget *g, int fd);
/* How far behind the polls since the last call found the ring buffers:
 * the fullest one's unread part, in 64ths of its size (0 without ring
 * buffers). */
unsigned gadget_backlog(struct gadget *g);

#endif
