/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the making of a fieldset (fields.c, fields_btf.c,
 * fields_annotations.c): the state while building, and the steps.
 */
#ifndef RUNNER_ENGINE_FIELDS_BUILD_H
#define RUNNER_ENGINE_FIELDS_BUILD_H

#include <stdbool.h>
#include <string.h>

#include "metadata/metadata.h"
#include "runner/engine/fields_internal.h"

struct btf;

/* Per field data that only matters while building. */
struct build_info {
	const char *tmpl; /* template implied by the type */
	bool type_hidden; /* hidden in columns by the type's convention */
};

struct build {
	const struct btf *btf;
	const struct gadget_metadata *md;
	const char *ds;
	struct field *f;
	struct build_info *bi;
	size_t n, cap, cap_bi; /* cap: of f; cap_bi: of bi */
	struct error **err;
	/* a type may hold itself or fan out (a hostile gadget's BTF): the
	 * structs being walked and the members seen are bounded */
	int nesting;
	size_t members;
	struct field_env **vars; /* of the FK_ENV fields (fs takes them) */
	size_t n_vars;
};

static inline const char *build_ann_lookup(struct build *b, const char *field,
					   const char *key)
{
	return metadata_field_annotation(b->md, b->ds, field, key);
}

static inline bool build_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a > b && !strcmp(s + a - b, suffix);
}

/* fields_btf.c: append a field; its index, or -1 and *b->err. */
int build_add_field(struct build *b, const char *prefix, const char *key,
		    int parent, int depth, enum field_kind kind);
/* Skip modifiers and typedefs; report the outermost gadget_* typedef. */
__u32 build_resolve(const struct btf *btf, __u32 id, const char **gname);
/* Fail unless every member of every struct and union in btf lies within
 * it, as the kernel checks: what the fields read then lies in the event. */
int build_check_layout(const struct btf *btf, struct error **err);
/* Add the members of struct type_id (at base_bits) under prefix. */
int build_walk_struct(struct build *b, __u32 type_id, __u32 base_bits,
		      const char *prefix, int parent, int depth,
		      int proc_level);

/* fields_annotations.c */
/* Fail when the metadata names a field the struct lacks. */
int build_validate_metadata(struct build *b, struct fieldset *fs);
/* Template, columns.* and description annotations of field i. */
int build_apply_annotations(struct build *b, size_t i);
/* value.shown-if of field i: the field it names, which must be a bool. */
int build_resolve_shown_if(struct build *b, struct fieldset *fs, size_t i);
/* Column titles: the key, unique among the fields. */
void build_set_titles(struct fieldset *fs);
/* The width a column of f takes without an annotation. */
int build_default_width(const struct field *f);
/* Bytes the shown text of f can take. */
size_t build_max_text(const struct field *f);

#endif
