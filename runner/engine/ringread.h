/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A reader of BPF ring buffers (BPF_MAP_TYPE_RINGBUF), instead of libbpf's
 * ring_buffer: the data pages are mapped once, not twice (the kernel maps
 * every page of a ring at mmap time, so the second view doubles the ring's
 * resident memory; the rare record that wraps around the end is copied),
 * and the consumer position is published once per batch of records, not
 * after each one (each store pulls the line the producing CPU reads on
 * every reservation).
 */
#ifndef RUNNER_ENGINE_RINGREAD_H
#define RUNNER_ENGINE_RINGREAD_H

#include <stddef.h>

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
 * first negative return of a function. */
int ringread_consume(struct ringread *rr);
/* Wait up to timeout_ms for a ring to be signalled (0: do not wait), then
 * consume: as ringread_consume(), or -errno of the wait. */
int ringread_poll(struct ringread *rr, int timeout_ms);
/* How far behind the reader was at the start of the last consume: the
 * fullest ring's unread bytes, in 64ths of its size (0 to 64). */
unsigned ringread_backlog(const struct ringread *rr);

#endif
