// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runner/engine/fields_internal.h"
#include "runner/engine/k8s_select.h"
#include "runner/engine/name_list.h"
#include "runner/engine/ns_memo.h"
#include "runner/engine/pods.h"

#define MAX_VALUES 32
#define MAX_NAME 253

/* One pair of --k8s-selector: "[!]key=[!]value". */
struct label_sel {
	char *key; /* without its '!' */
	char *value; /* a name list of one item, or "": any value */
	bool excl; /* "!key=...": pods whose label matches are left out */
};

struct k8s_select {
	/* namespace, pod name, container name: the last flag's list */
	char *lists[K8S_SELECT_LABELS];
	/* the last --k8s-selector's pairs, one per key as in ig's map */
	struct label_sel labels[MAX_VALUES];
	size_t n_labels;
	/* k8s_select_event()'s answers; any flag set again drops them */
	struct ns_memo memo[NS_MEMO_WAYS];
};

static void labels_clear(struct k8s_select *s)
{
	for (size_t i = 0; i < s->n_labels; i++) {
		free(s->labels[i].key);
		free(s->labels[i].value);
	}
	s->n_labels = 0;
}

void k8s_select_free(struct k8s_select *s)
{
	if (!s)
		return;
	for (size_t k = 0; k < K8S_SELECT_LABELS; k++)
		free(s->lists[k]);
	labels_clear(s);
	free(s);
}

/* The pair [p, p+len) into s, in place of one with the same key. */
static int add_label(struct k8s_select *s, const char *p, size_t len,
		     struct error **err)
{
	const char *eq = memchr(p, '=', len);
	struct label_sel l = { .excl = *p == '!' };
	const char *key = p + l.excl;
	size_t i;

	if (!eq || memchr(eq + 1, '=', len - (size_t)(eq + 1 - p)) || eq == key)
		return error_set(err, 0, "'%.*s': want key=value", (int)len, p);
	if (len > MAX_NAME)
		return error_set(err, 0, "a pair of more than %d bytes",
				 MAX_NAME);
	l.key = strndup(key, (size_t)(eq - key));
	l.value = strndup(eq + 1, len - (size_t)(eq + 1 - p));
	if (!l.key || !l.value) {
		free(l.key);
		free(l.value);
		return error_set(err, ENOMEM, "k8s selection");
	}
	for (i = 0; i < s->n_labels; i++)
		if (s->labels[i].excl == l.excl &&
		    !strcmp(s->labels[i].key, l.key))
			break;
	if (i < s->n_labels) {
		free(s->labels[i].key);
		free(s->labels[i].value);
	} else {
		s->n_labels++;
	}
	s->labels[i] = l;
	return 0;
}

static int set_labels(struct k8s_select *s, const char *value,
		      struct error **err)
{
	const char *p = value;

	labels_clear(s);
	do {
		size_t len = strcspn(p, ",");

		if (s->n_labels == MAX_VALUES)
			return error_set(err, 0, "more than %d pairs",
					 MAX_VALUES);
		if (add_label(s, p, len, err))
			return -1;
		p = p[len] ? p + len + 1 : NULL;
	} while (p);
	return 0;
}

int k8s_select_add(struct k8s_select **s, enum k8s_select_key key,
		   const char *value, struct error **err)
{
	char *copy;

	if (!*s && !(*s = calloc(1, sizeof(**s))))
		return error_set(err, ENOMEM, "k8s selection");
	memset((*s)->memo, 0, sizeof((*s)->memo));
	if (key == K8S_SELECT_LABELS) {
		if (set_labels(*s, value, err)) {
			labels_clear(*s);
			return -1;
		}
		return 0;
	}
	if (name_list_check(value, MAX_NAME, MAX_VALUES, err))
		return -1;
	copy = strdup(value);
	if (!copy)
		return error_set(err, ENOMEM, "k8s selection");
	free((*s)->lists[key]);
	(*s)->lists[key] = copy;
	return 0;
}

/* The value of label key among labels' "k=v,k=v" into buf; false when
 * the pod has no such label. */
static bool label_value(const char *labels, const char *key, char *buf,
			size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = labels; *p;) {
		size_t len = strcspn(p, ",");

		if (len > klen && p[klen] == '=' && !strncmp(p, key, klen)) {
			len -= klen + 1;
			if (len >= size)
				return false;
			memcpy(buf, p + klen + 1, len);
			buf[len] = '\0';
			return true;
		}
		p += len + (p[len] == ',');
	}
	return false;
}

static bool labels_match(const struct k8s_select *s, const char *labels)
{
	char v[POD_LABELS_LEN];

	for (size_t i = 0; i < s->n_labels; i++) {
		const struct label_sel *l = &s->labels[i];
		bool has = label_value(labels, l->key, v, sizeof(v)) &&
			   name_list_match(l->value, v);

		if (has == l->excl)
			return false;
	}
	return true;
}

static bool list_match(const char *list, const char *value)
{
	return !list || name_list_match(list, value);
}

bool k8s_select_match(const struct k8s_select *s, const struct pod_info *pod,
		      const char *container)
{
	if (!s)
		return true;
	if (!pod)
		return false;
	return list_match(s->lists[K8S_SELECT_NAMESPACE], pod->namespace) &&
	       list_match(s->lists[K8S_SELECT_PODNAME], pod->name) &&
	       (!container ||
		list_match(s->lists[K8S_SELECT_CONTAINERNAME], container)) &&
	       labels_match(s, pod->labels);
}

bool k8s_select_event(struct k8s_select *s, const struct fieldset *fs,
		      const void *ev)
{
	__u64 mntns, netns;
	struct ns_memo *m;
	const struct pod_info *pod;
	const char *ctr;

	if (!s)
		return true;
	fieldset_pod_ns(fs, ev, &mntns, &netns);
	m = ns_memo_way(s->memo, mntns, netns);
	if (ns_memo_kept(m, mntns, netns, fs->containers))
		return m->answer;
	pod = fieldset_selected_pod(fs, ev, &ctr);
	return ns_memo_keep(m, mntns, netns, fs->containers,
			    k8s_select_match(s, pod, ctr));
}
