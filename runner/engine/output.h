/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Renders events of a fieldset as columns, JSON lines, pretty JSON or YAML
 * into a large buffer that is written out in batches.  No allocation per
 * event.
 */
#ifndef RUNNER_OUTPUT_H
#define RUNNER_OUTPUT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct fieldset;
struct output;

enum output_mode {
	OUTPUT_COLUMNS,
	OUTPUT_JSON,
	OUTPUT_JSONPRETTY,
	OUTPUT_YAML,
	OUTPUT_PCAPNG, /* the packets of a data source that carries them */
};

/* Parse "columns", "json", "jsonpretty", "yaml", "pcap-ng". */
int output_mode_parse(const char *s, enum output_mode *mode);

int output_new(const struct fieldset *fs, enum output_mode mode, int fd,
	       struct output **out, struct error **err);
/* Flushes what is buffered, then frees. */
void output_free(struct output *o);
/* The column header (columns mode only; no-op otherwise). */
void output_header(struct output *o);
/*
 * Columns, before an array's batch: what is buffered written out, then,
 * if clear and on a terminal, the screen cleared (ig's
 * cli.clear-screen-before), then the header.
 */
void output_batch_header(struct output *o, bool clear);
/* Render one event: a whole record (record_whole()), size bytes with the
 * packet after it for pcap-ng. */
void output_event(struct output *o, const void *data, size_t size);
/* Write out whatever is buffered.  Only whole lines are ever written. */
int output_flush(struct output *o);
/*
 * output_flush(), unless fd is a regular file and what is buffered came
 * less than 50 ms ago (the first call that found it, at time now in
 * seconds): lines to a file go out in larger writes.
 */
int output_flush_due(struct output *o, double now);

/* Columns: lay out for a terminal this wide (0: fixed widths, as piped).
 * output_new() does this itself when fd is a terminal. */
void output_set_term_width(struct output *o, int width);
/* errno of the first failed write (then events are dropped), 0 if none. */
int output_error(const struct output *o);
/* Events written out whole so far (a flushed buffer counts; the header
 * does not). */
unsigned long long output_written(const struct output *o);
/* Did a failed write leave part of an event on fd, one that could not be
 * taken back (only a regular file can be truncated)? */
bool output_cut(const struct output *o);
/* Whether events are buffered, not yet written. */
bool output_pending(const struct output *o);
/*
 * Once *stop is set (by a signal, which also interrupts a write that
 * waits), writes what fd takes within a second; once it took nothing for
 * that long, every event after is dropped at once: a reader that stopped
 * reading cannot hold a stopping run, however many events still come.
 */
#define OUTPUT_STOP_WAIT_MS 1000
void output_set_stop(struct output *o, const volatile sig_atomic_t *stop);
/* Events dropped so: not written since the stop, the reader not reading. */
unsigned long long output_dropped(const struct output *o);
/*
 * Has the reader of fd gone (a pipe without reader)?  Then it is an EPIPE
 * error of the output, as a write would find: a run that writes nothing
 * for a while (its filter keeps nothing) learns it without a write.
 */
bool output_reader_gone(struct output *o);
/*
 * Float x (a float if f32) as ig's YAML writes it (Go's shortest digits,
 * an exponent below 1e-4 and from 1e6 on), into out (32 bytes); its
 * length, no NUL.
 */
size_t output_yaml_float(char *out, double x, bool f32);

#endif
