/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which pods to show, as ig's --k8s-namespace, --k8s-podname,
 * --k8s-containername and --k8s-selector choose them: each given list
 * must match (a comma separates alternatives; the selector's key=value
 * pairs must all be among the pod's labels).  Events outside every pod
 * are left out once anything is selected.
 */
#ifndef RUNNER_K8S_SELECT_H
#define RUNNER_K8S_SELECT_H

#include <stdbool.h>

#include "common/error.h"

struct k8s_select;
struct pod_info;

enum k8s_select_key {
	K8S_SELECT_NAMESPACE,
	K8S_SELECT_PODNAME,
	K8S_SELECT_CONTAINERNAME,
	K8S_SELECT_LABELS,
};

/* Add what a flag selects (*s is made on first use); fails on an empty or
 * malformed value. */
int k8s_select_add(struct k8s_select **s, enum k8s_select_key key,
		   const char *value, struct error **err);
void k8s_select_free(struct k8s_select *s);
/* Is the pod (NULL: none) with this container name selected?  container
 * NULL: the pod, whichever container. */
bool k8s_select_match(const struct k8s_select *s, const struct pod_info *pod,
		      const char *container);

#endif
