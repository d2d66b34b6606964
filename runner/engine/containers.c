// SPDX-License-Identifier: Apache-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#include <stdbool.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "common/thread.h"
#include "runner/engine/bpf/containers.h"
#include "runner/engine/name_list.h"
#include "runner/engine/containers.h"
#include "runner/engine/containers_tracker.h"
#include "runner/engine/fields.h"
#include "runner/engine/libbpf_log.h"
#include "runner/engine/log.h"

#define NBUCKETS 1024
#ifndef NS_GET_MNTNS_ID /* Linux 6.8, <linux/nsfs.h> */
#define NS_GET_MNTNS_ID _IOR(0xb7, 0x5, __u64)
#endif
/* "/" + name, per cgroup level of a note */
#define NOTE_PATH_MAX (CONTAINERS_CGROUP_DEPTH * (CONTAINERS_NAME_LEN + 1) + 1)

struct entry {
	__u64 mntns;
	__u64 instance; /* the kernel's id of the namespace; 0: unknown */
	/* its place among the containers gone (c->gone_seq when it went,
	 * drop_stale()); 0: here */
	unsigned long gone;
	unsigned int pid; /* a process /proc showed in it (0: none) */
	unsigned int gen; /* last scan (or note) that saw it */
	bool told; /* the exec hook told about it */
	struct container_info info;
	struct entry *next;
};

struct containers {
	char root[256];
	struct entry *buckets[NBUCKETS];
	unsigned int gen;
	unsigned long gone_seq; /* containers gone so far */
	unsigned int n_gone; /* entries kept for them */
	/* containers_version(): bumped by every change of what the lookups
	 * answer (entries, their info, the pods' index, the node) */
	unsigned long version;
	struct containers_tracker *tracker; /* NULL: /proc only */
	/* The hook loads on a thread of its own, beside the gadget's load:
	 * everything that reads tracker joins it first (settle()). */
	pthread_t loader;
	bool loading;
	bool hook; /* to load (containers_load_ahead()), not loaded yet */
	/* containers_scan_begin(): the first scan on a thread as well */
	pthread_t scanner;
	bool scanning;
	int scan_rc;
	struct error *scan_err;
	char docker_root[512]; /* dockerd's --data-root */
	bool images; /* containers_want_images() */
	struct pods *pods; /* pod identity, and pods by network namespace */
	containers_fn listener; /* told of every namespace named or gone */
	void *listener_ctx;
	char *runtimes; /* containers_set_runtimes(), NULL: every one */
	/* the host's cgroup namespace (PID 1's) and the runner's, when they
	 * differ: where /proc/<pid>/cgroup is read (read_cgroups()) */
	int host_cgns;
	int own_cgns;
};

static const struct {
	const char *marker; /* text right before the id in a cgroup path */
	const char *runtime;
	bool any_id; /* an id of containerd's (id_len()), not 64 hex */
} runtimes[] = {
	{ "libpod-", "podman", false },
	{ "docker-", "docker", false },
	{ "/docker/", "docker", false },
	{ "cri-containerd-", "containerd", false },
	{ "crio-", "cri-o", false },
	{ "/libpod_parent/libpod-", "podman", false },
	/* containerd's cgroupfs default: /<namespace>/<id>, whatever id
	 * `ctr run` was given */
	{ "/k8s.io/", "containerd", true },
};

static void on_note(void *ctx, const struct containers_note *n)
{
	containers_handle_note(ctx, n);
}

static struct entry *find(const struct containers *c, __u64 mntns);
static bool scanned_alive(const struct containers *c, const struct entry *e);

/*
 * Whether a note made after the event at hand waits: one that would put
 * another namespace in place of a container known by its number (the
 * number was freed and given again), whose events may still be read
 * (but for an event of the note's own process: containers_poll_own()).
 * Others are taken in at once: the first exec in a new namespace may come
 * after an event of that exec (one stamped at its execve()).
 */
static bool note_later(void *ctx, const struct containers_note *n)
{
	const struct containers *c = ctx;
	const struct entry *e = find(c, n->mntns);

	return e && e->info.id[0] &&
	       (e->instance ? e->instance != n->mntns_instance :
			      !scanned_alive(c, e));
}

static void *load_tracker(void *arg)
{
	cleanup_error struct error *err = NULL;
	struct containers *c = arg;

	if (containers_tracker_new(on_note, c, &c->tracker, &err))
		engine_log(ENGINE_LOG_INFO, "containers from /proc only: %s",
			   error_msg(err));
	else
		containers_tracker_set_later(c->tracker, note_later);
	return NULL;
}

/* The hook, once its thread is done (a no-op after that). */
static void settle_hook(struct containers *c)
{
	thread_join_once(c->loader, &c->loading);
}

/* That, and a scan begun (containers_scan_begin()); a no-op on the scan's
 * own thread, which has settled the hook already. */
static void settle(const struct containers *cc)
{
	struct containers *c = (struct containers *)cc;

	if (c->scanning && pthread_equal(pthread_self(), c->scanner))
		return;
	thread_join_once(c->scanner, &c->scanning);
	settle_hook(c);
}

static int scan(struct containers *c, struct error **err);

static void *scan_thread(void *arg)
{
	struct containers *c = arg;

	/* the hook first: an exec after it is told, one before is seen */
	settle_hook(c);
	c->scan_rc = scan(c, &c->scan_err);
	return NULL;
}

void containers_scan_begin(struct containers *c)
{
	settle(c);
	c->scanning = thread_run(&c->scanner, scan_thread, c);
}

int containers_scan_end(struct containers *c, struct error **err)
{
	int rc;

	settle(c);
	rc = c->scan_rc;
	if (rc && err && !*err) {
		*err = c->scan_err;
		c->scan_err = NULL;
	}
	error_free(c->scan_err);
	c->scan_err = NULL;
	c->scan_rc = 0;
	return rc;
}

static unsigned int parent_of(const struct containers *c, unsigned int pid);

/*
 * The host's cgroup namespace: PID 1's, as ig takes it, or where that
 * cannot be opened (an init with capabilities the runner lacks, as in a
 * sandbox) the runner's outermost ancestor's that can; -1 if none.
 */
static int host_cgroup_ns(const struct containers *c)
{
	int fd = open("/proc/1/ns/cgroup", O_RDONLY | O_CLOEXEC), up;
	unsigned int p = getppid();
	char path[64];

	if (fd >= 0)
		return fd;
	/* bounded: a parent's pid given again may make a loop */
	for (int n = 0; n < 256 && p > 1; n++, p = parent_of(c, p)) {
		snprintf(path, sizeof(path), "/proc/%u/ns/cgroup", p);
		up = open(path, O_RDONLY | O_CLOEXEC);
		if (up < 0)
			continue;
		if (fd >= 0)
			close(fd);
		fd = up;
	}
	return fd;
}

/* c's cgroup namespaces, if the runner is not in the host's. */
static void open_cgroup_ns(struct containers *c)
{
	struct stat host, own;

	c->host_cgns = host_cgroup_ns(c);
	c->own_cgns = open("/proc/self/ns/cgroup", O_RDONLY | O_CLOEXEC);
	if (c->host_cgns >= 0 && c->own_cgns >= 0 &&
	    !fstat(c->host_cgns, &host) && !fstat(c->own_cgns, &own) &&
	    host.st_ino != own.st_ino)
		return;
	if (c->host_cgns >= 0)
		close(c->host_cgns);
	if (c->own_cgns >= 0)
		close(c->own_cgns);
	c->host_cgns = c->own_cgns = -1;
}

static struct containers *new_containers(const char *root, bool hook)
{
	struct containers *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->host_cgns = c->own_cgns = -1;
	containers_set_docker_root(c, NULL);
	snprintf(c->root, sizeof(c->root), "%s",
		 root && strcmp(root, "/") ? root : "");
	c->pods = pods_new(c->root);
	if (!c->pods) {
		free(c);
		return NULL;
	}
	/* a fake tree has no kernel of its own */
	c->hook = !c->root[0] && hook;
	if (!c->root[0])
		open_cgroup_ns(c);
	return c;
}

void containers_load_ahead(struct containers *c)
{
	if (!c || !c->hook)
		return;
	c->hook = false;
	/* libbpf's messages go to the log from the start: the thread only
	 * sets what is set */
	libbpf_set_print(engine_libbpf_print);
	c->loading = thread_run(&c->loader, load_tracker, c);
}

struct containers *containers_new(const char *root)
{
	return new_containers(root, true);
}

struct containers *containers_new_proc(const char *root)
{
	return new_containers(root, false);
}

void containers_set_node(struct containers *c, const char *node)
{
	pods_set_node(c->pods, node);
	c->version++;
}

unsigned long containers_version(const struct containers *c)
{
	settle(c);
	return c->version;
}

void containers_want_images(struct containers *c)
{
	settle(c);
	c->images = true;
}

int containers_check_containerd_ns(const char *ns, struct error **err)
{
	if (!ns || !*ns || containers_containerd_ident(ns))
		return 0;
	return error_set(err, 0,
			 "'%.*s' is not a containerd namespace (at most %d "
			 "letters and digits, one '.', '_' or '-' between two)",
			 CONTAINERS_ID_MAX + 1, ns, CONTAINERS_ID_MAX);
}

int containers_set_containerd_ns(struct containers *c, const char *ns,
				 struct error **err)
{
	if (containers_check_containerd_ns(ns, err))
		return -1;
	settle(c);
	/* ig's client takes an empty one for its default */
	pods_set_containerd_ns(c->pods, ns && *ns ? ns : NULL);
	return 0;
}

void containers_set_docker_root(struct containers *c, const char *dir)
{
	snprintf(c->docker_root, sizeof(c->docker_root), "%s",
		 dir && *dir ? dir : "/var/lib/docker");
}

bool containers_tracking(const struct containers *c)
{
	settle(c);
	return c->tracker != NULL;
}

int containers_notes_fd(const struct containers *c)
{
	settle(c);
	return c->tracker ? containers_tracker_notes_fd(c->tracker) : -1;
}

void containers_poll(struct containers *c)
{
	containers_poll_until(c, UINT64_MAX);
}

bool containers_poll_until(struct containers *c, __u64 boot_ns)
{
	settle(c);
	if (!c->tracker)
		return false;
	containers_tracker_consume_until(c->tracker, boot_ns);
	return containers_tracker_holding(c->tracker);
}

void containers_poll_own(struct containers *c, __u64 boot_ns, __u64 mntns,
			 __u32 pid)
{
	settle(c);
	if (c->tracker && pid &&
	    containers_tracker_take_held(c->tracker, mntns, pid))
		containers_tracker_consume_until(c->tracker, boot_ns);
}

void containers_free(struct containers *c)
{
	size_t i;

	if (!c)
		return;
	settle(c);
	error_free(c->scan_err);
	containers_tracker_free(c->tracker);
	pods_free(c->pods);
	free(c->runtimes);
	if (c->host_cgns >= 0) {
		close(c->host_cgns);
		close(c->own_cgns);
	}
	for (i = 0; i < NBUCKETS; i++) {
		struct entry *e = c->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(c);
}

/* e's pod by its network namespace, unless --runtimes leaves e out. */
static void index_pod(struct containers *c, const struct entry *e)
{
	if (containers_runtime_wanted(c, &e->info))
		pods_index_add(c->pods, &e->info);
}

static struct entry **slot(const struct containers *c, __u64 mntns)
{
	return (struct entry **)&c
		->buckets[(mntns * 0x9E3779B97F4A7C15ULL) >> 54];
}

static struct entry *find(const struct containers *c, __u64 mntns)
{
	struct entry *e;

	for (e = *slot(c, mntns); e; e = e->next)
		if (e->mntns == mntns)
			return e;
	return NULL;
}

/* A blank entry for mntns, seen by the current scan. */
static struct entry *insert(struct containers *c, __u64 mntns)
{
	struct entry *e = calloc(1, sizeof(*e)), **head = slot(c, mntns);

	if (!e)
		return NULL;
	c->version++; /* and its info, filled in next */
	e->mntns = mntns;
	e->gen = c->gen;
	e->next = *head;
	*head = e;
	return e;
}

static bool is_hex64(const char *s)
{
	int i;

	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]) ||
		    isupper((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * The kubelet's cgroupfs layout, /kubepods[/<qos>]/pod<uid>/<id>, names
 * no runtime: a bare id at the end of a line under /kubepods/
 * (containerd's CRI plugin; cri-dockerd's, see name_container()).  Where
 * it begins in text, or NULL.
 */
static const char *kubepods_id(const char *text)
{
	const char *p, *found = NULL;

	for (p = text; (p = strstr(p, "/kubepods/")); p++) {
		const char *end = p + strcspn(p, "\n"), *leaf = end;

		while (leaf > p && leaf[-1] != '/')
			leaf--;
		if (end - leaf == 64 && is_hex64(leaf))
			found = leaf;
	}
	return found;
}

/*
 * The length of the containerd id (its identifiers: alphanumerics, one
 * '.', '_' or '-' between them) that p begins with, a whole cgroup name
 * (up to '/', a line's end or the text's); 0 if none, or one of more
 * than CONTAINERS_ID_MAX characters (containerd's limit).
 */
static size_t id_len(const char *p)
{
	size_t n = 0;

	for (;;) {
		if (isalnum((unsigned char)p[n]))
			n++;
		else if (n && p[n] && strchr("._-", p[n]) &&
			 isalnum((unsigned char)p[n + 1]))
			n += 2;
		else
			break;
	}
	return n <= CONTAINERS_ID_MAX &&
			       (!p[n] || p[n] == '/' || p[n] == '\n') ?
		       n :
		       0;
}

bool containers_containerd_ident(const char *ns)
{
	size_t n = id_len(ns);

	return n && !ns[n];
}

static bool ends_with(const char *s, size_t len, const char *end)
{
	size_t n = strlen(end);

	return len >= n && !memcmp(s + len - n, end, n);
}

int containers_parse_containerd_cgroup(const char *text,
				       char ns[CONTAINERS_ID_MAX + 1],
				       char id[CONTAINERS_ID_MAX + 1])
{
	const char *line, *p, *next;

	for (line = text; *line; line = next) {
		size_t nlen, ilen;

		next = line + strcspn(line, "\n");
		next += *next == '\n';

		/* a line of /proc/<pid>/cgroup, "N:controllers:path" */
		p = line;
		if (*p != '/') {
			p = memchr(p, ':', strcspn(p, "\n"));
			p = p ? memchr(p + 1, ':', strcspn(p + 1, "\n")) : NULL;
			if (!p)
				continue;
			p++;
		}
		/* read in a cgroup namespace, a path below an ancestor of its
		 * root: "/../<namespace>/<id>" */
		while (!strncmp(p, "/../", 4))
			p += 3;
		/* systemd's units are no namespaces */
		if (*p != '/' || !(nlen = id_len(p + 1)) ||
		    p[1 + nlen] != '/' || ends_with(p + 1, nlen, ".slice") ||
		    !(ilen = id_len(p + 2 + nlen)) ||
		    (p[2 + nlen + ilen] && p[2 + nlen + ilen] != '\n'))
			continue;
		memcpy(ns, p + 1, nlen);
		ns[nlen] = '\0';
		memcpy(id, p + 2 + nlen, ilen);
		id[ilen] = '\0';
		return 0;
	}
	return -1;
}

/*
 * The innermost container wins: a runtime may run in a container itself
 * (containerd in kind's or k3d's docker node, docker in docker), and the
 * exec hook's paths hold only the last CONTAINERS_CGROUP_DEPTH names.
 */
int containers_parse_cgroup(const char *text, char runtime[16],
			    char id[CONTAINERS_ID_MAX + 1])
{
	const char *best = kubepods_id(text), *rt = "containerd";
	size_t i, len = 64;

	for (i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
		const char *p = text;
		size_t mlen = strlen(runtimes[i].marker), n;

		while ((p = strstr(p, runtimes[i].marker))) {
			p += mlen;
			n = runtimes[i].any_id		   ? id_len(p) :
			    strlen(p) >= 64 && is_hex64(p) ? 64 :
							     0;
			if ((!best || p > best) && n) {
				best = p;
				len = n;
				rt = runtimes[i].runtime;
			}
		}
	}
	if (!best)
		return -1;
	snprintf(runtime, 16, "%s", rt);
	memcpy(id, best, len);
	id[len] = '\0';
	return 0;
}

/* docker: containers/<id>/config.v2.json, under dockerd's --data-root
 * (containers_set_docker_root()); NULL if none. */
static json_t *docker_config(const struct containers *c, const char *id)
{
	char path[1024];
	json_error_t jerr;

	snprintf(path, sizeof(path), "%s%s/containers/%s/config.v2.json",
		 c->root, c->docker_root, id);
	return json_load_file(path, 0, &jerr);
}

void containers_docker_image(struct container_info *ci, const char *image)
{
	snprintf(ci->image, sizeof(ci->image), "%.*s", (int)strcspn(image, "@"),
		 image);
}

/* docker: the config's Name ("/x") and Config.Image, without the digest
 * of a name@digest (as ig's docker client cuts it). */
static void docker_names(const struct containers *c, struct container_info *ci)
{
	json_t *o = docker_config(c, ci->id);
	const char *name, *image;

	name = json_string_value(json_object_get(o, "Name"));
	image = json_string_value(
		json_object_get(json_object_get(o, "Config"), "Image"));
	if (name)
		snprintf(ci->name, sizeof(ci->name), "%s",
			 name[0] == '/' ? name + 1 : name);
	if (image)
		containers_docker_image(ci, image);
	json_decref(o);
}

/*
 * docker: the image id is the config's Image; the digest, as `docker
 * image inspect` gives RepoDigests (sorted), the first name@digest that
 * points at that id in the image store's repositories.json.
 */
static void docker_image(const struct containers *c, struct container_info *ci)
{
	json_t *cfg = docker_config(c, ci->id), *repos, *repo, *v;
	const char *image, *driver, *repo_name, *ref, *best = NULL;
	json_error_t jerr;
	char path[1024];

	image = json_string_value(json_object_get(cfg, "Image"));
	driver = json_string_value(json_object_get(cfg, "Driver"));
	if (image)
		snprintf(ci->image_id, sizeof(ci->image_id), "%s", image);
	if (!image || !driver || strchr(driver, '/')) {
		json_decref(cfg);
		return;
	}
	snprintf(path, sizeof(path), "%s%s/image/%s/repositories.json", c->root,
		 c->docker_root, driver);
	repos = json_load_file(path, 0, &jerr);
	json_object_foreach (json_object_get(repos, "Repositories"), repo_name,
			     repo)
		json_object_foreach (repo, ref, v)
			if (strchr(ref, '@') &&
			    !strcmp(json_string_value(v) ?: "", image) &&
			    (!best || strcmp(ref, best) < 0))
				best = ref;
	if (best)
		snprintf(ci->image_digest, sizeof(ci->image_digest), "%s",
			 strchr(best, '@') + 1);
	json_decref(repos);
	json_decref(cfg);
}

/* Name, image and pod from the runtime's state (pid: the container's
 * process, 0 if gone); the short id if it has no name. */
static void name_container(const struct containers *c,
			   struct container_info *ci, unsigned int pid)
{
	if (!strcmp(ci->runtime, "docker"))
		docker_names(c, ci);
	/* a kubelet's cgroupfs path names no runtime: cri-dockerd's
	 * containers are docker's */
	if (!strcmp(ci->runtime, "containerd")) {
		docker_names(c, ci);
		if (ci->name[0])
			snprintf(ci->runtime, sizeof(ci->runtime), "docker");
	}
	if (c->images && !strcmp(ci->runtime, "docker"))
		docker_image(c, ci);
	/* podman's from its storage, wherever that is (pods.h) */
	pods_identify(c->pods, pid, ci, c->images);
	if (!strcmp(ci->runtime, "containerd") &&
	    !pods_containerd_asked(c->pods, ci->bundle)) {
		/*
		 * Of a namespace ig's containerd client does not ask: its id,
		 * as ig's runc hook tells it, no name, and the runtime and
		 * image its CRI annotations give (ig's OCI config enricher).
		 */
		ci->name[0] = '\0';
		if (!ci->pod.name[0] && !ci->sandbox_id[0])
			ci->runtime[0] = '\0';
		return;
	}
	if (!ci->name[0] && ci->pod.container[0])
		snprintf(ci->name, sizeof(ci->name), "%s", ci->pod.container);
	/* as ig's containerd client: its id, whole; others: the short id */
	if (!ci->name[0])
		snprintf(ci->name, sizeof(ci->name), "%.*s",
			 strcmp(ci->runtime, "containerd") ? 12 :
							     CONTAINERS_ID_MAX,
			 ci->id);
}

/*
 * Runtime and id from a cgroup text (of process pid); 0 if it names a
 * container: a runtime's, or one containerd made in any namespace, as
 * its bundle there tells (then ci->bundle: that one).
 */
static int cgroup_container(const struct containers *c, const char *text,
			    unsigned int pid, struct container_info *ci)
{
	char ns[CONTAINERS_ID_MAX + 1], id[CONTAINERS_ID_MAX + 1];

	ci->bundle[0] = '\0';
	if (!containers_parse_cgroup(text, ci->runtime, ci->id))
		return 0;
	/* the bundle of the namespace its cgroup names: another's may have
	 * that id too */
	if (containers_parse_containerd_cgroup(text, ns, id) ||
	    !pods_containerd_bundle(c->pods, pid, ns, id, ci->bundle,
				    sizeof(ci->bundle)))
		return -1;
	snprintf(ci->runtime, sizeof(ci->runtime), "containerd");
	snprintf(ci->id, sizeof(ci->id), "%s", id);
	return 0;
}

/*
 * The text of /proc/<pid>/cgroup, as ig reads it: in the host's cgroup
 * namespace when the runner runs in another (a pod's, `unshare -C`), on
 * this thread alone.  There paths are whole, as the exec hook's notes;
 * read in the runner's own, they are relative to its root
 * ("/../../kubepods/..."), without the names above its root that a
 * container shares with the runner's cgroup (a pod's /kubepods/, a
 * containerd namespace).  In its own where it cannot enter the host's.
 */
static int read_cgroups(const struct containers *c, unsigned int pid,
			char **text)
{
	char path[1024];
	int rc;

	snprintf(path, sizeof(path), "%s/proc/%u/cgroup", c->root, pid);
	if (c->host_cgns < 0 || setns(c->host_cgns, CLONE_NEWCGROUP))
		return read_file(path, text, NULL, NULL);
	rc = read_file(path, text, NULL, NULL);
	if (setns(c->own_cgns, CLONE_NEWCGROUP))
		engine_log(ENGINE_LOG_NOTICE,
			   "return to own cgroup namespace: %s (a thread "
			   "stays in the host's)",
			   strerror(errno));
	return rc;
}

/*
 * The kernel's id of mount namespace mntns as process pid's (the id the
 * exec hook reads); 0 when the kernel cannot tell (before 6.8) or pid is
 * no longer in mntns.
 */
static __u64 mntns_id(const struct containers *c, const char *pid, __u64 mntns)
{
	char path[1024];
	cleanup_close int fd = -1;
	struct stat st;
	__u64 id = 0;

	snprintf(path, sizeof(path), "%s/proc/%s/ns/mnt", c->root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || st.st_ino != mntns ||
	    ioctl(fd, NS_GET_MNTNS_ID, &id))
		return 0;
	return id;
}

/* Runtime and id from /proc/<pid>/cgroup; 0 if it names a container. */
static int proc_container(const struct containers *c, const char *pid,
			  struct container_info *ci)
{
	cleanup_free char *cg = NULL;
	unsigned int n = (unsigned int)atoi(pid);

	if (read_cgroups(c, n, &cg))
		return -1;
	return cgroup_container(c, cg, n, ci);
}

/*
 * A new entry for mntns from what process pid (if any) tells, with the
 * namespace's id where the kernel tells it: a note or a scan about
 * another namespace behind the number, once the kernel gave it again, is
 * told apart by that id, not by whether pid is still there (pid, or one
 * after it, may be the new namespace's process by then).
 */
static int add(struct containers *c, __u64 mntns, const char *pid)
{
	struct entry *e = insert(c, mntns);

	if (!e)
		return -1;
	if (pid) {
		e->pid = (unsigned int)atoi(pid);
		e->instance = mntns_id(c, pid, mntns);
	}
	if (pid && !proc_container(c, pid, &e->info)) {
		name_container(c, &e->info, e->pid);
		index_pod(c, e);
	}
	if (c->listener)
		c->listener(c->listener_ctx, e->mntns, &e->info);
	return 0;
}

/* Find the first process in mntns; add what it tells (or a blank entry). */
static const struct entry *resolve(struct containers *c, __u64 mntns)
{
	char path[1024];
	struct dirent *d = NULL; /* none when there is no /proc */
	DIR *dp;
	int rc;

	snprintf(path, sizeof(path), "%s/proc", c->root);
	dp = opendir(path);
	while (dp && (d = readdir(dp))) {
		struct stat st;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/proc/%s/ns/mnt", c->root,
			 d->d_name);
		if (stat(path, &st) == 0 && st.st_ino == mntns)
			break;
	}
	rc = add(c, mntns, d ? d->d_name : NULL);
	if (dp)
		closedir(dp);
	return rc ? NULL : find(c, mntns);
}

const struct container_info *containers_lookup(struct containers *c,
					       __u64 mntns)
{
	const struct entry *e;

	settle(c);
	e = find(c, mntns);
	/* With the exec hook, a namespace it did not tell is not a
	 * container's, or one from before the runner: the scan tells. */
	if (!e && mntns && !c->tracker)
		e = resolve(c, mntns);
	return e && e->info.id[0] && containers_runtime_wanted(c, &e->info) ?
		       &e->info :
		       NULL;
}

static void reindex_pods(struct containers *c);

int containers_set_runtimes(struct containers *c, const char *list,
			    struct error **err)
{
	char *copy = list ? strdup(list) : NULL;

	if (list && !copy)
		return error_set(err, ENOMEM, "--runtimes");
	settle(c);
	free(c->runtimes);
	c->runtimes = copy;
	reindex_pods(c);
	return 0;
}

bool containers_runtime_wanted(const struct containers *c,
			       const struct container_info *ci)
{
	/* one of no runtime (containerd's, of a namespace ig's client does
	 * not ask): ig's runc hook knows it whatever -r says */
	return !c->runtimes || !ci->runtime[0] ||
	       name_list_match(c->runtimes, ci->runtime);
}

/* "/a/b/leaf" from a note's cgroup names (leaf first); "" for the root. */
static void note_path(const struct containers_note *n, char *buf, size_t size)
{
	__u32 i = n->depth < CONTAINERS_CGROUP_DEPTH ? n->depth :
						       CONTAINERS_CGROUP_DEPTH;
	size_t len = 0;

	buf[0] = '\0';
	for (; i > 0 && len < size; i--) {
		const char *name = n->names[i - 1];
		int nlen = (int)strnlen(name, CONTAINERS_NAME_LEN);

		if (!nlen || (nlen == 1 && name[0] == '/'))
			continue;
		len += snprintf(buf + len, size - len, "/%.*s", nlen, name);
	}
}

/* Runtime and id of the container a note is about; 0 if it is one. */
static int note_container(const struct containers *c,
			  const struct containers_note *n,
			  struct container_info *ci)
{
	char path[NOTE_PATH_MAX], pid[16];
	struct stat st;

	note_path(n, path, sizeof(path));
	if (!cgroup_container(c, path, n->pid, ci))
		return 0;
	/*
	 * Not in cgroup v2 (v1 alone, or a runtime that leaves v2 to its
	 * parent on a hybrid host): the v1 cgroups may tell, while the
	 * process is still the one in that namespace.
	 */
	snprintf(pid, sizeof(pid), "%u", n->pid);
	snprintf(path, sizeof(path), "%s/proc/%s/ns/mnt", c->root, pid);
	if (stat(path, &st) || st.st_ino != n->mntns)
		return -1;
	return proc_container(c, pid, ci);
}

/* e's number is a namespace here now: no longer among the gone. */
static void not_gone(struct containers *c, struct entry *e)
{
	if (!e->gone)
		return;
	e->gone = 0;
	c->n_gone--;
}

/* e's own namespace is here again (a process joined it, which kept it):
 * told as it was. */
static void back(struct containers *c, struct entry *e)
{
	if (!e->gone)
		return;
	not_gone(c, e);
	index_pod(c, e);
	if (c->listener)
		c->listener(c->listener_ctx, e->mntns, &e->info);
}

/*
 * Whether the process that /proc told e's namespace by is still in it:
 * then a note about e's number is about e's namespace (the numbers of the
 * namespaces alive are distinct).  Asked where the kernel tells no
 * namespace ids (e->instance 0, before 6.8).
 */
static bool scanned_alive(const struct containers *c, const struct entry *e)
{
	char path[1024];
	struct stat st;

	if (!e->pid)
		return false;
	snprintf(path, sizeof(path), "%s/proc/%u/ns/mnt", c->root, e->pid);
	return stat(path, &st) == 0 && st.st_ino == e->mntns;
}

/*
 * A note tells the first exec the hook saw in a namespace.  What a
 * namespace is was decided once, by its first note or, for one from
 * before the runner, by /proc: a container runtime that execs in its own
 * namespace from a container's cgroup (runc does) does not make it the
 * container's.  A note about another instance behind a known number is
 * about a new namespace: the previous one's container goes.
 */
int containers_handle_note(struct containers *c,
			   const struct containers_note *n)
{
	struct entry *e = find(c, n->mntns);
	struct container_info ci = { 0 };

	if (e && (e->instance ? e->instance == n->mntns_instance :
				scanned_alive(c, e))) {
		e->instance = n->mntns_instance;
		e->gen = c->gen;
		e->told = true;
		back(c, e);
		return 0;
	}
	if (!note_container(c, n, &ci))
		name_container(c, &ci, n->pid);
	else
		memset(&ci, 0, sizeof(ci));
	if (!e && !(e = insert(c, n->mntns)))
		return -1;
	not_gone(c, e);
	c->version++;
	e->instance = n->mntns_instance;
	e->pid = 0;
	e->gen = c->gen;
	e->told = true;
	e->info = ci;
	index_pod(c, e);
	if (c->listener)
		c->listener(c->listener_ctx, e->mntns, &e->info);
	return 0;
}

/* Whether e is let go: a namespace not seen by this scan (one scan of
 * grace for those the exec hook told), or a container gone before the
 * last CONTAINERS_GONE_MAX. */
static bool stale(const struct containers *c, const struct entry *e)
{
	if (e->gone)
		return c->gone_seq - e->gone >= CONTAINERS_GONE_MAX;
	return c->gen - e->gen > (e->told ? 1u : 0u);
}

/* One pass of drop_stale(). */
static void drop_pass(struct containers *c)
{
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		struct entry **pp = &c->buckets[i];

		while (*pp) {
			struct entry *e = *pp;

			if (!stale(c, e)) {
				pp = &e->next;
				continue;
			}
			if (!e->gone && c->listener)
				c->listener(c->listener_ctx, e->mntns, NULL);
			if (!e->gone && e->info.id[0]) {
				e->gone = ++c->gone_seq;
				c->n_gone++;
				pp = &e->next;
				continue;
			}
			c->n_gone -= !!e->gone;
			*pp = e->next;
			free(e);
			c->version++;
		}
	}
}

/*
 * Let go the namespaces that this scan did not see: told as gone, but a
 * container's info stays for lookups (events that name its namespace may
 * come later: a gadget's timeout, a queue) until the kernel gives its
 * number to another namespace (containers_handle_note(), scan()) or
 * CONTAINERS_GONE_MAX more containers have gone.  A second pass lets go
 * those that went before the last CONTAINERS_GONE_MAX, counting the
 * containers the first one found gone.
 */
static void drop_stale(struct containers *c)
{
	drop_pass(c);
	if (c->n_gone > CONTAINERS_GONE_MAX)
		drop_pass(c);
}

void containers_set_listener(struct containers *c, containers_fn fn, void *ctx)
{
	settle(c);
	c->listener = fn;
	c->listener_ctx = ctx;
}

void containers_foreach(struct containers *c, containers_fn fn, void *ctx)
{
	size_t i;

	settle(c);
	for (i = 0; i < NBUCKETS; i++)
		for (struct entry *e = c->buckets[i]; e; e = e->next)
			if (!e->gone)
				fn(ctx, e->mntns, &e->info);
}

/* The pods' network namespaces, from the entries alive. */
static void reindex_pods(struct containers *c)
{
	size_t i;

	pods_index_reset(c->pods);
	c->version++;
	for (i = 0; i < NBUCKETS; i++)
		for (struct entry *e = c->buckets[i]; e; e = e->next)
			if (!e->gone)
				index_pod(c, e);
}

void containers_filter_fds(const struct containers *c, int *mntns_fd,
			   int *netns_fd)
{
	*mntns_fd = *netns_fd = -1;
	settle(c);
	if (c->tracker)
		containers_tracker_filter_fds(c->tracker, mntns_fd, netns_fd);
}

const char *containers_node(const struct containers *c)
{
	settle(c);
	return pods_node(c->pods);
}

const struct pod_info *containers_pod_of_netns(const struct containers *c,
					       __u64 netns)
{
	settle(c);
	return pods_by_netns(c->pods, netns);
}

/*
 * Whether e's number, which /proc shows for process pid, is another
 * namespace's than e's: as the kernel's id says, whether the exec hook or
 * /proc told e (the same when it cannot tell); a namespace gone from /proc
 * and back is another unless that id says it is the same.
 */
static bool renumbered(const struct containers *c, const struct entry *e,
		       const char *pid)
{
	__u64 id = e->instance ? mntns_id(c, pid, e->mntns) : 0;

	return id ? id != e->instance : e->gone;
}

/*
 * e's number is another namespace's now, one that no exec told of (a
 * process that unshared its mounts after e's container ended), or may be
 * (renumbered()): what its process pid tells, as for one from before the
 * runner.
 */
static void rescan(struct containers *c, struct entry *e, const char *pid)
{
	struct container_info ci = { 0 };

	if (!proc_container(c, pid, &ci))
		name_container(c, &ci, (unsigned int)atoi(pid));
	else
		memset(&ci, 0, sizeof(ci));
	not_gone(c, e);
	c->version++;
	e->info = ci;
	e->told = false;
	e->instance = mntns_id(c, pid, e->mntns);
	if (c->listener)
		c->listener(c->listener_ctx, e->mntns, &e->info);
}

/* What containerd was too busy to tell of the containers here when they
 * were found, asked again (pods_retry()): one that changed told again. */
static void retry_later(struct containers *c)
{
	size_t i;

	for (i = 0; i < NBUCKETS; i++)
		for (struct entry *e = c->buckets[i]; e; e = e->next)
			if (!e->gone && e->info.later &&
			    pods_retry(c->pods, &e->info) && c->listener)
				c->listener(c->listener_ctx, e->mntns,
					    &e->info);
}

int containers_scan(struct containers *c, struct error **err)
{
	/* the hook first: an exec after it is told, one before is seen */
	settle(c);
	return scan(c, err);
}

static int scan(struct containers *c, struct error **err)
{
	char path[1024];
	struct dirent *d;
	DIR *dp;

	snprintf(path, sizeof(path), "%s/proc", c->root);
	dp = opendir(path);
	if (!dp)
		return error_set(err, errno, "open %s", path);
	c->gen++;
	while ((d = readdir(dp))) {
		struct stat st;
		struct entry *e;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/proc/%s/ns/mnt", c->root,
			 d->d_name);
		if (stat(path, &st) < 0)
			continue;
		e = find(c, st.st_ino);
		if (e && e->gen != c->gen && renumbered(c, e, d->d_name))
			rescan(c, e, d->d_name);
		if (e) {
			back(c, e);
			/* its first process now (the host's: 1), for
			 * scanned_alive() */
			if (e->gen != c->gen && !e->told)
				e->pid = (unsigned int)atoi(d->d_name);
			e->gen = c->gen;
			continue;
		}
		if (add(c, st.st_ino, d->d_name)) {
			closedir(dp);
			return error_set(err, ENOMEM, "containers");
		}
	}
	closedir(dp);
	drop_stale(c);
	retry_later(c);
	reindex_pods(c);
	/*
	 * Then what the hook told, about namespaces /proc may have shown
	 * (scanned_alive()): at start, the namespaces from before the hook
	 * are those of /proc, whatever the first exec in them.
	 */
	if (c->tracker) /* settled: containers_poll() without the wait */
		containers_tracker_consume(c->tracker);
	return 0;
}

/* The inode of /proc/<pid>/ns/<ns> under root; 0 if gone. */
static __u64 ns_of(const struct containers *c, unsigned int pid, const char *ns)
{
	char path[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/proc/%u/ns/%s", c->root, pid, ns);
	return stat(path, &st) ? 0 : st.st_ino;
}

/* The parent of pid from /proc/<pid>/stat (after the last ')'); 0 if gone. */
static unsigned int parent_of(const struct containers *c, unsigned int pid)
{
	cleanup_free char *text = NULL;
	unsigned int ppid = 0;
	char path[1024];
	const char *p;

	snprintf(path, sizeof(path), "%s/proc/%u/stat", c->root, pid);
	if (read_file(path, &text, NULL, NULL))
		return 0;
	p = strrchr(text, ')');
	if (!p || sscanf(p + 1, " %*c %u", &ppid) != 1)
		return 0;
	return ppid;
}

/*
 * When pid started, from its start in /proc/<pid>/stat (clock ticks
 * since boot, CLOCK_BOOTTIME) and when the system booted by the clocks,
 * that rounded to a tick: the same answer each time.
 */
static __u64 started_at(const struct containers *c, unsigned int pid)
{
	cleanup_free char *text = NULL;
	unsigned long long ticks;
	long hz = sysconf(_SC_CLK_TCK);
	long long booted, tick;
	char path[1024];
	const char *p;

	snprintf(path, sizeof(path), "%s/proc/%u/stat", c->root, pid);
	if (read_file(path, &text, NULL, NULL) || hz <= 0)
		return 0;
	/* after the comm: fields 3 (state) to 21, then starttime */
	p = strrchr(text, ')');
	if (!p || sscanf(p + 1,
			 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u"
			 " %*u %*d %*d %*d %*d %*d %*d %llu",
			 &ticks) != 1)
		return 0;
	tick = 1000000000LL / hz;
	booted = boot_to_real_offset();
	booted = (booted + tick / 2) / tick * tick;
	return (__u64)(booted + (long long)ticks * tick);
}

/* The cgroup2 mount, as ig looks for it; NULL if none. */
static const char *cgroup2_mount(const struct containers *c)
{
	static const char *const dirs[] = { "/sys/fs/cgroup",
					    "/sys/fs/cgroup/unified" };
	char path[1024];
	struct statfs fs;

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s%s", c->root, dirs[i]);
		if (!statfs(path, &fs) && fs.f_type == CGROUP2_SUPER_MAGIC)
			return dirs[i];
	}
	return NULL;
}

/* The id of the cgroup at path (a cgroup2 folder): its file handle. */
static __u64 cgroup_id(const char *path)
{
	union {
		struct file_handle fh;
		char room[sizeof(struct file_handle) + 8];
	} h = { .fh.handle_bytes = 8 };
	int mount_id;
	__u64 id = 0;

	if (!name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) &&
	    h.fh.handle_bytes == 8)
		memcpy(&id, h.fh.f_handle, 8);
	return id;
}

/* pid's cgroups: the name=systemd (v1) and the v2 paths of
 * /proc/<pid>/cgroup ("/": none), the v2 one's folder and id. */
static void cgroups_of(const struct containers *c, unsigned int pid,
		       struct container_extra *x)
{
	cleanup_free char *text = NULL;
	char path[1024], *line, *save = NULL, *colon;
	const char *mnt;
	struct stat st;

	if (read_cgroups(c, pid, &text))
		return;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *dst = NULL;

		colon = strchr(line, ':');
		if (colon && !strncmp(colon, ":name=systemd:", 14))
			dst = x->cgroup_v1, colon += 14;
		else if (!strncmp(line, "0::", 3))
			dst = x->cgroup_v2, colon = line + 3;
		if (dst && strcmp(colon, "/"))
			snprintf(dst, sizeof(x->cgroup_v1), "%s", colon);
	}
	mnt = cgroup2_mount(c);
	if (!mnt || !x->cgroup_v2[0])
		return;
	snprintf(x->cgroup_path, sizeof(x->cgroup_path), "%s%s", mnt,
		 x->cgroup_v2);
	snprintf(path, sizeof(path), "%s%s", c->root, x->cgroup_path);
	if (stat(path, &st)) {
		x->cgroup_path[0] = '\0';
		return;
	}
	x->cgroup_id = cgroup_id(path);
}

void containers_extra(struct containers *c, unsigned int pid,
		      struct container_info *ci, struct container_extra *x)
{
	settle(c);
	memset(x, 0, sizeof(*x));
	if (pid) {
		x->started_at = started_at(c, pid);
		cgroups_of(c, pid, x);
	}
	if (!strcmp(ci->runtime, "docker") && !ci->image_id[0])
		docker_image(c, ci);
	pods_extra(c->pods, pid, ci, x);
}

char *containers_oci_config(const struct containers *c,
			    const struct container_extra *x)
{
	cleanup_close int fd = -1;
	char *text = NULL, path[2048];

	if (!x->bundle[0])
		return NULL;
	snprintf(path, sizeof(path), "%s%s/config.json", c->root, x->bundle);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || read_fd_max(fd, path, 16 << 20, &text, NULL, NULL))
		return NULL;
	return text;
}

unsigned int containers_init_pid(const struct containers *c, __u64 mntns,
				 __u64 *netns)
{
	unsigned int best = 0;
	char path[1024];
	struct dirent *d;
	DIR *dp;

	*netns = 0;
	snprintf(path, sizeof(path), "%s/proc", c->root);
	dp = opendir(path);
	while (dp && (d = readdir(dp))) {
		unsigned int pid, ppid;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		pid = (unsigned int)atoi(d->d_name);
		if ((best && pid > best) || ns_of(c, pid, "mnt") != mntns)
			continue;
		ppid = parent_of(c, pid);
		if (ppid && ns_of(c, ppid, "mnt") != mntns)
			best = pid;
	}
	if (dp)
		closedir(dp);
	if (best)
		*netns = ns_of(c, best, "net");
	return best;
}
