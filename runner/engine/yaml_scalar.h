/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A string value as ig's -o yaml writes it: its JSON read back and written
 * by yaml.v2 (v2.4, through sigs.k8s.io/yaml's JSONToYAML), in the style
 * that writer picks (plain where the text reads back as this string,
 * single quotes, double quotes, a literal block for text with line
 * breaks), folded where it folds lines past 80 columns.
 */
#ifndef RUNNER_ENGINE_YAML_SCALAR_H
#define RUNNER_ENGINE_YAML_SCALAR_H

#include <stdbool.h>
#include <stddef.h>

enum yaml_style {
	YAML_PLAIN,
	YAML_SINGLE,
	YAML_DOUBLE,
	YAML_LITERAL,
};

/* Bytes yaml_scalar() writes at most for n bytes of string. */
#define YAML_SCALAR_MAX(n, indent) ((size_t)(n) * ((indent) + 6) + 8)

/*
 * The style yaml.v2 writes string s (at most n bytes, up to a NUL) in, as
 * the value of a block mapping; each byte that starts no valid UTF-8
 * sequence reads as U+FFFD (as ig's JSON writes it).
 */
enum yaml_style yaml_scalar_style(const char *s, size_t n);

/*
 * Write s (at most n bytes, up to a NUL) as such a value that starts at
 * column col (after "key: "), its continuation lines indented by indent
 * spaces; its length.  A text that ends in a line break leaves it out:
 * the next line's prefix starts with it.
 */
size_t yaml_scalar(char *out, const char *s, size_t n, unsigned int col,
		   unsigned int indent);

/* Whether plain text s of n bytes reads back as a string in yaml.v2
 * (its resolve(): not null, bool, int, float, timestamp). */
bool yaml_plain_is_str(const char *s, size_t n);

#endif
