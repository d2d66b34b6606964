// SPDX-License-Identifier: Apache-2.0
/*
 * Field numbers (containerd's api/services/<service>/v1/, api/types/):
 * GetContainerRequest { string id = 1; }, GetContainerResponse
 * { Container container = 1; }, Container { map<string, string> labels
 * = 2; string image = 3; ... }, a map entry being { key = 1; value = 2; };
 * GetImageRequest { string name = 1; }, GetImageResponse { Image image
 * = 1; }, Image { Descriptor target = 3; ... }, Descriptor { string
 * media_type = 1; string digest = 2; ... }; ReadContentRequest { string
 * digest = 1; ... } answered by a stream of ReadContentResponse { bytes
 * data = 2; ... }.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/goparse.h"
#include "common/lazy_curl.h"
#include "oci/store.h"
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

/* cb(message, its length, arg) for each gRPC frame of a response body;
 * -1 if the body is malformed or cb fails. */
static int each_frame(const uint8_t *p, size_t len,
		      int (*cb)(const uint8_t *, size_t, void *), void *arg)
{
	const uint8_t *end = p + len;

	while (p < end) {
		uint32_t n;

		/* flag (compressed: never asked for), length, message */
		if (end - p < 5 || p[0] != 0)
			return -1;
		n = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
		    (uint32_t)p[3] << 8 | p[4];
		p += 5;
		if (n > (size_t)(end - p) || cb(p, n, arg))
			return -1;
		p += n;
	}
	return 0;
}

static int on_get_frame(const uint8_t *msg, size_t n, void *arg)
{
	return each_len(msg, n, 1, on_container, arg);
}

int containerd_parse_get(const void *body, size_t len, containerd_label_fn fn,
			 void *ctx)
{
	struct told t = { fn, ctx };

	return each_frame(body, len, on_get_frame, &t);
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

/* The value of header line data (n bytes) after its name (skip bytes),
 * without the spaces before it and the line end after it. */
static const char *header_value(const char *data, size_t n, size_t skip,
				size_t *vlen)
{
	const char *v = data + skip;

	*vlen = n - skip;
	while (*vlen && (*v == ' ' || *v == '\t'))
		v++, (*vlen)--;
	while (*vlen && (v[*vlen - 1] == '\r' || v[*vlen - 1] == '\n'))
		(*vlen)--;
	return v;
}

int containerd_grpc_status(const char *v, size_t len)
{
	unsigned long long status;
	char num[12];

	if (len >= sizeof(num))
		return 2;
	snprintf(num, sizeof(num), "%.*s", (int)len, v);
	return go_parse_uint(num, 10, &status) && status <= INT_MAX ?
		       (int)status :
		       2;
}

/* Headers and trailers: grpc-status and grpc-message. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct call *c = arg;
	size_t n = size * nmemb, vlen;
	const char *v;

	if (n > 12 && !strncasecmp(data, "grpc-status:", 12)) {
		v = header_value(data, n, 12, &vlen);
		c->status = containerd_grpc_status(v, vlen);
	} else if (n > 13 && !strncasecmp(data, "grpc-message:", 13)) {
		v = header_value(data, n, 13, &vlen);
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

/*
 * Call method (".../Service/Method") with one request message whose field
 * 1 is the string arg: 0 with the response body in c, or -1 with *err.
 */
static int unary(const char *sock, const char *ns, const char *method,
		 const char *arg, long timeout_ms, struct call *c,
		 struct error **err)
{
	uint8_t req[5 + 512];
	size_t off = 5;
	char nshdr[128], url[160];
	struct curl_slist *hdrs = NULL, *h;
	CURLcode rc;
	CURL *curl;
	long oserr = 0;
	int ret = -1;

	*c = (struct call){ .status = -1 };
	if (curl_ready(err))
		return -1;
	if (pb_put_len(req, sizeof(req), &off, 1, arg, strlen(arg)))
		return error_set(err, EINVAL, "'%.64s...' too long", arg);
	req[0] = 0;
	req[1] = (uint8_t)((off - 5) >> 24);
	req[2] = (uint8_t)((off - 5) >> 16);
	req[3] = (uint8_t)((off - 5) >> 8);
	req[4] = (uint8_t)(off - 5);
	snprintf(nshdr, sizeof(nshdr), "containerd-namespace: %s", ns);
	snprintf(url, sizeof(url), "http://containerd/containerd.services.%s",
		 method);
	c->body = malloc(CONTAINERD_MAX_RESPONSE);
	curl = curl_easy_init();
	if (!c->body || !curl) {
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
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTP_VERSION,
			 (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)off);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
	rc = curl_easy_perform(curl);
	if (rc == CURLE_COULDNT_CONNECT) {
		curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &oserr);
		error_set(err, oserr ? (int)oserr : ECONNREFUSED, "connect %s",
			  sock);
	} else if (c->too_big) {
		error_set(err, EMSGSIZE, "containerd: response over %d bytes",
			  CONTAINERD_MAX_RESPONSE);
	} else if (rc != CURLE_OK) {
		error_set(err, rc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : EIO,
			  "containerd at %s: %s", sock, curl_easy_strerror(rc));
	} else if (c->status != 0) {
		/* gRPC's NOT_FOUND is 5 */
		error_set(err, c->status == 5 ? ESRCH : EPROTO,
			  "containerd: status %d%s%s", c->status,
			  c->message[0] ? ": " : "", c->message);
	} else {
		ret = 0;
	}
out:
	if (curl)
		curl_easy_cleanup(curl);
	curl_slist_free_all(hdrs);
	if (ret) {
		free(c->body);
		c->body = NULL;
	}
	return ret;
}

int containerd_container_labels(const char *sock, const char *ns,
				const char *id, long timeout_ms,
				containerd_label_fn fn, void *ctx,
				struct error **err)
{
	struct call c;
	int ret = 0;

	if (unary(sock, ns, "containers.v1.Containers/Get", id, timeout_ms, &c,
		  err))
		return -1;
	if (containerd_parse_get(c.body, c.len, fn, ctx))
		ret = error_set(err, EPROTO, "containerd: malformed response");
	free(c.body);
	return ret;
}

/* --- a container's image ------------------------------------------------ */

/* A string field of a message, by its path of field numbers (the last
 * one the string's): copied into out (size bytes; cut if longer). */
static void find_string(const uint8_t *msg, size_t len, const uint32_t *path,
			size_t depth, char *out, size_t size)
{
	struct pb_reader r;
	struct pb_field f;

	pb_reader_init(&r, msg, len);
	while (pb_next(&r, &f) > 0) {
		if (f.num != path[0] || f.wire != PB_LEN)
			continue;
		if (depth > 1) {
			find_string(f.data, f.len, path + 1, depth - 1, out,
				    size);
		} else if (!memchr(f.data, '\0', f.len)) {
			snprintf(out, size, "%.*s", (int)f.len,
				 (const char *)f.data);
		}
	}
}

struct path_ask {
	const uint32_t *path;
	size_t depth;
	char *out;
	size_t size;
};

static int on_string_frame(const uint8_t *msg, size_t n, void *arg)
{
	const struct path_ask *a = arg;

	find_string(msg, n, a->path, a->depth, a->out, a->size);
	return 0;
}

/* Call method with arg; the string at path in its response, or "". */
static int ask_string(const char *sock, const char *ns, const char *method,
		      const char *arg, const uint32_t *path, size_t depth,
		      char *out, size_t size, struct error **err)
{
	struct path_ask a = { path, depth, out, size };
	struct call c;
	int ret = 0;

	out[0] = '\0';
	if (unary(sock, ns, method, arg, CONTAINERD_TIMEOUT_MS, &c, err))
		return -1;
	if (each_frame(c.body, c.len, on_string_frame, &a))
		ret = error_set(err, EPROTO, "containerd: malformed response");
	free(c.body);
	return ret;
}

struct blob {
	char *data;
	size_t len;
};

/* The data of one ReadContentResponse, after those before. */
static int on_content_frame(const uint8_t *msg, size_t n, void *arg)
{
	struct blob *b = arg;
	struct pb_reader r;
	struct pb_field f;
	int rc;

	pb_reader_init(&r, msg, n);
	while ((rc = pb_next(&r, &f)) > 0)
		if (f.num == 2 && f.wire == PB_LEN) {
			memcpy(b->data + b->len, f.data, f.len);
			b->len += f.len;
		}
	return rc;
}

/* The JSON document stored under digest in containerd's content store. */
static json_t *read_json(const char *sock, const char *ns, const char *digest,
			 struct error **err)
{
	struct call c;
	struct blob b = { 0 };
	json_error_t jerr;
	json_t *doc = NULL;

	if (unary(sock, ns, "content.v1.Content/Read", digest,
		  CONTAINERD_TIMEOUT_MS, &c, err))
		return NULL;
	/* the data is less than the frames that carry it */
	b.data = malloc(c.len + 1);
	if (!b.data)
		error_set(err, ENOMEM, "containerd content");
	else if (each_frame(c.body, c.len, on_content_frame, &b))
		error_set(err, EPROTO, "containerd: malformed response");
	else if (!(doc = json_loadb(b.data, b.len, 0, &jerr)))
		error_set(err, EPROTO, "content %s: %s", digest, jerr.text);
	free(b.data);
	free(c.body);
	return doc;
}

/* The digest of an index's manifest for linux on this machine, or NULL. */
static const char *platform_manifest(json_t *index)
{
	json_t *m;
	size_t i;

	json_array_foreach (json_object_get(index, "manifests"), i, m) {
		json_t *pf = json_object_get(m, "platform");
		const char *os = json_string_value(json_object_get(pf, "os"));
		const char *arch =
			json_string_value(json_object_get(pf, "architecture"));

		if (!pf || (os && arch && !strcmp(os, "linux") &&
			    !strcmp(arch, oci_host_arch())))
			return json_string_value(json_object_get(m, "digest"));
	}
	return NULL;
}

int containerd_container_image(const char *sock, const char *ns, const char *id,
			       struct containerd_image *out, struct error **err)
{
	static const uint32_t image_of[] = { 1, 3 }, target_of[] = { 1, 3, 2 };
	json_t *doc, *manifest = NULL;
	const char *config, *m;

	memset(out, 0, sizeof(*out));
	if (ask_string(sock, ns, "containers.v1.Containers/Get", id, image_of,
		       2, out->name, sizeof(out->name), err))
		return -1;
	if (!out->name[0])
		return 0;
	if (ask_string(sock, ns, "images.v1.Images/Get", out->name, target_of,
		       3, out->digest, sizeof(out->digest), err)) {
		if (!err || !*err || (*err)->errnum != ESRCH)
			return -1;
		error_free(*err); /* removed since: its name only */
		*err = NULL;
		return 0;
	}
	if (!out->digest[0] || !(doc = read_json(sock, ns, out->digest, err)))
		return out->digest[0] ? -1 : 0;
	/* an index: the manifest of this machine's platform */
	m = platform_manifest(doc);
	if (m && !(manifest = read_json(sock, ns, m, err))) {
		json_decref(doc);
		return -1;
	}
	config = json_string_value(json_object_get(
		json_object_get(manifest ? manifest : doc, "config"),
		"digest"));
	snprintf(out->id, sizeof(out->id), "%s", config ? config : "");
	json_decref(manifest);
	json_decref(doc);
	return 0;
}
