// SPDX-License-Identifier: Apache-2.0
/*
 * `runner image ...`: thin commands over oci/ (store, registry client,
 * archives).  Data goes to stdout, errors to stderr as one line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "oci/archive.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/ref.h"
#include "oci/registry.h"
#include "oci/store.h"
#include "oci/transfer.h"
#include "runner/cli/build.h"
#include "runner/cli/cmd_image.h"
#include "runner/cli/common.h"

enum {
	OPT_STORE = 0x100,
	OPT_NO_TRUNC,
	OPT_ARCH,
};

static void json_decref_p(json_t **j)
{
	json_decref(*j);
}

#define cleanup_json __attribute__((cleanup(json_decref_p)))

static void store_freep(struct oci_store **s)
{
	oci_store_free(*s);
}

#define cleanup_store_p __attribute__((cleanup(store_freep)))

/* Parse and normalise a reference given on the command line. */
static char *normalize(const char *s, struct error **err)
{
	char *out = NULL;

	if (oci_digest_valid(s)) {
		out = strdup(s);
		if (!out)
			error_set(err, ENOMEM, "alloc");
		return out;
	}
	if (oci_ref_normalize(s, runner_default_prefix(), &out, err) < 0)
		return NULL;
	return out;
}

static int open_store(const char *flag, struct oci_store **out)
{
	cleanup_error struct error *err = NULL;

	if (oci_store_open(runner_store_dir(flag), out, &err) < 0)
		return runner_fail(err);
	return EXIT_OK;
}

/* Usage error for a subcommand: one line, then a pointer to --help. */
static int usage_error(const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(const char *sub, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "runner: image %s: ", sub);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see `runner image %s --help`)\n", sub);
	return EXIT_USAGE;
}

/* getopt_long's own message already went to stderr. */
/* getopt has said what was wrong, in one line: add nothing. */
static int bad_option(const char *sub)
{
	(void)sub;
	return EXIT_USAGE;
}

/* ---- list ---- */

static void split_ref(const char *ref, char **repo, char **tag)
{
	const char *at = strchr(ref, '@');
	const char *slash, *colon;
	size_t n = at ? (size_t)(at - ref) : strlen(ref);

	slash = memrchr(ref, '/', n);
	colon = memrchr(slash ? slash : ref, ':',
			n - (slash ? slash - ref : 0));
	if (colon) {
		*repo = strndup(ref, colon - ref);
		*tag = strndup(colon + 1, n - (colon + 1 - ref));
	} else {
		*repo = strndup(ref, n);
		*tag = strdup("<none>");
	}
}

/* "3 minutes ago" for an RFC 3339 UTC time, or the string itself. */
static void humanize(const char *created, char *buf, size_t len)
{
	struct tm tm = { 0 };
	const char *end;
	long long d;
	time_t t;

	if (!created) {
		snprintf(buf, len, "unknown");
		return;
	}
	end = strptime(created, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end) {
		snprintf(buf, len, "%s", created);
		return;
	}
	t = timegm(&tm);
	d = (long long)(time(NULL) - t);
	if (d < 0)
		snprintf(buf, len, "%s", created);
	else if (d < 60)
		snprintf(buf, len, "%lld seconds ago", d);
	else if (d < 3600)
		snprintf(buf, len, "%lld minutes ago", d / 60);
	else if (d < 86400 * 2)
		snprintf(buf, len, "%lld hours ago", d / 3600);
	else
		snprintf(buf, len, "%lld days ago", d / 86400);
}

static void list_usage(FILE *f)
{
	fputs("Usage: runner image list [flags]\n"
	      "\n"
	      "List the images in the local store.\n"
	      "\n"
	      "FLAGS\n"
	      "  -o, --output FMT   columns (default) or json\n"
	      "      --no-trunc     show full digests\n"
	      "      --store DIR    image store (default $RUNNER_STORE or " OCI_STORE_DEFAULT_DIR
	      ")\n"
	      "\n"
	      "EXAMPLES\n"
	      "  runner image list\n"
	      "  runner image list -o json | jq -r '.[].tag'\n",
	      f);
}

static int image_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "no-trunc", no_argument, NULL, OPT_NO_TRUNC },
		{ "store", required_argument, NULL, OPT_STORE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	cleanup_error struct error *err = NULL;
	cleanup_store_p struct oci_store *store = NULL;
	struct oci_store_entry *e = NULL;
	const char *store_flag = NULL;
	bool json = false, trunc = true;
	size_t i, n = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!strcmp(optarg, "json"))
				json = true;
			else if (strcmp(optarg, "columns"))
				return usage_error("list",
						   "invalid output '%s': want "
						   "columns or json",
						   optarg);
			break;
		case OPT_NO_TRUNC:
			trunc = false;
			break;
		case OPT_STORE:
			store_flag = optarg;
			break;
		case 'h':
			list_usage(stdout);
			return EXIT_OK;
		default:
			return bad_option("list");
		}
	}
	if (optind < argc)
		return usage_error("list", "unexpected argument '%s'",
				   argv[optind]);
	rc = open_store(store_flag, &store);
	if (rc)
		return rc;
	if (oci_store_list(store, &e, &n, &err) < 0)
		return runner_fail(err);
	if (json) {
		cleanup_json json_t *arr = json_array();

		for (i = 0; i < n; i++) {
			cleanup_free char *repo = NULL;
			cleanup_free char *tag = NULL;

			if (!e[i].ref)
				continue;
			split_ref(e[i].ref, &repo, &tag);
			json_array_append_new(
				arr,
				json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:I}",
					  "reference", e[i].ref, "repository",
					  repo ? repo : "", "tag",
					  tag ? tag : "", "digest", e[i].digest,
					  "created", e[i].created, "mediaType",
					  e[i].media_type, "size",
					  (json_int_t)e[i].size));
		}
		json_dumpf(arr, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		printf("%-50s %-16s %-13s %s\n", "REPOSITORY", "TAG", "DIGEST",
		       "CREATED");
		for (i = 0; i < n; i++) {
			cleanup_free char *repo = NULL;
			cleanup_free char *tag = NULL;
			char when[64];
			const char *hex = oci_digest_valid(e[i].digest) ?
						  oci_digest_hex(e[i].digest) :
						  e[i].digest;

			if (!e[i].ref)
				continue;
			split_ref(e[i].ref, &repo, &tag);
			humanize(e[i].created, when, sizeof(when));
			printf("%-50s %-16s %-13.*s %s\n", repo ? repo : "",
			       tag ? tag : "", trunc ? 12 : 64, hex, when);
		}
	}
	oci_store_entries_free(e, n);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

/* ---- tag ---- */

static void tag_usage(FILE *f)
{
	fputs("Usage: runner image tag SOURCE TARGET [flags]\n"
	      "\n"
	      "Give the image SOURCE names another reference TARGET.\n"
	      "\n"
	      "FLAGS\n"
	      "      --store DIR    image store\n"
	      "\n"
	      "EXAMPLES\n"
	      "  runner image tag trace_dns localhost:5000/gadgets/trace_dns:v1\n",
	      f);
}

static int image_tag(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, OPT_STORE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	cleanup_error struct error *err = NULL;
	cleanup_store_p struct oci_store *store = NULL;
	cleanup_free char *src = NULL;
	cleanup_free char *dst = NULL;
	const char *store_flag = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_STORE:
			store_flag = optarg;
			break;
		case 'h':
			tag_usage(stdout);
			return EXIT_OK;
		default:
			return bad_option("tag");
		}
	}
	if (argc - optind != 2)
		return usage_error("tag", "%s", "want SOURCE and TARGET");
	src = normalize(argv[optind], &err);
	if (!src)
		return runner_fail(err);
	dst = normalize(argv[optind + 1], &err);
	if (!dst)
		return runner_fail(err);
	if (strchr(dst, '@') || oci_digest_valid(dst))
		return usage_error("tag",
				   "target '%s' must be a tag, not a "
				   "digest",
				   argv[optind + 1]);
	rc = open_store(store_flag, &store);
	if (rc)
		return rc;
	if (oci_store_tag(store, src, dst, &err) < 0)
		return runner_fail(err);
	return EXIT_OK;
}

/* ---- remove ---- */

static void remove_usage(FILE *f)
{
	fputs("Usage: runner image remove IMAGE... [flags]\n"
	      "\n"
	      "Remove image references from the store and delete the blobs\n"
	      "no remaining image uses.\n"
	      "\n"
	      "FLAGS\n"
	      "      --store DIR    image store\n"
	      "\n"
	      "EXAMPLES\n"
	      "  runner image remove trace_dns\n"
	      "  runner image remove localhost:5000/gadgets/trace_dns:v1 "
	      "sha256:<digest>\n",
	      f);
}

static int image_remove(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, OPT_STORE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	cleanup_error struct error *err = NULL;
	cleanup_store_p struct oci_store *store = NULL;
	const char *store_flag = NULL;
	int c, i, rc, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_STORE:
			store_flag = optarg;
			break;
		case 'h':
			remove_usage(stdout);
			return EXIT_OK;
		default:
			return bad_option("remove");
		}
	}
	if (optind >= argc)
		return usage_error("remove", "%s", "want at least one IMAGE");
	rc = open_store(store_flag, &store);
	if (rc)
		return rc;
	for (i = optind; i < argc; i++) {
		cleanup_free char *ref = normalize(argv[i], &err);

		if (!ref || oci_store_untag(store, ref, &err) < 0) {
			ret = runner_fail(err);
			error_free(err);
			err = NULL;
			continue;
		}
		printf("Untagged: %s\n", ref);
	}
	if (oci_store_gc(store, NULL, &err) < 0) {
		error_prefix(&err, "delete unused blobs");
		return runner_fail(err);
	}
	return ret;
}

/* ---- inspect ---- */

static json_t *load_json_blob(struct oci_store *store, const char *digest,
			      int64_t size, struct error **err)
{
	cleanup_free char *buf = NULL;
	json_error_t jerr;
	size_t len;
	json_t *j;

	if (oci_store_read_blob(store, digest, size, &buf, &len, err) < 0)
		return NULL;
	j = json_loadb(buf, len, 0, &jerr);
	if (!j)
		error_set(err, 0, "%s: invalid JSON: %s", digest, jerr.text);
	return j;
}

/* The inspect document for a manifest: its JSON and its gadget.yaml. */
static json_t *inspect_manifest(struct oci_store *store, const char *digest,
				int64_t size, json_t *platform,
				struct error **err)
{
	json_t *m = load_json_blob(store, digest, size, err);
	json_t *cfg, *out;
	const char *cmt, *cdg;

	if (!m)
		return NULL;
	out = json_pack("{s:s, s:I, s:O*, s:o}", "digest", digest, "size",
			(json_int_t)size, "platform", platform, "manifest", m);
	if (!out)
		return NULL;
	cfg = json_object_get(m, "config");
	cmt = json_string_value(json_object_get(cfg, "mediaType"));
	cdg = json_string_value(json_object_get(cfg, "digest"));
	if (cmt && cdg && !strcmp(cmt, OCI_MT_GADGET_CONFIG)) {
		cleanup_free char *yaml = NULL;
		size_t len;

		if (oci_store_read_blob(
			    store, cdg,
			    json_integer_value(json_object_get(cfg, "size")),
			    &yaml, &len, err) < 0) {
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, "metadata", json_stringn(yaml, len));
	}
	return out;
}

static json_t *inspect_doc(struct oci_store *store, const char *ref,
			   struct error **err)
{
	struct oci_descriptor *d = NULL;
	cleanup_json json_t *top = NULL;
	json_t *out = NULL, *arr, *e;
	size_t i;

	if (oci_store_resolve(store, ref, &d, err) < 0)
		return NULL;
	out = json_pack("{s:s, s:s, s:s, s:I}", "reference", ref, "digest",
			d->digest, "mediaType", d->media_type, "size",
			(json_int_t)d->size);
	if (oci_media_kind(d->media_type) == OCI_KIND_MANIFEST) {
		json_t *m =
			inspect_manifest(store, d->digest, d->size, NULL, err);

		if (!m)
			goto fail;
		json_object_set_new(out, "manifests", json_pack("[o]", m));
		goto done;
	}
	if (oci_media_kind(d->media_type) != OCI_KIND_INDEX) {
		error_set(err, 0, "unsupported media type %s", d->media_type);
		goto fail;
	}
	top = load_json_blob(store, d->digest, d->size, err);
	if (!top)
		goto fail;
	json_object_set(out, "index", top);
	arr = json_array();
	json_object_set_new(out, "manifests", arr);
	json_array_foreach (json_object_get(top, "manifests"), i, e) {
		const char *dg =
			json_string_value(json_object_get(e, "digest"));
		json_t *m;

		if (!dg || !oci_store_has_blob(store, dg))
			continue;
		m = inspect_manifest(
			store, dg,
			json_integer_value(json_object_get(e, "size")),
			json_object_get(e, "platform"), err);
		if (!m)
			goto fail;
		json_array_append_new(arr, m);
	}
done:
	oci_descriptor_free(d);
	return out;
fail:
	oci_descriptor_free(d);
	json_decref(out);
	return NULL;
}

static bool yaml_plain_ok(const char *s)
{
	static const char *const words[] = { "true", "false", "null", "yes",
					     "no",   "on",    "off",  "~",
					     "True", "False", "Null", "" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(s, words[i]))
			return false;
	if ((s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '.')
		return false; /* could read back as a number or a timestamp */
	if (strchr("-?:,[]{}#&*!|>'\"%@`. ", s[0]))
		return false;
	for (i = 0; s[i]; i++) {
		unsigned char c = s[i];

		if (c < 0x20 || c >= 0x7f)
			return false;
		if (c == ':' && (s[i + 1] == ' ' || !s[i + 1]))
			return false;
		if (c == '#' && s[i - 1] == ' ')
			return false;
	}
	return s[i - 1] != ' ';
}

static void yaml_string(FILE *f, const char *s, int indent)
{
	const char *p;

	if (yaml_plain_ok(s)) {
		fputs(s, f);
		return;
	}
	if (strchr(s, '\n') && !strchr(s, '\r') && s[0] != ' ') {
		size_t n = strlen(s);

		fputs(s[n - 1] == '\n' ? "|" : "|-", f);
		for (p = s; *p;) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);

			fputc('\n', f);
			if (len)
				fprintf(f, "%*s%.*s", indent, "", (int)len, p);
			p += len;
			if (*p == '\n')
				p++;
			if (!*p)
				break;
		}
		return;
	}
	/* a JSON string is a valid YAML double-quoted scalar */
	{
		cleanup_free char *q =
			json_dumps(json_string(s), JSON_ENCODE_ANY);

		fputs(q ? q : "\"\"", f);
	}
}

static void yaml_scalar(FILE *f, json_t *v, int indent)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		yaml_string(f, json_string_value(v), indent);
		break;
	case JSON_INTEGER:
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		fprintf(f, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		fputs("true", f);
		break;
	case JSON_FALSE:
		fputs("false", f);
		break;
	default:
		fputs("null", f);
		break;
	}
}

static bool is_container(json_t *v)
{
	return (json_is_object(v) && json_object_size(v)) ||
	       (json_is_array(v) && json_array_size(v));
}

/*
 * Emit v, the cursor being after "key:" or "- " on the current line.  With
 * inline_first, the first member of an object goes on that line ("- a: 1").
 */
static void yaml_value(FILE *f, json_t *v, int indent, bool inline_first)
{
	const char *key;
	bool first = true;
	json_t *e;
	size_t i;

	if (json_is_object(v) && json_object_size(v)) {
		json_object_foreach (v, key, e) {
			if (!(first && inline_first))
				fprintf(f, "\n%*s", indent, "");
			first = false;
			yaml_string(f, key, indent);
			fputc(':', f);
			if (!is_container(e))
				fputc(' ', f);
			yaml_value(f, e, indent + 2, false);
		}
	} else if (json_is_array(v) && json_array_size(v)) {
		json_array_foreach (v, i, e) {
			fprintf(f, "\n%*s- ", indent, "");
			yaml_value(f, e, indent + 2, true);
		}
	} else if (json_is_object(v)) {
		fputs("{}", f);
	} else if (json_is_array(v)) {
		fputs("[]", f);
	} else {
		yaml_scalar(f, v, indent);
	}
}

static void inspect_usage(FILE *f)
{
	fputs("Usage: runner image inspect IMAGE [flags]\n"
	      "\n"
	      "Show an image: index, per-architecture manifests, annotations,\n"
	      "digests and its gadget.yaml metadata.\n"
	      "\n"
	      "FLAGS\n"
	      "  -o, --output FMT   json (default), jsonpretty or yaml\n"
	      "      --store DIR    image store\n"
	      "\n"
	      "EXAMPLES\n"
	      "  runner image inspect trace_dns\n"
	      "  runner image inspect trace_dns -o yaml\n"
	      "  runner image inspect trace_dns | jq -r .metadata\n",
	      f);
}

static int image_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "store", required_argument, NULL, OPT_STORE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	cleanup_error struct error *err = NULL;
	cleanup_store_p struct oci_store *store = NULL;
	cleanup_free char *ref = NULL;
	cleanup_json json_t *doc = NULL;
	const char *store_flag = NULL;
	const char *fmt = "json";
	json_t *m, *md;
	size_t i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (strcmp(optarg, "json") && strcmp(optarg, "yaml") &&
			    strcmp(optarg, "jsonpretty"))
				return usage_error("inspect",
						   "invalid output '%s': want "
						   "json, jsonpretty or yaml",
						   optarg);
			fmt = optarg;
			break;
		case OPT_STORE:
			store_flag = optarg;
			break;
		case 'h':
			inspect_usage(stdout);
			return EXIT_OK;
		default:
			return bad_option("inspect");
		}
	}
	if (argc - optind != 1)
		return usage_error("inspect", "%s", "want one IMAGE");
	ref = normalize(argv[optind], &err);
	if (!ref)
		return runner_fail(err);
	rc = open_store(store_flag, &store);
	if (rc)
		return rc;
	doc = inspect_doc(store, ref, &err);
	if (!doc)
		return runner_fail(err);
	/* the metadata of the first manifest at the top, as ig shows it */
	json_array_foreach (json_object_get(doc, "manifests"), i, m) {
		md = json_object_get(m, "metadata");
		if (md) {
			json_object_set(doc, "metadata", md);
			break;
		}
	}
	if (!strcmp(fmt, "yaml")) {
		fputs("---", stdout);
		yaml_value(stdout, doc, 0, false);
		fputc('\n', stdout);
	} else {
		json_dumpf(doc, stdout,
			   !strcmp(fmt, "json") ? JSON_COMPACT :
						  JSON_INDENT(2));
		fputc('\n', stdout);
	}
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

/* ---- export / import ---- */

static void export_usage(FILE *f)
{
	fputs("Usage: runner image export IMAGE... FILE.tar [flags]\n"
	      "\n"
	      "Write images, with every blob they use, as an OCI image-layout\n"
	      "tar (an oci-archive for skopeo).  FILE \"-\" is stdout.\n"
	      "\n"
	      "FLAGS\n"
	      "      --store DIR    image store\n"
	      "\n"
	      "EXAMPLES\n"
	      "  runner image export trace_dns:latest trace_dns.tar\n"
	      "  skopeo copy oci-archive:trace_dns.tar "
	      "docker://localhost:5000/trace_dns:latest\n",
	      f);
}

static int image_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, OPT_STORE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	cleanup_error struct error *err = NULL;
	cleanup_store_p struct oci_store *store = NULL;
	const char *store_flag = NULL;
	char **refs = NULL;
	int c, i, n = 0, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_STORE:
			store_flag = optarg;
			break;
		case 'h':
			export_usage(stdout);
			return EXIT_OK;
		default:
			return bad_option("export");
		}
	}
	if (argc - optind < 2)
		return usage_error("export", "%s", "want IMAGE... and FILE");
	if (!strcmp(argv[argc - 1], "-") && isatty(STDOUT_FILENO))
		return usage_error("export", "%s",
				   "refusing to write a tar to a terminal");
	refs = calloc(argc - optind - 1, sizeof(*refs));
	if (!refs)
		return runner_msg(EXIT_FAIL, "out of memory");
	for (i = optind; i < argc - 1; i++) {
		refs[n] = normalize(argv[i], &err);
		if (!refs[n]) {
			rc = runner_fail(err);
			goto out;
		}
		n++;
	}
	rc = open_store(store_flag, &store);
	if (rc)
		goto out;
	if (oci_export(store, (const char *const *)refs, n, argv[argc - 1],
		       &err) < 0)
		rc = runner_fail(err);
out:
	for (i = 0; i < n; i++)
		free(refs[i]);
	free(refs);
	return rc;
}

static void import_usage(FILE *f)
{
	fputs("Usage: runner image import FILE.tar [-t REF] [flags]\n"
	      "\n"
	      "Store the images of an OCI image-layout tar (made by `runner\n"
	      "image export` or by skopeo as an oci-archive).  Every blob is\n"
	      "verified before anything is stored.  FILE \"-\" is stdin.\n"
	      "\n"
	      "FLAGS\n"
	      "  -t, --tag REF      name the archive's only image REF (needed\n"
	      "                     when the archive names it by a tag only)\n"
	      "      --store DIR    image store\n"
	      "\n"
	      "EXAMPLES\n"
	      "  runner image import trace_dns.tar\n"
	      "  skopeo copy docker://localhost:5000/trace_dns:v1 "
	      "oci-archive:x.tar:v1\n"
	      "  runner image import x.tar -t localhost:5000/trace_dns:v1\n",
	      f);
}

static int image_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tag", required_argument, NULL, 't' },
		{ "store", required_argument, NULL, OPT_STORE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	cleanup_error struct error *err = NULL;
	cleanup_store_p struct oci_store *store = NULL;
	cleanup_free char *tag = NULL;
	const char *store_flag = NULL;
	char **refs = NULL;
	size_t i, n = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			free(tag);
			tag = normalize(optarg, &err);
			if (!tag)
				return runner_fail(err);
			break;
		case OPT_STORE:
			store_flag = optarg;
			break;
		case 'h':
			import_usage(stdout);
			return EXIT_OK;
		default:
			return bad_option("import");
		}
	}
	if (argc - optind != 1)
		return usage_error("import", "%s", "want one FILE");
	rc = open_store(store_flag, &store);
	if (rc)
		return rc;
	if (oci_import(store, argv[optind], tag, runner_default_prefix(), &refs,
		       &n, &err) < 0)
		return runner_fail(err);
	for (i = 0; i < n; i++) {
		printf("Imported: %s\n", refs[i]);
		free(refs[i]);
	}
	free(refs);
	return EXIT_OK;
}

/* ---- registry options and progress ---- */

static struct {
	char what[32];
	bool shown;
} progress_state;

static void human_size(int64_t n, char *buf, size_t len)
{
	if (n < 0)
		snprintf(buf, len, "?");
	else if (n < 1024)
		snprintf(buf, len, "%lld B", (long long)n);
	else if (n < 1024 * 1024)
		snprintf(buf, len, "%.1f KiB", n / 1024.0);
	else
		snprintf(buf, len, "%.1f MiB", n / (1024.0 * 1024));
}

static void progress(void *ctx, const char *what, int64_t done, int64_t total)
{
	char d[32], t[32];

	(void)ctx;
	if (done <= 0 && total <= 0)
		return;
	human_size(done, d, sizeof(d));
	human_size(total, t, sizeof(t));
	if (progress_state.shown && strcmp(progress_state.what, what))
		fputc('\n', stderr);
	snprintf(progress_state.what, sizeof(progress_state.what), "%s", what);
	progress_state.shown = true;
	fprintf(stderr, "\r%s: %s / %s\033[K", what, d, total > 0 ? t : "?");
}

void image_progress_end(void)
{
	if (progress_state.shown)
		fputc('\n', stderr);
	progress_state.shown = false;
}

void image_registry_opts_init(struct oci_registry_opts *o)
{
	oci_registry_opts_init(o);
	if (isatty(STDERR_FILENO))
		o->progress = progress;
}

bool image_registry_option(struct oci_registry_opts *o, int opt,
			   const char *arg)
{
	switch (opt) {
	case IMAGE_OPT_AUTHFILE:
		o->authfile = arg;
		return true;
	case IMAGE_OPT_INSECURE:
		o->insecure = arg;
		return true;
	case IMAGE_OPT_CERT_DIR:
		o->certs_dir = arg;
		return true;
	default:
		return false;
	}
}

/* ---- pull / push ---- */

static void pull_usage(FILE *f)
{
	fputs("Usage: runner image pull IMAGE [flags]\n"
	      "\n"
	      "Download an image (every architecture) from its registry into\n"
	      "the local store.  Digests and sizes are verified before\n"
	      "anything is stored.\n"
	      "\n"
	      "FLAGS\n" IMAGE_REGISTRY_HELP
	      "      --arch ARCH        fail unless the image has a manifest for\n"
	      "                         ARCH (\"host\": this machine's)\n"
	      "      --store DIR        image store\n"
	      "\n"
	      "ENVIRONMENT\n"
	      "  RUNNER_INSECURE_REGISTRIES, RUNNER_REGISTRY_TIMEOUT (seconds),\n"
	      "  RUNNER_REGISTRY_RETRIES, REGISTRY_AUTH_FILE\n"
	      "\n"
	      "EXAMPLES\n"
	      "  runner image pull trace_dns\n"
	      "  runner image pull localhost:5000/gadgets/trace_dns:v1 "
	      "--insecure-registries localhost:5000\n",
	      f);
}

static int image_pull(int argc, char **argv)
{
	static const struct option opts[] = {
		IMAGE_REGISTRY_OPTIONS,
		{ "arch", required_argument, NULL, OPT_ARCH },
		{ "store", required_argument, NULL, OPT_STORE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	cleanup_error struct error *err = NULL;
	cleanup_store_p struct oci_store *store = NULL;
	cleanup_free char *ref = NULL;
	cleanup_free char *digest = NULL;
	struct oci_registry_opts ro;
	const char *store_flag = NULL;
	const char *arch = NULL;
	int c, rc;

	image_registry_opts_init(&ro);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (image_registry_option(&ro, c, optarg))
			continue;
		switch (c) {
		case OPT_ARCH:
			arch = !strcmp(optarg, "host") ? oci_host_arch() :
							 optarg;
			break;
		case OPT_STORE:
			store_flag = optarg;
			break;
		case 'h':
			pull_usage(stdout);
			return EXIT_OK;
		default:
			return bad_option("pull");
		}
	}
	if (argc - optind != 1)
		return usage_error("pull", "%s", "want one IMAGE");
	ref = normalize(argv[optind], &err);
	if (!ref)
		return runner_fail(err);
	if (oci_digest_valid(ref))
		return usage_error("pull", "'%s' names no repository",
				   argv[optind]);
	rc = open_store(store_flag, &store);
	if (rc)
		return rc;
	rc = oci_pull(store, ref, arch, &ro, &digest, &err);
	image_progress_end();
	if (rc < 0)
		return runner_fail(err);
	printf("Successfully pulled %s@%s\n", ref, digest);
	return EXIT_OK;
}

static void push_usage(FILE *f)
{
	fputs("Usage: runner image push IMAGE [DESTINATION] [flags]\n"
	      "\n"
	      "Upload an image from the local store to its registry (or to\n"
	      "DESTINATION): missing blobs, each manifest, then the index\n"
	      "under the tag.\n"
	      "\n"
	      "FLAGS\n" IMAGE_REGISTRY_HELP
	      "      --store DIR        image store\n"
	      "\n"
	      "EXAMPLES\n"
	      "  runner image push localhost:5000/gadgets/trace_dns:v1\n"
	      "  runner image push trace_dns ghcr.io/me/trace_dns:v1 "
	      "--authfile auth.json\n",
	      f);
}

static int image_push(int argc, char **argv)
{
	static const struct option opts[] = {
		IMAGE_REGISTRY_OPTIONS,
		{ "store", required_argument, NULL, OPT_STORE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	cleanup_error struct error *err = NULL;
	cleanup_store_p struct oci_store *store = NULL;
	cleanup_free char *ref = NULL;
	cleanup_free char *dest = NULL;
	cleanup_free char *digest = NULL;
	struct oci_registry_opts ro;
	const char *store_flag = NULL;
	int c, rc;

	image_registry_opts_init(&ro);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (image_registry_option(&ro, c, optarg))
			continue;
		switch (c) {
		case OPT_STORE:
			store_flag = optarg;
			break;
		case 'h':
			push_usage(stdout);
			return EXIT_OK;
		default:
			return bad_option("push");
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return usage_error("push", "%s", "want IMAGE [DESTINATION]");
	ref = normalize(argv[optind], &err);
	if (!ref)
		return runner_fail(err);
	if (argc - optind == 2) {
		dest = normalize(argv[optind + 1], &err);
		if (!dest)
			return runner_fail(err);
	} else if (oci_digest_valid(ref)) {
		return usage_error("push", "%s",
				   "pushing a digest needs a DESTINATION");
	}
	rc = open_store(store_flag, &store);
	if (rc)
		return rc;
	rc = oci_push(store, ref, dest, &ro, &digest, &err);
	image_progress_end();
	if (rc < 0)
		return runner_fail(err);
	printf("Successfully pushed %s@%s\n", dest ? dest : ref, digest);
	return EXIT_OK;
}

/* ---- the command table ---- */

static const struct image_cmd {
	const char *name;
	const char *alias;
	int (*fn)(int argc, char **argv);
	const char *help;
} image_cmds[] = {
	{ "build", NULL, cmd_image_build,
	  "build a gadget image from a folder" },
	{ "list", "ls", image_list, "list images in the local store" },
	{ "tag", NULL, image_tag, "give an image another reference" },
	{ "remove", "rm", image_remove, "remove images from the local store" },
	{ "inspect", NULL, image_inspect,
	  "show an image's manifests and metadata" },
	{ "pull", NULL, image_pull, "download an image from a registry" },
	{ "push", NULL, image_push, "upload an image to a registry" },
	{ "export", NULL, image_export, "write images to an OCI layout tar" },
	{ "import", NULL, image_import, "read images from an OCI layout tar" },
};

static void image_usage(FILE *f)
{
	size_t i;

	fputs("Usage: runner image <subcommand> [flags]\n\nSUBCOMMANDS\n", f);
	for (i = 0; i < sizeof(image_cmds) / sizeof(image_cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", image_cmds[i].name,
			image_cmds[i].help);
	fputs("\n"
	      "The store is --store DIR, else $RUNNER_STORE, else " OCI_STORE_DEFAULT_DIR
	      ".\n"
	      "A bare name means ghcr.io/inspektor-gadget/gadget/NAME "
	      "(prefix: $RUNNER_REGISTRY_PREFIX).\n"
	      "\n"
	      "EXAMPLES\n"
	      "  runner image build gadget/trace_dns -t trace_dns:latest\n"
	      "  runner image list\n"
	      "  runner image inspect trace_dns -o yaml\n"
	      "  runner image push localhost:5000/gadgets/trace_dns:v1\n"
	      "\n`runner image <subcommand> --help` tells more.\n",
	      f);
}

int cmd_image(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		image_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		image_usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(image_cmds) / sizeof(image_cmds[0]); i++) {
		const struct image_cmd *c = &image_cmds[i];
		char prog[64];

		if (strcmp(argv[1], c->name) &&
		    !(c->alias && !strcmp(argv[1], c->alias)))
			continue;
		/* getopt's messages read "runner: image pull: ..." */
		snprintf(prog, sizeof(prog), "runner: image %s", c->name);
		argv[1] = prog;
		optind = 0;
		return c->fn(argc - 1, argv + 1);
	}
	runner_msg(EXIT_USAGE, "image: unknown subcommand '%s'", argv[1]);
	image_usage(stderr);
	return EXIT_USAGE;
}
