/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gadget.yaml model (libyaml): top-level scalars, data sources with
 * their annotations and per-field annotations, eBPF params, and the
 * sampling of perf_event programs.
 */
#ifndef METADATA_METADATA_H
#define METADATA_METADATA_H

#include <stddef.h>

#include "common/error.h"

struct gadget_metadata;

struct metadata_param {
	const char *var; /* the GADGET_PARAM variable name */
	const char *key; /* the flag name, defaults to var */
	const char *default_value; /* may be NULL */
	const char *description; /* may be NULL */
};

/*
 * programs.<name> of gadget.yaml, what ig reads of it: attach_to for the
 * program of that name; perf.* and sampler.* for the perf_event program in
 * section "perf_event/<name>"; each NULL when absent.
 */
struct metadata_program {
	const char *name;
	const char *attach_to; /* attach point, or "gadget_program_disabled" */
	const char *perf_type; /* perf.type: "software" */
	const char *perf_config; /* perf.config: "count_sw_cpu_clock" */
	const char *perf_sample_type; /* perf.sampleType: "sample_raw" */
	const char *frequency; /* sampler.frequency: samples a second */
};

/* Parse gadget.yaml; filename is used in error messages (file:line:col). */
int metadata_parse(const char *buf, size_t len, const char *filename,
		   struct gadget_metadata **out, struct error **err);
void metadata_free(struct gadget_metadata *md);

/* A top-level scalar: name, description, homepageURL, documentationURL,
 * sourceURL.  NULL when absent. */
const char *metadata_get(const struct gadget_metadata *md, const char *key);

/*
 * The i-th top-level annotation (gadget.yaml `annotations:`, which ig copies
 * into the image's): its key, its value in *value; NULL past the last.
 */
const char *metadata_annotation(const struct gadget_metadata *md, size_t i,
				const char **value);

/* datasources.<ds>.annotations.<key>, NULL when absent. */
const char *metadata_ds_annotation(const struct gadget_metadata *md,
				   const char *ds, const char *key);
/* datasources.<ds>.fields.<field>.annotations.<key>, NULL when absent. */
const char *metadata_field_annotation(const struct gadget_metadata *md,
				      const char *ds, const char *field,
				      const char *key);
/*
 * The i-th annotation of datasources.<ds> (field NULL) or of its
 * fields.<field>, in file order: its key, its value in *value; NULL past
 * the last.
 */
const char *metadata_field_annotation_at(const struct gadget_metadata *md,
					 const char *ds, const char *field,
					 size_t i, const char **value);
/* The field names that datasources.<ds>.fields mentions (for validation). */
size_t metadata_field_count(const struct gadget_metadata *md, const char *ds);
const char *metadata_field_name(const struct gadget_metadata *md,
				const char *ds, size_t i);

/*
 * Add (or replace) an annotation: of data source ds when field is NULL,
 * else of its field (both are created when gadget.yaml lacks them).
 */
int metadata_annotate(struct gadget_metadata *md, const char *ds,
		      const char *field, const char *key, const char *value,
		      struct error **err);

/* params.ebpf.* in file order. */
size_t metadata_param_count(const struct gadget_metadata *md);
const struct metadata_param *metadata_param(const struct gadget_metadata *md,
					    size_t i);

/*
 * paramDefaults.<name> (ig's full param names, "operator.oci.ebpf.KEY",
 * matched without regard to case as ig's viper does), NULL when absent.
 */
const char *metadata_param_default(const struct gadget_metadata *md,
				   const char *name);
/* programs.* in file order. */
size_t metadata_program_count(const struct gadget_metadata *md);
const struct metadata_program *
metadata_program(const struct gadget_metadata *md, size_t i);

/* The data source names, in file order. */
size_t metadata_ds_count(const struct gadget_metadata *md);
const char *metadata_ds_name(const struct gadget_metadata *md, size_t i);

/*
 * Write md back as gadget.yaml (what this model holds, in file order) into
 * a malloc'ed buffer *out of *len bytes.  Parsing the result gives the same
 * model.
 */
int metadata_emit(const struct gadget_metadata *md, char **out, size_t *len,
		  struct error **err);

/*
 * gadget.yaml as ig's `image build --update-metadata` completes it: the
 * file's YAML document (buf NULL: none), to which the program's data
 * sources, fields and params are added where missing; what the author
 * wrote stays (comments apart, as ig's).
 */
struct metadata_doc;
int metadata_doc_load(const char *buf, size_t len, const char *file,
		      struct metadata_doc **out, struct error **err);
void metadata_doc_free(struct metadata_doc *d);
/* name, description and the three URLs: ig's placeholder when absent or
 * empty. */
int metadata_doc_fill_top(struct metadata_doc *d, struct error **err);
/* datasources.<ds>.fields.<field> with ig's placeholder description, when
 * absent (field NULL: the data source, with its fields). */
int metadata_doc_add_field(struct metadata_doc *d, const char *ds,
			   const char *field, struct error **err);
/* params.ebpf.<var> (key, an empty defaultValue, ig's placeholder
 * description), when absent. */
int metadata_doc_add_param(struct metadata_doc *d, const char *var,
			   struct error **err);
/* Write it (as yaml.v2 would lay it out) into a malloc'ed *out of *len
 * bytes; d is then empty, for metadata_doc_free() only. */
int metadata_doc_emit(struct metadata_doc *d, char **out, size_t *len,
		      struct error **err);

#endif
