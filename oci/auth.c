// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/lazy_crypto.h"
#include "common/cleanup.h"
#include "common/json.h"
#include "common/fileutil.h"
#include "oci/auth.h"

#define MAX_AUTH_FILE (1 << 20)

char *oci_base64_encode(const void *buf, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, buf, len);
	return out;
}

char *oci_base64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s), pad = 0;
	char *out;
	int r;

	if (n % 4)
		return NULL;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return NULL;
	r = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, n);
	if (r < 0) {
		free(out);
		return NULL;
	}
	if (n && s[n - 1] == '=')
		pad++;
	if (n > 1 && s[n - 2] == '=')
		pad++;
	r -= pad;
	out[r] = '\0';
	if (len)
		*len = r;
	return out;
}

static char *path_join(const char *a, const char *b)
{
	char *p;

	if (!a || !*a)
		return NULL;
	if (asprintf(&p, "%s/%s", a, b) < 0)
		return NULL;
	return p;
}

static char *docker_config_path(void)
{
	const char *d = getenv("DOCKER_CONFIG");

	if (d && *d)
		return path_join(d, "config.json");
	return path_join(getenv("HOME"), ".docker/config.json");
}

#define MAX_PATHS 6

/* The files to read credentials from, in order; NULL-terminated. */
static void lookup_paths(const char *authfile, char *paths[MAX_PATHS])
{
	const char *env = getenv("REGISTRY_AUTH_FILE");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *cfg = getenv("XDG_CONFIG_HOME");
	int n = 0;

	memset(paths, 0, MAX_PATHS * sizeof(*paths));
	if (authfile && *authfile) {
		paths[0] = strdup(authfile);
		return;
	}
	if (env && *env)
		paths[n++] = strdup(env);
	paths[n++] = strdup(OCI_IG_AUTH_FILE);
	if (xdg && *xdg) {
		paths[n++] = path_join(xdg, "containers/auth.json");
	} else {
		char p[64];

		snprintf(p, sizeof(p), "/run/containers/%u/auth.json",
			 (unsigned)getuid());
		paths[n++] = strdup(p);
	}
	if (cfg && *cfg)
		paths[n++] = path_join(cfg, "containers/auth.json");
	else
		paths[n++] = path_join(getenv("HOME"),
				       ".config/containers/auth.json");
	paths[n++] = docker_config_path();
}

char *oci_auth_write_path(const char *authfile)
{
	const char *env = getenv("REGISTRY_AUTH_FILE");
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (authfile && *authfile)
		return strdup(authfile);
	if (env && *env)
		return strdup(env);
	/* ig's: ig runs as root, and reads it first */
	if (geteuid() == 0)
		return strdup(OCI_IG_AUTH_FILE);
	if (xdg && *xdg)
		return path_join(xdg, "containers/auth.json");
	return docker_config_path();
}

/* A key of "auths" reduced to host[/path]: no scheme, no /v1/ or /v2/. */
static char *normalize_key(const char *key)
{
	const char *p = key;
	size_t n;
	char *out;

	if (!strncasecmp(p, "https://", 8))
		p += 8;
	else if (!strncasecmp(p, "http://", 7))
		p += 7;
	out = strdup(p);
	if (!out)
		return NULL;
	n = strlen(out);
	while (n && out[n - 1] == '/')
		out[--n] = '\0';
	if (n >= 3 &&
	    (!strcmp(out + n - 3, "/v1") || !strcmp(out + n - 3, "/v2")))
		out[n - 3] = '\0';
	if (!strcmp(out, "index.docker.io") ||
	    !strcmp(out, "registry-1.docker.io")) {
		free(out);
		out = strdup("docker.io");
	}
	return out;
}

static bool key_matches(const char *key, const char *registry,
			const char *repository, size_t *score)
{
	cleanup_free char *k = normalize_key(key);
	/* index.docker.io/x names Docker Hub as docker.io/x does */
	cleanup_free char *reg = normalize_key(registry);
	cleanup_free char *full = NULL;
	size_t klen;

	if (!k || !reg)
		return false;
	registry = reg;
	if (!strcmp(k, registry)) {
		*score = 0;
		return true;
	}
	if (!repository || asprintf(&full, "%s/%s", registry, repository) < 0) {
		full = NULL;
		return false;
	}
	klen = strlen(k);
	if (!strncmp(full, k, klen) && (full[klen] == '/' || !full[klen])) {
		*score = klen;
		return true;
	}
	return false;
}

static json_t *load_auth_file(const char *path, struct error **err)
{
	cleanup_free char *buf = NULL;
	json_error_t jerr;
	size_t len;
	json_t *j;

	if (read_file(path, &buf, &len, err) < 0)
		return NULL;
	if (len > MAX_AUTH_FILE) {
		error_set(err, 0, "%s: too large", path);
		return NULL;
	}
	j = json_loadb(buf, len, 0, &jerr);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		error_set(err, 0, "%s: invalid JSON at line %d", path,
			  jerr.line);
		return NULL;
	}
	return j;
}

/* Credentials from one "auths" entry: "auth", or "username"/"password". */
static int entry_creds(const char *path, const char *key, json_t *e,
		       char **user, char **password, struct error **err)
{
	const char *auth = json_string_value(json_object_get(e, "auth"));
	const char *u = json_string_value(json_object_get(e, "username"));
	const char *p = json_string_value(json_object_get(e, "password"));

	if (auth && *auth) {
		cleanup_free char *dec = oci_base64_decode(auth, NULL);
		char *colon = dec ? strchr(dec, ':') : NULL;

		if (!colon)
			return error_set(err, 0,
					 "%s: entry \"%s\": \"auth\" is not "
					 "base64 of user:password",
					 path, key);
		*colon = '\0';
		*user = strdup(dec);
		*password = strdup(colon + 1);
	} else if (u && p) {
		*user = strdup(u);
		*password = strdup(p);
	} else {
		return 1;
	}
	if (!*user || !*password) {
		free(*user);
		free(*password);
		*user = *password = NULL;
		return error_set(err, ENOMEM, "alloc");
	}
	return 0;
}

/* The "auths" entry of j for registry (and repository), or NULL. */
static json_t *best_entry(json_t *j, const char *registry,
			  const char *repository, const char **best_key)
{
	json_t *auths = json_object_get(j, "auths"), *e, *best = NULL;
	size_t score, best_score = 0;
	const char *key;

	json_object_foreach (auths, key, e) {
		if (key_matches(key, registry, repository, &score) &&
		    (!best || score > best_score)) {
			best = e;
			*best_key = key;
			best_score = score;
		}
	}
	return best;
}

/*
 * Whether to skip paths[i] of the lookup order: missing, or ig's default
 * that this user may not read (it is root's: ig runs as root).
 */
static bool skip_file(const char *path)
{
	if (access(path, F_OK) < 0)
		return true;
	return !strcmp(path, OCI_IG_AUTH_FILE) && access(path, R_OK) < 0;
}

static void free_paths(char *paths[MAX_PATHS])
{
	for (int i = 0; i < MAX_PATHS; i++)
		free(paths[i]);
}

/* What to take from an "auths" entry: 0 taken, 1 nothing, -1 error. */
typedef int (*take_fn)(const char *path, const char *key, json_t *e, void *out,
		       struct error **err);

/* The first entry of the lookup order for registry that take takes. */
static int walk(const char *authfile, const char *registry,
		const char *repository, take_fn take, void *out,
		struct error **err)
{
	char *paths[MAX_PATHS];
	int i, ret = 1;

	lookup_paths(authfile, paths);
	for (i = 0; i < MAX_PATHS && paths[i] && ret == 1; i++) {
		cleanup_json json_t *j = NULL;
		const char *key = NULL;
		json_t *e;

		if (skip_file(paths[i]))
			continue;
		j = load_auth_file(paths[i], err);
		if (!j) {
			ret = -1;
			break;
		}
		e = best_entry(j, registry, repository, &key);
		if (e)
			ret = take(paths[i], key, e, out, err);
	}
	free_paths(paths);
	return ret;
}

struct creds {
	char **user, **password;
};

static int take_creds(const char *path, const char *key, json_t *e, void *out,
		      struct error **err)
{
	struct creds *c = out;

	return entry_creds(path, key, e, c->user, c->password, err);
}

int oci_auth_get(const char *authfile, const char *registry,
		 const char *repository, char **user, char **password,
		 struct error **err)
{
	struct creds c = { user, password };

	*user = *password = NULL;
	return walk(authfile, registry, repository, take_creds, &c, err);
}

struct token_or_creds {
	char **token;
	struct creds creds;
	bool no_token; /* an entry with credentials came first */
};

/*
 * The identity token of the first entry that has one, unless an entry
 * with "auth" or "username" (what oci_auth_get() takes, if it has any)
 * comes before it; else the credentials oci_auth_get() takes.
 */
static int take_token_or_creds(const char *path, const char *key, json_t *e,
			       void *out, struct error **err)
{
	struct token_or_creds *tc = out;
	const char *t = json_string_value(json_object_get(e, "identitytoken"));

	if (!tc->no_token && t && *t) {
		*tc->token = strdup(t);
		return *tc->token ? 0 : error_set(err, ENOMEM, "alloc");
	}
	tc->no_token = tc->no_token || json_object_get(e, "auth") ||
		       json_object_get(e, "username");
	return take_creds(path, key, e, &tc->creds, err);
}

int oci_auth_get_token_or_creds(const char *authfile, const char *registry,
				const char *repository, char **token,
				char **user, char **password,
				struct error **err)
{
	struct token_or_creds tc = { token, { user, password }, false };

	*token = *user = *password = NULL;
	return walk(authfile, registry, repository, take_token_or_creds, &tc,
		    err);
}

/* The helper of j's credHelpers or credsStore for registry, or NULL. */
static const char *helper_of(json_t *j, const char *registry,
			     const char *repository, const char **field)
{
	json_t *helpers = json_object_get(j, "credHelpers"), *v;
	const char *store = json_string_value(json_object_get(j, "credsStore"));
	const char *key = NULL;

	json_object_foreach (helpers, key, v) {
		cleanup_free char *k = normalize_key(key);

		if (k && !strcmp(k, registry) && json_string_value(v) &&
		    *json_string_value(v)) {
			*field = "credHelpers";
			return json_string_value(v);
		}
	}
	/* docker login leaves an empty "auths" entry beside the store */
	if (store && *store && best_entry(j, registry, repository, &key)) {
		*field = "credsStore";
		return store;
	}
	return NULL;
}

char *oci_auth_helper_note(const char *authfile, const char *registry,
			   const char *repository)
{
	char *paths[MAX_PATHS], *note = NULL;
	int i;

	lookup_paths(authfile, paths);
	for (i = 0; i < MAX_PATHS && paths[i] && !note; i++) {
		cleanup_json json_t *j = NULL;
		const char *helper, *field;

		if (skip_file(paths[i]) ||
		    !(j = load_auth_file(paths[i], NULL)))
			continue;
		helper = helper_of(j, registry, repository, &field);
		if (helper && asprintf(&note,
				       "the credentials for %s are kept by "
				       "docker-credential-%s (%s in %s), "
				       "which runner does not run",
				       registry, helper, field, paths[i]) < 0)
			note = NULL;
	}
	free_paths(paths);
	return note;
}

char *oci_auth_file_with(const char *registry)
{
	char *paths[MAX_PATHS], *found = NULL;
	int i;

	lookup_paths(NULL, paths);
	for (i = 0; i < MAX_PATHS && paths[i] && !found; i++) {
		cleanup_json json_t *j = NULL;
		const char *key = NULL;

		if (skip_file(paths[i]) ||
		    !(j = load_auth_file(paths[i], NULL)))
			continue;
		if (best_entry(j, registry, NULL, &key))
			found = steal_ptr(paths[i]);
	}
	free_paths(paths);
	return found;
}

/*
 * Take the lock of the auth file path: an flock on PATH.lock beside it
 * (beside what a symlink names), as the store's index.json.lock, held
 * from the read to the rename so that two logins (or a login and a
 * logout) at once both keep their entry.  Creates path's folder.
 */
static int lock_auth_file(const char *path, struct error **err)
{
	cleanup_free char *real = realpath(path, NULL);
	cleanup_free char *dir = strdup(real ? real : path);
	cleanup_free char *lock = NULL;
	char *slash;

	if (!dir || asprintf(&lock, "%s.lock", real ? real : path) < 0) {
		lock = NULL;
		return error_set(err, ENOMEM, "alloc");
	}
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir_p(dir, 0700, err) < 0)
			return -1;
	}
	return file_lock(lock, 0600, err);
}

/*
 * Read path (or start empty), drop the "auths" entries of registry (every
 * entry when registry is NULL), add auth's for it if not NULL, write it
 * 0600; all under the file's lock.
 */
static int rewrite(const char *path, const char *registry, const char *auth,
		   struct error **err)
{
	cleanup_json json_t *j = NULL;
	cleanup_free char *buf = NULL;
	cleanup_free char *reg = registry ? normalize_key(registry) : NULL;
	cleanup_close int lock = -1;
	json_t *auths, *e;
	const char *key;
	void *tmp;
	bool found = false;

	if (registry && !reg)
		return error_set(err, ENOMEM, "alloc");
	lock = lock_auth_file(path, err);
	if (lock < 0)
		return -1;
	if (access(path, F_OK) == 0) {
		j = load_auth_file(path, err);
		if (!j)
			return -1;
	} else {
		j = json_object();
	}
	auths = json_object_get(j, "auths");
	if (!json_is_object(auths)) {
		auths = json_object();
		json_object_set_new(j, "auths", auths);
	}
	json_object_foreach_safe(auths, tmp, key, e)
	{
		cleanup_free char *k = normalize_key(key);

		if (!reg || (k && !strcmp(k, reg))) {
			json_object_del(auths, key);
			found = true;
		}
	}
	/* Docker Hub under docker's key, which ig and podman read too */
	if (auth && reg)
		json_object_set_new(auths,
				    strcmp(reg, "docker.io") ?
					    registry :
					    "https://index.docker.io/v1/",
				    json_pack("{s:s}", "auth", auth));
	else if (!found && reg) {
		error_set(err, 0, "not logged in to %s (in %s)", registry,
			  path);
		if (err && *err)
			(*err)->errnum = ENOENT;
		return -1;
	}
	buf = json_dumps(j, JSON_INDENT(1));
	if (!buf)
		return error_set(err, ENOMEM, "alloc");
	return write_file_atomic(path, buf, strlen(buf), 0600, err);
}

int oci_auth_set(const char *authfile, const char *registry, const char *user,
		 const char *password, struct error **err)
{
	cleanup_free char *path = oci_auth_write_path(authfile);
	cleanup_free char *pair = NULL;
	cleanup_free char *auth = NULL;
	int ret;

	if (!path)
		return error_set(err, 0,
				 "no credentials file: set HOME or "
				 "REGISTRY_AUTH_FILE");
	if (strchr(user, ':'))
		return error_set(err, 0, "user name must not contain ':'");
	if (asprintf(&pair, "%s:%s", user, password) < 0) {
		pair = NULL;
		return error_set(err, ENOMEM, "alloc");
	}
	auth = oci_base64_encode(pair, strlen(pair));
	explicit_bzero(pair, strlen(pair));
	if (!auth)
		return error_set(err, ENOMEM, "alloc");
	ret = rewrite(path, registry, auth, err);
	explicit_bzero(auth, strlen(auth));
	return ret;
}

int oci_auth_delete(const char *authfile, const char *registry,
		    struct error **err)
{
	cleanup_free char *path = oci_auth_write_path(authfile);

	if (!path)
		return error_set(err, 0,
				 "no credentials file: set HOME or "
				 "REGISTRY_AUTH_FILE");
	if (access(path, F_OK) < 0) {
		error_set(err, 0, "not logged in to %s (no %s)", registry,
			  path);
		if (err && *err)
			(*err)->errnum = ENOENT;
		return -1;
	}
	return rewrite(path, registry, NULL, err);
}

int oci_auth_delete_all(const char *authfile, struct error **err)
{
	cleanup_free char *path = oci_auth_write_path(authfile);

	if (!path)
		return error_set(err, 0,
				 "no credentials file: set HOME or "
				 "REGISTRY_AUTH_FILE");
	if (access(path, F_OK) < 0)
		return 0;
	return rewrite(path, NULL, NULL, err);
}

/* ---- WWW-Authenticate ---- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static bool is_token_char(char c)
{
	return c && !strchr(" \t,=\"", c);
}

int oci_challenge_parse(const char *header, struct oci_challenge *c,
			struct error **err)
{
	const char *p = skip_ws(header ? header : "");
	const char *start = p;

	memset(c, 0, sizeof(*c));
	while (is_token_char(*p))
		p++;
	if (p == start)
		return error_set(err, 0, "WWW-Authenticate: no scheme");
	c->scheme = strndup(start, p - start);
	if (!c->scheme)
		goto nomem;
	for (;;) {
		cleanup_free char *key = NULL;
		char *val, *v;
		char **slot = NULL;

		p = skip_ws(p);
		while (*p == ',')
			p = skip_ws(p + 1);
		if (!*p)
			break;
		start = p;
		while (is_token_char(*p))
			p++;
		if (p == start || *skip_ws(p) != '=') {
			/* a second challenge, or token68 credentials: stop */
			break;
		}
		key = strndup(start, p - start);
		if (!key)
			goto nomem;
		p = skip_ws(skip_ws(p) + 1);
		if (*p == '"') {
			val = v = malloc(strlen(p) + 1);
			if (!val)
				goto nomem;
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				*v++ = *p;
			}
			*v = '\0';
			if (*p != '"') {
				free(val);
				oci_challenge_clear(c);
				return error_set(
					err, 0,
					"WWW-Authenticate: unterminated "
					"quoted string");
			}
			p++;
		} else {
			start = p;
			while (is_token_char(*p))
				p++;
			val = strndup(start, p - start);
			if (!val)
				goto nomem;
		}
		if (!strcasecmp(key, "realm"))
			slot = &c->realm;
		else if (!strcasecmp(key, "service"))
			slot = &c->service;
		else if (!strcasecmp(key, "scope"))
			slot = &c->scope;
		else if (!strcasecmp(key, "error"))
			slot = &c->error;
		if (slot) {
			free(*slot);
			*slot = val;
		} else {
			free(val);
		}
	}
	return 0;
nomem:
	oci_challenge_clear(c);
	return error_set(err, ENOMEM, "alloc");
}

void oci_challenge_clear(struct oci_challenge *c)
{
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}
