// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "runner/engine/name_list.h"

/* The item at p: where it ends (',' or NUL); its name after any '!'. */
static const char *item(const char *p, const char **name)
{
	*name = p + (*p == '!');
	return p + strcspn(p, ",");
}

bool name_list_match(const char *list, const char *value)
{
	size_t vlen = strlen(value);
	bool keep = false, any_keep = false;

	for (const char *p = list; *p;) {
		const char *name, *end = item(p, &name);
		bool is = (size_t)(end - name) == vlen &&
			  !memcmp(name, value, vlen);

		if (name != p && is)
			return false; /* "!value" */
		if (name == p) {
			any_keep = true;
			keep |= is;
		}
		p = *end ? end + 1 : end;
	}
	return keep || !any_keep;
}

int name_list_check(const char *list, size_t max_len, size_t max_items,
		    struct error **err)
{
	const char *p = list;
	size_t n = 0;

	do {
		const char *name, *end = item(p, &name);
		size_t len = (size_t)(end - name);

		if (!len)
			return error_set(err, 0, "empty name in '%s'", list);
		if (len > max_len)
			return error_set(err, 0,
					 "a name of more than %zu bytes",
					 max_len);
		if (++n > max_items)
			return error_set(err, 0, "more than %zu names",
					 max_items);
		p = *end ? end + 1 : NULL;
	} while (p);
	return 0;
}
