/* SPDX-License-Identifier: Apache-2.0 */
/*
 * User and group names for uids and gids, looked up with getpwuid_r() and
 * getgrgid_r() once per id and then served from a small cache, so that a
 * stream of events costs no NSS round trip per event.
 */
#ifndef RUNNER_ENGINE_IDCACHE_H
#define RUNNER_ENGINE_IDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct idcache;

/* A cache of user names (groups false) or group names (groups true). */
struct idcache *idcache_new(bool groups);
void idcache_free(struct idcache *c);
/*
 * The name of id, or its decimal number when the system has no name for
 * it.  The string stays valid until the next call on c.
 */
const char *idcache_name(struct idcache *c, __u32 id, size_t *len);

#endif
