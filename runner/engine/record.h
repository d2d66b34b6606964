/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Records shorter than their tracer's struct: a gadget may send only the
 * front of its event that it used (bpf_ringbuf_output() of a length), and
 * every reader of the record (filter, pod selection, metrics, output)
 * reads it as the whole struct with the missing tail zeros.  A whole
 * record is read where it is; a short one is copied once into a buffer
 * kept for the data source, with no allocation per record.
 */
#ifndef RUNNER_ENGINE_RECORD_H
#define RUNNER_ENGINE_RECORD_H

#include <stddef.h>

struct record_pad;

/* A buffer for records of a struct of size bytes; NULL without memory. */
struct record_pad *record_pad_new(size_t size);
void record_pad_free(struct record_pad *p);

/*
 * The record data (*size bytes) as a whole struct: data itself when it
 * is at least the struct's size, else a copy in p with zeros after it
 * (*size becomes the struct's size), valid until the next call on p.
 */
const void *record_whole(struct record_pad *p, const void *data, size_t *size);

#endif
