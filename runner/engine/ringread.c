// SPDX-License-Identifier: Apache-2.0
/*
 * BPF ring buffers read with one mapping of their data (see ringread.h).
 *
 * The kernel's layout: page 0 holds the consumer position (the only page
 * the reader may write), page 1 the producer position, then the data, a
 * power of 2 in size.  Each record starts on 8 bytes with a header: its
 * length, with a busy bit while the producer writes it and a discard bit,
 * and a page offset the reader does not need.  Positions only grow; a
 * record at position p lies at p & (size - 1).
 *
 * Wake-ups: a record committed without a flag wakes the reader only when
 * it is the first unread one (the consumer position is at it: the ring
 * was read to its end).  So while records come, the reader publishes the
 * position of the last record it read, not the end of it (held): the ring
 * is never read to its end, and records committed between two polls wake
 * no one (a wake-up per batch would cost an inter-processor interrupt
 * and a context switch).  Once the rings have been quiet for
 * RINGREAD_QUIET_POLLS polls, the reader gives the held record back and
 * waits longer: the next record committed wakes it at once.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "runner/engine/ringread.h"

/* The consumer position is published at least this often (bytes), and at
 * the end of each batch, so that a long drain frees room as it goes. */
#define RELEASE_BYTES (64 * 1024)
/* Bytes of the next record asked for while the current one is read: the
 * producer wrote them on another CPU, each line a miss when read in turn. */
#define PREFETCH_BYTES 1024

struct ring {
	bool mapped; /* by ringread_add(), not ringread_add_mem() */
	ringread_fn fn;
	void *ctx;
	unsigned long *consumer; /* page 0, read-write */
	unsigned long read; /* the next record to read (see "held" above) */
	unsigned long held; /* the last record read, from its header on */
	void *prod_map; /* page 1 and the data, read-only */
	const unsigned long *producer;
	const char *data;
	unsigned long mask; /* data size - 1 */
	size_t map_len;
	char *bounce; /* a record that wraps around the end, joined */
	size_t bounce_cap;
};

struct ringread {
	int epfd;
	struct ring *rings;
	size_t n;
	long page;
	unsigned backlog; /* the most since ringread_backlog() */
	unsigned quiet; /* consumes in a row that found nothing */
	bool woken; /* ringread_woken() */
};

struct ringread *ringread_new(void)
{
	struct ringread *rr = calloc(1, sizeof(*rr));

	if (!rr)
		return NULL;
	rr->page = sysconf(_SC_PAGESIZE);
	rr->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (rr->epfd < 0) {
		free(rr);
		return NULL;
	}
	return rr;
}

static void ring_unmap(struct ring *r, long page)
{
	free(r->bounce);
	if (!r->mapped)
		return;
	if (r->consumer)
		munmap(r->consumer, page);
	if (r->prod_map)
		munmap(r->prod_map, r->map_len);
}

void ringread_free(struct ringread *rr)
{
	if (!rr)
		return;
	for (size_t i = 0; i < rr->n; i++)
		ring_unmap(&rr->rings[i], rr->page);
	free(rr->rings);
	close(rr->epfd);
	free(rr);
}

int ringread_add(struct ringread *rr, int map_fd, ringread_fn fn, void *ctx)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	struct epoll_event e = { .events = EPOLLIN };
	struct ring *rings, *r;
	void *p;
	int err;

	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	rings = realloc(rr->rings, (rr->n + 1) * sizeof(*rings));
	if (!rings)
		return -ENOMEM;
	rr->rings = rings;
	r = &rings[rr->n];
	memset(r, 0, sizeof(*r));
	r->mapped = true;
	r->fn = fn;
	r->ctx = ctx;
	r->mask = info.max_entries - 1;
	p = mmap(NULL, rr->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->consumer = p;
	r->read = r->held = *r->consumer;
	/* once: libbpf maps the data twice so that a record that wraps
	 * reads as one; here such a record is copied */
	r->map_len = rr->page + (size_t)info.max_entries;
	p = mmap(NULL, r->map_len, PROT_READ, MAP_SHARED, map_fd, rr->page);
	if (p == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	r->prod_map = p;
	r->producer = p;
	r->data = (const char *)p + rr->page;
	/* edge-triggered: a held record keeps the ring readable */
	e.events |= EPOLLET;
	e.data.u64 = rr->n;
	if (epoll_ctl(rr->epfd, EPOLL_CTL_ADD, map_fd, &e)) {
		err = -errno;
		goto fail;
	}
	rr->n++;
	return 0;
fail:
	ring_unmap(r, rr->page);
	return err;
}

int ringread_watch(struct ringread *rr, int fd)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLET,
				 .data.u64 = UINT64_MAX };

	return epoll_ctl(rr->epfd, EPOLL_CTL_ADD, fd, &e) ? -errno : 0;
}

int ringread_add_mem(struct ringread *rr, unsigned long *consumer,
		     const unsigned long *producer, const void *data,
		     size_t size, ringread_fn fn, void *ctx)
{
	struct ring *rings;

	if (!size || (size & (size - 1)))
		return -EINVAL;
	rings = realloc(rr->rings, (rr->n + 1) * sizeof(*rings));
	if (!rings)
		return -ENOMEM;
	rr->rings = rings;
	rings[rr->n] = (struct ring){ .fn = fn,
				      .ctx = ctx,
				      .consumer = consumer,
				      .read = *consumer,
				      .held = *consumer,
				      .producer = producer,
				      .data = data,
				      .mask = size - 1 };
	rr->n++;
	return 0;
}

/* The record of dlen bytes at data offset off, whole: in place, or joined
 * in the bounce buffer when it wraps; NULL without memory. */
static const void *record(struct ring *r, unsigned long off, size_t dlen)
{
	size_t size = r->mask + 1, first;

	if (off + dlen <= size)
		return r->data + off;
	if (dlen > r->bounce_cap) {
		char *b = realloc(r->bounce, dlen);

		if (!b)
			return NULL;
		r->bounce = b;
		r->bounce_cap = dlen;
	}
	first = size - off;
	memcpy(r->bounce, r->data + off, first);
	memcpy(r->bounce + first, r->data, dlen - first);
	return r->bounce;
}

/* Ask for the lines of the len bytes at position pos. */
static void prefetch(const struct ring *r, unsigned long pos, size_t len)
{
	for (size_t i = 0; i < len; i += 64)
		__builtin_prefetch(r->data + ((pos + i) & r->mask));
}

/*
 * Publish the consumer position: up to the held record, or (give) all that
 * was read.  Given, it is ordered before the producer position read next:
 * a record reserved after that read finds the ring read to its end when
 * committed, and wakes the reader.
 */
static void publish(struct ring *r, bool give)
{
	if (give) {
		r->held = r->read; /* nothing held until the next record */
		__atomic_store_n(r->consumer, r->read, __ATOMIC_SEQ_CST);
	} else if (*r->consumer != r->held) {
		__atomic_store_n(r->consumer, r->held, __ATOMIC_RELEASE);
	}
}

static int ring_consume(struct ring *r, bool give)
{
	unsigned long cons = r->read, released = cons, prod;
	int n = 0, rc = 0;

	/* first: a record committed after this finds the ring read to its
	 * end (and wakes), one committed before is seen below */
	if (give)
		publish(r, true);
	for (;;) {
		prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
		if (cons >= prod)
			break;
		prefetch(r, cons, PREFETCH_BYTES);
		while (cons < prod) {
			const __u32 *hdr =
				(const __u32 *)(r->data + (cons & r->mask));
			__u32 len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
			__u32 dlen = len & ~(BPF_RINGBUF_BUSY_BIT |
					     BPF_RINGBUF_DISCARD_BIT);
			size_t step = (dlen + BPF_RINGBUF_HDR_SZ + 7) & ~7UL;
			const void *rec;

			if (len & BPF_RINGBUF_BUSY_BIT)
				goto out; /* still being written */
			prefetch(r, cons + step, PREFETCH_BYTES);
			r->held = cons;
			if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
				rec = record(r,
					     (cons + BPF_RINGBUF_HDR_SZ) &
						     r->mask,
					     dlen);
				rc = rec ? r->fn(r->ctx, rec, dlen) : -ENOMEM;
				if (rc < 0) {
					cons += step;
					goto out;
				}
				n++;
			}
			cons += step;
			if (cons - released >= RELEASE_BYTES) {
				__atomic_store_n(r->consumer, r->held,
						 __ATOMIC_RELEASE);
				released = cons;
			}
		}
		/* then look again: given, a record committed before the
		 * store may not have woken anyone */
		r->read = cons;
		publish(r, give);
		released = cons;
	}
out:
	r->read = cons;
	publish(r, give);
	return rc < 0 ? rc : n;
}

/* The unread bytes of r, in 64ths of its size. */
static unsigned ring_backlog(const struct ring *r)
{
	unsigned long prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);

	return (unsigned)((prod - r->read) * 64 / (r->mask + 1));
}

static int consume(struct ringread *rr, bool give)
{
	int total = 0;

	for (size_t i = 0; i < rr->n; i++) {
		unsigned b = ring_backlog(&rr->rings[i]);
		int rc;

		if (b > rr->backlog)
			rr->backlog = b;
		rc = ring_consume(&rr->rings[i], give);

		if (rc < 0)
			return rc;
		total += rc;
	}
	rr->quiet = total ? 0 : rr->quiet + 1;
	return total;
}

int ringread_consume(struct ringread *rr)
{
	return consume(rr, false);
}

unsigned ringread_backlog(struct ringread *rr)
{
	unsigned b = rr->backlog;

	rr->backlog = 0;
	return b;
}

bool ringread_woken(const struct ringread *rr)
{
	return rr->woken;
}

int ringread_poll(struct ringread *rr, int timeout_ms, int idle_ms)
{
	struct epoll_event ev[8];
	int rc;

	if (idle_ms > timeout_ms && rr->quiet >= RINGREAD_QUIET_POLLS) {
		/* quiet: the next record committed is to wake the reader */
		rc = consume(rr, true);
		if (rc)
			return rc;
		timeout_ms = idle_ms;
	}
	rc = epoll_wait(rr->epfd, ev, 8, timeout_ms);
	rr->woken = rc > 0;
	if (rc < 0)
		return -errno;
	return consume(rr, false);
}
