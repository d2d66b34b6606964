// SPDX-License-Identifier: Apache-2.0
/* `runner image list`: the images in the local store. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/escape.h"
#include "common/json.h"
#include "oci/digest.h"
#include "oci/ref.h"
#include "oci/sign.h"
#include "oci/sign_store.h"
#include "oci/store.h"
#include "runner/cli/commands.h"

enum {
	OPT_NO_TRUNC = CLI_OPT_OWN,
};

struct list_state {
	bool json, pretty, no_trunc;
};

/*
 * ref's repository and tag (-1 without memory); the repository without ig's default prefix
 * (ghcr.io/inspektor-gadget/gadget/), as ig's list shows it.
 */
static int split_ref(const char *ref, char **repo, char **tag)
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
	if (!*repo || !*tag)
		return -1;
	if (!strncmp(*repo, OCI_DEFAULT_PREFIX, strlen(OCI_DEFAULT_PREFIX)))
		memmove(*repo, *repo + strlen(OCI_DEFAULT_PREFIX),
			strlen(*repo) - strlen(OCI_DEFAULT_PREFIX) + 1);
	return 0;
}

/*
 * An RFC 3339 time: seconds, an optional fraction, then Z or the offset
 * from UTC (ig's build writes the builder's local time, "+02:00").
 */
static int rfc3339_time(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	unsigned int oh, om;

	if (!p)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	*out = timegm(&tm);
	if ((*p == 'Z' || *p == 'z') && !p[1])
		return 0;
	/* "+HH:MM", digits only (sscanf's %u took " 1" and "-1") */
	if ((*p != '+' && *p != '-') || strspn(p + 1, "0123456789") != 2 ||
	    p[3] != ':' || strspn(p + 4, "0123456789") != 2 || p[6])
		return -1;
	oh = (p[1] - '0') * 10 + (p[2] - '0');
	om = (p[4] - '0') * 10 + (p[5] - '0');
	if (oh > 23 || om > 59)
		return -1;
	/* local = UTC + offset */
	*out += (*p == '+' ? -1 : 1) * (time_t)(oh * 3600 + om * 60);
	return 0;
}

/*
 * "3 minutes ago" for an RFC 3339 time, in the words ig's list uses
 * (go-units' HumanDuration, lower case): "about a minute ago", "2 weeks
 * ago"; "less than a second ago" in the future, as ig's; the string
 * itself when it is no such time.
 */
static void humanize(const char *created, char *buf, size_t len)
{
	long long d, h;
	time_t t;

	if (!created) {
		snprintf(buf, len, "unknown");
		return;
	}
	if (rfc3339_time(created, &t) < 0) {
		snprintf(buf, len, "%s", created);
		return;
	}
	d = (long long)(time(NULL) - t);
	h = (d + 1800) / 3600; /* hours, rounded */
	if (d < 1) /* the future too, as go-units (clocks disagree) */
		snprintf(buf, len, "less than a second ago");
	else if (d == 1)
		snprintf(buf, len, "1 second ago");
	else if (d < 60)
		snprintf(buf, len, "%lld seconds ago", d);
	else if (d < 120)
		snprintf(buf, len, "about a minute ago");
	else if (d < 3600)
		snprintf(buf, len, "%lld minutes ago", d / 60);
	else if (h == 1)
		snprintf(buf, len, "about an hour ago");
	else if (h < 48)
		snprintf(buf, len, "%lld hours ago", h);
	else if (h < 24 * 7 * 2)
		snprintf(buf, len, "%lld days ago", h / 24);
	else if (h < 24 * 30 * 2)
		snprintf(buf, len, "%lld weeks ago", h / 24 / 7);
	else if (h < 24 * 365 * 2)
		snprintf(buf, len, "%lld months ago", h / 24 / 30);
	else
		snprintf(buf, len, "%lld years ago", d / 3600 / 24 / 365);
}

/*
 * The tags of the stored references, as the keys of an object, to tell
 * which digests have a signature (NULL without memory).
 */
static json_t *stored_tags(const struct oci_store_entry *e, size_t n)
{
	json_t *tags = json_object();
	size_t j;

	for (j = 0; tags && j < n; j++) {
		const char *t = e[j].ref ? oci_stored_tag(e[j].ref) : NULL;

		if (t)
			json_object_set_new(tags, t, json_true());
	}
	return tags;
}

/* Whether tags (stored_tags()) hold a signature of digest: a legacy
 * one, or OCI 1.1 referrers (bundles, cosign signatures). */
static bool has_sig(json_t *tags, const char *digest)
{
	char tag[OCI_SIG_TAG_SIZE], rtag[OCI_SIG_TAG_SIZE];

	if (!oci_digest_valid(digest))
		return false;
	oci_sig_tag(digest, tag);
	oci_referrers_tag(digest, rtag);
	return json_object_get(tags, tag) || json_object_get(tags, rtag);
}

/* -1 without memory: an image left out would pass for one not stored */
static int list_json(struct oci_store *store, const struct oci_store_entry *e,
		     size_t n, bool pretty)
{
	cleanup_json json_t *arr = json_array();
	cleanup_json json_t *tags = stored_tags(e, n);
	/* read once for every image */
	cleanup_free char *built = n ? oci_store_built_marks(store) : NULL;
	size_t i;

	if (!arr || !tags)
		return -1;
	for (i = 0; i < n; i++) {
		cleanup_free char *repo = NULL;
		cleanup_free char *tag = NULL;

		/* signatures show as "signed" on their image, as ig lists */
		if (!e[i].ref || oci_is_signature_ref(e[i].ref))
			continue;
		if (split_ref(e[i].ref, &repo, &tag) < 0 ||
		    json_array_append_new(
			    arr,
			    json_pack(
				    "{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b, "
				    "s:b}",
				    "Repository", repo ? repo : "", "Tag",
				    tag ? tag : "", "Digest", e[i].digest,
				    "Created", e[i].created ? e[i].created : "",
				    "reference", e[i].ref, "mediaType",
				    e[i].media_type, "size",
				    (json_int_t)e[i].size, "builtHere",
				    oci_built_marks_have(built, e[i].digest),
				    "signed", has_sig(tags, e[i].digest))) < 0)
			return -1;
	}
	/*
	 * ig's keys (its GadgetImageDesc's field names), then ours; json on
	 * one line, jsonpretty indented, as ig
	 */
	cli_print_json(arr, pretty);
	return 0;
}

/*
 * As ig: on a terminal (without --no-trunc) 12 digits of the digest and
 * the age; else the whole digest and the creation time as stored.
 */
static int list_columns(const struct oci_store_entry *e, size_t n, bool trunc)
{
	/* the digest column as wide as its digests: CREATED stays aligned */
	int w = trunc ? 12 : (int)strlen("sha256:") + 64;
	size_t i;

	printf("%-50s %-16s %-*s %s\n", "REPOSITORY", "TAG", w, "DIGEST",
	       "CREATED");
	for (i = 0; i < n; i++) {
		cleanup_free char *repo = NULL;
		cleanup_free char *tag = NULL;
		char when[64];
		const char *hex = e[i].digest;

		/* signatures show as "signed" on their image, as ig lists */
		if (!e[i].ref || oci_is_signature_ref(e[i].ref))
			continue;
		cleanup_free char *r = NULL, *t = NULL, *h = NULL,
				  *when_e = NULL;

		if (split_ref(e[i].ref, &repo, &tag) < 0)
			return -1;
		if (trunc && oci_digest_valid(hex))
			hex = oci_digest_hex(hex);
		if (trunc)
			humanize(e[i].created, when, sizeof(when));
		else
			snprintf(when, sizeof(when), "%s",
				 e[i].created ? e[i].created : "");
		/* from the store's index: escaped for the terminal */
		r = term_escaped(repo, 0);
		t = term_escaped(tag, 0);
		h = term_escaped(hex, 0);
		when_e = term_escaped(when, 0);
		if (!r || !t || !h || !when_e)
			return -1;
		printf("%-50s %-16s %-*.*s %s\n", r, t, w, w, h, when_e);
	}
	return 0;
}

static int list_option(void *state, int opt, const char *arg,
		       struct error **err)
{
	struct list_state *s = state;

	if (opt == OPT_NO_TRUNC) {
		s->no_trunc = true;
		return EXIT_OK;
	}
	/* -o */
	s->json = !strcmp(arg, "json") || !strcmp(arg, "jsonpretty");
	s->pretty = !strcmp(arg, "jsonpretty");
	if (!s->json && strcmp(arg, "columns"))
		return cli_usage_error(err, "image list",
				       "invalid output '%s': want "
				       "columns, json or jsonpretty",
				       arg);
	return EXIT_OK;
}

/* By reference, byte by byte (entries without one last): ig lists its
 * store's tags sorted (oras' Tags, Go's sort.Strings). */
static int by_ref(const void *a, const void *b)
{
	const struct oci_store_entry *x = a, *y = b;

	if (!x->ref || !y->ref)
		return !x->ref - !y->ref;
	return strcmp(x->ref, y->ref);
}

static int list_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	struct list_state *s = state;
	cleanup_store struct oci_store *store = NULL;
	struct oci_store_entry *e = NULL;
	size_t n = 0;
	int rc;

	if (cli_store_open(ctx, &store, err) < 0) {
		/* no store there: nothing stored yet (and none made) */
		if (error_errnum(*err) != ENOENT)
			return EXIT_FAIL;
		error_free(*err);
		*err = NULL;
	} else if (oci_store_list(store, &e, &n, err) < 0) {
		return EXIT_FAIL;
	}
	if (n)
		qsort(e, n, sizeof(*e), by_ref);
	if (s->json)
		rc = list_json(store, e, n, s->pretty);
	else
		rc = list_columns(e, n, !s->no_trunc && isatty(STDOUT_FILENO));
	oci_store_entries_free(e, n);
	if (rc < 0) {
		error_set(err, ENOMEM, "image list");
		return EXIT_FAIL;
	}
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

static const struct option list_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "no-trunc", no_argument, NULL, OPT_NO_TRUNC },
	{ 0 },
};

const struct cli_command cmd_image_list = {
	.name = "list",
	.alias = "ls",
	.summary = "list images in the local store",
	.usage =
		"Usage: runner image list [flags]\n"
		"\n"
		"List the images in the local store.\n"
		"\n"
		"FLAGS\n"
		"  -o, --output FMT   columns (default), json (one line) or\n"
		"                     jsonpretty\n"
		"      --no-trunc     whole digests and creation times, as\n"
		"                     when stdout is not a terminal\n"
		"      --store DIR    image store (default $RUNNER_STORE, else\n"
		"                     " OCI_STORE_DEFAULT_DIR " for root,\n"
		"                     ~/" RUNNER_USER_STORE " for others)\n"
		"\n"
		"EXAMPLES\n"
		"  runner image list\n"
		"  runner image list -o json | jq -r '.[].Tag'\n",
	.short_opts = "o:",
	.options = list_options,
	.flags = CLI_STORE,
	.state_size = sizeof(struct list_state),
	.option = list_option,
	.run = list_run,
};
