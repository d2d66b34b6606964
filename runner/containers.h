/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which container a mount namespace belongs to, from the host's own files:
 * /proc/<pid>/ns/mnt and /proc/<pid>/cgroup give the runtime and the
 * container id; podman's and docker's state files give name and image.
 * Refreshed by containers_scan() (once a second from the run loop), so a
 * lookup on the event path is a hash probe, with /proc read only for a
 * mount namespace never seen before.
 */
#ifndef RUNNER_CONTAINERS_H
#define RUNNER_CONTAINERS_H

#include <linux/types.h>

#include "common/error.h"

struct containers;

struct container_info {
	char runtime[16]; /* "podman", "docker", "containerd", "cri-o" */
	char id[65];
	char name[128];
	char image[256];
};

/* root: "/" normally; tests may point at a fake tree. */
struct containers *containers_new(const char *root);
void containers_free(struct containers *c);
/* Re-read /proc (and the runtimes' state for new containers). */
int containers_scan(struct containers *c, struct error **err);
/*
 * The container of mntns, or NULL (host, or unknown).  A namespace not seen
 * before is looked for in /proc at once (a short-lived container may be
 * gone by the next scan); one that is not found is not looked for again
 * until the next containers_scan().
 */
const struct container_info *containers_lookup(struct containers *c,
					       __u64 mntns);
/* Parse one /proc/<pid>/cgroup text: runtime and id; 0 if found. */
int containers_parse_cgroup(const char *text, char runtime[16], char id[65]);

#endif
