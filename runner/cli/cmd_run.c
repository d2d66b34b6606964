// SPDX-License-Identifier: Apache-2.0
/*
 * `runner run IMAGE`: find the image, describe its program from BTF and
 * gadget.yaml, turn its params into flags, load and attach it, and stream
 * its events until Ctrl-C, --timeout or --max-events (the engine's session
 * does the work; this file reads the flags and prints).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/escape.h"
#include "common/fileutil.h"
#include "common/goparse.h"
#include "common/heap.h"
#include "metadata/metadata.h"
#include "oci/ref.h"
#include "oci/sign.h"
#include "oci/gadget_image.h"
#include "oci/store.h"
#include "oci/transfer.h"
#include "runner/cli/commands.h"
#include "runner/cli/complete.h"
#include "runner/cli/config.h"
#include "runner/cli/manifest.h"
#include "runner/cli/param_file.h"
#include "runner/cli/run_metrics.h"
#include "runner/cli/trust.h"
#include "runner/engine/metrics.h"
#include "runner/engine/image_select.h"
#include "runner/engine/k8s_select.h"
#include "runner/engine/log.h"
#include "runner/engine/session.h"

#define MAX_GADGET_FLAGS 64
#define MAX_FILTERS 32
/* Data sources that get ig's --filter.DS and --filter-expr.DS flags. */
#define MAX_DS_FLAGS 16
#define RUN_NICE -10 /* --nice by default */
/*
 * The heap made resident before the start, in one call (common/heap.h):
 * trace_dns's start allocates ~2.2 MB, and its page faults stop falling at
 * 3 MiB (849 with none, 486 with 1 MiB, 218 with 2, 142 with 3 or 4).
 */
#define RUN_HEAP ((size_t)3 << 20)

enum {
	OPT_FIELDS = CLI_OPT_OWN,
	OPT_MAX_EVENTS,
	OPT_RING_SIZE,
	OPT_NICE,
	OPT_PULL,
	OPT_K8S,
	OPT_HOST,
	OPT_DISALLOW_PULLING,
	OPT_TRACE_PIPE,
	OPT_OCI_STORE_USER,
	OPT_CONTAINERD_NS,
	OPT_ENV_VARS,
	OPT_CONFIG, /* taken by config_init() before: for help, completion */
	OPT_K8S_NAMESPACE, /* ... + enum k8s_select_key */
	OPT_K8S_LAST = OPT_K8S_NAMESPACE + K8S_SELECT_LABELS,
	OPT_IMAGE, /* ... + enum image_select_key */
	OPT_IMAGE_LAST = OPT_IMAGE + IMAGE_SELECT_DIGEST,
	OPT_DS_FILTER, /* + 2 * i (+ 1): --filter.DS (--filter-expr.DS) */
	OPT_PARAM = OPT_DS_FILTER + 2 * MAX_DS_FLAGS, /* + i: gadget param i */
};

static const struct option base_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "file", required_argument, NULL, 'f' }, /* run_configured() */
	{ "filter", required_argument, NULL, 'F' },
	{ "filter-expr", required_argument, NULL, 'E' },
	{ "containername", required_argument, NULL, 'c' },
	{ "runtimes", required_argument, NULL, 'r' },
	{ "containerd-namespace", required_argument, NULL, OPT_CONTAINERD_NS },
	{ "runtime-containername", required_argument, NULL, 'c' },
	{ "fields", required_argument, NULL, OPT_FIELDS },
	{ "env-vars", required_argument, NULL, OPT_ENV_VARS },
	{ "timeout", required_argument, NULL, 't' },
	{ "max-events", required_argument, NULL, OPT_MAX_EVENTS },
	{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
	{ "nice", required_argument, NULL, OPT_NICE },
	{ "store", required_argument, NULL, CLI_OPT_STORE },
	{ "pull", required_argument, NULL, OPT_PULL },
	{ "disallow-pulling", optional_argument, NULL, OPT_DISALLOW_PULLING },
	{ "oci-store-user", optional_argument, NULL, OPT_OCI_STORE_USER },
	{ "k8s", no_argument, NULL, OPT_K8S },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "host", optional_argument, NULL, OPT_HOST },
	CLI_K8S_POD_OPTIONS(OPT_K8S_NAMESPACE),
	{ "k8s-selector", required_argument, NULL,
	  OPT_K8S_NAMESPACE + K8S_SELECT_LABELS },
	CLI_IMAGE_OPTIONS(OPT_IMAGE),
	{ "verbose", optional_argument, NULL, 'v' },
	{ "trace-pipe", optional_argument, NULL, OPT_TRACE_PIPE },
	{ "help", no_argument, NULL, 'h' },
	CLI_REGISTRY_OPTIONS,
	RUN_METRICS_OPTIONS,
	RUN_TRUST_OPTIONS,
	{ 0 },
};
#define N_BASE_OPTS (sizeof(base_opts) / sizeof(base_opts[0]) - 1)
/* getopt's optstring of base_opts' short flags */
#define RUN_SHORT_OPTS ":o:F:E:c:r:t:f:hv"

/* What the flags ask for. */
struct run_flags {
	const char *image;
	/* where the image comes from (the first pass) */
	const char *store;
	enum oci_pull_policy policy;
	bool pull_given; /* --pull, on the line or from ig's config */
	/* --oci-store-user as root: the store of sudo's user, read only */
	bool user_store;
	char user_store_dir[PATH_MAX];
	struct oci_registry_opts ro;
	/* --env-vars: the fields of env.fields.* are made with the session */
	const char *env_vars;
	/* the rest, once the image said which params exist */
	const char *output; /* -o, NULL: each data source's default */
	const char *fields;
	const char *filters[MAX_FILTERS];
	int filter_ds[MAX_FILTERS]; /* --filter.DS: its data source, else -1 */
	size_t n_filters;
	const char *exprs[MAX_FILTERS]; /* -E */
	int expr_ds[MAX_FILTERS];
	size_t n_exprs;
	const char *containers; /* -c: the last one, as in ig */
	const char *runtimes; /* -r: the last one */
	const char *containerd_ns; /* --containerd-namespace */
	/* argv[1..n_cfg] are ig's configuration's (config_run_args()); a
	 * -r or --containerd-namespace from there is ig's global param,
	 * which a gadget without containers ignores */
	int n_cfg;
	/* argv[n_cfg + 1 .. n_cfg + n_man] are the manifest's (-f): a flag
	 * there the gadget does not have is ignored, as ig ignores a key no
	 * operator takes */
	int n_man;
	bool cfg_arg; /* the flag run_flag() takes is one of those */
	bool runtimes_cfg, containerd_ns_cfg;
	unsigned long timeout, max_events;
	unsigned long ring_size; /* bytes, 0: as the gadget declares */
	int nice; /* --nice */
	const char *param_vals[MAX_GADGET_FLAGS];
	bool help;
	bool trace_pipe; /* --trace-pipe */
	bool k8s; /* Kubernetes columns: --k8s, or $NODE_NAME set */
	bool no_host; /* --host=false: containers' events only, as ig's
		       * default */
	bool host; /* --host given (true): beside a selection, ig's */
	const char *host_arg; /* its value, for blame_value() */
	/* --k8s-namespace ... --k8s-selector by enum k8s_select_key: the
	 * last of each, as in ig */
	const char *pods[K8S_SELECT_LABELS + 1];
	/* --containerimage-id, -digest by enum image_select_key: the last */
	const char *images[IMAGE_SELECT_DIGEST + 1];
	struct run_metrics rm;
	/* the values of "--PARAM=@FILE" read so far */
	struct param_files *files;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/*
 * From the first work of the kernel's on: a stop by Ctrl-C, SIGTERM or a
 * hangup of the terminal (SIGHUP) lets the run detach what it attached
 * (a tc filter outlives a process killed by the signal).  A stop while
 * attaching ends the run once it is attached, at the first poll; one
 * while loading, before anything is attached.  No SA_RESTART: a write
 * that waits for a reader returns at once.
 */
static void catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* The registry flags, in this help's column. */
#define RUN_REGISTRY_HELP CLI_REGISTRY_HELP_AT("")

static void usage(FILE *f)
{
	fputs("Usage: runner run IMAGE [flags] [gadget flags]\n"
	      "       runner run -f FILE [flags] [gadget flags]\n"
	      "\n"
	      "Run a gadget from the local store (pulled when missing) and\n"
	      "print its events.  `runner run IMAGE --help` also lists the\n"
	      "gadget's own flags, output modes and fields.\n"
	      "\n"
	      "  -f, --file FILE      run what ig's gadget instance manifest\n"
	      "                       FILE says (apiVersion 1, kind\n"
	      "                       instance-spec: image, paramValues);\n"
	      "                       - is stdin, http:// or https:// a URL;\n"
	      "                       flags given beside it win\n"
	      "  -o, --output MODE    columns (default), json, jsonpretty, yaml,\n"
	      "                       pcap-ng (the packets, if the gadget has\n"
	      "                       them), none (metrics only); ds:MODE,...\n"
	      "                       per data source (default: the gadget's)\n"
	      "      --fields LIST    columns to show: a,b replaces; +a,-b edits\n"
	      "      --env-vars LIST  environment variables a gadget's\n"
	      "                       env.fields.NAME: VAR annotations may\n"
	      "                       show as field NAME (comma-separated)\n"
	      "  -F, --filter EXPR    field OP value; OP: == != < <= > >= ~ !~\n"
	      "                       (a comma ANDs rules; repeat to AND more)\n"
	      "  -E, --filter-expr EXPR  as ig: an expression of fields, e.g.\n"
	      "                       'proc.comm in [\"dig\"] and dst.addr in\n"
	      "                       cidr(\"10.0.0.0/8\") or qtype matches \"^A\"'\n"
	      "      --filter.DS EXPR, --filter-expr.DS EXPR\n"
	      "                       -F, -E for data source DS only (ig's)\n"
	      "  -c, --containername NAME[,NAME]\n"
	      "                       only events of these containers (podman,\n"
	      "                       docker, containerd, cri-o); !NAME: all\n"
	      "                       but NAME (also --runtime-containername);\n"
	      "                       iter/tcp, iter/udp run in their network\n"
	      "                       namespaces only (else in every one)\n"
	      "  -r, --runtimes LIST  only containers of these runtimes are\n"
	      "                       known (docker, containerd, cri-o, podman;\n"
	      "                       the others' processes are the host's)\n" CLI_CONTAINERD_NS_HELP
	      "      --host[=BOOL]    as in ig: the host's events are shown\n"
	      "                       (with the containers', unless -c,\n"
	      "                       --containerimage-* or --k8s-* select);\n"
	      "                       given beside those, as ig's: events not\n"
	      "                       filtered by them, uprobes, tc and\n"
	      "                       iterators on the host's too; false:\n"
	      "                       containers only\n"
	      "      --k8s            Kubernetes columns (K8S.NODE ...) first;\n"
	      "                       the default when $NODE_NAME is set\n"
	      "      --k8s-namespace NS[,NS]  --k8s-podname POD[,POD]\n"
	      "      --k8s-containername NAME[,NAME]\n"
	      "      --k8s-selector KEY=VALUE[,KEY=VALUE]\n"
	      "                       only events of these pods (pod labels);\n"
	      "                       !NAME or !KEY=VALUE leaves one out\n" CLI_IMAGE_HELP
	      "  -t, --timeout SECS   stop after SECS seconds (0: never)\n"
	      "      --max-events N   stop after N events\n"
	      "      --ring-size N[K|M]  the gadget's ring buffers this size\n"
	      "      --nice N         scheduling priority while a ring buffer\n"
	      "                       is more than half full (default -10)\n"
	      "      --store DIR      local image store ($RUNNER_STORE; else\n"
	      "                       " OCI_STORE_DEFAULT_DIR " for root,\n"
	      "                       ~/" RUNNER_USER_STORE " for others)\n"
	      "      --oci-store-user[=BOOL]\n"
	      "                       as root under sudo: the store of sudo's\n"
	      "                       user (~/" RUNNER_USER_STORE
	      "), read only\n"
	      "                       (--pull never; what the user built is\n"
	      "                       not taken as built here)\n"
	      "      --pull POLICY    missing (default), always, never\n"
	      "      --disallow-pulling[=BOOL]\n"
	      "                       fail where the image would be pulled\n" RUN_REGISTRY_HELP
		      RUN_METRICS_HELP RUN_TRUST_HELP
	      "      --config FILE    ig's configuration file: defaults of the\n"
	      "                       flags `runner config default` lists\n"
	      "                       (default ~/.ig/config.yaml;\n"
	      "                       INSPEKTOR_GADGET_* variables)\n"
	      "  -v, --verbose[=BOOL] say more on stderr (as RUNNER_DEBUG=1)\n"
	      "      --trace-pipe[=BOOL]\n"
	      "                       the kernel's trace pipe (bpf_printk) on\n"
	      "                       stderr while the gadget runs\n"
	      "  -h, --help           this help\n"
	      "\n"
	      "A gadget with snapshots or map iterators also takes, as ig:\n"
	      "      --sort a,-b      sort each batch (- descending)\n"
	      "      --max-entries N  keep the first N of each batch\n"
	      "      --map-fetch-interval D  --map-fetch-count N\n"
	      "                       fetch map iterators every D, N times\n"
	      "A gadget with tc classifiers also takes, as ig:\n"
	      "      --iface NAME     attach them to NAME only (default: the\n"
	      "                       host side of containers' veths, and every\n"
	      "                       interface of the network namespace)\n"
	      "\n"
	      "As in ig, the value @FILE of one of ig's params (the gadget's\n"
	      "flags, -o, --fields, -F, -E, -c, --pull, --public-keys, ...; not\n"
	      "-t, --max-events, --store, --config) is FILE's content, byte for\n"
	      "byte (a last newline too).\n"
	      "\n"
	      "EXAMPLES\n"
	      "  runner run trace_dns\n"
	      "  runner run trace_dns -o json --timeout 10\n"
	      "  runner run trace_dns --fields src,dst,name,latency_ns\n"
	      "  runner run trace_dns -F qtype==AAAA -F 'name~example\\.com\\.$'\n"
	      "  runner image build examples/snapshot_process -t snapshot_process\n"
	      "  runner run snapshot_process --sort -proc.pid --max-entries 5\n",
	      f);
}

/*
 * Whether the flag arg is followed by its value, next.  A long flag that
 * is not the runner's own is a gadget param, if anything, and takes a
 * value that is not a flag (a bool's is optional): gadget says whether to
 * assume that.
 */
static bool takes_arg(const char *arg, const char *next, bool gadget)
{
	size_t i;

	if (!strcmp(arg, "-o") || !strcmp(arg, "-F") || !strcmp(arg, "-c") ||
	    !strcmp(arg, "-t") || !strcmp(arg, "-E") || !strcmp(arg, "-r") ||
	    !strcmp(arg, "-f"))
		return true;
	if (strncmp(arg, "--", 2) || strchr(arg, '='))
		return false;
	for (i = 0; i < N_BASE_OPTS; i++)
		if (!strcmp(arg + 2, base_opts[i].name))
			return base_opts[i].has_arg == required_argument;
	return gadget && next && next[0] != '-';
}

static const char *find_image_guess(int argc, char **argv, bool gadget)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (argv[i][0] != '-')
			return argv[i];
		if (takes_arg(argv[i], argv[i + 1], gadget))
			i++;
	}
	return NULL;
}

/*
 * The image is the first argument that is neither a flag nor its value:
 * "--comm dig trace_dns" is trace_dns.  When that finds none, a flag
 * unknown here had no value ("--typo trace_dns"), which parse_flags()
 * then refuses by its name.
 */
static const char *find_image(int argc, char **argv)
{
	const char *image = find_image_guess(argc, argv, true);

	return image ? image : find_image_guess(argc, argv, false);
}

/* Whether -h or --help is among the flags (before "--"), found as
 * find_image() walks them: the session then only describes the gadget. */
static bool asks_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
		if (argv[i][0] == '-' && takes_arg(argv[i], argv[i + 1], true))
			i++;
	}
	return false;
}

/*
 * ig's -v/--verbose (the last one, --verbose=false too), found as
 * asks_help() finds --help, so that it applies from the start: to the
 * pull and the load as well.
 */
static bool verbose(int argc, char **argv)
{
	struct error *ignored = NULL;
	bool on = false, v;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (cli_verbose_flag(argv[i], &v, &rc, &ignored)) {
			/* a bad value: told by the flag parser */
			on = rc ? on : v;
			error_free(ignored);
			ignored = NULL;
		} else if (argv[i][0] == '-' &&
			   takes_arg(argv[i], argv[i + 1], true))
			i++;
	}
	return on;
}

static void write_ready_file(void)
{
	const char *path = getenv("RUNNER_READY_FILE");
	struct error *err = NULL;
	struct out_file f;

	if (!path || !*path)
		return;
	/* the rule of every file the runner writes (common/fileutil.h); an
	 * empty marker of this run: nothing to make durable (an fsync here
	 * took up to 30 ms on a busy ext4) */
	if (!out_file_open(&f, path, 0644, &err)) {
		f.no_sync = true;
		out_file_commit(&f, &err);
	}
	error_free(err);
}

static char *image_name(const struct oci_ref *ref)
{
	const char *slash = strrchr(ref->repository, '/');

	return strdup(slash ? slash + 1 : ref->repository);
}

/*
 * ig's --oci-store-user, as root: the store of the user who ran sudo,
 * which must be there already, and nothing written to it (no pull, as
 * ig forces --pull=never).  Not root: the user's own store, the default.
 */
static int oci_store_user(struct run_flags *f, struct error **err)
{
	const char *who = getenv("SUDO_USER");
	static const char *const need[] = { "oci-layout", "index.json",
					    "blobs/sha256", "ingest" };
	char path[PATH_MAX + 32];
	struct stat st;
	size_t i;

	if (geteuid() != 0)
		return EXIT_OK;
	if (f->store)
		return cli_usage_error(err, "run",
				       "--oci-store-user and --store exclude "
				       "each other");
	if (f->pull_given && f->policy != OCI_PULL_NEVER)
		return cli_usage_error(
			err, "run",
			"--oci-store-user requires --pull=never: "
			"pulling as root would create root-owned "
			"files in the user's store");
	if (!who || !*who)
		return cli_usage_error(err, "run",
				       "--oci-store-user requires being run "
				       "with sudo, not as root directly "
				       "($SUDO_USER names no user)");
	if (runner_user_store_dir(who, f->user_store_dir,
				  sizeof(f->user_store_dir), err)) {
		error_prefix(err, "--oci-store-user");
		return EXIT_FAIL;
	}
	/* a store the user made: opening it makes nothing */
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", f->user_store_dir,
			 need[i]);
		if (stat(path, &st) < 0)
			return cli_error(err, EXIT_FAIL,
					 "--oci-store-user requires %s's store "
					 "(%s) to already exist: %s: %s (build "
					 "or pull the image as %s first)",
					 who, f->user_store_dir, need[i],
					 strerror(errno), who);
	}
	f->store = f->user_store_dir;
	f->policy = OCI_PULL_NEVER;
	f->user_store = true;
	return EXIT_OK;
}

/* Whether source_flags() takes flag c (the getopt pass leaves it). */
static bool source_flag(int c)
{
	return c == CLI_OPT_STORE || c == OPT_PULL || c == RM_OPT_ANNOTATE ||
	       c == CLI_OPT_AUTHFILE || c == CLI_OPT_INSECURE ||
	       c == CLI_OPT_CERT_DIR || c == OPT_ENV_VARS;
}

/* Whether argv[i] is one of the manifest's flags (-f). */
static bool from_manifest(const struct run_flags *f, int i)
{
	return i > f->n_cfg && i <= f->n_cfg + f->n_man;
}

/* rc, after *err says where argv[i] came from if ig's configuration set
 * it (config_run_args() put those first). */
static int blame(const struct run_flags *f, int i, char **argv, int rc,
		 struct error **err)
{
	if (i <= f->n_cfg)
		config_blame(argv[i], err);
	else
		manifest_blame(argv[i], err);
	return rc;
}

/*
 * blame() for a value a flag stored and a later check refused: the word
 * of argv val points into (the configuration's and the manifest's are
 * one "--flag=value" each).  A value not in argv (a bool flag alone) is
 * the command line's.
 */
static int blame_value(const struct run_flags *f, int argc, char **argv,
		       const char *val, int rc, struct error **err)
{
	uintptr_t v = (uintptr_t)val;

	for (int i = 1; val && i < argc && i <= f->n_cfg + f->n_man; i++)
		if (v >= (uintptr_t)argv[i] &&
		    v <= (uintptr_t)argv[i] + strlen(argv[i]))
			return blame(f, i, argv, rc, err);
	return rc;
}

/*
 * A first pass for where the image comes from (--store, --pull and the
 * registry flags): the image then decides which other flags exist.
 */
static int source_flags(int argc, char **argv, struct run_flags *f,
			struct error **err)
{
	const struct option *o;
	const char *val;
	bool store_user = false;
	int i, rc = EXIT_OK;

	if (cli_registry_opts_init(&f->ro, err))
		return EXIT_USAGE;
	for (i = 1; i < argc; i++) {
		if ((cli_bool_word(argv[i], "oci-store-user", &store_user, &rc,
				   err) ||
		     param_bool_word(f->files, argv[i], "disallow-pulling",
				     &f->ro.no_pull, &rc, err)) &&
		    rc)
			return blame(f, i, argv, rc, err);
		for (o = base_opts; o < base_opts + N_BASE_OPTS; o++) {
			if (o->has_arg != required_argument ||
			    !cli_flag_word(argv[i], o->name, &val))
				continue;
			if (!val && i + 1 >= argc)
				continue;
			if (!val)
				val = argv[i + 1];
			if (!source_flag(o->val))
				continue;
			/* ig's params, but --store and --cert-dir (the
			 * runner's own) */
			if (o->val != CLI_OPT_STORE &&
			    o->val != CLI_OPT_CERT_DIR)
				rc = param_file(f->files, o->name, &val, err);
			if (rc)
				return blame(f, i, argv, rc, err);
			if (o->val == CLI_OPT_STORE)
				f->store = val;
			else if (o->val == OPT_ENV_VARS)
				f->env_vars = val;
			else if (o->val == RM_OPT_ANNOTATE &&
				 run_metrics_option(&f->rm, o->val, val, err))
				/* needed before the fields */
				return blame(f, i, argv, EXIT_USAGE, err);
			else if (o->val == OPT_PULL &&
				 oci_pull_policy_parse(val, &f->policy, err))
				return blame(f, i, argv, EXIT_USAGE, err);
			else if (o->val == OPT_PULL)
				f->pull_given = true;
			else
				cli_registry_option(&f->ro, o->val, val);
		}
	}
	if (store_user) {
		rc = oci_store_user(f, err);
		if (rc)
			return rc;
	}
	rc = cli_registry_opts_check(&f->ro, false, err);
	return rc ? blame_value(f, argc, argv, f->ro.authfile, rc, err) : rc;
}

/* --ring-size: N, NK or NM bytes, a power of 2 from 4K to 1G. */
static int parse_size(const char *what, const char *arg, unsigned long *out,
		      struct error **err)
{
	unsigned long v, unit = 1;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (*end == 'K' || *end == 'k')
		unit = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		unit = 1024 * 1024, end++;
	if (!isdigit((unsigned char)*arg) || *end || errno || !v ||
	    v > (1UL << 30) / unit || (v * unit) & (v * unit - 1) ||
	    v * unit < 4096)
		return cli_error(err, EXIT_USAGE,
				 "invalid %s '%s': want a power of 2 from 4K "
				 "to 1024M",
				 what, arg);
	*out = v * unit;
	return EXIT_OK;
}

/* -F or (expr) -E, to data source ds (--filter.DS), -1: to every one. */
static int add_filter(struct run_flags *f, bool expr, int ds, const char *arg,
		      struct error **err)
{
	size_t *n = expr ? &f->n_exprs : &f->n_filters;

	if (*n == MAX_FILTERS)
		return cli_error(err, EXIT_USAGE, "more than %d %s",
				 MAX_FILTERS,
				 expr ? "filter expressions" : "filters");
	(expr ? f->expr_ds : f->filter_ds)[*n] = ds;
	(expr ? f->exprs : f->filters)[(*n)++] = arg;
	return EXIT_OK;
}

/*
 * Whether the getopt pass reads "@FILE" for flag c, as ig's params: `ig
 * run` registers every param, the gadget's and its operators', through
 * AddOCIFlags() (cmd/common/oci.go).  Not: ig's plain flags (-t,
 * --oci-store-user, --config, -v, -h), the runner's own (--max-events,
 * --ring-size, --nice, --k8s, --otel-metrics-max-series), and those the
 * first passes take (source_flags(), run_trust_scan()).
 */
static bool param_flag(int c)
{
	switch (c) {
	case 'o':
	case 'F':
	case 'E':
	case 'c':
	case 'r':
	case OPT_FIELDS:
	case OPT_CONTAINERD_NS:
	case OPT_HOST:
	case OPT_TRACE_PIPE:
	case OPT_K8S_NAMESPACE ... OPT_K8S_LAST:
	case OPT_IMAGE ... OPT_IMAGE_LAST:
	case RM_OPT_LISTEN:
	case RM_OPT_ADDRESS:
	case RM_OPT_NAME:
	case RM_OPT_PRINT_INTERVAL:
		return true;
	default: /* --filter.DS, --filter-expr.DS, the gadget's (--sort...) */
		return (c >= OPT_DS_FILTER &&
			c < OPT_DS_FILTER + 2 * MAX_DS_FLAGS) ||
		       (c >= OPT_PARAM && c < OPT_PARAM + MAX_GADGET_FLAGS);
	}
}

/* The name of flag c, ig's key for its param: the first one of opts. */
static const char *flag_name(const struct option *opts, int c)
{
	for (; opts->name; opts++)
		if (opts->val == c)
			return opts->name;
	return "?";
}

/* One flag of the second pass (c is what getopt_long returned). */
static int run_flag(struct run_flags *f, size_t n_params, int c,
		    const char *arg, struct error **err)
{
	switch (c) {
	case 'o': /* checked by session_set_output() */
		f->output = arg;
		return EXIT_OK;
	case OPT_FIELDS:
		f->fields = arg;
		return EXIT_OK;
	case 'c': /* checked by session_select_containers() */
		f->containers = arg;
		return EXIT_OK;
	case 'r':
		f->runtimes = arg;
		f->runtimes_cfg = f->cfg_arg;
		return cli_check_runtimes(arg, err);
	case OPT_CONTAINERD_NS:
		f->containerd_ns = arg;
		f->containerd_ns_cfg = f->cfg_arg;
		return cli_check_containerd_ns(arg, err);
	case 'F':
		return add_filter(f, false, -1, arg, err);
	case 'E':
		return add_filter(f, true, -1, arg, err);
	case 't': /* 0: none, as in ig */
		return parse_ulong("--timeout", arg, 0, 0, 31536000,
				   &f->timeout, err) ?
			       EXIT_USAGE :
			       EXIT_OK;
	case OPT_MAX_EVENTS:
		return parse_ulong("--max-events", arg, 0, 1, ~0UL,
				   &f->max_events, err) ?
			       EXIT_USAGE :
			       EXIT_OK;
	case OPT_RING_SIZE:
		return parse_size("--ring-size", arg, &f->ring_size, err);
	case OPT_NICE: {
		long long v; /* an int flag, as pflag reads one */

		if (!go_parse_int(arg, 0, &v) || v < -20 || v > 19)
			return cli_error(err, EXIT_USAGE,
					 "--nice %s: want -20 to 19", arg);
		f->nice = (int)v;
		return EXIT_OK;
	}
	case 'h':
		f->help = true;
		return EXIT_OK;
	case 'f': /* taken before: run_configured() */
		return EXIT_OK;
	case 'v': { /* applied before: verbose() */
		bool on;

		return cli_bool_flag(NULL, "verbose", arg, &on, err);
	}
	case OPT_K8S:
		f->k8s = true;
		return EXIT_OK;
	case OPT_TRACE_PIPE:
		return cli_param_bool_flag("trace-pipe", arg, &f->trace_pipe,
					   err);
	case OPT_HOST: /* the host's events are shown unless --host=false */
		if (cli_param_bool_flag("host", arg, &f->no_host, err))
			return EXIT_USAGE;
		f->no_host = !f->no_host;
		f->host = !f->no_host;
		f->host_arg = arg;
		return EXIT_OK;
	case OPT_K8S_NAMESPACE ... OPT_K8S_LAST:
		f->pods[c - OPT_K8S_NAMESPACE] = arg;
		return EXIT_OK;
	case OPT_IMAGE ... OPT_IMAGE_LAST: /* checked by session_select_images() */
		f->images[c - OPT_IMAGE] = arg;
		return EXIT_OK;
	case CLI_OPT_STORE: /* applied in the first pass */
	case OPT_ENV_VARS:
	case OPT_PULL:
	case OPT_DISALLOW_PULLING:
	case OPT_OCI_STORE_USER:
	case OPT_CONFIG:
	case CLI_OPT_AUTHFILE:
	case CLI_OPT_INSECURE:
	case CLI_OPT_CERT_DIR:
	case RUN_OPT_VERIFY_IMAGE: /* read by run_trust_scan() */
	case RUN_OPT_PUBLIC_KEYS:
	case RUN_OPT_ALLOWED_GADGETS:
		return EXIT_OK;
	default:
		if (c >= OPT_PARAM && c < OPT_PARAM + (int)n_params) {
			f->param_vals[c - OPT_PARAM] = arg ? arg : "true";
			return EXIT_OK;
		}
		if (c >= OPT_DS_FILTER && c < OPT_DS_FILTER + 2 * MAX_DS_FLAGS)
			return add_filter(f, (c - OPT_DS_FILTER) & 1,
					  (c - OPT_DS_FILTER) / 2, arg, err);
		if (c == RM_OPT_ANNOTATE) /* applied in the first pass */
			return EXIT_OK;
		if (c >= RM_OPT_LISTEN && c < RM_OPT_ANNOTATE)
			return run_metrics_option(&f->rm, c, arg, err);
		return EXIT_USAGE; /* getopt said what was wrong */
	}
}

/*
 * The long option getopt_long() just returned as it was written, when that
 * is an abbreviation, else NULL.  getopt_long() takes "--sto" for --store,
 * which the first passes (source_flags(), run_trust_scan()) read by full
 * names only: it would be accepted and ignored.  ig takes none either.
 */
static const char *abbreviated(char **argv, const struct option *o)
{
	/* the flag, or its value when that is the next argument */
	const char *a = argv[optind - 1];
	size_t n = strlen(o->name);

	if (optarg == a)
		a = argv[optind - 2];
	if (!strncmp(a, "--", 2) && !strncmp(a + 2, o->name, n) &&
	    (!a[2 + n] || a[2 + n] == '='))
		return NULL;
	return a;
}

static bool is_bool_word(const char *s)
{
	return !strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "1") ||
	       !strcmp(s, "0");
}

/*
 * ig's flags of array data sources (--sort, ...) and of tc classifiers
 * (--iface) are the gadget's only when it has such a data source or
 * program, as in ig: for another gadget, the next option getopt_long()
 * reads (from optind) named so, else NULL.
 */
static const char *array_flag_missing(int argc, char **argv,
				      const struct option *opts)
{
	static const char *const names[] = { "sort", "max-entries",
					     "map-fetch-interval",
					     "map-fetch-count", "iface" };
	const char *a = NULL;
	size_t i, n;
	int j;

	for (j = optind; j < argc && !a; j++)
		if (!strcmp(argv[j], "--"))
			return NULL;
		else if (!strncmp(argv[j], "--", 2))
			a = argv[j] + 2;
		else if (argv[j][0] == '-' && argv[j][1])
			return NULL;
	if (!a)
		return NULL;
	n = strcspn(a, "=");
	for (i = 0; opts[i].name; i++)
		if (strlen(opts[i].name) == n && !strncmp(opts[i].name, a, n))
			return NULL;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !strncmp(names[i], a, n))
			return names[i];
	return NULL;
}

/*
 * ig's --filter.DS and --filter-expr.DS for every data source DS, into
 * opts; the names (*names, to free with free_names()) and how many.
 */
static size_t ds_filter_opts(const struct session *s, struct option *opts,
			     char **names)
{
	size_t n = session_source_count(s), k = 0;

	for (size_t i = 0; i < n && i < MAX_DS_FLAGS; i++)
		for (int e = 0; e < 2; e++) {
			if (asprintf(&names[k], "filter%s.%s", e ? "-expr" : "",
				     session_source_name(s, i)) < 0)
				return k;
			opts[k] = (struct option){ names[k], required_argument,
						   NULL,
						   OPT_DS_FILTER + 2 * (int)i +
							   e };
			k++;
		}
	return k;
}

static void free_names(char **names, size_t n)
{
	while (n)
		free(names[--n]);
}

/* kubectl gadget's short flags that ig (and the runner) spell in full,
 * as the reference guide uses them: what to write instead, else NULL. */
static const char *kubectl_flag(int c)
{
	switch (c) {
	case 'n':
		return "--k8s-namespace";
	case 'p':
		return "--k8s-podname";
	case 'l':
		return "--k8s-selector";
	case 'A':
		return "every namespace is the default";
	default:
		return NULL;
	}
}

/* The getopt_long() loop of parse_flags(). */
static int parse_opts(int argc, char **argv, const struct option *opts,
		      size_t n_params, struct run_flags *f, struct error **err)
{
	const char *arg;
	int c, rc, li = -1;

	optind = 1;
	opterr = 0;
	for (;;) {
		const char *missing = array_flag_missing(argc, argv, opts);

		if (missing && !from_manifest(f, optind))
			return cli_error(err, EXIT_USAGE,
					 "--%s: %s has no %s (ig's --%s is for "
					 "those only)",
					 missing, f->image,
					 !strcmp(missing, "iface") ?
						 "tc classifier" :
					 strncmp(missing, "map-", 4) ?
						 "snapshot or map iterator" :
						 "map iterator",
					 missing);
		if (missing && from_manifest(f, optind)) {
			optind++; /* ig's sort operator: not for this gadget */
			continue;
		}
		c = getopt_long(argc, argv, RUN_SHORT_OPTS, opts, &li);
		if (c == -1)
			break;
		/* a param of the manifest that this gadget does not have */
		if (c == '?' && from_manifest(f, optind - 1))
			continue;
		if (c == '?' || c == ':') {
			cleanup_free char *path = NULL;

			if (asprintf(&path, "run %s", f->image) < 0)
				return cli_error(err, EXIT_FAIL,
						 "out of memory");
			if (c == '?' && kubectl_flag(optopt))
				return cli_usage_error(
					err, path,
					"unknown flag '-%c': kubectl gadget's, "
					"%s here",
					optopt, kubectl_flag(optopt));
			return cli_flag_error(err, path, argv, c);
		}
		const char *abbr = li >= 0 ? abbreviated(argv, &opts[li]) :
					     NULL;

		if (abbr && from_manifest(f, optind - 1))
			continue; /* not a param of this gadget's */
		if (abbr) {
			/* named as cli_flag_error() names the others */
			error_set(err, 0,
				  "run %s: unknown flag '%.*s': flags are "
				  "spelled in full (--%s)",
				  f->image, (int)strcspn(abbr, "="), abbr,
				  opts[li].name);
			return EXIT_USAGE;
		}
		li = -1;
		/* "--bool true" and "--bool false" as before */
		if (c >= OPT_PARAM && !optarg && optind < argc &&
		    is_bool_word(argv[optind]))
			optarg = argv[optind++];
		/* those come first, as one "--flag=value" each */
		f->cfg_arg = optind - 1 <= f->n_cfg;
		arg = optarg;
		rc = param_flag(c) ? param_file(f->files, flag_name(opts, c),
						&arg, err) :
				     EXIT_OK;
		if (!rc)
			rc = run_flag(f, n_params, c, arg, err);
		if (rc && f->cfg_arg)
			config_blame(argv[optind - 1], err);
		else if (rc)
			manifest_blame(argv[optind - 1], err);
		if (rc)
			return rc;
	}
	if (optind < argc && strcmp(argv[optind], f->image))
		return cli_error(err, EXIT_USAGE, "unexpected argument '%s'",
				 argv[optind]);
	if (optind + 1 < argc)
		return cli_error(err, EXIT_USAGE, "unexpected argument '%s'",
				 argv[optind + 1]);
	return EXIT_OK;
}

/* Every flag, the gadget's params among them. */
static int parse_flags(int argc, char **argv, const struct session *s,
		       struct run_flags *f, struct error **err)
{
	struct option
		opts[N_BASE_OPTS + MAX_GADGET_FLAGS + 2 * MAX_DS_FLAGS + 1];
	char *names[2 * MAX_DS_FLAGS];
	size_t i, n_params = session_param_count(s), n_ds;
	int rc;

	if (n_params > MAX_GADGET_FLAGS)
		return cli_error(err, EXIT_FAIL,
				 "run %s: too many params (%zu)", f->image,
				 n_params);
	memcpy(opts, base_opts, sizeof(base_opts));
	for (i = 0; i < n_params; i++) {
		const char *key, *desc, *def;

		session_param_info(s, i, &key, &desc, &def);
		/* a bool alone is true, as in ig */
		opts[N_BASE_OPTS + i] =
			(struct option){ key,
					 session_param_is_bool(s, i) ?
						 optional_argument :
						 required_argument,
					 NULL, OPT_PARAM + (int)i };
	}
	n_ds = ds_filter_opts(s, opts + N_BASE_OPTS + n_params, names);
	opts[N_BASE_OPTS + n_params + n_ds] = (struct option){ 0 };
	rc = parse_opts(argc, argv, opts, n_params, f, err);
	free_names(names, n_ds);
	return rc;
}

/* Params, fields and filters into the session: usage errors. */
/*
 * Whether a container flag the session refused (it has no containers) is
 * an error: the command line's is; the configuration's is ig's global
 * param, which such a gadget ignores, as ig does (*err dropped).
 */
static bool refused(bool from_config, struct error **err)
{
	if (!from_config)
		return true;
	error_free(*err);
	*err = NULL;
	return false;
}

static int apply_flags(struct session *s, const struct run_flags *f, int argc,
		       char **argv, struct error **err)
{
	const char *bad = NULL; /* the value refused */
	size_t i;

	for (i = 0; i < session_param_count(s) && !bad; i++)
		if (f->param_vals[i] &&
		    session_param_set(s, i, f->param_vals[i], err))
			bad = f->param_vals[i];
	if (bad)
		goto refused;
	if (f->k8s)
		session_set_kubernetes(s);
	if (f->trace_pipe)
		session_set_trace_pipe(s);
	if (f->ring_size &&
	    session_set_ring_size(s, (unsigned int)f->ring_size, err))
		return EXIT_USAGE;
	/* ig's --host beside a selection: before it */
	if (f->host)
		session_show_host(s);
	for (i = 0; i <= K8S_SELECT_LABELS && !bad; i++)
		if (f->pods[i] &&
		    session_select_pods(s, (int)i, f->pods[i], err))
			bad = f->pods[i];
	if (bad)
		goto refused;
	if (f->runtimes && session_select_runtimes(s, f->runtimes, err) &&
	    refused(f->runtimes_cfg, err)) {
		bad = f->runtimes;
		goto refused;
	}
	if (f->containerd_ns &&
	    session_set_containerd_ns(s, f->containerd_ns, err) &&
	    refused(f->containerd_ns_cfg, err)) {
		bad = f->containerd_ns;
		goto refused;
	}
	if (f->containers && session_select_containers(s, f->containers, err)) {
		bad = f->containers;
		goto refused;
	}
	for (i = 0; i <= IMAGE_SELECT_DIGEST && !bad; i++)
		if (f->images[i] &&
		    session_select_images(s, (int)i, f->images[i], err))
			bad = f->images[i];
	if (bad)
		goto refused;
	/* as ig without --host: the events of containers only */
	if (f->no_host && session_containers_only(s, err)) {
		error_prefix(err, "--host=false (containers' events only)");
		bad = f->host_arg;
		goto refused;
	}
	if (f->fields && session_select_fields(s, f->fields, err)) {
		bad = f->fields;
		goto refused;
	}
	if (session_set_output(s, f->output, err)) {
		error_prefix(err, "-o");
		bad = f->output;
		goto refused;
	}
	for (i = 0; i < f->n_filters && !bad; i++)
		if (f->filter_ds[i] < 0 ?
			    session_add_filter(s, f->filters[i], err) :
			    session_add_filter_to(s, (size_t)f->filter_ds[i],
						  f->filters[i], err))
			bad = f->filters[i];
	for (i = 0; i < f->n_exprs && !bad; i++)
		if (f->expr_ds[i] < 0 ?
			    session_add_filter_expr(s, f->exprs[i], err) :
			    session_add_filter_expr_to(s, (size_t)f->expr_ds[i],
						       f->exprs[i], err))
			bad = f->exprs[i];
	if (!bad)
		return EXIT_OK;
refused: /* named by the manifest's or the configuration's key */
	return blame_value(f, argc, argv, bad, EXIT_USAGE, err);
}

static void print_gadget_help(const struct session *s)
{
	size_t i;

	usage(stdout);
	printf("\nGADGET FLAGS\n");
	for (i = 0; i < session_param_count(s); i++) {
		const char *key, *desc, *def;

		session_param_info(s, i, &key, &desc, &def);
		/* from gadget.yaml: escaped for the terminal */
		cleanup_free char *k = term_escaped(key, 0);
		cleanup_free char *d = term_escaped(desc, 0);
		cleanup_free char *v = def ? term_escaped(def, 0) : NULL;

		printf("      --%-20s %s", k ? k : "", d ? d : "");
		if (v)
			printf(" (default %s)", v);
		putchar('\n');
	}
	session_describe_modes(s, stdout);
	session_describe(s, stdout);
}

/* What a run command line opens, from its trust flags to its session. */
struct run_image {
	struct run_trust trust;
	struct oci_store *store;
	struct oci_gadget *img;
	struct gadget_metadata *md;
	struct session *s;
};

static void run_image_close(struct run_image *ri)
{
	session_free(ri->s);
	metadata_free(ri->md);
	oci_gadget_free(ri->img);
	run_trust_clear(&ri->trust);
	oci_store_free(ri->store);
}

/* ref as a user writes it: without the default prefix and ":latest". */
static char *short_ref(const char *ref)
{
	const char *prefix = runner_default_prefix();
	size_t plen, n;

	if (!prefix)
		prefix = OCI_DEFAULT_PREFIX;
	plen = strlen(prefix);
	if (!strncmp(ref, prefix, plen) && ref[plen])
		ref += plen;
	n = strlen(ref);
	if (n > 7 && !strcmp(ref + n - 7, ":latest") && !strchr(ref, '@'))
		n -= 7;
	return strndup(ref, n);
}

/* Edits (insert, delete, change, swap two neighbours) from a to b, up to
 * 3 (a longer answer is 3). */
static size_t edits(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[3][64 + 1];

	if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > 2)
		return strcmp(a, b) ? 3 : 0;
	for (i = 0; i <= la; i++)
		for (j = 0; j <= lb; j++) {
			size_t v = i > j ? i : j, c;

			if (i && j) {
				c = d[(i - 1) % 3][j - 1] +
				    (a[i - 1] != b[j - 1]);
				v = d[(i - 1) % 3][j] + 1;
				if (d[i % 3][j - 1] + 1 < v)
					v = d[i % 3][j - 1] + 1;
				if (c < v)
					v = c;
				if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
				    a[i - 2] == b[j - 1] &&
				    d[(i - 2) % 3][j - 2] + 1 < v)
					v = d[(i - 2) % 3][j - 2] + 1;
			}
			d[i % 3][j] = v;
		}
	return d[la % 3][lb] < 3 ? d[la % 3][lb] : 3;
}

/* The length of ref's repository (before its tag). */
static size_t repo_len(const char *ref)
{
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');

	return colon && (!slash || colon > slash) ? (size_t)(colon - ref) :
						    strlen(ref);
}

/* The stored image the user most likely meant by ref: a name at most two
 * edits away, or the same name with another tag; NULL: none. */
static char *nearest_stored(struct oci_store *store, const char *ref)
{
	cleanup_error struct error *e = NULL;
	cleanup_free char *want = short_ref(ref);
	struct oci_store_entry *ents = NULL;
	char *best = NULL;
	size_t n = 0, best_d = 3, i;

	if (!want || oci_store_index(store, &ents, &n, &e))
		return NULL;
	for (i = 0; i < n; i++) {
		cleanup_free char *have = NULL;
		size_t d;

		if (!ents[i].ref || oci_is_signature_ref(ents[i].ref) ||
		    !(have = short_ref(ents[i].ref)))
			continue;
		d = edits(want, have);
		/* trace_dns:v2 for trace_dns (:latest), or the reverse */
		if (d == 3 && repo_len(want) == repo_len(have) &&
		    !strncmp(want, have, repo_len(want)))
			d = 2;
		if (d < best_d) {
			free(best);
			best = steal_ptr(have);
			best_d = d;
		}
	}
	oci_store_entries_free(ents, n);
	return best;
}

/*
 * An image that is not stored and could not be had: say so, and what to
 * do (the stored image whose name is closest, or how to make one).
 */
static void explain_missing(struct oci_store *store, const char *ref,
			    const char *typed, const struct run_flags *f,
			    struct error **err)
{
	struct oci_descriptor *d = NULL;
	cleanup_error struct error *e = NULL;
	cleanup_free char *near = NULL, *msg = NULL;
	int errnum;

	if (!*err || f->policy == OCI_PULL_ALWAYS)
		return;
	if (!oci_store_resolve(store, ref, &d, &e)) {
		oci_descriptor_free(d);
		return;
	}
	if (!e || e->errnum != ENOENT) /* a store it cannot read */
		return;
	if (f->policy == OCI_PULL_MISSING && !f->ro.no_pull)
		error_prefix(err, "not in store %s", oci_store_dir(store));
	near = nearest_stored(store, ref);
	msg = strdup(error_msg(*err));
	if (!msg)
		return;
	errnum = error_errnum(*err);
	error_free(*err);
	*err = NULL;
	if (near)
		error_set(err, 0,
			  "%s; did you mean %s? (`runner image list` lists "
			  "the stored images)",
			  msg, near);
	else
		error_set(err, 0,
			  "%s; build it from its folder with `runner image "
			  "build FOLDER -t %s` (runner's source has gadget/ "
			  "and examples/)",
			  msg, typed);
	if (*err)
		(*err)->errnum = errnum;
}

/*
 * The image, from the store or its registry, as the flags say, into ri's
 * store, img and md.  Nothing of it is read before it is trusted (a pull
 * it fails leaves the store as it was); then it is read by the digest
 * that was checked.
 */
static int open_image(const struct run_flags *f, const char *refstr, bool help,
		      struct run_image *ri, struct error **err)
{
	struct run_trust *trust = &ri->trust;
	struct oci_descriptor *d = NULL;
	struct oci_pull_check check = { run_trust_check, trust,
					!trust->verify };
	cleanup_free char *digest = NULL;
	const char *dir = runner_store_dir(f->store);
	int rc;

	/* a user's store (--oci-store-user) is only read: root makes
	 * nothing in a folder the user can write */
	rc = f->user_store ? oci_store_open_existing(dir, &ri->store, err) :
			     oci_store_open(dir, &ri->store, err);
	if (rc) {
		/* a user who could not run it anyway (a store he may not
		 * create): that first */
		struct error *e = NULL;

		if (!help && session_check_privileges(&e)) {
			error_free(*err);
			*err = e;
		}
		return -1;
	}
	trust->store = ri->store;
	trust->image = f->image;
	trust->ref = refstr;
	/* a pull for a run that cannot load: the privileges first */
	if (!help &&
	    (f->policy == OCI_PULL_ALWAYS ||
	     oci_store_resolve(ri->store, refstr, &d, NULL)) &&
	    session_check_privileges(err))
		return -1;
	oci_descriptor_free(d);
	rc = oci_ensure_gadget_checked(ri->store, refstr, f->policy, &f->ro,
				       &check, &digest, err);
	cli_progress_end(); /* a pull's, before the events or an error */
	if (rc)
		explain_missing(ri->store, refstr, f->image, f, err);
	if (rc || oci_store_get_gadget(ri->store, digest, NULL, &ri->img, err))
		return -1;
	if (ri->img->wasm)
		runner_msg(0, "note: the image's WebAssembly module is not run "
			      "(no WebAssembly runtime here): what it would do "
			      "to the events is not done");
	return metadata_parse(ri->img->config, ri->img->config_len,
			      "gadget.yaml", &ri->md, err);
}

/* Load, attach and stream until a limit or a signal. */
static int trace(struct session *s, const struct run_flags *f,
		 struct error **err)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct session_limits lim = {
		.timeout_s = f->timeout,
		.max_events = f->max_events,
		.stop = &stop_signal,
	};

	sigaction(SIGALRM, &sa, NULL); /* --timeout, below */
	signal(SIGPIPE, SIG_IGN);
	/* stopped while loading: nothing attached, nothing to stream */
	if (stop_signal)
		return 0;
	/* $COLUMNS: the width to fit in a terminal; in a pipe nothing is
	 * fitted, as ig's columns formatter scales to a terminal only */
	if (isatty(STDOUT_FILENO)) {
		const char *cols = getenv("COLUMNS");
		unsigned long long w;

		if (cols && go_parse_uint(cols, 10, &w) && w > 0 && w <= 100000)
			session_set_term_width(s, (int)w);
	}
	if (session_start(s, STDOUT_FILENO, err))
		return -1;
	/* Raised while a ring fills, so that the reader is scheduled before
	 * it overflows on a busy machine. */
	session_set_lag_nice(s, f->nice);
	write_ready_file();
	engine_step("ready");
	/* the start's heap not used now (RUN_HEAP, the BTFs libbpf parsed) */
	malloc_trim(0);
	/* the session keeps the time itself; the alarm interrupts a write
	 * that waits for a reader who stopped reading (the header's first:
	 * session_run() writes it) */
	if (f->timeout)
		alarm((unsigned int)f->timeout);
	return session_run(s, &lim, err);
}

static int run_main(int argc, char **argv, int n_cfg, int n_man,
		    struct param_files *files, struct error **err)
{
	const char *node = getenv("NODE_NAME");
	struct run_flags f = { .nice = RUN_NICE,
			       .policy = OCI_PULL_MISSING,
			       .k8s = node && *node,
			       .n_cfg = n_cfg,
			       .n_man = n_man,
			       .files = files };
	cleanup_free char *refstr = NULL, *name = NULL;
	cleanup_ref struct oci_ref *ref = NULL;
	struct run_image ri = { .trust = { .files = files, .n_cfg = n_cfg } };
	unsigned long long count = 0, lost = 0;
	const char *bad = NULL; /* --annotate's value refused */
	int rc = EXIT_FAIL;
	bool help;

	f.image = find_image(argc, argv);
	help = asks_help(argc, argv);
	if (verbose(argc, argv))
		cli_verbose();
	if (!f.image && help) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!f.image)
		return cli_usage_error(err, "run", "want an IMAGE");
	if (oci_ref_parse(f.image, runner_default_prefix(), &ref, err))
		return EXIT_USAGE;
	refstr = oci_ref_format(ref);
	name = image_name(ref);
	run_metrics_init(&f.rm);
	rc = source_flags(argc, argv, &f, err);
	if (!rc)
		rc = run_trust_scan(&ri.trust, argc, argv, err);
	if (rc)
		return rc;
	/* what a user marked built in a store of the user's is the user's
	 * word, not this machine's */
	ri.trust.not_built_here = f.user_store;
	if (f.user_store) /* ig's, --pull never or not */
		runner_msg(0, "warning: --oci-store-user is set: forcing "
			      "--pull=\"never\"");

	/* before the image, the gadget and their threads (not for --help or
	 * a bad flag) */
	heap_prefault(RUN_HEAP);
	rc = EXIT_FAIL;
	if (open_image(&f, refstr, help, &ri, err))
		goto fail;
	engine_step("image opened");
	rc = run_metrics_annotate(&f.rm, ri.md, &bad, err);
	if (rc) {
		blame_value(&f, argc, argv, bad, rc, err);
		goto out;
	}
	rc = EXIT_FAIL;
	/* the gadget's help loads nothing: no programs ahead, no tracker */
	if (metrics_check_metadata(ri.md, err) ||
	    (help ? session_describe_open(ri.img->program, ri.img->program_len,
					  ri.md, name, f.env_vars, &ri.s, err) :
		    session_open(ri.img->program, ri.img->program_len, ri.md,
				 name, f.env_vars, &ri.s, err)))
		goto fail;
	session_set_docker_root(ri.s, getenv("RUNNER_DOCKER_ROOT"));
	session_set_node(ri.s, getenv("NODE_NAME"));
	rc = parse_flags(argc, argv, ri.s, &f, err);
	/* as ig, whose --help runs nothing: the values are not applied (a
	 * -r on a session that describes has no tracker to take it) */
	if (!rc && !help && !f.help)
		rc = apply_flags(ri.s, &f, argc, argv, err);
	if (rc)
		goto out;
	/* every flag taken: the kernel's work can start (none for a bad
	 * flag, nor for --help) */
	if (!f.help && !help) {
		catch_stop_signals();
		session_load_ahead(ri.s);
	}
	if (f.help || help) {
		print_gadget_help(ri.s);
		goto out;
	}
	if (run_metrics_setup(&f.rm, ri.s, ri.md, err) || trace(ri.s, &f, err))
		goto fail;
	session_stats(ri.s, &count, &lost);
	rc = EXIT_OK;
	goto out;
fail:
	error_prefix(err, "run %s", f.image);
	rc = EXIT_FAIL;
out:
	run_metrics_fini(&f.rm, rc == EXIT_OK && !f.help);
	if (rc == EXIT_OK && !f.help) {
		const char *cname;
		unsigned long long cval;

		fprintf(stderr, "%s: %llu event%s, %llu lost", name, count,
			count == 1 ? "" : "s", lost);
		for (size_t k = 0; !session_counter(ri.s, k, &cname, &cval);
		     k++)
			fprintf(stderr, ", %llu %s", cval, cname);
		fputc('\n', stderr);
	}
	run_image_close(&ri);
	return rc;
}

/*
 * With the flags a manifest (-f) gives, and the flag defaults ig's
 * configuration file and environment give: the command line's flags
 * come last and win, the manifest's beat the configuration's.
 */
static int run_configured(int argc, char **argv, struct error **err)
{
	struct param_files files = { 0 };
	char **args = NULL, **margs = NULL;
	int n_args, n_set, n_man = 0, rc;
	const char *file;

	rc = manifest_take_flag(&argc, argv, RUN_SHORT_OPTS, base_opts, &file,
				err);
	if (rc)
		return rc;
	/* ig's check, before the manifest is read */
	if (file && find_image(argc, argv))
		return cli_error(err, EXIT_USAGE,
				 "please only specify an image OR manifest");
	if (file) {
		rc = manifest_run_args(file, argc, argv, base_opts, &argc,
				       &margs, &n_man, err);
		if (rc)
			return rc;
		argv = margs;
	}
	rc = config_run_args(argc, argv, &n_args, &args, &n_set, err);
	if (!rc)
		rc = run_main(n_args, args, n_set, n_man, &files, err);
	param_files_free(&files);
	config_args_free(args, n_set);
	if (file)
		manifest_args_free(margs, n_man);
	return rc;
}

/*
 * For completion: the gadget flags of the image a `runner run` command
 * line names, read as `runner run IMAGE --help` reads them (the same
 * trust check first), from the store only.
 */
int run_gadget_flags(int argc, char **argv,
		     void (*fn)(void *ctx, const char *flag), void *ctx,
		     struct error **err)
{
	struct param_files files = { 0 };
	struct run_flags f = { .files = &files };
	cleanup_free char *refstr = NULL, *name = NULL;
	cleanup_ref struct oci_ref *ref = NULL;
	struct run_image ri = { .trust = { .files = &files } };
	int rc = -1;

	f.image = find_image(argc, argv);
	if (!f.image ||
	    oci_ref_parse(f.image, runner_default_prefix(), &ref, err) ||
	    source_flags(argc, argv, &f, err) ||
	    run_trust_scan(&ri.trust, argc, argv, err))
		goto out;
	f.policy = OCI_PULL_NEVER;
	refstr = oci_ref_format(ref);
	name = image_name(ref);
	if (!refstr || !name) {
		error_set(err, ENOMEM, "gadget flags");
		goto out;
	}
	if (open_image(&f, refstr, true, &ri, err) ||
	    session_open(ri.img->program, ri.img->program_len, ri.md, name,
			 f.env_vars, &ri.s, err))
		goto out;
	for (size_t i = 0; i < session_param_count(ri.s); i++) {
		const char *key, *desc, *def;

		session_param_info(ri.s, i, &key, &desc, &def);
		fn(ctx, key);
	}
	rc = 0;
out:
	run_image_close(&ri);
	param_files_free(&files);
	return rc;
}

const struct cli_command cmd_run = {
	.name = "run",
	.summary = "run a gadget and print its events",
	/* its flags depend on the image: it parses them itself; the table
	 * tells its own flags and operand to completion */
	.run_argv = run_configured,
	.options = base_opts,
	.min_args = 1,
	.max_args = 1,
	.operands = CLI_OPERAND_IMAGE | CLI_OPERAND_GADGET |
		    CLI_OPERAND_OR_FILE,
};
