// SPDX-License-Identifier: Apache-2.0
/*
 * A fieldset: built from BTF (fields_btf.c), annotated from gadget.yaml
 * (fields_annotations.c), then chosen from (--fields) and described
 * (--help) here; values render in fields_format.c.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <bpf/btf.h>

#include "common/cleanup.h"
#include "common/escape.h"
#include "runner/engine/fields_build.h"
#include "runner/engine/timefmt.h"

/* Is f a default column (shown unless --fields says otherwise)? */
static bool default_visible(const struct fieldset *fs, const struct field *f)
{
	return f->columnable && !f->hidden &&
	       (!f->envs || f->envs & (1u << fs->env));
}

/* Does column a come before column b in the natural order? */
static bool col_before(const struct fieldset *fs, int a, int b)
{
	if (fs->f[a].order != fs->f[b].order)
		return fs->f[a].order < fs->f[b].order;
	return a < b;
}

static void cols_add(struct fieldset *fs, int idx, bool natural);

/* The columns shown without --fields. */
static void default_columns(struct fieldset *fs)
{
	fs->n_cols = 0;
	for (size_t i = 0; i < fs->n; i++) {
		fs->f[i].selected = false;
		if (default_visible(fs, &fs->f[i]))
			cols_add(fs, (int)i, true);
	}
	fs->explicit_selection = false;
}

void fieldset_set_env(struct fieldset *fs, enum fieldset_env env)
{
	fs->env = env;
	default_columns(fs);
}

__s64 boot_to_real_offset(void)
{
	struct timespec b1, r, b2;
	__s64 best = 0, gap = -1;

	for (int i = 0; i < 3; i++) {
		__s64 g, bn;

		clock_gettime(CLOCK_BOOTTIME, &b1);
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_BOOTTIME, &b2);
		g = (b2.tv_sec - b1.tv_sec) * 1000000000LL + b2.tv_nsec -
		    b1.tv_nsec;
		bn = (b1.tv_sec * 1000000000LL + b1.tv_nsec) + g / 2;
		if (gap < 0 || g < gap) {
			gap = g;
			best = r.tv_sec * 1000000000LL + r.tv_nsec - bn;
		}
	}
	return best;
}

const char *fieldset_unknown(const struct fieldset *fs, size_t i)
{
	return i < fs->n_unknown ? fs->unknown[i] : NULL;
}

void fieldset_free(struct fieldset *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->n_unknown; i++)
		free(fs->unknown[i]);
	free(fs->unknown);
	free(fs->ds);
	free(fs->pcap_ts);
	for (size_t i = 0; i < fs->n; i++) {
		struct field *f = &fs->f[i];

		free(f->name);
		free(f->title);
		free(f->alias);
		free(f->description);
		timefmt_free(f->ts_fmt);
		free(f->gtype);
		for (size_t j = 0; j < f->n_one_of; j++)
			free(f->one_of[j]);
		free(f->one_of);
		free(f->enums);
		free(f->enum_sep);
		free(f->if_var);
	}
	for (size_t i = 0; i < fs->n_vars; i++)
		free(fs->vars[i]);
	free(fs->vars);
	free(fs->f);
	free(fs->cols);
	free(fs);
}

/* A member of a struct field the runner adds (runtime, k8s). */
struct derived {
	const char *key;
	__u8 info; /* enum runtime_info, enum k8s_info */
	int order; /* ig's, before the gadget's own fields */
	const char *description; /* ig's */
};

/*
 * The struct field name and its n members parts, of kind, each with its
 * info, order and description, its name as its alias: the struct's
 * index, its members right after it; -1 (b->err).
 */
static int add_derived(struct build *b, const char *name, enum field_kind kind,
		       const struct derived *parts, size_t n)
{
	int parent = build_add_field(b, NULL, name, -1, 0, FK_STRUCT);
	size_t j;

	if (parent < 0)
		return -1;
	b->f[parent].is_struct = true;
	for (j = 0; j < n; j++) {
		int d = build_add_field(b, name, parts[j].key, parent, 1, kind);

		if (d < 0)
			return -1;
		b->f[d].info = parts[j].info;
		b->f[d].order = parts[j].order;
		b->f[d].description = strdup(parts[j].description);
		b->f[d].alias = strdup(b->f[d].name);
		if (!b->f[d].description || !b->f[d].alias)
			return error_set(b->err, ENOMEM, "fields");
	}
	return parent;
}

/*
 * runtime.{containerName,containerId,runtimeName,containerImageName}, as ig
 * names them, derived from the first gadget_mntns_id field.  As ig's
 * enrichment does, containerName leads the default columns on a host (a
 * negative order puts it before the gadget's own fields); the others are
 * hidden unless asked for, and on a Kubernetes node the k8s.* view is
 * shown instead.
 */
static int add_runtime_fields(struct build *b)
{
	static const struct derived parts[] = {
		{ "containerName", RT_NAME, -26, "Name of the container" },
		{ "containerId", RT_ID, -24, "Id of the container" },
		{ "runtimeName", RT_RUNTIME, -25, "Container runtime" },
		{ "containerImageName", RT_IMAGE, -23,
		  "Image of the container" },
	};
	size_t i, j, n = b->n;
	int parent;

	for (i = 0; i < n; i++)
		if (b->bi[i].tmpl && !strcmp(b->bi[i].tmpl, "mntns_id") &&
		    b->f[i].size == 8 && !b->f[i].bit_size)
			break;
	if (i == n)
		return 0;
	for (j = 0; j < n; j++)
		if (!strcmp(b->f[j].name, "runtime"))
			return 0; /* the gadget has its own */
	parent = add_derived(b, "runtime", FK_RUNTIME, parts,
			     sizeof(parts) / sizeof(parts[0]));
	if (parent < 0)
		return -1;
	for (j = 0; j < sizeof(parts) / sizeof(parts[0]); j++) {
		int d = parent + 1 + (int)j;

		b->f[d].off = b->f[i].off;
		b->f[d].size = b->f[i].size;
		b->f[d].envs = 1u << FIELDSET_HOST;
		if (parts[j].info == RT_NAME)
			b->bi[d].tmpl = "container";
		else
			b->bi[d].type_hidden = true;
	}
	return 0;
}

/*
 * k8s.{node,namespace,podName,containerName,hostnetwork,podLabels,podUID},
 * as ig names them: the pod of the event's mount namespace, else the pod
 * whose network namespace the event's is (a pod's traffic without a
 * container process behind it).  The first four lead the default columns
 * on a Kubernetes node.
 */
static int add_k8s_fields(struct build *b)
{
	static const struct derived parts[] = {
		{ "node", K8S_NODE, -30, "Kubernetes node" },
		{ "namespace", K8S_NAMESPACE, -29, "Namespace of the pod" },
		{ "podName", K8S_PODNAME, -28, "Name of the pod" },
		{ "containerName", K8S_CONTAINERNAME, -27,
		  "Name of the container in the pod" },
		{ "hostnetwork", K8S_HOSTNETWORK, -22,
		  "The pod uses the host's network" },
		{ "podLabels", K8S_PODLABELS, -21, "Labels of the pod" },
		{ "podUID", K8S_PODUID, -20, "UID of the pod" },
	};
	size_t i, j, n = b->n;
	int mnt = -1, net = -1, parent;

	for (i = 0; i < n; i++) {
		const char *t = b->bi[i].tmpl;

		if (!t || b->f[i].bit_size)
			continue;
		if (mnt < 0 && !strcmp(t, "mntns_id") && b->f[i].size == 8)
			mnt = (int)i;
		if (net < 0 && !strcmp(t, "netns_id") &&
		    (b->f[i].size == 8 || b->f[i].size == 4))
			net = (int)i;
		if (!strcmp(b->f[i].name, "k8s"))
			return 0; /* the gadget has its own */
	}
	if (mnt < 0 && net < 0)
		return 0;
	parent = add_derived(b, "k8s", FK_K8S, parts,
			     sizeof(parts) / sizeof(parts[0]));
	if (parent < 0)
		return -1;
	for (j = 0; j < sizeof(parts) / sizeof(parts[0]); j++) {
		int d = parent + 1 + (int)j;

		b->f[d].size = mnt >= 0 ? 8 : 0;
		b->f[d].off = mnt >= 0 ? b->f[mnt].off : 0;
		b->f[d].netns_off = net >= 0 ? b->f[net].off : 0;
		b->f[d].netns_size = net >= 0 ? (__u8)b->f[net].size : 0;
		if (parts[j].order <= -27) {
			b->f[d].envs = 1u << FIELDSET_KUBERNETES;
			b->bi[d].tmpl =
				parts[j].info == K8S_NODE      ? "node" :
				parts[j].info == K8S_NAMESPACE ? "namespace" :
				parts[j].info == K8S_PODNAME   ? "podname" :
								 "containername";
		} else {
			b->bi[d].type_hidden = true;
		}
	}
	return 0;
}

/* Is var one of the comma-separated names of list, split as ig's
 * strings.Split() splits it ("" is one name, "": the default allows the
 * variable "" only)?  NULL: every variable is. */
static bool env_allowed(const char *list, const char *var)
{
	size_t n = strlen(var);

	if (!list)
		return true;
	for (const char *p = list;; p++) {
		size_t len = strcspn(p, ",");

		if (len == n && !strncmp(p, var, n))
			return true;
		p += len;
		if (!*p)
			return false;
	}
}

/* Variable var's value val (NULL: unset, "") as an FK_ENV field keeps
 * it, in one block. */
static struct field_env *env_new(const char *var, const char *val)
{
	size_t vl = strlen(var), len = val ? strlen(val) : 0;
	/* up to 4 bytes a byte escaped, as field_text() gives */
	struct field_env *e =
		malloc(sizeof(*e) + vl + 1 + len + 1 + 4 * len + 1);
	char *p;

	if (!e)
		return NULL;
	p = e->buf;
	e->var = memcpy(p, var, vl + 1);
	p += vl + 1;
	e->len = len;
	e->value = memcpy(p, val ? val : "", len + 1);
	p += len + 1;
	e->text_len = field_quote(p, e->value, len);
	p[e->text_len] = '\0';
	e->text = p;
	return e;
}

/*
 * ig's env operator: each annotation env.fields.NAME: VAR of the data
 * source adds a string field NAME (no parent, visible, ig's default
 * width) holding $VAR as it is now, "" when unset; VAR must be allowed
 * (--env-vars), else the run fails as ig's does.  In gadget.yaml's order
 * (ig's is its map's, random), after every other field.
 */
static int add_env_fields(struct build *b, const char *allowed)
{
	static const char prefix[] = "env.fields.";
	struct field_env **env;
	const char *key, *var;
	size_t i;

	for (i = 0;
	     b->md &&
	     (key = metadata_field_annotation_at(b->md, b->ds, NULL, i, &var));
	     i++) {
		const char *name;
		struct field *f;
		int d;

		if (strncmp(key, prefix, sizeof(prefix) - 1))
			continue;
		name = key + sizeof(prefix) - 1;
		if (!env_allowed(allowed, var))
			return error_set(b->err, 0,
					 "%s: environment var \"%s\" not in "
					 "allowed vars (--env-vars \"%s\")",
					 key, var, allowed);
		if (!*name)
			return error_set(b->err, 0, "%s: no field name", key);
		for (size_t j = 0; j < b->n; j++)
			if (!strcmp(b->f[j].name, name))
				return error_set(b->err, 0,
						 "%s: field %s already exists",
						 key, name);
		if (b->n_vars > UCHAR_MAX) /* field.info holds its index */
			return error_set(b->err, 0,
					 "%s: more than %d env.fields.*", key,
					 UCHAR_MAX + 1);
		d = build_add_field(b, NULL, name, -1, 0, FK_ENV);
		if (d < 0)
			return -1;
		f = &b->f[d];
		f->key = f->name; /* ig's name: the whole of it */
		f->info = (__u8)b->n_vars;
		env = realloc(b->vars, (b->n_vars + 1) * sizeof(*env));
		if (!env)
			return error_set(b->err, ENOMEM, "fields");
		b->vars = env;
		b->vars[b->n_vars] = env_new(var, getenv(var));
		if (!b->vars[b->n_vars++])
			return error_set(b->err, ENOMEM, "fields");
	}
	return 0;
}

void fieldset_set_containers(struct fieldset *fs, struct containers *c)
{
	fs->containers = c;
}

void fieldset_set_stacks(struct fieldset *fs, struct stacks *s)
{
	fs->stacks = s;
}

bool fieldset_has_stacks(const struct fieldset *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->f[i].kind == FK_KSTACK || fs->f[i].kind == FK_USTACK)
			return true;
	return false;
}

bool fieldset_has_packets(const struct fieldset *fs)
{
	return fs->rest_len >= 0;
}

bool fieldset_shows_rest(const struct fieldset *fs, bool columns)
{
	for (size_t i = 0; i < fs->n; i++) {
		if (fs->f[i].kind != FK_REST)
			continue;
		if (!columns)
			return !fs->f[i].json_skip &&
			       (!fs->explicit_selection || fs->f[i].selected);
		for (size_t c = 0; c < fs->n_cols; c++)
			if (fs->cols[c] == (int)i)
				return true;
	}
	return false;
}

bool fieldset_has_runtime(const struct fieldset *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->f[i].kind == FK_RUNTIME || fs->f[i].kind == FK_K8S)
			return true;
	return false;
}

void fieldset_proc(const struct fieldset *fs, const void *ev, __u64 *mntns,
		   __u32 *pid)
{
	__u64 netns;

	fieldset_pod_ns(fs, ev, mntns, &netns);
	*pid = 0;
	if (fs->pid >= 0)
		memcpy(pid, (const char *)ev + fs->f[fs->pid].off, 4);
}

int fieldset_time_field(const struct fieldset *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->f[i].kind == FK_TIMESTAMP && fs->f[i].parent == -1)
			return (int)i;
	return -1;
}

__u64 fieldset_time(const struct fieldset *fs, int field, const void *ev)
{
	return field_u64(&fs->f[field], ev);
}

/*
 * ebpf.rest.name: the bytes after the struct are a field of that name,
 * as ig's ebpf operator adds it (after the struct's members).
 */
static int add_rest_field(struct build *b)
{
	const char *name =
		b->md ? metadata_ds_annotation(b->md, b->ds, "ebpf.rest.name") :
			NULL;
	int i;

	if (!name)
		return 0;
	for (size_t j = 0; j < b->n; j++)
		if (!strcmp(b->f[j].name, name))
			return error_set(b->err, 0,
					 "ebpf.rest.name names a field of the "
					 "struct: %s",
					 name);
	i = build_add_field(b, NULL, name, -1, 0, FK_REST);
	return i < 0 ? -1 : 0;
}

/*
 * The index of the single unsigned integer field that annotation ann
 * (value name) names, into *idx; -1 and an error naming both otherwise.
 */
static int uint_field(struct build *b, const struct fieldset *fs,
		      const char *ann, const char *name, int *idx)
{
	*idx = fieldset_lookup(fs, name);
	if (*idx >= 0 && fs->f[*idx].kind == FK_UINT && fs->f[*idx].count == 1)
		return 0;
	return error_set(b->err, 0,
			 "data source %s: %s names no unsigned integer field: "
			 "%s",
			 b->ds, ann, name);
}

/*
 * ebpf.rest.name/ebpf.rest.len (datasource annotations, as ig's): the
 * record carries bytes after the struct, as many as the integer field
 * rest.len names says.
 */
static int rest_field(struct build *b, struct fieldset *fs)
{
	const char *len =
		b->md ? metadata_ds_annotation(b->md, b->ds, "ebpf.rest.len") :
			NULL;
	const char *wire, *ts;

	fs->rest_len = -1;
	fs->wire_len = -1;
	if (!len)
		return 0;
	if (uint_field(b, fs, "ebpf.rest.len", len, &fs->rest_len))
		return -1;
	/* ig's packet capture (gadgets/tcpdump): pcap.payload marks the
	 * bytes, which ig's pcap-ng output writes as Ethernet frames */
	fs->rest_ether = metadata_ds_annotation(b->md, b->ds, "pcap.payload");
	ts = metadata_ds_annotation(b->md, b->ds, "pcap.timestamp");
	if (ts && !(fs->pcap_ts = strdup(ts)))
		return error_set(b->err, ENOMEM, "fields");
	/* the interface of each packet (pkg/operators/cli): what the
	 * fields say, read by the pcap-ng writer, which checks them */
	for (size_t i = 0; i < fs->n; i++) {
		struct field *f = &fs->f[i];
		const char *key =
			build_ann_lookup(b, f->name, "pcap.interface-key");
		const char *var =
			build_ann_lookup(b, f->name, "pcap.interface-var");

		f->if_key = key && !strcmp(key, "true");
		if (var && !(f->if_var = strdup(var)))
			return error_set(b->err, ENOMEM, "fields");
	}
	wire = metadata_ds_annotation(b->md, b->ds, "pcap.packet-length");
	if (!wire)
		return 0;
	return uint_field(b, fs, "pcap.packet-length", wire, &fs->wire_len);
}

int fieldset_new(const struct btf *btf, __u32 type_id,
		 const struct gadget_metadata *md, const char *ds,
		 struct fieldset **out, struct error **err)
{
	return fieldset_new_env(btf, type_id, md, ds, NULL, out, err);
}

int fieldset_new_env(const struct btf *btf, __u32 type_id,
		     const struct gadget_metadata *md, const char *ds,
		     const char *env_vars, struct fieldset **out,
		     struct error **err)
{
	struct build b = { .btf = btf, .md = md, .ds = ds, .err = err };
	const struct btf_type *t;
	struct fieldset *fs;
	__u32 id;
	int r;

	*out = NULL;
	id = build_resolve(btf, type_id, NULL);
	t = btf__type_by_id(btf, id);
	if (!t || !btf_is_struct(t))
		return error_set(err, 0,
				 "data source %s: type %u is not a struct",
				 ds ? ds : "?", type_id);
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return error_set(err, ENOMEM, "fields");
	r = build_check_layout(btf, err);
	if (!r)
		r = build_walk_struct(&b, id, 0, NULL, -1, 0, 0);
	if (!r)
		r = add_rest_field(&b);
	if (!r)
		r = add_runtime_fields(&b);
	if (!r)
		r = add_k8s_fields(&b);
	if (!r)
		r = add_env_fields(&b, env_vars);
	/* from here on fs owns the fields; b.f only aliases them */
	fs->f = b.f;
	fs->n = b.n;
	fs->vars = b.vars;
	fs->n_vars = b.n_vars;
	if (r < 0)
		goto err_fs;
	fs->event_size = t->size;
	fs->ds = ds ? strdup(ds) : NULL;
	if (ds && !fs->ds) {
		error_set(err, ENOMEM, "fields");
		goto err_fs;
	}
	fs->k8s = fs->pid = -1;
	for (size_t i = 0; i < fs->n && fs->k8s < 0; i++)
		if (fs->f[i].kind == FK_K8S)
			fs->k8s = (int)i;
	for (size_t i = 0; i < fs->n && fs->pid < 0; i++)
		if (fs->f[i].gtype && !strcmp(fs->f[i].gtype, "gadget_pid") &&
		    fs->f[i].size == 4 && !fs->f[i].bit_size)
			fs->pid = (int)i;
	fs->boot_to_real_ns = boot_to_real_offset();
	for (size_t i = 0; i < fs->n; i++) {
		struct field *f = &fs->f[i];

		if (f->raw_of >= 0 && fs->f[f->raw_of].kind == FK_TIMESTAMP)
			f->add = (__u64)fs->boot_to_real_ns;
	}
	if (build_validate_metadata(&b, fs) < 0)
		goto err_fs;
	for (size_t i = 0; i < fs->n; i++)
		if (build_apply_annotations(&b, i) < 0)
			goto err_fs;
	for (size_t i = 0; i < fs->n; i++)
		if (build_resolve_shown_if(&b, fs, i) < 0)
			goto err_fs;
	build_set_titles(fs);
	if (rest_field(&b, fs) < 0)
		goto err_fs;
	for (size_t i = 0; i < fs->n; i++) {
		struct field *f = &fs->f[i];
		int tl = f->title ? (int)strlen(f->title) : 0;

		if (!f->title) {
			error_set(err, ENOMEM, "fields");
			goto err_fs;
		}
		if (f->width < 0) {
			f->width = build_default_width(f);
			if (f->width < tl)
				f->width = tl;
		}
		if (f->minwidth < 0)
			f->minwidth = f->width < 4 ? f->width : 4;
		if (f->minwidth > f->width)
			f->minwidth = f->width;
		if (f->maxwidth >= 0 && f->maxwidth < f->width)
			f->maxwidth = f->width;
		f->max_text = f->kind == FK_ENV ? field_env(fs, f)->text_len :
						  build_max_text(f);
		f->json_string =
			!f->is_struct && f->kind != FK_UINT &&
			f->kind != FK_SINT && f->kind != FK_BOOL &&
			f->kind != FK_FLOAT && f->kind != FK_INTARRAY &&
			!(f->kind == FK_K8S && f->info == K8S_HOSTNETWORK);
		/* worst case: every byte escaped as \uXXXX, plus quotes */
		f->max_json = f->json_string ? f->max_text * 6 + 2 :
					       f->max_text + 2;
		if (f->kind == FK_STRING)
			f->max_json = (size_t)f->size * 6 + 2;
		if (f->kind == FK_REST) /* hex, quoted */
			f->max_json = f->max_text + 2;
	}
	fs->cols = calloc(fs->n ? fs->n : 1, sizeof(*fs->cols));
	if (!fs->cols) {
		error_set(err, ENOMEM, "fields");
		goto err_fs;
	}
	default_columns(fs);
	free(b.bi);
	*out = fs;
	return 0;

err_fs:
	free(b.bi);
	fieldset_free(fs);
	return error_prefix(err, "data source %s", ds ? ds : "?");
}

size_t fieldset_event_size(const struct fieldset *fs)
{
	return fs->event_size;
}

/* ---- lookup and selection -------------------------------------------- */

static bool cols_has(const struct fieldset *fs, int idx)
{
	for (size_t i = 0; i < fs->n_cols; i++)
		if (fs->cols[i] == idx)
			return true;
	return false;
}

static void cols_add(struct fieldset *fs, int idx, bool natural)
{
	size_t pos = fs->n_cols;

	if (cols_has(fs, idx))
		return;
	if (natural) {
		for (pos = 0;
		     pos < fs->n_cols && col_before(fs, fs->cols[pos], idx);
		     pos++)
			;
		memmove(&fs->cols[pos + 1], &fs->cols[pos],
			(fs->n_cols - pos) * sizeof(*fs->cols));
	}
	fs->cols[pos] = idx;
	fs->n_cols++;
}

static void cols_del(struct fieldset *fs, int idx)
{
	for (size_t i = 0; i < fs->n_cols; i++) {
		if (fs->cols[i] != idx)
			continue;
		memmove(&fs->cols[i], &fs->cols[i + 1],
			(fs->n_cols - i - 1) * sizeof(*fs->cols));
		fs->n_cols--;
		return;
	}
}

static bool is_descendant(const struct fieldset *fs, size_t i, int anc)
{
	for (int p = fs->f[i].parent; p >= 0; p = fs->f[p].parent)
		if (p == anc)
			return true;
	return false;
}

bool fieldset_knows(const struct fieldset *fs, const char *spec)
{
	cleanup_free char *copy = spec ? strdup(spec) : NULL;
	char *save = NULL, *tok, *end;

	if (!copy)
		return !spec;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		end = tok + strlen(tok);
		while (end > tok && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*tok == '+' || *tok == '-')
			tok++;
		if (*tok && fieldset_lookup(fs, tok) == -1)
			return false;
	}
	return true;
}

int fieldset_select(struct fieldset *fs, const char *spec, struct error **err)
{
	cleanup_free char *copy = spec ? strdup(spec) : NULL;
	cleanup_free int *saved = NULL;
	cleanup_free char *named = NULL; /* per field: its last sign */
	size_t saved_n = fs->n_cols;
	bool plain = false, natural;
	char *save = NULL, *tok;

	if (!spec)
		return 0;
	saved = malloc((fs->n ? fs->n : 1) * sizeof(*saved));
	named = calloc(fs->n ? fs->n : 1, 1);
	if (!copy || !saved || !named)
		return error_set(err, ENOMEM, "--fields");
	memcpy(saved, fs->cols, fs->n_cols * sizeof(*saved));
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		if (*tok && *tok != '+' && *tok != '-')
			plain = true;
	}
	free(copy);
	copy = strdup(spec);
	if (!copy)
		return error_set(err, ENOMEM, "--fields");
	if (plain)
		fs->n_cols = 0;
	natural = !plain;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char sign = 0, *end;
		int idx;

		while (isspace((unsigned char)*tok))
			tok++;
		end = tok + strlen(tok);
		while (end > tok && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*tok == '+' || *tok == '-')
			sign = *tok++;
		if (!*tok)
			continue;
		idx = fieldset_lookup(fs, tok);
		if (idx < 0) {
			memcpy(fs->cols, saved, saved_n * sizeof(*saved));
			fs->n_cols = saved_n;
			if (idx == -2)
				return error_set(
					err, 0, "--fields: \"%s\" is ambiguous",
					tok);
			return error_set(err, 0,
					 "--fields: unknown field \"%s\"", tok);
		}
		/* "+a,-a": added and removed, an error as in ig */
		if (named[idx] && (named[idx] == '-') != (sign == '-')) {
			memcpy(fs->cols, saved, saved_n * sizeof(*saved));
			fs->n_cols = saved_n;
			return error_set(err, 0,
					 "--fields: \"%s\" both added and "
					 "removed (-)",
					 tok);
		}
		named[idx] = sign ? sign : '+';
		if (fs->f[idx].columnable) {
			if (sign == '-')
				cols_del(fs, idx);
			else
				cols_add(fs, idx, natural);
			continue;
		}
		/* a plain struct stands for its columns */
		for (size_t i = 0; i < fs->n; i++) {
			if (!fs->f[i].columnable || !is_descendant(fs, i, idx))
				continue;
			if (fs->f[i].parent >= 0 &&
			    fs->f[fs->f[i].parent].columnable)
				continue; /* endpoint parts */
			if (sign == '-')
				cols_del(fs, (int)i);
			else
				cols_add(fs, (int)i, natural);
		}
	}
	for (size_t i = 0; i < fs->n; i++)
		fs->f[i].selected = false;
	for (size_t i = 0; i < fs->n_cols; i++)
		fs->f[fs->cols[i]].selected = true;
	fs->explicit_selection = true;
	return 0;
}

void fieldset_describe(const struct fieldset *fs, FILE *out)
{
	for (size_t i = 0; i < fs->n; i++) {
		const struct field *f = &fs->f[i];

		if (!f->columnable)
			continue;
		cleanup_free char *env = NULL;
		const char *d = f->description;

		/* ig's env operator gives none: which variable it shows */
		if (f->kind == FK_ENV && !d &&
		    asprintf(&env, "$%s (env.fields)", field_env(fs, f)->var) >=
			    0)
			d = env;
		cleanup_free char *name = term_escaped(f->name, 0);
		cleanup_free char *desc = term_escaped(d, 0);

		fprintf(out, "  %-28s %s%s\n", name ? name : "",
			desc ? desc : "",
			!default_visible(fs, f) ?
				(desc && *desc ? " (hidden)" : "(hidden)") :
				"");
	}
}
