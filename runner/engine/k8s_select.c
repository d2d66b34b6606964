// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runner/engine/k8s_select.h"
#include "runner/engine/pods.h"

#define MAX_VALUES 32

struct k8s_select {
	/* per key: the values given, NUL-separated copies */
	char *values[4][MAX_VALUES];
	size_t n[4];
};

void k8s_select_free(struct k8s_select *s)
{
	if (!s)
		return;
	for (size_t k = 0; k < 4; k++)
		for (size_t i = 0; i < s->n[k]; i++)
			free(s->values[k][i]);
	free(s);
}

int k8s_select_add(struct k8s_select **s, enum k8s_select_key key,
		   const char *value, struct error **err)
{
	const char *p = value, *end;

	if (!*s && !(*s = calloc(1, sizeof(**s))))
		return error_set(err, ENOMEM, "k8s selection");
	do {
		size_t len;
		char *v;

		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (!len || len > 253)
			return error_set(err, 0, "bad value '%s'", value);
		if (key == K8S_SELECT_LABELS &&
		    (!memchr(p, '=', len) || *p == '='))
			return error_set(err, 0, "'%.*s': want key=value",
					 (int)len, p);
		if ((*s)->n[key] == MAX_VALUES)
			return error_set(err, 0, "more than %d values",
					 MAX_VALUES);
		v = strndup(p, len);
		if (!v)
			return error_set(err, ENOMEM, "k8s selection");
		(*s)->values[key][(*s)->n[key]++] = v;
		p = end ? end + 1 : NULL;
	} while (p);
	return 0;
}

static bool any_of(char *const *values, size_t n, const char *what)
{
	if (!n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(values[i], what))
			return true;
	return false;
}

/* Is "k=v" one of labels' comma-separated pairs? */
static bool has_label(const char *labels, const char *pair)
{
	size_t len = strlen(pair);

	for (const char *p = labels; p && *p;) {
		if (!strncmp(p, pair, len) && (p[len] == ',' || !p[len]))
			return true;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return false;
}

bool k8s_select_match(const struct k8s_select *s, const struct pod_info *pod,
		      const char *container)
{
	if (!s)
		return true;
	if (!pod)
		return false;
	if (!any_of(s->values[K8S_SELECT_NAMESPACE], s->n[K8S_SELECT_NAMESPACE],
		    pod->namespace) ||
	    !any_of(s->values[K8S_SELECT_PODNAME], s->n[K8S_SELECT_PODNAME],
		    pod->name) ||
	    (container && !any_of(s->values[K8S_SELECT_CONTAINERNAME],
				  s->n[K8S_SELECT_CONTAINERNAME], container)))
		return false;
	for (size_t i = 0; i < s->n[K8S_SELECT_LABELS]; i++)
		if (!has_label(pod->labels, s->values[K8S_SELECT_LABELS][i]))
			return false;
	return true;
}
