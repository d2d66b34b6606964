// SPDX-License-Identifier: Apache-2.0
/*
 * The page cache behind a growing output file: its pages that the
 * kernel's flusher has written back, well behind the end, are dropped so
 * that the next writes reuse them.  Without this a long trace fills all
 * free memory with lines nobody reads back, and on a VM whose host takes
 * free memory back (free page reporting) every new page of that cache
 * faults in the host first: the write then costs several times more.
 * Dirty pages and pages under writeback are never touched: the flusher
 * does the writeback as before, the runner only gives back what is clean
 * (cachestat(2), Linux 6.5; without it nothing is done).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runner/engine/output_internal.h"

#ifndef __NR_cachestat
#define __NR_cachestat 451 /* the same number on every architecture */
#endif

#define BEHIND_CHUNK (16LL << 20) /* bytes looked at and dropped at once */
#define BEHIND_LAG (64LL << 20) /* never closer to the end than this */

struct cachestat_range {
	__u64 off, len;
};

struct cachestat {
	__u64 nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

void output_behind_init(struct output *o)
{
	struct stat st;
	off_t pos;

	o->behind_on = false;
	if (fstat(o->fd, &st) || !S_ISREG(st.st_mode))
		return;
	pos = lseek(o->fd, 0, SEEK_CUR);
	if (pos < 0)
		return;
	/* only what this run writes */
	o->behind_pos = pos;
	o->behind_from = pos & ~(BEHIND_CHUNK - 1);
	o->behind_next = o->behind_from + BEHIND_LAG + BEHIND_CHUNK;
	o->behind_on = true;
}

void output_behind(struct output *o, size_t written)
{
	off_t pos;

	if (!o->behind_on)
		return;
	/* the end from the bytes written since the last look; lseek() (a
	 * system call: ~1.5 us on a VM) only once that reaches the next
	 * mark, or a truncation by someone else is seen then */
	o->behind_pos += (long long)written;
	if (o->behind_pos < o->behind_next)
		return;
	pos = lseek(o->fd, 0, SEEK_CUR);
	o->behind_pos = pos;
	if (pos >= 0 && pos < o->behind_from) /* truncated by someone */
		output_behind_init(o);
	if (pos < o->behind_next)
		return;
	/* the chunks from behind_from up to BEHIND_LAG before the end, in
	 * order, while they are clean: the flusher cleans them in order */
	while (o->behind_from + BEHIND_CHUNK + BEHIND_LAG <= pos) {
		struct cachestat_range r = { .off = (__u64)o->behind_from,
					     .len = BEHIND_CHUNK };
		struct cachestat cs;

		if (syscall(__NR_cachestat, o->fd, &r, &cs, 0)) {
			o->behind_on = errno == EINTR; /* ENOSYS: off */
			return;
		}
		if (cs.nr_dirty || cs.nr_writeback)
			break;
		if (cs.nr_cache)
			posix_fadvise(o->fd, o->behind_from, BEHIND_CHUNK,
				      POSIX_FADV_DONTNEED);
		o->behind_from += BEHIND_CHUNK;
	}
	o->behind_next = pos + BEHIND_CHUNK;
}
