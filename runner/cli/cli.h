/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every runner command shares: the command table, one option parser,
 * the store and registry flags, exit codes and errors.  A handler returns an
 * exit code and, when it is not EXIT_OK, an error that main() prints once as
 * "runner: <msg>" (no error: getopt has said what was wrong).
 */
#ifndef RUNNER_CLI_H
#define RUNNER_CLI_H

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"
#include "oci/registry.h"
#include "runner/engine/log.h"

struct oci_store;

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
};

/* Flag groups a command takes besides its own (cli_command.flags). */
enum {
	CLI_STORE = 1 << 0, /* --store DIR */
	CLI_REGISTRY = 1
		       << 1, /* --authfile, --insecure-registries, --cert-dir */
	CLI_AUTHFILE_NEW = 1 << 2, /* --authfile may name a file to create */
	CLI_STORE_CREATE = 1 << 3, /* stores images: may create the store */
};

/* Option values of the shared flags; a command's own start at CLI_OPT_OWN. */
enum {
	CLI_OPT_STORE = 0x200,
	CLI_OPT_AUTHFILE,
	CLI_OPT_INSECURE,
	CLI_OPT_CERT_DIR,
	CLI_OPT_VERBOSE,
	CLI_OPT_OWN = 0x300,
};

/* clang-format off */
#define CLI_REGISTRY_OPTIONS						\
	{ "authfile", required_argument, NULL, CLI_OPT_AUTHFILE },	\
	{ "insecure-registries", required_argument, NULL, CLI_OPT_INSECURE }, \
	{ "cert-dir", required_argument, NULL, CLI_OPT_CERT_DIR }
/* ig's pod selection flags, each BASE + its enum k8s_select_key
 * (runner/engine/k8s_select.h) */
#define CLI_K8S_POD_OPTIONS(BASE)					\
	{ "k8s-namespace", required_argument, NULL,			\
	  (BASE) + K8S_SELECT_NAMESPACE },				\
	{ "k8s-podname", required_argument, NULL,			\
	  (BASE) + K8S_SELECT_PODNAME },				\
	{ "k8s-containername", required_argument, NULL,			\
	  (BASE) + K8S_SELECT_CONTAINERNAME }
/* ig's image selection flags, and its hidden runtime-* names, each BASE +
 * its enum image_select_key (runner/engine/image_select.h) */
#define CLI_IMAGE_OPTIONS(BASE)						\
	{ "containerimage-id", required_argument, NULL,			\
	  (BASE) + IMAGE_SELECT_ID },					\
	{ "runtime-containerimage-id", required_argument, NULL,		\
	  (BASE) + IMAGE_SELECT_ID },					\
	{ "containerimage-digest", required_argument, NULL,		\
	  (BASE) + IMAGE_SELECT_DIGEST },				\
	{ "runtime-containerimage-digest", required_argument, NULL,	\
	  (BASE) + IMAGE_SELECT_DIGEST }
/* Their help. */
/* --containerd-namespace's help, of run and list-containers */
#define CLI_CONTAINERD_NS_HELP                                             \
	"      --containerd-namespace NS  containerd's containers named\n" \
	"                       as ig names them: this namespace's\n"      \
	"                       (default k8s.io); the others' by id only\n"
#define CLI_IMAGE_HELP							\
	"      --containerimage-id ID[,ID]\n"				\
	"      --containerimage-digest DIGEST[,DIGEST]\n"		\
	"                       only containers of these images; as ig,\n" \
	"                       12 characters after sha256: compared,\n" \
	"                       !ID leaves one out (also\n"		\
	"                       --runtime-containerimage-id,\n"		\
	"                       --runtime-containerimage-digest)\n"

/* The registry flags' help, its descriptions at column 23 plus IND. */
#define CLI_REGISTRY_HELP_AT(IND)					\
	"      --authfile FILE  " IND "credentials (default: $REGISTRY_AUTH_FILE,\n" \
	"                       " IND "ig's /var/lib/ig/config.json, containers\n" \
	"                       " IND "auth.json, ~/.docker/config.json)\n" \
	"      --insecure-registries HOST:PORT,...\n"			\
	"                       " IND "allow plain HTTP / unverified TLS for these\n" \
	"      --cert-dir DIR   " IND "TLS files in DIR/HOST:PORT/: CAs *.crt,\n" \
	"                       " IND "client certificate NAME.cert + NAME.key\n"
#define CLI_REGISTRY_HELP CLI_REGISTRY_HELP_AT("  ")
/* clang-format on */

/* What a command's operands are, for shell completion (a bit set). */
enum {
	CLI_OPERAND_IMAGE = 1 << 0, /* image references from the local store */
	CLI_OPERAND_FILE = 1 << 1, /* file or folder names */
	CLI_OPERAND_GADGET = 1 << 2, /* the image's gadget flags follow it */
	CLI_OPERAND_OR_FILE = 1 << 3, /* -f/--file FILE stands for them */
};

/* What the shared parser hands a command's run(). */
struct cli_ctx {
	const char *path; /* "image list": for messages */
	const char *store; /* --store DIR, or NULL */
	bool store_create; /* CLI_STORE_CREATE: a missing store is made */
	struct oci_registry_opts registry; /* with CLI_REGISTRY */
	int argc; /* positional arguments */
	char **argv;
};

/*
 * One command.  A group has subcommands and no run(); a leaf has run() and
 * is parsed by cli_dispatch(): its own options (passed to option(), with
 * state, a zeroed block of state_size bytes), the shared groups in flags,
 * -h/--help (prints usage), and min_args..max_args positional arguments
 * (max_args < 0: no limit; want says what is missing).  run_argv() instead
 * takes the raw arguments, for a command whose flags depend on its input.
 */
struct cli_command {
	const char *name;
	const char *alias;
	const char *summary; /* one line in the parent's list */
	const char *usage; /* --help; a group's list follows it */
	const char *usage_tail; /* a group's text after the list */
	const struct cli_command *const *subs; /* NULL-terminated */
	const char *short_opts;
	const struct option *options; /* { 0 }-terminated, or NULL */
	unsigned int flags;
	int min_args, max_args;
	const char *want;
	size_t state_size;
	int (*option)(void *state, int opt, const char *arg,
		      struct error **err);
	int (*run)(struct cli_ctx *ctx, void *state, struct error **err);
	int (*run_argv)(int argc, char **argv, struct error **err);
	unsigned int operands; /* CLI_OPERAND_*, for completion */
};

/*
 * Run the command argv[1] of group (argv[0] names the group); returns the
 * exit code, with *err set when there is something to say.
 */
int cli_dispatch(const struct cli_command *group, const char *path, int argc,
		 char **argv, struct error **err);

/* Set *err to "<path>: <fmt...> (see `runner <path> --help`)"; EXIT_USAGE. */
int cli_usage_error(struct error **err, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * What getopt_long() (opterr 0, optstring starting with ':') returned for
 * a flag it could not take (c: '?' unknown, ':' no value), as a usage
 * error of path: "unknown flag '--x'", "flag '--x' needs a value",
 * "flag '--x' takes no value".
 */
int cli_flag_error(struct error **err, const char *path, char **argv, int c);
/* Set *err to fmt...; return code. */
int cli_error(struct error **err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A user's store, in the home folder /etc/passwd gives (ig's is
 * ~/.ig/oci-store). */
#define RUNNER_USER_STORE ".runner/oci-store"
/*
 * --store flag > $RUNNER_STORE > OCI_STORE_DEFAULT_DIR for root, else the
 * user's own, RUNNER_USER_STORE in the home of the effective user (as ig
 * keeps a store per user).
 */
const char *runner_store_dir(const char *flag_value);
/* RUNNER_USER_STORE of user name's home, into buf; -1 and *err when
 * there is no such user or the path does not fit. */
int runner_user_store_dir(const char *name, char *buf, size_t len,
			  struct error **err);
/* $RUNNER_REGISTRY_PREFIX or NULL (the library default). */
const char *runner_default_prefix(void);
/* Open the store the command's --store names. */
int cli_store_open(const struct cli_ctx *ctx, struct oci_store **out,
		   struct error **err);
/*
 * A reference from the command line, normalised into *out (malloc'd); a
 * digest stays as is.  EXIT_OK; EXIT_USAGE with *err for an invalid
 * reference (every command says so alike); EXIT_FAIL without memory.
 */
int cli_normalize_ref(const char *s, char **out, struct error **err);
/* The command's argv[0] normalised into *first and, when it has one,
 * argv[1] into *second, as cli_normalize_ref() (the same returns). */
int cli_normalize_refs(const struct cli_ctx *ctx, char **first, char **second,
		       struct error **err);
/* The command's IMAGE (argv[0]) normalised into *ref, which must name a
 * repository (not a bare digest): EXIT_OK, else EXIT_FAIL or EXIT_USAGE
 * with err. */
int cli_repo_ref(const struct cli_ctx *ctx, char **ref, struct error **err);

/* Print "runner: <fmt...>" on stderr (a status line); return code. */
int runner_msg(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct json_t;
/* doc on stdout and a newline: one line, or indented when pretty; on a
 * terminal, all that is not ASCII as \uXXXX (jansson escapes C0 itself,
 * so C1 controls never reach it raw). */
void cli_print_json(struct json_t *doc, bool pretty);

/* "REF@DIGEST" (malloc'd), or REF when it names its digest already. */
char *cli_ref_at(const char *ref, const char *digest);
/* ig's "Pulling REF..." (VERB "Pulling"): on stderr, where ig writes it,
 * and only when that is a terminal, as the progress line after it. */
void cli_print_start(const char *verb, const char *ref);
/* "Successfully VERB REF@DIGEST" on stdout; a REF that names its digest
 * (a pull or push by digest) is not given it twice. */
void cli_print_done(const char *verb, const char *ref, const char *digest);

/*
 * Parse a number in [min, max] named what, as Go's ParseInt(s, base, 64)
 * reads it (base 0: a flag, as pflag's int flags, "0x10", "0o17", "1_000";
 * 10: digits only, with an optional sign); -1 and *err if not.
 */
int parse_ulong(const char *what, const char *s, int base, unsigned long min,
		unsigned long max, unsigned long *out, struct error **err);

/* -r/--runtimes LIST: each item a runtime ig knows (docker, containerd,
 * cri-o, podman); else a usage error that names it. */
int cli_check_runtimes(const char *list, struct error **err);
/* --containerd-namespace NS: one of containerd's identifiers ("": ig's
 * default, k8s.io); EXIT_OK or EXIT_USAGE with *err. */
int cli_check_containerd_ns(const char *ns, struct error **err);

/* A flag's BOOL as a Go bool flag takes it (strconv.ParseBool: 1, t, T,
 * TRUE, true, True and their false forms); NULL (no value) is true.  For
 * ig's plain (pflag) bools: -v, --oci-store-user, login's. */
bool cli_parse_bool(const char *s, bool *out);

/*
 * The value of --<name>, a flag that is a bool param in ig (--host,
 * --trace-pipe, --verify-image, --disallow-pulling,
 * --otel-metrics-listen), into *on as go_parse_param_bool() reads it
 * (ParseBool's spellings, and true or false in any case, as ig's params;
 * NULL: given bare, true): EXIT_OK; else cli_bool_error().
 */
int cli_param_bool_flag(const char *name, const char *value, bool *on,
			struct error **err);

/* "<prefix>invalid --<name> '<value>': want true or false" in *err (no
 * prefix when NULL); EXIT_USAGE. */
int cli_bool_error(const char *prefix, const char *name, const char *value,
		   struct error **err);
/*
 * The value of the bool flag --<name> (NULL: given bare) into *on, as
 * cli_parse_bool() reads it: EXIT_OK; else cli_bool_error().
 */
int cli_bool_flag(const char *prefix, const char *name, const char *value,
		  bool *on, struct error **err);
/* Is the word arg --<name> or --<name>=VALUE?  Then *value is VALUE (NULL
 * for the flag alone). */
bool cli_flag_word(const char *arg, const char *name, const char **value);
/*
 * Is the word arg --<name> or --<name>=BOOL (a Go bool flag never takes
 * the next word)?  Then its value into *on, and cli_bool_flag()'s return
 * in *rc.
 */
bool cli_bool_word(const char *arg, const char *name, bool *on, int *rc,
		   struct error **err);
/* Is arg ig's -v/--verbose[=BOOL] (a persistent flag of every command)?
 * Then *on is what it says; a bad BOOL is a usage error in *rc. */
bool cli_verbose_flag(const char *arg, bool *on, int *rc, struct error **err);

/* The engine's notes and libbpf's messages, as much as RUNNER_DEBUG (ctx)
 * asks: main() sets it as the engine's log (runner/engine/log.h). */
__attribute__((format(printf, 4, 0))) void
cli_log_stderr(void *ctx, enum engine_log_level level, bool libbpf,
	       const char *fmt, va_list ap);
/* ig's -v/--verbose: from now on the engine's notes and libbpf's
 * messages on stderr as RUNNER_DEBUG=1 shows them (main.c), unless
 * RUNNER_DEBUG asks for more. */
void cli_verbose(void);

/*
 * Registry options: the library defaults, $RUNNER_INSECURE_REGISTRIES,
 * $RUNNER_CERTS_DIR and the numbers below from the environment, plus
 * a progress line per blob on stderr when stderr is a terminal.  A bad
 * RUNNER_REGISTRY_TIMEOUT (1..3600 s), RUNNER_REGISTRY_RETRIES (0..20) or
 * RUNNER_PUSH_CHUNK_SIZE is EXIT_USAGE with *err.
 */
int cli_registry_opts_init(struct oci_registry_opts *o, struct error **err);
/* After the flags: --authfile must name a file (a missing one only when
 * new_ok, for login, which creates it, or ig's default, which is then as
 * if not given, as in ig); EXIT_USAGE and *err if not. */
int cli_registry_opts_check(struct oci_registry_opts *o, bool new_ok,
			    struct error **err);
/* Apply a CLI_OPT_{AUTHFILE,INSECURE,CERT_DIR}; false for another opt. */
bool cli_registry_option(struct oci_registry_opts *o, int opt, const char *arg);
/* End the progress line, if one was drawn (call after a pull or push;
 * runner_msg() does it first). */
void cli_progress_end(void);

#endif
