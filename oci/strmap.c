// SPDX-License-Identifier: Apache-2.0
/* Open addressing, linear probing, FNV-1a of the key; no removal. */
#include <stdlib.h>
#include <string.h>

#include "oci/strmap.h"

struct strmap_slot {
	char *key; /* NULL: free */
	uint64_t hash;
	size_t val;
};

static uint64_t hash_of(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* key's slot in m, or the free one where it would go (cap > n). */
static struct strmap_slot *find(const struct strmap *m, const char *key,
				uint64_t h)
{
	size_t i = h & (m->cap - 1);

	while (m->slot[i].key &&
	       (m->slot[i].hash != h || strcmp(m->slot[i].key, key)))
		i = (i + 1) & (m->cap - 1);
	return &m->slot[i];
}

static int grow(struct strmap *m)
{
	struct strmap_slot *old = m->slot;
	size_t old_cap = m->cap, cap = m->cap ? m->cap * 2 : 64, i;

	if (cap < m->cap || cap > SIZE_MAX / sizeof(*old))
		return -1;
	m->slot = calloc(cap, sizeof(*m->slot));
	if (!m->slot) {
		m->slot = old;
		return -1;
	}
	m->cap = cap;
	for (i = 0; i < old_cap; i++)
		if (old[i].key)
			*find(m, old[i].key, old[i].hash) = old[i];
	free(old);
	return 0;
}

/* key's slot, made (key copied, value val) if m did not hold it; *held
 * says which.  NULL without memory (never when m holds key). */
static struct strmap_slot *find_or_add(struct strmap *m, const char *key,
				       size_t val, bool *held)
{
	uint64_t h = hash_of(key);
	struct strmap_slot *s;

	if (m->n) {
		s = find(m, key, h);
		if (s->key) {
			*held = true;
			return s;
		}
	}
	*held = false;
	if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
		return NULL;
	s = find(m, key, h);
	s->key = strdup(key);
	if (!s->key)
		return NULL;
	s->hash = h;
	s->val = val;
	m->n++;
	return s;
}

bool strmap_get(const struct strmap *m, const char *key, size_t *val)
{
	const struct strmap_slot *s;

	if (!m->n)
		return false;
	s = find(m, key, hash_of(key));
	if (s->key && val)
		*val = s->val;
	return s->key != NULL;
}

int strmap_add(struct strmap *m, const char *key, size_t val)
{
	bool held;

	if (!find_or_add(m, key, val, &held))
		return -1;
	return held;
}

int strmap_set(struct strmap *m, const char *key, size_t val)
{
	struct strmap_slot *s;
	bool held;

	s = find_or_add(m, key, val, &held);
	if (!s)
		return -1;
	s->val = val;
	return held;
}

size_t strmap_count(const struct strmap *m)
{
	return m->n;
}

void strmap_fini(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->slot[i].key);
	free(m->slot);
	m->slot = NULL;
	m->n = m->cap = 0;
}
