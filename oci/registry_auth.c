// SPDX-License-Identifier: Apache-2.0
/*
 * Registry authentication: the answer to a 401 challenge (a Bearer token
 * fetched from the realm it names, cached per scope, or Basic credentials
 * from the auth file), and the messages for 401 and 403.  Secrets are
 * wiped after use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "common/lazy_curl.h"
#include "common/cleanup.h"
#include "common/json.h"
#include "oci/auth.h"
#include "oci/digest.h"
#include "oci/registry.h"
#include "oci/registry_internal.h"

/* Largest token answer read. */
#define MAX_TOKEN_BODY (1 << 20)

const char *registry_token_for(struct oci_registry *reg, const char *scope)
{
	size_t i;

	for (i = 0; i < reg->n_tokens; i++)
		if (!strcmp(reg->tokens[i].scope, scope ? scope : ""))
			return reg->tokens[i].value;
	return NULL;
}

int registry_token_put(struct oci_registry *reg, const char *scope,
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

char *registry_basic_header(const char *user, const char *password)
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

void registry_free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Whether a and b (either may be NULL) are the same string. */
static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

int registry_basic_for(struct oci_registry *reg, const char *repo,
		       const char **header, struct error **err)
{
	cleanup_free char *user = NULL;
	char *password = NULL;
	int rc;

	*header = NULL;
	if (reg->basic_read && same_str(reg->basic_repo, repo)) {
		*header = reg->basic_auth;
		return 0;
	}
	rc = oci_auth_get(reg->opts.authfile, reg->host, repo, &user, &password,
			  err);
	if (rc < 0)
		return -1;
	registry_free_secret(reg->basic_auth);
	free(reg->basic_repo);
	reg->basic_auth = user ? registry_basic_header(user, password) : NULL;
	registry_free_secret(password);
	reg->basic_repo = repo ? strdup(repo) : NULL;
	reg->basic_read = !repo || reg->basic_repo;
	*header = reg->basic_auth;
	return 0;
}

/*
 * Another name of host's loopback registry (localhost:P, 127.0.0.1:P,
 * [::1]:P) that the auth files hold credentials for (malloc'd), or NULL:
 * credentials go by the name a reference gives, and one login for
 * localhost:5000 is none for 127.0.0.1:5000.
 */
static char *loopback_alias(struct oci_registry *reg, const char *repo)
{
	static const char *const names[] = { "localhost", "127.0.0.1",
					     "[::1]" };
	const char *port = strrchr(reg->host, ':');
	size_t i;

	if (!port || strchr(port, ']'))
		return NULL; /* no port ("[::1]" is none) */
	for (i = 0; i < 3; i++) {
		cleanup_free char *alias = NULL;
		char *user = NULL, *pw = NULL;
		int rc;

		if (strlen(names[i]) == (size_t)(port - reg->host) &&
		    !strncmp(reg->host, names[i], port - reg->host))
			continue;
		if (asprintf(&alias, "%s%s", names[i], port) < 0)
			return NULL;
		rc = oci_auth_get(reg->opts.authfile, alias, repo, &user, &pw,
				  NULL);
		free(user);
		registry_free_secret(pw);
		if (rc == 0)
			return steal_ptr(alias);
	}
	return NULL;
}

/* Why a request went without credentials (malloc'd). */
static char *no_credentials(struct oci_registry *reg, const char *repo)
{
	char *note = oci_auth_helper_note(reg->opts.authfile, reg->host, repo);
	char *why;

	if (!note) {
		cleanup_free char *alias = loopback_alias(reg, repo);

		if (alias && asprintf(&why,
				      "no credentials for %s, only for %s: "
				      "see runner login %s",
				      reg->host, alias, reg->host) >= 0)
			return why;
		return strdup("no credentials for this registry; see runner "
			      "login");
	}
	if (asprintf(&why,
		     "%s: runner login %s stores them where runner "
		     "reads them",
		     note, reg->host) < 0)
		why = NULL;
	free(note);
	return why;
}

/*
 * The form of an OAuth2 refresh-token grant (docker's identity token) for
 * params ("service=...&scope=..."), malloc'd; NULL without memory.
 */
static char *refresh_form(struct oci_registry *reg, const char *token,
			  const char *params)
{
	char *esc = curl_easy_escape(reg->curl, token, 0);
	char *form;

	if (!esc)
		return NULL;
	if (asprintf(&form,
		     "grant_type=refresh_token&client_id=runner&"
		     "refresh_token=%s%s%s",
		     esc, *params ? "&" : "", params) < 0)
		form = NULL;
	explicit_bzero(esc, strlen(esc));
	curl_free(esc);
	return form;
}

/*
 * "scope=A&scope=B" for the scopes in scope (separated by spaces), each
 * escaped: one parameter per scope, as docker asks for several; NULL
 * without memory.
 */
static char *scope_params(struct oci_registry *reg, const char *scope)
{
	char *out = strdup(""), *next;
	const char *p = scope;

	while (out && *p) {
		size_t n = strcspn(p, " ");
		char *esc = n ? curl_easy_escape(reg->curl, p, (int)n) : NULL;

		if (n && (!esc || asprintf(&next, "%s%sscope=%s", out,
					   *out ? "&" : "", esc) < 0))
			next = NULL;
		curl_free(esc);
		if (n) {
			free(out);
			out = next;
		}
		p += n + (p[n] == ' ');
	}
	return out;
}

/* Whether s may be an HTTP header's value: no control character but the
 * tab (RFC 9110's field-value, as Go's httpguts checks it). */
static bool header_value_valid(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

/*
 * Get a token for scope from the realm of the last bearer challenge: a
 * POST of the identity token when the auth file holds one for the
 * registry (as ig and podman do), else a GET with the user's credentials
 * (or none).
 */
static int registry_fetch_token(struct oci_registry *reg, const char *repo,
				const char *scope, struct error **err)
{
	cleanup_free char *url = NULL;
	cleanup_free char *user = NULL;
	cleanup_free char *params = NULL;
	char *password = NULL, *identity = NULL, *form = NULL;
	char *basic = NULL;
	char *esc_service = NULL, *esc_scope = NULL;
	cleanup_json json_t *j = NULL;
	struct resp r = { 0 };
	struct req q = { 0 };
	const char *tok;
	int rc, ret = -1;

	rc = oci_auth_get_token_or_creds(reg->opts.authfile, reg->host, repo,
					 &identity, &user, &password, err);
	if (rc < 0)
		return -1;
	if (user) {
		basic = registry_basic_header(user, password);
		if (!basic) {
			registry_free_secret(password);
			return error_set(err, ENOMEM, "alloc");
		}
	}
	registry_free_secret(password);
	reg->used_credentials = basic || identity;
	esc_service = reg->service ?
			      curl_easy_escape(reg->curl, reg->service, 0) :
			      NULL;
	esc_scope = scope ? scope_params(reg, scope) : NULL;
	if ((scope && !esc_scope) ||
	    asprintf(&params, "%s%s%s%s", esc_service ? "service=" : "",
		     esc_service ? esc_service : "",
		     esc_service && esc_scope && *esc_scope ? "&" : "",
		     esc_scope ? esc_scope : "") < 0)
		params = NULL;
	if (params && identity)
		form = refresh_form(reg, identity, params);
	if (!params || (identity && !form) ||
	    asprintf(&url, "%s%s%s", reg->realm,
		     form		     ? "" :
		     strchr(reg->realm, '?') ? "&" :
					       "?",
		     form ? "" : params) < 0) {
		url = NULL;
		error_set(err, ENOMEM, "alloc");
		goto out;
	}
	q.method = form ? "POST" : "GET";
	q.url = url;
	if (form) {
		q.content_type = "application/x-www-form-urlencoded";
		q.body = form;
		q.body_len = strlen(form);
	}
	q.fd = -1;
	q.max_body = MAX_TOKEN_BODY;
	q.no_auth = true;
	q.basic_header = basic;
	/* the realm a registry names is trusted as much as it */
	q.trust = registry_trust_of(reg, reg->host);
	if (registry_http_do(reg, &q, &r, err) < 0) {
		error_prefix(err, "get token from %s", reg->realm);
		goto out;
	}
	/* an OAuth2 server refuses a grant with 400 (invalid_grant) */
	if ((r.status == 401 || r.status == 403 ||
	     (identity && r.status == 400)) &&
	    reg->used_credentials) {
		error_set(err, 0, "get token from %s: %ld %s: %s rejected",
			  reg->realm, r.status, registry_reason(r.status),
			  identity ? "identity token" : "credentials");
		goto out;
	}
	if (r.status == 401 || r.status == 403) {
		cleanup_free char *why = no_credentials(reg, repo);

		error_set(err, 0,
			  "get token from %s: %ld %s: anonymous access "
			  "denied (%s)",
			  reg->realm, r.status, registry_reason(r.status),
			  why ? why : "alloc");
		goto out;
	}
	if (r.status != 200) {
		registry_status_error(err, &r, "get token from", reg->realm);
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
	/* it goes into an Authorization header: as Go's net/http (ig's)
	 * refuses a header value with a control character other than a tab
	 * (httpguts.ValidHeaderFieldValue), a CR or LF in it would end the
	 * header and start another of the token server's choosing */
	if (!header_value_valid(tok)) {
		error_set(err, 0,
			  "get token from %s: invalid header field value for "
			  "Authorization: the token holds a control character",
			  reg->realm);
		goto out;
	}
	if (registry_token_put(reg, scope, tok) < 0) {
		error_set(err, ENOMEM, "alloc");
		goto out;
	}
	ret = 0;
out:
	if (r.body.data)
		explicit_bzero(r.body.data, r.body.len);
	registry_resp_clear(&r);
	registry_free_secret(basic);
	registry_free_secret(identity);
	registry_free_secret(form);
	curl_free(esc_service);
	free(esc_scope);
	return ret;
}

/*
 * A 401 to q: take up its challenge (a Bearer token from the realm, or
 * Basic credentials from the auth file).  1: try again; 0: the 401 stands
 * (no usable challenge, no credentials); -1: failed, *err says why.
 */
int registry_answer_challenge(struct oci_registry *reg, const struct req *q,
			      const struct resp *r, struct error **err)
{
	struct oci_challenge ch;
	int rc;

	if (!r->www_auth || oci_challenge_parse(r->www_auth, &ch, NULL) < 0)
		return 0;
	if (!strcasecmp(ch.scheme, "bearer") && ch.realm) {
		free(reg->realm);
		free(reg->service);
		reg->realm = steal_ptr(ch.realm);
		reg->service = steal_ptr(ch.service);
		rc = registry_fetch_token(reg, q->repo,
					  q->scope ? q->scope : ch.scope, err);
		if (rc == 0 && !q->scope && ch.scope)
			rc = registry_token_put(
				reg, NULL, registry_token_for(reg, ch.scope));
		oci_challenge_clear(&ch);
		return rc < 0 ? -1 : 1;
	}
	if (!strcasecmp(ch.scheme, "basic")) {
		const char *header;

		rc = registry_basic_for(reg, q->repo, &header, err);
		oci_challenge_clear(&ch);
		if (rc < 0)
			return -1;
		if (!header) {
			reg->used_credentials = false;
			return 0; /* no credentials: a 401 */
		}
		reg->basic = true;
		reg->used_credentials = true;
		return 1;
	}
	oci_challenge_clear(&ch);
	return 0;
}

/*
 * A 401 whose challenge says why a token was not enough: one line in *err
 * and true; false for any other.
 */
static bool token_refused(struct oci_registry *reg, const struct resp *r,
			  const char *a, const char *b, struct error **err)
{
	struct oci_challenge ch;
	bool told = true;

	if (!r->www_auth || oci_challenge_parse(r->www_auth, &ch, NULL) < 0)
		return false;
	if (ch.error && !strcmp(ch.error, "invalid_token"))
		/* the realm and the registry disagree (keys, issuer, ...) */
		error_set(err, 0,
			  "%s %s: 401 Unauthorized: the registry refused the "
			  "token from %s (invalid_token)",
			  a, b, reg->realm ? reg->realm : "its realm");
	else if (ch.error && !strcmp(ch.error, "insufficient_scope") &&
		 reg->used_credentials)
		/* the credentials were taken, their rights fall short */
		error_set(err, 0,
			  "%s %s: 401 Unauthorized: access denied: the "
			  "registry's token for these credentials does not "
			  "grant %s (insufficient_scope)",
			  a, b, ch.scope ? ch.scope : "it");
	else
		told = false;
	oci_challenge_clear(&ch);
	return told;
}

/* One line for a 401 or 403 on host. */
int registry_auth_error(struct oci_registry *reg, const struct resp *r,
			const char *a, const char *b, struct error **err)
{
	if (r->status == 401 && r->elsewhere)
		return error_set(err, 0,
				 "%s %s: 401 Unauthorized, from where the "
				 "registry sent us",
				 a, b);
	if (r->status == 401 && token_refused(reg, r, a, b, err))
		return -1;
	if (r->status == 401 && reg->used_credentials)
		return error_set(
			err, 0, "%s %s: 401 Unauthorized: credentials rejected",
			a, b);
	if (r->status == 401) {
		cleanup_free char *why = no_credentials(reg, NULL);

		return error_set(err, 0,
				 "%s %s: 401 Unauthorized: authentication "
				 "required (%s)",
				 a, b, why ? why : "alloc");
	}
	/* not a missing client certificate's (registry_status_error()) */
	if (r->status == 403 && !(r->cert_asked && !r->cert_given))
		return error_set(err, 0, "%s %s: 403 Forbidden: access denied",
				 a, b);
	return registry_status_error(err, r, a, b);
}

char *registry_scope_of(const char *repo, const char *actions)
{
	char *s;

	if (asprintf(&s, "repository:%s:%s", repo, actions) < 0)
		return NULL;
	return s;
}
