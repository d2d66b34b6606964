// SPDX-License-Identifier: Apache-2.0
/*
 * gadget.yaml completed from the program, as ig's `image build
 * --update-metadata` (its types.Populate, written by yaml.v2): the file's
 * YAML document, loaded as metadata_parse() loads it, gets what is
 * missing, and libyaml's emitter writes it back.  What the author wrote
 * stays as written, in its order, keys this model does not read too;
 * the comments go, as in ig.  What is added takes yaml.v2's order: the
 * top-level keys at their place in ig's GadgetMetadata, data sources,
 * fields and params sorted by key among the ones added, so that a file
 * made from nothing has ig's bytes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "metadata/metadata.h"
#include "metadata/metadata_internal.h"
#include "metadata/yaml_limits.h"

/* ig's placeholders (pkg/gadgets/run/types/metadata.go, Populate). */
#define TODO_FIELD "TODO: Fill field description"
#define TODO_PARAM "TODO: Fill parameter description"

/* GadgetMetadata's keys in its struct order, the scalars with the text
 * Populate gives them when they are empty. */
static const char *const top_keys[][2] = {
	{ "name", "TODO: Fill the gadget name" },
	{ "description", "TODO: Fill the gadget description" },
	{ "homepageURL", "TODO: Fill the gadget homepage URL" },
	{ "documentationURL", "TODO: Fill the gadget documentation URL" },
	{ "sourceURL", "TODO: Fill the gadget source code URL" },
	{ "annotations", NULL },
	{ "datasources", NULL },
	{ "params", NULL },
};
#define N_TOP (sizeof(top_keys) / sizeof(top_keys[0]))
#define TOP_DATASOURCES 6
#define TOP_PARAMS 7

/* At most this many mappings get keys added (data sources' fields). */
#define MAX_SORTED 256

struct metadata_doc {
	yaml_document_t doc;
	int root;
	/* the pairs each node had when loaded (nodes made later: none) */
	size_t *orig;
	size_t n_orig;
	/* mappings whose added pairs are sorted: datasources, each one's
	 * fields, params.ebpf */
	int sorted[MAX_SORTED];
	size_t n_sorted;
};

static yaml_node_t *node(struct metadata_doc *d, int id)
{
	return yaml_document_get_node(&d->doc, id);
}

static size_t n_pairs(const yaml_node_t *n)
{
	return (size_t)(n->data.mapping.pairs.top -
			n->data.mapping.pairs.start);
}

/* yaml.v2 writes in double quotes a string that would read back as
 * another type: null, YAML 1.1's booleans. */
static yaml_scalar_style_t v2_style(const char *s)
{
	static const char *const words[] = { "y",  "yes", "on",	  "n",
					     "no", "off", "true", "false" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcasecmp(s, words[i]))
			return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	return md_scalar_style(s);
}

static int add_scalar(struct metadata_doc *d, const char *s)
{
	return yaml_document_add_scalar(&d->doc, NULL, (yaml_char_t *)s,
					(int)strlen(s), v2_style(s));
}

static int add_mapping(struct metadata_doc *d)
{
	return yaml_document_add_mapping(&d->doc, NULL,
					 YAML_BLOCK_MAPPING_STYLE);
}

/* The index of key's pair in mapping map (any case, as the parser), or
 * -1. */
static long find_pair(struct metadata_doc *d, int map, const char *key)
{
	yaml_node_t *m = node(d, map);

	for (size_t i = 0; i < n_pairs(m); i++) {
		yaml_node_t *k = node(d, m->data.mapping.pairs.start[i].key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcasecmp((const char *)k->data.scalar.value, key))
			return (long)i;
	}
	return -1;
}

/* key: value appended to mapping map, then moved to index at. */
static int put_pair(struct metadata_doc *d, int map, const char *key, int value,
		    size_t at)
{
	int k = add_scalar(d, key);
	yaml_node_pair_t *p, pair;
	size_t n;

	if (!k || !value ||
	    !yaml_document_append_mapping_pair(&d->doc, map, k, value))
		return -1;
	p = node(d, map)->data.mapping.pairs.start;
	n = n_pairs(node(d, map));
	pair = p[n - 1];
	memmove(&p[at + 1], &p[at], (n - 1 - at) * sizeof(*p));
	p[at] = pair;
	return 0;
}

/*
 * The mapping under key in map, made (an empty one, appended, or in place
 * of a null) when there is none; sorted: its added keys are sorted.  0
 * when the value is there but no mapping (metadata_parse() refuses it).
 */
static int child_map(struct metadata_doc *d, int map, const char *key,
		     bool sorted)
{
	long i = find_pair(d, map, key);
	int id;

	if (i >= 0) {
		yaml_node_pair_t *p =
			&node(d, map)->data.mapping.pairs.start[i];
		yaml_node_t *v = node(d, p->value);

		if (v->type == YAML_MAPPING_NODE) {
			id = p->value;
			goto out;
		}
		if (!yaml_node_is_null(v))
			return 0;
		id = add_mapping(d);
		/* the pairs moved when the nodes grew */
		if (id)
			node(d, map)->data.mapping.pairs.start[i].value = id;
	} else {
		id = add_mapping(d);
		if (id && put_pair(d, map, key, id, n_pairs(node(d, map))))
			id = 0;
	}
out:
	if (id && sorted) {
		size_t j;

		for (j = 0; j < d->n_sorted && d->sorted[j] != id; j++)
			;
		if (j == d->n_sorted && d->n_sorted < MAX_SORTED)
			d->sorted[d->n_sorted++] = id;
	}
	return id;
}

/* Where top_keys[k] goes in the root: after the last key present that ig
 * writes before it. */
static size_t top_place(struct metadata_doc *d, size_t k)
{
	size_t at = 0;

	for (size_t j = 0; j < k; j++) {
		long i = find_pair(d, d->root, top_keys[j][0]);

		if (i >= 0 && (size_t)i + 1 > at)
			at = (size_t)i + 1;
	}
	return at;
}

/* The top-level key of top_keys[k]: its mapping, made at ig's place. */
static int top_map(struct metadata_doc *d, size_t k)
{
	if (find_pair(d, d->root, top_keys[k][0]) < 0 &&
	    put_pair(d, d->root, top_keys[k][0], add_mapping(d),
		     top_place(d, k)))
		return 0;
	return child_map(d, d->root, top_keys[k][0], k == TOP_DATASOURCES);
}

int metadata_doc_load(const char *buf, size_t len, const char *file,
		      struct metadata_doc **out, struct error **err)
{
	struct metadata_doc *d = calloc(1, sizeof(*d));
	yaml_node_t *r;

	*out = NULL;
	if (!d)
		return error_set(err, ENOMEM, "%s", file);
	if (buf && yaml_load_doc(buf, len, file, &d->doc, err)) {
		free(d);
		return -1;
	}
	r = buf ? yaml_document_get_root_node(&d->doc) : NULL;
	if (r && r->type != YAML_MAPPING_NODE && !yaml_node_is_null(r)) {
		yaml_document_delete(&d->doc);
		free(d);
		return error_set(err, 0, "%s: the document is no mapping",
				 file);
	}
	if (!r || r->type != YAML_MAPPING_NODE) {
		/* none, an empty file or a null: a new document */
		if (buf)
			yaml_document_delete(&d->doc);
		if (!yaml_document_initialize(&d->doc, NULL, NULL, NULL, 1,
					      1)) {
			free(d);
			return error_set(err, ENOMEM, "%s", file);
		}
	}
	d->n_orig = (size_t)(d->doc.nodes.top - d->doc.nodes.start);
	d->orig = calloc(d->n_orig + 1, sizeof(*d->orig));
	d->root = d->n_orig ? 1 : add_mapping(d);
	if (!d->orig || !d->root) {
		metadata_doc_free(d);
		return error_set(err, ENOMEM, "%s", file);
	}
	for (size_t i = 0; i < d->n_orig; i++)
		if (d->doc.nodes.start[i].type == YAML_MAPPING_NODE)
			d->orig[i] = n_pairs(&d->doc.nodes.start[i]);
	*out = d;
	return 0;
}

void metadata_doc_free(struct metadata_doc *d)
{
	if (!d)
		return;
	yaml_document_delete(&d->doc);
	free(d->orig);
	free(d);
}

int metadata_doc_fill_top(struct metadata_doc *d, struct error **err)
{
	for (size_t k = 0; k < N_TOP && top_keys[k][1]; k++) {
		long i = find_pair(d, d->root, top_keys[k][0]);
		int v = add_scalar(d, top_keys[k][1]);
		yaml_node_t *old;

		if (!v)
			return error_set(err, ENOMEM, "gadget.yaml");
		if (i < 0) {
			if (put_pair(d, d->root, top_keys[k][0], v,
				     top_place(d, k)))
				return error_set(err, ENOMEM, "gadget.yaml");
			continue;
		}
		/* as ig's: an empty one is filled too */
		old = node(d,
			   node(d, d->root)->data.mapping.pairs.start[i].value);
		if (old->type == YAML_SCALAR_NODE &&
		    yaml_text_is_null((const char *)old->data.scalar.value) &&
		    (old->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
		     !*old->data.scalar.value))
			node(d, d->root)->data.mapping.pairs.start[i].value = v;
	}
	return 0;
}

int metadata_doc_add_field(struct metadata_doc *d, const char *ds,
			   const char *field, struct error **err)
{
	int dss = top_map(d, TOP_DATASOURCES), one, fields, f, ann;

	one = dss ? child_map(d, dss, ds, false) : 0;
	fields = one ? child_map(d, one, "fields", true) : 0;
	if (!fields)
		return error_set(err, ENOMEM, "gadget.yaml: datasources.%s",
				 ds);
	if (!field || find_pair(d, fields, field) >= 0)
		return 0;
	f = add_mapping(d);
	ann = add_mapping(d);
	if (!f || !ann ||
	    put_pair(d, fields, field, f, n_pairs(node(d, fields))) ||
	    put_pair(d, f, "annotations", ann, 0) ||
	    put_pair(d, ann, "description", add_scalar(d, TODO_FIELD), 0))
		return error_set(err, ENOMEM, "gadget.yaml: datasources.%s",
				 ds);
	return 0;
}

int metadata_doc_add_param(struct metadata_doc *d, const char *var,
			   struct error **err)
{
	int params = top_map(d, TOP_PARAMS), ebpf, p;

	ebpf = params ? child_map(d, params, "ebpf", true) : 0;
	if (!ebpf)
		return error_set(err, ENOMEM, "gadget.yaml: params.ebpf");
	if (find_pair(d, ebpf, var) >= 0)
		return 0;
	/* ParamDesc's order; defaultValue and description have no
	 * omitempty */
	p = add_mapping(d);
	if (!p || put_pair(d, ebpf, var, p, n_pairs(node(d, ebpf))) ||
	    put_pair(d, p, "key", add_scalar(d, var), 0) ||
	    put_pair(d, p, "defaultValue", add_scalar(d, ""), 1) ||
	    put_pair(d, p, "description", add_scalar(d, TODO_PARAM), 2))
		return error_set(err, ENOMEM, "gadget.yaml: params.ebpf.%s",
				 var);
	return 0;
}

/* yaml.v2's order of map keys (sorter.go, keyList.Less) for strings:
 * rune by rune, a non-letter before a letter, digit runs by value. */
static int v2_cmp(const char *a, const char *b)
{
	size_t i;

	for (i = 0; a[i] && b[i]; i++) {
		unsigned char x = a[i], y = b[i];
		bool xl = isalpha(x), yl = isalpha(y);
		unsigned long long xn = 0, yn = 0;
		size_t xi, yi;

		if (x == y)
			continue;
		if (xl && yl)
			return x < y ? -1 : 1;
		if (xl || yl)
			return yl ? -1 : 1;
		if (x == '0' || y == '0')
			for (size_t j = i;
			     j-- > 0 && isdigit((unsigned char)a[j]);)
				if (a[j] != '0') {
					xn = yn = 1;
					break;
				}
		for (xi = i; isdigit((unsigned char)a[xi]); xi++)
			xn = xn * 10 + (unsigned)(a[xi] - '0');
		for (yi = i; isdigit((unsigned char)b[yi]); yi++)
			yn = yn * 10 + (unsigned)(b[yi] - '0');
		if (xn != yn)
			return xn < yn ? -1 : 1;
		if (xi != yi)
			return xi < yi ? -1 : 1;
		return x < y ? -1 : 1;
	}
	return a[i] ? 1 : b[i] ? -1 : 0;
}

/* qsort_r() of pairs whose keys are scalars of document doc */
static int pair_cmp(const void *x, const void *y, void *doc)
{
	const yaml_node_pair_t *a = x, *b = y;

	return v2_cmp((const char *)yaml_document_get_node(doc, a->key)
			      ->data.scalar.value,
		      (const char *)yaml_document_get_node(doc, b->key)
			      ->data.scalar.value);
}

int metadata_doc_emit(struct metadata_doc *d, char **out, size_t *len,
		      struct error **err)
{
	struct md_emit_buf b = { 0 };
	yaml_emitter_t e;

	for (size_t i = 0; i < d->n_sorted; i++) {
		int id = d->sorted[i];
		yaml_node_t *m = node(d, id);
		size_t from = (size_t)id <= d->n_orig ? d->orig[id - 1] : 0;

		if (n_pairs(m) > from + 1)
			qsort_r(m->data.mapping.pairs.start + from,
				n_pairs(m) - from, sizeof(yaml_node_pair_t),
				pair_cmp, &d->doc);
	}
	/* yaml.v2's Marshal: unicode, indent 2, lines of 80 */
	if (md_emit_begin(&e, &b, out, len, err))
		return -1;
	/* yaml_emitter_dump() takes the document's nodes, whatever happens */
	return md_emit_end(&e,
			   yaml_emitter_open(&e) &&
				   yaml_emitter_dump(&e, &d->doc) &&
				   yaml_emitter_close(&e),
			   &b, out, len, err);
}
