/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The values of ig's selection flags (-c, --k8s-namespace, --k8s-podname,
 * --k8s-containername, a label's value in --k8s-selector), matched as ig
 * matches them: a comma-separated list of names, where "!NAME" leaves
 * NAME out and the others are what to keep.  A value matches when no "!"
 * item names it and, if the list has an item without "!", one of those
 * names it: "a,b" keeps a and b, "!a" all but a, "a,!b" only a.
 */
#ifndef RUNNER_NAME_LIST_H
#define RUNNER_NAME_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* Does value match list (as checked by name_list_check())?  An empty list
 * matches every value. */
bool name_list_match(const char *list, const char *value);
/* Refuse an empty item or a bare "!", a name of more than max_len bytes
 * and more than max_items items; the error names the item. */
int name_list_check(const char *list, size_t max_len, size_t max_items,
		    struct error **err);

#endif
