/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which pods to show, as ig's --k8s-namespace, --k8s-podname,
 * --k8s-containername and --k8s-selector choose them: each given list
 * must match (name_list.h: a comma separates alternatives, "!NAME" leaves
 * NAME out); every pair of the selector must: "key=value" a label the pod
 * has with that value ("key=" any value, "key=!value" any other),
 * "!key=value" not that label.  A flag given again replaces its list, as
 * in ig.  Events outside every container are left out once anything is
 * selected; a container outside pods has empty names and no labels.
 */
#ifndef RUNNER_K8S_SELECT_H
#define RUNNER_K8S_SELECT_H

#include <stdbool.h>

#include "common/error.h"

struct fieldset;
struct k8s_select;
struct pod_info;

enum k8s_select_key {
	K8S_SELECT_NAMESPACE,
	K8S_SELECT_PODNAME,
	K8S_SELECT_CONTAINERNAME,
	K8S_SELECT_LABELS,
};

/* Set what a flag selects (*s is made on first use), in place of what
 * the same flag set before; fails on an empty or malformed value. */
int k8s_select_add(struct k8s_select **s, enum k8s_select_key key,
		   const char *value, struct error **err);
void k8s_select_free(struct k8s_select *s);
/* Is the pod (NULL: no container; all empty: a container outside pods)
 * with this container name selected?  container NULL: the pod, whichever
 * container. */
bool k8s_select_match(const struct k8s_select *s, const struct pod_info *pod,
		      const char *container);
/*
 * Is the pod of event ev (fieldset_selected_pod()) selected?  The answer
 * is kept per mount and network namespaces for as long as the containers
 * of fs stay the same (containers_version()): the fieldsets given must
 * share one containers object.
 */
bool k8s_select_event(struct k8s_select *s, const struct fieldset *fs,
		      const void *ev);

#endif
