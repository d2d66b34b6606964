/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An answer about an event's container or pod (is it in one? is its pod
 * selected?) depends on the event's mount and network namespaces and on
 * what the containers know: kept per pair of namespaces for as long as
 * containers_version() stays what it was, NS_MEMO_WAYS pairs chosen by a
 * hash (a pair takes the way of another).
 */
#ifndef RUNNER_NS_MEMO_H
#define RUNNER_NS_MEMO_H

#include <stdbool.h>
#include <linux/types.h>

#include "runner/engine/containers.h"

#define NS_MEMO_WAY_BITS 4
#define NS_MEMO_WAYS (1 << NS_MEMO_WAY_BITS)

struct ns_memo {
	__u64 mntns, netns;
	unsigned long version;
	bool valid, answer;
};

/* The containers' version now; 0 without them (nothing changes then). */
static inline unsigned long ns_memo_version(const struct containers *c)
{
	return c ? containers_version(c) : 0;
}

/* The way of ways (NS_MEMO_WAYS) that the pair takes. */
static inline struct ns_memo *ns_memo_way(struct ns_memo *ways, __u64 mntns,
					  __u64 netns)
{
	__u64 h =
		(mntns ^ netns * 0x9E3779B97F4A7C15ULL) * 0x9E3779B97F4A7C15ULL;

	return &ways[h >> (64 - NS_MEMO_WAY_BITS)];
}

/* Does m hold the answer for the pair in the containers' state c? */
static inline bool ns_memo_kept(const struct ns_memo *m, __u64 mntns,
				__u64 netns, const struct containers *c)
{
	return m->valid && m->mntns == mntns && m->netns == netns &&
	       m->version == ns_memo_version(c);
}

/* Keep answer in m; returns it.  Called after the lookups that found it:
 * one may have added an entry, and so changed the version. */
static inline bool ns_memo_keep(struct ns_memo *m, __u64 mntns, __u64 netns,
				const struct containers *c, bool answer)
{
	*m = (struct ns_memo){ .mntns = mntns,
			       .netns = netns,
			       .version = ns_memo_version(c),
			       .valid = true,
			       .answer = answer };
	return answer;
}

#endif
