/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The field model of one data source: built from the event struct's BTF
 * (nested members flatten to dotted names, typedef and struct names decide
 * formatting) and the gadget.yaml annotations.  Nothing here knows what a
 * gadget is about.
 */
#ifndef RUNNER_FIELDS_H
#define RUNNER_FIELDS_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "common/error.h"

struct btf;
struct gadget_metadata;
struct fieldset;

/*
 * Describe the struct type_id of btf as data source ds; md may be NULL.
 * A field the metadata names but the struct lacks is skipped, as ig does
 * (its WASM modules and operators add such fields): see
 * fieldset_unknown().
 */
int fieldset_new(const struct btf *btf, __u32 type_id,
		 const struct gadget_metadata *md, const char *ds,
		 struct fieldset **out, struct error **err);
/*
 * fieldset_new() with ig's env operator: each data source annotation
 * env.fields.NAME: VAR adds a string field NAME holding $VAR as it is now,
 * when VAR is one of env_vars (--env-vars: comma-separated, as ig splits
 * it: "" allows the variable "" only), else fails.  NULL allows every
 * variable (image build's check; fieldset_new()'s).
 */
int fieldset_new_env(const struct btf *btf, __u32 type_id,
		     const struct gadget_metadata *md, const char *ds,
		     const char *env_vars, struct fieldset **out,
		     struct error **err);
void fieldset_free(struct fieldset *fs);

/* Apply a --fields spec: "a,b" replaces, "+a,-b" adds/removes. */
int fieldset_select(struct fieldset *fs, const char *spec, struct error **err);
/* Does fs have every field a --fields spec names? */
bool fieldset_knows(const struct fieldset *fs, const char *spec);

/* The i-th field gadget.yaml names that the event lacks, or NULL. */
const char *fieldset_unknown(const struct fieldset *fs, size_t i);

/* Size of the event struct the fieldset decodes. */
size_t fieldset_event_size(const struct fieldset *fs);

struct containers;
/*
 * Where runtime.* fields (derived from the event's mount namespace) find
 * containers; without it they stay empty.  c must outlive fs.
 */
void fieldset_set_containers(struct fieldset *fs, struct containers *c);
struct stacks;
/* Where stack fields find their symbols (s outlives fs); without it they
 * stay empty.  Does fs have stack fields? */
void fieldset_set_stacks(struct fieldset *fs, struct stacks *s);
bool fieldset_has_stacks(const struct fieldset *fs);

/* Does fs have runtime.* fields (an event with a gadget_mntns_id)? */
bool fieldset_has_runtime(const struct fieldset *fs);
/* The field of an event's time (its first gadget_timestamp, boot-time
 * ns), -1 if none; the time in ev by it. */
int fieldset_time_field(const struct fieldset *fs);
__u64 fieldset_time(const struct fieldset *fs, int field, const void *ev);
/* Do fs's records carry packet bytes after the event (ebpf.rest.len)? */
bool fieldset_has_packets(const struct fieldset *fs);
/* Does an output of fs show the bytes after the event (ebpf.rest.name's
 * field): in its columns, else in JSON (not skipped, not left out by
 * --fields)? */
bool fieldset_shows_rest(const struct fieldset *fs, bool columns);

/*
 * Where the runner runs decides which enrichment subtree the default
 * columns show, as in ig: runtime.* on a host, k8s.* on a Kubernetes node.
 * JSON carries every subtree either way.
 */
enum fieldset_env {
	FIELDSET_HOST, /* the default */
	FIELDSET_KUBERNETES,
};

/* Set the environment; resets the default columns (before --fields). */
void fieldset_set_env(struct fieldset *fs, enum fieldset_env env);

/* The mount namespace (its first gadget_mntns_id) and the pid (its first
 * gadget_pid) of event ev's process; 0 for what it does not have. */
void fieldset_proc(const struct fieldset *fs, const void *ev, __u64 *mntns,
		   __u32 *pid);

struct pod_info;
/*
 * The pod of event ev as the k8s.* fields show it (NULL: none, or no k8s.*
 * fields); *container: the container's name in the pod ("" if unknown).
 */
const struct pod_info *fieldset_pod(const struct fieldset *fs, const void *ev,
				    const char **container);

/* The pod a selection (--k8s-*) matches ev by, as
 * container_select_match() its container: the pod of the container of
 * its mount namespace (all empty outside pods, even in a pod's network
 * namespace), NULL outside containers (a host process, even in a pod's
 * network namespace); without a mount namespace, fieldset_pod(). */
const struct pod_info *fieldset_selected_pod(const struct fieldset *fs,
					     const void *ev,
					     const char **container);

struct json_t;
/*
 * Append to the JSON array arr each field of fs as ig's api.Field
 * (`image inspect --show-datasources`): names, index, offset and size in
 * the event (or payload index of a field derived from it), flags, kind,
 * tags, the annotations the model and md (may be NULL) give, parent;
 * fields_info.c.  -1 when out of memory.
 */
int fieldset_ig_fields(const struct fieldset *fs,
		       const struct gadget_metadata *md, struct json_t *arr);

/* "name  description" lines for `runner run IMAGE --help`. */
void fieldset_describe(const struct fieldset *fs, FILE *out);

/*
 * CLOCK_REALTIME - CLOCK_BOOTTIME now, in ns: the closest of three
 * readings of the realtime clock between two of the boottime clock.
 */
__s64 boot_to_real_offset(void);

#endif
