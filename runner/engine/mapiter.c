// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "runner/engine/mapiter.h"

#define BATCH 256 /* entries per syscall */

struct mapiter {
	struct bpf_map *map;
	size_t key_size, value_size, value_off;
	char *keys, *values, *record; /* BATCH keys and values, one record */
};

void mapiter_free(struct mapiter *m)
{
	if (!m)
		return;
	free(m->keys);
	free(m->values);
	free(m->record);
	free(m);
}

int mapiter_new(struct bpf_object *obj, const struct btf *base,
		struct btf **ext_base, struct btf **ext, const char *name,
		const char *map_name, struct mapiter **out, __u32 *type_id,
		struct error **err)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, map_name);
	const struct btf_type *kt, *vt;
	struct mapiter *m;
	char sname[128];
	__u32 kid, vid;
	int id;

	if (!map)
		return error_set(err, 0, "map iterator %s: no map %s", name,
				 map_name);
	if (bpf_map__type(map) != BPF_MAP_TYPE_HASH &&
	    bpf_map__type(map) != BPF_MAP_TYPE_LRU_HASH)
		return error_set(err, 0,
				 "map iterator %s: %s is not a hash map", name,
				 map_name);
	kid = bpf_map__btf_key_type_id(map);
	vid = bpf_map__btf_value_type_id(map);
	kt = btf__type_by_id(base, kid);
	vt = btf__type_by_id(base, vid);
	if (!kid || !vid || !kt || !vt || !btf_is_struct(kt) ||
	    !btf_is_struct(vt) || kt->size != bpf_map__key_size(map) ||
	    vt->size != bpf_map__value_size(map))
		return error_set(err, 0,
				 "map iterator %s: key and value of %s must be "
				 "structs of the map's sizes",
				 name, map_name);
	m = calloc(1, sizeof(*m));
	if (!m)
		return error_set(err, ENOMEM, "map iterator");
	m->map = map;
	m->key_size = kt->size;
	m->value_size = vt->size;
	m->value_off = (kt->size + 7) & ~(size_t)7;
	m->keys = malloc(BATCH * m->key_size);
	m->values = malloc(BATCH * m->value_size);
	m->record = calloc(1, m->value_off + m->value_size);
	if (!m->keys || !m->values || !m->record)
		goto nomem;
	if (!*ext) {
		/* over a copy: adding to a split BTF makes its base writable,
		 * which moves the strings that names elsewhere point into */
		__u32 size;
		const void *raw = btf__raw_data(base, &size);

		*ext_base = raw ? btf__new(raw, size) : NULL;
		*ext = *ext_base ? btf__new_empty_split(*ext_base) : NULL;
		if (!*ext)
			goto nomem;
	}
	snprintf(sname, sizeof(sname), "__gadget_mapiter_%s", name);
	id = btf__add_struct(*ext, sname, m->value_off + m->value_size);
	if (id < 0 || btf__add_field(*ext, NULL, kid, 0, 0) ||
	    btf__add_field(*ext, NULL, vid, m->value_off * 8, 0)) {
		mapiter_free(m);
		return error_set(err, errno, "map iterator %s: BTF", name);
	}
	*type_id = id;
	*out = m;
	return 0;
nomem:
	mapiter_free(m);
	return error_set(err, ENOMEM, "map iterator");
}

int mapiter_fetch(struct mapiter *m, gadget_event_fn fn, void *ctx,
		  struct error **err)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int fd = bpf_map__fd(m->map);
	char in[512], out[512];
	bool first = true;

	if (m->key_size > sizeof(in))
		return error_set(err, 0, "map %s: key too large",
				 bpf_map__name(m->map));
	for (;;) {
		__u32 n = BATCH;
		int rc = bpf_map_lookup_and_delete_batch(fd, first ? NULL : in,
							 out, m->keys,
							 m->values, &n, &opts);

		if (rc && errno != ENOENT)
			return error_set(err, errno, "fetch map %s",
					 bpf_map__name(m->map));
		for (__u32 i = 0; i < n; i++) {
			memcpy(m->record, m->keys + i * m->key_size,
			       m->key_size);
			memcpy(m->record + m->value_off,
			       m->values + i * m->value_size, m->value_size);
			fn(ctx, m->record, m->value_off + m->value_size);
		}
		if (rc) /* ENOENT: that was the last batch */
			return 0;
		memcpy(in, out, sizeof(in));
		first = false;
	}
}
