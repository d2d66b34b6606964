/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A reader of BPF ring buffers (BPF_MAP_TYPE_RINGBUF), instead of libbpf's
 * ring_buffer: the data pages are mapped once, not twice (the kernel maps
 * every page of a ring at mmap time, so the second view doubles the ring's
 * resident memory; the rare record that wraps around the end is copied),
 * and the consumer position is published once per batch of records, not
 * after each one (each store pulls the line the producing CPU reads on
 * every reservation); and records that come while the reader is busy
 * wake no one, while the first one after a quiet spell wakes it at once
 * (ringread.c, "held").
 */
#ifndef RUNNER_ENGINE_RINGREAD_H
#define RUNNER_ENGINE_RINGREAD_H

#include <stdbool.h>
#include <stddef.h>

/* Consumes in a row that found nothing before ringread_poll() waits
 * longer than its timeout (its idle_ms) for a record to wake it. */
#define RINGREAD_QUIET_POLLS 10

struct ringread;

/* One record: its bytes, valid during the call.  A negative return stops
 * the reading and is returned by ringread_consume()/ringread_poll(). */
typedef int (*ringread_fn)(void *ctx, const void *data, size_t size);

/* A reader with no rings yet; NULL with errno set. */
struct ringread *ringread_new(void);
void ringread_free(struct ringread *rr);
/* Read the ring buffer map map_fd, records to fn; 0 or -errno. */
int ringread_add(struct ringread *rr, int map_fd, ringread_fn fn, void *ctx);
/* For tests: a ring over memory laid out as the kernel lays one out:
 * the positions, and data of size bytes (a power of 2), not mapped twice.
 * Not waited on by ringread_poll(). */
int ringread_add_mem(struct ringread *rr, unsigned long *consumer,
		     const unsigned long *producer, const void *data,
		     size_t size, ringread_fn fn, void *ctx);
/* Every record the rings hold, to their functions: how many, or the
 * first negative return of a function.  The last record read stays
 * held: its space is given back by the next consume. */
int ringread_consume(struct ringread *rr);
/* Wait up to timeout_ms for a ring to be signalled (0: do not wait), then
 * consume: as ringread_consume(), or -errno of the wait.  After
 * RINGREAD_QUIET_POLLS consumes found nothing, and if idle_ms is longer:
 * give the held records back (the next record committed without
 * BPF_RB_NO_WAKEUP wakes the reader), then wait up to idle_ms. */
int ringread_poll(struct ringread *rr, int timeout_ms, int idle_ms);
/* Also end ringread_poll()'s wait when fd has new input (edge-triggered:
 * once per arrival); 0 or -errno. */
int ringread_watch(struct ringread *rr, int fd);
/* Whether the last ringread_poll()'s wait ended on a ring's wake-up, not
 * on its timeout. */
bool ringread_woken(const struct ringread *rr);
/* How far behind the reader was at the start of its consumes since the
 * last call (the most of them, whoever consumed: a read between two
 * looks must not hide a ring found full): the fullest ring's unread
 * bytes, in 64ths of its size (0 to 64). */
unsigned ringread_backlog(struct ringread *rr);

#endif
