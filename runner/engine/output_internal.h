/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the output (output.c, output_columns.c): its state, and columns. */
#ifndef RUNNER_ENGINE_OUTPUT_INTERNAL_H
#define RUNNER_ENGINE_OUTPUT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "runner/engine/fields_internal.h"
#include "runner/engine/output.h"

#define OUT_MAX_UNITS 4096 /* flush once this many events are buffered */

struct column_spec;

struct json_step {
	size_t prefix_off; /* into prefixes */
	size_t prefix_len;
	int field; /* -1: only the prefix */
};

struct output {
	const struct fieldset *fs;
	enum output_mode mode;
	int fd;
	int err; /* errno of the first failed write, 0 if none */
	char *buf;
	size_t len, cap;
	size_t max_event; /* bytes one event can take at most */
	struct render_ctx rc;
	char *scratch; /* zero-filled copy of short records */
	char *text; /* one field's text */
	bool *include; /* JSON: per field */
	struct json_step *steps;
	size_t n_steps;
	char *prefixes;
	int *width; /* columns: per visible column, -1 when dropped */
	struct column_spec *spec; /* columns: what column_fit() weighs */
	int term_width; /* 0: not a terminal */
	struct pcapng *pcap; /* OUTPUT_PCAPNG */

	/* What reached fd: whole events only are counted. */
	unsigned int ends[OUT_MAX_UNITS]; /* buffered units' end offsets */
	size_t n_units;
	bool header_pending; /* units[0] is the header, not an event */
	unsigned long long written; /* events written out whole */
	bool cut; /* a failed write left part of one on fd */
};

/* n spaces at out (none when n <= 0); how many. */
static inline size_t output_spaces(char *out, int n)
{
	if (n <= 0)
		return 0;
	memset(out, ' ', n);
	return n;
}

/* output_columns.c */
/* Widths of the visible columns, scaled to the terminal if there is one. */
void output_columns_layout(struct output *o);
/* Bytes one event can take as columns. */
size_t output_columns_max_event(const struct output *o);
/* The header line into out; its length. */
size_t output_columns_header(const struct output *o, char *out);
/* One event as a line of columns into out; its length. */
size_t output_render_columns(struct output *o, const void *ev, char *out);

#endif
