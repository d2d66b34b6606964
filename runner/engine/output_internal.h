/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the output (output.c, output_columns.c): its state, and columns. */
#ifndef RUNNER_ENGINE_OUTPUT_INTERNAL_H
#define RUNNER_ENGINE_OUTPUT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "runner/engine/fields_internal.h"
#include "runner/engine/ns_memo.h"
#include "runner/engine/output.h"

#define OUT_MAX_UNITS 4096 /* flush once this many events are buffered */
#define TAB_VALUES 64 /* values 0..63 of a named field come from a table */

struct column_spec;

struct json_step {
	size_t prefix_off; /* into prefixes */
	size_t prefix_len;
	int field; /* -1: only the prefix */
	/* output_json.c: how the value is written */
	__u8 op, size;
	__u32 off; /* the field's */
	__u32 tab; /* first entry of its table in tab_ent */
	__u32 memo; /* first entry of its memo */
	/* OP_RUNTIME, OP_K8S: the steps from here on that are alike, and
	 * their text outside containers and pods (in tab_text) */
	__u32 run, run_off, run_len;
	__u32 group; /* OP_GROUP: index into groups; its op is then
		      * groups[group].op */
	/* OP_TAB: when the value is shown (COND_*), and the bytes
	 * COND_NONZERO looks at */
	__u8 cond, cond_size;
	__u32 cond_off;
};

enum { COND_NONE, COND_NONZERO, COND_GENERIC };

/*
 * output_json.c: a run of steps whose text depends on a few bytes of the
 * event only (the key: up to JSON_GROUP_KEY / 8 words of 8 bytes, each
 * where some of those bytes are, under a mask of them): the text after
 * the first step's prefix, kept for the last keys seen
 * (JSON_GROUP_WAYS, chosen by a hash of the key).  A
 * group that misses more often than it hits is left alone for a while.
 * A group with an endpoint's port (new with every query of a stub
 * resolver) whose keys miss takes the port out of its key for a while:
 * its value (the hole) is then written per event between the kept text's
 * head and the rest.
 */
#define JSON_GROUP_WAY_BITS 6
#define JSON_GROUP_WAYS (1 << JSON_GROUP_WAY_BITS)
#define JSON_GROUP_KEY 64 /* bytes of key at most */
struct json_group_way {
	__u64 hash;
	__u32 len; /* of the text; 0: empty */
	__u32 head; /* of the text, before the hole's value */
	char data[]; /* the key (key_len: a multiple of 8), then the text */
};

struct json_group {
	__u32 n; /* steps */
	/* the key: the 8 event bytes at each of word[0, n_words); key_len
	 * 8 * n_words */
	__u32 n_words, key_len;
	__u32 word[JSON_GROUP_KEY / 8];
	__u32 text_max, way_size;
	__u8 op; /* the first step's own op */
	/* the step (from the first; 0: none) whose value is the hole, and
	 * its unsigned integer's bytes; whether it is out of the key now */
	__u32 hole, hole_off;
	__u8 hole_size;
	bool hole_on;
	__u32 tries, hits, skip;
	char *ways;
	/* of each key word, the bytes the text depends on (full), and those
	 * the text without the hole's value depends on (mask) */
	__u64 full[JSON_GROUP_KEY / 8], mask[JSON_GROUP_KEY / 8];
};

/* output_json.c: the last value of a step and its JSON text (a user or
 * group name by id; a timestamp's text around its nanoseconds by second) */
#define JSON_MEMO_TEXT 80
struct json_memo {
	__s64 key;
	bool valid;
	__u8 len, tail_len;
	char text[JSON_MEMO_TEXT];
};

/* output_columns.c: the cells (text fitted to the column) of values
 * 0..TAB_VALUES-1 of a column, when its field allows */
struct col_tab {
	bool on;
	__u32 off[TAB_VALUES], len[TAB_VALUES]; /* into ctab_text */
};

/*
 * output_columns.c: the last cells of a column whose text depends on a
 * few bytes of the event (the key: COL_MEMO_KEY at most, read 8 at a
 * time), COL_MEMO_WAYS of them chosen by a hash of the key.  A longer
 * string is kept when it ends in the key's bytes.
 */
#define COL_MEMO_WAY_BITS 6
#define COL_MEMO_WAYS (1 << COL_MEMO_WAY_BITS)
#define COL_MEMO_KEY 32
struct col_memo_way {
	__u64 key[COL_MEMO_KEY / 8];
	__u32 len; /* of the cell; 0: empty */
	char *cell;
};

struct col_memo {
	__u32 lo, key_len; /* event bytes [lo, lo + key_len); 0: none */
	bool need_nul; /* a string longer than the key: kept if it ends */
	size_t cell_max; /* bytes of a cell at most */
	struct col_memo_way *way; /* COL_MEMO_WAYS */
};

struct json_tab_ent {
	__u32 off, len; /* into tab_text */
};

struct output {
	const struct fieldset *fs;
	enum output_mode mode;
	int fd;
	int err; /* errno of the first failed write, 0 if none */
	/* output_behind.c: a regular file's clean pages dropped before
	 * behind_from, looked at again once the end passes behind_next */
	bool behind_on;
	long long behind_from, behind_next;
	long long behind_pos; /* the end, as told by the writes since */
	char *buf;
	size_t len, cap;
	size_t threshold; /* written out once this much is buffered */
	bool hold; /* a regular file: output_flush_due() holds lines */
	double held_since; /* 0, or when output_flush_due() first found
			    * the lines buffered now */
	size_t max_event; /* bytes one event can take at most */
	struct render_ctx rc;
	char *scratch; /* the event the cells are built in (output_columns.c) */
	char *text; /* one field's text */
	bool *include; /* JSON: per field */
	/* JSON, YAML: the first included member of each object (struct
	 * field i; the event: fs->n) and the one after each field, in ig's
	 * key order; -1: none */
	int *first, *next;
	struct json_step *steps;
	size_t n_steps;
	/* YAML: per field, the column its value starts at (after "key: ")
	 * and the indentation of its continuation lines */
	struct yaml_at {
		__u16 col, indent;
	} * yaml_at;
	/* -o jsonpretty: each field's key quoted and escaped, and ": " */
	char *pkey_text;
	__u32 *pkey_off, *pkey_len;
	char *prefixes;
	struct json_tab_ent *tab_ent; /* output_json.c: value tables */
	size_t tab_ent_len;
	char *tab_text;
	size_t tab_len;
	struct json_memo *memo; /* output_json.c: per step */
	int *width; /* columns: per visible column, -1 when dropped */
	struct col_tab *ctab; /* columns: per column, cells of small values */
	char *ctab_text;
	struct col_memo *cmemo; /* columns: per column, its last cells */
	char *cmemo_text;
	struct column_spec *spec; /* columns: what column_fit() weighs */
	int term_width; /* 0: not a terminal */
	bool tty; /* fd is a terminal */
	struct pcapng *pcap; /* OUTPUT_PCAPNG */

	/* What reached fd: whole events only are counted. */
	unsigned int ends[OUT_MAX_UNITS]; /* buffered units' end offsets */
	size_t n_units;
	bool header_pending; /* units[0] is the header, not an event */
	unsigned long long written; /* events written out whole */
	bool cut; /* a failed write left part of one on fd */
	const volatile sig_atomic_t *stop; /* set: write without waiting */
	bool stalled; /* stopping, fd took nothing for a while */
	unsigned long long dropped; /* events dropped since */
	struct json_group *groups; /* output_json.c */
	size_t n_groups;
	/* output_json.c: whether an event's namespaces are outside
	 * containers (OP_RUNTIME: by its mount namespace) and pods (OP_K8S) */
	struct ns_memo rt_memo[NS_MEMO_WAYS];
	struct ns_memo k8s_memo[NS_MEMO_WAYS];
};

/* n spaces at out (none when n <= 0); how many. */
static inline size_t output_spaces(char *out, int n)
{
	if (n <= 0)
		return 0;
	memset(out, ' ', n);
	return n;
}

/* output.c: a JSON string of s (at most n bytes, up to a NUL), and the
 * JSON value of a non-container field, into out; their lengths. */
size_t output_json_string(char *out, const char *s, size_t n);
size_t output_json_float(char *out, double x, bool f32);
/* Bytes the value of f takes at most in o's mode. */
size_t output_value_max(const struct output *o, const struct field *f);
/* Fields whose text is plain ASCII without quotes or backslashes. */
bool output_text_is_safe(const struct field *f);
size_t output_json_value(struct output *o, const struct field *f,
			 const void *ev, char *out);

/* A value read whole: 1 to 8 bytes, not a bitfield, not an array. */
static inline bool output_whole_int(const struct field *f)
{
	return !f->bit_size && f->size && f->size <= 8 && f->count == 1;
}

/* output_json.c */
/* A value whose text depends on its own bytes only, as a small number. */
bool output_tabulable(const struct field *f);
/* Value v of f into ev for its table, with the field its value.shown-if
 * names set so that the value is shown. */
void output_tab_event(const struct fieldset *fs, const struct field *f,
		      char *ev, __u64 v);
#define OUTPUT_JSON_PAD 32 /* bytes past an event the renderer may touch */
/* Choose how each step of the JSON lines program writes its value. */
int output_json_compile(struct output *o);
/* One event as a JSON line into out; its length. */
size_t output_json_render(struct output *o, const void *ev, char *out);

/* output_behind.c: after a write, drop the file's clean pages well
 * behind its end (regular files; set up by output_behind_init()) */
void output_behind_init(struct output *o);
void output_behind(struct output *o, size_t written);

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
