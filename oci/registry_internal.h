/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the registry client: the HTTP layer (registry_http.c) that the
 * distribution API calls (registry.c) go through.
 */
#ifndef OCI_REGISTRY_INTERNAL_H
#define OCI_REGISTRY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/lazy_curl.h"
#include "common/error.h"
#include "oci/registry.h"
#include "oci/store.h"

/* Largest error or small JSON answer kept in memory. */
#define MAX_ERROR_BODY (64 * 1024)

struct token {
	char *scope;
	char *value;
};

struct oci_registry {
	char *host; /* as references name it: credentials, messages */
	const char *api_host; /* where its API is (requests) */
	char *authfile;
	char *insecure_list;
	char *certs_dir;
	struct oci_registry_opts opts;
	const char *scheme; /* "https", or "http" once found plain */
	bool scheme_known;
	CURL *curl;
	bool basic; /* the registry asked for basic auth */
	/* the auth file read once: the Basic header (NULL: no credentials)
	 * for repository basic_repo */
	bool basic_read;
	char *basic_repo, *basic_auth;
	bool used_credentials; /* the last auth used the user's */
	char *realm, *service; /* from its bearer challenge */
	struct token *tokens;
	size_t n_tokens;
	char errbuf[CURL_ERROR_SIZE];
};

/* What a request may do besides HTTPS to a certificate that checks. */
struct registry_trust {
	bool plain_http; /* http:// (and redirects to it) */
	bool unverified; /* TLS certificates not checked */
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
	int64_t sink_len; /* sink: the bytes the descriptor says (0 too) */
	size_t max_body;
	const char *repo; /* for credentials */
	const char *scope; /* token scope, NULL for none */
	const char *what; /* progress label, NULL for none */
	bool no_auth; /* token requests carry their own */
	/* allowed whatever the host (a token request: its registry's) */
	struct registry_trust trust;
	const char *basic_header; /* token requests: "Basic ..." */
};

struct resp {
	long status;
	char *content_type, *location, *www_auth, *docker_digest;
	long retry_after;
	bool elsewhere; /* from another origin (a redirect, a Location) */
	struct membuf body;
	/* transfer state */
	struct oci_registry *reg;
	const struct req *req;
	int64_t upload_pos;
	struct error *sink_err;
	int64_t sunk; /* bytes given to the sink */
	bool len_checked; /* the 2xx Content-Length was looked at */
	char len_err[160]; /* a 2xx answer of the wrong length, told early */
	bool cert_asked; /* the TLS server asked for a client certificate */
	bool cert_given; /* and the certs.d folder has one for the host */
	char *certs_host_dir; /* the certs.d folder for the host (or NULL) */
};

/* registry_http.c */
/* Free what a response holds and make it ready for the next. */
void registry_resp_clear(struct resp *r);
/*
 * Run q with retries and auth.  Returns 0 when a response arrived (any
 * status: callers judge it), -1 when none did or auth could not be done.
 */
int registry_http_do(struct oci_registry *reg, const struct req *q,
		     struct resp *r, struct error **err);
/* "<a> <b>: <status> <reason>[: <registry's message>]" in *err; -1. */
int registry_status_error(struct error **err, const struct resp *r,
			  const char *a, const char *b);
/* "Not Found" for 404, ... ("" for a status it has no name for). */
const char *registry_reason(long status);
/* Is host in the comma-separated list? */
bool registry_in_list(const char *list, const char *host);
/*
 * What requests to host may do: both for a host of opts.insecure, what
 * opts.plain_http and opts.no_tls_verify say for the registry itself,
 * neither for any other host.
 */
struct registry_trust registry_trust_of(const struct oci_registry *reg,
					const char *host);
/* Retry-After's seconds (RFC 9110: digits only), or -1: none, or an
 * HTTP-date (not a number of seconds). */
long registry_retry_after(const char *v);

/* registry_auth.c */
/* The cached token for scope (NULL: the registry-wide one), or NULL. */
const char *registry_token_for(struct oci_registry *reg, const char *scope);
/* Cache tok for scope; -1 without memory. */
int registry_token_put(struct oci_registry *reg, const char *scope,
		       const char *tok);
/* "Authorization: Basic ..." for user and password (malloc'd). */
char *registry_basic_header(const char *user, const char *password);
/*
 * The "Authorization: Basic ..." header for repo's credentials in *header
 * (NULL: none; owned by reg), the auth file read once per registry and
 * repository, not per request.  -1 on a broken auth file.
 */
int registry_basic_for(struct oci_registry *reg, const char *repo,
		       const char **header, struct error **err);
/* Wipe and free a secret (NULL is fine). */
void registry_free_secret(char *s);
/*
 * A 401 to q: take up its challenge.  1: try again; 0: the 401 stands;
 * -1: failed, *err says why.
 */
int registry_answer_challenge(struct oci_registry *reg, const struct req *q,
			      const struct resp *r, struct error **err);
/* One line for a 401 or 403 (else registry_status_error()); -1. */
int registry_auth_error(struct oci_registry *reg, const struct resp *r,
			const char *a, const char *b, struct error **err);
/* "repository:<repo>:<actions>" (malloc'd). */
char *registry_scope_of(const char *repo, const char *actions);

#endif
