// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>

#include "runner/engine/uprobes_procs.h"

static size_t home(const struct uprocs *t, __u32 tgid)
{
	return (size_t)(tgid * 2654435761u) % t->cap;
}

int uprocs_init(struct uprocs *t, size_t cap, size_t max)
{
	t->slots = calloc(cap, sizeof(*t->slots));
	t->cap = cap;
	t->max = max < cap ? max : cap - 1;
	t->n = 0;
	return t->slots ? 0 : -1;
}

void uprocs_fini(struct uprocs *t)
{
	free(t->slots);
	t->slots = NULL;
}

struct uproc *uprocs_slot(struct uprocs *t, __u32 tgid)
{
	size_t i = home(t, tgid);

	while (t->slots[i].tgid && t->slots[i].tgid != tgid)
		i = (i + 1) % t->cap;
	return &t->slots[i];
}

struct uproc *uprocs_add(struct uprocs *t, struct uproc *s, __u32 tgid)
{
	if (t->n >= t->max)
		return NULL;
	s->tgid = tgid;
	s->files = 0;
	t->n++;
	return s;
}

/*
 * Linear probing without tombstones: each entry after the freed slot, up
 * to the next free one, moves into it unless its home lies cyclically in
 * (freed, entry], where a lookup would stop before reaching it.
 */
void uprocs_remove(struct uprocs *t, struct uproc *s)
{
	size_t i = s - t->slots, j = i;

	t->slots[i].tgid = 0;
	t->n--;
	for (;;) {
		size_t h;

		j = (j + 1) % t->cap;
		if (!t->slots[j].tgid)
			return;
		h = home(t, t->slots[j].tgid);
		if (i < j ? (i < h && h <= j) : (i < h || h <= j))
			continue;
		t->slots[i] = t->slots[j];
		t->slots[j].tgid = 0;
		i = j;
	}
}
