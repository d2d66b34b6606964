// SPDX-License-Identifier: Apache-2.0
/*
 * Reference grammar (the distribution spec's, as `ig` applies it):
 *   ref        := name [":" tag] ["@" digest]
 *   name       := [registry "/"] component ("/" component)*
 *   registry   := the first component when it contains '.' or ':' or is
 *                 "localhost" and more components follow
 *   component  := [a-z0-9]+ (("." | "_" | "__" | "-"+) [a-z0-9]+)*
 *   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 * Without a registry the default prefix's registry is used, and a single
 * component gets the whole default prefix ("inspektor-gadget/gadget/").
 * On Docker Hub (docker.io, index.docker.io) a single component is an
 * official image: docker.io/busybox is docker.io/library/busybox.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "oci/digest.h"
#include "oci/ref.h"

#define MAX_REF_LEN 4096
#define MAX_REPO_LEN 255
#define MAX_TAG_LEN 128

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* Explain why component c (length n) is invalid; NULL when it is valid. */
static const char *component_problem(const char *c, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return "is empty";
	while (i < n) {
		size_t run = 0;

		while (i < n && is_lower_alnum(c[i])) {
			i++;
			run++;
		}
		if (run == 0) {
			if (c[i] >= 'A' && c[i] <= 'Z')
				return "must be lower case";
			if (i == 0 || i == n - 1 || c[i] == '.' ||
			    c[i] == '_' || c[i] == '-')
				return "must start and end with a letter or digit";
			return "contains an invalid character";
		}
		if (i == n)
			break;
		/* a separator: ".", "_", "__" or one or more "-" */
		if (c[i] == '.') {
			i++;
		} else if (c[i] == '_') {
			i++;
			if (i < n && c[i] == '_')
				i++;
		} else if (c[i] == '-') {
			while (i < n && c[i] == '-')
				i++;
		} else if (c[i] >= 'A' && c[i] <= 'Z') {
			return "must be lower case";
		} else {
			return "contains an invalid character";
		}
		if (i == n)
			return "must start and end with a letter or digit";
	}
	return NULL;
}

static const char *registry_problem(const char *r, size_t n)
{
	const char *colon = NULL;
	size_t i = 0;

	if (n == 0)
		return "is empty";
	if (r[0] == '[') {
		/* [ipv6]:port */
		for (i = 1; i < n && r[i] != ']'; i++)
			if (!(is_alnum(r[i]) || r[i] == ':' || r[i] == '.'))
				return "has an invalid IPv6 address";
		if (i == n || i == 1)
			return "has an invalid IPv6 address";
		i++;
		if (i < n && r[i] != ':')
			return "has garbage after the IPv6 address";
		if (i < n)
			colon = r + i;
	} else {
		for (i = 0; i < n && r[i] != ':'; i++)
			if (!(is_alnum(r[i]) || r[i] == '.' || r[i] == '-'))
				return "has an invalid host name character";
		if (i == 0)
			return "has an empty host name";
		if (r[0] == '-' || r[0] == '.' || r[i - 1] == '-' ||
		    r[i - 1] == '.')
			return "has an invalid host name";
		if (i < n)
			colon = r + i;
	}
	if (colon) {
		const char *p = colon + 1;
		unsigned long port = 0;

		if (p == r + n)
			return "has an empty port";
		for (; p < r + n; p++) {
			if (*p < '0' || *p > '9')
				return "has a non-numeric port";
			port = port * 10 + (*p - '0');
			if (port > 65535)
				return "has a port out of range";
		}
		if (port == 0)
			return "has a port out of range";
	}
	return NULL;
}

static const char *tag_problem(const char *t)
{
	size_t i, n = strlen(t);

	if (n == 0)
		return "is empty";
	if (n > MAX_TAG_LEN)
		return "is longer than 128 characters";
	if (t[0] == '.' || t[0] == '-')
		return "must start with a letter, digit or '_'";
	for (i = 0; i < n; i++)
		if (!(is_alnum(t[i]) || t[i] == '_' || t[i] == '.' ||
		      t[i] == '-'))
			return "contains an invalid character";
	return NULL;
}

static bool looks_like_registry(const char *c, size_t n)
{
	return memchr(c, '.', n) || memchr(c, ':', n) ||
	       (n == 9 && !memcmp(c, "localhost", 9));
}

/* Split a default prefix "registry[/path/]" into its two halves. */
static int split_prefix(const char *prefix, char **registry, char **path,
			struct error **err)
{
	const char *slash = strchr(prefix, '/');
	size_t rlen = slash ? (size_t)(slash - prefix) : strlen(prefix);
	const char *why = registry_problem(prefix, rlen);
	const char *rest = slash ? slash + 1 : "";
	size_t plen = strlen(rest);

	if (why)
		return error_set(err, 0,
				 "invalid default prefix \"%s\": registry %s",
				 prefix, why);
	while (plen && rest[plen - 1] == '/')
		plen--;
	*registry = strndup(prefix, rlen);
	if (plen)
		*path = strndup(rest, plen);
	else
		*path = strdup("");
	if (!*registry || !*path)
		return error_set(err, ENOMEM, "parse reference");
	return 0;
}

static int check_repository(const char *s, const char *repo, struct error **err)
{
	const char *c = repo;

	if (strlen(repo) > MAX_REPO_LEN)
		return error_set(err, 0,
				 "invalid reference \"%s\": repository is "
				 "longer than %d characters",
				 s, MAX_REPO_LEN);
	for (;;) {
		const char *end = strchr(c, '/');
		size_t n = end ? (size_t)(end - c) : strlen(c);
		const char *why = component_problem(c, n);

		if (why)
			return error_set(err, 0,
					 "invalid reference \"%s\": name "
					 "component \"%.*s\" %s",
					 s, (int)n, c, why);
		if (!end)
			return 0;
		c = end + 1;
	}
}

/*
 * Docker Hub's names as docker, containerd and ig (distribution/reference's
 * ParseNormalizedNamed) store them: index.docker.io is docker.io, and a
 * name of one component there is an official image under "library/".
 */
static int docker_hub_name(struct oci_ref *ref)
{
	char *p;

	if (!strcmp(ref->registry, "index.docker.io")) {
		p = strdup("docker.io");
		if (!p)
			return -1;
		free(ref->registry);
		ref->registry = p;
	}
	if (strcmp(ref->registry, "docker.io") || strchr(ref->repository, '/'))
		return 0;
	if (asprintf(&p, "library/%s", ref->repository) < 0)
		return -1;
	free(ref->repository);
	ref->repository = p;
	return 0;
}

int oci_ref_parse(const char *s, const char *default_prefix,
		  struct oci_ref **out, struct error **err)
{
	cleanup_free char *buf = NULL;
	cleanup_free char *def_reg = NULL;
	cleanup_free char *def_path = NULL;
	struct oci_ref *ref = NULL;
	char *name, *at, *colon, *slash;
	const char *why, *scheme;

	if (!s || !*s)
		return error_set(err, 0, "invalid reference: empty");
	if (strlen(s) > MAX_REF_LEN)
		return error_set(err, 0,
				 "invalid reference \"%.64s...\": too long", s);
	/* a URL pasted: say so, not that "https:" has an empty port */
	scheme = strstr(s, "://");
	if (scheme && strcspn(s, ":/@") == (size_t)(scheme - s))
		return error_set(err, 0,
				 "invalid reference \"%s\": a reference has no "
				 "scheme: drop \"%.*s\"",
				 s, (int)(scheme - s + 3), s);
	if (split_prefix(default_prefix ? default_prefix : OCI_DEFAULT_PREFIX,
			 &def_reg, &def_path, err) < 0)
		return -1;
	buf = strdup(s);
	ref = calloc(1, sizeof(*ref));
	if (!buf || !ref)
		goto nomem;
	name = buf;

	at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (oci_digest_check(at + 1, err) < 0) {
			error_prefix(err, "invalid reference \"%s\"", s);
			goto fail;
		}
		ref->digest = strdup(at + 1);
		if (!ref->digest)
			goto nomem;
	}

	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon = '\0';
		why = tag_problem(colon + 1);
		if (why) {
			error_set(err, 0,
				  "invalid reference \"%s\": tag \"%s\" %s", s,
				  colon + 1, why);
			goto fail;
		}
		ref->tag = strdup(colon + 1);
		if (!ref->tag)
			goto nomem;
	} else if (!ref->digest) {
		ref->tag = strdup("latest");
		if (!ref->tag)
			goto nomem;
	}
	if (!*name) {
		error_set(err, 0, "invalid reference \"%s\": name is empty", s);
		goto fail;
	}

	slash = strchr(name, '/');
	if (slash && looks_like_registry(name, slash - name)) {
		why = registry_problem(name, slash - name);
		if (why) {
			error_set(
				err, 0,
				"invalid reference \"%s\": registry \"%.*s\" %s",
				s, (int)(slash - name), name, why);
			goto fail;
		}
		ref->registry = strndup(name, slash - name);
		ref->repository = strdup(slash + 1);
	} else if (slash || !*def_path) {
		ref->registry = strdup(def_reg);
		ref->repository = strdup(name);
	} else {
		ref->registry = strdup(def_reg);
		if (asprintf(&ref->repository, "%s/%s", def_path, name) < 0)
			ref->repository = NULL;
	}
	if (!ref->registry || !ref->repository)
		goto nomem;
	if (docker_hub_name(ref) < 0)
		goto nomem;
	if (check_repository(s, ref->repository, err) < 0)
		goto fail;
	*out = ref;
	return 0;
nomem:
	error_set(err, ENOMEM, "parse reference");
fail:
	oci_ref_free(ref);
	return -1;
}

char *oci_ref_format(const struct oci_ref *ref)
{
	char *s;

	if (asprintf(&s, "%s/%s%s%s%s%s", ref->registry, ref->repository,
		     ref->tag ? ":" : "", ref->tag ? ref->tag : "",
		     ref->digest ? "@" : "",
		     ref->digest ? ref->digest : "") < 0)
		return NULL;
	return s;
}

char *oci_ref_name(const struct oci_ref *ref)
{
	char *s;

	if (asprintf(&s, "%s/%s", ref->registry, ref->repository) < 0)
		return NULL;
	return s;
}

int oci_ref_normalize(const char *s, const char *default_prefix, char **out,
		      struct error **err)
{
	cleanup_ref struct oci_ref *ref = NULL;

	if (oci_ref_parse(s, default_prefix, &ref, err) < 0)
		return -1;
	*out = oci_ref_format(ref);
	if (!*out)
		return error_set(err, ENOMEM, "format reference");
	return 0;
}

void oci_ref_free(struct oci_ref *ref)
{
	if (!ref)
		return;
	free(ref->registry);
	free(ref->repository);
	free(ref->tag);
	free(ref->digest);
	free(ref);
}
