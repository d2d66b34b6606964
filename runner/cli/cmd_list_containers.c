// SPDX-License-Identifier: Apache-2.0
/*
 * `runner list-containers`: the containers the runner names events by, as
 * `ig list-containers` lists them: the names and ids that -c, runtime.*
 * and k8s.* match in `runner run`, from the same container table
 * (runner/engine/containers.h).  A list reads /proc and the runtimes'
 * state only; --watch also loads the exec hook a run uses, to tell a new
 * container as it starts.  Both list (or tell) a container once what
 * containerd was too busy to tell of it has come (or containerd gave up
 * on it, or on every one held: hold_ends()), as ig lists and tells a
 * container once its enrichers have asked the runtime.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/escape.h"
#include "common/grow.h"
#include "runner/cli/commands.h"
#include "runner/engine/container_select.h"
#include "runner/engine/containers.h"
#include "runner/engine/image_select.h"
#include "runner/engine/k8s_select.h"
#include "runner/engine/name_list.h"
#include "runner/engine/timefmt.h"

enum {
	OPT_WATCH = 'w',
	OPT_TIMEOUT = CLI_OPT_OWN,
	OPT_CONTAINERD_NS,
	OPT_IMAGE, /* ... + enum image_select_key */
	OPT_IMAGE_LAST = OPT_IMAGE + IMAGE_SELECT_DIGEST,
	OPT_K8S_NAMESPACE, /* ... + enum k8s_select_key */
	OPT_K8S_LAST = OPT_K8S_NAMESPACE + K8S_SELECT_CONTAINERNAME,
};

#define MAX_COLUMNS 16
#define NAMES_MAX 32 /* items of a -c or -r list */

/* One container: its first mount namespace's entry, with its process. */
struct row {
	struct container_info info;
	struct container_extra extra;
	unsigned int pid;
	__u64 mntns, netns;
	/* not told (listed, or CREATED) yet, its runtime's answer awaited
	 * (info.later: hold_ends()) */
	bool held;
	unsigned char seen; /* its calls' timeouts counted in st->fails */
};

/* The columns, as ig's container columns name them; watch adds two. */
enum col {
	COL_TIMESTAMP,
	COL_EVENT,
	COL_RUNTIME,
	COL_ID,
	COL_NAME,
	COL_PID,
	COL_IMAGE,
	COL_IMAGE_ID,
	COL_IMAGE_DIGEST,
	COL_STARTED,
	COL_K8S_NAMESPACE,
	COL_K8S_POD,
	COL_K8S_LABELS,
	COL_K8S_CONTAINER,
	COL_MNTNS,
	COL_NETNS,
	COL_HOSTNETWORK,
	N_COLS,
};

static const struct {
	const char *name;
	int width; /* ig's; a longer text widens it */
	bool shown; /* by default (watch adds the first two) */
} cols[N_COLS] = {
	[COL_TIMESTAMP] = { "timestamp", 20, false },
	[COL_EVENT] = { "event", 7, false },
	[COL_RUNTIME] = { "runtime.runtimeName", 19, true },
	[COL_ID] = { "runtime.containerId", 13, true },
	[COL_NAME] = { "runtime.containerName", 30, true },
	[COL_PID] = { "runtime.containerPid", 6, true },
	[COL_IMAGE] = { "runtime.containerImageName", 16, true },
	[COL_IMAGE_ID] = { "runtime.containerImageID", 30, false },
	[COL_IMAGE_DIGEST] = { "runtime.containerImageDigest", 30, false },
	[COL_STARTED] = { "runtime.containerStartedAt", 35, false },
	[COL_K8S_NAMESPACE] = { "k8s.namespace", 30, false },
	[COL_K8S_POD] = { "k8s.podName", 30, false },
	[COL_K8S_LABELS] = { "k8s.labels", 16, false },
	[COL_K8S_CONTAINER] = { "k8s.containerName", 30, false },
	[COL_MNTNS] = { "mntns", 12, false },
	[COL_NETNS] = { "netns", 12, false },
	[COL_HOSTNETWORK] = { "hostNetwork", 11, false },
};

/* --watch: a namespace of a container listed, and what was listed. */
struct live {
	__u64 mntns;
	struct row row;
};

struct lc_state {
	bool json, watch;
	enum col shown[MAX_COLUMNS];
	size_t n_shown; /* 0: the default columns */
	/* -c, --k8s-*, --containerimage-id and -digest, as run's */
	struct container_select sel;
	const char *runtimes; /* -r */
	const char *containerd_ns; /* --containerd-namespace */
	unsigned long timeout;
	/* --watch: the namespaces of the containers listed so far */
	struct live *live;
	size_t n_live, cap_live;
	bool quiet; /* taking in the listed ones */
	/* --watch: the rows just listed, taken in as they are (not read
	 * again) while quiet */
	struct row *listed;
	size_t n_listed;
	bool gone; /* --watch: its reader went away */
	struct timefmt *rfc3339; /* --watch: its events' times */
	struct timefmt *started; /* runtime.containerStartedAt's */
	bool extra; /* the output shows what containers_extra() reads */
	struct containers *ctrs;
	int rc;
	/* containerd's calls for the containers held that timed out in a
	 * row (an answer ends the row); at HOLD_FAILS_MAX, nothing is held
	 * (given_up) until containerd answers again */
	unsigned int fails;
	bool given_up;
};

/* As many as containerd's calls for one container may time out
 * (PODS_TIMEOUTS_MAX): a containerd that answers none holds N containers
 * as long as one, some seconds (its socket's back-off, pod_labels.h). */
#define HOLD_FAILS_MAX PODS_TIMEOUTS_MAX

#define RFC3339 "2006-01-02T15:04:05Z07:00" /* Go's time.RFC3339 */
/* ig's types.Time.String() */
#define STARTED_LAYOUT "2006-01-02T15:04:05.000000000Z07:00"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* fn(ctx, item) for each item of a comma-separated list, until one fails;
 * an empty list or item is a usage error of flag what. */
static int each_item(const char *what, const char *list,
		     int (*fn)(void *ctx, const char *item, struct error **err),
		     void *ctx, struct error **err)
{
	cleanup_free char *copy = strdup(list);
	char *save = NULL, *tok;
	int rc;

	if (!copy)
		return cli_error(err, EXIT_FAIL, "out of memory");
	if (!*list || list[0] == ',' || list[strlen(list) - 1] == ',' ||
	    strstr(list, ",,"))
		return cli_error(err, EXIT_USAGE, "%s: empty item in '%s'",
				 what, list);
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if ((rc = fn(ctx, tok, err)))
			return rc;
	return EXIT_OK;
}

/* One of -o columns=a,b: ig's column names, in any case. */
static int add_column(void *ctx, const char *name, struct error **err)
{
	struct lc_state *st = ctx;
	size_t i;

	for (i = 0; i < N_COLS && strcasecmp(cols[i].name, name); i++)
		;
	if (i == N_COLS)
		return cli_error(err, EXIT_USAGE,
				 "-o columns: unknown column '%s'", name);
	if (st->n_shown == MAX_COLUMNS)
		return cli_error(err, EXIT_USAGE,
				 "-o columns: more than %d columns",
				 MAX_COLUMNS);
	st->shown[st->n_shown++] = (enum col)i;
	return EXIT_OK;
}

static int lc_option(void *state, int opt, const char *arg, struct error **err)
{
	struct lc_state *st = state;

	switch (opt) {
	case 'o':
		st->json = !strcmp(arg, "json");
		st->n_shown = 0;
		if (st->json || !strcmp(arg, "columns"))
			return EXIT_OK;
		if (!strncmp(arg, "columns=", 8))
			return each_item("-o columns", arg + 8, add_column, st,
					 err);
		return cli_error(err, EXIT_USAGE,
				 "invalid output mode '%s': want columns, "
				 "columns=NAME,..., json",
				 arg);
	case OPT_WATCH:
		st->watch = true;
		return EXIT_OK;
	case 'c':
		if (name_list_check(
			    arg, sizeof(((struct container_info *)0)->name) - 1,
			    NAMES_MAX, err)) {
			error_prefix(err, "--containername");
			return EXIT_USAGE;
		}
		free(st->sel.names);
		st->sel.names = strdup(arg);
		return st->sel.names ?
			       EXIT_OK :
			       cli_error(err, EXIT_FAIL,
					 "--containername: out of memory");
	case 'r':
		st->runtimes = arg;
		return cli_check_runtimes(arg, err);
	case OPT_CONTAINERD_NS:
		st->containerd_ns = arg;
		return cli_check_containerd_ns(arg, err);
	case OPT_IMAGE ... OPT_IMAGE_LAST:
		if (!image_select_add(&st->sel.images, opt - OPT_IMAGE, arg,
				      err))
			return EXIT_OK;
		error_prefix(err, "--containerimage-%s",
			     opt == OPT_IMAGE ? "id" : "digest");
		return EXIT_USAGE;
	case OPT_TIMEOUT:
		return parse_ulong("--timeout", arg, 0, 0, 31536000,
				   &st->timeout, err) ?
			       EXIT_USAGE :
			       EXIT_OK;
	case OPT_K8S_NAMESPACE ... OPT_K8S_LAST:
		return k8s_select_add(
			       &st->sel.pods,
			       (enum k8s_select_key)(opt - OPT_K8S_NAMESPACE),
			       arg, err) ?
			       EXIT_USAGE :
			       EXIT_OK;
	}
	return EXIT_USAGE;
}

/* A container (not a CRI pod's sandbox, which ig leaves out too) of a
 * runtime -r names. */
static bool listable(const struct lc_state *st, const struct container_info *ci)
{
	return ci->id[0] && !ci->pod.sandbox &&
	       containers_runtime_wanted(st->ctrs, ci);
}

/* One that the flags select, as they select it in run
 * (container_select_match(), its image id and digest read as it was
 * found: containers_want_images()); nothing selected, every container. */
static bool selected(const struct lc_state *st, const struct container_info *ci)
{
	return listable(st, ci) &&
	       container_select_match(&st->sel, st->ctrs, ci);
}

/*
 * Is ci one to hold, not listed or told until its runtime's answer comes:
 * what containerd did not tell in time when it was found (its pod's
 * labels, its image), asked again at each scan until it answers or its
 * calls for ci have timed out PODS_TIMEOUTS_MAX times (containers.h), or
 * containerd's calls have HOLD_FAILS_MAX times in a row.  ig lists and
 * tells a container once its enrichers have asked the runtime, waiting
 * for the answer.  The flags select it by what it is then.
 */
static bool awaited(const struct lc_state *st, const struct container_info *ci)
{
	return !st->given_up && ci->later && listable(st, ci);
}

/*
 * After a scan: whether held row r is to be told now, ci being what the
 * table has of its container (NULL: gone): once its runtime answered or
 * gave up on it, anyway, or once containerd's calls timed out
 * HOLD_FAILS_MAX times in a row (then nothing is held: given_up).
 */
static bool hold_ends(struct lc_state *st, struct row *r,
		      const struct container_info *ci, bool anyway)
{
	if (ci && ci->timeouts > r->seen) {
		st->fails += ci->timeouts - r->seen;
		r->seen = ci->timeouts;
	}
	if (ci && !ci->later && ci->timeouts < PODS_TIMEOUTS_MAX)
		st->fails = 0; /* containerd answered */
	if (st->fails >= HOLD_FAILS_MAX)
		st->given_up = true;
	return anyway || st->given_up || !ci || !ci->later;
}

/* --- output ------------------------------------------------------------ */

/* "k=v,k=v" as a JSON object. */
static json_t *labels_json(const char *labels)
{
	json_t *o = json_object();
	cleanup_free char *copy = strdup(labels);
	char *save = NULL, *tok;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (eq) {
			*eq = '\0';
			json_object_set_new(o, tok, json_string(eq + 1));
		}
	}
	return o;
}

static void set_str(json_t *o, const char *key, const char *v)
{
	if (v && *v) /* ig: omitempty */
		json_object_set_new(o, key, json_string(v));
}

/* One container, as ig's Container marshals (empty members left out);
 * its OCI config as its bundle holds it now (ctrs; NULL: none). */
static json_t *row_json(struct containers *ctrs, const struct row *r)
{
	cleanup_free char *oci = ctrs ? containers_oci_config(ctrs, &r->extra) :
					NULL;
	const struct pod_info *pod = &r->info.pod;
	json_t *o = json_object(), *rt = json_object(), *k8s = json_object();

	set_str(rt, "runtimeName", r->info.runtime);
	set_str(rt, "containerId", r->info.id);
	set_str(rt, "containerName", r->info.name);
	if (r->pid)
		json_object_set_new(rt, "containerPid", json_integer(r->pid));
	set_str(rt, "containerImageName", r->info.image);
	set_str(rt, "containerImageId", r->info.image_id);
	set_str(rt, "containerImageDigest", r->info.image_digest);
	if (r->extra.started_at)
		json_object_set_new(
			rt, "containerStartedAt",
			json_integer((json_int_t)r->extra.started_at));
	json_object_set_new(o, "runtime", rt);
	set_str(k8s, "namespace", pod->namespace);
	set_str(k8s, "podName", pod->name);
	if (pod->labels[0])
		json_object_set_new(k8s, "podLabels", labels_json(pod->labels));
	set_str(k8s, "containerName", pod->container);
	set_str(k8s, "podUID", pod->uid);
	json_object_set_new(o, "k8s", k8s);
	set_str(o, "ociConfig", oci);
	set_str(o, "bundle", r->extra.bundle);
	set_str(o, "sandboxId", r->extra.sandbox_id);
	if (r->mntns)
		json_object_set_new(o, "mntns",
				    json_integer((json_int_t)r->mntns));
	if (r->netns)
		json_object_set_new(o, "netns",
				    json_integer((json_int_t)r->netns));
	if (pod->hostnetwork)
		json_object_set_new(o, "hostNetwork", json_true());
	set_str(o, "cgroupPath", r->extra.cgroup_path);
	if (r->extra.cgroup_id)
		json_object_set_new(
			o, "cgroupID",
			json_integer((json_int_t)r->extra.cgroup_id));
	set_str(o, "cgroupV1", r->extra.cgroup_v1);
	set_str(o, "cgroupV2", r->extra.cgroup_v2);
	return o;
}

/* Column k of r (event: "CREATED"/"DELETED", ts: its time; watch only). */
static void cell(const struct lc_state *st, const struct row *r, enum col k,
		 const char *event, const char *ts, char *buf, size_t size)
{
	const struct pod_info *pod = &r->info.pod;
	const char *text = "", *colon;

	switch (k) {
	case COL_PID:
		if (r->pid)
			snprintf(buf, size, "%u", r->pid);
		else if (size)
			buf[0] = '\0';
		return;
	case COL_MNTNS:
	case COL_NETNS:
		snprintf(buf, size, "%llu",
			 (unsigned long long)(k == COL_MNTNS ? r->mntns :
							       r->netns));
		return;
	case COL_IMAGE:
		/* an image id, as ig's stringid.TruncateID cuts it: after
		 * the first ':', 12 characters */
		text = r->info.image;
		colon = strchr(text, ':');
		if (strstr(text, "sha256")) {
			snprintf(buf, size, "%.12s", colon ? colon + 1 : text);
			return;
		}
		break;
	case COL_STARTED: /* ig: 1970's for a time not known */
		if (size <= TIMEFMT_TEXT_MAX(sizeof(STARTED_LAYOUT) - 1))
			break;
		buf[timefmt_format(buf, st->started, NULL,
				   (long long)(r->extra.started_at / 1000000000),
				   (long)(r->extra.started_at % 1000000000))] =
			'\0';
		return;
	case COL_IMAGE_ID:
		text = r->info.image_id;
		break;
	case COL_IMAGE_DIGEST:
		text = r->info.image_digest;
		break;
	case COL_TIMESTAMP:
		text = ts ? ts : "";
		break;
	case COL_EVENT:
		text = event ? event : "";
		break;
	case COL_RUNTIME:
		text = r->info.runtime;
		break;
	case COL_ID:
		text = r->info.id;
		break;
	case COL_NAME:
		text = r->info.name;
		break;
	case COL_K8S_NAMESPACE:
		text = pod->namespace;
		break;
	case COL_K8S_POD:
		text = pod->name;
		break;
	case COL_K8S_LABELS:
		text = pod->labels;
		break;
	case COL_K8S_CONTAINER:
		text = pod->container;
		break;
	case COL_HOSTNETWORK:
		text = pod->hostnetwork ? "true" : "false";
		break;
	case N_COLS:
		break;
	}
	snprintf(buf, size, "%s", text);
}

/* The columns to show: -o columns=..., else ig's (watch: two more). */
static size_t shown_columns(const struct lc_state *st, enum col *out)
{
	size_t n = 0;

	if (st->n_shown) {
		memcpy(out, st->shown, st->n_shown * sizeof(*out));
		return st->n_shown;
	}
	if (st->watch) {
		out[n++] = COL_TIMESTAMP;
		out[n++] = COL_EVENT;
	}
	for (size_t k = 0; k < N_COLS; k++)
		if (cols[k].shown)
			out[n++] = (enum col)k;
	return n;
}

static void put_cell(const char *text, int width, bool last)
{
	cleanup_free char *esc = term_escaped(text, 0);
	const char *s = esc ? esc : "";

	fputs(s, stdout);
	if (!last)
		printf("%*s",
		       width > (int)strlen(s) ? width - (int)strlen(s) + 1 : 1,
		       "");
}

static void put_header(const enum col *c, size_t n, const int *width)
{
	for (size_t i = 0; i < n; i++) {
		char up[64];
		size_t j;

		for (j = 0; cols[c[i]].name[j] && j < sizeof(up) - 1; j++)
			up[j] = (char)toupper(
				(unsigned char)cols[c[i]].name[j]);
		up[j] = '\0';
		put_cell(up, width[i], i + 1 == n);
	}
	putchar('\n');
}

/* A table of the rows: each column as wide as its longest text. */
static void print_table(const struct lc_state *st, const struct row *rows,
			size_t n)
{
	enum col c[N_COLS];
	size_t nc = shown_columns(st, c);
	int width[N_COLS];
	char buf[1024];

	for (size_t i = 0; i < nc; i++) {
		width[i] = (int)strlen(cols[c[i]].name);
		for (size_t r = 0; r < n; r++) {
			cell(st, &rows[r], c[i], NULL, NULL, buf, sizeof(buf));
			if ((int)strlen(buf) > width[i])
				width[i] = (int)strlen(buf);
		}
	}
	put_header(c, nc, width);
	for (size_t r = 0; r < n; r++) {
		for (size_t i = 0; i < nc; i++) {
			cell(st, &rows[r], c[i], NULL, NULL, buf, sizeof(buf));
			put_cell(buf, width[i], i + 1 == nc);
		}
		putchar('\n');
	}
}

/* --watch: ig's widths, or the header's (a longer text widens its
 * cell). */
static void watch_widths(const struct lc_state *st, enum col *c, size_t *nc,
			 int *width)
{
	*nc = shown_columns(st, c);
	for (size_t i = 0; i < *nc; i++) {
		int h = (int)strlen(cols[c[i]].name);

		width[i] = cols[c[i]].width > h ? cols[c[i]].width : h;
	}
}

/* --watch: what is printed, out now; a reader gone away (EPIPE) ends the
 * watch, as run ends. */
static void flush_events(struct lc_state *st)
{
	if (fflush(stdout) == EOF && errno == EPIPE) {
		st->gone = true;
		clearerr(stdout);
	}
}

static void print_event(struct lc_state *st, const struct row *r,
			const char *event)
{
	char ts[TIMEFMT_TEXT_MAX(sizeof(RFC3339) - 1) + 1], buf[1024];

	if (st->quiet || st->gone)
		return;
	ts[timefmt_format(ts, st->rfc3339, NULL, time(NULL), 0)] = '\0';
	if (st->json) {
		json_t *o = json_object();

		json_object_set_new(o, "timestamp", json_string(ts));
		json_object_set_new(o, "event", json_string(event));
		json_object_set_new(o, "container", row_json(st->ctrs, r));
		cli_print_json(o, true);
		json_decref(o);
	} else {
		enum col c[N_COLS];
		int width[N_COLS];
		size_t nc;

		watch_widths(st, c, &nc, width);
		for (size_t i = 0; i < nc; i++) {
			cell(st, r, c[i], event, ts, buf, sizeof(buf));
			put_cell(buf, width[i], i + 1 == nc);
		}
		putchar('\n');
	}
	flush_events(st);
}

/* --- the containers ---------------------------------------------------- */

struct collect {
	struct lc_state *st;
	struct containers *ctrs;
	struct row *rows;
	size_t n, cap;
	bool oom;
};

/* Does the output show what containers_extra() reads: JSON all of it,
 * the columns the start time, and the image id and digest unless an
 * image flag had the containers read them (containers_want_images())? */
static bool shows_extra(const struct lc_state *st)
{
	enum col c[N_COLS];
	size_t nc = shown_columns(st, c);

	for (size_t i = 0; i < nc; i++)
		if (c[i] == COL_STARTED ||
		    (!st->sel.images &&
		     (c[i] == COL_IMAGE_ID || c[i] == COL_IMAGE_DIGEST)))
			return true;
	return st->json;
}

/* r of the container ci in namespace mntns, without its extra. */
static void fill_row(struct containers *ctrs, __u64 mntns,
		     const struct container_info *ci, struct row *r)
{
	r->info = *ci;
	r->mntns = mntns;
	r->pid = containers_init_pid(ctrs, mntns, &r->netns);
}

/* One row per container (a container whose process unshared its mounts
 * has more than one namespace): the one with the lowest pid. */
static void collect_one(void *ctx, __u64 mntns, const struct container_info *ci)
{
	struct collect *col = ctx;
	struct row r = { 0 };
	size_t i;

	if (!ci || !(selected(col->st, ci) || awaited(col->st, ci)))
		return;
	fill_row(col->ctrs, mntns, ci, &r);
	r.held = awaited(col->st, ci);
	for (i = 0; i < col->n && strcmp(col->rows[i].info.id, ci->id); i++)
		;
	if (i < col->n) {
		if (r.pid && (!col->rows[i].pid || r.pid < col->rows[i].pid))
			col->rows[i] = r;
		return;
	}
	if (grow_array((void **)&col->rows, &col->cap, col->n + 1, sizeof(r),
		       16)) {
		col->oom = true;
		return;
	}
	col->rows[col->n++] = r;
}

/*
 * A list without --watch: its containers held (awaited()) scanned again
 * each second, as the watch scans, until hold_ends(); then those the
 * flags select as they are.
 */
static int settle_rows(struct lc_state *st, struct containers *ctrs,
		       struct collect *col, struct error **err)
{
	size_t i, n = 0;
	bool held = true;

	while (held) {
		held = false;
		for (i = 0; i < col->n; i++) {
			struct row *r = &col->rows[i];
			const struct container_info *ci;

			if (!r->held)
				continue;
			ci = containers_lookup(ctrs, r->mntns);
			if (ci && strcmp(ci->id, r->info.id))
				ci = NULL; /* gone: as it was found */
			if (!hold_ends(st, r, ci, false)) {
				held = true;
				continue;
			}
			if (ci)
				fill_row(ctrs, r->mntns, ci, r);
			r->held = false;
		}
		if (held && !st->given_up) {
			poll(NULL, 0, 1000);
			if (containers_scan(ctrs, err))
				return EXIT_FAIL;
		}
	}
	for (i = 0; i < col->n; i++)
		if (selected(st, &col->rows[i].info))
			col->rows[n++] = col->rows[i];
	col->n = n;
	return EXIT_OK;
}

/* ig's order: runtime, then name. */
static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int d = strcmp(x->info.runtime, y->info.runtime);

	return d ? d : strcmp(x->info.name, y->info.name);
}

static int list_now(struct lc_state *st, struct containers *ctrs,
		    struct error **err)
{
	struct collect col = { .st = st, .ctrs = ctrs };
	int rc;

	containers_foreach(ctrs, collect_one, &col);
	if (col.oom) {
		free(col.rows);
		return cli_error(err, EXIT_FAIL,
				 "list containers: out of memory");
	}
	rc = st->watch ? EXIT_OK : settle_rows(st, ctrs, &col, err);
	if (rc) {
		free(col.rows);
		return rc;
	}
	/* once per container listed, of the namespace kept */
	for (size_t i = 0; st->extra && i < col.n; i++)
		containers_extra(ctrs, col.rows[i].pid, &col.rows[i].info,
				 &col.rows[i].extra);
	if (col.n)
		qsort(col.rows, col.n, sizeof(*col.rows), row_cmp);
	if (st->watch) {
		enum col c[N_COLS];
		int width[N_COLS];
		size_t nc;

		watch_widths(st, c, &nc, width);
		if (!st->json)
			put_header(c, nc, width);
		for (size_t i = 0; i < col.n; i++)
			if (!col.rows[i].held)
				print_event(st, &col.rows[i], "CREATED");
	} else if (st->json) {
		/* ig marshals an empty (nil) list as null */
		json_t *a = col.n ? json_array() : json_null();

		for (size_t i = 0; i < col.n; i++)
			json_array_append_new(a, row_json(ctrs, &col.rows[i]));
		cli_print_json(a, true);
		json_decref(a);
	} else {
		print_table(st, col.rows, col.n);
	}
	if (st->watch) {
		st->listed = col.rows;
		st->n_listed = col.n;
	} else {
		free(col.rows);
	}
	return EXIT_OK;
}

/* --watch: the container of each namespace listed, by namespace. */
static struct live *live_find(struct lc_state *st, __u64 mntns)
{
	for (size_t i = 0; i < st->n_live; i++)
		if (st->live[i].mntns == mntns)
			return &st->live[i];
	return NULL;
}

/* A namespace of container id listed; NULL if none. */
static struct live *id_find(struct lc_state *st, const char *id)
{
	for (size_t i = 0; i < st->n_live; i++)
		if (!strcmp(st->live[i].row.info.id, id))
			return &st->live[i];
	return NULL;
}

/* Its last namespace gone, a container is DELETED; one still held is
 * told as it was found first (if the flags select it so). */
static void live_drop(struct lc_state *st, struct live *l)
{
	struct row r = l->row;
	struct live *other;

	*l = st->live[--st->n_live];
	if ((other = id_find(st, r.info.id))) {
		other->row.held |= r.held;
		return;
	}
	if (r.held && !container_select_match(&st->sel, st->ctrs, &r.info))
		return;
	if (r.held)
		print_event(st, &r, "CREATED");
	print_event(st, &r, "DELETED");
}

struct watch_ctx {
	struct lc_state *st;
	struct containers *ctrs;
};

/* The row list_now() listed for container ci in namespace mntns; NULL if
 * none. */
static const struct row *listed_row(const struct lc_state *st, __u64 mntns,
				    const struct container_info *ci)
{
	for (size_t i = 0; i < st->n_listed; i++)
		if (st->listed[i].mntns == mntns &&
		    !strcmp(st->listed[i].info.id, ci->id))
			return &st->listed[i];
	return NULL;
}

/*
 * What a namespace is now (containers_set_listener()): a container's
 * first namespace is CREATED, or held while its runtime's answer is
 * awaited (tell_held()), its last one gone DELETED.
 */
static void on_namespace(void *ctx, __u64 mntns,
			 const struct container_info *ci)
{
	struct watch_ctx *w = ctx;
	struct lc_state *st = w->st;
	struct live *l = live_find(st, mntns);
	const struct row *was;
	struct row r = { 0 };
	bool known;

	if (l && ci && !strcmp(l->row.info.id, ci->id)) {
		/* told again: containerd answered, hold again */
		if (!ci->later && st->given_up)
			st->given_up = false, st->fails = 0;
		return;
	}
	if (l)
		live_drop(st, l);
	if (!ci || !listable(st, ci))
		return;
	known = id_find(st, ci->id) != NULL;
	if ((was = listed_row(st, mntns, ci))) {
		r = *was; /* its process, cgroups, image: read for the list */
	} else if (known || selected(st, ci) || awaited(st, ci)) {
		fill_row(w->ctrs, mntns, ci, &r);
		if (st->extra)
			containers_extra(w->ctrs, r.pid, &r.info, &r.extra);
		/* taking in the listed ones, a namespace of one is its */
		r.held = !known && !st->quiet && awaited(st, ci);
	} else {
		return;
	}
	if (grow_array((void **)&st->live, &st->cap_live, st->n_live + 1,
		       sizeof(*st->live), 16)) {
		st->rc = EXIT_FAIL;
		return;
	}
	st->live[st->n_live++] = (struct live){ mntns, r };
	if (!known && !r.held)
		print_event(st, &r, "CREATED");
}

/* Every namespace of container id, no longer listed (never told). */
static void live_forget(struct lc_state *st, const char *id)
{
	struct live *l;

	while ((l = id_find(st, id)))
		*l = st->live[--st->n_live];
}

/*
 * --watch, after a scan (which asks containerd again: containers.h): each
 * container held told CREATED as it is now, once its runtime answered or
 * gave up on it (its info's later cleared), or at once when the watch
 * ends (anyway); one the flags no longer select is forgotten.
 */
static void tell_held(struct watch_ctx *w, bool anyway)
{
	struct lc_state *st = w->st;
	size_t i = 0;

	while (i < st->n_live) {
		struct live *l = &st->live[i];
		const struct container_info *ci;
		char id[CONTAINERS_ID_MAX + 1];

		if (!l->row.held) {
			i++;
			continue;
		}
		/* a hash probe: a namespace listed is one the table knows */
		ci = containers_lookup(w->ctrs, l->mntns);
		/* another container behind the number: the listener tells */
		if ((ci && strcmp(ci->id, l->row.info.id)) ||
		    !hold_ends(st, &l->row, ci, anyway || st->given_up)) {
			i++;
			continue;
		}
		if (ci) {
			fill_row(w->ctrs, l->mntns, ci, &l->row);
			if (st->extra)
				containers_extra(w->ctrs, l->row.pid,
						 &l->row.info, &l->row.extra);
		}
		l->row.held = false;
		if (container_select_match(&st->sel, st->ctrs, &l->row.info)) {
			print_event(st, &l->row, "CREATED");
			i++;
			continue;
		}
		snprintf(id, sizeof(id), "%s", l->row.info.id);
		live_forget(st, id);
		i = 0; /* the others moved */
	}
}

static int watch(struct lc_state *st, struct containers *ctrs,
		 struct error **err)
{
	struct watch_ctx w = { st, ctrs };
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec start, now;
	int rc;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a reader gone: the loop ends, as run's */
	st->rfc3339 = timefmt_new(RFC3339);
	if (!st->rfc3339)
		return cli_error(err, EXIT_FAIL, "out of memory");
	rc = list_now(st, ctrs, err);
	if (rc)
		return rc;
	flush_events(st); /* the header, when nothing was listed */
	/* the listed ones, quietly: then only what changes is told */
	st->quiet = true;
	containers_foreach(ctrs, on_namespace, &w);
	st->quiet = false;
	free(st->listed);
	st->listed = NULL;
	st->n_listed = 0;
	containers_set_listener(ctrs, on_namespace, &w);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned int tick = 1; !stop_signal && !st->rc; tick++) {
		poll(NULL, 0, 100);
		containers_poll(ctrs);
		if (tick % 10 == 0) {
			if (containers_scan(ctrs, err))
				return EXIT_FAIL;
			tell_held(&w, false);
			/* those passed before containerd was given up on */
			if (st->given_up)
				tell_held(&w, true);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (st->timeout &&
		    (unsigned long)(now.tv_sec - start.tv_sec) >= st->timeout)
			break;
		if (st->gone || ferror(stdout))
			break;
	}
	/* what the watch held, as it is known */
	if (!st->rc)
		tell_held(&w, true);
	containers_set_listener(ctrs, NULL, NULL);
	if (st->rc)
		return cli_error(err, st->rc,
				 "watch containers: out of memory");
	return EXIT_OK;
}

static int lc_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	struct lc_state *st = state;
	struct containers *ctrs;
	int rc;

	(void)ctx;
	/* a list needs /proc only; a watch the exec hook that tells new
	 * containers as they start */
	ctrs = st->watch ? containers_new("/") : containers_new_proc("/");
	st->started = timefmt_new(STARTED_LAYOUT);
	st->ctrs = ctrs;
	if (!ctrs || !st->started) {
		containers_free(ctrs);
		timefmt_free(st->started);
		container_select_fini(&st->sel);
		return cli_error(err, EXIT_FAIL, "containers: out of memory");
	}
	containers_load_ahead(ctrs); /* the hook of a watch */
	containers_set_docker_root(ctrs, getenv("RUNNER_DOCKER_ROOT"));
	/* checked as the flags were taken */
	containers_set_containerd_ns(ctrs, st->containerd_ns, NULL);
	if (st->runtimes)
		containers_set_runtimes(ctrs, st->runtimes, NULL);
	/* an image flag selects by what the containers read as they are
	 * found, as run's does */
	if (st->sel.images)
		containers_want_images(ctrs);
	st->extra = shows_extra(st);
	if (containers_scan(ctrs, err))
		rc = EXIT_FAIL;
	else if (st->watch)
		rc = watch(st, ctrs, err);
	else
		rc = list_now(st, ctrs, err);
	containers_free(ctrs);
	container_select_fini(&st->sel);
	timefmt_free(st->rfc3339);
	timefmt_free(st->started);
	free(st->live);
	return rc;
}

static const struct option lc_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "watch", no_argument, NULL, OPT_WATCH },
	{ "containername", required_argument, NULL, 'c' },
	{ "runtime-containername", required_argument, NULL, 'c' },
	{ "runtimes", required_argument, NULL, 'r' },
	{ "containerd-namespace", required_argument, NULL, OPT_CONTAINERD_NS },
	CLI_IMAGE_OPTIONS(OPT_IMAGE),
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	CLI_K8S_POD_OPTIONS(OPT_K8S_NAMESPACE),
	{ 0 },
};

const struct cli_command cmd_list_containers = {
	.name = "list-containers",
	.summary = "list the containers that -c and runtime.* match",
	.usage =
		"Usage: runner list-containers [flags]\n"
		"\n"
		"List the containers the runner names events by (podman, docker,\n"
		"containerd, cri-o, with their pods), as `ig list-containers`:\n"
		"the names `runner run -c NAME` matches.\n"
		"\n"
		"  -o, --output MODE    columns (default), columns=NAME,... (ig's\n"
		"                       column names, e.g. runtime.containerName,\n"
		"                       runtime.containerImageID,\n"
		"                       runtime.containerImageDigest,\n"
		"                       runtime.containerStartedAt, mntns, netns,\n"
		"                       k8s.podName), json (with the cgroups)\n"
		"  -w, --watch          after the list, print containers as they\n"
		"                       are CREATED and DELETED, until stopped\n"
		"  -c, --containername NAME[,NAME]\n"
		"                       only these containers; !NAME: all but NAME\n"
		"                       (also --runtime-containername)\n"
		"  -r, --runtimes LIST  only these runtimes (docker, containerd,\n"
		"                       cri-o, podman; default: all)\n" CLI_CONTAINERD_NS_HELP
			CLI_IMAGE_HELP
		"      --k8s-namespace NS[,NS]  --k8s-podname POD[,POD]\n"
		"      --k8s-containername NAME[,NAME]\n"
		"                       only containers of these pods\n"
		"      --timeout SECS   --watch stops after SECS seconds (0: never)\n"
		"  -h, --help           this help\n"
		"\n"
		"EXAMPLES\n"
		"  runner list-containers\n"
		"  runner list-containers -o json -c mycontainer\n"
		"  runner list-containers -o columns=runtime.containerName,mntns\n"
		"  runner list-containers --watch\n",
	.short_opts = "o:wc:r:",
	.options = lc_options,
	.state_size = sizeof(struct lc_state),
	.option = lc_option,
	.run = lc_run,
};
