// SPDX-License-Identifier: Apache-2.0
/*
 * A loaded gadget's output: lost events, counters, events from its
 * tracers, map iterators fetched on time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/cleanup.h"
#include "runner/engine/cgroup2.h"
#include "runner/engine/gadget.h"
#include "runner/engine/gadget_api.h"
#include "runner/engine/libbpf_log.h"
#include "runner/engine/log.h"
#include "runner/engine/mapiter.h"
#include "runner/engine/netns.h"
#include "runner/engine/packetfilter.h"
#include "runner/engine/param_value.h"
#include "runner/engine/services.h"

#include "runner/engine/gadget_internal.h"

__u64 gadget_lost(const struct gadget *g)
{
	__u64 sum = g->perf_lost;
	__u32 key = 0;
	int i, n;

	if (g->lost_fd < 0)
		return sum;
	n = libbpf_num_possible_cpus();
	if (n <= 0)
		return sum;
	{
		__u64 vals[n];

		if (bpf_map_lookup_elem(g->lost_fd, &key, vals))
			return sum;
		for (i = 0; i < n; i++)
			sum += vals[i];
	}
	return sum;
}

int gadget_counter(const struct gadget *g, size_t i, const char **name,
		   __u64 *value)
{
	const size_t plen = strlen(COUNTER_PREFIX);
	struct bpf_map *m;
	__u32 key = 0;
	int n = libbpf_num_possible_cpus();

	if (n <= 0)
		return -1;
	bpf_object__for_each_map (m, g->obj) {
		const char *mn = bpf_map__name(m);

		if (strncmp(mn, COUNTER_PREFIX, plen) ||
		    bpf_map__type(m) != BPF_MAP_TYPE_PERCPU_ARRAY ||
		    bpf_map__value_size(m) != sizeof(__u64) || i-- > 0)
			continue;
		{
			__u64 vals[n];

			*name = mn + plen;
			*value = 0;
			if (bpf_map_lookup_elem(bpf_map__fd(m), &key, vals))
				return 0;
			for (int c = 0; c < n; c++)
				*value += vals[c];
		}
		return 0;
	}
	return -1;
}

static int ringbuf_cb(void *ctx, const void *data, size_t size)
{
	struct subscription *s = ctx;

	return s->fn(s->ctx, data, size);
}

static void perf_cb(void *ctx, int cpu, void *data, __u32 size)
{
	struct subscription *s = ctx;

	(void)cpu;
	s->fn(s->ctx, data, size);
}

static void perf_lost_cb(void *ctx, int cpu, __u64 n)
{
	struct subscription *s = ctx;

	(void)cpu;
	s->g->perf_lost += n;
}

/* The earliest time a map iterator is due, 0: none. */
static void next_fetch(struct gadget *g)
{
	g->next_fetch = 0;
	for (size_t i = 0; i < g->n_tracers; i++) {
		double t = g->fetch[i].next;

		if (t && (!g->next_fetch || t < g->next_fetch))
			g->next_fetch = t;
	}
}

int gadget_subscribe(struct gadget *g, size_t i, gadget_event_fn fn, void *ctx,
		     struct error **err)
{
	const struct gadget_tracer *t = gadget_tracer(g, i);
	struct subscription *s = &g->subs[i];
	struct bpf_map *m;
	int fd;

	if (!t)
		return error_set(err, 0, "no tracer %zu", i);
	s->fn = fn;
	s->ctx = ctx;
	s->g = g;
	if (t->mapiter) {
		struct fetch_plan *f = &g->fetch[i];

		/* as ig's ticker: the first after one interval */
		if (f->interval > 0)
			f->next = now_sec() + f->interval;
		else if (f->count == 1)
			f->next = now_sec();
		next_fetch(g);
		return 0;
	}
	m = bpf_object__find_map_by_name(g->obj, t->map);
	if (!m)
		return error_set(err, 0, "tracer %s: no map %s", t->name,
				 t->map);
	fd = bpf_map__fd(m);
	switch (bpf_map__type(m)) {
	case BPF_MAP_TYPE_RINGBUF: {
		int rc;

		if (!g->rr) {
			g->rr = ringread_new();
			if (!g->rr)
				return error_set(err, errno, "ring buffer %s",
						 t->map);
		}
		rc = ringread_add(g->rr, fd, ringbuf_cb, s);
		if (rc)
			return error_set(err, -rc, "ring buffer %s", t->map);
		return 0;
	}
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY: {
		g->pbs[i] = perf_buffer__new(fd, 64, perf_cb, perf_lost_cb, s,
					     NULL);
		if (!g->pbs[i])
			return error_set(err, errno, "perf buffer %s", t->map);
		return 0;
	}
	default:
		return error_set(err, 0,
				 "tracer %s: map %s is neither a ring buffer "
				 "nor a perf event array",
				 t->name, t->map);
	}
}

void gadget_set_fetch(struct gadget *g, size_t i, __u64 interval_ns,
		      unsigned long count, bool flush)
{
	if (i >= MAX_TRACERS)
		return;
	g->fetch[i] = (struct fetch_plan){ .interval = interval_ns / 1e9,
					   .count = count,
					   .flush = flush };
}

static bool fetch_left(const struct gadget *g, size_t i)
{
	const struct fetch_plan *f = &g->fetch[i];

	return g->mapiters[i] && g->subs[i].fn &&
	       (!f->count || f->done < f->count);
}

bool gadget_fetching(const struct gadget *g)
{
	for (size_t i = 0; i < g->n_tracers; i++)
		if (fetch_left(g, i))
			return true;
	return false;
}

/* One fetch of map iterator i: its records, then the end of the batch. */
static int fetch(struct gadget *g, size_t i, struct error **err)
{
	struct subscription *s = &g->subs[i];

	g->fetch[i].done++;
	if (mapiter_fetch(g->mapiters[i], s->fn, s->ctx, err))
		return -1;
	s->fn(s->ctx, NULL, 0);
	return 0;
}

int gadget_flush(struct gadget *g, struct error **err)
{
	for (size_t i = 0; i < g->n_tracers; i++)
		if (g->fetch[i].flush && fetch_left(g, i) && fetch(g, i, err))
			return -1;
	return 0;
}

/* Map iterators: fetch those due; without buffers to wait on, sleep until
 * the first is (or timeout_ms). */
static int poll_mapiters(struct gadget *g, int timeout_ms, bool idle,
			 struct error **err)
{
	double now = now_sec();

	if (!g->next_fetch)
		return 0;
	if (idle && now < g->next_fetch && timeout_ms > 0) {
		double wait = g->next_fetch - now;

		if (wait > timeout_ms / 1000.0)
			wait = timeout_ms / 1000.0;
		usleep((useconds_t)(wait * 1e6));
		now = now_sec();
	}
	if (now < g->next_fetch)
		return 0;
	for (size_t i = 0; i < g->n_tracers; i++) {
		struct fetch_plan *f = &g->fetch[i];

		if (!f->next || now < f->next || !fetch_left(g, i))
			continue;
		if (fetch(g, i, err))
			return -1;
		f->next = f->interval > 0 && fetch_left(g, i) ?
				  f->next + f->interval :
				  0;
		if (f->next && f->next <= now) /* behind: as a ticker drops */
			f->next = now + f->interval;
	}
	next_fetch(g);
	return 0;
}

unsigned gadget_backlog(struct gadget *g)
{
	return g->rr ? ringread_backlog(g->rr) : 0;
}

int gadget_watch_fd(struct gadget *g, int fd)
{
	return g->rr && !ringread_watch(g->rr, fd) ? 0 : -1;
}

int gadget_poll(struct gadget *g, int timeout_ms, int idle_ms,
		struct error **err)
{
	bool idle = !g->rr, perf = false;
	size_t i;
	int rc;

	for (i = 0; i < MAX_TRACERS; i++)
		perf = perf || g->pbs[i];
	idle = idle && !perf;
	if (poll_mapiters(g, timeout_ms, idle, err))
		return -1;
	if (idle && !g->next_fetch && timeout_ms > 0) /* nothing to wait on */
		usleep(timeout_ms * 1000);

	if (g->rr) {
		/* perf buffers are read after the rings: no long wait */
		rc = ringread_poll(g->rr, timeout_ms,
				   perf || g->next_fetch ? timeout_ms :
							   idle_ms);
		/* -ECANCELED: a callback asked to stop (--max-events) */
		if (rc < 0 && rc != -EINTR && rc != -ECANCELED)
			return error_set(err, -rc, "read ring buffer");
		timeout_ms = 0;
	}
	for (i = 0; i < MAX_TRACERS; i++) {
		if (!g->pbs[i])
			continue;
		rc = perf_buffer__poll(g->pbs[i], timeout_ms);
		if (rc < 0 && rc != -EINTR)
			return error_set(err, -rc, "read perf buffer");
		timeout_ms = 0;
	}
	return 0;
}
