/* SPDX-License-Identifier: Apache-2.0 */
/* The gadget.yaml model inside: what metadata.c parses into and
 * metadata_emit.c writes back. */
#ifndef METADATA_INTERNAL_H
#define METADATA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "metadata/metadata.h"

struct md_kv {
	char *key;
	char *value;
};

struct md_field {
	char *name;
	struct md_kv *ann;
	size_t n_ann;
};

struct md_ds {
	char *name;
	struct md_kv *ann;
	size_t n_ann;
	struct md_field *fields;
	size_t n_fields;
};

struct gadget_metadata {
	struct md_kv *top; /* name, description, ... */
	size_t n_top;
	struct md_kv *ann; /* the top-level annotations (the image's) */
	size_t n_ann;
	struct md_ds *ds;
	size_t n_ds;
	struct metadata_param *params;
	size_t n_params;
	struct md_kv *pdefs; /* paramDefaults, NULL when absent */
	size_t n_pdefs;
	struct metadata_program *progs;
	size_t n_progs;
};

/* The style that keeps scalar s a string: double quotes for a null's text,
 * else libyaml's choice. */
yaml_scalar_style_t md_scalar_style(const char *s);

/* libyaml's emitter output into a growing, NUL-terminated buffer. */
struct md_emit_buf {
	char *data;
	size_t len, cap;
};
int md_emit_write(void *ctx, unsigned char *buf, size_t size);
/* An emitter e (unicode) that writes into b, for *out and *len (cleared). */
int md_emit_begin(yaml_emitter_t *e, struct md_emit_buf *b, char **out,
		  size_t *len, struct error **err);
/* Its end: done (every step succeeded) and flushed, b's text in *out and
 * *len; else the emitter's error.  e is deleted either way. */
int md_emit_end(yaml_emitter_t *e, bool done, struct md_emit_buf *b, char **out,
		size_t *len, struct error **err);

#endif
