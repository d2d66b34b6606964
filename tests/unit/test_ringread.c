// SPDX-License-Identifier: Apache-2.0
/*
 * The ring buffer reader (runner/engine/ringread.c) over memory laid out
 * as the kernel's ring: records of every size, wrapping around the end of
 * the data (which the reader maps once, so it joins them itself), in
 * order and whole; discarded ones skipped; a record still being written
 * ends the batch; a callback's error stops it; the consumer position
 * published past what was read; the backlog found by the last consume.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/bpf.h>

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
static void produce(struct fake *x, size_t len, __u32 flags)
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
		int n = 0, got;

		while (x->producer + rec_space(len) - x->consumer <= SIZE &&
		       n < 5) {
			produce(x, len, 0);
			len = len % 600 + 1;
			n++;
		}
		got = ringread_consume(rr);
		assert_int_equal(got, n);
		assert_int_equal(x->consumer, x->producer);
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

	(void)state;
	produce(x, 10, 0);
	produce(x, 20, BPF_RINGBUF_DISCARD_BIT);
	x->len_of[x->sent - 1] = 0; /* never read */
	produce(x, 30, 0);
	assert_int_equal(ringread_consume(rr), 2);
	assert_int_equal(x->seen, 3);
	assert_int_equal(x->consumer, x->producer);
	ringread_free(rr);
	free(x);
}

/* A record reserved but not committed ends the batch there; it is read
 * once committed. */
static void consume__busy_record__waits_for_it(void **state)
{
	struct ringread *rr;
	struct fake *x = fake_new(&rr);
	unsigned long busy_at;
	__u32 len;

	(void)state;
	produce(x, 40, 0);
	busy_at = x->producer;
	produce(x, 50, BPF_RINGBUF_BUSY_BIT);
	produce(x, 60, 0);
	assert_int_equal(ringread_consume(rr), 1);
	assert_int_equal(x->consumer, busy_at);
	len = 50;
	memcpy(x->data + (busy_at & (SIZE - 1)), &len, sizeof(len));
	assert_int_equal(ringread_consume(rr), 2);
	assert_int_equal(x->consumer, x->producer);
	ringread_free(rr);
	free(x);
}

/* A callback's error stops the reading past its record. */
static void consume__callback_error__stops_after_it(void **state)
{
	struct ringread *rr;
	struct fake *x = fake_new(&rr);
	unsigned long after;

	(void)state;
	produce(x, 8, 0);
	produce(x, 9, 0);
	after = x->producer;
	produce(x, 10, 0);
	x->stop_at = 1;
	assert_int_equal(ringread_consume(rr), -1234);
	assert_int_equal(x->consumer, after);
	assert_int_equal(ringread_consume(rr), 1);
	assert_int_equal(x->seen, 3);
	ringread_free(rr);
	free(x);
}

/* ringread_backlog(): unread bytes at the start of the last consume, in
 * 64ths of the ring: what decides the reader's priority (session.c). */
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
	for (int i = 0; i < 16; i++) /* full */
		produce(x, 248, 0);
	assert_int_equal(ringread_consume(rr), 16);
	assert_int_equal(ringread_backlog(rr), 64);
	ringread_free(rr);
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(consume__sizes_and_wraps__whole_and_in_order),
		cmocka_unit_test(consume__discarded__skipped),
		cmocka_unit_test(consume__busy_record__waits_for_it),
		cmocka_unit_test(consume__callback_error__stops_after_it),
		cmocka_unit_test(backlog__unread_part_before_the_last_consume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
