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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "oci/auth.h"
#include "oci/registry.h"
#include "runner/cli/cmd_image.h"
#include "runner/cli/cmd_login.h"
#include "runner/cli/common.h"

#define MAX_SECRET 4096

enum {
	OPT_PASSWORD_STDIN = 0x100,
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

static void login_usage(FILE *f)
{
	fputs("Usage: runner login REGISTRY [-u USER] [--password-stdin] "
	      "[flags]\n"
	      "\n"
	      "Check credentials against REGISTRY and store them (mode 0600)\n"
	      "in the auth file: --authfile, $REGISTRY_AUTH_FILE,\n"
	      "$XDG_RUNTIME_DIR/containers/auth.json, or "
	      "~/.docker/config.json.\n"
	      "Without --password-stdin, asks on the terminal.\n"
	      "\n"
	      "FLAGS\n"
	      "  -u, --username USER    user name\n"
	      "      --password-stdin   read the password from stdin\n" IMAGE_REGISTRY_HELP
	      "\n"
	      "EXAMPLES\n"
	      "  runner login ghcr.io -u me\n"
	      "  echo \"$TOKEN\" | runner login ghcr.io -u me "
	      "--password-stdin\n"
	      "  runner login localhost:5000 -u test --password-stdin "
	      "--authfile ./auth.json < pw\n",
	      f);
}

int cmd_login(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "username", required_argument, NULL, 'u' },
		{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
		IMAGE_REGISTRY_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	cleanup_error struct error *err = NULL;
	cleanup_registry struct oci_registry *reg = NULL;
	cleanup_free char *host = NULL;
	cleanup_free char *user = NULL;
	char tmp[] = "/tmp/runner-login-XXXXXX";
	char *password = NULL;
	struct oci_registry_opts ro;
	const char *write_to;
	bool from_stdin = false;
	int c, fd, rc = EXIT_FAIL;

	image_registry_opts_init(&ro);
	optind = 0;
	while ((c = getopt_long(argc, argv, "u:h", opts, NULL)) != -1) {
		if (image_registry_option(&ro, c, optarg))
			continue;
		switch (c) {
		case 'u':
			free(user);
			user = strdup(optarg);
			break;
		case OPT_PASSWORD_STDIN:
			from_stdin = true;
			break;
		case 'h':
			login_usage(stdout);
			return EXIT_OK;
		default:
			return runner_msg(EXIT_USAGE, "login: bad usage (see "
						      "`runner login --help`)");
		}
	}
	if (argc - optind != 1)
		return runner_msg(EXIT_USAGE, "login: want one REGISTRY (see "
					      "`runner login --help`)");
	write_to = ro.authfile;
	host = registry_host(argv[optind]);
	if (!host)
		return runner_msg(EXIT_USAGE, "login: invalid registry '%s'",
				  argv[optind]);
	if (!from_stdin && !isatty(STDIN_FILENO))
		return runner_msg(EXIT_USAGE,
				  "login: stdin is not a terminal: use "
				  "--password-stdin");
	if (!user && from_stdin)
		return runner_msg(EXIT_USAGE,
				  "login: --password-stdin needs --username");
	if (!user) {
		user = prompt("Username: ", false);
		if (!user || !*user)
			return runner_msg(EXIT_USAGE, "login: no user name");
	}
	password = from_stdin ? read_line(stdin) : prompt("Password: ", true);
	if (!password || !*password) {
		free_secret(password);
		return runner_msg(EXIT_USAGE, "login: empty password");
	}
	if (strlen(password) > MAX_SECRET) {
		free_secret(password);
		return runner_msg(EXIT_USAGE, "login: password too long");
	}

	/* Check the credentials through a private, temporary auth file. */
	fd = mkstemp(tmp);
	if (fd < 0) {
		free_secret(password);
		return runner_msg(EXIT_FAIL, "login: create %s: %s", tmp,
				  strerror(errno));
	}
	close(fd);
	unlink(tmp);
	if (oci_auth_set(tmp, host, user, password, &err) < 0)
		goto out;
	ro.authfile = tmp;
	if (oci_registry_new(host, &ro, &reg, &err) < 0 ||
	    oci_registry_ping(reg, &err) < 0)
		goto out;
	if (oci_auth_set(write_to, host, user, password, &err) < 0)
		goto out;
	puts("Login Succeeded!");
	rc = EXIT_OK;
out:
	unlink(tmp);
	free_secret(password);
	if (rc)
		return runner_fail(err);
	return rc;
}

static void logout_usage(FILE *f)
{
	fputs("Usage: runner logout REGISTRY [--authfile FILE]\n"
	      "\n"
	      "Remove the stored credentials for REGISTRY.\n"
	      "\n"
	      "EXAMPLES\n"
	      "  runner logout ghcr.io\n"
	      "  runner logout localhost:5000 --authfile ./auth.json\n",
	      f);
}

int cmd_logout(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "authfile", required_argument, NULL, IMAGE_OPT_AUTHFILE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	cleanup_error struct error *err = NULL;
	cleanup_free char *host = NULL;
	const char *authfile = NULL;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case IMAGE_OPT_AUTHFILE:
			authfile = optarg;
			break;
		case 'h':
			logout_usage(stdout);
			return EXIT_OK;
		default:
			return runner_msg(EXIT_USAGE,
					  "logout: bad usage (see "
					  "`runner logout --help`)");
		}
	}
	if (argc - optind != 1)
		return runner_msg(EXIT_USAGE, "logout: want one REGISTRY");
	host = registry_host(argv[optind]);
	if (!host)
		return runner_msg(EXIT_USAGE, "logout: invalid registry '%s'",
				  argv[optind]);
	if (oci_auth_delete(authfile, host, &err) < 0)
		return runner_fail(err);
	printf("Removed login credentials for %s\n", host);
	return EXIT_OK;
}
