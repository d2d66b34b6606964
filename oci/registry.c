// SPDX-License-Identifier: Apache-2.0
/*
 * The OCI distribution API: ping, manifests, blobs (chunked uploads),
 * referrers; each call one or a few requests through registry_http_do().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "common/lazy_curl.h"
#include "common/cleanup.h"
#include "common/json.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/registry.h"
#include "oci/registry_internal.h"
#include "oci/store.h"

/*
 * Run q and judge the answer in *r: 0 for a status of ok (a list that
 * ends with 0; NULL: any but 401 and 403), else -1 with "<a> <b>: ..."
 * in *err for no answer, the registry's 401 or 403, another status.
 */
static int registry_call(struct oci_registry *reg, const struct req *q,
			 struct resp *r, const char *a, const char *b,
			 const long *ok, struct error **err)
{
	if (registry_http_do(reg, q, r, err) < 0)
		return error_prefix(err, "%s %s", a, b);
	if (r->status == 401 || r->status == 403)
		return registry_auth_error(reg, r, a, b, err);
	for (; ok && *ok; ok++)
		if (r->status == *ok)
			return 0;
	return ok ? registry_status_error(err, r, a, b) : 0;
}

int oci_registry_ping(struct oci_registry *reg, struct error **err)
{
	struct resp r = { 0 };
	struct req q = { .method = "GET", .path = "/v2/", .fd = -1 };
	int ret;

	/* plain HTTP to a TLS port: Go's server answers 400 */
	ret = registry_call(reg, &q, &r,
			    strcmp(reg->scheme, "http") ?
				    "login to" :
				    "login over plain HTTP to",
			    reg->host, (const long[]){ 200, 0 }, err);
	registry_resp_clear(&r);
	return ret;
}

int oci_registry_get_manifest(struct oci_registry *reg, const char *repo,
			      const char *reference, char **buf, size_t *len,
			      char **media_type, char digest[OCI_DIGEST_SIZE],
			      struct error **err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *scope = registry_scope_of(repo, "pull");
	cleanup_free char *what = NULL;
	cleanup_free char *mt = NULL;
	struct resp r = { 0 };
	struct req q = {
		.method = "GET",
		.fd = -1,
		.accept = OCI_MT_INDEX ", " OCI_MT_MANIFEST
				       ", " OCI_MT_DOCKER_LIST
				       ", " OCI_MT_DOCKER_MANIFEST,
		.max_body = OCI_MAX_MANIFEST_SIZE,
		.repo = repo,
		.scope = scope,
	};
	char got[OCI_DIGEST_SIZE];
	bool by_digest = oci_digest_valid(reference);
	int ret = -1;

	if (asprintf(&path, "/v2/%s/manifests/%s", repo, reference) < 0 ||
	    asprintf(&what, "manifest %s", reference) < 0 || !scope)
		return error_set(err, ENOMEM, "alloc");
	q.path = path;
	if (registry_call(reg, &q, &r, "get", what,
			  (const long[]){ 200, 404, 0 }, err) < 0)
		goto out;
	if (r.status == 404) {
		registry_status_error(err, &r, what, "");
		if (err && *err)
			(*err)->errnum = ENOENT; /* callers may expect none */
		goto out;
	}
	if (!r.body.data) {
		error_set(err, 0, "get %s: empty answer", what);
		goto out;
	}
	oci_digest_buf(r.body.data, r.body.len, got);
	if (by_digest && strcmp(got, reference)) {
		error_set(err, 0, "get %s: digest mismatch: got %s", what, got);
		goto out;
	}
	if (r.docker_digest && oci_digest_valid(r.docker_digest) &&
	    strcmp(got, r.docker_digest)) {
		error_set(err, 0,
			  "get %s: digest mismatch: registry says %s, "
			  "content is %s",
			  what, r.docker_digest, got);
		goto out;
	}
	if (r.content_type) {
		char *semi = strchr(r.content_type, ';');

		if (semi)
			*semi = '\0';
	}
	if (r.content_type &&
	    oci_media_kind(r.content_type) != OCI_KIND_OTHER) {
		mt = strdup(r.content_type);
	} else if (oci_doc_kind(r.body.data, r.body.len, &mt) ==
		   OCI_KIND_OTHER) {
		error_set(err, 0, "get %s: unsupported media type %s", what,
			  mt ? mt :
			       (r.content_type ? r.content_type : "(none)"));
		goto out;
	}
	if (!mt) {
		error_set(err, ENOMEM, "alloc");
		goto out;
	}
	*buf = steal_ptr(r.body.data);
	*len = r.body.len;
	*media_type = steal_ptr(mt);
	memcpy(digest, got, OCI_DIGEST_SIZE);
	ret = 0;
out:
	registry_resp_clear(&r);
	return ret;
}

int oci_registry_get_blob(struct oci_registry *reg, const char *repo,
			  const char *digest, int64_t size,
			  struct oci_blob_writer *w, struct error **err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *scope = registry_scope_of(repo, "pull");
	char what[24];
	struct resp r = { 0 };
	struct req q = {
		.method = "GET",
		.fd = -1,
		.sink = w,
		.sink_len = size,
		.repo = repo,
		.scope = scope,
		.what = what,
	};
	int ret;

	q.sink_len = size;
	snprintf(what, sizeof(what), "%.12s", oci_digest_hex(digest));
	if (asprintf(&path, "/v2/%s/blobs/%s", repo, digest) < 0 || !scope)
		return error_set(err, ENOMEM, "alloc");
	q.path = path;
	ret = registry_call(reg, &q, &r, "get blob", digest,
			    (const long[]){ 200, 0 }, err);
	registry_resp_clear(&r);
	return ret;
}

int oci_registry_has_blob(struct oci_registry *reg, const char *repo,
			  const char *digest, bool *exists, struct error **err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *scope = registry_scope_of(repo, "pull,push");
	struct resp r = { 0 };
	struct req q = {
		.method = "HEAD", .fd = -1, .repo = repo, .scope = scope
	};
	int ret;

	if (asprintf(&path, "/v2/%s/blobs/%s", repo, digest) < 0 || !scope)
		return error_set(err, ENOMEM, "alloc");
	q.path = path;
	ret = registry_call(reg, &q, &r, "check blob", digest,
			    (const long[]){ 200, 404, 0 }, err);
	if (!ret)
		*exists = r.status == 200;
	registry_resp_clear(&r);
	return ret;
}

int oci_registry_referrers(struct oci_registry *reg, const char *repo,
			   const char *digest, bool *api, char **buf,
			   size_t *len, struct error **err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *scope = registry_scope_of(repo, "pull");
	struct resp r = { 0 };
	struct req q = {
		.method = "GET",
		.fd = -1,
		.accept = "application/vnd.oci.image.index.v1+json",
		.max_body = OCI_MAX_MANIFEST_SIZE,
		.repo = repo,
		.scope = scope,
	};
	int ret = -1;

	*api = false;
	if (buf)
		*buf = NULL;
	if (asprintf(&path, "/v2/%s/referrers/%s", repo, digest) < 0 || !scope)
		return error_set(err, ENOMEM, "alloc");
	q.path = path;
	if (registry_call(reg, &q, &r, "referrers of", digest, NULL, err) < 0)
		goto out;
	/* the API answers with an image index, possibly empty */
	*api = r.status == 200 && r.content_type &&
	       !strncmp(r.content_type,
			"application/vnd.oci.image.index.v1+json", 39);
	/* the whole answer: a NUL in it is the parser's to refuse */
	if (*api && buf && r.body.data) {
		*buf = steal_ptr(r.body.data);
		*len = r.body.len;
	}
	ret = 0;
out:
	registry_resp_clear(&r);
	return ret;
}

int oci_registry_has_referrers_api(struct oci_registry *reg, const char *repo,
				   const char *digest, bool *yes,
				   struct error **err)
{
	return oci_registry_referrers(reg, repo, digest, yes, NULL, NULL, err);
}

/* An upload URL from a Location header: absolute, or relative to host. */
static char *location_url(struct oci_registry *reg, const char *loc)
{
	CURLU *u = curl_url();
	char *base = NULL, *url = NULL, *out = NULL;

	if (!u || asprintf(&base, "%s://%s/", reg->scheme, reg->api_host) < 0) {
		curl_url_cleanup(u);
		return NULL;
	}
	/* a relative reference resolves against base (RFC 3986) */
	if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, loc, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK)
		out = strdup(url);
	curl_free(url);
	free(base);
	curl_url_cleanup(u);
	return out;
}

/* Where an upload goes on (the Location of r), or NULL and *err. */
static char *upload_url(struct oci_registry *reg, const struct resp *r,
			const char *what, const char *range, struct error **err)
{
	char *url;

	if (!r->location) {
		error_set(err, 0, "%s%s%s: %ld answer without a Location", what,
			  *range ? " " : "", range, r->status);
		return NULL;
	}
	url = location_url(reg, r->location);
	if (!url)
		error_set(err, 0, "%s%s%s: unusable Location \"%.200s\"", what,
			  *range ? " " : "", range, r->location);
	return url;
}

int oci_registry_put_blob(struct oci_registry *reg, const char *repo,
			  const char *digest, int64_t size, int fd,
			  const char *from, bool *mounted, struct error **err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *scope = registry_scope_of(repo, "pull,push");
	cleanup_free char *url = NULL;
	cleanup_free char *final = NULL;
	char what[24];
	struct resp r = { 0 };
	struct req q = { .fd = -1, .repo = repo, .scope = scope };
	int64_t off = 0, chunk = reg->opts.chunk_size;
	bool chunked = size > chunk;
	int ret = -1;

	if (mounted)
		*mounted = false;
	snprintf(what, sizeof(what), "%.12s", oci_digest_hex(digest));
	if (from) {
		/* the token must let us read from too (docker asks so) */
		char *both = NULL;

		if (!scope ||
		    asprintf(&both, "%s repository:%s:pull", scope, from) < 0)
			return error_set(err, ENOMEM, "alloc");
		free(scope);
		scope = both;
		q.scope = scope;
	}
	if ((from ? asprintf(&path, "/v2/%s/blobs/uploads/?mount=%s&from=%s",
			     repo, digest, from) :
		    asprintf(&path, "/v2/%s/blobs/uploads/", repo)) < 0 ||
	    !scope)
		return error_set(err, ENOMEM, "alloc");
	q.method = "POST";
	q.path = path;
	if (registry_http_do(reg, &q, &r, err) < 0)
		goto fail;
	if (from && (r.status == 401 || r.status == 403)) {
		/* no right to read from: upload it, as docker does */
		registry_resp_clear(&r);
		return oci_registry_put_blob(reg, repo, digest, size, fd, NULL,
					     mounted, err);
	}
	if (r.status == 401 || r.status == 403) {
		registry_auth_error(reg, &r, "start upload to", repo, err);
		goto fail;
	}
	/* mounted; a registry that would not (202) started an upload */
	if (from && r.status == 201) {
		if (mounted)
			*mounted = true;
		ret = 0;
		goto out;
	}
	if (r.status != 202) {
		registry_status_error(err, &r, "start upload", "");
		goto fail;
	}
	url = upload_url(reg, &r, "start upload", "", err);
	if (!url)
		goto fail;
	while (chunked && off < size) {
		char range[64];
		int64_t n = size - off < chunk ? size - off : chunk;

		snprintf(range, sizeof(range), "%lld-%lld", (long long)off,
			 (long long)(off + n - 1));
		memset(&q, 0, sizeof(q));
		q.method = "PATCH";
		q.url = url;
		q.fd = fd;
		q.fd_off = off;
		q.fd_len = n;
		q.content_type = "application/octet-stream";
		q.content_range = range;
		q.repo = repo;
		q.scope = scope;
		q.what = what;
		if (registry_http_do(reg, &q, &r, err) < 0)
			goto fail;
		if (r.status != 202) {
			registry_status_error(err, &r, "upload chunk", range);
			goto fail;
		}
		free(url);
		url = upload_url(reg, &r, "upload chunk", range, err);
		if (!url)
			goto fail;
		off += n;
	}
	if (asprintf(&final, "%s%sdigest=%s", url, strchr(url, '?') ? "&" : "?",
		     digest) < 0) {
		final = NULL;
		error_set(err, ENOMEM, "alloc");
		goto fail;
	}
	memset(&q, 0, sizeof(q));
	q.method = "PUT";
	q.url = final;
	q.fd = chunked ? -1 : fd;
	q.fd_len = chunked ? 0 : size;
	q.content_type = "application/octet-stream";
	q.repo = repo;
	q.scope = scope;
	q.what = chunked ? NULL : what;
	if (chunked) {
		q.body = "";
		q.body_len = 0;
	}
	if (registry_http_do(reg, &q, &r, err) < 0)
		goto fail;
	if (r.status != 201 && r.status != 204 && r.status != 200) {
		registry_status_error(err, &r, "finish upload", "");
		goto fail;
	}
	ret = 0;
	goto out;
fail:
	error_prefix(err, "push blob %s", digest);
out:
	registry_resp_clear(&r);
	return ret;
}

int oci_registry_put_manifest(struct oci_registry *reg, const char *repo,
			      const char *reference, const char *media_type,
			      const void *buf, size_t len, struct error **err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *scope = registry_scope_of(repo, "pull,push");
	struct resp r = { 0 };
	struct req q = {
		.method = "PUT",
		.fd = -1,
		.body = buf,
		.body_len = len,
		.content_type = media_type,
		.repo = repo,
		.scope = scope,
	};
	int ret;

	if (asprintf(&path, "/v2/%s/manifests/%s", repo, reference) < 0 ||
	    !scope)
		return error_set(err, ENOMEM, "alloc");
	q.path = path;
	ret = registry_call(reg, &q, &r, "put manifest", reference,
			    (const long[]){ 201, 200, 202, 0 }, err);
	registry_resp_clear(&r);
	return ret;
}
