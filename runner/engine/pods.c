// SPDX-License-Identifier: Apache-2.0
/*
 * Pod identity from the container runtimes' own state (see pods.h).  Runs
 * once per new container (a few small files read), never per event: events
 * find a container by its mount namespace (containers.c) or a pod by its
 * network namespace (the index here, a hash probe).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "common/grow.h"
#include "common/strfmt.h"
#include "runner/engine/containers.h"
#include "runner/engine/pod_labels.h"
#include "runner/engine/pods.h"

#define INDEX_SLOTS 4096 /* a power of two */
#define MAX_LABELS 64
#define PATH_LEN 1024

struct netns_slot {
	__u64 netns; /* 0: free */
	const struct pod_info *pod;
};

struct dirs {
	char **at;
	size_t n, cap;
};

struct pods {
	char root[256];
	char node[256];
	__u64 host_netns;
	/* Folders of bundles named by container id (<id>/ or <id>/userdata/)
	 * and docker's containers/ folders: defaults, then learned ones, as
	 * many as the host has (one per containerd namespace, podman
	 * storage, dockerd: a fixed number left the rest's containers out) */
	struct dirs bundle_dirs, docker_dirs;
	struct netns_slot slots[INDEX_SLOTS];
	size_t used;
	struct pod_labels *labels; /* those kept in the runtimes' state */
	/* the containerd namespace ig's client asks (pods_set_containerd_ns()) */
	char containerd_ns[CONTAINERS_ID_MAX + 1];
};

/* The folder of containerd's bundles of all namespaces (a shim's state). */
#define TASK_DIR "io.containerd.runtime.v2.task"

static const char *const default_bundle_dirs[] = {
	"/run/containerd/io.containerd.runtime.v2.task/k8s.io",
	"/run/containers/storage/overlay-containers", /* CRI-O */
	"/var/lib/containers/storage/overlay-containers", /* podman */
	"/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby",
};

static void learn(struct dirs *d, const char *dir)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->at[i], dir))
			return;
	if (!grow_array((void **)&d->at, &d->cap, d->n + 1, sizeof(*d->at),
			8) &&
	    (d->at[d->n] = strdup(dir)))
		d->n++;
}

static void dirs_free(struct dirs *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->at[i]);
	free(d->at);
}

static __u64 ns_inode(const struct pods *p, unsigned int pid, const char *ns)
{
	char path[PATH_LEN];
	struct stat st;

	fmt_cut(path, sizeof(path), "%s/proc/%u/ns/%s", p->root, pid, ns);
	return stat(path, &st) ? 0 : st.st_ino;
}

struct pods *pods_new(const char *root)
{
	struct pods *p = calloc(1, sizeof(*p));
	size_t i;

	if (!p || !(p->labels = pod_labels_new())) {
		free(p);
		return NULL;
	}
	fmt_cut(p->root, sizeof(p->root), "%s",
		root && strcmp(root, "/") ? root : "");
	pods_set_node(p, NULL);
	pods_set_containerd_ns(p, NULL);
	/* init's; the runner's own where init's is hidden (its own host
	 * namespace then: a DaemonSet's agent has the host's PIDs) */
	p->host_netns = ns_inode(p, 1, "net");
	if (!p->host_netns && !p->root[0])
		p->host_netns = ns_inode(p, (unsigned int)getpid(), "net");
	for (i = 0; i < sizeof(default_bundle_dirs) / sizeof(char *); i++)
		learn(&p->bundle_dirs, default_bundle_dirs[i]);
	learn(&p->docker_dirs, "/var/lib/docker/containers");
	return p;
}

void pods_free(struct pods *p)
{
	if (!p)
		return;
	dirs_free(&p->bundle_dirs);
	dirs_free(&p->docker_dirs);
	pod_labels_free(p->labels);
	free(p);
}

void pods_set_node(struct pods *p, const char *node)
{
	memset(p->node, 0, sizeof(p->node));
	if (node && *node)
		fmt_cut(p->node, sizeof(p->node), "%s", node);
	else if (gethostname(p->node, sizeof(p->node) - 1))
		p->node[0] = '\0';
}

const char *pods_node(const struct pods *p)
{
	return p->node;
}

/*
 * Names and labels come from whoever made the container (any docker or
 * podman user can set io.kubernetes.* labels): control bytes become '?'
 * before they can reach a terminal.
 */
static void tame(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void copy(char *dst, size_t size, const char *src)
{
	if (src && !dst[0]) {
		fmt_cut(dst, size, "%s", src);
		tame(dst);
	}
}

#define COPY(dst, src) copy(dst, sizeof(dst), src)

static bool exists(const struct pods *p, const char *path)
{
	char full[PATH_LEN];

	fmt_cut(full, sizeof(full), "%s%s", p->root, path);
	return access(full, F_OK) == 0;
}

static json_t *load_json(const struct pods *p, const char *path)
{
	char full[PATH_LEN];
	json_error_t jerr;
	json_t *o;

	fmt_cut(full, sizeof(full), "%s%s", p->root, path);
	o = json_load_file(full, 0, &jerr);
	if (o && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* Does path end with "/<id>" or "/<id>/userdata"?  Then *dir_end: where
 * the folder holding the bundles ends. */
static bool names_bundle(const char *path, const char *id, size_t *dir_end)
{
	size_t len = strlen(path), idlen = strlen(id);

	if (len > 9 && !strcmp(path + len - 9, "/userdata"))
		len -= 9;
	if (len <= idlen + 1 || strncmp(path + len - idlen, id, idlen) ||
	    path[len - idlen - 1] != '/')
		return false;
	*dir_end = len - idlen - 1;
	return true;
}

/*
 * The containerd namespace of a bundle .../io.containerd.runtime.v2.task/
 * <namespace>/<id> (copied into ns); NULL if it is not one of containerd's.
 */
static const char *bundle_ns(const char *bundle, char ns[CONTAINERS_ID_MAX + 1])
{
	const char *end = strrchr(bundle, '/'), *start = end, *task;

	while (start && start > bundle && start[-1] != '/')
		start--;
	if (!start || start == bundle || start == end ||
	    end - start > CONTAINERS_ID_MAX)
		return NULL;
	task = start - 1;
	while (task > bundle && task[-1] != '/')
		task--;
	if ((size_t)(start - 1 - task) != strlen(TASK_DIR) ||
	    strncmp(task, TASK_DIR, strlen(TASK_DIR)))
		return NULL;
	memcpy(ns, start, (size_t)(end - start));
	ns[end - start] = '\0';
	return ns;
}

void pods_set_containerd_ns(struct pods *p, const char *ns)
{
	fmt_cut(p->containerd_ns, sizeof(p->containerd_ns), "%s",
		ns ? ns : CONTAINERS_CONTAINERD_NS);
}

bool pods_containerd_asked(const struct pods *p, const char *bundle)
{
	char ns[CONTAINERS_ID_MAX + 1];
	const char *in = bundle_ns(bundle, ns);

	/* not found: a CRI container's (cri-containerd-, kubepods) or
	 * /k8s.io/<id> cgroup's, k8s.io */
	return !strcmp(in ? in : CONTAINERS_CONTAINERD_NS, p->containerd_ns);
}

/* Is there a bundle of container id in folder dir?  Then its path. */
static bool bundle_in(const struct pods *p, const char *dir, const char *id,
		      char *out, size_t size)
{
	char path[PATH_LEN];

	fmt_cut(path, sizeof(path), "%s/%s/config.json", dir, id);
	if (exists(p, path)) {
		fmt_cut(out, size, "%s/%s", dir, id);
		return true;
	}
	fmt_cut(path, sizeof(path), "%s/%s/userdata/config.json", dir, id);
	if (exists(p, path)) {
		fmt_cut(out, size, "%s/%s/userdata", dir, id);
		return true;
	}
	return false;
}

/*
 * Learn the folder of bundles from the runtime process that started pid:
 * conmon (podman, CRI-O) names its bundle with -b; a containerd shim runs
 * in its bundle, which is the pod sandbox's when the shim serves a whole
 * pod (containerd's CRI plugin groups them), next to the container's.
 */
static void learn_from_parent(struct pods *p, unsigned int pid, const char *id)
{
	cleanup_free char *stat = NULL, *cmd = NULL;
	char path[PATH_LEN], dir[PATH_LEN], found[PATH_LEN], *s;
	const char *address = NULL;
	unsigned int ppid = 0;
	size_t len = 0, off;
	ssize_t n;

	fmt_cut(path, sizeof(path), "%s/proc/%u/stat", p->root, pid);
	if (read_file(path, &stat, NULL, NULL))
		return;
	s = strrchr(stat, ')');
	if (!s || sscanf(s + 1, " %*c %u", &ppid) != 1 || ppid <= 1)
		return;
	fmt_cut(path, sizeof(path), "%s/proc/%u/cmdline", p->root, ppid);
	if (read_file(path, &cmd, &len, NULL))
		return;
	dir[0] = '\0';
	s = strrchr(cmd, '/');
	if (!strcmp(s ? s + 1 : cmd, "conmon")) {
		for (off = strlen(cmd) + 1; off < len;
		     off += strlen(cmd + off) + 1) {
			const char *a = cmd + off;

			if ((!strcmp(a, "-b") || !strcmp(a, "--bundle")) &&
			    off + strlen(a) + 1 < len)
				fmt_cut(dir, sizeof(dir), "%s",
					a + strlen(a) + 1);
			else if (!strncmp(a, "--bundle=", 9))
				fmt_cut(dir, sizeof(dir), "%s", a + 9);
		}
	} else {
		/* a containerd shim: -address names containerd's socket */
		for (off = strlen(cmd) + 1; off < len;
		     off += strlen(cmd + off) + 1)
			if (!strcmp(cmd + off, "-address") && off + 9 < len &&
			    cmd[off + 9] == '/')
				address = cmd + off + 9;
		fmt_cut(path, sizeof(path), "%s/proc/%u/cwd", p->root, ppid);
		n = readlink(path, dir, sizeof(dir) - 1);
		dir[n > 0 ? n : 0] = '\0';
	}
	len = strlen(dir);
	if (len > 9 && !strcmp(dir + len - 9, "/userdata"))
		dir[len - 9] = '\0';
	s = strrchr(dir, '/');
	if (!s || s == dir)
		return;
	*s = '\0';
	if (!bundle_in(p, dir, id, found, sizeof(found)))
		return;
	learn(&p->bundle_dirs, dir);
	if (address)
		pod_labels_learn_socket(p->labels, dir, address);
}

/* The bundle folder (path on the host) of container id; 0 if found. */
static int find_bundle(struct pods *p, unsigned int pid, const char *id,
		       char *out, size_t size)
{
	size_t i;

	if (pid)
		learn_from_parent(p, pid, id);
	for (i = 0; i < p->bundle_dirs.n; i++)
		if (bundle_in(p, p->bundle_dirs.at[i], id, out, size))
			return 0;
	return -1;
}

bool pods_containerd_bundle(struct pods *p, unsigned int pid, const char *ns,
			    const char *id, char *out, size_t size)
{
	char found[PATH_LEN], dir[PATH_LEN], other[CONTAINERS_ID_MAX + 1];
	size_t i;

	/* its shim's folder (the namespace's) learned, while its process
	 * is there; then that namespace's folder of each containerd known */
	find_bundle(p, pid, id, found, sizeof(found));
	for (i = 0; i < p->bundle_dirs.n; i++) {
		const char *d = p->bundle_dirs.at[i];

		fmt_cut(dir, sizeof(dir), "%s/-", d);
		if (!bundle_ns(dir, other))
			continue;
		fmt_cut(dir, sizeof(dir), "%.*s/%s", (int)(strrchr(d, '/') - d),
			d, ns);
		if (bundle_in(p, dir, id, out, size)) {
			learn(&p->bundle_dirs, dir);
			return true;
		}
	}
	return false;
}

/* Is id a container id (no path, no dots: it names a folder)? */
static bool safe_id(const char *id)
{
	size_t n = strspn(id, "0123456789abcdefABCDEF");

	return n && n <= 64 && !id[n];
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Key prefixes of labels that are the runtimes', the kubelet's or an
 * image's, not the pod's. */
static const char *const not_pod_labels[] = {
	"io.kubernetes.", /* the kubelet's (pod name, uid, ...) */
	"annotation.", /* cri-dockerd's copies of the pod's annotations */
	"io.cri-containerd.", /* containerd's CRI plugin (kind) */
	"io.containerd.",     "org.opencontainers.", /* image metadata */
	"org.label-schema.",  "io.buildah.",
};

/* A name part of a Kubernetes label key, or a label value: at most 63 of
 * [A-Za-z0-9_.-], beginning and ending with a letter or digit. */
static bool label_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n > 63 || (n && (!isalnum((unsigned char)s[0]) ||
			     !isalnum((unsigned char)s[n - 1]))))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

/*
 * Whether key=val can be a pod's label: a valid Kubernetes label (a
 * key [prefix/]name, the prefix a DNS subdomain; a value) whose key is
 * nobody else's (not_pod_labels).  What an image brings along (a
 * maintainer's address, a description) is rarely a valid label.
 */
static bool pod_label(const char *key, const char *val)
{
	const char *slash = strchr(key, '/'), *name = slash ? slash + 1 : key;
	size_t i;

	for (i = 0; i < sizeof(not_pod_labels) / sizeof(char *); i++)
		if (!strncmp(key, not_pod_labels[i], strlen(not_pod_labels[i])))
			return false;
	if (slash && (slash == key || slash - key > 253 ||
		      strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789-.") !=
			      (size_t)(slash - key)))
		return false;
	return *name && label_name_ok(name, strlen(name)) &&
	       label_name_ok(val, strlen(val));
}

/*
 * "k=v,..." from an object of labels, keys sorted, only the pod's own
 * (pod_label()).  Ends at a whole pair when the buffer is full.
 */
static void format_labels(json_t *labels, char *buf, size_t size)
{
	const char *keys[MAX_LABELS], *key;
	size_t n = 0, i, len = 0;
	json_t *v;

	buf[0] = '\0';
	json_object_foreach (labels, key, v) {
		if (!json_is_string(v) ||
		    !pod_label(key, json_string_value(v)) || n == MAX_LABELS)
			continue;
		keys[n++] = key;
	}
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++) {
		const char *val =
			json_string_value(json_object_get(labels, keys[i]));
		size_t need = strlen(keys[i]) + 1 + strlen(val) + (len ? 1 : 0);

		if (len + need >= size)
			break;
		len += snprintf(buf + len, size - len, "%s%s=%s",
				len ? "," : "", keys[i], val);
	}
	tame(buf);
}

static const char *ann(json_t *anns, const char *key)
{
	return json_string_value(json_object_get(anns, key));
}

/* CRI-O keeps labels as a JSON document in an annotation. */
static void crio_labels(json_t *anns, struct pod_info *pi)
{
	const char *doc = ann(anns, "io.kubernetes.cri-o.Labels");
	json_error_t jerr;
	json_t *l;

	if (!doc || !(l = json_loads(doc, 0, &jerr)))
		return;
	if (json_is_object(l))
		format_labels(l, pi->labels, sizeof(pi->labels));
	json_decref(l);
}

/*
 * What the annotations of a bundle's config.json tell: containerd's CRI
 * plugin (io.kubernetes.cri.*), CRI-O (io.kubernetes.pod.*, cri-o.*).
 */
static void from_annotations(json_t *anns, struct pod_info *pi,
			     char sandbox_id[65])
{
	const char *v;

	if ((v = ann(anns, "io.kubernetes.cri.container-type"))) {
		pi->sandbox = !strcmp(v, "sandbox");
		COPY(pi->name, ann(anns, "io.kubernetes.cri.sandbox-name"));
		COPY(pi->namespace,
		     ann(anns, "io.kubernetes.cri.sandbox-namespace"));
		COPY(pi->uid, ann(anns, "io.kubernetes.cri.sandbox-uid"));
		if (!pi->sandbox)
			COPY(pi->container,
			     ann(anns, "io.kubernetes.cri.container-name"));
		copy(sandbox_id, 65, ann(anns, "io.kubernetes.cri.sandbox-id"));
	}
	COPY(pi->name, ann(anns, "io.kubernetes.pod.name"));
	COPY(pi->namespace, ann(anns, "io.kubernetes.pod.namespace"));
	COPY(pi->uid, ann(anns, "io.kubernetes.pod.uid"));
	if ((v = ann(anns, "io.kubernetes.cri-o.ContainerType")))
		pi->sandbox = !strcmp(v, "sandbox");
	if (!pi->sandbox)
		COPY(pi->container, ann(anns, "io.kubernetes.container.name"));
	copy(sandbox_id, 65, ann(anns, "io.kubernetes.cri-o.SandboxID"));
	if (pi->sandbox)
		crio_labels(anns, pi);
}

/*
 * A podman pod's container (`podman kube play`, `podman pod create`): an
 * infra container is its sandbox; the pod's name is the host name its
 * containers share, kube play names them <pod>-<container>.
 */
static void from_podman(json_t *spec, json_t *anns, struct container_info *ci)
{
	struct pod_info *pi = &ci->pod;
	const char *host = json_string_value(json_object_get(spec, "hostname"));
	const char *type = ann(anns, "io.kubernetes.cri-o.ContainerType");
	size_t hl, i;
	json_t *env;

	/* podman 4 leaves the spec's hostname out, and sets $HOSTNAME */
	json_array_foreach (json_object_get(json_object_get(spec, "process"),
					    "env"),
			    i, env) {
		const char *e = json_string_value(env);

		if (!host && e && !strncmp(e, "HOSTNAME=", 9))
			host = e + 9;
	}
	if (pi->name[0] || !host || !type || strcmp(type, "container") ||
	    !ann(anns, "io.kubernetes.cri-o.SandboxID") ||
	    strcmp(ann(anns, "io.container.manager") ?: "", "libpod"))
		return;
	COPY(pi->name, host);
	hl = strlen(host);
	if (!strncmp(ci->name, host, hl) && ci->name[hl] == '-')
		COPY(pi->container, ci->name + hl + 1);
	else
		COPY(pi->container, ci->name);
}

/*
 * podman: the containers.json of its storage lists id, names and image;
 * it sits next to the bundles (<graphroot>/overlay-containers/<id>/
 * userdata), whatever the storage root (--root, storage.conf, rootless).
 * Container ci's entry there (the whole list in *all, for json_decref()),
 * or NULL; *dir_end: where the storage's overlay-containers folder ends.
 */
static json_t *podman_entry(const struct pods *p, const char *bundle,
			    const struct container_info *ci, json_t **all,
			    size_t *dir_end)
{
	char path[PATH_LEN];
	json_error_t jerr;
	json_t *o;
	size_t i;

	*all = NULL;
	if (strcmp(ci->runtime, "podman") ||
	    !names_bundle(bundle, ci->id, dir_end))
		return NULL;
	fmt_cut(path, sizeof(path), "%s%.*s/containers.json", p->root,
		(int)*dir_end, bundle);
	*all = json_load_file(path, 0, &jerr);
	json_array_foreach (*all, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));

		if (id && !strcmp(id, ci->id))
			return o;
	}
	return NULL;
}

/*
 * podman: the image's id (o: ci's containers.json entry, which ends its
 * storage's overlay-containers folder at dir_end of bundle), and its
 * digest from the images.json of the same storage
 * (<graphroot>/overlay-images/).
 */
static void podman_image(const struct pods *p, const char *bundle,
			 size_t dir_end, json_t *o, struct container_info *ci)
{
	char path[PATH_LEN];
	json_error_t jerr;
	json_t *images, *img;
	const char *slash;
	size_t i;

	COPY(ci->image_id, json_string_value(json_object_get(o, "image")));
	slash = ci->image_id[0] ? memrchr(bundle, '/', dir_end) : NULL;
	if (!slash)
		return;
	fmt_cut(path, sizeof(path), "%s%.*s/overlay-images/images.json",
		p->root, (int)(slash - bundle), bundle);
	images = json_load_file(path, 0, &jerr);
	json_array_foreach (images, i, img) {
		const char *id = json_string_value(json_object_get(img, "id"));

		if (id && !strcmp(id, ci->image_id))
			COPY(ci->image_digest,
			     json_string_value(json_object_get(img, "digest")));
	}
	json_decref(images);
}

/* podman: ci's name and image (names), its image's id and digest (images),
 * from its storage's containers.json, read once. */
static void from_podman_storage(const struct pods *p, const char *bundle,
				struct container_info *ci, bool names,
				bool images)
{
	json_error_t jerr;
	json_t *all, *o, *m;
	const char *meta;
	size_t dir_end;

	o = podman_entry(p, bundle, ci, &all, &dir_end);
	if (o && names) {
		COPY(ci->name, json_string_value(json_array_get(
				       json_object_get(o, "names"), 0)));
		/* "metadata" is a JSON document in a string */
		meta = json_string_value(json_object_get(o, "metadata"));
		m = meta ? json_loads(meta, 0, &jerr) : NULL;
		COPY(ci->image,
		     json_string_value(json_object_get(m, "image-name")));
		json_decref(m);
	}
	if (o && images)
		podman_image(p, bundle, dir_end, o, ci);
	json_decref(all);
}

/* Labels of the sandbox next to bundle (same folder of bundles). */
static void sandbox_labels(struct pods *p, const char *bundle, const char *id,
			   const char *sandbox_id, struct pod_info *pi)
{
	char path[PATH_LEN];
	size_t dir_end;
	json_t *spec;

	if (!safe_id(sandbox_id) || pi->labels[0] ||
	    !names_bundle(bundle, id, &dir_end))
		return;
	fmt_cut(path, sizeof(path), "%.*s/%s%s/config.json", (int)dir_end,
		bundle, sandbox_id,
		strlen(bundle) - dir_end > strlen(id) + 1 ? "/userdata" : "");
	spec = load_json(p, path);
	crio_labels(json_object_get(spec, "annotations"), pi);
	json_decref(spec);
}

/* What a call to containerd (pod_labels.h) said of what (PODS_LATER_*) of
 * ci: asked again later, unless ci's calls timed out too often. */
static void note_later(struct container_info *ci, unsigned char what,
		       enum pod_labels_later later)
{
	if (later == POD_LABELS_TIMED_OUT && ci->timeouts < UCHAR_MAX)
		ci->timeouts++;
	if (later != POD_LABELS_FINAL && ci->timeouts < PODS_TIMEOUTS_MAX)
		ci->later |= what;
}

/*
 * containerd's labels of ci's pod, on its sandbox container (sandbox_id,
 * or ci itself) and asked of containerd at the socket of ci's bundle's
 * folder (dir).
 */
static json_t *containerd_labels(struct pods *p, const char *dir,
				 struct container_info *ci,
				 const char *sandbox_id)
{
	const char *sid = ci->pod.sandbox ? ci->id : sandbox_id;
	enum pod_labels_later later;
	json_t *l;

	if (!safe_id(sid))
		return NULL;
	l = pod_labels_containerd(p->labels, p->root, dir, sid, &later);
	note_later(ci, PODS_LATER_LABELS, later);
	return l;
}

/*
 * Labels the runtime keeps in its own state (pod_labels.h): containerd's
 * on the sandbox container, podman's in its pod's config; anns NULL:
 * containerd's (pods_retry()).
 */
static void state_labels(struct pods *p, const char *bundle,
			 struct container_info *ci, json_t *anns,
			 const char *sandbox_id)
{
	struct pod_info *pi = &ci->pod;
	char dir[PATH_LEN];
	size_t dir_end;
	json_t *l = NULL;

	if (!pi->name[0] || pi->labels[0] ||
	    !names_bundle(bundle, ci->id, &dir_end))
		return;
	fmt_cut(dir, sizeof(dir), "%.*s", (int)dir_end, bundle);
	if (!anns || ann(anns, "io.kubernetes.cri.container-type"))
		l = containerd_labels(p, dir, ci, sandbox_id);
	else if (!strcmp(ann(anns, "io.container.manager") ?: "", "libpod"))
		l = pod_labels_podman(p->labels, p->root, dir, ci->id);
	format_labels(l, pi->labels, sizeof(pi->labels));
	json_decref(l);
}

/*
 * docker's containers/<id> folder.  The bind mount of /etc/hostname comes
 * from a containers/ folder, whatever the data root: this container's, or
 * the one whose network it joined (a pod's sandbox).
 */
static int docker_dir(struct pods *p, json_t *spec, const char *id, char *out,
		      size_t size)
{
	json_t *m;
	size_t i;

	json_array_foreach (json_object_get(spec, "mounts"), i, m) {
		const char *dst =
			json_string_value(json_object_get(m, "destination"));
		const char *src =
			json_string_value(json_object_get(m, "source"));
		char dir[PATH_LEN], *s;

		if (!dst || !src || strcmp(dst, "/etc/hostname"))
			continue;
		fmt_cut(dir, sizeof(dir), "%s", src);
		for (int up = 0; up < 2;
		     up++) /* .../containers/<id>/hostname */
			if ((s = strrchr(dir, '/')) && s != dir)
				*s = '\0';
		fmt_cut(out, size, "%s/%s/config.v2.json", dir, id);
		if (exists(p, out))
			learn(&p->docker_dirs, dir);
	}
	for (i = 0; i < p->docker_dirs.n; i++) {
		char path[PATH_LEN];

		fmt_cut(path, sizeof(path), "%s/%s/config.v2.json",
			p->docker_dirs.at[i], id);
		if (exists(p, path)) {
			fmt_cut(out, size, "%s/%s", p->docker_dirs.at[i], id);
			return 0;
		}
	}
	return -1;
}

/* cri-dockerd's names: k8s_<container>_<pod>_<namespace>_<uid>_<attempt>
 * (the sandbox's container is POD). */
static void from_docker_name(const char *name, struct pod_info *pi)
{
	char buf[512], *part[6], *save = NULL, *s;
	int n = 0;

	fmt_cut(buf, sizeof(buf), "%s", name);
	for (s = strtok_r(buf, "_", &save); s && n < 6;
	     s = strtok_r(NULL, "_", &save))
		part[n++] = s;
	if (n != 6 || strcmp(part[0], "k8s") || s)
		return;
	pi->sandbox = !strcmp(part[1], "POD");
	if (!pi->sandbox)
		COPY(pi->container, part[1]);
	COPY(pi->name, part[2]);
	COPY(pi->namespace, part[3]);
	COPY(pi->uid, part[4]);
}

/*
 * docker (cri-dockerd): config.v2.json has the name, image and labels; pod
 * labels are the sandbox's own labels.
 */
static void from_docker(struct pods *p, json_t *spec, struct container_info *ci)
{
	struct pod_info *pi = &ci->pod;
	char dir[PATH_LEN], path[PATH_LEN];
	const char *name, *image, *v, *sid;
	json_t *cfg, *labels;

	if (docker_dir(p, spec, ci->id, dir, sizeof(dir)))
		return;
	fmt_cut(path, sizeof(path), "%s/config.v2.json", dir);
	cfg = load_json(p, path);
	if (!cfg)
		return;
	name = json_string_value(json_object_get(cfg, "Name"));
	image = json_string_value(
		json_object_get(json_object_get(cfg, "Config"), "Image"));
	labels = json_object_get(json_object_get(cfg, "Config"), "Labels");
	if (name && name[0] == '/')
		name++;
	COPY(ci->name, name);
	if (!ci->image[0] && image) {
		containers_docker_image(ci, image);
		tame(ci->image);
	}
	COPY(pi->name, ann(labels, "io.kubernetes.pod.name"));
	COPY(pi->namespace, ann(labels, "io.kubernetes.pod.namespace"));
	COPY(pi->uid, ann(labels, "io.kubernetes.pod.uid"));
	if ((v = ann(labels, "io.kubernetes.docker.type")))
		pi->sandbox = !strcmp(v, "podsandbox");
	if (!pi->sandbox)
		COPY(pi->container,
		     ann(labels, "io.kubernetes.container.name"));
	if (name)
		from_docker_name(name, pi);
	if (pi->name[0] && pi->sandbox) {
		format_labels(labels, pi->labels, sizeof(pi->labels));
	} else if (pi->name[0] &&
		   (sid = ann(labels, "io.kubernetes.sandbox.id")) &&
		   safe_id(sid) && strrchr(dir, '/')) {
		json_t *sb;

		fmt_cut(path, sizeof(path), "%.*s/%s/config.v2.json",
			(int)(strrchr(dir, '/') - dir), dir, sid);
		sb = load_json(p, path);
		format_labels(json_object_get(json_object_get(sb, "Config"),
					      "Labels"),
			      pi->labels, sizeof(pi->labels));
		json_decref(sb);
	}
	json_decref(cfg);
}

/* Does the spec give the container a network namespace of its own (or
 * another's)?  Without one it runs in the host's. */
static bool spec_has_netns(json_t *spec)
{
	json_t *ns;
	size_t i;

	json_array_foreach (json_object_get(json_object_get(spec, "linux"),
					    "namespaces"),
			    i, ns) {
		const char *t = json_string_value(json_object_get(ns, "type"));

		if (t && !strcmp(t, "network"))
			return true;
	}
	return false;
}

/*
 * containerd: the image's name (when empty), id and digest from its API,
 * for container ci whose bundle is bundle (ig's containerd client asks
 * the same).
 */
static void containerd_image(struct pods *p, const char *bundle,
			     struct container_info *ci)
{
	enum pod_labels_later later;
	struct containerd_image img;
	char dir[PATH_LEN];
	size_t dir_end;
	int rc;

	/* ig's client asks its namespace only */
	if (strcmp(ci->runtime, "containerd") ||
	    !pods_containerd_asked(p, bundle))
		return;
	/*
	 * No bundle found: a container of namespace k8s.io (its cgroup
	 * says so, /k8s.io/<id> or cri-containerd-<id>), whose bundle went
	 * with its task; a one-shot container's goes as soon as it ends
	 * (`ctr run`), often before its first exec is read here.
	 */
	if (!bundle[0]) {
		rc = pod_labels_containerd_image_any(p->labels, p->root,
						     CONTAINERS_CONTAINERD_NS,
						     ci->id, &img, &later);
	} else if (names_bundle(bundle, ci->id, &dir_end)) {
		fmt_cut(dir, sizeof(dir), "%.*s", (int)dir_end, bundle);
		rc = pod_labels_containerd_image(p->labels, p->root, dir,
						 ci->id, &img, &later);
	} else {
		return;
	}
	if (rc) {
		note_later(ci, PODS_LATER_IMAGE, later);
		return;
	}
	COPY(ci->image, img.name);
	COPY(ci->image_id, img.id);
	COPY(ci->image_digest, img.digest);
}

/* The sandbox of a container from its bundle's annotations, as ig's
 * annotation resolvers find it (containerd's CRI plugin, CRI-O). */
static void extra_sandbox(json_t *anns, char sandbox_id[65])
{
	if (ann(anns, "io.kubernetes.cri.container-type"))
		copy(sandbox_id, 65, ann(anns, "io.kubernetes.cri.sandbox-id"));
	else if (!strcmp(ann(anns, "io.container.manager") ?: "", "cri-o"))
		copy(sandbox_id, 65,
		     ann(anns, "io.kubernetes.cri-o.SandboxID"));
}

void pods_identify(struct pods *p, unsigned int pid, struct container_info *ci,
		   bool images)
{
	struct pod_info *pi = &ci->pod;
	char bundle[PATH_LEN], path[PATH_LEN + 16], sandbox_id[65] = "";
	json_t *spec = NULL;

	memset(pi, 0, sizeof(*pi));
	ci->later = ci->timeouts = 0;
	/* one found in its namespace's folder stays: another namespace's
	 * folder may hold a bundle of that id too */
	fmt_cut(bundle, sizeof(bundle), "%s", ci->bundle);
	ci->bundle[0] = ci->sandbox_id[0] = '\0';
	if (!ci->id[0])
		return;
	if (pid)
		pi->netns = ns_inode(p, pid, "net");
	if (bundle[0] || !find_bundle(p, pid, ci->id, bundle, sizeof(bundle))) {
		json_t *anns;

		fmt_cut(path, sizeof(path), "%s/config.json", bundle);
		spec = load_json(p, path);
		anns = json_object_get(spec, "annotations");
		fmt_cut(ci->bundle, sizeof(ci->bundle), "%s", bundle);
		extra_sandbox(anns, ci->sandbox_id);
		from_annotations(anns, pi, sandbox_id);
		from_podman_storage(p, bundle, ci, true, images);
		from_podman(spec, anns, ci);
		/* containerd 1.7's CRI plugin tells the image too; without
		 * it (or for its id), containerd's API, as ig's client */
		COPY(ci->image, ann(anns, "io.kubernetes.cri.image-name"));
		if (!ci->image[0] || images)
			containerd_image(p, bundle, ci);
		if (pi->name[0] && !pi->sandbox)
			sandbox_labels(p, bundle, ci->id, sandbox_id, pi);
		state_labels(p, bundle, ci, anns, sandbox_id);
	} else {
		containerd_image(p, "", ci);
	}
	if (!pi->name[0] || !ci->name[0] || !ci->image[0])
		from_docker(p, spec, ci);
	if (pi->name[0])
		pi->hostnetwork = pi->netns ? pi->netns == p->host_netns :
				  spec	    ? !spec_has_netns(spec) :
					      false;
	json_decref(spec);
}

void pods_extra(struct pods *p, unsigned int pid, struct container_info *ci,
		struct container_extra *x)
{
	char path[PATH_LEN + 16];
	json_t *spec;

	if (!ci->id[0])
		return;
	/* not found with its pod: its folder of bundles may be known now */
	if (!ci->bundle[0]) {
		if (find_bundle(p, pid, ci->id, ci->bundle, sizeof(ci->bundle)))
			return;
		fmt_cut(path, sizeof(path), "%s/config.json", ci->bundle);
		spec = load_json(p, path);
		extra_sandbox(json_object_get(spec, "annotations"),
			      ci->sandbox_id);
		json_decref(spec);
	}
	COPY(x->bundle, ci->bundle);
	COPY(x->sandbox_id, ci->sandbox_id);
	if (ci->image_id[0]) /* known since it was found */
		return;
	from_podman_storage(p, ci->bundle, ci, false, true);
	containerd_image(p, ci->bundle, ci);
}

bool pods_retry(struct pods *p, struct container_info *ci)
{
	char labels[POD_LABELS_LEN], image[sizeof(ci->image)],
		image_id[sizeof(ci->image_id)];
	unsigned char later = ci->later;

	if (!later)
		return false;
	fmt_cut(labels, sizeof(labels), "%s", ci->pod.labels);
	fmt_cut(image, sizeof(image), "%s", ci->image);
	fmt_cut(image_id, sizeof(image_id), "%s", ci->image_id);
	ci->later = 0;
	/* the socket's back-off since a timeout left ci as it was: later */
	if (later & PODS_LATER_IMAGE)
		containerd_image(p, ci->bundle, ci);
	if (later & PODS_LATER_LABELS)
		state_labels(p, ci->bundle, ci, NULL, ci->sandbox_id);
	return strcmp(labels, ci->pod.labels) || strcmp(image, ci->image) ||
	       strcmp(image_id, ci->image_id);
}

/* ---- network namespace index -------------------------------------- */

void pods_index_reset(struct pods *p)
{
	memset(p->slots, 0, sizeof(p->slots));
	p->used = 0;
}

static size_t slot_of(__u64 netns)
{
	return (size_t)((netns * 0x9E3779B97F4A7C15ULL) >> 52) &
	       (INDEX_SLOTS - 1);
}

void pods_index_add(struct pods *p, const struct container_info *ci)
{
	const struct pod_info *pi = &ci->pod;
	size_t i;

	if (!pi->name[0] || !pi->netns || pi->hostnetwork ||
	    pi->netns == p->host_netns)
		return;
	for (i = slot_of(pi->netns);; i = (i + 1) & (INDEX_SLOTS - 1)) {
		struct netns_slot *s = &p->slots[i];

		if (s->netns && s->netns != pi->netns)
			continue;
		if (!s->netns) {
			if (p->used >= INDEX_SLOTS / 2)
				return; /* full enough: probes stay short */
			p->used++;
			s->netns = pi->netns;
		}
		/* the sandbox names the pod; a container may come first */
		if (!s->pod || pi->sandbox)
			s->pod = pi;
		return;
	}
}

const struct pod_info *pods_by_netns(const struct pods *p, __u64 netns)
{
	size_t i;

	if (!netns)
		return NULL;
	for (i = slot_of(netns);; i = (i + 1) & (INDEX_SLOTS - 1)) {
		const struct netns_slot *s = &p->slots[i];

		if (!s->netns)
			return NULL;
		if (s->netns != netns)
			continue;
		/* an entry may have been reused for another namespace since */
		return s->pod->netns == netns ? s->pod : NULL;
	}
}
