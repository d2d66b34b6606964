/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What Inspektor Gadget's gadgets expect from their host, provided without
 * kprobes: the socket enricher behind gadget_sockets (and the struct
 * layout CO-RE relocates gadget_socket_value against), socket filters in
 * sections libbpf 1.1 does not know ("socket1"), perf event arrays nested
 * in map-of-maps, perf_event programs (sampling every CPU) and tc
 * classifiers (on containers' interfaces and the runner's namespace's).  The gadget module calls these
 * around open, load and attach.
 */
#ifndef RUNNER_SERVICES_H
#define RUNNER_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "common/error.h"

struct bpf_object;
struct bpf_program;
struct btf;
struct services;
struct tc_set;
struct uprobes;

/* Does the object read ig's struct gadget_socket_value (CO-RE)? */
bool services_want_socket_btf(const struct btf *btf);
/*
 * A memfd holding the kernel's BTF plus the enricher's gadget_socket_value,
 * for bpf_object_open_opts.btf_custom_path (btf_min_open_fd()): nothing is
 * left in a folder when the runner is killed.  -1 with err.
 */
int services_socket_btf(struct error **err);

/*
 * How a perf_event program samples (perf_event_attr): ig's gadget.yaml
 * programs.<name>.perf and .sampler; without them the software CPU clock
 * at SERVICES_PERF_FREQ samples a second, as ig's profile_cpu asks.
 */
struct perf_sampling {
	__u32 type; /* PERF_TYPE_* */
	__u64 config; /* PERF_COUNT_* */
	__u64 sample_type; /* PERF_SAMPLE_* */
	__u64 freq; /* samples a second on each CPU */
};
#define SERVICES_PERF_FREQ 49

/* Before load: program types, map sizes, the shared socket map. */
int services_prepare(struct bpf_object *obj, struct services **out,
		     struct error **err);
/* Is p attached by services_attach() rather than by libbpf? */
bool services_attaches(const struct bpf_program *p);
/* After load: perf_event programs (sampling[i] for the program in
 * section secs[i], the default for others) and tc classifiers
 * (runner/engine/tc.h): on the interface iface of this network namespace
 * (ig's --iface), NULL or "": on every one unless the run selects
 * containers; containers' through services_tc(). */
int services_attach(struct services *s, struct bpf_object *obj,
		    const char *const *secs,
		    const struct perf_sampling *sampling, size_t n,
		    const char *iface, struct error **err);
/* The run selects containers: uprobes named by library only where told
 * (uprobes_new()'s selective), tc classifiers only on containers'
 * interfaces (but --iface); with host (ig's --host beside a selection),
 * the host's libraries and this namespace's interfaces as well; before
 * services_attach(). */
void services_select_containers(struct services *s, bool host);
/* The tc classifiers once attached, for tc_container(); NULL: none. */
struct tc_set *services_tc(const struct services *s);
/* Those uprobes once attached; NULL: none (s NULL too). */
struct uprobes *services_uprobes(const struct services *s);
/* Does obj have a tc classifier (which services_attach() attaches)? */
bool services_has_tc(struct bpf_object *obj);
/* Detach, stop the enricher; accepts NULL. */
void services_free(struct services *s);

#endif
