/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pod labels that runtimes keep in their own state rather than in a
 * bundle (pods.c reads those):
 *
 * - containerd's CRI plugin puts the pod's labels on the sandbox
 *   container's containerd labels: asked from containerd's API
 *   (containerd_api.h), at the socket its shim was started with (-address),
 *   in the namespace the bundle lies in;
 * - podman (`podman kube play`, `podman pod create --label`) keeps them in
 *   the pod's config in its database, libpod/bolt_state.db next to
 *   overlay-containers/: read there (boltdb.h), through the container's
 *   config, which names its pod.
 *
 * Asked once per container the runner meets (never per event), a sandbox's
 * answer kept for its pod's other containers.  A socket that cannot be
 * reached is said once in the log and left alone for POD_LABELS_ABSENT_MS:
 * the labels stay empty.  One that does not answer within
 * CONTAINERD_TIMEOUT_MS (a busy containerd) is left alone for
 * POD_LABELS_BUSY_MS, doubled at each timeout in a row (an answer, "no
 * such container" too, ends the row) up to POD_LABELS_ABSENT_MS, and the
 * caller is told to ask again later (enum pod_labels_later; pods_retry()
 * does, for each container).
 */
#ifndef RUNNER_POD_LABELS_H
#define RUNNER_POD_LABELS_H

#include <jansson.h>

#include "runner/engine/containerd_api.h"

#define CONTAINERD_SOCK "/run/containerd/containerd.sock"
/* How long a socket that cannot be reached is left alone. */
#define POD_LABELS_ABSENT_MS 10000
/* How long one that did not answer in time is, the first time. */
#define POD_LABELS_BUSY_MS 1000

/* Whether what containerd did not tell may come if asked again. */
enum pod_labels_later {
	POD_LABELS_FINAL, /* told, or failed for good */
	POD_LABELS_SKIPPED, /* not asked: its socket is busy, left alone */
	POD_LABELS_TIMED_OUT, /* asked, and no answer came in time */
};

struct pod_labels;

struct pod_labels *pod_labels_new(void);
void pod_labels_free(struct pod_labels *pl);
/* The shim of the bundles in folder dir was started for containerd at
 * socket sock (a path on the host). */
void pod_labels_learn_socket(struct pod_labels *pl, const char *dir,
			     const char *sock);
/*
 * The containerd labels of sandbox container sid, whose bundle lies in
 * folder dir (.../<namespace>/<sid>); root prefixes host paths.  A new
 * reference to an object of strings, or NULL with *later.
 */
json_t *pod_labels_containerd(struct pod_labels *pl, const char *root,
			      const char *dir, const char *sid,
			      enum pod_labels_later *later);
/*
 * The image of containerd container id, whose bundle lies in folder dir
 * (.../<namespace>/<id>), at the socket learned for dir: 0 with *out, or
 * -1 with what was told before the failure in *out, and *later (a socket
 * that fails is said once in the log).
 */
int pod_labels_containerd_image(struct pod_labels *pl, const char *root,
				const char *dir, const char *id,
				struct containerd_image *out,
				enum pod_labels_later *later);
/*
 * The same for container id of containerd namespace ns whose bundle is
 * not found (gone with its task, as a one-shot container's soon is):
 * asked of each containerd whose socket is known (learned from a shim or
 * used for a bundle's folder; none: CONTAINERD_SOCK, if it is there), the
 * first that knows id; -1 and *out empty if none does (*later: one of
 * them was busy).
 */
int pod_labels_containerd_image_any(struct pod_labels *pl, const char *root,
				    const char *ns, const char *id,
				    struct containerd_image *out,
				    enum pod_labels_later *later);
/* The labels of podman container id's pod, from the database of the
 * storage whose overlay-containers folder is dir; NULL if none. */
json_t *pod_labels_podman(struct pod_labels *pl, const char *root,
			  const char *dir, const char *id);

#endif
