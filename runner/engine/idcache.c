// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner/engine/idcache.h"

#define IDCACHE_SLOTS 512 /* a power of two */
#define IDCACHE_NAME 64

struct idcache_slot {
	bool used;
	__u32 id;
	size_t len;
	char name[IDCACHE_NAME];
};

struct idcache {
	bool groups;
	struct idcache_slot slot[IDCACHE_SLOTS];
};

struct idcache *idcache_new(bool groups)
{
	struct idcache *c = calloc(1, sizeof(*c));

	if (c)
		c->groups = groups;
	return c;
}

void idcache_free(struct idcache *c)
{
	free(c);
}

/* Ask NSS; false when the id has no name (or the lookup failed). */
static bool lookup(bool groups, __u32 id, char *out, size_t outsz)
{
	size_t bufsz = 1024;
	char *buf = NULL;
	bool found = false;
	int r;

	for (;;) {
		char *nbuf = realloc(buf, bufsz);

		if (!nbuf)
			break;
		buf = nbuf;
		if (groups) {
			struct group gr, *res = NULL;

			r = getgrgid_r(id, &gr, buf, bufsz, &res);
			if (!r && res) {
				snprintf(out, outsz, "%s", gr.gr_name);
				found = true;
			}
		} else {
			struct passwd pw, *res = NULL;

			r = getpwuid_r(id, &pw, buf, bufsz, &res);
			if (!r && res) {
				snprintf(out, outsz, "%s", pw.pw_name);
				found = true;
			}
		}
		if (r != ERANGE || bufsz >= (1 << 20))
			break;
		bufsz *= 4;
	}
	free(buf);
	return found;
}

const char *idcache_name(struct idcache *c, __u32 id, size_t *len)
{
	struct idcache_slot *s =
		&c->slot[(id * 2654435761u) >> 23 & (IDCACHE_SLOTS - 1)];

	if (!s->used || s->id != id) {
		if (!lookup(c->groups, id, s->name, sizeof(s->name)))
			snprintf(s->name, sizeof(s->name), "%u", id);
		s->len = strlen(s->name);
		s->id = id;
		s->used = true;
	}
	*len = s->len;
	return s->name;
}
