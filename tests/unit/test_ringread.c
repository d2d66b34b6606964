// SPDX-License-Identifier: Apache-2.0
/*
 * The ring buffer reader (runner/engine/ringread.c) over memory laid out
 * as the kernel's ring: records of every size, wrapping around the end of
 * the data (which the reader maps once, so it joins them itself), in
 * order and whole; discarded ones skipped; a record still being written
 * ends the batch; a callback's error stops it; the consumer position
 * published up to the last record read (held), past it once the rings
 * were quiet; the backlog found by the last consume.  Then a real ring
 * (BPF_MAP_TYPE_RINGBUF, records sent by a BPF program run with
 * BPF_PROG_TEST_RUN): records that come while the reader holds one wake
 * no one, the first one after a quiet spell wakes it, and so does a
 * watched file descriptor's input.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "runner/engine/ringread.h"

#define SIZE 4096 /* the ring's data */

struct fake {
	unsigned long consumer, producer;
	unsigned char data[SIZE];
	unsigned int sent, seen; /* records written, read */
	unsigned int len_of[100000];
	int stop_at; /* return -1234 on this record, -1 never */
};

static unsigned char byte_of(unsigned int rec, size_t i)
{
	return (unsigned char)(rec * 31 + i * 7 + 1);
}

static size_t rec_space(size_t len)
{
	return (len + BPF_RINGBUF_HDR_SZ + 7) & ~(size_t)7;
}

/* Write record number x->sent of len bytes at the producer position, as
 * the kernel does: header, then the bytes wherever the ring wraps. */
static unsigned long produce(struct fake *x, size_t len, __u32 flags)
{
	unsigned long pos = x->producer;
	__u32 hdr[2] = { (__u32)len | flags, 0 };

	assert_true(pos + rec_space(len) - x->consumer <= SIZE);
	memcpy(x->data + (pos & (SIZE - 1)), hdr, sizeof(hdr));
	for (size_t i = 0; i < len; i++)
		x->data[(pos + BPF_RINGBUF_HDR_SZ + i) & (SIZE - 1)] =
			byte_of(x->sent, i);
	x->len_of[x->sent++] = (unsigned int)len;
	x->producer = pos + rec_space(len);
	return pos;
}

static int on_record(void *ctx, const void *data, size_t size)
{
	struct fake *x = ctx;
	const unsigned char *p = data;

	/* skip the numbers of discarded records */
	while (x->len_of[x->seen] == 0)
		x->seen++;
	assert_int_equal(size, x->len_of[x->seen]);
	for (size_t i = 0; i < size; i++)
		assert_int_equal(p[i], byte_of(x->seen, i));
	if ((int)x->seen == x->stop_at) {
		x->seen++;
		return -1234;
	}
	x->seen++;
	return 0;
}

static struct fake *fake_new(struct ringread **rr)
{
	struct fake *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->stop_at = -1;
	*rr = ringread_new();
	assert_non_null(*rr);
	assert_int_equal(ringread_add_mem(*rr, &x->consumer, &x->producer,
					  x->data, SIZE, on_record, x),
			 0);
	return x;
}

/* Every size from 1 to 600 bytes, a few records per batch, so that
 * records wrap around the end at every offset. */
static void consume__sizes_and_wraps__whole_and_in_order(void **state)
{
	struct ringread *rr;
	struct fake *x = fake_new(&rr);
	unsigned int batches = 0;
	size_t len = 1;

	(void)state;
	while (x->sent < 20000) {
		unsigned long last = x->consumer;
		int n = 0, got;

		while (x->producer + rec_space(len) - x->consumer <= SIZE &&
		       n < 5) {
			last = produce(x, len, 0);
			len = len % 600 + 1;
			n++;
		}
		got = ringread_consume(rr);
		assert_int_equal(got, n);
		assert_int_equal(x->consumer, last); /* held */
		batches++;
	}
	assert_int_equal(x->seen, x->sent);
	assert_true(batches > 1000);
	ringread_free(rr);
	free(x);
}

static void consume__discarded__skipped(void **state)
{
	struct ringread *rr;
	struct fake *x = fake_new(&rr);
	unsigned long last;

	(void)state;
	produce(x, 10, 0);
	produce(x, 20, BPF_RINGBUF_DISCARD_BIT);
	x->len_of[x->sent - 1] = 0; /* never read */
	last = produce(x, 30, 0);
	assert_int_equal(ringread_consume(rr), 2);
	assert_int_equal(x->seen, 3);
	assert_int_equal(x->consumer, last);
	ringread_free(rr);
	free(x);
}

/* A record reserved but not committed ends the batch there; it is read
 * once committed. */
static void consume__busy_record__waits_for_it(void **state)
{
	struct ringread *rr;
	struct fake *x = fake_new(&rr);
	unsigned long first, busy_at, last;
	__u32 len;

	(void)state;
	first = produce(x, 40, 0);
	busy_at = produce(x, 50, BPF_RINGBUF_BUSY_BIT);
	last = produce(x, 60, 0);
	assert_int_equal(ringread_consume(rr), 1);
	assert_int_equal(x->consumer, first);
	len = 50;
	memcpy(x->data + (busy_at & (SIZE - 1)), &len, sizeof(len));
	assert_int_equal(ringread_consume(rr), 2);
	assert_int_equal(x->consumer, last);
	ringread_free(rr);
	free(x);
}

/* A callback's error stops the reading past its record. */
static void consume__callback_error__stops_after_it(void **state)
{
	struct ringread *rr;
	struct fake *x = fake_new(&rr);
	unsigned long second, third;

	(void)state;
	produce(x, 8, 0);
	second = produce(x, 9, 0);
	third = produce(x, 10, 0);
	x->stop_at = 1;
	assert_int_equal(ringread_consume(rr), -1234);
	assert_int_equal(x->consumer, second); /* read, held */
	assert_int_equal(ringread_consume(rr), 1);
	assert_int_equal(x->seen, 3);
	assert_int_equal(x->consumer, third);
	ringread_free(rr);
	free(x);
}

/* ringread_backlog(): unread bytes at the start of the fullest consume
 * since the last call, in 64ths of the ring: what decides the reader's
 * priority (session.c). */
static void backlog__unread_part_before_the_last_consume(void **state)
{
	struct ringread *rr;
	struct fake *x = fake_new(&rr);

	(void)state;
	assert_int_equal(ringread_backlog(rr), 0);
	/* 8 records of 248 + 8 bytes: half of the 4096-byte ring */
	for (int i = 0; i < 8; i++)
		produce(x, 248, 0);
	assert_int_equal(ringread_consume(rr), 8);
	assert_int_equal(ringread_backlog(rr), 32);
	produce(x, 248, 0); /* 1/16 */
	assert_int_equal(ringread_consume(rr), 1);
	assert_int_equal(ringread_backlog(rr), 4);
	assert_int_equal(ringread_consume(rr), 0);
	assert_int_equal(ringread_backlog(rr), 0);
	/* two consumes before a look (the once-a-second refresh reads the
	 * rings too): the fuller one counts, not the last */
	for (int i = 0; i < 8; i++)
		produce(x, 248, 0);
	assert_int_equal(ringread_consume(rr), 8);
	assert_int_equal(ringread_consume(rr), 0);
	assert_int_equal(ringread_backlog(rr), 32);
	assert_int_equal(ringread_backlog(rr), 0);
	/* quiet: the held record given back, the whole ring free */
	for (int i = 1; i < RINGREAD_QUIET_POLLS; i++)
		assert_int_equal(ringread_poll(rr, 0, 0), 0);
	assert_int_not_equal(x->consumer, x->producer);
	assert_int_equal(ringread_poll(rr, 0, 1), 0);
	assert_int_equal(x->consumer, x->producer);
	for (int i = 0; i < 16; i++) /* full */
		produce(x, 248, 0);
	assert_int_equal(ringread_consume(rr), 16);
	assert_int_equal(ringread_backlog(rr), 64);
	ringread_free(rr);
	free(x);
}

/* A socket filter that sends an 8-byte record into the ring map_fd with
 * flags, each time BPF_PROG_TEST_RUN runs it. */
static int ring_prog(int map_fd, int flags)
{
	const struct bpf_insn insns[] = {
		/* *(u64 *)(r10 - 8) = 42 */
		{ .code = BPF_ST | BPF_MEM | BPF_DW,
		  .dst_reg = BPF_REG_10,
		  .off = -8,
		  .imm = 42 },
		/* r1 = the map (two instructions) */
		{ .code = BPF_LD | BPF_DW | BPF_IMM,
		  .dst_reg = BPF_REG_1,
		  .src_reg = BPF_PSEUDO_MAP_FD,
		  .imm = map_fd },
		{ 0 },
		/* r2 = r10 - 8, r3 = 8, r4 = flags */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X,
		  .dst_reg = BPF_REG_2,
		  .src_reg = BPF_REG_10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K,
		  .dst_reg = BPF_REG_2,
		  .imm = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = BPF_REG_3,
		  .imm = 8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = BPF_REG_4,
		  .imm = flags },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_ringbuf_output },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = BPF_REG_0,
		  .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "ring_test", "GPL",
			       insns, sizeof(insns) / sizeof(insns[0]), NULL);

	assert_true(fd >= 0);
	return fd;
}

static void fire(int prog_fd)
{
	char pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
		    .data_size_in = sizeof(pkt), .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &o), 0);
}

static int count_record(void *ctx, const void *data, size_t size)
{
	assert_int_equal(size, 8);
	assert_int_equal(*(const __u64 *)data, 42);
	(*(int *)ctx)++;
	return 0;
}

struct real {
	int map, plain, force; /* the ring; programs: no flag, FORCE */
	int seen;
	struct ringread *rr;
};

static void real_new(struct real *r)
{
	r->map = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ring_test", 0, 0, 4096,
				NULL);
	assert_true(r->map >= 0);
	r->plain = ring_prog(r->map, 0);
	r->force = ring_prog(r->map, BPF_RB_FORCE_WAKEUP);
	r->seen = 0;
	r->rr = ringread_new();
	assert_non_null(r->rr);
	assert_int_equal(ringread_add(r->rr, r->map, count_record, &r->seen),
			 0);
}

static void real_free(struct real *r)
{
	ringread_free(r->rr);
	close(r->plain);
	close(r->force);
	close(r->map);
}

/* While the reader holds a record, one committed with no flag wakes no
 * one (it is read at the poll's timeout); a forced wake-up still does. */
static void real_ring__records_while_busy__wake_no_one(void **state)
{
	struct real r;

	(void)state;
	real_new(&r);
	fire(r.plain); /* the ring was read to its end: wakes */
	assert_int_equal(ringread_poll(r.rr, 10000, 0), 1);
	assert_true(ringread_woken(r.rr));
	fire(r.plain);
	assert_int_equal(ringread_poll(r.rr, 100, 0), 1);
	assert_false(ringread_woken(r.rr));
	fire(r.force);
	assert_int_equal(ringread_poll(r.rr, 10000, 0), 1);
	assert_true(ringread_woken(r.rr));
	assert_int_equal(r.seen, 3);
	real_free(&r);
}

static void *fire_later(void *arg)
{
	usleep(100 * 1000);
	fire(*(int *)arg);
	return NULL;
}

/* Quiet for RINGREAD_QUIET_POLLS polls, the reader gives its held record
 * back: the next record wakes it long before idle_ms. */
static void real_ring__after_quiet__next_record_wakes(void **state)
{
	struct real r;
	pthread_t t;

	(void)state;
	real_new(&r);
	fire(r.plain);
	assert_int_equal(ringread_poll(r.rr, 10000, 0), 1);
	for (int i = 0; i < RINGREAD_QUIET_POLLS; i++)
		assert_int_equal(ringread_poll(r.rr, 0, 0), 0);
	assert_int_equal(pthread_create(&t, NULL, fire_later, &r.plain), 0);
	/* without the wake-up: 30 s, then the record, not woken */
	assert_int_equal(ringread_poll(r.rr, 0, 30000), 1);
	assert_true(ringread_woken(r.rr));
	pthread_join(t, NULL);
	assert_int_equal(r.seen, 2);
	real_free(&r);
}

static void *write_later(void *arg)
{
	usleep(100 * 1000);
	assert_int_equal(write(*(int *)arg, "x", 1), 1);
	return NULL;
}

/* A watched file descriptor's input ends a quiet reader's long wait. */
static void real_ring__watched_fd__ends_the_wait(void **state)
{
	struct real r;
	pthread_t t;
	int p[2];

	(void)state;
	real_new(&r);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(ringread_watch(r.rr, p[0]), 0);
	for (int i = 0; i < RINGREAD_QUIET_POLLS; i++)
		assert_int_equal(ringread_poll(r.rr, 0, 0), 0);
	assert_int_equal(pthread_create(&t, NULL, write_later, &p[1]), 0);
	/* without the watch: 30 s, then not woken */
	assert_int_equal(ringread_poll(r.rr, 0, 30000), 0);
	assert_true(ringread_woken(r.rr));
	pthread_join(t, NULL);
	close(p[0]);
	close(p[1]);
	real_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(consume__sizes_and_wraps__whole_and_in_order),
		cmocka_unit_test(consume__discarded__skipped),
		cmocka_unit_test(consume__busy_record__waits_for_it),
		cmocka_unit_test(consume__callback_error__stops_after_it),
		cmocka_unit_test(backlog__unread_part_before_the_last_consume),
		cmocka_unit_test(real_ring__records_while_busy__wake_no_one),
		cmocka_unit_test(real_ring__after_quiet__next_record_wakes),
		cmocka_unit_test(real_ring__watched_fd__ends_the_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
