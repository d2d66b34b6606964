/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which Kubernetes pod a container belongs to, from what the runtimes
 * record for the containers the kubelet makes (no API server needed):
 *
 * - containerd (CRI plugin): annotations io.kubernetes.cri.* in the
 *   bundle's config.json (container-type, sandbox-name, -namespace, -uid,
 *   container-name);
 * - CRI-O: annotations io.kubernetes.pod.*, io.kubernetes.container.name
 *   and io.kubernetes.cri-o.{ContainerType,SandboxID,Labels};
 * - docker through cri-dockerd: labels io.kubernetes.* in the container's
 *   config.v2.json, pod labels on the sandbox, names
 *   k8s_<container>_<pod>_<namespace>_<uid>_<attempt>;
 * - podman pods (`podman kube play`): the infra container is the sandbox,
 *   the pod's name is the containers' host name.
 *
 * Pod labels that containerd and podman keep in their own state (its API,
 * its database) are read by pod_labels.h.
 *
 * The bundle is found from the container's process: its parent is the
 * runtime's shim, whose working directory is the bundle (containerd), or
 * conmon, which names it (-b).  Folders learned that way, and the
 * runtimes' default ones, are where a container whose process is gone
 * already (a one-shot pod) is looked for.
 *
 * Sandbox (pause) containers hold their pod's network namespace: every pod
 * container's namespace is indexed, so that traffic of the pod's netns is
 * named even when no container process is behind it.
 */
#ifndef RUNNER_PODS_H
#define RUNNER_PODS_H

#include <stdbool.h>
#include <linux/types.h>

#define POD_LABELS_LEN 512

struct pod_info {
	__u64 netns; /* its network namespace (inode); 0: unknown */
	char name[254]; /* empty: not a pod's container */
	char namespace[64];
	char container[64]; /* empty for the sandbox */
	char uid[40];
	char labels[POD_LABELS_LEN]; /* "k=v,k=v", sorted by key */
	bool sandbox; /* the pod's pause (infra) container */
	bool hostnetwork; /* the pod uses the host's network namespace */
};

struct pods;
struct container_info;
struct container_extra;

/* root: "" for this host, or a fake tree (tests). */
struct pods *pods_new(const char *root);
void pods_free(struct pods *p);
/* Name the node (the downward API's NODE_NAME); NULL or "": the host name. */
void pods_set_node(struct pods *p, const char *node);
/* The node's name for k8s.node. */
const char *pods_node(const struct pods *p);
/*
 * Fill ci->pod from the runtime's state of container ci->id, whose first
 * process is pid (0 or gone: the known folders only); also ci->name and
 * ci->image when they are empty (podman's from its storage's
 * containers.json, docker's with another data root, containerd's from its
 * API, with its image's id and digest); with images, the image id and
 * digest of podman's and containerd's containers; ci->bundle and
 * ci->sandbox_id, for pods_extra().  A ci->bundle given (its containerd
 * namespace's, pods_containerd_bundle()) is the one read; "": looked for
 * by id.
 */
void pods_identify(struct pods *p, unsigned int pid, struct container_info *ci,
		   bool images);

/* What containerd did not tell pods_identify() in time (ci->later). */
#define PODS_LATER_LABELS 1 /* the pod's labels */
#define PODS_LATER_IMAGE 2 /* the image */
/* A container's calls that may time out before it is left as it is. */
#define PODS_TIMEOUTS_MAX 4
/*
 * Ask containerd again for what it did not tell in time of ci (none:
 * nothing done), unless its socket is left alone since a timeout (then
 * later): true if ci changed.  Once per container per back-off of the
 * socket at most (pod_labels.h), a call that times out PODS_TIMEOUTS_MAX
 * times in all leaves ci as it is.
 */
bool pods_retry(struct pods *p, struct container_info *ci);

/*
 * What x tells of container ci, whose first process is pid (its bundle
 * and sandbox as pods_identify() found them, looked for again when it
 * did not); ci's image id and digest when not known yet (podman's from
 * its storage, containerd's from its API, with ci->image when that is
 * empty).
 */
void pods_extra(struct pods *p, unsigned int pid, struct container_info *ci,
		struct container_extra *x);

/* The containerd namespace ig's client asks (containers.h); NULL: k8s.io. */
void pods_set_containerd_ns(struct pods *p, const char *ns);
/* Is a containerd container whose bundle is bundle ("": not found) of
 * that namespace (one not found: a CRI container's, k8s.io)? */
bool pods_containerd_asked(const struct pods *p, const char *bundle);
/*
 * Is there a bundle of containerd container id in namespace ns (in the
 * folder of the shim that started pid, learned, or in that namespace's
 * folder beside those of the containerd's known)?  Then its path in out.
 */
bool pods_containerd_bundle(struct pods *p, unsigned int pid, const char *ns,
			    const char *id, char *out, size_t size);

/* Forget the network namespace index (before re-adding what is alive). */
void pods_index_reset(struct pods *p);
/* Index ci's network namespace if ci belongs to a pod; ci must stay valid
 * until the next pods_index_reset(). */
void pods_index_add(struct pods *p, const struct container_info *ci);
/*
 * The pod whose network namespace is netns (never the host's), or NULL.
 * The namespace is the pod's, not one container's: traffic found by it
 * has no container name.
 */
const struct pod_info *pods_by_netns(const struct pods *p, __u64 netns);

#endif
