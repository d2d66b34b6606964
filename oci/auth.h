/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registry credentials in docker-format files ({"auths": {"host":
 * {"auth": base64("user:password")}}}) and WWW-Authenticate challenges.
 *
 * Lookup order when no file is given: $REGISTRY_AUTH_FILE,
 * OCI_IG_AUTH_FILE (what `ig login` writes; skipped when this user may not
 * read it), $XDG_RUNTIME_DIR/containers/auth.json
 * (/run/containers/<uid>/auth.json without XDG_RUNTIME_DIR),
 * $XDG_CONFIG_HOME/containers/auth.json (~/.config/...),
 * $DOCKER_CONFIG/config.json (~/.docker/config.json).  Credential helpers
 * (credsStore, credHelpers) are not run: oci_auth_helper_note() says when
 * one holds what the lookup did not find.
 */
#ifndef OCI_AUTH_H
#define OCI_AUTH_H

#include "common/error.h"

/* Inspektor Gadget's auth file: the default of `ig login` and `ig run
 * --authfile`. */
#define OCI_IG_AUTH_FILE "/var/lib/ig/config.json"

/*
 * Credentials for registry (entries scoped to a repository prefix win when
 * repository is not NULL).  Returns 0 with *user and *password set, 1 when
 * there are none, -1 on a broken file.
 */
int oci_auth_get(const char *authfile, const char *registry,
		 const char *repository, char **user, char **password,
		 struct error **err);

/*
 * What a token request for registry sends, from one walk of the lookup
 * order: the identity token (an OAuth2 refresh token: "identitytoken",
 * what docker login keeps for registries such as Azure's) of the entry
 * for registry in *token, else oci_auth_get()'s credentials in *user and
 * *password.  0 with either set, 1 when there are none, -1 on a broken
 * file.
 */
int oci_auth_get_token_or_creds(const char *authfile, const char *registry,
				const char *repository, char **token,
				char **user, char **password,
				struct error **err);

/* The file `runner login` writes: authfile, else the first of the lookup
 * order that applies ($REGISTRY_AUTH_FILE, ig's for root, XDG_RUNTIME_DIR's,
 * docker's). */
char *oci_auth_write_path(const char *authfile);

/*
 * When credentials for registry are not found because a credential helper
 * keeps them: one phrase that names it and the file that says so
 * (malloc'd), else NULL.
 */
char *oci_auth_helper_note(const char *authfile, const char *registry,
			   const char *repository);

/* The first file of the lookup order (no --authfile) with an entry for
 * registry (malloc'd), or NULL. */
char *oci_auth_file_with(const char *registry);

/* Store credentials for registry (file mode 0600, other entries kept). */
int oci_auth_set(const char *authfile, const char *registry, const char *user,
		 const char *password, struct error **err);

/* Forget registry; errnum ENOENT when there was nothing to forget. */
int oci_auth_delete(const char *authfile, const char *registry,
		    struct error **err);

/* Forget every registry of the file `runner login` writes (none: 0). */
int oci_auth_delete_all(const char *authfile, struct error **err);

struct oci_challenge {
	char *scheme; /* "Bearer", "Basic" */
	char *realm;
	char *service;
	char *scope;
	char *error; /* "invalid_token", ... */
};

/* Parse a WWW-Authenticate header value (its first challenge). */
int oci_challenge_parse(const char *header, struct oci_challenge *c,
			struct error **err);
void oci_challenge_clear(struct oci_challenge *c);

/* base64 of buf (malloc'd), and back (NULL on invalid input). */
char *oci_base64_encode(const void *buf, size_t len);
char *oci_base64_decode(const char *s, size_t *len);

#endif
