// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "metadata/yaml_limits.h"

struct anchor {
	char *name;
	bool flat; /* a scalar, or a collection of scalars only */
};

struct anchors {
	struct anchor a[YAML_MAX_ANCHORS];
	size_t n;
	int open[YAML_MAX_DEPTH + 2]; /* anchored collection at a depth */
};

static void anchors_free(struct anchors *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->a[i].name);
}

/* Record an anchor; -1 when there are too many (or no memory). */
static int anchor_add(struct anchors *t, const unsigned char *name, bool flat)
{
	if (t->n == YAML_MAX_ANCHORS)
		return -1;
	t->a[t->n].name = strdup((const char *)name);
	if (!t->a[t->n].name)
		return -1;
	t->a[t->n].flat = flat;
	return (int)t->n++;
}

/* May *name be used?  Only a flat anchor already closed or a scalar. */
static bool alias_ok(const struct anchors *t, const unsigned char *name,
		     size_t depth)
{
	for (size_t i = t->n; i-- > 0;) {
		if (strcmp(t->a[i].name, (const char *)name))
			continue;
		for (size_t d = 1; d <= depth; d++)
			if (t->open[d] == (int)i)
				return false; /* inside itself */
		return t->a[i].flat;
	}
	return false;
}

static int event_error(const yaml_event_t *ev, const char *file,
		       struct error **err, const char *what)
{
	return error_set(err, 0, "%s:%zu:%zu: %s", file,
			 ev->start_mark.line + 1, ev->start_mark.column + 1,
			 what);
}

int yaml_check_limits(const char *buf, size_t len, const char *file,
		      struct error **err)
{
	size_t entries[YAML_MAX_DEPTH + 1] = { 0 };
	bool seq[YAML_MAX_DEPTH + 1] = { false };
	size_t depth = 0, nodes = 0, aliases = 0;
	struct anchors *t = calloc(1, sizeof(*t));
	yaml_parser_t parser;
	yaml_event_t ev;
	int ret = -1;
	bool done = false;

	if (!t)
		return error_set(err, ENOMEM, "%s", file);
	if (len > YAML_MAX_BYTES) {
		free(t);
		return error_set(err, 0,
				 "%s: %zu bytes, more than the %u allowed",
				 file, len, YAML_MAX_BYTES);
	}
	if (!yaml_parser_initialize(&parser)) {
		free(t);
		return error_set(err, ENOMEM, "%s: yaml parser", file);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			/* the loader tells syntax errors with more context */
			ret = 0;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			ret = 0;
			break;
		case YAML_ALIAS_EVENT:
			if (++aliases > YAML_MAX_ALIASES) {
				event_error(&ev, file, err,
					    "more than 100 aliases");
				goto fail;
			}
			if (!alias_ok(t, ev.data.alias.anchor, depth)) {
				event_error(&ev, file, err,
					    "an alias of a nested collection, "
					    "of an unknown anchor or of "
					    "itself");
				goto fail;
			}
			/* the anchors around it are no longer flat */
			for (size_t d = 1; d <= depth; d++)
				if (t->open[d] >= 0)
					t->a[t->open[d]].flat = false;
			entries[depth] += seq[depth] ? 2 : 1;
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++nodes > YAML_MAX_NODES) {
				event_error(&ev, file, err,
					    "more than 65536 nodes");
				goto fail;
			}
			/* a mapping's keys and values are one entry each;
			 * a sequence's items two */
			entries[depth] += seq[depth] ? 2 : 1;
			if (depth && entries[depth] > 2 * YAML_MAX_ENTRIES) {
				event_error(&ev, file, err,
					    "a collection of more than 4096 "
					    "entries");
				goto fail;
			}
			if (ev.type == YAML_SCALAR_EVENT) {
				if (ev.data.scalar.anchor &&
				    anchor_add(t, ev.data.scalar.anchor, true) <
					    0)
					goto too_many_anchors;
				break;
			}
			if (++depth > YAML_MAX_DEPTH) {
				event_error(&ev, file, err,
					    "nested more than 32 levels deep");
				goto fail;
			}
			/* a collection in an anchored one: not flat */
			for (size_t d = 1; d < depth; d++)
				if (t->open[d] >= 0)
					t->a[t->open[d]].flat = false;
			entries[depth] = 0;
			seq[depth] = ev.type == YAML_SEQUENCE_START_EVENT;
			t->open[depth] = -1;
			{
				const yaml_char_t *an =
					seq[depth] ?
						ev.data.sequence_start.anchor :
						ev.data.mapping_start.anchor;

				if (an) {
					t->open[depth] =
						anchor_add(t, an, true);
					if (t->open[depth] < 0)
						goto too_many_anchors;
				}
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth)
				depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	anchors_free(t);
	free(t);
	return ret;
too_many_anchors:
	event_error(&ev, file, err, "more than 100 anchors");
fail:
	yaml_event_delete(&ev);
	yaml_parser_delete(&parser);
	anchors_free(t);
	free(t);
	return -1;
}

int yaml_load_doc(const char *buf, size_t len, const char *file,
		  yaml_document_t *doc, struct error **err)
{
	yaml_parser_t parser;

	if (yaml_check_limits(buf, len, file, err))
		return -1;
	if (!yaml_parser_initialize(&parser))
		return error_set(err, ENOMEM, "%s: yaml parser", file);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, doc)) {
		if (parser.context)
			error_set(err, 0, "%s:%zu:%zu: %s %s (%s:%zu:%zu)",
				  file, parser.problem_mark.line + 1,
				  parser.problem_mark.column + 1,
				  parser.problem ? parser.problem :
						   "syntax error",
				  parser.context, file,
				  parser.context_mark.line + 1,
				  parser.context_mark.column + 1);
		else
			error_set(err, 0, "%s:%zu:%zu: %s", file,
				  parser.problem_mark.line + 1,
				  parser.problem_mark.column + 1,
				  parser.problem ? parser.problem :
						   "syntax error");
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_parser_delete(&parser);
	return 0;
}

bool yaml_text_is_null(const char *v)
{
	static const char *const words[] = { "", "~", "null", "Null", "NULL" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(v, words[i]))
			return true;
	return false;
}

bool yaml_node_is_null(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       yaml_text_is_null((const char *)n->data.scalar.value);
}
