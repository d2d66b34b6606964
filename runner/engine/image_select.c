// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runner/engine/containers.h"
#include "runner/engine/fields_internal.h"
#include "runner/engine/image_select.h"
#include "runner/engine/name_list.h"
#include "runner/engine/ns_memo.h"

#define MAX_ITEMS 32
#define MAX_ITEM 128

struct image_select {
	char *lists[2]; /* by enum image_select_key; NULL: not given */
	/* image_select_event()'s answers; a flag set again drops them */
	struct ns_memo memo[NS_MEMO_WAYS];
};

/* An image id or digest as ig's selection compares it: after its
 * algorithm, IMAGE_SELECT_CUT characters, into out. */
static void cut(const char *ref, size_t len, char *out)
{
	const char *colon = memchr(ref, ':', len);

	if (colon) {
		len -= (size_t)(colon + 1 - ref);
		ref = colon + 1;
	}
	len = len < IMAGE_SELECT_CUT ? len : IMAGE_SELECT_CUT;
	memcpy(out, ref, len);
	out[len] = '\0';
}

int image_select_add(struct image_select **s, enum image_select_key key,
		     const char *list, struct error **err)
{
	const char *p = list;
	char *items, *o;

	if (name_list_check(list, MAX_ITEM, MAX_ITEMS, err))
		return -1;
	if (!*s && !(*s = calloc(1, sizeof(**s))))
		return error_set(err, ENOMEM, "image selection");
	items = malloc(strlen(list) + 1);
	if (!items)
		return error_set(err, ENOMEM, "image selection");
	for (o = items; *p; p += *p == ',') {
		size_t n;

		if (*p == '!')
			*o++ = *p++;
		n = strcspn(p, ",");
		cut(p, n, o);
		o += strlen(o);
		p += n;
		if (*p)
			*o++ = ',';
	}
	*o = '\0';
	free((*s)->lists[key]);
	(*s)->lists[key] = items;
	memset((*s)->memo, 0, sizeof((*s)->memo));
	return 0;
}

void image_select_free(struct image_select *s)
{
	if (!s)
		return;
	free(s->lists[IMAGE_SELECT_ID]);
	free(s->lists[IMAGE_SELECT_DIGEST]);
	free(s);
}

/* Does value, cut, match list (NULL: not given)? */
static bool one_matches(const char *list, const char *value)
{
	char v[IMAGE_SELECT_CUT + 1];

	if (!list)
		return true;
	cut(value, strlen(value), v);
	return name_list_match(list, v);
}

bool image_select_match(const struct image_select *s, const char *id,
			const char *digest)
{
	return !s || (one_matches(s->lists[IMAGE_SELECT_ID], id) &&
		      one_matches(s->lists[IMAGE_SELECT_DIGEST], digest));
}

bool image_select_event(struct image_select *s, const struct fieldset *fs,
			const void *ev)
{
	const struct container_info *ci;
	__u64 mntns, netns;
	struct ns_memo *m;

	if (!s)
		return true;
	fieldset_pod_ns(fs, ev, &mntns, &netns);
	m = ns_memo_way(s->memo, mntns, 0);
	if (ns_memo_kept(m, mntns, 0, fs->containers))
		return m->answer;
	ci = mntns && fs->containers ?
		     containers_lookup(fs->containers, mntns) :
		     NULL;
	return ns_memo_keep(m, mntns, 0, fs->containers,
			    ci && image_select_match(s, ci->image_id,
						     ci->image_digest));
}
