/* SPDX-License-Identifier: Apache-2.0 */
/* The gadget.yaml model inside: what metadata.c parses into and
 * metadata_emit.c writes back. */
#ifndef METADATA_INTERNAL_H
#define METADATA_INTERNAL_H

#include <stddef.h>

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

#endif
