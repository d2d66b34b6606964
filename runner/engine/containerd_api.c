// SPDX-License-Identifier: Apache-2.0
/*
 * Field numbers (containerd api/services/containers/v1/containers.proto):
 * GetContainerRequest { string id = 1; }, GetContainerResponse
 * { Container container = 1; }, Container { map<string, string> labels
 * = 2; ... }, a map entry being { key = 1; value = 2; }.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/lazy_curl.h"
#include "runner/engine/containerd_api.h"
#include "runner/engine/pbwire.h"

#define LABEL_MAX 4096 /* containerd's limit on a key and its value */

/* A map<string, string> entry's key and value, NUL-terminated. */
static int label_entry(const struct pb_field *entry, containerd_label_fn fn,
		       void *ctx)
{
	char key[LABEL_MAX + 1], val[LABEL_MAX + 1];
	struct pb_reader r;
	struct pb_field f;
	int rc;

	key[0] = val[0] = '\0';
	pb_reader_init(&r, entry->data, entry->len);
	while ((rc = pb_next(&r, &f)) > 0) {
		char *dst = f.num == 1 ? key : f.num == 2 ? val : NULL;

		if (!dst || f.wire != PB_LEN)
			continue;
		if (f.len > LABEL_MAX || memchr(f.data, '\0', f.len))
			return -1;
		memcpy(dst, f.data, f.len);
		dst[f.len] = '\0';
	}
	if (rc < 0)
		return -1;
	if (key[0])
		fn(ctx, key, val);
	return 0;
}

/* The fields numbered num of type PB_LEN in a message, one by one. */
static int each_len(const uint8_t *msg, size_t len, uint32_t num,
		    int (*cb)(const struct pb_field *, void *), void *arg)
{
	struct pb_reader r;
	struct pb_field f;
	int rc;

	pb_reader_init(&r, msg, len);
	while ((rc = pb_next(&r, &f)) > 0)
		if (f.num == num && f.wire == PB_LEN && cb(&f, arg))
			return -1;
	return rc;
}

struct told {
	containerd_label_fn fn;
	void *ctx;
};

static int on_label(const struct pb_field *f, void *arg)
{
	const struct told *t = arg;

	return label_entry(f, t->fn, t->ctx);
}

static int on_container(const struct pb_field *f, void *arg)
{
	return each_len(f->data, f->len, 2, on_label, arg);
}

int containerd_parse_get(const void *body, size_t len, containerd_label_fn fn,
			 void *ctx)
{
	const uint8_t *p = body, *end = p + len;
	struct told t = { fn, ctx };

	while (p < end) {
		uint32_t n;

		/* flag (compressed: never asked for), length, message */
		if (end - p < 5 || p[0] != 0)
			return -1;
		n = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
		    (uint32_t)p[3] << 8 | p[4];
		p += 5;
		if (n > (size_t)(end - p) ||
		    each_len(p, n, 1, on_container, &t))
			return -1;
		p += n;
	}
	return 0;
}

struct call {
	uint8_t *body;
	size_t len;
	bool too_big;
	int status; /* grpc-status; -1: none seen */
	char message[256]; /* grpc-message */
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct call *c = arg;
	size_t n = size * nmemb;

	if (n > CONTAINERD_MAX_RESPONSE - c->len) {
		c->too_big = true;
		return 0;
	}
	memcpy(c->body + c->len, data, n);
	c->len += n;
	return n;
}

/* Headers and trailers: grpc-status and grpc-message. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct call *c = arg;
	size_t n = size * nmemb, vlen;
	const char *v;

	if (n > 12 && !strncasecmp(data, "grpc-status:", 12)) {
		c->status = atoi(data + 12);
	} else if (n > 13 && !strncasecmp(data, "grpc-message:", 13)) {
		v = data + 13;
		vlen = n - 13;
		while (vlen && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
			vlen--;
		snprintf(c->message, sizeof(c->message), "%.*s", (int)vlen, v);
	}
	return n;
}

static int curl_ready(struct error **err)
{
	static bool ready;

	if (!ready && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return error_set(err, 0, "initialise libcurl");
	ready = true;
	return 0;
}

int containerd_container_labels(const char *sock, const char *ns,
				const char *id, long timeout_ms,
				containerd_label_fn fn, void *ctx,
				struct error **err)
{
	struct call c = { .status = -1 };
	uint8_t req[5 + 256];
	size_t off = 5;
	char nshdr[128];
	struct curl_slist *hdrs = NULL, *h;
	CURLcode rc;
	CURL *curl;
	long oserr = 0;
	int ret = -1;

	if (curl_ready(err))
		return -1;
	if (pb_put_len(req, sizeof(req), &off, 1, id, strlen(id)))
		return error_set(err, EINVAL, "container id too long");
	req[0] = 0;
	req[1] = (uint8_t)((off - 5) >> 24);
	req[2] = (uint8_t)((off - 5) >> 16);
	req[3] = (uint8_t)((off - 5) >> 8);
	req[4] = (uint8_t)(off - 5);
	snprintf(nshdr, sizeof(nshdr), "containerd-namespace: %s", ns);
	c.body = malloc(CONTAINERD_MAX_RESPONSE);
	curl = curl_easy_init();
	if (!c.body || !curl) {
		error_set(err, ENOMEM, "containerd call");
		goto out;
	}
	static const char *const fixed[] = { "Content-Type: application/grpc",
					     "TE: trailers", "Expect:" };
	for (size_t i = 0; i < 3; i++)
		if ((h = curl_slist_append(hdrs, fixed[i])))
			hdrs = h;
	if ((h = curl_slist_append(hdrs, nshdr)))
		hdrs = h;
	curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(curl, CURLOPT_URL,
			 "http://containerd/containerd.services.containers.v1."
			 "Containers/Get");
	curl_easy_setopt(curl, CURLOPT_HTTP_VERSION,
			 (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)off);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &c);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &c);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
	rc = curl_easy_perform(curl);
	if (rc == CURLE_COULDNT_CONNECT) {
		curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &oserr);
		error_set(err, oserr ? (int)oserr : ECONNREFUSED, "connect %s",
			  sock);
	} else if (c.too_big) {
		error_set(err, EMSGSIZE, "containerd: response over %d bytes",
			  CONTAINERD_MAX_RESPONSE);
	} else if (rc != CURLE_OK) {
		error_set(err, rc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : EIO,
			  "containerd at %s: %s", sock, curl_easy_strerror(rc));
	} else if (c.status != 0) {
		/* gRPC's NOT_FOUND is 5 */
		error_set(err, c.status == 5 ? ESRCH : EPROTO,
			  "containerd: status %d%s%s", c.status,
			  c.message[0] ? ": " : "", c.message);
	} else if (containerd_parse_get(c.body, c.len, fn, ctx)) {
		error_set(err, EPROTO, "containerd: malformed response");
	} else {
		ret = 0;
	}
out:
	if (curl)
		curl_easy_cleanup(curl);
	curl_slist_free_all(hdrs);
	free(c.body);
	return ret;
}
