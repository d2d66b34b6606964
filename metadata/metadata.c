// SPDX-License-Identifier: Apache-2.0
/*
 * gadget.yaml, parsed with libyaml's document API into a small owned model.
 * Every shape error names the file, line and column of the offending node;
 * keys this model does not know are ignored so that newer metadata still
 * loads, but a known key with the wrong shape is an error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "common/cleanup.h"
#include "metadata/build_file.h"
#include "metadata/metadata.h"
#include "metadata/metadata_internal.h"
#include "metadata/yaml_limits.h"

static const char *const top_scalars[] = {
	"name", "description", "homepageURL", "documentationURL", "sourceURL",
};

struct parse_ctx {
	yaml_document_t *doc;
	const char *file;
	struct error **err;
};

static void kv_free(struct md_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void metadata_free(struct gadget_metadata *md)
{
	if (!md)
		return;
	kv_free(md->top, md->n_top);
	kv_free(md->ann, md->n_ann);
	for (size_t i = 0; i < md->n_ds; i++) {
		struct md_ds *ds = &md->ds[i];

		free(ds->name);
		kv_free(ds->ann, ds->n_ann);
		for (size_t j = 0; j < ds->n_fields; j++) {
			free(ds->fields[j].name);
			kv_free(ds->fields[j].ann, ds->fields[j].n_ann);
		}
		free(ds->fields);
	}
	free(md->ds);
	for (size_t i = 0; i < md->n_params; i++) {
		free((char *)md->params[i].var);
		free((char *)md->params[i].key);
		free((char *)md->params[i].default_value);
		free((char *)md->params[i].description);
	}
	free(md->params);
	kv_free(md->pdefs, md->n_pdefs);
	for (size_t i = 0; i < md->n_progs; i++) {
		free((char *)md->progs[i].name);
		free((char *)md->progs[i].perf_type);
		free((char *)md->progs[i].perf_config);
		free((char *)md->progs[i].perf_sample_type);
		free((char *)md->progs[i].frequency);
		free((char *)md->progs[i].attach_to);
	}
	free(md->progs);
	free(md);
}

static const char *kind_name(yaml_node_type_t t)
{
	switch (t) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static int node_error(struct parse_ctx *c, const yaml_node_t *n,
		      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int node_error(struct parse_ctx *c, const yaml_node_t *n,
		      const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_set(c->err, 0, "%s:%zu:%zu: %s", c->file,
			 n->start_mark.line + 1, n->start_mark.column + 1, msg);
}

/*
 * Check that n is a mapping (a null counts as an empty one).  what names
 * the node for the message.  Returns the number of pairs or -1.
 */
static int expect_mapping(struct parse_ctx *c, const yaml_node_t *n,
			  const char *what)
{
	if (yaml_node_is_null(n))
		return 0;
	if (n->type == YAML_MAPPING_NODE)
		return (int)(n->data.mapping.pairs.top -
			     n->data.mapping.pairs.start);
	return node_error(c, n, "%s must be a mapping, not %s", what,
			  kind_name(n->type));
}

static int expect_scalar(struct parse_ctx *c, const yaml_node_t *n,
			 const char *what, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return node_error(c, n, "%s must be a scalar, not %s", what,
				  kind_name(n->type));
	*out = (const char *)n->data.scalar.value;
	return 0;
}

/* Walk the pairs of mapping n: key node, key string, value node. */
struct pair_iter {
	yaml_node_pair_t *p, *end;
};

static void pairs_init(struct pair_iter *it, const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE) {
		it->p = n->data.mapping.pairs.start;
		it->end = n->data.mapping.pairs.top;
	} else {
		it->p = it->end = NULL;
	}
}

/* Next pair; keys must be scalars and unique within the mapping. */
static int pairs_next(struct parse_ctx *c, struct pair_iter *it,
		      const char **key, yaml_node_t **val, const char *what)
{
	yaml_node_t *k;
	char ctx[256];

	if (it->p >= it->end)
		return 0;
	k = yaml_document_get_node(c->doc, it->p->key);
	*val = yaml_document_get_node(c->doc, it->p->value);
	if (!k || !*val)
		return error_set(c->err, 0, "%s: broken YAML document",
				 c->file);
	snprintf(ctx, sizeof(ctx), "a key of %s", what);
	if (expect_scalar(c, k, ctx, key) < 0)
		return -1;
	for (yaml_node_pair_t *q = it->p + 1; q < it->end; q++) {
		yaml_node_t *k2 = yaml_document_get_node(c->doc, q->key);

		if (k2 && k2->type == YAML_SCALAR_NODE &&
		    !strcasecmp((const char *)k2->data.scalar.value, *key))
			return node_error(c, k2, "duplicate key \"%s\"", *key);
	}
	it->p++;
	return 1;
}

static int parse_annotations(struct parse_ctx *c, const yaml_node_t *n,
			     const char *what, struct md_kv **out,
			     size_t *n_out)
{
	struct pair_iter it;
	const char *key = NULL, *val = NULL;
	yaml_node_t *v;
	char ctx[300];
	int count, r;

	count = expect_mapping(c, n, what);
	if (count < 0)
		return -1;
	*out = calloc(count ? count : 1, sizeof(**out));
	if (!*out)
		return error_set(c->err, ENOMEM, "%s", c->file);
	*n_out = 0;
	pairs_init(&it, n);
	while ((r = pairs_next(c, &it, &key, &v, what)) > 0) {
		struct md_kv *kv = &(*out)[*n_out];

		snprintf(ctx, sizeof(ctx), "annotation \"%s\"", key);
		if (expect_scalar(c, v, ctx, &val) < 0)
			return -1;
		kv->key = strdup(key);
		kv->value = strdup(yaml_node_is_null(v) ? "" : val);
		(*n_out)++; /* freed with the others, whole or not */
		if (!kv->key || !kv->value)
			return error_set(c->err, ENOMEM, "%s", c->file);
	}
	return r;
}

/* fields.<name>: { annotations: {...} } */
static int parse_fields(struct parse_ctx *c, const yaml_node_t *n,
			struct md_ds *ds)
{
	struct pair_iter it, it2;
	const char *name, *key;
	yaml_node_t *v, *v2;
	char what[300];
	int count, r, r2;

	snprintf(what, sizeof(what), "datasources.%s.fields", ds->name);
	count = expect_mapping(c, n, what);
	if (count < 0)
		return -1;
	ds->fields = calloc(count ? count : 1, sizeof(*ds->fields));
	if (!ds->fields)
		return error_set(c->err, ENOMEM, "%s", c->file);
	pairs_init(&it, n);
	while ((r = pairs_next(c, &it, &name, &v, what)) > 0) {
		struct md_field *f = &ds->fields[ds->n_fields++];
		char fwhat[300];

		f->name = strdup(name);
		if (!f->name)
			return error_set(c->err, ENOMEM, "%s", c->file);
		if (!*name)
			return node_error(c, v, "empty field name");
		snprintf(fwhat, sizeof(fwhat), "datasources.%s.fields.%s",
			 ds->name, name);
		if (expect_mapping(c, v, fwhat) < 0)
			return -1;
		pairs_init(&it2, v);
		while ((r2 = pairs_next(c, &it2, &key, &v2, fwhat)) > 0) {
			char awhat[400];

			if (strcasecmp(key, "annotations"))
				continue;
			snprintf(awhat, sizeof(awhat), "%s.annotations", fwhat);
			if (f->ann) {
				return node_error(c, v2, "duplicate key \"%s\"",
						  key);
			}
			if (parse_annotations(c, v2, awhat, &f->ann,
					      &f->n_ann) < 0)
				return -1;
		}
		if (r2 < 0)
			return -1;
	}
	return r;
}

static int parse_datasources(struct parse_ctx *c, const yaml_node_t *n,
			     struct gadget_metadata *md)
{
	struct pair_iter it, it2;
	const char *name, *key;
	yaml_node_t *v, *v2;
	int count, r, r2;

	count = expect_mapping(c, n, "datasources");
	if (count < 0)
		return -1;
	md->ds = calloc(count ? count : 1, sizeof(*md->ds));
	if (!md->ds)
		return error_set(c->err, ENOMEM, "%s", c->file);
	pairs_init(&it, n);
	while ((r = pairs_next(c, &it, &name, &v, "datasources")) > 0) {
		struct md_ds *ds = &md->ds[md->n_ds++];
		char what[300];
		bool seen_fields = false;

		ds->name = strdup(name);
		if (!ds->name)
			return error_set(c->err, ENOMEM, "%s", c->file);
		snprintf(what, sizeof(what), "datasources.%s", name);
		if (expect_mapping(c, v, what) < 0)
			return -1;
		pairs_init(&it2, v);
		while ((r2 = pairs_next(c, &it2, &key, &v2, what)) > 0) {
			char awhat[400];

			if (!strcasecmp(key, "annotations")) {
				if (ds->ann)
					return node_error(
						c, v2, "duplicate key \"%s\"",
						key);
				snprintf(awhat, sizeof(awhat), "%s.annotations",
					 what);
				if (parse_annotations(c, v2, awhat, &ds->ann,
						      &ds->n_ann) < 0)
					return -1;
			} else if (!strcasecmp(key, "fields")) {
				if (seen_fields)
					return node_error(
						c, v2, "duplicate key \"%s\"",
						key);
				seen_fields = true;
				if (parse_fields(c, v2, ds) < 0)
					return -1;
			}
		}
		if (r2 < 0)
			return -1;
	}
	return r;
}

static int parse_params(struct parse_ctx *c, const yaml_node_t *n,
			struct gadget_metadata *md)
{
	struct pair_iter it, it2, it3;
	const char *cat, *var, *key, *val = NULL;
	yaml_node_t *v, *v2, *v3;
	int r, r2, r3;

	if (expect_mapping(c, n, "params") < 0)
		return -1;
	pairs_init(&it, n);
	while ((r = pairs_next(c, &it, &cat, &v, "params")) > 0) {
		int count;

		if (strcasecmp(cat, "ebpf"))
			continue;
		count = expect_mapping(c, v, "params.ebpf");
		if (count < 0)
			return -1;
		if (md->params)
			return node_error(c, v, "duplicate key \"%s\"", cat);
		md->params = calloc(count ? count : 1, sizeof(*md->params));
		if (!md->params)
			return error_set(c->err, ENOMEM, "%s", c->file);
		pairs_init(&it2, v);
		while ((r2 = pairs_next(c, &it2, &var, &v2, "params.ebpf")) >
		       0) {
			struct metadata_param *p = &md->params[md->n_params++];
			char what[300];

			p->var = strdup(var);
			if (!p->var)
				return error_set(c->err, ENOMEM, "%s", c->file);
			snprintf(what, sizeof(what), "params.ebpf.%s", var);
			if (expect_mapping(c, v2, what) < 0)
				return -1;
			pairs_init(&it3, v2);
			while ((r3 = pairs_next(c, &it3, &key, &v3, what)) >
			       0) {
				const char **slot;
				char kwhat[400];

				if (!strcasecmp(key, "key"))
					slot = &p->key;
				else if (!strcasecmp(key, "defaultValue"))
					slot = &p->default_value;
				else if (!strcasecmp(key, "description"))
					slot = &p->description;
				else
					continue;
				snprintf(kwhat, sizeof(kwhat), "%s.%s", what,
					 key);
				if (expect_scalar(c, v3, kwhat, &val) < 0)
					return -1;
				*slot = strdup(yaml_node_is_null(v3) ? "" :
								       val);
				if (!*slot)
					return error_set(c->err, ENOMEM, "%s",
							 c->file);
			}
			if (r3 < 0)
				return -1;
			if (!p->key || !*p->key) {
				free((char *)p->key);
				p->key = strdup(var);
				if (!p->key)
					return error_set(c->err, ENOMEM, "%s",
							 c->file);
			}
		}
		if (r2 < 0)
			return -1;
	}
	return r;
}

/* The scalars of mapping n (named what) whose keys keys[] names, into
 * slots[]; other keys are left alone. */
static int parse_scalars(struct parse_ctx *c, const yaml_node_t *n,
			 const char *what, const char *const *keys,
			 const char **slots[], size_t n_keys)
{
	struct pair_iter it;
	const char *key, *val = NULL;
	yaml_node_t *v;
	int r;

	if (expect_mapping(c, n, what) < 0)
		return -1;
	pairs_init(&it, n);
	while ((r = pairs_next(c, &it, &key, &v, what)) > 0) {
		char kwhat[400];
		size_t k;

		for (k = 0; k < n_keys && strcasecmp(key, keys[k]); k++)
			;
		if (k == n_keys)
			continue;
		snprintf(kwhat, sizeof(kwhat), "%s.%s", what, key);
		if (expect_scalar(c, v, kwhat, &val) < 0)
			return -1;
		*slots[k] = strdup(yaml_node_is_null(v) ? "" : val);
		if (!*slots[k])
			return error_set(c->err, ENOMEM, "%s", c->file);
	}
	return r;
}

/* programs.<name>.attach_to: a scalar ("" when null). */
static int parse_attach_to(struct parse_ctx *c, const yaml_node_t *v,
			   const char *what, struct metadata_program *p)
{
	const char *val = NULL;

	if (expect_scalar(c, v, what, &val) < 0)
		return -1;
	p->attach_to = strdup(yaml_node_is_null(v) ? "" : val);
	return p->attach_to ? 0 : error_set(c->err, ENOMEM, "%s", c->file);
}

/* programs.<name>.attach_to, .perf.{type,config,sampleType} and
 * .sampler.frequency; other keys are not read, as in ig. */
static int parse_programs(struct parse_ctx *c, const yaml_node_t *n,
			  struct gadget_metadata *md)
{
	static const char *const perf_keys[] = { "type", "config",
						 "sampleType" };
	static const char *const sampler_keys[] = { "frequency" };
	struct pair_iter it, it2;
	const char *name, *key;
	yaml_node_t *v, *v2;
	int count, r, r2;

	count = expect_mapping(c, n, "programs");
	if (count < 0)
		return -1;
	md->progs = calloc(count ? count : 1, sizeof(*md->progs));
	if (!md->progs)
		return error_set(c->err, ENOMEM, "%s", c->file);
	pairs_init(&it, n);
	while ((r = pairs_next(c, &it, &name, &v, "programs")) > 0) {
		struct metadata_program *p = &md->progs[md->n_progs++];
		const char **perf[] = { &p->perf_type, &p->perf_config,
					&p->perf_sample_type };
		const char **sampler[] = { &p->frequency };
		char what[300], kwhat[400];

		p->name = strdup(name);
		if (!p->name)
			return error_set(c->err, ENOMEM, "%s", c->file);
		snprintf(what, sizeof(what), "programs.%s", name);
		if (expect_mapping(c, v, what) < 0)
			return -1;
		pairs_init(&it2, v);
		while ((r2 = pairs_next(c, &it2, &key, &v2, what)) > 0) {
			snprintf(kwhat, sizeof(kwhat), "%s.%s", what, key);
			if (!strcasecmp(key, "attach_to") &&
			    parse_attach_to(c, v2, kwhat, p) < 0)
				return -1;
			if (!strcasecmp(key, "perf") &&
			    parse_scalars(c, v2, kwhat, perf_keys, perf, 3) < 0)
				return -1;
			if (!strcasecmp(key, "sampler") &&
			    parse_scalars(c, v2, kwhat, sampler_keys, sampler,
					  1) < 0)
				return -1;
		}
		if (r2 < 0)
			return -1;
	}
	return r;
}

static int parse_root(struct parse_ctx *c, const yaml_node_t *root,
		      struct gadget_metadata *md)
{
	struct pair_iter it;
	const char *key = NULL, *val = NULL;
	yaml_node_t *v;
	int r;

	if (expect_mapping(c, root, "the document") < 0)
		return -1;
	md->top = calloc(sizeof(top_scalars) / sizeof(top_scalars[0]),
			 sizeof(*md->top));
	if (!md->top)
		return error_set(c->err, ENOMEM, "%s", c->file);
	pairs_init(&it, root);
	while ((r = pairs_next(c, &it, &key, &v, "the document")) > 0) {
		size_t i;

		for (i = 0; i < sizeof(top_scalars) / sizeof(top_scalars[0]);
		     i++)
			if (!strcasecmp(key, top_scalars[i]))
				break;
		if (i < sizeof(top_scalars) / sizeof(top_scalars[0])) {
			struct md_kv *kv = &md->top[md->n_top++];

			if (expect_scalar(c, v, key, &val) < 0)
				return -1;
			kv->key = strdup(top_scalars[i]);
			kv->value = strdup(yaml_node_is_null(v) ? "" : val);
			if (!kv->key || !kv->value)
				return error_set(c->err, ENOMEM, "%s", c->file);
		} else if (!strcasecmp(key, "annotations")) {
			if (parse_annotations(c, v, "annotations", &md->ann,
					      &md->n_ann) < 0)
				return -1;
		} else if (!strcasecmp(key, "datasources")) {
			if (parse_datasources(c, v, md) < 0)
				return -1;
		} else if (!strcasecmp(key, "params")) {
			if (parse_params(c, v, md) < 0)
				return -1;
		} else if (!strcasecmp(key, "paramDefaults")) {
			if (parse_annotations(c, v, key, &md->pdefs,
					      &md->n_pdefs) < 0)
				return -1;
		} else if (!strcasecmp(key, "programs")) {
			if (parse_programs(c, v, md) < 0)
				return -1;
		}
	}
	return r;
}

int metadata_parse(const char *buf, size_t len, const char *filename,
		   struct gadget_metadata **out, struct error **err)
{
	struct gadget_metadata *md = NULL;
	yaml_document_t doc;
	struct parse_ctx c = { &doc, filename ? filename : "gadget.yaml", err };
	yaml_node_t *root;
	int ret = -1;

	*out = NULL;
	if (yaml_load_doc(buf, len, c.file, &doc, err))
		return -1;
	md = calloc(1, sizeof(*md));
	if (!md) {
		error_set(err, ENOMEM, "%s", c.file);
		goto out_doc;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && parse_root(&c, root, md) < 0)
		goto out_doc;
	if (!md->top) {
		md->top = calloc(1, sizeof(*md->top));
		if (!md->top) {
			error_set(err, ENOMEM, "%s", c.file);
			goto out_doc;
		}
	}
	*out = md;
	md = NULL;
	ret = 0;
out_doc:
	metadata_free(md);
	yaml_document_delete(&doc);
	return ret;
}

void build_file_free(struct build_file *bf)
{
	if (!bf)
		return;
	free(bf->ebpfsource);
	free(bf->metadata);
	free(bf->wasm);
	free(bf->cflags);
	free(bf);
}

/* One key of build.yaml: a file name (a null keeps the default). */
static int build_key(struct parse_ctx *c, yaml_node_t *v, const char *key,
		     char **slot)
{
	const char *val = NULL;

	if (yaml_node_is_null(v))
		return 0;
	if (expect_scalar(c, v, key, &val) < 0)
		return -1;
	if (!*val)
		return node_error(c, v, "%s is empty", key);
	free(*slot);
	*slot = strdup(val);
	return *slot ? 0 : error_set(c->err, ENOMEM, "%s", c->file);
}

int build_file_parse(const char *buf, size_t len, const char *filename,
		     struct build_file **out, struct error **err)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "ebpfsource", offsetof(struct build_file, ebpfsource) },
		{ "metadata", offsetof(struct build_file, metadata) },
		{ "wasm", offsetof(struct build_file, wasm) },
		{ "cflags", offsetof(struct build_file, cflags) },
	};
	struct build_file *bf = calloc(1, sizeof(*bf));
	yaml_document_t doc;
	struct parse_ctx c = { &doc, filename ? filename : "build.yaml", err };
	struct pair_iter it = { NULL, NULL };
	const char *key = NULL;
	yaml_node_t *root, *v;
	int r = -1;

	*out = NULL;
	if (!bf)
		return error_set(err, ENOMEM, "%s", c.file);
	bf->ebpfsource = strdup("program.bpf.c");
	bf->metadata = strdup("gadget.yaml");
	if (!bf->ebpfsource || !bf->metadata) {
		build_file_free(bf);
		return error_set(err, ENOMEM, "%s", c.file);
	}
	if (yaml_load_doc(buf, len, c.file, &doc, err)) {
		build_file_free(bf);
		return -1;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && expect_mapping(&c, root, "the document") < 0)
		goto out;
	if (root)
		pairs_init(&it, root);
	while ((r = pairs_next(&c, &it, &key, &v, "the document")) > 0)
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(key, keys[i].key) &&
			    build_key(&c, v, key,
				      (char **)((char *)bf + keys[i].off)) < 0)
				goto out;
	if (r == 0) {
		*out = bf;
		bf = NULL;
	}
out:
	if (bf)
		r = -1;
	build_file_free(bf);
	yaml_document_delete(&doc);
	return r;
}

static const char *kv_get(const struct md_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].value;
	return NULL;
}

const char *metadata_get(const struct gadget_metadata *md, const char *key)
{
	return md ? kv_get(md->top, md->n_top, key) : NULL;
}

const char *metadata_annotation(const struct gadget_metadata *md, size_t i,
				const char **value)
{
	if (!md || i >= md->n_ann)
		return NULL;
	*value = md->ann[i].value;
	return md->ann[i].key;
}

static const struct md_ds *find_ds(const struct gadget_metadata *md,
				   const char *ds)
{
	if (!md || !ds)
		return NULL;
	for (size_t i = 0; i < md->n_ds; i++)
		if (!strcmp(md->ds[i].name, ds))
			return &md->ds[i];
	return NULL;
}

const char *metadata_ds_annotation(const struct gadget_metadata *md,
				   const char *ds, const char *key)
{
	const struct md_ds *d = find_ds(md, ds);

	return d ? kv_get(d->ann, d->n_ann, key) : NULL;
}

const char *metadata_field_annotation(const struct gadget_metadata *md,
				      const char *ds, const char *field,
				      const char *key)
{
	const struct md_ds *d = find_ds(md, ds);

	if (!d)
		return NULL;
	for (size_t i = 0; i < d->n_fields; i++)
		if (!strcmp(d->fields[i].name, field))
			return kv_get(d->fields[i].ann, d->fields[i].n_ann,
				      key);
	return NULL;
}

const char *metadata_field_annotation_at(const struct gadget_metadata *md,
					 const char *ds, const char *field,
					 size_t i, const char **value)
{
	const struct md_ds *d = find_ds(md, ds);
	const struct md_kv *kv = NULL;
	size_t n = 0;

	if (d && !field) {
		kv = d->ann;
		n = d->n_ann;
	}
	for (size_t j = 0; d && field && j < d->n_fields && !kv; j++)
		if (!strcmp(d->fields[j].name, field)) {
			kv = d->fields[j].ann;
			n = d->fields[j].n_ann;
		}
	if (!kv || i >= n)
		return NULL;
	*value = kv[i].value;
	return kv[i].key;
}

size_t metadata_field_count(const struct gadget_metadata *md, const char *ds)
{
	const struct md_ds *d = find_ds(md, ds);

	return d ? d->n_fields : 0;
}

const char *metadata_field_name(const struct gadget_metadata *md,
				const char *ds, size_t i)
{
	const struct md_ds *d = find_ds(md, ds);

	return d && i < d->n_fields ? d->fields[i].name : NULL;
}

size_t metadata_param_count(const struct gadget_metadata *md)
{
	return md ? md->n_params : 0;
}

const struct metadata_param *metadata_param(const struct gadget_metadata *md,
					    size_t i)
{
	return md && i < md->n_params ? &md->params[i] : NULL;
}

const char *metadata_param_default(const struct gadget_metadata *md,
				   const char *name)
{
	for (size_t i = 0; md && i < md->n_pdefs; i++)
		if (!strcasecmp(md->pdefs[i].key, name))
			return md->pdefs[i].value;
	return NULL;
}

size_t metadata_program_count(const struct gadget_metadata *md)
{
	return md ? md->n_progs : 0;
}

const struct metadata_program *
metadata_program(const struct gadget_metadata *md, size_t i)
{
	return md && i < md->n_progs ? &md->progs[i] : NULL;
}

size_t metadata_ds_count(const struct gadget_metadata *md)
{
	return md ? md->n_ds : 0;
}

const char *metadata_ds_name(const struct gadget_metadata *md, size_t i)
{
	return md && i < md->n_ds ? md->ds[i].name : NULL;
}

/* Set key=value in a list of annotations (replacing an earlier value). */
static int kv_set(struct md_kv **kv, size_t *n, const char *key,
		  const char *value)
{
	struct md_kv *nkv;
	char *v = strdup(value), *k;

	if (!v)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp((*kv)[i].key, key)) {
			free((*kv)[i].value);
			(*kv)[i].value = v;
			return 0;
		}
	}
	k = strdup(key);
	nkv = realloc(*kv, (*n + 1) * sizeof(**kv));
	if (!k || !nkv) {
		free(k);
		free(v);
		if (nkv)
			*kv = nkv;
		return -1;
	}
	*kv = nkv;
	nkv[*n].key = k;
	nkv[(*n)++].value = v;
	return 0;
}

int metadata_annotate(struct gadget_metadata *md, const char *ds,
		      const char *field, const char *key, const char *value,
		      struct error **err)
{
	struct md_ds *d = (struct md_ds *)find_ds(md, ds);
	struct md_field *f = NULL;

	if (!d) {
		struct md_ds *nd =
			realloc(md->ds, (md->n_ds + 1) * sizeof(*nd));

		if (!nd)
			return error_set(err, ENOMEM, "annotate");
		md->ds = nd;
		d = &nd[md->n_ds];
		memset(d, 0, sizeof(*d));
		if (!(d->name = strdup(ds)))
			return error_set(err, ENOMEM, "annotate");
		md->n_ds++;
	}
	if (!field)
		return kv_set(&d->ann, &d->n_ann, key, value) ?
			       error_set(err, ENOMEM, "annotate") :
			       0;
	for (size_t i = 0; i < d->n_fields && !f; i++)
		if (!strcmp(d->fields[i].name, field))
			f = &d->fields[i];
	if (!f) {
		struct md_field *nf =
			realloc(d->fields, (d->n_fields + 1) * sizeof(*nf));

		if (!nf)
			return error_set(err, ENOMEM, "annotate");
		d->fields = nf;
		f = &nf[d->n_fields];
		memset(f, 0, sizeof(*f));
		if (!(f->name = strdup(field)))
			return error_set(err, ENOMEM, "annotate");
		d->n_fields++;
	}
	return kv_set(&f->ann, &f->n_ann, key, value) ?
		       error_set(err, ENOMEM, "annotate") :
		       0;
}
