// SPDX-License-Identifier: Apache-2.0
/*
 * OCI distribution client over libcurl.  One easy handle per registry keeps
 * connections alive.  Every request goes through http_do(), which adds
 * credentials (basic, or a bearer token cached per scope, fetched from the
 * realm the registry's WWW-Authenticate challenge names), retries with
 * exponential backoff on 429, 5xx and dropped connections, and for
 * registries listed as insecure falls back from HTTPS to plain HTTP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "oci/auth.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/registry.h"
#include "oci/store.h"

#define USER_AGENT "runner/0.1"
#define DEFAULT_TIMEOUT_S 30
#define DEFAULT_RETRIES 3
#define DEFAULT_CHUNK (8LL << 20)
#define MAX_ERROR_BODY (64 * 1024)
#define MAX_TOKEN_BODY (1 << 20)
#define MAX_BACKOFF_MS 8000

struct token {
	char *scope;
	char *value;
};

struct oci_registry {
	char *host;
	char *authfile;
	char *insecure_list;
	char *certs_dir;
	struct oci_registry_opts opts;
	const char *scheme; /* "https", or "http" once found plain */
	bool scheme_known;
	CURL *curl;
	bool basic; /* the registry asked for basic auth */
	bool used_credentials; /* the last auth used the user's */
	char *realm, *service; /* from its bearer challenge */
	struct token *tokens;
	size_t n_tokens;
	char errbuf[CURL_ERROR_SIZE];
};

struct membuf {
	char *data;
	size_t len, max;
	bool overflow;
};

struct req {
	const char *method;
	const char *path; /* relative to https://host, or NULL */
	const char *url; /* absolute, or NULL */
	const char *accept;
	const char *content_type;
	const char *content_range;
	const void *body;
	size_t body_len;
	int fd; /* body from fd when >= 0 */
	int64_t fd_off, fd_len;
	struct oci_blob_writer *sink; /* 2xx body goes here */
	size_t max_body;
	const char *repo; /* for credentials */
	const char *scope; /* token scope, NULL for none */
	const char *what; /* progress label, NULL for none */
	bool no_auth; /* token requests carry their own */
	bool insecure; /* allow http and unverified TLS whatever the host */
	const char *basic_header; /* token requests: "Basic ..." */
};

struct resp {
	long status;
	char *content_type, *location, *www_auth, *docker_digest;
	long retry_after;
	struct membuf body;
	/* transfer state */
	struct oci_registry *reg;
	const struct req *req;
	int64_t upload_pos;
	struct error *sink_err;
};

static void resp_clear(struct resp *r)
{
	free(r->content_type);
	free(r->location);
	free(r->www_auth);
	free(r->docker_digest);
	free(r->body.data);
	error_free(r->sink_err);
	r->content_type = r->location = r->www_auth = r->docker_digest = NULL;
	r->body.data = NULL;
	r->body.len = 0;
	r->body.overflow = false;
	r->sink_err = NULL;
	r->status = 0;
	r->retry_after = -1;
	r->upload_pos = 0;
}

void oci_registry_opts_init(struct oci_registry_opts *o)
{
	const char *v;

	memset(o, 0, sizeof(*o));
	o->timeout_s = DEFAULT_TIMEOUT_S;
	o->retries = DEFAULT_RETRIES;
	o->chunk_size = DEFAULT_CHUNK;
	v = getenv("RUNNER_INSECURE_REGISTRIES");
	if (v && *v)
		o->insecure = v;
	v = getenv("RUNNER_CERTS_DIR");
	if (v && *v)
		o->certs_dir = v;
	v = getenv("RUNNER_REGISTRY_TIMEOUT");
	if (v && atol(v) > 0)
		o->timeout_s = atol(v);
	v = getenv("RUNNER_REGISTRY_RETRIES");
	if (v && *v && atoi(v) >= 0)
		o->retries = atoi(v);
	v = getenv("RUNNER_PUSH_CHUNK_SIZE");
	if (v && atoll(v) > 0)
		o->chunk_size = atoll(v);
}

static bool in_list(const char *list, const char *host)
{
	size_t n = strlen(host);
	const char *p = list;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len && *p == ' ') {
			p++;
			len--;
		}
		while (len && p[len - 1] == ' ')
			len--;
		if (len == n && !strncasecmp(p, host, n))
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

int oci_registry_new(const char *host, const struct oci_registry_opts *opts,
		     struct oci_registry **out, struct error **err)
{
	static bool curl_ready;
	struct oci_registry *r;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return error_set(err, 0, "initialise libcurl");
		curl_ready = true;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return error_set(err, ENOMEM, "alloc");
	if (opts)
		r->opts = *opts;
	else
		oci_registry_opts_init(&r->opts);
	if (r->opts.timeout_s <= 0)
		r->opts.timeout_s = DEFAULT_TIMEOUT_S;
	if (r->opts.retries < 0)
		r->opts.retries = 0;
	if (r->opts.chunk_size <= 0)
		r->opts.chunk_size = DEFAULT_CHUNK;
	r->host = strdup(host);
	r->authfile = opts && opts->authfile ? strdup(opts->authfile) : NULL;
	r->insecure_list = opts && opts->insecure ? strdup(opts->insecure) :
						    NULL;
	r->certs_dir = opts && opts->certs_dir ? strdup(opts->certs_dir) : NULL;
	r->opts.authfile = r->authfile;
	r->opts.insecure = r->insecure_list;
	r->opts.certs_dir = r->certs_dir;
	r->scheme = "https";
	r->curl = curl_easy_init();
	if (!r->host || !r->curl) {
		oci_registry_free(r);
		return error_set(err, ENOMEM, "alloc");
	}
	*out = r;
	return 0;
}

void oci_registry_free(struct oci_registry *reg)
{
	size_t i;

	if (!reg)
		return;
	if (reg->curl)
		curl_easy_cleanup(reg->curl);
	for (i = 0; i < reg->n_tokens; i++) {
		free(reg->tokens[i].scope);
		explicit_bzero(reg->tokens[i].value,
			       strlen(reg->tokens[i].value));
		free(reg->tokens[i].value);
	}
	free(reg->tokens);
	free(reg->realm);
	free(reg->service);
	free(reg->host);
	free(reg->authfile);
	free(reg->insecure_list);
	free(reg->certs_dir);
	free(reg);
}

/* ---- tokens ---- */

static const char *token_for(struct oci_registry *reg, const char *scope)
{
	size_t i;

	for (i = 0; i < reg->n_tokens; i++)
		if (!strcmp(reg->tokens[i].scope, scope ? scope : ""))
			return reg->tokens[i].value;
	return NULL;
}

static int token_put(struct oci_registry *reg, const char *scope,
		     const char *value)
{
	struct token *v;
	size_t i;

	for (i = 0; i < reg->n_tokens; i++) {
		if (strcmp(reg->tokens[i].scope, scope ? scope : ""))
			continue;
		free(reg->tokens[i].value);
		reg->tokens[i].value = strdup(value);
		return reg->tokens[i].value ? 0 : -1;
	}
	v = realloc(reg->tokens, (reg->n_tokens + 1) * sizeof(*v));
	if (!v)
		return -1;
	reg->tokens = v;
	v[reg->n_tokens].scope = strdup(scope ? scope : "");
	v[reg->n_tokens].value = strdup(value);
	if (!v[reg->n_tokens].scope || !v[reg->n_tokens].value) {
		free(v[reg->n_tokens].scope);
		free(v[reg->n_tokens].value);
		return -1;
	}
	reg->n_tokens++;
	return 0;
}

/* ---- curl callbacks ---- */

static char *trim_dup(const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
		n--;
	return strndup(p, n);
}

static size_t header_cb(char *buf, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = size * n;
	const char *colon = memchr(buf, ':', len);
	char **slot = NULL;
	size_t klen;

	if (len >= 5 && !strncmp(buf, "HTTP/", 5)) {
		/* a new response (after a redirect or 100-continue) */
		free(r->content_type);
		free(r->location);
		free(r->www_auth);
		free(r->docker_digest);
		r->content_type = r->location = r->www_auth = NULL;
		r->docker_digest = NULL;
		r->retry_after = -1;
		return len;
	}
	if (!colon)
		return len;
	klen = colon - buf;
#define IS(name) (klen == strlen(name) && !strncasecmp(buf, name, klen))
	if (IS("content-type"))
		slot = &r->content_type;
	else if (IS("location"))
		slot = &r->location;
	else if (IS("docker-content-digest"))
		slot = &r->docker_digest;
	else if (IS("www-authenticate")) {
		/* prefer a Bearer challenge when several are offered */
		if (r->www_auth && !strncasecmp(r->www_auth, "bearer", 6))
			return len;
		slot = &r->www_auth;
	} else if (IS("retry-after")) {
		cleanup_free char *v = trim_dup(colon + 1, len - klen - 1);

		r->retry_after = v ? atol(v) : -1;
		return len;
	}
#undef IS
	if (slot) {
		free(*slot);
		*slot = trim_dup(colon + 1, len - klen - 1);
	}
	return len;
}

static size_t write_cb(char *buf, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = size * n;
	long code = 0;

	curl_easy_getinfo(r->reg->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300 && r->req->sink) {
		if (oci_blob_writer_write(r->req->sink, buf, len,
					  &r->sink_err) < 0)
			return 0;
		return len;
	}
	if (r->body.len + len > r->body.max) {
		r->body.overflow = true;
		return 0;
	}
	if (len) {
		char *p = realloc(r->body.data, r->body.len + len + 1);

		if (!p)
			return 0;
		r->body.data = p;
		memcpy(p + r->body.len, buf, len);
		r->body.len += len;
		p[r->body.len] = '\0';
	}
	return len;
}

static size_t read_cb(char *buf, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	const struct req *q = r->req;
	size_t want = size * n;
	int64_t left;

	if (q->fd >= 0) {
		ssize_t got;

		left = q->fd_len - r->upload_pos;
		if (left <= 0)
			return 0;
		if ((int64_t)want > left)
			want = left;
		got = pread(q->fd, buf, want, q->fd_off + r->upload_pos);
		if (got < 0)
			return CURL_READFUNC_ABORT;
		r->upload_pos += got;
		return got;
	}
	left = q->body_len - r->upload_pos;
	if (left <= 0)
		return 0;
	if ((int64_t)want > left)
		want = left;
	memcpy(buf, (const char *)q->body + r->upload_pos, want);
	r->upload_pos += want;
	return want;
}

static int seek_cb(void *ctx, curl_off_t off, int origin)
{
	struct resp *r = ctx;

	if (origin != SEEK_SET)
		return CURL_SEEKFUNC_CANTSEEK;
	r->upload_pos = off;
	return CURL_SEEKFUNC_OK;
}

static int xfer_cb(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
		   curl_off_t ultotal, curl_off_t ulnow)
{
	struct resp *r = ctx;
	struct oci_registry_opts *o = &r->reg->opts;

	(void)dltotal;
	(void)ultotal;
	if (o->progress && r->req->what)
		o->progress(o->progress_ctx, r->req->what,
			    r->req->sink ? dlnow : ulnow,
			    r->req->sink ? dltotal : ultotal);
	return 0;
}

/* ---- requests ---- */

static const char *reason(long status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 416:
		return "Range Not Satisfiable";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "unexpected status";
	}
}

/*
 * "404 Not Found (MANIFEST_UNKNOWN: manifest unknown)": the status and the
 * first entry of the registry's error body, when it has one.
 */
static int status_error(struct error **err, const struct resp *r, const char *a,
			const char *b)
{
	cleanup_json json_t *j = NULL;
	const char *code = NULL, *msg = NULL;
	char detail[256] = "";

	if (r->body.data)
		j = json_loads(r->body.data, 0, NULL);
	if (j) {
		json_t *e = json_array_get(json_object_get(j, "errors"), 0);

		code = json_string_value(json_object_get(e, "code"));
		msg = json_string_value(json_object_get(e, "message"));
	}
	if (code || msg)
		snprintf(detail, sizeof(detail), " (%.60s%s%.150s)",
			 code ? code : "", code && msg ? ": " : "",
			 msg ? msg : "");
	error_set(err, 0, "%s%s%s: %ld %s%s", a, *b ? " " : "", b, r->status,
		  reason(r->status), detail);
	return -1;
}

static bool retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static bool retryable_status(long s)
{
	return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

/* The host[:port] of an absolute URL (malloc'd). */
static char *url_host(const char *url)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p ? p + 3 : url;
	n = strcspn(p, "/?#");
	return strndup(p, n);
}

static void backoff(int attempt, long retry_after)
{
	long ms = 500L << (attempt < 5 ? attempt : 5);
	struct timespec ts;

	if (ms > MAX_BACKOFF_MS)
		ms = MAX_BACKOFF_MS;
	if (retry_after >= 0 && retry_after <= 10)
		ms = retry_after * 1000;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static char *basic_header(const char *user, const char *password)
{
	cleanup_free char *pair = NULL;
	cleanup_free char *b64 = NULL;
	char *h;

	if (asprintf(&pair, "%s:%s", user, password) < 0)
		return NULL;
	b64 = oci_base64_encode(pair, strlen(pair));
	explicit_bzero(pair, strlen(pair));
	if (!b64 || asprintf(&h, "Authorization: Basic %s", b64) < 0)
		h = NULL;
	if (b64)
		explicit_bzero(b64, strlen(b64));
	return h;
}

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* One transfer; *cc receives curl's result. */
static void perform(struct oci_registry *reg, const struct req *q,
		    struct resp *r, const char *url, const char *auth,
		    CURLcode *cc)
{
	CURL *c = reg->curl;
	struct curl_slist *h = NULL;
	cleanup_free char *host = url_host(url);
	bool insecure = q->insecure ||
			(host && in_list(reg->opts.insecure, host));
	char line[512];
	bool upload = q->fd >= 0 || q->body;

	resp_clear(r);
	r->reg = reg;
	r->req = q;
	r->body.max = q->max_body ? q->max_body : MAX_ERROR_BODY;
	curl_easy_reset(c);
	reg->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, reg->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
			 insecure ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
			 insecure ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, reg->opts.timeout_s);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, reg->opts.timeout_s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xfer_cb);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
	if (insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (host) {
		const char *dirs[] = { reg->opts.certs_dir,
				       "/etc/containers/certs.d",
				       "/etc/docker/certs.d" };
		size_t i;

		for (i = 0; i < 3; i++) {
			char ca[1024];

			if (!dirs[i] || (i > 0 && reg->opts.certs_dir))
				continue;
			snprintf(ca, sizeof(ca), "%s/%s/ca.crt", dirs[i], host);
			if (access(ca, R_OK) == 0) {
				curl_easy_setopt(c, CURLOPT_CAINFO, ca);
				break;
			}
		}
	}
	if (!strcmp(q->method, "GET") || !strcmp(q->method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	}
	if (!strcmp(q->method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(q->method, "POST") && !upload) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	} else if (upload || !strcmp(q->method, "PUT") ||
		   !strcmp(q->method, "PATCH")) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(c, CURLOPT_READDATA, r);
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_cb);
		curl_easy_setopt(c, CURLOPT_SEEKDATA, r);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)(q->fd >= 0 ?
						      q->fd_len :
						      (int64_t)q->body_len));
		if (strcmp(q->method, "PUT"))
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	} else if (strcmp(q->method, "GET")) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	}
	h = curl_slist_append(h, "Expect:");
	if (q->accept) {
		snprintf(line, sizeof(line), "Accept: %s", q->accept);
		h = curl_slist_append(h, line);
	}
	if (q->content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s",
			 q->content_type);
		h = curl_slist_append(h, line);
	}
	if (q->content_range) {
		snprintf(line, sizeof(line), "Content-Range: %s",
			 q->content_range);
		h = curl_slist_append(h, line);
	}
	if (auth)
		h = curl_slist_append(h, auth);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	*cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	/* the header list holds credentials: wipe before freeing */
	for (struct curl_slist *p = h; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
}

static int http_do(struct oci_registry *reg, const struct req *q,
		   struct resp *r, struct error **err);

/* Get a token for scope from the realm of the last bearer challenge. */
static int fetch_token(struct oci_registry *reg, const char *repo,
		       const char *scope, struct error **err)
{
	cleanup_free char *url = NULL;
	cleanup_free char *user = NULL;
	char *password = NULL;
	char *basic = NULL;
	char *esc_service = NULL, *esc_scope = NULL;
	cleanup_json json_t *j = NULL;
	struct resp r = { 0 };
	struct req q = { 0 };
	const char *tok;
	int rc, ret = -1;

	rc = oci_auth_get(reg->opts.authfile, reg->host, repo, &user, &password,
			  err);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		basic = basic_header(user, password);
		if (!basic) {
			free_secret(password);
			return error_set(err, ENOMEM, "alloc");
		}
	}
	free_secret(password);
	reg->used_credentials = basic != NULL;
	esc_service = reg->service ?
			      curl_easy_escape(reg->curl, reg->service, 0) :
			      NULL;
	esc_scope = scope ? curl_easy_escape(reg->curl, scope, 0) : NULL;
	if (asprintf(&url, "%s%s%s%s%s%s%s", reg->realm,
		     strchr(reg->realm, '?') ? "&" : "?",
		     esc_service ? "service=" : "",
		     esc_service ? esc_service : "",
		     esc_service && esc_scope ? "&" : "",
		     esc_scope ? "scope=" : "",
		     esc_scope ? esc_scope : "") < 0) {
		url = NULL;
		error_set(err, ENOMEM, "alloc");
		goto out;
	}
	q.method = "GET";
	q.url = url;
	q.fd = -1;
	q.max_body = MAX_TOKEN_BODY;
	q.no_auth = true;
	q.basic_header = basic;
	/* the realm an insecure registry names is trusted as much as it */
	q.insecure = in_list(reg->opts.insecure, reg->host);
	if (http_do(reg, &q, &r, err) < 0) {
		error_prefix(err, "get token from %s", reg->realm);
		goto out;
	}
	if (r.status == 401 || r.status == 403) {
		error_set(err, 0, "get token from %s: %ld %s: %s", reg->realm,
			  r.status, reason(r.status),
			  basic ? "credentials rejected" :
				  "anonymous access denied (no credentials "
				  "for this registry)");
		goto out;
	}
	if (r.status != 200) {
		status_error(err, &r, "get token from", reg->realm);
		goto out;
	}
	j = r.body.data ? json_loads(r.body.data, 0, NULL) : NULL;
	tok = json_string_value(json_object_get(j, "token"));
	if (!tok || !*tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	if (!tok || !*tok) {
		error_set(err, 0, "get token from %s: no token in the answer",
			  reg->realm);
		goto out;
	}
	if (token_put(reg, scope, tok) < 0) {
		error_set(err, ENOMEM, "alloc");
		goto out;
	}
	ret = 0;
out:
	if (r.body.data)
		explicit_bzero(r.body.data, r.body.len);
	resp_clear(&r);
	free_secret(basic);
	curl_free(esc_service);
	curl_free(esc_scope);
	return ret;
}

/*
 * Run q with retries and auth.  Returns 0 when a response arrived (any
 * status: callers judge it), -1 when none did or auth could not be done.
 */
static int http_do(struct oci_registry *reg, const struct req *q,
		   struct resp *r, struct error **err)
{
	bool auth_tried = false;
	int attempt = 0;

	for (;;) {
		cleanup_free char *url = NULL;
		char *auth = NULL;
		const char *tok;
		CURLcode cc;

		if (q->url)
			url = strdup(q->url);
		else if (asprintf(&url, "%s://%s%s", reg->scheme, reg->host,
				  q->path) < 0)
			url = NULL;
		if (!url)
			return error_set(err, ENOMEM, "alloc");
		if (q->no_auth) {
			if (q->basic_header)
				auth = strdup(q->basic_header);
		} else if ((tok = token_for(reg, q->scope))) {
			if (asprintf(&auth, "Authorization: Bearer %s", tok) <
			    0)
				auth = NULL;
		} else if (reg->basic) {
			cleanup_free char *user = NULL;
			char *password = NULL;

			if (oci_auth_get(reg->opts.authfile, reg->host, q->repo,
					 &user, &password, err) < 0)
				return -1;
			if (user)
				auth = basic_header(user, password);
			free_secret(password);
		}
		if (q->sink && oci_blob_writer_reset(q->sink, err) < 0) {
			free_secret(auth);
			return -1;
		}
		perform(reg, q, r, url, auth, &cc);
		free_secret(auth);

		if (cc == CURLE_WRITE_ERROR && r->sink_err) {
			error_free(*err);
			*err = steal_ptr(r->sink_err);
			return -1;
		}
		if (cc == CURLE_WRITE_ERROR && r->body.overflow)
			return error_set(err, 0, "%s %s: answer too large",
					 q->method, url);
		/* An insecure registry that speaks plain HTTP. */
		if (cc == CURLE_SSL_CONNECT_ERROR && !q->url &&
		    !reg->scheme_known &&
		    in_list(reg->opts.insecure, reg->host)) {
			reg->scheme = "http";
			reg->scheme_known = true;
			continue;
		}
		if (cc != CURLE_OK) {
			if (retryable_curl(cc) && attempt < reg->opts.retries) {
				backoff(attempt++, -1);
				continue;
			}
			return error_set(err, 0, "%s %s: %s%s%s", q->method,
					 url,
					 reg->errbuf[0] ?
						 reg->errbuf :
						 curl_easy_strerror(cc),
					 attempt ? " (after retries)" : "",
					 cc == CURLE_SSL_CONNECT_ERROR ?
						 " (plain HTTP? see "
						 "--insecure-registries)" :
						 "");
		}
		if (!q->url)
			reg->scheme_known = true;
		if (r->status == 401 && !q->no_auth && !auth_tried) {
			struct oci_challenge ch;

			auth_tried = true;
			if (!r->www_auth ||
			    oci_challenge_parse(r->www_auth, &ch, NULL) < 0)
				return 0;
			if (!strcasecmp(ch.scheme, "bearer") && ch.realm) {
				int rc;

				free(reg->realm);
				free(reg->service);
				reg->realm = steal_ptr(ch.realm);
				reg->service = steal_ptr(ch.service);
				rc = fetch_token(reg, q->repo,
						 q->scope ? q->scope : ch.scope,
						 err);
				if (rc == 0 && !q->scope && ch.scope)
					rc = token_put(reg, NULL,
						       token_for(reg,
								 ch.scope));
				oci_challenge_clear(&ch);
				if (rc < 0)
					return -1;
				continue;
			}
			if (!strcasecmp(ch.scheme, "basic")) {
				cleanup_free char *user = NULL;
				char *password = NULL;
				int rc = oci_auth_get(reg->opts.authfile,
						      reg->host, q->repo, &user,
						      &password, err);

				free_secret(password);
				oci_challenge_clear(&ch);
				if (rc < 0)
					return -1;
				if (rc == 1) {
					reg->used_credentials = false;
					return 0; /* no credentials: a 401 */
				}
				reg->basic = true;
				reg->used_credentials = true;
				continue;
			}
			oci_challenge_clear(&ch);
			return 0;
		}
		if (retryable_status(r->status) &&
		    attempt < reg->opts.retries) {
			backoff(attempt++, r->retry_after);
			continue;
		}
		return 0;
	}
}

/* One line for a 401 or 403 on host. */
static int auth_error(struct oci_registry *reg, const struct resp *r,
		      const char *a, const char *b, struct error **err)
{
	if (r->status == 401)
		return error_set(err, 0, "%s %s: 401 Unauthorized: %s", a, b,
				 reg->used_credentials ?
					 "credentials rejected" :
					 "authentication required (no "
					 "credentials for this registry; "
					 "see runner login)");
	if (r->status == 403)
		return error_set(err, 0, "%s %s: 403 Forbidden: access denied",
				 a, b);
	return status_error(err, r, a, b);
}

static char *scope_of(const char *repo, const char *actions)
{
	char *s;

	if (asprintf(&s, "repository:%s:%s", repo, actions) < 0)
		return NULL;
	return s;
}

/* ---- public calls ---- */

int oci_registry_ping(struct oci_registry *reg, struct error **err)
{
	struct resp r = { 0 };
	struct req q = { .method = "GET", .path = "/v2/", .fd = -1 };
	int ret = -1;

	if (http_do(reg, &q, &r, err) < 0) {
		error_prefix(err, "login to %s", reg->host);
		goto out;
	}
	if (r.status == 401 || r.status == 403)
		auth_error(reg, &r, "login to", reg->host, err);
	else if (r.status != 200)
		status_error(err, &r, "login to", reg->host);
	else
		ret = 0;
out:
	resp_clear(&r);
	return ret;
}

int oci_registry_get_manifest(struct oci_registry *reg, const char *repo,
			      const char *reference, char **buf, size_t *len,
			      char **media_type, char digest[OCI_DIGEST_SIZE],
			      struct error **err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *scope = scope_of(repo, "pull");
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
	if (http_do(reg, &q, &r, err) < 0) {
		error_prefix(err, "get %s", what);
		goto out;
	}
	if (r.status == 404) {
		status_error(err, &r, what, "");
		if (err && *err)
			(*err)->errnum = ENOENT; /* callers may expect none */
		goto out;
	}
	if (r.status == 401 || r.status == 403) {
		auth_error(reg, &r, "get", what, err);
		goto out;
	}
	if (r.status != 200) {
		status_error(err, &r, "get", what);
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
	resp_clear(&r);
	return ret;
}

int oci_registry_get_blob(struct oci_registry *reg, const char *repo,
			  const char *digest, int64_t size,
			  struct oci_blob_writer *w, struct error **err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *scope = scope_of(repo, "pull");
	char what[24];
	struct resp r = { 0 };
	struct req q = {
		.method = "GET",
		.fd = -1,
		.sink = w,
		.repo = repo,
		.scope = scope,
		.what = what,
	};
	int ret = -1;

	(void)size;
	snprintf(what, sizeof(what), "%.12s", oci_digest_hex(digest));
	if (asprintf(&path, "/v2/%s/blobs/%s", repo, digest) < 0 || !scope)
		return error_set(err, ENOMEM, "alloc");
	q.path = path;
	if (http_do(reg, &q, &r, err) < 0) {
		error_prefix(err, "get blob %s", digest);
		goto out;
	}
	if (r.status == 401 || r.status == 403) {
		auth_error(reg, &r, "get blob", digest, err);
		goto out;
	}
	if (r.status != 200) {
		status_error(err, &r, "get blob", digest);
		goto out;
	}
	ret = 0;
out:
	resp_clear(&r);
	return ret;
}

int oci_registry_has_blob(struct oci_registry *reg, const char *repo,
			  const char *digest, bool *exists, struct error **err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *scope = scope_of(repo, "pull,push");
	struct resp r = { 0 };
	struct req q = {
		.method = "HEAD", .fd = -1, .repo = repo, .scope = scope
	};
	int ret = -1;

	if (asprintf(&path, "/v2/%s/blobs/%s", repo, digest) < 0 || !scope)
		return error_set(err, ENOMEM, "alloc");
	q.path = path;
	if (http_do(reg, &q, &r, err) < 0) {
		error_prefix(err, "check blob %s", digest);
		goto out;
	}
	if (r.status == 200) {
		*exists = true;
		ret = 0;
	} else if (r.status == 404) {
		*exists = false;
		ret = 0;
	} else if (r.status == 401 || r.status == 403) {
		auth_error(reg, &r, "check blob", digest, err);
	} else {
		status_error(err, &r, "check blob", digest);
	}
out:
	resp_clear(&r);
	return ret;
}

int oci_registry_referrers(struct oci_registry *reg, const char *repo,
			   const char *digest, bool *api, char **buf,
			   size_t *len, struct error **err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *scope = scope_of(repo, "pull");
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
	if (http_do(reg, &q, &r, err) < 0) {
		error_prefix(err, "referrers of %s", digest);
		goto out;
	}
	if (r.status == 401 || r.status == 403) {
		auth_error(reg, &r, "referrers of", digest, err);
		goto out;
	}
	/* the API answers with an image index, possibly empty */
	*api = r.status == 200 && r.content_type &&
	       !strncmp(r.content_type,
			"application/vnd.oci.image.index.v1+json", 39);
	if (*api && buf && r.body.data) {
		*buf = strndup(r.body.data, r.body.len);
		if (!*buf) {
			error_set(err, ENOMEM, "alloc");
			goto out;
		}
		*len = r.body.len;
	}
	ret = 0;
out:
	resp_clear(&r);
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
	char *u;

	if (strstr(loc, "://"))
		return strdup(loc);
	if (asprintf(&u, "%s://%s%s%s", reg->scheme, reg->host,
		     loc[0] == '/' ? "" : "/", loc) < 0)
		return NULL;
	return u;
}

int oci_registry_put_blob(struct oci_registry *reg, const char *repo,
			  const char *digest, int64_t size, int fd,
			  struct error **err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *scope = scope_of(repo, "pull,push");
	cleanup_free char *url = NULL;
	cleanup_free char *final = NULL;
	char what[24];
	struct resp r = { 0 };
	struct req q = { .fd = -1, .repo = repo, .scope = scope };
	int64_t off = 0, chunk = reg->opts.chunk_size;
	bool chunked = size > chunk;
	int ret = -1;

	snprintf(what, sizeof(what), "%.12s", oci_digest_hex(digest));
	if (asprintf(&path, "/v2/%s/blobs/uploads/", repo) < 0 || !scope)
		return error_set(err, ENOMEM, "alloc");
	q.method = "POST";
	q.path = path;
	if (http_do(reg, &q, &r, err) < 0)
		goto fail;
	if (r.status == 401 || r.status == 403) {
		auth_error(reg, &r, "start upload to", repo, err);
		goto fail;
	}
	if (r.status != 202 || !r.location) {
		status_error(err, &r, "start upload", "");
		goto fail;
	}
	url = location_url(reg, r.location);
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
		if (http_do(reg, &q, &r, err) < 0)
			goto fail;
		if (r.status != 202 || !r.location) {
			status_error(err, &r, "upload chunk", range);
			goto fail;
		}
		free(url);
		url = location_url(reg, r.location);
		if (!url) {
			error_set(err, ENOMEM, "alloc");
			goto fail;
		}
		off += n;
	}
	if (!url || asprintf(&final, "%s%sdigest=%s", url,
			     strchr(url, '?') ? "&" : "?", digest) < 0) {
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
	if (http_do(reg, &q, &r, err) < 0)
		goto fail;
	if (r.status != 201 && r.status != 204 && r.status != 200) {
		status_error(err, &r, "finish upload", "");
		goto fail;
	}
	ret = 0;
	goto out;
fail:
	error_prefix(err, "push blob %s", digest);
out:
	resp_clear(&r);
	return ret;
}

int oci_registry_put_manifest(struct oci_registry *reg, const char *repo,
			      const char *reference, const char *media_type,
			      const void *buf, size_t len, struct error **err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *scope = scope_of(repo, "pull,push");
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
	int ret = -1;

	if (asprintf(&path, "/v2/%s/manifests/%s", repo, reference) < 0 ||
	    !scope)
		return error_set(err, ENOMEM, "alloc");
	q.path = path;
	if (http_do(reg, &q, &r, err) < 0) {
		error_prefix(err, "put manifest %s", reference);
		goto out;
	}
	if (r.status == 401 || r.status == 403) {
		auth_error(reg, &r, "put manifest", reference, err);
		goto out;
	}
	if (r.status != 201 && r.status != 200 && r.status != 202) {
		status_error(err, &r, "put manifest", reference);
		goto out;
	}
	ret = 0;
out:
	resp_clear(&r);
	return ret;
}
