/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which container a mount namespace belongs to.
 *
 * An exec hook in the kernel (runner/engine/containers_tracker.h) tells the
 * runner the cgroup of the first exec in each mount namespace, and again
 * when the kernel gives a freed namespace number to a new namespace: the
 * container id comes from the cgroup's names, its name and image from
 * podman's and docker's state files, read right then (a one-shot
 * container may be gone a millisecond later).  A /proc scan
 * (containers_scan(), at start and once a second) covers the namespaces
 * that were there before the runner, and is all there is when the hook
 * cannot load.
 *
 * containers_poll() takes in what the kernel told; containers_lookup() is
 * a hash probe.  A container whose namespace went is told gone to the
 * listener, but lookups of that namespace still give it (an event may name
 * it seconds later: a DNS query reported unanswered after a timeout)
 * until the kernel gives the number to another namespace, or until
 * CONTAINERS_GONE_MAX more containers have gone.
 */
#ifndef RUNNER_CONTAINERS_H
#define RUNNER_CONTAINERS_H

#include <stdbool.h>
#include <linux/types.h>

#include "common/error.h"
#include "runner/engine/pods.h"

struct containers;
struct containers_note;

/* The longest container id: containerd's identifiers (ids and
 * namespaces) take up to 76 characters, the others' are 64 hex. */
#define CONTAINERS_ID_MAX 76
/* containerd's namespace that ig's containerd client asks by default */
#define CONTAINERS_CONTAINERD_NS "k8s.io"

/* Gone containers whose info lookups still give (about 2.7 KiB each:
 * container_info holds the bundle, sandbox and image of list-containers). */
#define CONTAINERS_GONE_MAX 512

struct container_info {
	/* "podman", "docker", "containerd", "cri-o"; "" for a containerd
	 * container ig's client does not ask for (containers_set_containerd_ns()) */
	char runtime[16];
	char id[CONTAINERS_ID_MAX + 1];
	char name[128];
	char image[256];
	/* as its runtime reports them; "" unless containers_want_images()
	 * asked, but containerd's, which come with its image's name */
	char image_id[80];
	char image_digest[80]; /* "sha256:...": the manifest's, when known */
	struct pod_info pod; /* name empty: not a pod's */
	/* as found with pod (pods_identify()), for containers_extra():
	 * its OCI bundle's folder ("": not found) and its sandbox */
	char bundle[1024];
	char sandbox_id[65];
	/* what containerd was too busy to tell (PODS_LATER_*), asked again
	 * by pods_retry(), and how many of its calls timed out so far */
	unsigned char later;
	unsigned char timeouts;
};

/*
 * What `list-containers` shows of a container besides container_info,
 * read when asked (containers_extra()), never for an event.
 */
struct container_extra {
	__u64 started_at; /* its first process's start, ns since 1970 */
	__u64 cgroup_id; /* of cgroup_path */
	char cgroup_path[512 + 32]; /* cgroup_v2 under the cgroup2 mount */
	char cgroup_v1[512]; /* the name=systemd hierarchy's path */
	char cgroup_v2[512];
	char bundle[1024]; /* its OCI bundle's folder (a host path) */
	char sandbox_id[65]; /* its CRI pod's sandbox (containerd, CRI-O) */
};

/*
 * root: "/" (or NULL) for this host, with the exec hook when it loads
 * (quietly without it: RUNNER_DEBUG=1 says why); tests may point at a
 * fake tree, without the hook.  The hook loads on a thread of its own
 * from containers_load_ahead(), beside the gadget's load; the calls below
 * that need it wait for it.
 */
struct containers *containers_new(const char *root);
/* Start loading the exec hook (once; a no-op without one): the kernel's
 * work, for a run that is sure to start. */
void containers_load_ahead(struct containers *c);
/* The same without the exec hook: what containers_scan() finds in /proc,
 * and nothing loaded into the kernel. */
struct containers *containers_new_proc(const char *root);
/* Where dockerd keeps its data (its --data-root); NULL: /var/lib/docker. */
void containers_set_docker_root(struct containers *c, const char *dir);
/*
 * ig's --containerd-namespace: the containerd namespace whose containers
 * are named as ig's containerd client names them (runtime containerd, the
 * name its Kubernetes label or annotation gives, else its id; its image
 * from containerd's API); NULL: CONTAINERS_CONTAINERD_NS.  Those of other
 * namespaces are known by their ids only, as ig's runc hook knows them:
 * no name, and the runtime and image only a CRI annotation tells.  ns is
 * one of containerd's identifiers; set before the first scan.
 */
int containers_set_containerd_ns(struct containers *c, const char *ns,
				 struct error **err);
/* 0 if containers_set_containerd_ns() takes ns, else -1 with *err. */
int containers_check_containerd_ns(const char *ns, struct error **err);
/* Is ns one of containerd's identifiers (a namespace, an id)? */
bool containers_containerd_ident(const char *ns);
/* Read each container's image id and digest (container_info) when it is
 * found, from now on (run's --containerimage-id and -digest). */
void containers_want_images(struct containers *c);
/* The node's name for k8s.node; NULL: the host name. */
void containers_set_node(struct containers *c, const char *node);
void containers_free(struct containers *c);
/* Whether the exec hook runs. */
bool containers_tracking(const struct containers *c);
/* A descriptor readable at each of the hook's notes (edge: wait on it with
 * EPOLLET, then containers_poll()); -1 without the hook. */
int containers_notes_fd(const struct containers *c);
/* Take in the hook's pending notes.  Reads memory only, unless a note is
 * about a container not known yet. */
void containers_poll(struct containers *c);
/*
 * Those made up to boot_ns (boot-time ns, as events' timestamps): call it
 * with an event's time before handling the event, so that the exec of the
 * event's process, told earlier, is known, and a namespace that took its
 * number after the event (numbers are reused at once) is not taken in
 * yet: a reader that lags behind its events names them by the namespace
 * they came from.  True when a note made after boot_ns waits so: one
 * about a namespace that took the number of a container known.
 */
bool containers_poll_until(struct containers *c, __u64 boot_ns);
/*
 * For an event of process pid in mntns made at boot_ns, after
 * containers_poll_until(boot_ns): the note held back is taken in (with
 * those after it, up to boot_ns) if it tells of pid's exec in mntns.  The
 * event is of that namespace, not of the one that had its number before:
 * of that very exec, stamped before the note when a gadget's hook on the
 * exec ran before the runner's (the kernel runs a tracepoint's hooks in
 * the order they were first attached, by whichever process).
 */
void containers_poll_own(struct containers *c, __u64 boot_ns, __u64 mntns,
			 __u32 pid);
/* Update the cache from one note of the hook (see containers_poll()). */
int containers_handle_note(struct containers *c,
			   const struct containers_note *n);
/* Re-read /proc (and the runtimes' state for new containers), then take
 * in the hook's notes. */
int containers_scan(struct containers *c, struct error **err);
/* The same on a thread, from now until containers_scan_end() (which says
 * how it went); the other calls wait for it too.  Set the docker root and
 * the node before. */
void containers_scan_begin(struct containers *c);
int containers_scan_end(struct containers *c, struct error **err);
/*
 * The container of mntns, or NULL (host, or unknown); also that of a
 * namespace gone (see above).  Without the exec
 * hook, a namespace not seen before is looked for in /proc at once (a
 * short-lived container may be gone by the next scan); one that is not
 * found is not looked for again until the next containers_scan().
 */
/*
 * ig's --runtimes: only containers of the runtimes in list (docker,
 * containerd, cri-o, podman, comma-separated; checked by the caller) are
 * known to containers_lookup(): the processes of the others are the
 * host's, as for ig, which does not watch those runtimes.  NULL: all.
 */
int containers_set_runtimes(struct containers *c, const char *list,
			    struct error **err);
/* Is ci of a runtime containers_set_runtimes() keeps? */
bool containers_runtime_wanted(const struct containers *c,
			       const struct container_info *ci);
const struct container_info *containers_lookup(struct containers *c,
					       __u64 mntns);
/* What a mount namespace is now: ci, or NULL when it is gone. */
typedef void (*containers_fn)(void *ctx, __u64 mntns,
			      const struct container_info *ci);
/* Tell fn of every namespace named or let go from now on. */
void containers_set_listener(struct containers *c, containers_fn fn, void *ctx);
/* Call fn for every namespace known now (not those gone). */
void containers_foreach(struct containers *c, containers_fn fn, void *ctx);
/* The exec hook's pod selection maps (containers_tracker_filter_fds());
 * -1 without the hook. */
void containers_filter_fds(const struct containers *c, int *mntns_fd,
			   int *netns_fd);
/* The node's name (k8s.node). */
const char *containers_node(const struct containers *c);
/*
 * A number that changes whenever what containers_lookup(),
 * containers_pod_of_netns() or containers_node() answer may change (read
 * it after the lookup: a lookup may add what it finds).  A result kept
 * with it holds while it stays the same.
 */
unsigned long containers_version(const struct containers *c);
/* The pod whose network namespace is netns; NULL if none. */
const struct pod_info *containers_pod_of_netns(const struct containers *c,
					       __u64 netns);
/*
 * The container's first process in mntns, as its runtime reports it: the
 * lowest pid there whose parent is outside (the runtime's shim or
 * conmon), and its network namespace in *netns; 0 when none is left.
 * Reads /proc.
 */
unsigned int containers_init_pid(const struct containers *c, __u64 mntns,
				 __u64 *netns);
/*
 * x for container ci, whose first process is pid (containers_init_pid()):
 * from /proc and the runtime's state; ci's image id and digest too when
 * not known yet (containerd's: its API).
 */
void containers_extra(struct containers *c, unsigned int pid,
		      struct container_info *ci, struct container_extra *x);
/* The text of x's bundle's config.json (at most 16 MiB, as ig reads
 * it), to free(); NULL if there is none. */
char *containers_oci_config(const struct containers *c,
			    const struct container_extra *x);
/* ci->image from a docker Config.Image: the name of a name@digest, as
 * ig's docker client cuts it. */
void containers_docker_image(struct container_info *ci, const char *image);

/* Parse one /proc/<pid>/cgroup text (or a cgroup path): runtime and id;
 * 0 if found. */
int containers_parse_cgroup(const char *text, char runtime[16],
			    char id[CONTAINERS_ID_MAX + 1]);
/*
 * containerd's cgroupfs default for a container of any namespace,
 * /<namespace>/<id> (`ctr -n NS run`), as the whole path of a line of
 * text (or of a cgroup path), or below "/.." steps (a path read in a
 * cgroup namespace whose root is elsewhere): namespace and id, 0 if it is
 * one; only its bundle tells that it is a container's
 * (pods_containerd_bundle()).
 */
int containers_parse_containerd_cgroup(const char *text,
				       char ns[CONTAINERS_ID_MAX + 1],
				       char id[CONTAINERS_ID_MAX + 1]);

#endif
