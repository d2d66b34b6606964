/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which containers a run selects, as ig's container selector chooses
 * them: -c (their runtime names, name_list.h), the --k8s-* flags
 * (k8s_select.h), --containerimage-id and -digest (image_select.h) and
 * --host=false, each one given must hold.  Once one is given, the host's
 * processes are left out: a mount namespace that is no container's, or
 * one of a runtime --runtimes does not watch (containers.h).
 *
 * container_select_match() answers for one container, once when the
 * runner hears of it or of a change (containers_set_listener()): the
 * uprobes attached (uprobes.h) and the gadget's mount namespace filter
 * in the kernel (gadget/mntns_filter.h) follow it, and so does
 * `runner list-containers` (its pods' sandboxes left out).  The events are
 * filtered by the same rules on their fields (-c on
 * runtime.containerName, --host=false on runtime.containerId,
 * k8s_select_event(), image_select_event()), which say of an event in a
 * container's mount namespace what this says of the container (the pod
 * too: the container's own, not its network namespace's).
 */
#ifndef RUNNER_CONTAINER_SELECT_H
#define RUNNER_CONTAINER_SELECT_H

#include <stdbool.h>

struct container_info;
struct containers;
struct image_select;
struct k8s_select;

/* The selection flags, as set (each NULL or false: not given). */
struct container_select {
	char *names; /* -c's list */
	struct k8s_select *pods; /* --k8s-* */
	struct image_select *images; /* --containerimage-* */
	bool containers_only; /* --host=false */
	/* --host given beside a selection, as ig's: the events are not
	 * filtered by it (neither the kernel's mount namespace filter nor
	 * the fields), and what attaches per container (uprobes, tc, the
	 * network namespace iterators) attaches to the host's as well */
	bool host;
};

/* Free what sel holds (not sel). */
void container_select_fini(struct container_select *sel);
/* Does sel select anything (the host's events left out)? */
bool container_select_any(const struct container_select *sel);
/* Is ci (the container of a mount namespace, NULL: none) a container of
 * a runtime c watches (--runtimes), not one of the host's namespaces that
 * the containers know without an id? */
bool container_select_is_container(const struct containers *c,
				   const struct container_info *ci);
/*
 * Does sel select the mount namespace whose container is ci (NULL or
 * without an id: the namespace is no container's) among containers c
 * (their --runtimes)?  Nothing selected: every namespace.
 */
bool container_select_match(const struct container_select *sel,
			    const struct containers *c,
			    const struct container_info *ci);

#endif
