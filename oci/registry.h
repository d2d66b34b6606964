/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A client for one OCI distribution-spec registry (libcurl): manifests and
 * blobs, anonymous, basic and bearer-token auth, retries with backoff.
 */
#ifndef OCI_REGISTRY_H
#define OCI_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "oci/digest.h"

struct oci_blob_writer;

struct oci_registry_opts {
	/* credentials file; NULL: the lookup order of oci/auth.h */
	const char *authfile;
	/* "host:port,...": HTTPS with unchecked certificates, or plain HTTP
	 * where HTTPS fails (the scheme found at the first request) */
	const char *insecure;
	/* this client's registry speaks plain HTTP: no HTTPS tried (ig
	 * login --plain-http) */
	bool plain_http;
	/* the certificates of this client's registry and of its token realm
	 * are not checked; HTTPS all the same (ig login --tls-verify=false) */
	bool no_tls_verify;
	/* the flag a failed TLS handshake's hint names, the one of the
	 * caller's command that lets the registry speak plain HTTP (a
	 * static string; NULL: "--insecure-registries") */
	const char *plain_http_flag;
	/* per-registry TLS files in DIR/<host:port>/ (CAs *.crt, a client
	 * certificate NAME.cert with NAME.key); NULL: the first of
	 * /etc/containers/certs.d, /etc/docker/certs.d that has the host */
	const char *certs_dir;
	/* connect timeout, and abort when no byte moves for this long
	 * (10 s by default; a request that timed out is tried once more);
	 * a whole request ends within 6 times this, plus 1 s per 16 KiB */
	long timeout_s;
	/* attempts after the first on 429, 5xx and dropped connections */
	int retries;
	/* push blobs larger than this in PATCH chunks of this size */
	int64_t chunk_size;
	/* ig's disallow-pulling: a pull fails before it starts */
	bool no_pull;
	/* called as bytes move; what is a short digest */
	void (*progress)(void *ctx, const char *what, int64_t done,
			 int64_t total);
	void *progress_ctx;
};

/* The defaults; the library reads no environment variable of its own. */
void oci_registry_opts_init(struct oci_registry_opts *o);

struct oci_registry;

/* Where the API of the registry references name host is: host, but
 * registry-1.docker.io for docker.io (Docker Hub). */
const char *oci_registry_api_host(const char *host);

/* A client for host ("ghcr.io", "localhost:5000"); opts is copied. */
int oci_registry_new(const char *host, const struct oci_registry_opts *opts,
		     struct oci_registry **out, struct error **err);
void oci_registry_free(struct oci_registry *reg);

/*
 * GET url, http:// or https:// (redirects followed, to https:// only from
 * an https:// one), with opts's timeouts and retries, into *body
 * (NUL-ended, *len bytes; free it): a file served by URL, not a
 * registry's.  An answer over max bytes, or of a status other than 200
 * ("unexpected status code: 404", as ig's), is an error.
 */
int oci_http_get(const char *url, const struct oci_registry_opts *opts,
		 size_t max, char **body, size_t *len, struct error **err);

/* Check that the registry answers and accepts our credentials. */
int oci_registry_ping(struct oci_registry *reg, struct error **err);

/*
 * Fetch the manifest or index repo:reference (a tag or a digest), at most
 * OCI_MAX_MANIFEST_SIZE bytes; its digest is checked when reference is a
 * digest or the registry sends Docker-Content-Digest.  A 404 fails with
 * errnum ENOENT.
 */
int oci_registry_get_manifest(struct oci_registry *reg, const char *repo,
			      const char *reference, char **buf, size_t *len,
			      char **media_type, char digest[OCI_DIGEST_SIZE],
			      struct error **err);

/* Stream blob digest (size bytes) into w; redirects are followed. */
int oci_registry_get_blob(struct oci_registry *reg, const char *repo,
			  const char *digest, int64_t size,
			  struct oci_blob_writer *w, struct error **err);

int oci_registry_has_blob(struct oci_registry *reg, const char *repo,
			  const char *digest, bool *exists, struct error **err);

/*
 * Upload size bytes of fd as blob digest (POST + PUT, or PATCH chunks).
 * With from (a repository of the same registry that may hold it), ask
 * the registry to mount it from there (cross-repository blob mount), and
 * upload only when it answers with an upload session instead; *mounted
 * (if not NULL) says whether it mounted it.
 */
int oci_registry_put_blob(struct oci_registry *reg, const char *repo,
			  const char *digest, int64_t size, int fd,
			  const char *from, bool *mounted, struct error **err);

/*
 * Whether the registry answers the OCI 1.1 referrers API
 * (GET /v2/<repo>/referrers/<digest> gives an image index).
 */
int oci_registry_has_referrers_api(struct oci_registry *reg, const char *repo,
				   const char *digest, bool *yes,
				   struct error **err);
/*
 * The referrers of digest (an image index, untrusted, *buf malloc'd) when
 * the registry has the API (*api); *buf NULL otherwise.
 */
int oci_registry_referrers(struct oci_registry *reg, const char *repo,
			   const char *digest, bool *api, char **buf,
			   size_t *len, struct error **err);

int oci_registry_put_manifest(struct oci_registry *reg, const char *repo,
			      const char *reference, const char *media_type,
			      const void *buf, size_t len, struct error **err);

static inline void oci_registry_freep(struct oci_registry **r)
{
	oci_registry_free(*r);
}

#define cleanup_registry __attribute__((cleanup(oci_registry_freep)))

#endif
