// SPDX-License-Identifier: Apache-2.0
/*
 * `runner login` checks the credentials against the registry (through a
 * private temporary auth file) before writing them to the docker-format
 * file; `runner logout` removes them.  Secrets are wiped after use and never
 * printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/tmpdir.h"
#include "oci/auth.h"
#include "oci/registry.h"
#include "runner/cli/commands.h"

/* As ig login reads from stdin: a token or a JSON key file fits. */
#define MAX_SECRET (100 * 1024)

enum {
	OPT_PASSWORD_STDIN = CLI_OPT_OWN,
	OPT_PLAIN_HTTP,
	OPT_TLS_VERIFY,
};

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* A line from f without its newline (malloc'd), or NULL at EOF. */
static char *read_line(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);

	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/*
 * All of f (at most MAX_SECRET bytes) without its trailing newlines, as ig
 * and docker read --password-stdin: a JSON key is a password of many
 * lines.  NULL past MAX_SECRET (*too_long set) or without memory.
 */
static char *read_secret(FILE *f, bool *too_long)
{
	char *buf = malloc(MAX_SECRET + 2);
	size_t n;

	*too_long = false;
	if (!buf)
		return NULL;
	n = fread(buf, 1, MAX_SECRET + 1, f);
	if (n > MAX_SECRET) {
		explicit_bzero(buf, n);
		free(buf);
		*too_long = true;
		return NULL;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return buf;
}

/* Prompt on the terminal; echo off for secrets. */
static char *prompt(const char *what, bool secret)
{
	struct termios old, quiet;
	bool restore = false;
	char *line;

	fputs(what, stderr);
	fflush(stderr);
	if (secret && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~ECHO;
		restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	line = read_line(stdin);
	if (restore) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return line;
}

/* "https://host:port/" -> "host:port" */
static char *registry_host(const char *arg)
{
	const char *p = arg;
	size_t n;

	if (!strncmp(p, "https://", 8))
		p += 8;
	else if (!strncmp(p, "http://", 7))
		p += 7;
	n = strcspn(p, "/");
	if (n == 0)
		return NULL;
	return strndup(p, n);
}

struct login_state {
	const char *user; /* -u */
	const char *password; /* -p */
	bool from_stdin; /* --password-stdin */
	/* ig login's --plain-http (HTTP only) and --tls-verify=false
	 * (HTTPS, the certificate unchecked), for this login's registry */
	bool plain_http;
	bool no_tls_verify;
};

static int login_option(void *state, int opt, const char *arg,
			struct error **err)
{
	struct login_state *s = state;
	bool on;

	switch (opt) {
	case 'u':
		s->user = arg;
		return EXIT_OK;
	case 'p':
		s->password = arg;
		return EXIT_OK;
	case OPT_PLAIN_HTTP:
	case OPT_TLS_VERIFY:
		/* Go bool flags, as ig's: --plain-http[=BOOL] */
		if (cli_bool_flag("login: ",
				  opt == OPT_PLAIN_HTTP ? "plain-http" :
							  "tls-verify",
				  arg, &on, err))
			return EXIT_USAGE;
		if (opt == OPT_PLAIN_HTTP)
			s->plain_http = on;
		else
			s->no_tls_verify = !on;
		return EXIT_OK;
	default:
		s->from_stdin = true;
		return EXIT_OK;
	}
}

/* The user name and the password, from the flags, stdin or the terminal. */
static int login_credentials(const struct login_state *s, char **user,
			     char **password, struct error **err)
{
	bool too_long = false;

	if (s->password && s->from_stdin)
		return cli_error(err, EXIT_USAGE,
				 "login: --password and --password-stdin "
				 "exclude each other");
	if (!s->from_stdin && !(s->password && s->user) &&
	    !isatty(STDIN_FILENO))
		return cli_error(err, EXIT_USAGE,
				 "login: stdin is not a terminal: use "
				 "--password-stdin");
	if (!s->user && s->from_stdin)
		return cli_error(err, EXIT_USAGE,
				 "login: --password-stdin needs --username");
	if (s->password)
		fputs("warning: a password given with --password shows in the "
		      "process list: use --password-stdin\n",
		      stderr);
	if (s->user) {
		*user = strdup(s->user);
		if (!*user)
			return cli_error(err, EXIT_FAIL, "out of memory");
	} else {
		*user = prompt("Username: ", false);
		if (!*user || !**user)
			return cli_error(err, EXIT_USAGE,
					 "login: no user name");
	}
	if (s->password)
		*password = strdup(s->password);
	else if (s->from_stdin)
		*password = read_secret(stdin, &too_long);
	else
		*password = prompt("Password: ", true);
	if (too_long)
		return cli_error(err, EXIT_USAGE,
				 "login: password too long (more than %d "
				 "bytes)",
				 MAX_SECRET);
	if (!*password || !**password)
		return cli_error(err, EXIT_USAGE, "login: empty password");
	if (strlen(*password) > MAX_SECRET)
		return cli_error(err, EXIT_USAGE, "login: password too long");
	return EXIT_OK;
}

static int login_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	cleanup_registry struct oci_registry *reg = NULL;
	cleanup_free char *host = NULL;
	cleanup_free char *user = NULL;
	const struct login_state *s = state;
	char dir[PATH_MAX - 16], tmp[PATH_MAX];
	struct oci_registry_opts ro = ctx->registry;
	char *password = NULL;
	int rc, dir_fd = -1;

	host = registry_host(ctx->argv[0]);
	if (!host)
		return cli_error(err, EXIT_USAGE,
				 "login: invalid registry '%s'", ctx->argv[0]);
	rc = login_credentials(state, &user, &password, err);
	if (rc)
		goto out;
	ro.plain_http = s->plain_http;
	ro.no_tls_verify = s->no_tls_verify;
	ro.plain_http_flag = "--plain-http"; /* the hint login's users need */

	/* Check the credentials through a private, temporary auth file. */
	/* in a folder of its own (0700): no one else can put a symlink
	 * where the credentials go; a killed login's goes with the next */
	dir_fd = tmpdir_make("runner-login-", dir, sizeof(dir), err);
	if (dir_fd < 0) {
		rc = EXIT_FAIL;
		error_prefix(err, "login");
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s/auth.json", dir);
	rc = EXIT_FAIL;
	if (oci_auth_set(tmp, host, user, password, err) < 0)
		goto out;
	ro.authfile = tmp;
	if (oci_registry_new(host, &ro, &reg, err) < 0 ||
	    oci_registry_ping(reg, err) < 0)
		goto out;
	if (oci_auth_set(ctx->registry.authfile, host, user, password, err) < 0)
		goto out;
	puts("Login Succeeded"); /* ig's line */
	rc = EXIT_OK;
out:
	tmpdir_remove(dir, dir_fd);
	free_secret(password);
	return rc;
}

static const struct option login_options[] = {
	{ "username", required_argument, NULL, 'u' },
	{ "password", required_argument, NULL, 'p' },
	{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
	{ "plain-http", optional_argument, NULL, OPT_PLAIN_HTTP },
	{ "tls-verify", optional_argument, NULL, OPT_TLS_VERIFY },
	{ 0 },
};

const struct cli_command cmd_login = {
	.name = "login",
	.summary = "store credentials for a registry",
	.usage =
		"Usage: runner login REGISTRY [-u USER] [-p PASSWORD | "
		"--password-stdin] [flags]\n"
		"\n"
		"Check credentials against REGISTRY and store them (mode 0600)\n"
		"in the auth file: --authfile, $REGISTRY_AUTH_FILE,\n"
		"/var/lib/ig/config.json for root (ig's, as ig login),\n"
		"$XDG_RUNTIME_DIR/containers/auth.json, or "
		"~/.docker/config.json.\n"
		"Without --password-stdin or -p, asks on the terminal.\n"
		"\n"
		"FLAGS\n"
		"  -u, --username USER    user name\n"
		"  -p, --password PASSWORD\n"
		"                         the password (seen in the process "
		"list:\n"
		"                         prefer --password-stdin)\n"
		"      --password-stdin   read the password from stdin (all of "
		"it,\n"
		"                         trailing newlines cut, as in ig)\n"
		"      --plain-http       reach REGISTRY over plain HTTP, never\n"
		"                         HTTPS (ig's flag)\n"
		"      --tls-verify=false reach REGISTRY over HTTPS without\n"
		"                         checking its certificate, never plain\n"
		"                         HTTP (ig's flag)\n" CLI_REGISTRY_HELP
		"\n"
		"EXAMPLES\n"
		"  runner login ghcr.io -u me\n"
		"  echo \"$TOKEN\" | runner login ghcr.io -u me "
		"--password-stdin\n"
		"  runner login localhost:5000 -u test --password-stdin \\\n"
		"      --authfile ./auth.json --insecure-registries localhost:5000 < pw\n",
	.short_opts = "u:p:",
	.options = login_options,
	.flags = CLI_REGISTRY | CLI_AUTHFILE_NEW,
	.min_args = 1,
	.max_args = 1,
	.want = "want one REGISTRY",
	.state_size = sizeof(struct login_state),
	.option = login_option,
	.run = login_run,
};

struct logout_state {
	bool all; /* -a */
};

static int logout_option(void *state, int opt, const char *arg,
			 struct error **err)
{
	struct logout_state *s = state;

	(void)opt; /* -a */
	(void)arg;
	(void)err;
	s->all = true;
	return EXIT_OK;
}

static int logout_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	struct logout_state *s = state;
	cleanup_free char *host = NULL;

	if (s->all != (ctx->argc == 0))
		return cli_error(err, EXIT_USAGE,
				 "logout: want one REGISTRY, or --all");
	/* ig's line: it claims nothing removed (there may have been no
	 * file, or nothing in it) */
	if (s->all) {
		if (oci_auth_delete_all(ctx->registry.authfile, err) < 0)
			return EXIT_FAIL;
		puts("Logout Succeeded");
		return EXIT_OK;
	}
	host = registry_host(ctx->argv[0]);
	if (!host)
		return cli_error(err, EXIT_USAGE,
				 "logout: invalid registry '%s'", ctx->argv[0]);
	/* ctx->registry holds --authfile only: see logout_options */
	if (oci_auth_delete(ctx->registry.authfile, host, err) < 0) {
		cleanup_free char *other = NULL;
		cleanup_free char *mine = NULL;

		if (error_errnum(*err) != ENOENT || ctx->registry.authfile)
			return EXIT_FAIL;
		/* in a file runner reads but does not write by default */
		other = oci_auth_file_with(host);
		mine = oci_auth_write_path(NULL);
		if (other && mine && strcmp(other, mine)) {
			cleanup_free char *msg = strdup(error_msg(*err));

			error_set(err, 0,
				  "%s; runner reads credentials for it from "
				  "%s: runner logout %s --authfile %s removes "
				  "them",
				  msg ? msg : "", other, host, other);
		}
		return EXIT_FAIL;
	}
	puts("Logout Succeeded"); /* ig's line */
	return EXIT_OK;
}

static const struct option logout_options[] = {
	{ "authfile", required_argument, NULL, CLI_OPT_AUTHFILE },
	{ "all", no_argument, NULL, 'a' },
	{ 0 },
};

const struct cli_command cmd_logout = {
	.name = "logout",
	.summary = "remove credentials for a registry",
	.usage = "Usage: runner logout REGISTRY | --all [--authfile FILE]\n"
		 "\n"
		 "Remove the stored credentials for REGISTRY (or for every\n"
		 "registry) from the file runner login writes (see runner\n"
		 "login --help).\n"
		 "\n"
		 "FLAGS\n"
		 "  -a, --all              every registry of the file\n"
		 "      --authfile FILE    the file to remove them from\n"
		 "\n"
		 "EXAMPLES\n"
		 "  runner logout ghcr.io\n"
		 "  runner logout localhost:5000 --authfile ./auth.json\n"
		 "  runner logout --all\n",
	.short_opts = "a",
	.options = logout_options,
	.min_args = 0,
	.max_args = 1,
	.want = "want one REGISTRY, or --all",
	.state_size = sizeof(struct logout_state),
	.option = logout_option,
	.run = logout_run,
};
