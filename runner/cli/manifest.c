// SPDX-License-Identifier: Apache-2.0
/*
 * ig's gadget instance manifests for `runner run -f FILE` (manifest.h):
 * read the way ig's InstanceSpecsFromReader() reads them (every document
 * decoded and checked, in its order, before anything runs; entries
 * numbered from 1, empty ones counted), then turned into run flags.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "common/cleanup.h"
#include "common/escape.h"
#include "common/fileutil.h"
#include "common/goparse.h"
#include "metadata/yaml_limits.h"
#include "oci/registry.h"
#include "runner/cli/cli.h"
#include "runner/cli/manifest.h"

#define SPEC_API_VERSION 1
#define SPEC_KIND "instance-spec"
/* ig's api.IsValidInstanceID(): ^[a-f0-9]{32}$; IsValidInstanceName():
 * ^[a-z0-9-_]{1,32}$ */
#define SPEC_ID_LEN 32
#define SPEC_NAME_MAX 32

/*
 * ig's fully qualified names of the params the runner has as flags (the
 * operators' names as ig spells them: keys compare with case, as in
 * ig's Params.Get()).  Instance params only, as in ig, where a manifest's
 * paramValues reach no operator's global params: operator.oci.pull and
 * annotate are the oci handler's ones the runner has, while its verify-image,
 * public-keys, allowed-gadgets, insecure-registries, disallow-pulling and
 * authfile, operator.env.env-vars and the otel-metrics listen keys come
 * from the configuration or the command line only (a manifest, a URL's
 * too, may not turn off the image's checks).
 */
static const struct {
	const char *key, *flag;
} known[] = {
	{ "operator.cli.fields", "fields" },
	{ "operator.cli.output", "output" },
	{ "operator.filter.filter", "filter" },
	{ "operator.filter.filter-expr", "filter-expr" },
	{ "operator.limiter.max-entries", "max-entries" },
	{ "operator.oci.annotate", "annotate" },
	{ "operator.oci.pull", "pull" },
	{ "operator.LocalManager.containerd-namespace",
	  "containerd-namespace" },
	{ "operator.LocalManager.containername", "containername" },
	{ "operator.LocalManager.host", "host" },
	{ "operator.LocalManager.k8s-containername", "k8s-containername" },
	{ "operator.LocalManager.k8s-namespace", "k8s-namespace" },
	{ "operator.LocalManager.k8s-podname", "k8s-podname" },
	{ "operator.LocalManager.k8s-selector", "k8s-selector" },
	{ "operator.LocalManager.runtime-containerimage-digest",
	  "runtime-containerimage-digest" },
	{ "operator.LocalManager.runtime-containerimage-id",
	  "runtime-containerimage-id" },
	{ "operator.LocalManager.runtime-containername",
	  "runtime-containername" },
	{ "operator.LocalManager.runtimes", "runtimes" },
	{ "operator.otel-metrics.otel-metrics-name", "otel-metrics-name" },
	{ "operator.otel-metrics.otel-metrics-print-interval",
	  "otel-metrics-print-interval" },
	{ "operator.sort.sort", "sort" },
};
#define EBPF_PREFIX "operator.oci.ebpf."
#define FILTER_PREFIX "operator.filter." /* + filter.DS, filter-expr.DS */

/* The first spec's: what the run takes. */
struct spec {
	char *image;
	char **keys, **vals;
	size_t n;
};

/* What manifest_run_args() made, for manifest_blame(), manifest_value(). */
static struct {
	char *file;
	char **args, **keys;
	size_t n;
} made;

static void spec_clear(struct spec *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->keys[i]);
		free(s->vals[i]);
	}
	free(s->keys);
	free(s->vals);
	free(s->image);
	*s = (struct spec){ 0 };
}

/* Whether the long flag arg ("--NAME", no "=") is one of longs that
 * takes its value from the next argument. */
static bool long_takes_next(const char *arg, const struct option *longs)
{
	for (; longs->name; longs++)
		if (!strcmp(arg + 2, longs->name))
			return longs->has_arg == required_argument;
	return false; /* a gadget param's value never starts with '-' */
}

/*
 * The flag argv[i]: how many arguments it spans as getopt reads it (1,
 * or 2 with its value next); *file set when it is -f or --file (NULL:
 * its FILE missing).  A cluster of short flags ending in f ("-vf FILE",
 * "-vfFILE") is cut to the flags before it: *keep.
 */
static int flag_span(int argc, char **argv, int i, const char *shorts,
		     const struct option *longs, const char **file, bool *f,
		     bool *keep)
{
	char *a = argv[i];
	const char *p;
	int n;

	*f = *keep = false;
	if (!strncmp(a, "--", 2)) {
		*f = !strncmp(a, "--file", 6) && (!a[6] || a[6] == '=');
		if (*f && a[6])
			*file = a + 7;
		else if (*f)
			*file = i + 1 < argc ? argv[i + 1] : NULL;
		return (*f && !a[6]) || (!*f && !strchr(a, '=') &&
					 long_takes_next(a, longs)) ?
			       2 :
			       1;
	}
	for (size_t k = 1; a[k]; k++) {
		p = a[k] == ':' ? NULL : strchr(shorts, a[k]);
		if (!p || p[1] != ':')
			continue; /* -h, -v, or one getopt refuses later */
		n = a[k + 1] ? 1 : 2; /* its value here or next */
		if (a[k] != 'f')
			return n;
		*f = true;
		*file = n == 1 ? a + k + 1 : i + 1 < argc ? argv[i + 1] : NULL;
		*keep = k > 1;
		if (*keep) /* "-vf": -v stays */
			a[k] = '\0';
		return n;
	}
	return 1;
}

int manifest_take_flag(int *argc, char **argv, const char *shorts,
		       const struct option *longs, const char **file,
		       struct error **err)
{
	const char *one;
	bool f, keep;
	int i, j, n;

	*file = NULL;
	for (i = 1; i < *argc && strcmp(argv[i], "--");) {
		if (argv[i][0] != '-' || !argv[i][1]) {
			i++;
			continue;
		}
		one = argv[i];
		n = flag_span(*argc, argv, i, shorts, longs, &one, &f, &keep);
		if (!f) {
			i += n;
			continue;
		}
		if (!one)
			return cli_usage_error(err, "run",
					       "flag '%s' needs a value",
					       keep ? "-f" : argv[i]);
		*file = one;
		if (keep) /* the flags before f stay, FILE goes */
			i++, n--;
		for (j = i; j + n <= *argc; j++)
			argv[j] = argv[j + n];
		*argc -= n;
	}
	if (*file && !**file)
		return cli_usage_error(err, "run", "-f: want a FILE");
	return EXIT_OK;
}

/* The manifest's bytes, up to one past the limit (yaml_check_limits()
 * then says it is too large). */
static int read_manifest(const char *file, char **buf, size_t *len,
			 struct error **err)
{
	struct oci_registry_opts o;
	cleanup_close int fd = -1;

	if (!strncmp(file, "http://", 7) || !strncmp(file, "https://", 8)) {
		oci_registry_opts_init(&o);
		o.retries = 0; /* one GET, as ig's */
		if (!oci_http_get(file, &o, MANIFEST_MAX_BYTES + 1, buf, len,
				  err))
			return EXIT_OK;
		error_prefix(err, "downloading gadget runtime manifest file %s",
			     file);
		return EXIT_FAIL;
	}
	if (strcmp(file, "-") &&
	    (fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return cli_error(err, EXIT_USAGE,
				 "opening gadget runtime manifest file %s: %s",
				 file, strerror(errno));
	if (read_fd_max(fd < 0 ? STDIN_FILENO : fd, file,
			MANIFEST_MAX_BYTES + 1, buf, len, err)) {
		error_prefix(err, "reading gadget runtime manifest file");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* ---- decoding, as yaml.v3 decodes into ig's InstanceSpec ---- */

struct dec {
	yaml_document_t *doc;
	int entry;
	struct error **err;
};

static const char *text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* yaml.v3's null: a missing node too */
static bool is_null(const yaml_node_t *n)
{
	return !n || yaml_node_is_null(n);
}

static yaml_node_t *node(const struct dec *d, int id)
{
	return yaml_document_get_node(d->doc, id);
}

/* yaml.v3's "cannot unmarshal !!TAG `VALUE` into TYPE", as one line. */
static int unmarshal_error(const struct dec *d, const yaml_node_t *n,
			   const char *type)
{
	cleanup_free char *shown = NULL;
	const char *tag = n->type == YAML_SEQUENCE_NODE ? "!!seq" :
			  n->type == YAML_MAPPING_NODE	? "!!map" :
							  "!!str";
	long long num;

	if (n->type == YAML_SCALAR_NODE) {
		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    go_parse_int(text(n), 0, &num))
			tag = "!!int";
		shown = term_escaped(text(n), 0);
		if (!shown)
			return error_set(d->err, ENOMEM, "alloc");
	}
	return error_set(d->err, 0,
			 "parsing gadget spec (entry %d): yaml: unmarshal "
			 "errors: line %zu: cannot unmarshal %s%s%s%s into %s",
			 d->entry, n->start_mark.line + 1, tag,
			 shown ? " `" : "", shown ? shown : "",
			 shown ? "`" : "", type);
}

/* A string field: any scalar, null as "" (*out NULL). */
static int dec_string(const struct dec *d, const yaml_node_t *n,
		      const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return unmarshal_error(d, n, "string");
	*out = is_null(n) ? NULL : text(n);
	return 0;
}

/* yaml.v3's "mapping key "K" already defined at line N". */
static int check_keys(const struct dec *d, const yaml_node_t *map)
{
	const yaml_node_pair_t *p, *q;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = node(d, p->key), *k2;

		if (!k || k->type != YAML_SCALAR_NODE)
			return unmarshal_error(d, k ? k : map, "string");
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			k2 = node(d, q->key);
			if (strcmp(text(k), text(k2)))
				continue;
			cleanup_free char *shown = term_escaped(text(k), 0);

			return error_set(d->err, 0,
					 "parsing gadget spec (entry %d): "
					 "yaml: line %zu: mapping key \"%s\" "
					 "already defined at line %zu",
					 d->entry, k->start_mark.line + 1,
					 shown ? shown : "",
					 k2->start_mark.line + 1);
		}
	}
	return 0;
}

/* tags, nodes: a list of strings (null: none); ig's check of a tag. */
static int dec_list(const struct dec *d, const yaml_node_t *n, bool tags)
{
	const yaml_node_item_t *it;

	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return unmarshal_error(d, n, "[]string");
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *i = node(d, *it);
		cleanup_free char *shown = NULL;
		const char *s = NULL;

		if (dec_string(d, i, &s))
			return -1;
		if (!tags || !s || !strchr(s, ','))
			continue;
		shown = term_escaped(s, 0);
		return error_set(d->err, 0,
				 "invalid character \",\" in tag \"%s\" of "
				 "entry %d",
				 shown ? shown : "", d->entry);
	}
	return 0;
}

/* paramValues: a mapping of strings; into *s when s. */
static int dec_params(const struct dec *d, const yaml_node_t *n, struct spec *s)
{
	const yaml_node_pair_t *p;
	size_t max;

	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return unmarshal_error(d, n, "map[string]string");
	if (check_keys(d, n))
		return -1;
	max = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (s && max) {
		s->keys = calloc(max, sizeof(*s->keys));
		s->vals = calloc(max, sizeof(*s->vals));
		if (!s->keys || !s->vals)
			return error_set(d->err, ENOMEM, "alloc");
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *v = node(d, p->value);
		const char *val = NULL;

		if (dec_string(d, v, &val))
			return -1;
		if (!s)
			continue;
		s->keys[s->n] = strdup(text(node(d, p->key)));
		s->vals[s->n] = strdup(val ? val : "");
		if (!s->keys[s->n++] || !s->vals[s->n - 1])
			return error_set(d->err, ENOMEM, "alloc");
	}
	return 0;
}

/* ig's checks of an id or a name: "invalid instance id "X" in entry N". */
static int check_id_name(const struct dec *d, const char *v, bool id)
{
	size_t n = v ? strlen(v) : 0;
	bool ok = id ? n == SPEC_ID_LEN : n >= 1 && n <= SPEC_NAME_MAX;
	cleanup_free char *shown = NULL;

	if (!n) /* ig checks one that is not "" */
		return 0;
	for (size_t i = 0; ok && i < n; i++)
		ok = (v[i] >= '0' && v[i] <= '9') ||
		     (id ? v[i] >= 'a' && v[i] <= 'f' :
			   (v[i] >= 'a' && v[i] <= 'z') || v[i] == '-' ||
				      v[i] == '_');
	if (ok)
		return 0;
	shown = term_escaped(v, 0);
	return error_set(d->err, 0, "invalid instance %s \"%s\" in entry %d",
			 id ? "id" : "name", shown ? shown : "", d->entry);
}

/*
 * One document, entry d->entry, checked as ig checks it (decoding, kind,
 * apiVersion, id, name, tags, image); its image and params into *s when
 * s.  *empty for a null document (ig skips it).
 */
static int dec_spec(const struct dec *d, struct spec *s, bool *empty)
{
	const yaml_node_t *root = yaml_document_get_root_node(d->doc);
	const yaml_node_t *f[8] = { 0 };
	static const char *const names[] = { "apiVersion", "kind",
					     "image",	   "id",
					     "name",	   "tags",
					     "nodes",	   "paramValues" };
	const char *str[5] = { 0 }; /* apiVersion ... name */
	cleanup_free char *shown = NULL;
	const yaml_node_pair_t *p;
	long long version = 0;
	size_t i;

	*empty = is_null(root);
	if (*empty)
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return unmarshal_error(d, root, "gadgetmanifest.InstanceSpec");
	if (check_keys(d, root))
		return -1;
	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++)
		for (i = 0; i < 8; i++)
			if (!strcmp(text(node(d, p->key)), names[i]))
				f[i] = node(d, p->value);
	for (i = 0; i < 5; i++)
		if (f[i] && dec_string(d, f[i], &str[i]))
			return -1;
	if (str[0] && (f[0]->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
		       !go_parse_int(str[0], 0, &version)))
		return unmarshal_error(d, f[0], "int");
	if ((f[5] && dec_list(d, f[5], false)) ||
	    (f[6] && dec_list(d, f[6], false)) ||
	    (f[7] && dec_params(d, f[7], s)))
		return -1;
	if (!str[1] || strcmp(str[1], SPEC_KIND)) {
		shown = term_escaped(str[1], 0);
		return error_set(d->err, 0,
				 "expected kind \"" SPEC_KIND "\" for entry %d "
				 "in manifest, got kind \"%s\"",
				 d->entry, shown ? shown : "");
	}
	if (version != SPEC_API_VERSION)
		return error_set(d->err, 0,
				 "expected apiVersion %d for entry %d in "
				 "manifest, got apiVersion %lld",
				 SPEC_API_VERSION, d->entry, version);
	if (check_id_name(d, str[3], true) || check_id_name(d, str[4], false) ||
	    (f[5] && dec_list(d, f[5], true)))
		return -1;
	if (!str[2] || !*str[2])
		return error_set(d->err, 0, "no image specified in entry %d",
				 d->entry);
	if (s && !(s->image = strdup(str[2])))
		return error_set(d->err, ENOMEM, "alloc");
	return 0;
}

/*
 * libyaml's failure as yaml.v3's parser.fail() words it: the line of the
 * context if any, else of the problem, as libyaml counts lines (from 0)
 * but one more for a scanner's error; none when that is 0 (a reader's
 * error: invalid UTF-8).
 */
static int syntax_error(const yaml_parser_t *p, int entry, struct error **err)
{
	size_t line = p->context_mark.line ? p->context_mark.line :
					     p->problem_mark.line;
	char where[32] = "";

	if (line)
		snprintf(where, sizeof(where),
			 "line %zu: ", line + (p->error == YAML_SCANNER_ERROR));
	return error_set(err, 0, "parsing gadget spec (entry %d): yaml: %s%s",
			 entry, where,
			 p->problem ? p->problem :
				      "unknown problem parsing YAML content");
}

/* Every document of buf; the first spec into *s, how many in *n. */
static int parse_specs(const char *buf, size_t len, struct spec *s, int *n,
		       struct error **err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct dec d = { .doc = &doc, .err = err };
	int rc = 0;

	*n = 0;
	if (len > MANIFEST_MAX_BYTES)
		return error_set(err, 0, "larger than 1 MiB");
	/* "yaml: more than 100 anchors": the caller names the file */
	if (yaml_check_limits(buf, len, "yaml", err))
		return -1;
	if (!yaml_parser_initialize(&parser))
		return error_set(err, ENOMEM, "yaml parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (d.entry = 1; !rc; d.entry++) {
		bool empty;

		if (!yaml_parser_load(&parser, &doc)) {
			rc = syntax_error(&parser, d.entry, err);
			break;
		}
		if (!yaml_document_get_root_node(&doc)) { /* the end */
			yaml_document_delete(&doc);
			break;
		}
		rc = dec_spec(&d, *n ? NULL : s, &empty);
		yaml_document_delete(&doc);
		if (!rc && !empty)
			(*n)++;
	}
	yaml_parser_delete(&parser);
	return rc;
}

/* ---- to flags ---- */

static bool is_flag(const struct option *flags, const char *name)
{
	for (; flags->name; flags++)
		if (!strcmp(flags->name, name))
			return true;
	return false;
}

/* The flag of key (NULL: none the runner has, ignored as in ig). */
static const char *flag_of(const char *key, const struct option *flags)
{
	const char *k;
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(known[i].key, key))
			return known[i].flag;
	k = key + strlen(FILTER_PREFIX);
	if (!strncmp(key, FILTER_PREFIX, strlen(FILTER_PREFIX)) &&
	    (!strncmp(k, "filter.", 7) || !strncmp(k, "filter-expr.", 12)))
		return strchr(k, '=') ? NULL : k;
	k = key + strlen(EBPF_PREFIX);
	if (!strncmp(key, EBPF_PREFIX, strlen(EBPF_PREFIX))) {
		/* a gadget param's name, never one of the runner's flags */
		if (!*k || is_flag(flags, k) ||
		    strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
			      "WXYZ0123456789-_.") != strlen(k))
			return NULL;
		return k;
	}
	return NULL;
}

void manifest_args_free(char **args, int n_set)
{
	if (args)
		for (int i = 1; i <= n_set + 1; i++) /* the flags, the image */
			free(args[i]);
	free(args);
	for (size_t i = 0; i < made.n; i++)
		free(made.keys[i]);
	free(made.keys);
	free(made.args);
	free(made.file);
	made.keys = made.args = NULL;
	made.file = NULL;
	made.n = 0;
}

int manifest_run_args(const char *file, int argc, char **argv,
		      const struct option *flags, int *out_argc, char ***out,
		      int *n_set, struct error **err)
{
	cleanup_free char *buf = NULL;
	struct spec s = { 0 };
	size_t len = 0, i;
	char **args = NULL;
	int n = 0, rc;

	*out = NULL;
	*n_set = 0;
	rc = read_manifest(file, &buf, &len, err);
	if (rc)
		return rc;
	if (parse_specs(buf, len, &s, &n, err)) {
		spec_clear(&s);
		error_prefix(err, "reading gadget runtime manifest file %s",
			     file);
		return EXIT_USAGE;
	}
	if (n != 1) {
		spec_clear(&s);
		return cli_error(err, EXIT_USAGE,
				 n ? "multiple gadget instance specs found in "
				     "manifest %s" :
				     "no gadget instance spec found in "
				     "manifest %s",
				 file);
	}
	args = calloc((size_t)argc + s.n + 2, sizeof(*args));
	made.args = calloc(s.n + 1, sizeof(*made.args));
	made.keys = calloc(s.n + 1, sizeof(*made.keys));
	made.file = strdup(file);
	if (!args || !made.args || !made.keys || !made.file)
		goto nomem;
	args[0] = argv[0];
	for (i = 0; i < s.n; i++) {
		const char *flag = flag_of(s.keys[i], flags);

		if (!flag)
			continue;
		if (asprintf(&args[*n_set + 1], "--%s=%s", flag, s.vals[i]) < 0)
			goto nomem;
		made.args[made.n] = args[++*n_set];
		made.keys[made.n++] = steal_ptr(s.keys[i]);
	}
	args[*n_set + 1] = steal_ptr(s.image);
	memcpy(args + *n_set + 2, argv + 1, (size_t)(argc - 1) * sizeof(*args));
	*out_argc = argc + *n_set + 1;
	*out = args;
	spec_clear(&s);
	return EXIT_OK;
nomem:
	spec_clear(&s);
	manifest_args_free(args, *n_set - 1); /* no image yet */
	*n_set = 0;
	return cli_error(err, EXIT_FAIL, "out of memory");
}

int manifest_blame(const char *arg, struct error **err)
{
	for (size_t i = 0; i < made.n; i++)
		if (made.args[i] == arg) {
			error_prefix(err, "manifest %s: %s", made.file,
				     made.keys[i]);
			return 0;
		}
	return -1;
}

bool manifest_value(const char *val)
{
	for (size_t i = 0; val && i < made.n; i++) {
		const char *a = made.args[i];

		if (val >= a && val <= a + strlen(a)) /* "" too */
			return true;
	}
	return false;
}
