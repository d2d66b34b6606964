/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The limits of a gadget.yaml, checked in one linear pass over libyaml's
 * events before the document is loaded, so that a hostile file fails fast
 * instead of reaching libyaml's loader or the metadata walk, whose costs
 * grow faster than its size (simple-key bookkeeping per nesting level,
 * duplicate-key checks per mapping, alias expansion).
 *
 *   size          1 MiB   trace_dns's is 5 KiB; room for 200x more
 *   nesting       32      gadget.yaml needs 6 (datasources.X.fields.Y.
 *                         annotations.Z)
 *   nodes         65536   scalars and collections, all together
 *   collection    4096    entries of one mapping or sequence
 *   anchors       100     and as many aliases (*name), each of a scalar
 *                         or of a collection of scalars: an alias of a
 *                         nested collection is how a small file expands
 *                         to billions of nodes for whoever walks it
 */
#ifndef METADATA_YAML_LIMITS_H
#define METADATA_YAML_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "common/error.h"

#define YAML_MAX_BYTES (1U << 20)
#define YAML_MAX_DEPTH 32
#define YAML_MAX_NODES 65536
#define YAML_MAX_ENTRIES 4096
#define YAML_MAX_ANCHORS 100
#define YAML_MAX_ALIASES 100

/* 0 when buf (len bytes, named file in messages) is within every limit. */
int yaml_check_limits(const char *buf, size_t len, const char *file,
		      struct error **err);

/*
 * Load buf, checked against these limits first, as one YAML document into
 * doc (the caller deletes it); the parser is deleted either way.  Syntax
 * errors say file:line:col.
 */
int yaml_load_doc(const char *buf, size_t len, const char *file,
		  yaml_document_t *doc, struct error **err);

/* Text that a plain scalar reads as null: "", ~, null, Null, NULL. */
bool yaml_text_is_null(const char *v);

/* A null: an empty plain scalar (`key:` with nothing after it), `~`,
 * `null`, `Null` or `NULL` (YAML 1.2's core schema, as ig's yaml.v3). */
bool yaml_node_is_null(const yaml_node_t *n);

#endif
