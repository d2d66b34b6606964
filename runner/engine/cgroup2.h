/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The root of the cgroup v2 hierarchy, where programs that hook every
 * socket of the host attach (cgroup/connect4, cgroup/sendmsg6, ...): their
 * effective set is inherited by every cgroup below.
 */
#ifndef RUNNER_ENGINE_CGROUP2_H
#define RUNNER_ENGINE_CGROUP2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/error.h"

#define CGROUP2_MOUNT "/run/runner/cgroup2"

/*
 * The cgroup v2 root directory, opened read-only once per process (the
 * first call, whichever thread makes it): where it is mounted already
 * (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host), else on
 * CGROUP2_MOUNT, mounted there first (told in the log).  The fd, kept open
 * for every caller (not to be closed), or -1 with err; a failure is not
 * kept: the next call looks again.
 */
int cgroup2_root_fd(struct error **err);

/*
 * The mount point of the hierarchy's root in mountinfo text f (its lines
 * "ID PARENT MAJ:MIN ROOT POINT OPTS... - TYPE SOURCE SUPEROPTS"), into
 * point (size bytes); false if none.  A ROOT of "/", or above the
 * reader's cgroup namespace ("/..", "/../.."), whose point root_at(point,
 * ctx) (if not NULL) says is the root.  Points with escaped characters
 * (\040 for a space) are passed over.
 */
bool cgroup2_find_mount(FILE *f, bool (*root_at)(const char *point, void *ctx),
			void *ctx, char *point, size_t size);

#endif
