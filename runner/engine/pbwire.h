/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The protocol buffers wire format, as little of it as a client of one
 * gRPC call needs: write a length-delimited field, walk a message's fields
 * one by one.  Every read is bounded by the message it reads: a truncated
 * or hostile message ends the walk (pb_next() returns -1), never a read
 * past its end.
 */
#ifndef RUNNER_PBWIRE_H
#define RUNNER_PBWIRE_H

#include <stddef.h>
#include <stdint.h>

enum pb_wire {
	PB_VARINT = 0,
	PB_I64 = 1,
	PB_LEN = 2,
	PB_I32 = 5,
};

struct pb_reader {
	const uint8_t *p, *end;
};

struct pb_field {
	uint32_t num;
	enum pb_wire wire;
	uint64_t varint; /* PB_VARINT, PB_I64, PB_I32 */
	const uint8_t *data; /* PB_LEN: its bytes, len of them */
	size_t len;
};

static inline void pb_reader_init(struct pb_reader *r, const void *data,
				  size_t len)
{
	r->p = data;
	r->end = r->p + len;
}

/* The next field: 1, 0 at the end of the message, -1 if it is malformed
 * (then every later call returns -1 too). */
int pb_next(struct pb_reader *r, struct pb_field *f);
/*
 * Append field num, length-delimited, with len bytes of data to buf (size
 * bytes, *off used): 0, or -1 when it does not fit (*off unchanged).
 */
int pb_put_len(uint8_t *buf, size_t size, size_t *off, uint32_t num,
	       const void *data, size_t len);

#endif
