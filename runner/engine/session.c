// SPDX-License-Identifier: Apache-2.0
/*
 * A run of a gadget: the gadget (gadget.c), and per data source its fields
 * (fields.c), filter (filter.c) and output (output.c); the containers
 * behind runtime.* fields (containers.c); the host it needs (host.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common/cleanup.h"
#include "common/goparse.h"
#include "common/grow.h"
#include "common/json.h"
#include "metadata/metadata.h"
#include "runner/engine/batch.h"
#include "runner/engine/btf_name.h"
#include "runner/engine/containers.h"
#include "runner/engine/k8s_select.h"
#include "runner/engine/image_select.h"
#include "runner/engine/name_list.h"
#include "runner/engine/fields.h"
#include "runner/engine/filter.h"
#include "runner/engine/gadget.h"
#include "runner/engine/host.h"
#include "runner/engine/log.h"
#include "runner/engine/metrics.h"
#include "runner/engine/param_value.h"
#include "runner/engine/record.h"
#include "runner/engine/session.h"
#include "runner/engine/stacks.h"
#include "runner/engine/tc.h"
#include "runner/engine/trace_pipe.h"
#include "runner/engine/uprobes.h"

#include "runner/engine/session_internal.h"

/* How long one poll waits for events, in milliseconds. */
#define POLL_MS 10
/* The fill (64ths of a ring) that raises the priority, and the seconds
 * below it before it is lowered again (session_set_lag_nice()). */
#define LAG_FILL 32
#define LAG_CALM_S 2

/*
 * The params of ig's gadget API (gadget/filter.h, gadget/user_stack_map.h)
 * have well-known flags, as in ig (pkg/operators/ebpf/params.go): a
 * variable of that name whose type is (or is a typedef of) that type;
 * unless the gadget's metadata names them otherwise.
 */
static const struct {
	const char *var, *type, *key, *description;
} well_known[] = {
	{ "targ_pid", "gadget_pid", "pid",
	  "Show only events of this process id" },
	{ "targ_tid", "gadget_tid", "tid",
	  "Show only events of this thread id" },
	{ "targ_uid", "gadget_uid", "uid", "Show only events of this user id" },
	{ "targ_gid", "gadget_gid", "gid",
	  "Show only events of this group id" },
	{ "targ_comm", "gadget_comm", "comm",
	  "Show only events of processes with this name" },
	{ "collect_ustack", "bool", "collect-ustack",
	  "Collect the user stack of each event" },
	{ "collect_build_id", "bool", "collect-build-id",
	  "Collect the build ids of user stacks" },
	{ "collect_otel_stack", "bool", "collect-otel-stack",
	  "Collect OpenTelemetry stacks" },
};

/* ig's full name of a gadget param's flag */
#define PARAM_PREFIX "operator.oci.ebpf."

void session_param_info(const struct session *s, size_t i, const char **key,
			const char **desc, const char **def)
{
	const struct gadget_param *p = gadget_param(s->g, i);
	const struct gadget_metadata *md = s->md;
	char name[256];
	size_t j;

	if (!p)
		return session_op_info(s, i - gadget_param_count(s->g), key,
				       desc, def);
	*key = p->var;
	*desc = *def = NULL;
	if (p->pf) /* gadget/packetfilter.h */
		*desc = "Packet filter (tcpdump expression)";
	for (j = 0; j < sizeof(well_known) / sizeof(well_known[0]); j++) {
		if (!strcmp(well_known[j].var, p->var) &&
		    param_type_named(gadget_btf(s->g), p->type_id,
				     well_known[j].type)) {
			*key = well_known[j].key;
			*desc = well_known[j].description;
		}
	}
	for (j = 0; md && j < metadata_param_count(md); j++) {
		const struct metadata_param *mp = metadata_param(md, j);

		if (strcmp(mp->var, p->var))
			continue;
		if (mp->key)
			*key = mp->key;
		if (mp->description)
			*desc = mp->description;
		*def = mp->default_value;
	}
	/* paramDefaults comes after params.ebpf, as in ig */
	snprintf(name, sizeof(name), PARAM_PREFIX "%s", *key);
	if (metadata_param_default(md, name))
		*def = metadata_param_default(md, name);
}

void session_set_docker_root(struct session *s, const char *dir)
{
	if (s->ctrs)
		containers_set_docker_root(s->ctrs, dir);
}

void session_set_node(struct session *s, const char *node)
{
	if (s->ctrs)
		containers_set_node(s->ctrs, node);
}

int session_set_ring_size(struct session *s, unsigned int bytes,
			  struct error **err)
{
	return gadget_set_ring_size(s->g, bytes, err);
}

size_t session_param_count(const struct session *s)
{
	return gadget_param_count(s->g) + s->n_ops;
}

bool session_param_is_bool(const struct session *s, size_t i)
{
	const struct gadget_param *p = gadget_param(s->g, i);

	return p && !p->pf && param_value_is_bool(gadget_btf(s->g), p->type_id);
}

int session_param_set(struct session *s, size_t i, const char *value,
		      struct error **err)
{
	const char *key, *desc, *def;

	if (i >= gadget_param_count(s->g))
		return session_op_set(s, i - gadget_param_count(s->g), value,
				      err);
	if (!gadget_param_set(s->g, i, value, err))
		return 0;
	session_param_info(s, i, &key, &desc, &def);
	return error_prefix(err, "--%s", key);
}

/* Defaults from gadget.yaml; every param it names must exist. */
static int apply_defaults(struct gadget *g, const struct gadget_metadata *md,
			  struct error **err)
{
	size_t i, j;

	for (j = 0; md && j < metadata_param_count(md); j++) {
		const struct metadata_param *mp = metadata_param(md, j);
		bool found = false;

		for (i = 0; i < gadget_param_count(g) && !found; i++) {
			if (strcmp(gadget_param(g, i)->var, mp->var))
				continue;
			found = true;
			/* "" means no default, as in ig: the program's
			 * own initial value stays */
			if (mp->default_value && *mp->default_value &&
			    gadget_param_set(g, i, mp->default_value, err))
				return error_prefix(err, "gadget.yaml default");
		}
		if (!found)
			return error_set(err, 0,
					 "gadget.yaml param %s has no "
					 "GADGET_PARAM in the program",
					 mp->var);
	}
	return 0;
}

/* gadget.yaml paramDefaults of the gadget's params (operator.oci.ebpf.KEY),
 * over their params.ebpf defaults. */
static int apply_param_defaults(struct session *s, struct error **err)
{
	for (size_t i = 0; i < gadget_param_count(s->g); i++) {
		const char *key, *desc, *def;
		char name[256];

		session_param_info(s, i, &key, &desc, &def);
		snprintf(name, sizeof(name), PARAM_PREFIX "%s", key);
		def = metadata_param_default(s->md, name);
		if (def && *def && gadget_param_set(s->g, i, def, err))
			return error_prefix(err, "gadget.yaml paramDefaults %s",
					    name);
	}
	return 0;
}

/*
 * gadget.yaml programs.<name> of a perf_event program, read as ig reads
 * it: every key given, and of perf.* the one value ig knows each.
 */
static int parse_sampling(const struct metadata_program *mp,
			  struct perf_sampling *ps, struct error **err)
{
	const struct {
		const char *key, *value, *want;
		__u64 num;
	} perf[] = {
		{ "perf.type", mp->perf_type, "software", PERF_TYPE_SOFTWARE },
		{ "perf.config", mp->perf_config, "count_sw_cpu_clock",
		  PERF_COUNT_SW_CPU_CLOCK },
		{ "perf.sampleType", mp->perf_sample_type, "sample_raw",
		  PERF_SAMPLE_RAW },
	};
	const char *f = mp->frequency;
	unsigned long long freq;

	for (size_t i = 0; i < sizeof(perf) / sizeof(perf[0]); i++) {
		if (!perf[i].value || !*perf[i].value)
			return error_set(err, 0, "%s is not given",
					 perf[i].key);
		if (strcmp(perf[i].value, perf[i].want))
			return error_set(err, 0,
					 "%s \"%s\" is not supported (as in "
					 "ig, only %s)",
					 perf[i].key, perf[i].value,
					 perf[i].want);
	}
	ps->type = (__u32)perf[0].num;
	ps->config = perf[1].num;
	ps->sample_type = perf[2].num;
	if (!f || !*f)
		return error_set(err, 0, "sampler.frequency is not given");
	/* Go's ParseUint in base 10, as ig: no space, no sign */
	if (!go_parse_uint(f, 10, &freq) || !freq)
		return error_set(err, 0,
				 "sampler.frequency \"%s\" is not a number "
				 "of samples a second (1 or more)",
				 f);
	ps->freq = freq;
	return 0;
}

/* Each program that gadget.yaml's programs name by its name attaches
 * (or not) as attach_to says; each perf_event program they name by its
 * section samples as it says. */
static int apply_programs(struct gadget *g, const struct gadget_metadata *md,
			  struct error **err)
{
	for (size_t i = 0; i < metadata_program_count(md); i++) {
		const struct metadata_program *mp = metadata_program(md, i);
		struct perf_sampling ps;

		if (mp->attach_to &&
		    gadget_set_attach_to(g, mp->name, mp->attach_to, err))
			return error_prefix(err,
					    "gadget.yaml programs.%s."
					    "attach_to",
					    mp->name);
		if (!gadget_samples(g, mp->name))
			continue;
		if (parse_sampling(mp, &ps, err) ||
		    gadget_set_sampling(g, mp->name, &ps, err))
			return error_prefix(err, "gadget.yaml programs.%s",
					    mp->name);
	}
	return 0;
}

/* One line for the fields gadget.yaml names that the event lacks. */
static void note_unknown_fields(const struct fieldset *fs, const char *ds)
{
	char list[512];
	size_t len = 0, j;
	const char *f;

	list[0] = '\0';
	for (j = 0; (f = fieldset_unknown(fs, j)); j++) {
		int n = snprintf(list + len, sizeof(list) - len, "%s%s",
				 j ? ", " : "", f);

		if (n < 0 || (size_t)n >= sizeof(list) - len)
			break;
		len += n;
	}
	engine_log(ENGINE_LOG_NOTICE,
		   "note: data source %s: gadget.yaml names field%s %s%s, not "
		   "in the event (ig adds such fields with WASM modules and "
		   "operators): left out",
		   ds, j > 1 ? "s" : "", list, f ? ", ..." : "");
}

/* Fields for every data source; containers when one has runtime.*, or
 * for tc classifiers (which go on containers' interfaces). */
static int describe_sources(struct session *s, const char *env_vars,
			    struct error **err)
{
	size_t i;

	if (gadget_has_tc(s->g) && !s->describe_only) {
		s->ctrs = containers_new("/");
		if (!s->ctrs)
			return error_set(err, ENOMEM, "containers");
	}
	s->n_src = gadget_tracer_count(s->g);
	if (s->n_src == 0) /* its programs may feed another tool */
		return 0;
	s->src = calloc(s->n_src, sizeof(*s->src));
	if (!s->src)
		return error_set(err, ENOMEM, "sources");
	for (i = 0; i < s->n_src; i++) {
		struct source *src = &s->src[i];

		src->s = s;
		src->tracer = gadget_tracer(s->g, i);
		if (fieldset_new_env(gadget_btf(s->g), src->tracer->type_id,
				     s->md, src->tracer->name, env_vars,
				     &src->fs, err))
			return -1;
		if (fieldset_unknown(src->fs, 0))
			note_unknown_fields(src->fs, src->tracer->name);
		src->pad = record_pad_new(fieldset_event_size(src->fs));
		if (!src->pad)
			return error_set(err, ENOMEM, "sources");
		if (fieldset_has_runtime(src->fs) && !s->ctrs &&
		    !s->describe_only) {
			s->ctrs = containers_new("/");
			if (!s->ctrs)
				return error_set(err, ENOMEM, "containers");
		}
		fieldset_set_containers(src->fs, s->ctrs);
		if (fieldset_has_stacks(src->fs) && !s->stacks &&
		    !s->describe_only) {
			s->stacks = stacks_new(s->g);
			if (!s->stacks)
				return error_set(err, ENOMEM, "stacks");
		}
		fieldset_set_stacks(src->fs, s->stacks);
		if (!src->tracer->snapshot && !src->tracer->mapiter)
			continue;
		src->batch = batch_new(src->fs);
		if (!src->batch)
			return error_set(err, ENOMEM, "sources");
	}
	return 0;
}

/* session_open(); describe_only: for session_describe_open(); checked:
 * elf has passed objinfo_check() (session_validate(), which allows every
 * environment variable: env_vars NULL). */
static int open_session(const void *elf, size_t len,
			const struct gadget_metadata *md, const char *name,
			const char *env_vars, bool describe_only, bool checked,
			struct session **out, struct error **err)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		return error_set(err, ENOMEM, "session");
	s->md = md;
	s->describe_only = describe_only;
	if ((checked ? gadget_open_checked : gadget_open)(elf, len, name, &s->g,
							  err)) {
		session_free(s);
		return -1;
	}
	engine_step("gadget opened");
	if (apply_defaults(s->g, md, err) || apply_programs(s->g, md, err) ||
	    describe_sources(s, env_vars, err) ||
	    apply_param_defaults(s, err) || session_ops_open(s, err)) {
		session_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

int session_open(const void *elf, size_t len, const struct gadget_metadata *md,
		 const char *name, const char *env_vars, struct session **out,
		 struct error **err)
{
	return open_session(elf, len, md, name, env_vars ? env_vars : "", false,
			    false, out, err);
}

void session_load_ahead(struct session *s)
{
	if (s->describe_only)
		return;
	gadget_load_ahead(s->g);
	containers_load_ahead(s->ctrs);
}

int session_describe_open(const void *elf, size_t len,
			  const struct gadget_metadata *md, const char *name,
			  const char *env_vars, struct session **out,
			  struct error **err)
{
	return open_session(elf, len, md, name, env_vars ? env_vars : "", true,
			    false, out, err);
}

void session_set_term_width(struct session *s, int width)
{
	s->term_width = width;
}

int session_validate(const void *elf, size_t len,
		     const struct gadget_metadata *md, const char *name,
		     struct error **err)
{
	struct session *s = NULL;

	/* what run opens, but nothing started (no container tracker) */
	if (open_session(elf, len, md, name, NULL, true, true, &s, err))
		return -1;
	session_free(s);
	return 0;
}

/* The members of struct type id into datasources.<ds>.fields, by their
 * names (those of an anonymous member's members: a map iterator's key
 * and value); "__x" is no field (fields_btf.c). */
static int populate_fields(const struct btf *btf, __u32 id, const char *ds,
			   struct metadata_doc *doc, int depth,
			   struct error **err)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;

	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_composite(t) || depth > 8)
		return 0;
	m = btf_members(t);
	for (__u16 i = 0; i < btf_vlen(t); i++) {
		const char *name = btf_name(btf, m[i].name_off);

		if (!*name) {
			if (populate_fields(btf, m[i].type, ds, doc, depth + 1,
					    err))
				return -1;
		} else if (strncmp(name, "__", 2) &&
			   metadata_doc_add_field(doc, ds, name, err)) {
			return -1;
		}
	}
	return 0;
}

int session_populate_metadata(const void *elf, size_t len, const char *name,
			      struct metadata_doc *doc, struct error **err)
{
	struct gadget *g = NULL;
	int rc = -1;

	if (gadget_open_checked(elf, len, name, &g, err) ||
	    metadata_doc_fill_top(doc, err))
		goto out;
	for (size_t i = 0; i < gadget_tracer_count(g); i++) {
		const struct gadget_tracer *t = gadget_tracer(g, i);

		if (metadata_doc_add_field(doc, t->name, NULL, err) ||
		    populate_fields(gadget_btf(g), t->type_id, t->name, doc, 0,
				    err))
			goto out;
	}
	for (size_t i = 0; i < gadget_param_count(g); i++) {
		const struct gadget_param *p = gadget_param(g, i);

		if (!p->pf && metadata_doc_add_param(doc, p->var, err))
			goto out;
	}
	rc = 0;
out:
	gadget_free(g);
	return rc;
}

void session_free(struct session *s)
{
	size_t i;

	if (!s)
		return;
	trace_pipe_stop(s->trace_pipe);
	for (i = 0; i < s->n_src; i++)
		output_free(s->src[i].out);
	for (i = 0; i < s->n_src; i++) {
		filter_free(s->src[i].filter);
		fieldset_free(s->src[i].fs);
		record_pad_free(s->src[i].pad);
		batch_free(s->src[i].batch);
	}
	free(s->src);
	gadget_free(s->g);
	containers_free(s->ctrs);
	stacks_free(s->stacks);
	container_select_fini(&s->sel);
	free(s);
}

/*
 * --fields and -F go to each data source that has the fields they name: a
 * gadget's other sources (a map iterator beside its events) may lack them,
 * as in ig, where a filter goes to the data source with its field.  When
 * none has them, the first says which is unknown.
 */
static int select_fields(struct session *s, const char *spec,
			 struct error **err)
{
	size_t i, done = 0;

	for (i = 0; i < s->n_src; i++) {
		if (!fieldset_knows(s->src[i].fs, spec))
			continue;
		if (fieldset_select(s->src[i].fs, spec, err))
			return -1;
		done++;
	}
	return done || !s->n_src ? 0 : fieldset_select(s->src[0].fs, spec, err);
}

/* ig's "ds:a,b;ds2:c": a list per data source (its first field names it) */
int session_select_fields(struct session *s, const char *spec,
			  struct error **err)
{
	cleanup_free char *copy = strdup(spec);
	char *part, *save = NULL;

	if (!copy)
		return error_set(err, ENOMEM, "--fields");
	for (part = strtok_r(copy, ";", &save); part;
	     part = strtok_r(NULL, ";", &save))
		if (select_fields(s, part, err))
			return -1;
	return 0;
}

void session_set_kubernetes(struct session *s)
{
	for (size_t i = 0; i < s->n_src; i++)
		fieldset_set_env(s->src[i].fs, FIELDSET_KUBERNETES);
}

int session_select_pods(struct session *s, int key, const char *value,
			struct error **err)
{
	static const char *const flags[] = { "namespace", "podname",
					     "containername", "selector" };

	if (k8s_select_add(&s->sel.pods, key, value, err))
		return error_prefix(err, "--k8s-%s", flags[key & 3]);
	return 0;
}

/* Do the gadget's network namespace iterators select containers (where
 * they run: walk_netns()), as in ig, without runtime.* fields? */
static bool iters_select(const struct session *s)
{
	return s->ctrs && gadget_iters_per_netns(s->g);
}

int session_select_containers(struct session *s, const char *list,
			      struct error **err)
{
	size_t i, done = 0;

	if (name_list_check(list, SESSION_CONTAINER_NAME_MAX, 32, err))
		return error_prefix(err, "--containername");
	for (i = 0; i < s->n_src; i++) {
		if (!fieldset_knows(s->src[i].fs, "runtime.containerName"))
			continue;
		done++;
		if (s->sel.host) /* ig's --host: no filter by -c */
			continue;
		if (filter_add_names(&s->src[i].filter, s->src[i].fs,
				     "runtime.containerName", list, err))
			return error_prefix(err, "--containername");
	}
	if (!done && s->n_src && !iters_select(s))
		return error_set(err, 0,
				 "--containername: no data source has "
				 "runtime.containerName (no mount namespace "
				 "id)");
	free(s->sel.names);
	s->sel.names = strdup(list);
	if (!s->sel.names)
		return error_set(err, ENOMEM, "--containername");
	return 0;
}

int session_containers_only(struct session *s, struct error **err)
{
	static const char expr[] = "runtime.containerId~.";
	size_t i, known = 0;

	for (i = 0; i < s->n_src; i++)
		known += filter_fields_known(s->src[i].fs, expr);
	if ((known || !iters_select(s)) && session_add_filter(s, expr, err))
		return -1;
	s->sel.containers_only = true;
	return 0;
}

void session_show_host(struct session *s)
{
	s->sel.host = true;
}

/* 0 if s knows containers; else -1 with *err, flag's (a container flag). */
static int need_containers(const struct session *s, const char *flag,
			   struct error **err)
{
	if (s->ctrs)
		return 0;
	return error_set(err, 0,
			 "%s: no data source has runtime.* fields (no mount "
			 "namespace id)",
			 flag);
}

int session_select_runtimes(struct session *s, const char *list,
			    struct error **err)
{
	if (need_containers(s, "--runtimes", err))
		return -1;
	return containers_set_runtimes(s->ctrs, list, err);
}

int session_set_containerd_ns(struct session *s, const char *ns,
			      struct error **err)
{
	if (need_containers(s, "--containerd-namespace", err))
		return -1;
	return containers_set_containerd_ns(s->ctrs, ns, err);
}

int session_select_images(struct session *s, int key, const char *list,
			  struct error **err)
{
	const char *flag = key == IMAGE_SELECT_ID ? "--containerimage-id" :
						    "--containerimage-digest";

	if (need_containers(s, flag, err))
		return -1;
	if (image_select_add(&s->sel.images, key, list, err))
		return error_prefix(err, "%s", flag);
	containers_want_images(s->ctrs);
	return 0;
}

int session_add_filter(struct session *s, const char *expr, struct error **err)
{
	size_t i, done = 0;

	for (i = 0; i < s->n_src; i++) {
		if (!filter_fields_known(s->src[i].fs, expr))
			continue;
		if (filter_add(&s->src[i].filter, s->src[i].fs, expr, err))
			return -1;
		done++;
	}
	return done || !s->n_src ?
		       0 :
		       filter_add(&s->src[0].filter, s->src[0].fs, expr, err);
}

int session_add_filter_expr(struct session *s, const char *text,
			    struct error **err)
{
	struct error *first = NULL;
	size_t i, done = 0;

	/* each data source whose fields it names: those it compiles on */
	for (i = 0; i < s->n_src; i++) {
		struct error *e = NULL;

		if (!filter_add_expr(&s->src[i].filter, s->src[i].fs, text,
				     &e)) {
			done++;
			continue;
		}
		if (e && e->errnum == ENOMEM) {
			error_free(first);
			*err = e;
			return -1;
		}
		if (first)
			error_free(e);
		else
			first = e;
	}
	if (done || !first) {
		error_free(first);
		return 0;
	}
	*err = first;
	return -1;
}

int session_add_filter_to(struct session *s, size_t i, const char *expr,
			  struct error **err)
{
	return filter_add(&s->src[i].filter, s->src[i].fs, expr, err);
}

int session_add_filter_expr_to(struct session *s, size_t i, const char *text,
			       struct error **err)
{
	return filter_add_expr(&s->src[i].filter, s->src[i].fs, text, err);
}

void session_set_trace_pipe(struct session *s)
{
	s->trace_pipe_wanted = true;
}

void session_describe(const struct session *s, FILE *out)
{
	size_t i;

	for (i = 0; i < s->n_src; i++) {
		fprintf(out, "\nFIELDS (%s)\n", s->src[i].tracer->name);
		fflush(out);
		fieldset_describe(s->src[i].fs, out);
	}
}

static int by_name(const void *a, const void *b)
{
	const struct source *x = *(const struct source *const *)a;
	const struct source *y = *(const struct source *const *)b;

	return strcmp(x->tracer->name, y->tracer->name);
}

/* Source src as ig's api.DataSource; NULL when out of memory. */
static json_t *source_json(const struct session *s, const struct source *src)
{
	const char *name = src->tracer->name, *key, *value;
	json_t *o =
		json_pack("{s:s, s:i, s:[]}", "name", name, "type",
			  src->tracer->snapshot || src->tracer->mapiter ? 2 : 1,
			  "fields");
	json_t *ann = json_object();
	int rc = !o || !ann;

	if (!rc)
		rc = fieldset_ig_fields(src->fs, s->md,
					json_object_get(o, "fields"));
	for (size_t i = 0;
	     !rc &&
	     (key = metadata_field_annotation_at(s->md, name, NULL, i, &value));
	     i++)
		rc = json_object_set_new(ann, key, json_string(value));
	if (!rc && json_object_size(ann))
		rc = json_object_set(o, "annotations", ann);
	json_decref(ann);
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *session_datasources_json(const struct session *s, struct error **err)
{
	cleanup_free const struct source **order =
		calloc(s->n_src ? s->n_src : 1, sizeof(*order));
	cleanup_json json_t *arr = json_array();
	size_t i;

	if (!order || !arr)
		goto oom;
	for (i = 0; i < s->n_src; i++)
		order[i] = &s->src[i];
	qsort(order, s->n_src, sizeof(*order), by_name);
	for (i = 0; i < s->n_src; i++)
		if (json_array_append_new(arr, source_json(s, order[i])))
			goto oom;
	return steal_ptr(arr);
oom:
	error_set(err, ENOMEM, "data sources");
	return NULL;
}

int session_check_privileges(struct error **err)
{
	struct host_needs needs = { 0 };

	return host_check_caps(&needs, err) ?: host_check_proc(err);
}

/* Privileges first, then what the host lacks (a note for each file
 * system the runner mounted itself). */
static int prepare_host(const struct gadget *g, struct error **err)
{
	struct host_needs needs;
	bool mounted;

	gadget_host_needs(g, &needs);
	if (host_check_caps(&needs, err) || host_check_proc(err) ||
	    host_check_kprobes(&needs, err))
		return -1;
	if (needs.tracefs && host_ensure_tracefs(&mounted, err))
		return -1;
	if (needs.tracefs && mounted)
		engine_log(ENGINE_LOG_NOTICE,
			   "mounted tracefs on %s (nothing was there)",
			   HOST_TRACEFS);
	if (needs.bpffs && host_ensure_bpffs(&mounted, err))
		return -1;
	if (needs.bpffs && mounted)
		engine_log(ENGINE_LOG_NOTICE,
			   "mounted bpffs on %s (nothing was there)",
			   HOST_BPFFS);
	return host_check_btf(err);
}

/* An event that passed the filters (and an array's sort and limit). */
static int emit(void *ctx, const void *data, size_t size)
{
	struct source *src = ctx;
	struct session *s = src->s;

	/* a perf buffer's read goes on past a callback's stop */
	if (s->max && s->count >= s->max)
		return -ECANCELED;
	if (src->metrics)
		metrics_observe(src->metrics, data);
	if (!src->quiet)
		output_event(src->out, data, size);
	else
		src->seen++;
	if (s->max && ++s->count >= s->max)
		return -ECANCELED;
	if (!s->max)
		++s->count;
	return 0;
}

/*
 * An array's batch is whole: its records, after the header (each batch's
 * columns have theirs, as in ig), on a cleared screen where the data
 * source asks (ig's cli.clear-screen-before; only on a terminal).
 */
static int end_batch(struct source *src)
{
	if (!src->quiet)
		output_batch_header(src->out, src->clear_screen);
	return batch_end(src->batch, emit, src);
}

/* When the event was made (boot ns); the end of time if it does not say. */
static __u64 event_time(const struct source *src, const void *data)
{
	__u64 t = src->time_field < 0 ?
			  0 :
			  fieldset_time(src->fs, src->time_field, data);

	return t ? t : UINT64_MAX;
}

/*
 * The container tracker's notes made before the event: the exec of the
 * event's process was told before it; a namespace that took its number
 * since, after it (but for the event's own process: its exec's note).
 */
static void poll_containers(struct session *s, const struct source *src,
			    const void *data)
{
	__u64 t = event_time(src, data), mntns;
	__u32 pid;

	if (!containers_poll_until(s->ctrs, t))
		return;
	fieldset_proc(src->fs, data, &mntns, &pid);
	containers_poll_own(s->ctrs, t, mntns, pid);
}

static int on_event(void *ctx, const void *data, size_t size)
{
	struct source *src = ctx;
	struct session *s = src->s;

	/* the end of an array's batch: sorted and cut, as ig's operators
	 * after its filters */
	if (!data)
		return src->batch ? end_batch(src) : 0;
	/* a short record: its missing tail reads as zeros for all below */
	data = record_whole(src->pad, data, &size);
	if (s->ctrs)
		poll_containers(s, src, data);
	if (!filter_match(src->filter, data))
		return 0;
	if (s->sel.pods && !s->sel.host &&
	    !k8s_select_event(s->sel.pods, src->fs, data))
		return 0;
	if (s->sel.images && !s->sel.host &&
	    !image_select_event(s->sel.images, src->fs, data))
		return 0;
	if (src->batch) {
		if (batch_add(src->batch, data, size))
			engine_log(ENGINE_LOG_NOTICE,
				   "%s: a record left out (no memory)",
				   src->tracer->name);
		return 0;
	}
	return emit(src, data, size);
}

/*
 * Keep the kernel's filter map to the mount namespaces of the selected
 * containers (on: container_select_match()), where the selection has
 * pods.  A new container is told by the exec hook within milliseconds:
 * its events before that are not seen, but for a selected pod's, which
 * the hook puts in the map at its first exec (its pod's network
 * namespace is listed here).
 */
static void select_in_kernel(struct session *s, __u64 mntns,
			     const struct container_info *ci, bool on)
{
	__u32 one = 1;

	if (s->pods_fd < 0)
		return;
	if (on)
		bpf_map_update_elem(s->pods_fd, &mntns, &one, BPF_ANY);
	else
		bpf_map_delete_elem(s->pods_fd, &mntns);
	/* the pod's netns, for its containers to come (not the host's) */
	if (ci && ci->pod.name[0] && ci->pod.netns && !ci->pod.hostnetwork &&
	    s->pods_netns_fd >= 0 && containers_runtime_wanted(s->ctrs, ci) &&
	    k8s_select_match(s->sel.pods, &ci->pod, NULL)) {
		__u32 netns = (__u32)ci->pod.netns;

		bpf_map_update_elem(s->pods_netns_fd, &netns, &one, BPF_ANY);
	}
}

/* The selected containers' mount namespaces (containers_foreach()). */
struct picked {
	const struct session *s;
	__u64 *mntns;
	size_t n, cap;
	bool short_of_memory;
};

static void pick_selected(void *ctx, __u64 mntns,
			  const struct container_info *ci)
{
	struct picked *k = ctx;

	if (k->short_of_memory ||
	    !container_select_match(&k->s->sel, k->s->ctrs, ci))
		return;
	if (grow_array((void **)&k->mntns, &k->cap, k->n + 1, sizeof(*k->mntns),
		       16)) {
		k->short_of_memory = true;
		return;
	}
	k->mntns[k->n++] = mntns;
}

/* Visit the network namespace of process pid (netns: its inode as known,
 * 0: any), unless one visited before (seen[0..*n]) was that namespace. */
static int visit_pid_netns(unsigned int pid, __u64 netns, __u64 *seen,
			   size_t *n, netns_visit_fn visit, void *vctx,
			   struct error **err)
{
	cleanup_close int fd = -1;
	char path[64];
	struct stat st;
	size_t i;

	snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	/* gone, or another process took its pid */
	if (fd < 0 || fstat(fd, &st) < 0 || (netns && st.st_ino != netns))
		return 0;
	for (i = 0; i < *n; i++)
		if (seen[i] == st.st_ino)
			return 0;
	seen[(*n)++] = st.st_ino;
	return visit(vctx, fd, st.st_ino, err);
}

/*
 * Where the gadget's network namespace iterators run: every namespace
 * of the host, or, as in ig, each selected container's (once for the
 * containers of a pod, which share theirs).
 */
static int walk_netns(void *ctx, netns_visit_fn visit, void *vctx,
		      struct error **err)
{
	struct session *s = ctx;
	struct picked k = { .s = s };
	size_t i, n = 0;
	unsigned int pid;
	__u64 netns;
	int rc = 0;

	if (!s->ctrs || !container_select_any(&s->sel))
		return netns_each(visit, vctx, err);
	containers_foreach(s->ctrs, pick_selected, &k);
	/* and the host's, as ig's --host attaches its pid 1 */
	if (!k.short_of_memory && s->sel.host &&
	    grow_array((void **)&k.mntns, &k.cap, k.n + 1, sizeof(*k.mntns),
		       16))
		k.short_of_memory = true;
	if (k.short_of_memory) {
		free(k.mntns);
		return error_set(err, ENOMEM, "selected containers");
	}
	/* k.mntns[0..i) are done, their namespaces in k.mntns[0..n) */
	for (i = 0; i < k.n && !rc; i++) {
		pid = containers_init_pid(s->ctrs, k.mntns[i], &netns);
		if (pid) /* else ended meanwhile */
			rc = visit_pid_netns(pid, netns, k.mntns, &n, visit,
					     vctx, err);
	}
	/* init's, the runner's own where init's is hidden from it */
	if (s->sel.host && !rc)
		rc = visit_pid_netns(access("/proc/1/ns/net", R_OK) ?
					     (unsigned int)getpid() :
					     1,
				     0, k.mntns, &n, visit, vctx, err);
	free(k.mntns);
	return rc;
}

/*
 * What the selection says of mount namespace mntns, whose container is ci
 * now (NULL: gone), decided once for what acts per namespace: the
 * kernel's filter map and, as ig's, a selective run's uprobes (those of
 * the selected containers' processes).
 */
static void apply_selection(void *ctx, __u64 mntns,
			    const struct container_info *ci)
{
	struct session *s = ctx;
	bool on = container_select_match(&s->sel, s->ctrs, ci);

	if (s->pods_in_kernel)
		select_in_kernel(s, mntns, ci, on);
	if (s->uprobes)
		uprobes_select(s->uprobes, mntns, on);
}

/* tc classifiers (as ig's) on the containers' interfaces: every
 * container's, or the selected ones'. */
static void select_tc(void *ctx, __u64 mntns, const struct container_info *ci)
{
	struct session *s = ctx;
	struct error *e = NULL;
	unsigned int pid = 0;
	__u64 netns = 0;

	if (container_select_is_container(s->ctrs, ci) &&
	    container_select_match(&s->sel, s->ctrs, ci))
		pid = containers_init_pid(s->ctrs, mntns, &netns);
	if (!tc_container(s->tc, mntns, pid, netns, &e)) {
		/* RUNNER_TIMELINE: a new container's filters, on its peers */
		if (pid)
			engine_step("tc container attached");
		return;
	}
	/* the run goes on: a container that went meanwhile, a shortage */
	engine_log(ENGINE_LOG_NOTICE, "tc on container %s: %s",
		   ci ? ci->name : "", error_msg(e));
	error_free(e);
}

static void on_container(void *ctx, __u64 mntns,
			 const struct container_info *ci)
{
	struct session *s = ctx;

	if (s->tc)
		select_tc(s, mntns, ci);
	/* RUNNER_TIMELINE: what a container's start holds this thread */
	if (s->uprobes)
		engine_step("uprobes container seen");
	apply_selection(s, mntns, ci);
	if (!s->uprobes)
		return;
	/* the walk on the uprobes' thread: events do not wait for it */
	uprobes_rescan(s->uprobes, false);
	engine_step("uprobes container handled");
}

/* Does any data source's output read its packets (pcap-ng, or a field
 * shown)? */
static bool writes_packets(const struct session *s)
{
	for (size_t i = 0; i < s->n_src; i++) {
		const struct source *src = &s->src[i];

		if (src->no_output)
			continue;
		if (src->mode == OUTPUT_PCAPNG ||
		    fieldset_shows_rest(src->fs, src->mode == OUTPUT_COLUMNS))
			return true;
	}
	return false;
}

int session_start(struct session *s, int fd, struct error **err)
{
	size_t i;

	if (s->describe_only)
		return error_set(err, EINVAL, "session opened to describe");
	if (!s->output_chosen && session_set_output(s, NULL, err))
		return -1;
	/* the exec hook, if session_load_ahead() has not begun it */
	containers_load_ahead(s->ctrs);
	/* Selected pods: in the kernel as well when the program filters by
	 * mount namespace (gadget/mntns_filter.h) */
	if (s->sel.pods && !s->sel.host && s->ctrs) {
		int mntns_fd;

		containers_filter_fds(s->ctrs, &mntns_fd, &s->pods_netns_fd);
		s->pods_in_kernel = gadget_mntns_filter_enable(s->g, mntns_fd);
	}
	/* only pcap-ng and an output that shows them (ig's payload) read
	 * the packet bytes after an event */
	if (!writes_packets(s))
		gadget_rest_unwanted(s->g);
	if (s->ctrs && container_select_any(&s->sel))
		gadget_select_containers(s->g, s->sel.host);
	gadget_set_netns_walk(s->g, walk_netns, s);
	engine_step("session opened");
	if (prepare_host(s->g, err) || session_ops_start(s, err))
		return -1;
	/* before the load: what the programs print from their start */
	if (s->trace_pipe_wanted && trace_pipe_start(&s->trace_pipe, err))
		return -1;
	/* The containers' first scan on a thread beside the gadget's load
	 * (after the exec hook's, itself on a thread since
	 * containers_load_ahead());
	 * events are read only once this returns. */
	if (s->ctrs)
		containers_scan_begin(s->ctrs);
	if (gadget_start(s->g, err)) {
		if (s->ctrs)
			containers_scan_end(s->ctrs, NULL);
		return -1;
	}
	engine_step("gadget attached");
	if (s->ctrs && containers_scan_end(s->ctrs, err))
		return -1;
	engine_step("containers scanned");
	if (s->pods_in_kernel)
		s->pods_fd = gadget_mntns_filter_fd(s->g);
	if (s->ctrs && container_select_any(&s->sel))
		s->uprobes = gadget_uprobes(s->g);
	if (s->pods_in_kernel || s->uprobes)
		containers_foreach(s->ctrs, apply_selection, s);
	/* before the ready file: the containers there attached */
	if (s->uprobes)
		uprobes_rescan(s->uprobes, true);
	if (s->ctrs)
		s->tc = gadget_tc(s->g);
	if (s->tc)
		containers_foreach(s->ctrs, select_tc, s);
	if (s->pods_in_kernel || s->uprobes || s->tc)
		containers_set_listener(s->ctrs, on_container, s);
	for (i = 0; i < s->n_src; i++) {
		struct source *src = &s->src[i];

		/* one that prints nothing: columns, which write nothing
		 * before an event */
		src->quiet |= src->no_output;
		src->time_field = fieldset_time_field(src->fs);
		if (output_new(src->fs,
			       src->no_output ? OUTPUT_COLUMNS : src->mode, fd,
			       &src->out, err))
			return -1;
		if (s->term_width > 0)
			output_set_term_width(src->out, s->term_width);
		/* an array's header comes with each batch (and first here
		 * where the screen is cleared, as in ig) */
		if (!src->quiet) {
			if (src->clear_screen)
				output_batch_header(src->out, true);
			else if (!src->batch)
				output_header(src->out);
		}
		if (src->tracer->snapshot)
			continue;
		s->n_streams += !src->tracer->mapiter;
		if (gadget_subscribe(s->g, i, on_event, src, err))
			return -1;
	}
	if (s->tick && s->tick_fd >= 0)
		s->tick_fd_watched = !gadget_watch_fd(s->g, s->tick_fd);
	/* a container's namespace, bind-mounted before its process runs:
	 * taken in at once, not at the next refresh (without ring buffers,
	 * gadget_poll() returns every POLL_MS anyway) */
	if (gadget_mounts_fd(s->g) >= 0)
		gadget_watch_fd(s->g, gadget_mounts_fd(s->g));
	/* What acts per container acts at a new one's first exec: the exec
	 * hook's note wakes the poll, not the next refresh.  Only then: the
	 * note stays unread until the next event otherwise. */
	if ((s->pods_in_kernel || s->uprobes || s->tc) &&
	    containers_notes_fd(s->ctrs) >= 0)
		gadget_watch_fd(s->g, containers_notes_fd(s->ctrs));
	return 0;
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CLOCK_BOOTTIME in ns: bpf_ktime_get_boot_ns()'s clock. */
static __u64 now_boot(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static bool at_limit(const struct session *s)
{
	return s->max && s->count >= s->max;
}

/* The gadget's own counters that grew since last told, like lost events. */
static void tell_counters(struct session *s)
{
	const char *name;
	__u64 v;

	for (size_t i = 0;
	     i < SESSION_COUNTERS && !gadget_counter(s->g, i, &name, &v); i++) {
		if (v == s->counted[i])
			continue;
		engine_log(ENGINE_LOG_NOTICE, "%s: %llu (%llu in total)", name,
			   (unsigned long long)(v - s->counted[i]),
			   (unsigned long long)v);
		s->counted[i] = v;
	}
}

int session_counter(const struct session *s, size_t i, const char **name,
		    unsigned long long *value)
{
	__u64 v;

	if (i >= SESSION_COUNTERS || gadget_counter(s->g, i, name, &v))
		return -1;
	*value = v;
	return 0;
}

/* Events a regular expression of -F, or of -E's "matches", could not
 * tell in time (no match). */
static void tell_gave_up(struct session *s)
{
	for (size_t i = 0; i < s->n_src; i++) {
		struct source *src = &s->src[i];

		for (int expr = 0; expr < 2; expr++) {
			unsigned long long n =
				filter_gave_up(src->filter, expr);

			if (n == src->gave_up_told[expr])
				continue;
			engine_log(ENGINE_LOG_NOTICE,
				   "%s: %llu events taken as not matching: a "
				   "regular expression backtracked past its "
				   "limit (%llu in total)",
				   expr ? "-E" : "-F",
				   n - src->gave_up_told[expr], n);
			src->gave_up_told[expr] = n;
		}
	}
}

/* Once a second: new namespaces and containers, lost events told.  The
 * events made so far are read first (a poll may have ended without reading
 * them: EINTR after a SIGSTOP): the scan tells the namespaces of now. */
static int refresh(struct session *s, struct error **err)
{
	if (gadget_refresh(s->g, err) ||
	    (s->ctrs &&
	     (gadget_poll(s->g, 0, 0, err) || containers_scan(s->ctrs, err))))
		return -1;
	s->lost = gadget_lost(s->g);
	if (s->lost != s->lost_seen) {
		engine_log(ENGINE_LOG_NOTICE,
			   "lost %llu events (%llu in total)",
			   (unsigned long long)(s->lost - s->lost_seen),
			   (unsigned long long)s->lost);
		s->lost_seen = s->lost;
	}
	tell_counters(s);
	tell_gave_up(s);
	return 0;
}

/* Once, at the end: the events a reader that stopped reading missed. */
static void tell_dropped(const struct session *s)
{
	for (size_t i = 0; i < s->n_src; i++) {
		unsigned long long n =
			s->src[i].out ? output_dropped(s->src[i].out) : 0;

		if (n)
			engine_log(ENGINE_LOG_NOTICE,
				   "%llu event%s not written: the output was "
				   "not read within %d ms of the stop",
				   n, n == 1 ? "" : "s", OUTPUT_STOP_WAIT_MS);
	}
}

/*
 * Flush every output; a failed write is an error, except a reader that
 * went away (EPIPE: like head(1) after its lines, nothing is missed).
 */
static int check_outputs(struct session *s, struct error **err)
{
	unsigned long long written = 0;
	bool cut = false;
	int e = 0;
	size_t i;

	for (i = 0; i < s->n_src; i++) {
		output_flush(s->src[i].out);
		written += output_written(s->src[i].out);
		cut |= output_cut(s->src[i].out);
		if (!e || e == EPIPE)
			e = output_error(s->src[i].out) ?: e;
	}
	if (!e || e == EPIPE)
		return 0;
	return error_set(err, e, "write events (%llu written whole%s)", written,
			 cut ? ", then part of one" : "");
}

/*
 * The reader at its starting priority leaves the CPU to the traced
 * programs (at the max DNS rate on 2 CPUs, ~1.1x the queries of -10:
 * fewer preemptions of the traffic); raised while a ring fills, it is
 * scheduled before the ring overflows.  The gadget wakes the reader on
 * every record past half full, so that is when it needs the priority.
 */
static void pace(struct session *s, double now)
{
	if (gadget_backlog(s->g) >= LAG_FILL) {
		s->calm_since = 0;
		if (!s->raised)
			s->raised = !setpriority(PRIO_PROCESS, 0, s->lag_nice);
		return;
	}
	if (!s->raised)
		return;
	if (!s->calm_since)
		s->calm_since = now;
	else if (now - s->calm_since >= LAG_CALM_S)
		s->raised = !!setpriority(PRIO_PROCESS, 0, s->base_nice);
}

/*
 * How long a poll may wait once the rings are quiet (gadget_poll()'s
 * idle_ms): until the next refresh, the deadline (0: none) or the tick's
 * next call; only POLL_MS while output is held back to be written, or when
 * the tick's wake_fd could not be waited on.
 */
static int idle_ms(const struct session *s, double now, double until,
		   double deadline)
{
	double ms;

	if (deadline && deadline < until)
		until = deadline;
	if (s->tick) {
		if (s->tick_fd >= 0 && !s->tick_fd_watched)
			return POLL_MS;
		if (s->tick_next < until)
			until = s->tick_next;
	}
	for (size_t i = 0; i < s->n_src; i++)
		if (output_pending(s->src[i].out))
			return POLL_MS;
	if (gadget_mounts_pending(s->g))
		return POLL_MS;
	ms = (until - now) * 1000 + 1;
	return ms > POLL_MS ? (int)ms : POLL_MS;
}

int session_run(struct session *s, const struct session_limits *lim,
		struct error **err)
{
	double deadline = 0, next_refresh, now;
	bool held = false; /* a container's note waits for the next poll */
	size_t i;

	s->max = lim->max_events;
	/* the headers session_start() made are written first, here: the
	 * stop (a signal, --timeout's alarm) can end a write to a reader
	 * who does not read */
	for (i = 0; i < s->n_src; i++) {
		output_set_stop(s->src[i].out, lim->stop);
		if (!s->src[i].tracer->snapshot &&
		    output_flush(s->src[i].out) < 0)
			s->broken = true;
	}
	/* Snapshots print once; a gadget with nothing else is done then. */
	for (i = 0; i < s->n_src; i++) {
		if (!s->src[i].tracer->snapshot)
			continue;
		if (gadget_snapshot(s->g, i, on_event, &s->src[i], err))
			return -1;
		if (output_flush(s->src[i].out) < 0)
			s->broken = true;
	}
	if (!s->n_src)
		engine_log(ENGINE_LOG_NOTICE,
			   "note: the gadget declares no data source: its "
			   "programs run, nothing is shown");
	now = now_mono();
	next_refresh = now + 1;
	if (lim->timeout_s)
		deadline = now + lim->timeout_s;
	/* until the tracers stop, or the map iterators' last fetch */
	while ((s->n_streams || gadget_fetching(s->g) || !s->n_src) &&
	       !*lim->stop && !s->broken && !at_limit(s)) {
		__u64 polled = now_boot();

		/*
		 * A note held back (a namespace that took the number of a
		 * container known) waits for the events made before it: a
		 * poll begun after it reads them, then takes it in.  Not
		 * the refresh's: the new container's uprobes, tc filters
		 * and selection wait for it, and a short one ends meanwhile.
		 */
		if (gadget_poll(s->g, POLL_MS,
				held ? POLL_MS :
				       idle_ms(s, now, next_refresh, deadline),
				err) ||
		    gadget_mounted(s->g, err) || gadget_noted(s->g, err))
			return -1;
		/* the notes from before the poll read the rings: the events
		 * made before them have been handled */
		if (s->ctrs)
			held = containers_poll_until(s->ctrs, polled);
		now = now_mono();
		for (i = 0; i < s->n_src; i++)
			if (output_flush_due(s->src[i].out, now) < 0)
				s->broken = true;
		if (s->pace)
			pace(s, now);
		s->tick_next = now + 1;
		if (s->tick && s->tick(s->tick_ctx, now, &s->tick_next) < 0)
			s->broken = true;
		if (deadline && now >= deadline)
			break;
		if (now < next_refresh)
			continue;
		next_refresh = now + 1;
		if (refresh(s, err))
			return -1;
		for (i = 0; i < s->n_src; i++)
			if (!s->src[i].quiet &&
			    output_reader_gone(s->src[i].out))
				s->broken = true;
	}
	/* Drain what the kernel already produced, unless a limit was hit. */
	if (!at_limit(s) && !s->broken) {
		gadget_poll(s->g, 0, 0, NULL);
		/* map iterators that flush on stop: the last interval */
		gadget_flush(s->g, NULL);
		for (i = 0; i < s->n_src; i++)
			output_flush(s->src[i].out);
	}
	s->lost = gadget_lost(s->g);
	tell_gave_up(s);
	tell_dropped(s);
	return check_outputs(s, err);
}

size_t session_source_count(const struct session *s)
{
	return s->n_src;
}

const char *session_source_name(const struct session *s, size_t i)
{
	return s->src[i].tracer->name;
}

const struct fieldset *session_source_fields(const struct session *s, size_t i)
{
	return s->src[i].fs;
}

void session_set_metrics(struct session *s, size_t i, struct metrics *m,
			 bool quiet)
{
	s->src[i].metrics = m;
	s->src[i].quiet = quiet;
}

void session_set_tick(struct session *s, session_tick_fn fn, void *ctx,
		      int wake_fd)
{
	s->tick = fn;
	s->tick_ctx = ctx;
	s->tick_fd = wake_fd;
}

void session_set_lag_nice(struct session *s, int lag_nice)
{
	errno = 0;
	s->base_nice = getpriority(PRIO_PROCESS, 0);
	s->pace = !errno && lag_nice < s->base_nice;
	s->lag_nice = lag_nice;
}

void session_stats(const struct session *s, unsigned long long *events,
		   unsigned long long *lost)
{
	size_t i;

	/* what reached the output whole, not what was rendered */
	*events = 0;
	for (i = 0; i < s->n_src; i++)
		if (s->src[i].quiet)
			*events += s->src[i].seen;
		else if (s->src[i].out)
			*events += output_written(s->src[i].out);
	*lost = s->lost;
}
