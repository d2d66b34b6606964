/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One run of a gadget, the engine's face to the CLI: open the program with
 * its metadata, set params, choose fields, add filters, start (load,
 * attach, outputs), run until stopped, read the counts.  Each data source
 * of the program gets its fields, filter and output here.
 */
#ifndef RUNNER_ENGINE_SESSION_H
#define RUNNER_ENGINE_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "common/error.h"
#include "runner/engine/output.h"

struct fieldset;
struct gadget_metadata;
struct metadata_doc;
struct metrics;
struct session;

/*
 * Describe the eBPF ELF (elf, len) with its gadget.yaml model md, named
 * name; apply md's param defaults and build every data source's fields,
 * those of env.fields.* annotations from the environment variables
 * env_vars allows (--env-vars, ig's env operator: fieldset_new_env();
 * NULL as "").  No kernel work yet (session_load_ahead()).
 */
int session_open(const void *elf, size_t len, const struct gadget_metadata *md,
		 const char *name, const char *env_vars, struct session **out,
		 struct error **err);
/*
 * It is to run (its flags applied, none refused): start the kernel work
 * that can be done before session_start() (gadget_load_ahead(): maps made,
 * the kernel's BTF read), beside the rest of the start-up.
 */
void session_load_ahead(struct session *s);
/*
 * session_open() to describe the gadget only (session_datasources_json(),
 * params): nothing of the host is started (no container tracker, no
 * symbols), and it is not to be started.
 */
int session_describe_open(const void *elf, size_t len,
			  const struct gadget_metadata *md, const char *name,
			  const char *env_vars, struct session **out,
			  struct error **err);
/* Flushes the outputs, detaches everything and frees; s may be NULL. */
/* Lay columns out for this many terminal columns (as $COLUMNS asks),
 * whether or not the output is a terminal; 0: as the output finds it. */
void session_set_term_width(struct session *s, int width);

/*
 * What session_open() checks of an image, and nothing more (no kernel, no
 * host): the program's tracers and params, every annotation and default
 * of md against its BTF.  `image build` refuses what `run` would, but for
 * env.fields.* (every variable allowed: --env-vars is the run's).  elf
 * must have passed objinfo_check() (build checks it before its own open).
 */
int session_validate(const void *elf, size_t len,
		     const struct gadget_metadata *md, const char *name,
		     struct error **err);
/*
 * What ig's `image build --update-metadata` adds to gadget.yaml from the
 * program (types.Populate): the placeholders of name, description and the
 * URLs, every data source with the members of its struct (a map
 * iterator's key and value), every GADGET_PARAM; doc keeps what it has.
 * elf must have passed objinfo_check().
 */
int session_populate_metadata(const void *elf, size_t len, const char *name,
			      struct metadata_doc *doc, struct error **err);
void session_free(struct session *s);

/*
 * The privileges every gadget needs (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN),
 * before there is a gadget: a run that would first pull its image fails
 * here, as it would after the pull.  session_start() checks the rest.
 */
int session_check_privileges(struct error **err);

/* Where dockerd keeps its data, for runtime.* (NULL: /var/lib/docker). */
void session_set_docker_root(struct session *s, const char *dir);
/* The Kubernetes node's name for k8s.node (NULL: the host name). */
void session_set_node(struct session *s, const char *node);
/* The gadget's ring buffers this many bytes instead of what it declares. */
int session_set_ring_size(struct session *s, unsigned int bytes,
			  struct error **err);

/* Params, in program order: flag name, description and default. */
size_t session_param_count(const struct session *s);
void session_param_info(const struct session *s, size_t i, const char **key,
			const char **desc, const char **def);
/* Is param i a bool, whose flag may go without a value (true)? */
bool session_param_is_bool(const struct session *s, size_t i);
/* Set param i from its text; the error names the flag (--key). */
int session_param_set(struct session *s, size_t i, const char *value,
		      struct error **err);

/* --fields for every data source: "a,b" replaces, "+a,-b" edits. */
int session_select_fields(struct session *s, const char *spec,
			  struct error **err);
/* -F EXPR for every data source (the rules AND). */
int session_add_filter(struct session *s, const char *expr, struct error **err);
/* -E/--filter-expr TEXT (filter_expr.h), ANDed with the rest, for every
 * data source it compiles on (one that has the fields it names); the
 * first one's error when none. */
int session_add_filter_expr(struct session *s, const char *text,
			    struct error **err);
/* On a Kubernetes node: the k8s.* columns lead (before --fields). */
void session_set_kubernetes(struct session *s);
/* -c/--containername: only events of the containers list selects
 * (name_list.h; runtime.containerName), in every data source that has
 * that field; names of at most SESSION_CONTAINER_NAME_MAX bytes. */
#define SESSION_CONTAINER_NAME_MAX 276
int session_select_containers(struct session *s, const char *list,
			      struct error **err);
/* --host=false: containers' events only (a filter on runtime.containerId),
 * as ig without --host. */
int session_containers_only(struct session *s, struct error **err);
/* --host given: as ig's beside a selection, its events are not filtered
 * by it, and the host is attached as the selected containers are
 * (struct container_select's host); before the selection flags. */
void session_show_host(struct session *s);
/* --k8s-namespace, --k8s-podname, --k8s-containername, --k8s-selector:
 * key is an enum k8s_select_key, value a comma list (k8s_select.h); the
 * flags AND, and one given again replaces its list. */
int session_select_pods(struct session *s, int key, const char *value,
			struct error **err);
/* --containerimage-id, --containerimage-digest: key is an enum
 * image_select_key, list a comma list (image_select.h); the containers'
 * images are read as each is found from then on. */
/* -r/--runtimes: only containers of these runtimes are known, as in ig
 * (containers_set_runtimes()); list checked by the caller. */
int session_select_runtimes(struct session *s, const char *list,
			    struct error **err);
/* ig's --containerd-namespace (containers_set_containerd_ns()). */
int session_set_containerd_ns(struct session *s, const char *ns,
			      struct error **err);
int session_select_images(struct session *s, int key, const char *list,
			  struct error **err);
/* The FIELDS sections of `runner run IMAGE --help`. */
/* ig's --filter.DS and --filter-expr.DS: -F EXPR and -E TEXT for data
 * source i only. */
int session_add_filter_to(struct session *s, size_t i, const char *expr,
			  struct error **err);
int session_add_filter_expr_to(struct session *s, size_t i, const char *text,
			       struct error **err);
/* ig's --trace-pipe: from the start, the kernel's trace pipe on stderr
 * (trace_pipe.h). */
void session_set_trace_pipe(struct session *s);
void session_describe(const struct session *s, FILE *out);
/* Its OUTPUT MODES section: each data source's modes, its default marked. */
void session_describe_modes(const struct session *s, FILE *out);

/*
 * The data sources as ig's `image inspect --show-datasources` shows them
 * (its api.DataSource array, sorted by name): name, type (1 a stream, 2
 * arrays: snapshots, map iterators), fields (fieldset_ig_fields()),
 * gadget.yaml's annotations, as a JSON array (the caller's); NULL + err.
 */
json_t *session_datasources_json(const struct session *s, struct error **err);

/*
 * -o: the output mode of each data source, as ig's cli operator chooses
 * it (session_output.c): spec "mode" for every data source, "ds:mode,..."
 * per data source, NULL: each one's default (its gadget.yaml annotations
 * cli.default-output-mode, cli.supported-output-modes).  A data source
 * that does not support its mode prints nothing (a notice says so, as
 * ig's warning); a mode that none supports is an error.  Also reads
 * cli.clear-screen-before.
 */
int session_set_output(struct session *s, const char *spec, struct error **err);
/*
 * Check the host, load and attach, make an output per data source on fd
 * (in the modes session_set_output() chose, or each one's default) with
 * its header (columns, pcap-ng's section header), which session_run()
 * writes first.  After this the program is tracing; nothing is written.
 */
int session_start(struct session *s, int fd, struct error **err);

struct session_limits {
	unsigned long timeout_s; /* 0: none */
	unsigned long long max_events; /* 0: none */
	/* set (by a signal handler) to stop; read between polls */
	const volatile sig_atomic_t *stop;
};
/*
 * Write the headers, print the snapshots, then stream events until a
 * limit, *stop or a broken output; then drain what the kernel holds
 * unless a limit was hit.  Once *stop is set, a write that waits on a
 * reader who does not read ends within a second (the rest dropped).
 */
int session_run(struct session *s, const struct session_limits *lim,
		struct error **err);

/* The data sources: how many, their names and fields. */
size_t session_source_count(const struct session *s);
const char *session_source_name(const struct session *s, size_t i);
const struct fieldset *session_source_fields(const struct session *s, size_t i);
/*
 * Before session_start(): count data source i's events (those its filter
 * keeps) into m (may be NULL); quiet: do not print them.
 */
void session_set_metrics(struct session *s, size_t i, struct metrics *m,
			 bool quiet);
/*
 * Called between polls with the monotonic time; < 0 stops the run.  It
 * lowers *next to the time it must be called again by (it is called at
 * least once a second); what it waits for besides time comes as input on
 * wake_fd (-1: none), which also ends a poll's wait.
 */
typedef int (*session_tick_fn)(void *ctx, double now, double *next);
void session_set_tick(struct session *s, session_tick_fn fn, void *ctx,
		      int wake_fd);
/*
 * While the reader falls behind (a ring buffer more than half full), run
 * the process at nice value lag_nice, if that is higher priority than the
 * one it started with; back to that one after 2 seconds below
 * half.  Best effort: without CAP_SYS_NICE nothing changes.
 */
void session_set_lag_nice(struct session *s, int lag_nice);

/* Events printed and events lost so far. */
void session_stats(const struct session *s, unsigned long long *events,
		   unsigned long long *lost);

/* At most this many of a gadget's GADGET_COUNTERs are told. */
#define SESSION_COUNTERS 8
/* The i-th counter of the gadget (GADGET_COUNTER): name and value so far;
 * -1 past the last. */
int session_counter(const struct session *s, size_t i, const char **name,
		    unsigned long long *value);

#endif
