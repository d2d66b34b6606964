// SPDX-License-Identifier: Apache-2.0
/*
 * `runner run IMAGE`: find the image, describe its program from BTF and
 * gadget.yaml, turn its params into flags, load and attach it, and stream
 * its events until Ctrl-C, --timeout or --max-events.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "metadata/metadata.h"
#include "oci/ref.h"
#include "oci/store.h"
#include "oci/transfer.h"
#include "runner/cmd_image.h"
#include "runner/cmd_run.h"
#include "runner/common.h"
#include "runner/containers.h"
#include "runner/fields.h"
#include "runner/filter.h"
#include "runner/gadget.h"
#include "runner/output.h"

#define MAX_GADGET_FLAGS 64
#define MAX_FILTERS 32
#define POLL_MS 10

enum {
	OPT_FIELDS = 256,
	OPT_TIMEOUT,
	OPT_MAX_EVENTS,
	OPT_STORE,
	OPT_PULL,
	OPT_PARAM, /* OPT_PARAM + i: gadget param i */
};

static const struct option base_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "filter", required_argument, NULL, 'F' },
	{ "containername", required_argument, NULL, 'c' },
	{ "fields", required_argument, NULL, OPT_FIELDS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "max-events", required_argument, NULL, OPT_MAX_EVENTS },
	{ "store", required_argument, NULL, OPT_STORE },
	{ "pull", required_argument, NULL, OPT_PULL },
	{ "help", no_argument, NULL, 'h' },
	IMAGE_REGISTRY_OPTIONS,
};
#define N_BASE_OPTS (sizeof(base_opts) / sizeof(base_opts[0]))

struct sink {
	struct output *out;
	struct filter *filter;
	struct containers *ctrs; /* NULL without runtime.* fields */
	size_t min_size;
	unsigned long long *count;
	unsigned long long max;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fputs("Usage: runner run IMAGE [flags] [gadget flags]\n"
	      "\n"
	      "Run a gadget from the local store and print its events.\n"
	      "`runner run IMAGE --help` also lists the gadget's own flags\n"
	      "and fields.\n"
	      "\n"
	      "  -o, --output MODE    columns (default), json, jsonpretty, yaml\n"
	      "      --fields LIST    columns to show: a,b replaces; +a,-b edits\n"
	      "  -F, --filter EXPR    field OP value; OP: == != < <= > >= ~ !~\n"
	      "                       (a comma ANDs rules; repeat to AND more)\n"
	      "  -c, --containername NAME\n"
	      "                       only events of this container (podman,\n"
	      "                       docker, containerd, cri-o)\n"
	      "      --timeout SECS   stop after SECS seconds\n"
	      "      --max-events N   stop after N events\n"
	      "      --store DIR      local image store ($RUNNER_STORE)\n"
	      "      --pull POLICY    missing (default), always, never\n" IMAGE_REGISTRY_HELP
	      "  -h, --help           this help\n"
	      "\n"
	      "EXAMPLES\n"
	      "  runner run trace_dns\n"
	      "  runner run trace_dns -o json --timeout 10\n"
	      "  runner run trace_dns --fields src,dst,name,latency_ns\n"
	      "  runner run trace_dns -F qtype==AAAA -F 'name~example\\.com\\.$'\n",
	      f);
}

static bool takes_arg(const char *arg)
{
	size_t i;

	if (!strcmp(arg, "-o") || !strcmp(arg, "-F") || !strcmp(arg, "-c"))
		return true;
	if (strncmp(arg, "--", 2) || strchr(arg, '='))
		return false;
	for (i = 0; i < N_BASE_OPTS; i++)
		if (!strcmp(arg + 2, base_opts[i].name))
			return base_opts[i].has_arg == required_argument;
	return false;
}

/* The image is the first argument that is neither an option nor its value. */
static const char *find_image(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (argv[i][0] != '-')
			return argv[i];
		if (takes_arg(argv[i]))
			i++;
	}
	return NULL;
}

static int on_event(void *ctx, const void *data, size_t size)
{
	struct sink *s = ctx;

	if (size < s->min_size)
		return 0; /* not a record of this tracer's layout */
	/* The exec of this event's process was told before the event. */
	if (s->ctrs)
		containers_poll(s->ctrs);
	if (!filter_match(s->filter, data, size))
		return 0;
	output_event(s->out, data, size);
	if (s->max && ++*s->count >= s->max)
		return -ECANCELED;
	if (!s->max)
		++*s->count;
	return 0;
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The filter params of gadget/filter.h have well-known flags, as in ig,
 * unless the gadget's metadata names them otherwise.
 */
static const struct {
	const char *var, *key, *description;
} well_known[] = {
	{ "targ_pid", "pid", "Show only events of this process id" },
	{ "targ_tid", "tid", "Show only events of this thread id" },
	{ "targ_uid", "uid", "Show only events of this user id" },
	{ "targ_gid", "gid", "Show only events of this group id" },
	{ "targ_comm", "comm", "Show only events of processes with this name" },
};

/* Flag name, description and default of param i (metadata first). */
static void param_info(struct gadget *g, const struct gadget_metadata *md,
		       size_t i, const char **key, const char **desc,
		       const char **def)
{
	const struct gadget_param *p = gadget_param(g, i);
	size_t j;

	*key = p->var;
	*desc = *def = NULL;
	for (j = 0; j < sizeof(well_known) / sizeof(well_known[0]); j++) {
		if (!strcmp(well_known[j].var, p->var)) {
			*key = well_known[j].key;
			*desc = well_known[j].description;
		}
	}
	for (j = 0; md && j < metadata_param_count(md); j++) {
		const struct metadata_param *mp = metadata_param(md, j);

		if (strcmp(mp->var, p->var))
			continue;
		if (mp->key)
			*key = mp->key;
		if (mp->description)
			*desc = mp->description;
		*def = mp->default_value;
	}
}

static const char *param_key(struct gadget *g, const struct gadget_metadata *md,
			     size_t i)
{
	const char *key, *desc, *def;

	param_info(g, md, i, &key, &desc, &def);
	return key;
}

static void print_gadget_help(struct gadget *g,
			      const struct gadget_metadata *md,
			      struct fieldset *const *fss, size_t n_fs)
{
	size_t i;

	usage(stdout);
	printf("\nGADGET FLAGS\n");
	for (i = 0; i < gadget_param_count(g); i++) {
		const char *key, *desc, *def;

		param_info(g, md, i, &key, &desc, &def);
		printf("      --%-20s %s", key, desc ? desc : "");
		if (def)
			printf(" (default %s)", def);
		putchar('\n');
	}
	for (i = 0; i < n_fs; i++) {
		printf("\nFIELDS (%s)\n", gadget_tracer(g, i)->name);
		fflush(stdout);
		fieldset_describe(fss[i], stdout);
	}
}

/* Defaults from gadget.yaml; every param it names must exist. */
static int apply_defaults(struct gadget *g, const struct gadget_metadata *md,
			  struct error **err)
{
	size_t i, j;

	for (j = 0; j < metadata_param_count(md); j++) {
		const struct metadata_param *mp = metadata_param(md, j);
		bool found = false;

		for (i = 0; i < gadget_param_count(g) && !found; i++) {
			if (strcmp(gadget_param(g, i)->var, mp->var))
				continue;
			found = true;
			if (mp->default_value &&
			    gadget_param_set(g, i, mp->default_value, err))
				return error_prefix(err, "gadget.yaml default");
		}
		if (!found)
			return error_set(err, 0,
					 "gadget.yaml param %s has no "
					 "GADGET_PARAM in the program",
					 mp->var);
	}
	return 0;
}

static void write_ready_file(void)
{
	const char *path = getenv("RUNNER_READY_FILE");
	int fd;

	if (!path || !*path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

/* Privileges first, then what the host lacks: one line on stderr for
 * each file system the runner mounted itself. */
static int prepare_host(const struct gadget *g, struct error **err)
{
	struct host_needs needs;
	bool mounted;

	gadget_host_needs(g, &needs);
	if (host_check_caps(&needs, err))
		return -1;
	if (needs.tracefs && host_ensure_tracefs(&mounted, err))
		return -1;
	if (needs.tracefs && mounted)
		runner_msg(EXIT_OK, "mounted tracefs on %s (nothing was there)",
			   HOST_TRACEFS);
	return 0;
}

static char *image_name(const struct oci_ref *ref)
{
	const char *slash = strrchr(ref->repository, '/');

	return strdup(slash ? slash + 1 : ref->repository);
}

int cmd_run(int argc, char **argv)
{
	struct option opts[N_BASE_OPTS + MAX_GADGET_FLAGS + 1];
	const char *image, *store_flag = NULL, *fields = NULL;
	const char *param_vals[MAX_GADGET_FLAGS] = { NULL };
	const char *filters[MAX_FILTERS];
	char cname_rule[300];
	struct containers *ctrs = NULL;
	size_t n_filters = 0;
	cleanup_error struct error *err = NULL;
	cleanup_free char *refstr = NULL, *name = NULL;
	struct fieldset *fss[8] = { NULL };
	struct output *outs[8] = { NULL };
	struct filter *flts[8] = { NULL };
	struct sink sinks[8];
	struct gadget_metadata *md = NULL;
	struct oci_gadget *img = NULL;
	struct oci_store *store = NULL;
	struct oci_ref *ref = NULL;
	struct gadget *g = NULL;
	enum output_mode mode = OUTPUT_COLUMNS;
	enum oci_pull_policy policy = OCI_PULL_MISSING;
	struct oci_registry_opts ro;
	unsigned long timeout = 0, max_events = 0;
	unsigned long long count = 0;
	__u64 lost = 0, lost_seen = 0;
	bool help = false;
	size_t i, j, n_fs = 0, n_params, n_streams = 0;
	double deadline = 0, next_refresh;
	struct sigaction sa = { .sa_handler = on_signal };
	int c, rc = EXIT_FAIL;

	image = find_image(argc, argv);
	for (i = 1; i < (size_t)argc && !image; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_OK;
		}
	if (!image)
		return runner_msg(EXIT_USAGE, "run: want an IMAGE (see `runner "
					      "run --help`)");
	if (oci_ref_parse(image, runner_default_prefix(), &ref, &err)) {
		runner_fail(err);
		return EXIT_USAGE;
	}
	refstr = oci_ref_format(ref);
	name = image_name(ref);

	/* A first pass for where the image comes from: the image then
	 * decides which other flags exist. */
	image_registry_opts_init(&ro);
	for (i = 1; i < (size_t)argc; i++) {
		const struct option *o;
		const char *val;

		for (o = base_opts; o < base_opts + N_BASE_OPTS; o++) {
			size_t len = strlen(o->name);

			if (o->has_arg != required_argument ||
			    strncmp(argv[i], "--", 2) ||
			    strncmp(argv[i] + 2, o->name, len))
				continue;
			if (argv[i][2 + len] == '=')
				val = argv[i] + 3 + len;
			else if (!argv[i][2 + len] && i + 1 < (size_t)argc)
				val = argv[i + 1];
			else
				continue;
			if (o->val == OPT_STORE)
				store_flag = val;
			else if (o->val == OPT_PULL &&
				 oci_pull_policy_parse(val, &policy, &err)) {
				runner_fail(err);
				return EXIT_USAGE;
			} else
				image_registry_option(&ro, o->val, val);
		}
	}
	if (oci_store_open(runner_store_dir(store_flag), &store, &err) ||
	    oci_ensure_gadget(store, refstr, policy, &ro, &err) ||
	    oci_store_get_gadget(store, refstr, NULL, &img, &err))
		goto fail;
	if (metadata_parse(img->config, img->config_len, "gadget.yaml", &md,
			   &err) ||
	    gadget_open(img->program, img->program_len, name, &g, &err) ||
	    apply_defaults(g, md, &err))
		goto fail;

	n_params = gadget_param_count(g);
	if (n_params > MAX_GADGET_FLAGS) {
		error_set(&err, 0, "too many params (%zu)", n_params);
		goto fail;
	}
	memcpy(opts, base_opts, sizeof(base_opts));
	for (i = 0; i < n_params; i++)
		opts[N_BASE_OPTS + i] =
			(struct option){ param_key(g, md, i), required_argument,
					 NULL, OPT_PARAM + (int)i };
	opts[N_BASE_OPTS + n_params] = (struct option){ 0 };

	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "o:F:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (output_mode_parse(optarg, &mode)) {
				rc = runner_msg(
					EXIT_USAGE,
					"invalid output mode '%s': want "
					"columns, json, jsonpretty, yaml",
					optarg);
				goto out;
			}
			break;
		case OPT_FIELDS:
			fields = optarg;
			break;
		case 'c':
			if (strchr(optarg, ',') || strchr(optarg, '\\')) {
				rc = runner_msg(EXIT_USAGE,
						"invalid container name '%s'",
						optarg);
				goto out;
			}
			snprintf(cname_rule, sizeof(cname_rule),
				 "runtime.containerName==%s", optarg);
			optarg = cname_rule;
			/* fall through */
		case 'F':
			if (n_filters == MAX_FILTERS) {
				rc = runner_msg(EXIT_USAGE,
						"more than %d filters",
						MAX_FILTERS);
				goto out;
			}
			filters[n_filters++] = optarg;
			break;
		case OPT_TIMEOUT:
			if (!parse_ulong("--timeout", optarg, 1, 31536000,
					 &timeout)) {
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_MAX_EVENTS:
			if (!parse_ulong("--max-events", optarg, 1, ~0UL,
					 &max_events)) {
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_STORE:
			break;
		case OPT_PULL: /* applied in the first pass */
		case IMAGE_OPT_AUTHFILE:
		case IMAGE_OPT_INSECURE:
		case IMAGE_OPT_CERT_DIR:
			break;
		case 'h':
			help = true;
			break;
		default:
			if (c >= OPT_PARAM && c < OPT_PARAM + (int)n_params) {
				param_vals[c - OPT_PARAM] = optarg;
				break;
			}
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (optind < argc && strcmp(argv[optind], image)) {
		rc = runner_msg(EXIT_USAGE, "unexpected argument '%s'",
				argv[optind]);
		goto out;
	}
	if (optind + 1 < argc) {
		rc = runner_msg(EXIT_USAGE, "unexpected argument '%s'",
				argv[optind + 1]);
		goto out;
	}
	for (i = 0; i < n_params; i++) {
		if (param_vals[i] &&
		    gadget_param_set(g, i, param_vals[i], &err)) {
			error_prefix(&err, "--%s", param_key(g, md, i));
			runner_fail(err);
			rc = EXIT_USAGE;
			goto out;
		}
	}

	n_fs = gadget_tracer_count(g);
	if (n_fs == 0 || n_fs > 8) {
		error_set(&err, 0, "the program declares %zu tracers", n_fs);
		goto fail;
	}
	for (i = 0; i < n_fs; i++) {
		const struct gadget_tracer *t = gadget_tracer(g, i);

		if (fieldset_new(gadget_btf(g), t->type_id, md, t->name,
				 &fss[i], &err))
			goto fail;
		if (fieldset_has_runtime(fss[i]) && !ctrs) {
			ctrs = containers_new("/");
			if (!ctrs) {
				error_set(&err, ENOMEM, "containers");
				goto fail;
			}
		}
		fieldset_set_containers(fss[i], ctrs);
		if (fields && fieldset_select(fss[i], fields, &err)) {
			runner_fail(err);
			rc = EXIT_USAGE;
			goto out;
		}
		for (j = 0; j < n_filters; j++) {
			if (filter_add(&flts[i], fss[i], filters[j], &err)) {
				runner_fail(err);
				rc = EXIT_USAGE;
				goto out;
			}
		}
	}
	if (help) {
		print_gadget_help(g, md, fss, n_fs);
		rc = EXIT_OK;
		goto out;
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (prepare_host(g, &err) || (ctrs && containers_scan(ctrs, &err)) ||
	    gadget_start(g, &err))
		goto fail;
	for (i = 0; i < n_fs; i++) {
		if (output_new(fss[i], mode, STDOUT_FILENO, &outs[i], &err))
			goto fail;
		sinks[i] =
			(struct sink){ .out = outs[i],
				       .filter = flts[i],
				       .ctrs = ctrs,
				       .min_size = fieldset_event_size(fss[i]),
				       .count = &count,
				       .max = max_events };
		output_header(outs[i]);
		if (gadget_tracer(g, i)->snapshot)
			continue;
		n_streams++;
		if (gadget_subscribe(g, i, on_event, &sinks[i], &err))
			goto fail;
		output_flush(outs[i]);
	}
	write_ready_file();
	/* Snapshots print once; a gadget with nothing else is done then. */
	for (i = 0; i < n_fs; i++) {
		if (!gadget_tracer(g, i)->snapshot)
			continue;
		if (gadget_snapshot(g, i, on_event, &sinks[i], &err))
			goto fail;
		output_flush(outs[i]);
	}
	if (!n_streams)
		stop_signal = -1;

	next_refresh = now_mono() + 1;
	if (timeout)
		deadline = now_mono() + timeout;
	while (!stop_signal && !(max_events && count >= max_events)) {
		double now;

		if (ctrs)
			containers_poll(ctrs);
		if (gadget_poll(g, POLL_MS, &err))
			goto fail;
		for (i = 0; i < n_fs; i++)
			if (output_flush(outs[i]) < 0)
				stop_signal = SIGPIPE;
		now = now_mono();
		if (deadline && now >= deadline)
			break;
		if (now < next_refresh)
			continue;
		next_refresh = now + 1;
		if (gadget_refresh(g, &err) ||
		    (ctrs && containers_scan(ctrs, &err)))
			goto fail;
		lost = gadget_lost(g);
		if (lost != lost_seen) {
			runner_msg(0, "lost %llu events (%llu in total)",
				   (unsigned long long)(lost - lost_seen),
				   (unsigned long long)lost);
			lost_seen = lost;
		}
	}
	/* Drain what the kernel already produced, unless a limit was hit. */
	if (!(max_events && count >= max_events) && stop_signal != SIGPIPE &&
	    n_streams)
		gadget_poll(g, 0, NULL);
	lost = gadget_lost(g);
	rc = EXIT_OK;
	goto out;
fail:
	error_prefix(&err, "run %s", image);
	runner_fail(err);
	rc = EXIT_FAIL;
out:
	for (i = 0; i < n_fs; i++)
		output_free(outs[i]);
	if (rc == EXIT_OK && !help)
		fprintf(stderr, "%s: %llu events, %llu lost\n", name, count,
			(unsigned long long)lost);
	for (i = 0; i < n_fs; i++) {
		filter_free(flts[i]);
		fieldset_free(fss[i]);
	}
	gadget_free(g);
	containers_free(ctrs);
	metadata_free(md);
	oci_gadget_free(img);
	oci_store_free(store);
	oci_ref_free(ref);
	return rc;
}
