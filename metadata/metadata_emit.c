// SPDX-License-Identifier: Apache-2.0
/*
 * gadget.yaml written back from the model (what it holds, in file order),
 * through libyaml's emitter: the round trip that the tests and the fuzzer
 * hold the parser to.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/cleanup.h"
#include "metadata/metadata.h"
#include "metadata/metadata_internal.h"
#include "metadata/yaml_limits.h"

int md_emit_write(void *ctx, unsigned char *buf, size_t size)
{
	struct md_emit_buf *b = ctx;

	if (b->len + size + 1 > b->cap) {
		size_t cap = (b->len + size + 1) * 2;
		char *n = realloc(b->data, cap);

		if (!n)
			return 0;
		b->data = n;
		b->cap = cap;
	}
	memcpy(b->data + b->len, buf, size);
	b->len += size;
	b->data[b->len] = '\0';
	return 1;
}

yaml_scalar_style_t md_scalar_style(const char *s)
{
	/* what the parser reads as null must be quoted to stay a string */
	return yaml_text_is_null(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE :
				      YAML_ANY_SCALAR_STYLE;
}

static int emit_scalar(yaml_emitter_t *e, const char *s)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
					  (int)strlen(s), 1, 1,
					  md_scalar_style(s)))
		return -1;
	return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

static int emit_map_start(yaml_emitter_t *e)
{
	yaml_event_t ev;

	if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						 YAML_BLOCK_MAPPING_STYLE))
		return -1;
	return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

static int emit_map_end(yaml_emitter_t *e)
{
	yaml_event_t ev;

	if (!yaml_mapping_end_event_initialize(&ev))
		return -1;
	return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

static int emit_kvs(yaml_emitter_t *e, const char *key, const struct md_kv *kv,
		    size_t n)
{
	if (emit_scalar(e, key) < 0 || emit_map_start(e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (emit_scalar(e, kv[i].key) < 0 ||
		    emit_scalar(e, kv[i].value) < 0)
			return -1;
	return emit_map_end(e);
}

/* key: a mapping of the keys[i] whose values[i] are not NULL; nothing
 * when all are. */
static int emit_some(yaml_emitter_t *e, const char *key,
		     const char *const *keys, const char *const *values,
		     size_t n)
{
	size_t i;

	for (i = 0; i < n && !values[i]; i++)
		;
	if (i == n)
		return 0;
	if (emit_scalar(e, key) < 0 || emit_map_start(e) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (values[i] && (emit_scalar(e, keys[i]) < 0 ||
				  emit_scalar(e, values[i]) < 0))
			return -1;
	return emit_map_end(e);
}

static int emit_programs(yaml_emitter_t *e, const struct gadget_metadata *md)
{
	static const char *const perf_keys[] = { "type", "config",
						 "sampleType" };
	static const char *const sampler_keys[] = { "frequency" };

	if (!md->progs)
		return 0;
	if (emit_scalar(e, "programs") < 0 || emit_map_start(e) < 0)
		return -1;
	for (size_t i = 0; i < md->n_progs; i++) {
		const struct metadata_program *p = &md->progs[i];
		const char *const perf[] = { p->perf_type, p->perf_config,
					     p->perf_sample_type };

		if (emit_scalar(e, p->name) < 0 || emit_map_start(e) < 0 ||
		    (p->attach_to && (emit_scalar(e, "attach_to") < 0 ||
				      emit_scalar(e, p->attach_to) < 0)) ||
		    emit_some(e, "perf", perf_keys, perf, 3) < 0 ||
		    emit_some(e, "sampler", sampler_keys, &p->frequency, 1) <
			    0 ||
		    emit_map_end(e) < 0)
			return -1;
	}
	return emit_map_end(e);
}

static int emit_body(yaml_emitter_t *e, const struct gadget_metadata *md)
{
	if (emit_map_start(e) < 0)
		return -1;
	for (size_t i = 0; i < md->n_top; i++)
		if (emit_scalar(e, md->top[i].key) < 0 ||
		    emit_scalar(e, md->top[i].value) < 0)
			return -1;
	if (md->ann && emit_kvs(e, "annotations", md->ann, md->n_ann) < 0)
		return -1;
	if (md->n_ds) {
		if (emit_scalar(e, "datasources") < 0 || emit_map_start(e) < 0)
			return -1;
		for (size_t i = 0; i < md->n_ds; i++) {
			const struct md_ds *ds = &md->ds[i];

			if (emit_scalar(e, ds->name) < 0 ||
			    emit_map_start(e) < 0)
				return -1;
			if (ds->ann &&
			    emit_kvs(e, "annotations", ds->ann, ds->n_ann) < 0)
				return -1;
			if (emit_scalar(e, "fields") < 0 ||
			    emit_map_start(e) < 0)
				return -1;
			for (size_t j = 0; j < ds->n_fields; j++) {
				const struct md_field *f = &ds->fields[j];

				if (emit_scalar(e, f->name) < 0 ||
				    emit_map_start(e) < 0 ||
				    emit_kvs(e, "annotations", f->ann,
					     f->n_ann) < 0 ||
				    emit_map_end(e) < 0)
					return -1;
			}
			if (emit_map_end(e) < 0 || emit_map_end(e) < 0)
				return -1;
		}
		if (emit_map_end(e) < 0)
			return -1;
	}
	if (md->params) {
		if (emit_scalar(e, "params") < 0 || emit_map_start(e) < 0 ||
		    emit_scalar(e, "ebpf") < 0 || emit_map_start(e) < 0)
			return -1;
		for (size_t i = 0; i < md->n_params; i++) {
			const struct metadata_param *p = &md->params[i];

			if (emit_scalar(e, p->var) < 0 || emit_map_start(e) < 0)
				return -1;
			if (emit_scalar(e, "key") < 0 ||
			    emit_scalar(e, p->key) < 0)
				return -1;
			if (p->default_value &&
			    (emit_scalar(e, "defaultValue") < 0 ||
			     emit_scalar(e, p->default_value) < 0))
				return -1;
			if (p->description &&
			    (emit_scalar(e, "description") < 0 ||
			     emit_scalar(e, p->description) < 0))
				return -1;
			if (emit_map_end(e) < 0)
				return -1;
		}
		if (emit_map_end(e) < 0 || emit_map_end(e) < 0)
			return -1;
	}
	if (md->pdefs &&
	    emit_kvs(e, "paramDefaults", md->pdefs, md->n_pdefs) < 0)
		return -1;
	if (emit_programs(e, md) < 0)
		return -1;
	return emit_map_end(e);
}

int md_emit_begin(yaml_emitter_t *e, struct md_emit_buf *b, char **out,
		  size_t *len, struct error **err)
{
	*out = NULL;
	*len = 0;
	if (!yaml_emitter_initialize(e))
		return error_set(err, ENOMEM, "yaml emitter");
	yaml_emitter_set_output(e, md_emit_write, b);
	yaml_emitter_set_unicode(e, 1);
	return 0;
}

int md_emit_end(yaml_emitter_t *e, bool done, struct md_emit_buf *b, char **out,
		size_t *len, struct error **err)
{
	int ret = -1;

	if (!done || !yaml_emitter_flush(e)) {
		error_set(err, e->error == YAML_MEMORY_ERROR ? ENOMEM : 0,
			  "write gadget.yaml: %s",
			  e->problem ? e->problem : "emitter failed");
		free(b->data);
	} else {
		*out = b->data ? b->data : strdup("");
		*len = b->len;
		ret = *out ? 0 : error_set(err, ENOMEM, "write gadget.yaml");
	}
	yaml_emitter_delete(e);
	return ret;
}

int metadata_emit(const struct gadget_metadata *md, char **out, size_t *len,
		  struct error **err)
{
	struct md_emit_buf b = { 0 };
	yaml_emitter_t e;
	yaml_event_t ev;

	if (md_emit_begin(&e, &b, out, len, err))
		return -1;
	yaml_emitter_set_width(&e, -1);
	return md_emit_end(
		&e,
		yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
			yaml_emitter_emit(&e, &ev) &&
			yaml_document_start_event_initialize(&ev, NULL, NULL,
							     NULL, 1) &&
			yaml_emitter_emit(&e, &ev) && emit_body(&e, md) == 0 &&
			yaml_document_end_event_initialize(&ev, 1) &&
			yaml_emitter_emit(&e, &ev) &&
			yaml_stream_end_event_initialize(&ev) &&
			yaml_emitter_emit(&e, &ev),
		&b, out, len, err);
}
