// SPDX-License-Identifier: Apache-2.0
/*
 * The HTTP layer of the OCI distribution client, over libcurl.  One easy handle per registry keeps
 * connections alive.  Every request goes through http_do(), which adds
 * credentials (basic, or a bearer token cached per scope, fetched from the
 * realm the registry's WWW-Authenticate challenge names), retries with
 * exponential backoff on 429, 5xx and dropped connections, and for
 * registries listed as insecure falls back from HTTPS to plain HTTP.
 * registry_trust_of() decides, host by host, what else a request may do.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/lazy_curl.h"
#include "common/cleanup.h"
#include "common/fileutil.h"
#include "common/goparse.h"
#include "common/json.h"
#include "oci/auth.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/registry.h"
#include "oci/store.h"
#include "oci/store_txn.h"
#include "oci/registry_internal.h"

#define USER_AGENT "runner/0.1"
#define DEFAULT_TIMEOUT_S 10
#define DEFAULT_RETRIES 3
#define DEFAULT_CHUNK (8LL << 20)
#define MAX_BACKOFF_MS 8000
/* The CA certificates of a certs.d folder read at most. */
#define MAX_CA_BYTES (1 << 20)
/*
 * A whole request ends within DEADLINE_TIMEOUTS times the timeout, plus
 * one second per MIN_RATE bytes of the blob or body it moves: an answer
 * that trickles in just fast enough for the no-progress check (a
 * slowloris) fails instead of holding the command for hours.
 */
#define DEADLINE_TIMEOUTS 6
#define MIN_RATE (16 * 1024)

void registry_resp_clear(struct resp *r)
{
	free(r->content_type);
	free(r->location);
	free(r->www_auth);
	free(r->docker_digest);
	free(r->body.data);
	free(r->certs_host_dir);
	error_free(r->sink_err);
	r->content_type = r->location = r->www_auth = r->docker_digest = NULL;
	r->body.data = NULL;
	r->body.len = 0;
	r->body.overflow = false;
	r->sink_err = NULL;
	r->status = 0;
	r->retry_after = -1;
	r->elsewhere = false;
	r->upload_pos = 0;
	r->sunk = 0;
	r->len_checked = false;
	r->len_err[0] = '\0';
	r->cert_asked = r->cert_given = false;
	r->certs_host_dir = NULL;
}

void oci_registry_opts_init(struct oci_registry_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_s = DEFAULT_TIMEOUT_S;
	o->retries = DEFAULT_RETRIES;
	o->chunk_size = DEFAULT_CHUNK;
}

const char *oci_registry_api_host(const char *host)
{
	/* Docker Hub: references say docker.io, its API is elsewhere (as
	 * docker, podman and oras, hence ig, send them) */
	if (!strcasecmp(host, "docker.io") ||
	    !strcasecmp(host, "index.docker.io"))
		return "registry-1.docker.io";
	return host;
}

bool registry_in_list(const char *list, const char *host)
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

struct registry_trust registry_trust_of(const struct oci_registry *reg,
					const char *host)
{
	struct registry_trust t = { 0 };

	if (registry_in_list(reg->opts.insecure, host)) {
		t.plain_http = t.unverified = true;
	} else if (!strcasecmp(host, reg->host) ||
		   !strcasecmp(host, reg->api_host)) {
		t.plain_http = reg->opts.plain_http;
		t.unverified = reg->opts.no_tls_verify;
	}
	return t;
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
	r->api_host = r->host ? oci_registry_api_host(r->host) : NULL;
	r->authfile = opts && opts->authfile ? strdup(opts->authfile) : NULL;
	r->insecure_list = opts && opts->insecure ? strdup(opts->insecure) :
						    NULL;
	r->certs_dir = opts && opts->certs_dir ? strdup(opts->certs_dir) : NULL;
	r->opts.authfile = r->authfile;
	r->opts.insecure = r->insecure_list;
	r->opts.certs_dir = r->certs_dir;
	r->scheme = r->opts.plain_http ? "http" : "https";
	r->scheme_known = r->opts.plain_http;
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
	registry_free_secret(reg->basic_auth);
	free(reg->basic_repo);
	free(reg->realm);
	free(reg->service);
	free(reg->host);
	free(reg->authfile);
	free(reg->insecure_list);
	free(reg->certs_dir);
	free(reg);
}

/* ---- curl callbacks ---- */

/* The value of header name in the last response, copied; NULL if none. */
static char *header_dup(CURL *c, const char *name)
{
	struct curl_header *h;

	if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	/* the last one of its name wins, as any proxy would */
	if (h->amount > 1 &&
	    curl_easy_header(c, name, h->amount - 1, CURLH_HEADER, -1, &h) !=
		    CURLHE_OK)
		return NULL;
	return strdup(h->value);
}

long registry_retry_after(const char *v)
{
	unsigned long long n;

	if (!v || !go_parse_uint(v, 10, &n))
		return -1;
	return n > LONG_MAX ? LONG_MAX : (long)n;
}

/*
 * The headers of the last response (after redirects) that the client
 * reads.  Of several WWW-Authenticate challenges, the first Bearer one.
 */
static void read_headers(CURL *c, struct resp *r)
{
	struct curl_header *h;
	cleanup_free char *retry = NULL;
	size_t i, n;

	r->content_type = header_dup(c, "Content-Type");
	r->location = header_dup(c, "Location");
	r->docker_digest = header_dup(c, "Docker-Content-Digest");
	retry = header_dup(c, "Retry-After");
	r->retry_after = registry_retry_after(retry);
	if (curl_easy_header(c, "WWW-Authenticate", 0, CURLH_HEADER, -1, &h) !=
	    CURLHE_OK)
		return;
	n = h->amount;
	for (i = 0; i < n; i++) {
		if (r->www_auth && !strncasecmp(r->www_auth, "bearer", 6))
			break;
		if (curl_easy_header(c, "WWW-Authenticate", i, CURLH_HEADER, -1,
				     &h) != CURLHE_OK)
			break;
		free(r->www_auth);
		r->www_auth = strdup(h->value);
	}
}

static size_t write_cb(char *buf, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = size * n;
	long code = 0;

	curl_easy_getinfo(r->reg->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300 && !r->len_checked) {
		/* refuse at once what cannot be right, before any wait */
		const struct req *q = r->req;
		curl_off_t cl = -1;

		r->len_checked = true;
		curl_easy_getinfo(r->reg->curl,
				  CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		if (q->sink && cl >= 0 && cl != q->sink_len)
			snprintf(r->len_err, sizeof(r->len_err),
				 "the answer announces %lld bytes, the "
				 "descriptor %lld",
				 (long long)cl, (long long)q->sink_len);
		else if (!q->sink && q->max_body &&
			 cl > (curl_off_t)q->max_body)
			snprintf(r->len_err, sizeof(r->len_err),
				 "the answer announces %lld bytes, more than "
				 "the %zu allowed",
				 (long long)cl, q->max_body);
		if (r->len_err[0])
			return 0;
	}
	if (code >= 200 && code < 300 && r->req->sink) {
		if (r->sunk + (int64_t)len > r->req->sink_len) {
			snprintf(r->len_err, sizeof(r->len_err),
				 "more than the %lld bytes of the descriptor",
				 (long long)r->req->sink_len);
			return 0;
		}
		r->sunk += len;
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

/*
 * What curl tells when verbose: of it, the TLS handshake message of a
 * server asking for a client certificate (OpenSSL's trace: "TLSv1.3
 * (IN), TLS handshake, Request CERT (13):").
 */
static int debug_cb(CURL *c, curl_infotype type, char *text, size_t len,
		    void *ctx)
{
	static const char asked[] = ", Request CERT (";
	struct resp *r = ctx;

	(void)c;
	if (type == CURLINFO_TEXT && len > 3 && !memcmp(text, "TLS", 3) &&
	    memmem(text, len, asked, sizeof(asked) - 1))
		r->cert_asked = true;
	return 0;
}

/* ---- requests ---- */

const char *registry_reason(long status)
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
int registry_status_error(struct error **err, const struct resp *r,
			  const char *a, const char *b)
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
	/*
	 * nginx's "ssl_verify_client on" answers a handshake without one
	 * 400; "optional" with a check of $ssl_client_verify, often 403
	 */
	if ((r->status == 400 || r->status == 403) && r->cert_asked &&
	    !r->cert_given)
		return error_set(err, 0,
				 "%s%s%s: %ld %s%s: the registry asked for a "
				 "client certificate and none is in %s "
				 "(NAME.cert with NAME.key)",
				 a, *b ? " " : "", b, r->status,
				 registry_reason(r->status), detail,
				 r->certs_host_dir);
	error_set(err, 0, "%s%s%s: %ld %s%s", a, *b ? " " : "", b, r->status,
		  registry_reason(r->status), detail);
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

/*
 * How a transfer ends that the server cut after the TLS handshake
 * (TLS 1.2: an alert in it; TLS 1.3: one after it, or the connection
 * closed).
 */
static bool refused_tls(CURLcode c)
{
	switch (c) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return true;
	default:
		return false;
	}
}

static bool retryable_status(long s)
{
	return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

/* The host[:port] of an absolute URL (malloc'd), NULL if it is none. */
static char *url_host(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *out = NULL;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
			port = NULL;
		if (asprintf(&out, "%s%s%s", host, port ? ":" : "",
			     port ? port : "") < 0)
			out = NULL;
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

/* Is url on the registry itself: same scheme, same host and port? */
static bool same_origin(const struct oci_registry *reg, const char *url)
{
	size_t n = strlen(reg->scheme);
	cleanup_free char *host = url_host(url);

	return host && !strncasecmp(url, reg->scheme, n) &&
	       !strncmp(url + n, "://", 3) && !strcasecmp(host, reg->api_host);
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

/* The longest q may take, in ms (see DEADLINE_TIMEOUTS). */
static long request_deadline_ms(const struct oci_registry *reg,
				const struct req *q)
{
	int64_t bytes = q->sink	   ? q->sink_len :
			q->fd >= 0 ? q->fd_len :
				     (int64_t)q->body_len;

	return reg->opts.timeout_s * 1000 * DEADLINE_TIMEOUTS +
	       bytes * 1000 / MIN_RATE;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && !strcmp(s + n - k, suffix);
}

static int no_dot_file(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/*
 * The TLS files for host in the first certs.d folder that has a folder
 * for it (--cert-dir alone when given), read as podman and docker read
 * theirs (containers-certs.d(5)): every *.crt a CA, trusted besides the
 * system's; a *.cert with the *.key of its name a client certificate.
 * r learns the folder (the first looked for when none is there) and
 * whether it gave a client certificate.
 */
static void host_tls(struct oci_registry *reg, const char *host, struct resp *r)
{
	const char *dirs[] = { reg->opts.certs_dir, "/etc/containers/certs.d",
			       "/etc/docker/certs.d" };
	struct dirent **names = NULL;
	cleanup_free char *dir = NULL;
	cleanup_free char *cas = NULL;
	size_t cas_len = 0, i;
	int n = -1, k;

	for (i = 0; i < 3 && n < 0; i++) {
		if (!dirs[i] || (i > 0 && reg->opts.certs_dir))
			continue;
		free(dir);
		if (asprintf(&dir, "%s/%s", dirs[i], host) < 0) {
			dir = NULL;
			return;
		}
		n = scandir(dir, &names, no_dot_file, alphasort);
		/* for messages: the folder read, or the first looked for */
		if (n >= 0 || !r->certs_host_dir) {
			free(r->certs_host_dir);
			r->certs_host_dir = strdup(dir);
		}
	}
	for (k = 0; k < n; k++) {
		cleanup_free char *path = NULL;
		cleanup_free char *key = NULL;
		cleanup_free char *buf = NULL;
		const char *name = names[k]->d_name;
		size_t len;
		char *p;

		if (asprintf(&path, "%s/%s", dir, name) < 0) {
			path = NULL;
			continue;
		}
		if (has_suffix(name, ".crt") &&
		    read_file(path, &buf, &len, NULL) == 0 &&
		    cas_len + len + 1 <= MAX_CA_BYTES &&
		    (p = realloc(cas, cas_len + len + 2))) {
			cas = p;
			memcpy(cas + cas_len, buf, len);
			cas_len += len;
			cas[cas_len++] = '\n';
			cas[cas_len] = '\0';
		} else if (has_suffix(name, ".cert") &&
			   asprintf(&key, "%.*s.key", (int)(strlen(path) - 5),
				    path) >= 0 &&
			   access(key, R_OK) == 0) {
			curl_easy_setopt(reg->curl, CURLOPT_SSLCERT, path);
			curl_easy_setopt(reg->curl, CURLOPT_SSLKEY, key);
			r->cert_given = true;
		}
	}
	for (k = 0; k < n; k++)
		free(names[k]);
	free(names);
	if (cas) {
		struct curl_blob blob = { .data = cas,
					  .len = cas_len,
					  .flags = CURL_BLOB_COPY };

		curl_easy_setopt(reg->curl, CURLOPT_CAINFO_BLOB, &blob);
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
	struct registry_trust t = q->trust;
	char line[512];
	bool upload = q->fd >= 0 || q->body;

	if (host) {
		struct registry_trust of_host = registry_trust_of(reg, host);

		t.plain_http |= of_host.plain_http;
		t.unverified |= of_host.unverified;
	}
	registry_resp_clear(r);
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
			 t.plain_http ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
			 t.plain_http ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, reg->opts.timeout_s);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, reg->opts.timeout_s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, request_deadline_ms(reg, q));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xfer_cb);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
	if (t.unverified) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (host) {
		host_tls(reg, host, r);
	}
	if (r->certs_host_dir && !r->cert_given) {
		/* to learn whether the server asks for a client certificate:
		 * curl tells its TLS handshake messages to a debug callback
		 * only, and only when verbose (it prints nothing itself) */
		curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, debug_cb);
		curl_easy_setopt(c, CURLOPT_DEBUGDATA, r);
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
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
	read_headers(c, r);
	{
		char *at = NULL;

		curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &at);
		r->elsewhere = !at || !same_origin(reg, at);
	}
	/* the header list holds credentials: wipe before freeing */
	for (struct curl_slist *p = h; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
}

/*
 * Why curl's transfer failed: its error buffer, which holds the first
 * failf() text of the transfer (libcurl 7.88), unless that is the
 * non-fatal getpeername() failure of a connection the server closed
 * already (after refusing the TLS handshake), which says nothing of cc.
 */
static const char *curl_reason(const struct oci_registry *reg, CURLcode cc)
{
	if (!reg->errbuf[0] ||
	    !strncmp(reg->errbuf, "getpeername() failed", 20))
		return curl_easy_strerror(cc);
	return reg->errbuf;
}

/*
 * A request curl refused to send over plain HTTP (a token realm, a
 * redirect or an upload Location named http:// by a registry that is not
 * insecure): one line naming the host to list in --insecure-registries,
 * rather than curl's "Protocol "http" not supported or disabled".
 * Returns -1, or 0 when that is not why.
 */
static int refused_plain_http(struct oci_registry *reg, const struct req *q,
			      const char *url, struct error **err)
{
	char *at = NULL;
	cleanup_free char *to = NULL;
	cleanup_free char *from = url_host(url);

	curl_easy_getinfo(reg->curl, CURLINFO_EFFECTIVE_URL, &at);
	if (!at || strncasecmp(at, "http://", 7) || !(to = url_host(at)) ||
	    !from)
		return 0;
	/* what a request may follow is decided by its own host's listing */
	if (strcasecmp(from, to))
		return error_set(err, 0,
				 "%s %s: redirected to plain HTTP (%s), "
				 "refused (list %s in --insecure-registries "
				 "to allow it)",
				 q->method, url, to, from);
	return error_set(err, 0,
			 "%s %s: plain HTTP to %s refused (list it in "
			 "--insecure-registries to allow it)",
			 q->method, url, to);
}

/*
 * Run q with retries and auth.  Returns 0 when a response arrived (any
 * status: callers judge it), -1 when none did or auth could not be done.
 */
int registry_http_do(struct oci_registry *reg, const struct req *q,
		     struct resp *r, struct error **err)
{
	bool auth_tried = false;
	int attempt = 0, timed_out = 0;

	for (;;) {
		cleanup_free char *url = NULL;
		char *auth = NULL;
		const char *tok;
		CURLcode cc;

		if (q->url)
			url = strdup(q->url);
		else if (asprintf(&url, "%s://%s%s", reg->scheme, reg->api_host,
				  q->path) < 0)
			url = NULL;
		if (!url)
			return error_set(err, ENOMEM, "alloc");
		if (q->no_auth) {
			/* a token request: its realm is the registry's */
			if (q->basic_header)
				auth = strdup(q->basic_header);
		} else if (q->url && !same_origin(reg, url)) {
			/* an upload Location elsewhere (a storage backend):
			 * our credentials are for the registry only */
		} else if ((tok = registry_token_for(reg, q->scope))) {
			if (asprintf(&auth, "Authorization: Bearer %s", tok) <
			    0)
				auth = NULL;
		} else if (reg->basic) {
			const char *basic;

			if (registry_basic_for(reg, q->repo, &basic, err) < 0)
				return -1;
			if (basic)
				auth = strdup(basic);
		}
		if (q->sink && oci_blob_writer_reset(q->sink, err) < 0) {
			registry_free_secret(auth);
			return -1;
		}
		perform(reg, q, r, url, auth, &cc);
		registry_free_secret(auth);

		if (cc == CURLE_WRITE_ERROR && r->sink_err) {
			error_free(*err);
			*err = steal_ptr(r->sink_err);
			return -1;
		}
		if (r->len_err[0])
			return error_set(err, 0, "%s %s: %s", q->method, url,
					 r->len_err);
		if (cc == CURLE_WRITE_ERROR && r->body.overflow) {
			if (r->status >= 200 && r->status < 300)
				return error_set(err, 0,
						 "%s %s: answer too large",
						 q->method, url);
			/* an error page past MAX_ERROR_BODY: its status
			 * stands (and may be retried), its text is cut */
			cc = CURLE_OK;
		}
		/* An insecure registry that speaks plain HTTP. */
		if (cc == CURLE_SSL_CONNECT_ERROR && !q->url &&
		    !reg->scheme_known &&
		    registry_in_list(reg->opts.insecure, reg->host)) {
			reg->scheme = "http";
			reg->scheme_known = true;
			continue;
		}
		if (r->cert_asked && !r->cert_given && refused_tls(cc))
			return error_set(
				err, 0,
				"%s %s: the registry asked for a client "
				"certificate and none is in %s "
				"(NAME.cert with NAME.key)",
				q->method, url, r->certs_host_dir);
		if (cc != CURLE_OK) {
			char hint[64] = "";

			/* a server that stays silent is asked once more,
			 * not retries times: waits add up to minutes */
			if (retryable_curl(cc) && attempt < reg->opts.retries &&
			    (cc != CURLE_OPERATION_TIMEDOUT || !timed_out++)) {
				backoff(attempt++, -1);
				continue;
			}
			if (cc == CURLE_UNSUPPORTED_PROTOCOL &&
			    refused_plain_http(reg, q, url, err) < 0)
				return -1;
			/* the flag of the user's command that fits */
			if (cc == CURLE_SSL_CONNECT_ERROR)
				snprintf(hint, sizeof(hint),
					 " (plain HTTP? see %s)",
					 reg->opts.plain_http_flag ?
						 reg->opts.plain_http_flag :
						 "--insecure-registries");
			return error_set(err, 0, "%s %s: %s%s%s", q->method,
					 url, curl_reason(reg, cc),
					 attempt ? " (after retries)" : "",
					 hint);
		}
		if (!q->url)
			reg->scheme_known = true;
		/* a challenge from elsewhere (a storage backend the
		 * registry redirected to) gets none of our credentials */
		if (r->status == 401 && !q->no_auth && !auth_tried &&
		    !r->elsewhere) {
			int rc = registry_answer_challenge(reg, q, r, err);

			auth_tried = true;
			if (rc <= 0)
				return rc;
			continue;
		}
		if (retryable_status(r->status) &&
		    attempt < reg->opts.retries) {
			backoff(attempt++, r->retry_after);
			continue;
		}
		return 0;
	}
}

int oci_http_get(const char *url, const struct oci_registry_opts *opts,
		 size_t max, char **body, size_t *len, struct error **err)
{
	cleanup_free char *host = url_host(url);
	struct req q = { .method = "GET",
			 .url = url,
			 .fd = -1,
			 .max_body = max,
			 .no_auth = true,
			 .trust = { .plain_http =
					    !strncasecmp(url, "http://", 7) } };
	struct oci_registry *reg = NULL;
	struct resp r = { 0 };
	int rc;

	*body = NULL;
	*len = 0;
	if (!host ||
	    (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)))
		return error_set(err, EINVAL,
				 "%s: not an http:// or "
				 "https:// URL",
				 url);
	if (oci_registry_new(host, opts, &reg, err))
		return -1;
	rc = registry_http_do(reg, &q, &r, err);
	if (!rc && r.status != 200)
		rc = error_set(err, 0, "unexpected status code: %ld", r.status);
	if (!rc && !r.body.data && !(r.body.data = strdup("")))
		rc = error_set(err, ENOMEM, "alloc");
	if (!rc) {
		*body = steal_ptr(r.body.data);
		*len = r.body.len;
	}
	registry_resp_clear(&r);
	oci_registry_free(reg);
	return rc;
}
