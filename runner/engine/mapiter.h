/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Map iterators (GADGET_MAPITER(name, map)): a hash map whose entries the
 * runner takes out periodically (lookup and delete, in batches) as records
 * of a data source.  A record is the key struct followed by the value
 * struct (at the next 8-byte boundary), described by an anonymous-member
 * struct added to a split BTF over the object's, so both flatten into the
 * top level as in ig.
 */
#ifndef RUNNER_MAPITER_H
#define RUNNER_MAPITER_H

#include <linux/types.h>

#include "common/error.h"
#include "runner/engine/gadget.h"

struct bpf_object;
struct btf;
struct mapiter;

/*
 * Describe map_name of obj as data source name; *ext is the split BTF
 * (made on first use, over *ext_base, a copy of base) that gets the record
 * struct, whose id goes to *type_id.  The caller frees *ext, then
 * *ext_base.
 */
int mapiter_new(struct bpf_object *obj, const struct btf *base,
		struct btf **ext_base, struct btf **ext, const char *name,
		const char *map_name, struct mapiter **out, __u32 *type_id,
		struct error **err);
void mapiter_free(struct mapiter *m);
/* Take every entry out of the (loaded) map, passing each record to fn. */
int mapiter_fetch(struct mapiter *m, gadget_event_fn fn, void *ctx,
		  struct error **err);

#endif
