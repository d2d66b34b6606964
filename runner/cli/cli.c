// SPDX-License-Identifier: Apache-2.0
/*
 * The command table walk and the one option parser every command goes
 * through (bpftool's cmd_select, with getopt_long), and what the commands
 * share: store location, reference normalisation, errors and numbers.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/escape.h"
#include "common/goparse.h"
#include "oci/digest.h"
#include "oci/ref.h"
#include "oci/store.h"
#include "runner/cli/cli.h"
#include "runner/engine/containers.h"
#include "runner/engine/log.h"

/* A command's own options, the shared groups, --help and the end mark. */
#define CLI_MAX_OPTIONS 32
/* What run_leaf() adds to a command's own: the registry flags, --store,
 * -v/--verbose, --help and the end mark. */
#define CLI_SHARED_OPTIONS 7

int cli_error(struct error **err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, 0, fmt, ap);
	va_end(ap);
	return code;
}

int cli_usage_error(struct error **err, const char *path, const char *fmt, ...)
{
	cleanup_free char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return cli_error(err, EXIT_USAGE, "out of memory");
	return cli_error(err, EXIT_USAGE, "%s: %s (see `runner %s --help`)",
			 path, msg, path);
}

/* Is getopt inside cluster argv[optind] (-xq) at short flag c, before
 * its last letter?  Then it has not stepped past it: argv[optind - 1] is
 * the word before. */
static bool in_cluster(char **argv, int c)
{
	const char *a = argv[optind], *at;

	return c > 0 && c < 128 && a && a[0] == '-' && a[1] && a[1] != '-' &&
	       (at = strchr(a + 1, c)) && at[1];
}

int cli_flag_error(struct error **err, const char *path, char **argv, int c)
{
	const char *arg = argv[optind - 1];
	char one[3] = { '-', (char)optopt, 0 };

	/* a short flag, alone or in a cluster (-xo): optopt names it */
	if (optopt && (strncmp(arg, "--", 2) || in_cluster(argv, optopt)))
		arg = one;
	if (c == ':')
		return cli_usage_error(err, path, "flag '%s' needs a value",
				       arg);
	/* a long flag of no value given one (--watch=1): getopt sets optopt
	 * to its val */
	if (optopt && arg != one && strchr(arg, '='))
		return cli_usage_error(err, path, "flag '%.*s' takes no value",
				       (int)strcspn(arg, "="), arg);
	return cli_usage_error(err, path, "unknown flag '%.*s'",
			       (int)strcspn(arg, "="), arg);
}

static void group_usage(const struct cli_command *g, FILE *f)
{
	const struct cli_command *const *c;
	int w = 0;

	for (c = g->subs; *c; c++)
		if ((int)strlen((*c)->name) > w)
			w = strlen((*c)->name);
	fputs(g->usage, f);
	for (c = g->subs; *c; c++)
		fprintf(f, "  %-*s  %s\n", w, (*c)->name, (*c)->summary);
	if (g->usage_tail)
		fputs(g->usage_tail, f);
}

/* Parse a leaf's flags and positional arguments, then run it. */
static int run_leaf(const struct cli_command *c, const char *path, int argc,
		    char **argv, struct error **err)
{
	static const struct option registry_opts[] = { CLI_REGISTRY_OPTIONS };
	struct option opts[CLI_MAX_OPTIONS];
	struct cli_ctx ctx = { .path = path,
			       .store_create = c->flags & CLI_STORE_CREATE };
	cleanup_free void *state = NULL;
	cleanup_free char *insecure = NULL;
	const struct option *p;
	char shorts[32];
	size_t n = 0, i;
	bool verbose = false;
	int o, rc;

	if (c->run_argv)
		return c->run_argv(argc, argv, err);
	if (c->state_size && !(state = calloc(1, c->state_size)))
		return cli_error(err, EXIT_FAIL, "out of memory");
	for (p = c->options;
	     p && p->name && n < CLI_MAX_OPTIONS - CLI_SHARED_OPTIONS; p++)
		opts[n++] = *p;
	if (c->flags & CLI_REGISTRY) {
		for (i = 0; i < 3; i++)
			opts[n++] = registry_opts[i];
		rc = cli_registry_opts_init(&ctx.registry, err);
		if (rc)
			return rc;
	}
	if (c->flags & CLI_STORE)
		opts[n++] = (struct option){ "store", required_argument, NULL,
					     CLI_OPT_STORE };
	opts[n++] = (struct option){ "verbose", optional_argument, NULL,
				     CLI_OPT_VERBOSE };
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n] = (struct option){ 0 };
	snprintf(shorts, sizeof(shorts), ":%shv",
		 c->short_opts ? c->short_opts : "");

	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		if (o == 'h') {
			fputs(c->usage, stdout);
			return EXIT_OK;
		}
		if (o == '?' || o == ':')
			return cli_flag_error(err, path, argv, o);
		if (o == CLI_OPT_STORE) {
			ctx.store = optarg;
			continue;
		}
		if (o == 'v' || o == CLI_OPT_VERBOSE) {
			cleanup_error struct error *bad = NULL;

			if (cli_bool_flag(NULL, "verbose", optarg, &verbose,
					  &bad))
				return cli_usage_error(err, path, "%s",
						       error_msg(bad));
			continue;
		}
		if (o == CLI_OPT_INSECURE) {
			/* a list, as ig image pull/push take it: repeated
			 * flags add up (the environment's is replaced) */
			char *list = NULL;

			if (asprintf(&list, "%s%s%s", insecure ? insecure : "",
				     insecure ? "," : "", optarg) < 0)
				return cli_error(err, EXIT_FAIL,
						 "out of memory");
			free(insecure);
			ctx.registry.insecure = insecure = list;
			continue;
		}
		if (cli_registry_option(&ctx.registry, o, optarg))
			continue;
		rc = c->option ? c->option(state, o, optarg, err) : EXIT_USAGE;
		if (rc)
			return rc;
	}
	if (verbose)
		cli_verbose();
	if (c->flags & CLI_REGISTRY) {
		rc = cli_registry_opts_check(&ctx.registry,
					     c->flags & CLI_AUTHFILE_NEW, err);
		if (rc)
			return rc;
	}
	ctx.argc = argc - optind;
	ctx.argv = argv + optind;
	if (ctx.argc > c->max_args && c->max_args >= 0 && !c->want)
		return cli_usage_error(err, path, "unexpected argument '%s'",
				       ctx.argv[c->max_args]);
	if (ctx.argc < c->min_args ||
	    (c->max_args >= 0 && ctx.argc > c->max_args))
		return cli_usage_error(err, path, "%s", c->want);
	return c->run(&ctx, state, err);
}

/*
 * "help CMD [SUB]" is "CMD [SUB] --help", as ig's (cobra's) help command
 * takes a command; "runner help run IMAGE" the gadget's help too.
 */
static int help_of(const struct cli_command *group, const char *path, int argc,
		   char **argv, struct error **err)
{
	static char help[] = "--help";
	cleanup_free char **av = calloc((size_t)argc + 1, sizeof(*av));
	int i;

	if (!av)
		return cli_error(err, EXIT_FAIL, "out of memory");
	av[0] = argv[0];
	for (i = 2; i < argc; i++)
		av[i - 1] = argv[i];
	av[argc - 1] = help;
	return cli_dispatch(group, path, argc, av, err);
}

int cli_dispatch(const struct cli_command *group, const char *path, int argc,
		 char **argv, struct error **err)
{
	const struct cli_command *const *s;
	char sub[64], prog[80];
	bool verbose;
	int rc;

	/* ig's -v/--verbose before the command, as after it */
	while (argc > 1 && cli_verbose_flag(argv[1], &verbose, &rc, err)) {
		if (rc)
			return rc;
		if (verbose)
			cli_verbose();
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	if (argc < 2) {
		group_usage(group, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") && argc > 2)
		return help_of(group, path, argc, argv, err);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		group_usage(group, stdout);
		return EXIT_OK;
	}
	for (s = group->subs; *s; s++) {
		const struct cli_command *c = *s;

		if (strcmp(argv[1], c->name) &&
		    !(c->alias && !strcmp(argv[1], c->alias)))
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? " " : "",
			 c->name);
		if (c->subs)
			return cli_dispatch(c, sub, argc - 1, argv + 1, err);
		/* getopt names argv[0] in its messages: "runner: run: ..." */
		snprintf(prog, sizeof(prog), "runner: %s", sub);
		argv[1] = prog;
		return run_leaf(c, sub, argc - 1, argv + 1, err);
	}
	if (!*path)
		return cli_error(err, EXIT_USAGE,
				 "unknown command '%s' (see `runner --help`)",
				 argv[1]);
	return cli_usage_error(err, path, "unknown subcommand '%s'", argv[1]);
}

static int user_store_of(const struct passwd *pw, char *buf, size_t len)
{
	int n;

	if (!pw || !pw->pw_dir || !*pw->pw_dir)
		return -1;
	n = snprintf(buf, len, "%s%s" RUNNER_USER_STORE, pw->pw_dir,
		     pw->pw_dir[strlen(pw->pw_dir) - 1] == '/' ? "" : "/");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

const char *runner_store_dir(const char *flag_value)
{
	static char user[PATH_MAX];
	const char *env;

	if (flag_value && *flag_value)
		return flag_value;
	env = getenv("RUNNER_STORE");
	if (env && *env)
		return env;
	if (geteuid() == 0)
		return OCI_STORE_DEFAULT_DIR;
	/* by the user database, as ig finds ~/.ig/oci-store (not $HOME,
	 * which sudo -u may leave as root's); $HOME for a user it does not
	 * know (a container's uid) */
	if (*user)
		return user;
	if (!user_store_of(getpwuid(geteuid()), user, sizeof(user)))
		return user;
	env = getenv("HOME");
	if (env && *env &&
	    !user_store_of(&(struct passwd){ .pw_dir = (char *)env }, user,
			   sizeof(user)))
		return user;
	*user = '\0';
	return OCI_STORE_DEFAULT_DIR; /* its error says what failed */
}

int runner_user_store_dir(const char *name, char *buf, size_t len,
			  struct error **err)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (!pw)
		return error_set(err, errno, "no user %s", name);
	if (user_store_of(pw, buf, len))
		return error_set(err, 0, "user %s: no home folder", name);
	return 0;
}

const char *runner_default_prefix(void)
{
	const char *env = getenv("RUNNER_REGISTRY_PREFIX");

	return env && *env ? env : NULL;
}

int cli_store_open(const struct cli_ctx *ctx, struct oci_store **out,
		   struct error **err)
{
	const char *dir = runner_store_dir(ctx->store);
	struct stat st;

	/* only a command that stores images creates a store: a typo in
	 * --store is not a new folder */
	if (!ctx->store_create && stat(dir, &st) < 0 && errno == ENOENT)
		return error_set(err, ENOENT, "store %s", dir);
	return oci_store_open(dir, out, err);
}

int cli_normalize_ref(const char *s, char **out, struct error **err)
{
	*out = NULL;
	if (oci_digest_valid(s)) {
		*out = strdup(s);
		return *out ? EXIT_OK : cli_error(err, EXIT_FAIL, "alloc");
	}
	if (oci_ref_normalize(s, runner_default_prefix(), out, err) < 0)
		return (*err && (*err)->errnum == ENOMEM) ? EXIT_FAIL :
							    EXIT_USAGE;
	return EXIT_OK;
}

int cli_normalize_refs(const struct cli_ctx *ctx, char **first, char **second,
		       struct error **err)
{
	int rc = cli_normalize_ref(ctx->argv[0], first, err);

	if (rc == EXIT_OK && ctx->argc > 1)
		rc = cli_normalize_ref(ctx->argv[1], second, err);
	return rc;
}

int cli_repo_ref(const struct cli_ctx *ctx, char **ref, struct error **err)
{
	int rc = cli_normalize_ref(ctx->argv[0], ref, err);

	if (rc != EXIT_OK)
		return rc;
	if (oci_digest_valid(*ref))
		return cli_usage_error(err, ctx->path,
				       "'%s' names no repository",
				       ctx->argv[0]);
	return EXIT_OK;
}

int runner_msg(int code, const char *fmt, ...)
{
	va_list ap;

	cleanup_free char *msg = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	cli_progress_end(); /* a line of its own, also during a pull */
	fputs("runner: ", stderr);
	if (n >= 0)
		term_fputs(msg, stderr, 0);
	fputc('\n', stderr);
	return code;
}

void cli_print_json(json_t *doc, bool pretty)
{
	json_dumpf(doc, stdout,
		   JSON_ENCODE_ANY | (pretty ? JSON_INDENT(2) : JSON_COMPACT) |
			   (isatty(STDOUT_FILENO) ? JSON_ENSURE_ASCII : 0));
	fputc('\n', stdout);
}

char *cli_ref_at(const char *ref, const char *digest)
{
	char *out = NULL;

	if (strchr(ref, '@'))
		return strdup(ref);
	return asprintf(&out, "%s@%s", ref, digest) < 0 ? NULL : out;
}

void cli_print_start(const char *verb, const char *ref)
{
	/* a status line: a script reading stderr still gets one error line */
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "%s %s...\n", verb, ref);
}

void cli_print_done(const char *verb, const char *ref, const char *digest)
{
	cleanup_free char *r = cli_ref_at(ref, digest);

	printf("Successfully %s %s\n", verb, r ? r : ref);
}

int parse_ulong(const char *what, const char *s, int base, unsigned long min,
		unsigned long max, unsigned long *out, struct error **err)
{
	/* Go's ParseInt(s, base, 64), but up to 2^64 - 1 */
	bool neg = *s == '-';
	unsigned long long v;

	if (!go_parse_uint(s + (neg || *s == '+'), base, &v) || (neg && v) ||
	    v < min || v > max)
		return error_set(err, 0, "invalid %s '%s': want %lu..%lu", what,
				 s, min, max);
	*out = v;
	return 0;
}

void cli_log_stderr(void *ctx, enum engine_log_level level, bool libbpf,
		    const char *fmt, va_list ap)
{
	const char *dbg = ctx;

	if (level > ENGINE_LOG_NOTICE &&
	    (!dbg || !*dbg || (level == ENGINE_LOG_DEBUG && strcmp(dbg, "2"))))
		return;
	cleanup_free char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	/* whole lines: the engine says some from threads (--trace-pipe) */
	flockfile(stderr);
	if (!libbpf)
		fputs("runner: ", stderr);
	/* names from the image reach these lines: escaped */
	term_fputs(msg, stderr, libbpf ? ESCAPE_KEEP_NL : 0);
	if (!libbpf)
		fputc('\n', stderr);
	funlockfile(stderr);
}

void cli_verbose(void)
{
	const char *dbg = getenv("RUNNER_DEBUG");

	if (!dbg || !*dbg)
		engine_log_set(cli_log_stderr, (void *)"1");
}

int cli_check_containerd_ns(const char *ns, struct error **err)
{
	if (!containers_check_containerd_ns(ns, err))
		return EXIT_OK;
	error_prefix(err, "--containerd-namespace");
	return EXIT_USAGE;
}

int cli_check_runtimes(const char *list, struct error **err)
{
	static const char *const names[] = { "docker", "containerd", "cri-o",
					     "podman" };
	const char *p = list;

	for (;;) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i]) == n && !strncmp(names[i], p, n))
				break;
		if (!n)
			return cli_error(err, EXIT_USAGE,
					 "--runtimes: empty item in '%s'",
					 list);
		if (i == sizeof(names) / sizeof(names[0]))
			return cli_error(err, EXIT_USAGE,
					 "--runtimes: runtime '%.*s' is not "
					 "supported (docker, containerd, "
					 "cri-o, podman)",
					 (int)n, p);
		if (!p[n])
			return EXIT_OK;
		p += n + 1;
	}
}

bool cli_parse_bool(const char *s, bool *out)
{
	if (!s) {
		*out = true;
		return true;
	}
	return go_parse_bool(s, out);
}

int cli_bool_error(const char *prefix, const char *name, const char *value,
		   struct error **err)
{
	return cli_error(err, EXIT_USAGE,
			 "%sinvalid --%s '%s': want true or false",
			 prefix ? prefix : "", name, value);
}

int cli_bool_flag(const char *prefix, const char *name, const char *value,
		  bool *on, struct error **err)
{
	return cli_parse_bool(value, on) ?
		       EXIT_OK :
		       cli_bool_error(prefix, name, value, err);
}

int cli_param_bool_flag(const char *name, const char *value, bool *on,
			struct error **err)
{
	if (!value) {
		*on = true;
		return EXIT_OK;
	}
	return go_parse_param_bool(value, on) ?
		       EXIT_OK :
		       cli_bool_error(NULL, name, value, err);
}

bool cli_flag_word(const char *arg, const char *name, const char **value)
{
	size_t len = strlen(name);

	if (strncmp(arg, "--", 2) || strncmp(arg + 2, name, len) ||
	    (arg[2 + len] && arg[2 + len] != '='))
		return false;
	*value = arg[2 + len] ? arg + 3 + len : NULL;
	return true;
}

bool cli_bool_word(const char *arg, const char *name, bool *on, int *rc,
		   struct error **err)
{
	const char *value;

	if (!cli_flag_word(arg, name, &value))
		return false;
	*rc = cli_bool_flag(NULL, name, value, on, err);
	return true;
}

bool cli_verbose_flag(const char *arg, bool *on, int *rc, struct error **err)
{
	if (strcmp(arg, "-v"))
		return cli_bool_word(arg, "verbose", on, rc, err);
	*on = true;
	*rc = EXIT_OK;
	return true;
}
