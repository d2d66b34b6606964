/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A hash map from strings (copied in) to size_t, for the lookups of the
 * store's walks that grow with it (gc's marks, an import's names, a
 * commit's references): O(1) each where a list was O(n).  Zero-initialised
 * it is empty; strmap_fini() frees it.
 */
#ifndef OCI_STRMAP_H
#define OCI_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strmap_slot;

struct strmap {
	struct strmap_slot *slot;
	size_t n, cap; /* cap: 0 or a power of two, at least 2n */
};

/* Whether m holds key; its value in *val when val is not NULL. */
bool strmap_get(const struct strmap *m, const char *key, size_t *val);
/* key to val, unless m holds key (its value kept): 0 added, 1 held, -1
 * without memory. */
int strmap_add(struct strmap *m, const char *key, size_t val);
/* key to val, replacing what m held: 0 added, 1 replaced (which never
 * allocates), -1 without memory. */
int strmap_set(struct strmap *m, const char *key, size_t val);
/* m's size. */
size_t strmap_count(const struct strmap *m);
void strmap_fini(struct strmap *m);

#define cleanup_strmap __attribute__((cleanup(strmap_fini)))

#endif
