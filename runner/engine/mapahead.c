// SPDX-License-Identifier: Apache-2.0
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "common/thread.h"
#include "runner/engine/btf_name.h"
#include "runner/engine/mapahead.h"

#define MAX_MAPS 64
#define API_PREFIX "gadget_" /* the runner's API maps (see the header) */

/* What BPF_MAP_CREATE gets, taken from libbpf's definition on open. */
struct spec {
	char name[BPF_OBJ_NAME_LEN];
	enum bpf_map_type type;
	__u32 key_size, value_size, max_entries, flags, numa_node;
	__u32 key_type_id, value_type_id;
	__u64 extra;
	int fd; /* made on the thread; -1: left to libbpf */
	bool given; /* to libbpf, by mapahead_finish() */
};

struct mapahead {
	pthread_t thread;
	bool running;
	void *btf_raw; /* a copy of the object's BTF, for the maps' ids */
	__u32 btf_size;
	pthread_mutex_t btf_lock; /* the first to take it loads the copy */
	int btf_fd; /* -1: none (yet, or it failed: btf_tried) */
	bool btf_tried;
	struct spec specs[MAX_MAPS]; /* dearest first */
	size_t n;
	size_t next; /* the next spec to make (atomic): the thread, and
		      * mapahead_finish()'s caller once it is there */
};

/* The types libbpf makes with one plain BPF_MAP_CREATE, BTF ids kept. */
static bool plain_type(enum bpf_map_type t)
{
	switch (t) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_LPM_TRIE:
		return true;
	default:
		return false;
	}
}

/* Whether type id holds a field the kernel reads from the map's BTF
 * (bpf_spin_lock, bpf_timer, a kptr's type tag, ...): such maps are left
 * to libbpf. */
static bool special_fields(const struct btf *btf, __u32 id, int depth)
{
	const struct btf_type *t;
	const char *name;

	if (depth > 16)
		return true;
	t = btf__type_by_id(btf, id);
	if (!t)
		return true;
	if (btf_is_type_tag(t))
		return true;
	if (btf_is_mod(t) || btf_is_typedef(t))
		return special_fields(btf, t->type, depth + 1);
	if (btf_is_array(t))
		return special_fields(btf, btf_array(t)->type, depth + 1);
	if (btf_is_ptr(t)) { /* a kptr is a tagged pointer; a plain one not */
		const struct btf_type *to = btf__type_by_id(btf, t->type);

		return !to || btf_is_type_tag(to);
	}
	if (!btf_is_composite(t))
		return false;
	name = btf_name(btf, t->name_off);
	if (name && !strncmp(name, "bpf_", 4))
		return true; /* bpf_spin_lock, bpf_timer, bpf_list_head, ... */
	for (__u16 i = 0; i < btf_vlen(t); i++)
		if (special_fields(btf, btf_members(t)[i].type, depth + 1))
			return true;
	return false;
}

static bool eligible(const struct bpf_map *m, const struct btf *btf)
{
	const char *name = bpf_map__name(m);

	if (bpf_map__is_internal(m) || !plain_type(bpf_map__type(m)) ||
	    !bpf_map__autocreate(m) || bpf_map__get_pin_path(m) ||
	    bpf_map__ifindex(m) || bpf_map__fd(m) >= 0 || !name ||
	    strlen(name) >= BPF_OBJ_NAME_LEN ||
	    !strncmp(name, API_PREFIX, strlen(API_PREFIX)))
		return false;
	if (!btf)
		return true;
	return !special_fields(btf, bpf_map__btf_key_type_id(m), 0) &&
	       !special_fields(btf, bpf_map__btf_value_type_id(m), 0);
}

static void take_spec(struct spec *s, const struct bpf_map *m)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->name, bpf_map__name(m)); /* eligible(): it fits */
	s->type = bpf_map__type(m);
	s->key_size = bpf_map__key_size(m);
	s->value_size = bpf_map__value_size(m);
	s->max_entries = bpf_map__max_entries(m);
	s->flags = bpf_map__map_flags(m);
	s->numa_node = bpf_map__numa_node(m);
	s->extra = bpf_map__map_extra(m);
	s->key_type_id = bpf_map__btf_key_type_id(m);
	s->value_type_id = bpf_map__btf_value_type_id(m);
	s->fd = -1;
}

static bool same_spec(const struct spec *s, const struct bpf_map *m)
{
	struct spec now;

	take_spec(&now, m);
	return s->type == now.type && s->key_size == now.key_size &&
	       s->value_size == now.value_size &&
	       s->max_entries == now.max_entries && s->flags == now.flags &&
	       s->numa_node == now.numa_node && s->extra == now.extra &&
	       s->key_type_id == now.key_type_id &&
	       s->value_type_id == now.value_type_id;
}

/* The copy of the object's BTF in the kernel, loaded once; -1 if none. */
static int btf_fd(struct mapahead *ma)
{
	pthread_mutex_lock(&ma->btf_lock);
	if (!ma->btf_tried && ma->btf_raw)
		ma->btf_fd = bpf_btf_load(ma->btf_raw, ma->btf_size, NULL);
	ma->btf_tried = true;
	pthread_mutex_unlock(&ma->btf_lock);
	return ma->btf_fd < 0 ? -1 : ma->btf_fd;
}

static void make(struct mapahead *ma, struct spec *s)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = s->flags,
		    .numa_node = s->numa_node, .map_extra = s->extra);
	int fd = btf_fd(ma);

	/* libbpf sends no BTF when it has none loaded (an old kernel):
	 * then leave every map with type ids to it */
	if (fd >= 0) {
		opts.btf_fd = fd;
		opts.btf_key_type_id = s->key_type_id;
		opts.btf_value_type_id = s->value_type_id;
	} else if (s->key_type_id || s->value_type_id) {
		return;
	}
	s->fd = bpf_map_create(s->type, s->name, s->key_size, s->value_size,
			       s->max_entries, &opts);
	if (s->fd < 0)
		s->fd = -1;
}

/* Make the specs not taken yet (the thread, then the caller of
 * mapahead_finish() too).  libbpf's objects are not touched here. */
static void make_rest(struct mapahead *ma)
{
	size_t i;

	while ((i = __atomic_fetch_add(&ma->next, 1, __ATOMIC_RELAXED)) < ma->n)
		make(ma, &ma->specs[i]);
}

static void *make_maps(void *arg)
{
	make_rest(arg);
	return NULL;
}

/* What creating it costs, roughly: the memory it preallocates. */
static __u64 cost(const struct spec *s)
{
	__u64 elem = (__u64)s->key_size + s->value_size + 48;

	if (s->flags & BPF_F_NO_PREALLOC)
		return 0;
	return elem * s->max_entries;
}

static int dearest_first(const void *a, const void *b)
{
	__u64 ca = cost(a), cb = cost(b);

	return ca < cb ? 1 : ca > cb ? -1 : 0;
}

struct mapahead *mapahead_start(struct bpf_object *obj)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct mapahead *ma = calloc(1, sizeof(*ma));
	struct bpf_map *m;

	if (!ma)
		return NULL;
	bpf_object__for_each_map (m, obj) {
		if (ma->n < MAX_MAPS && eligible(m, btf))
			take_spec(&ma->specs[ma->n++], m);
	}
	if (btf && ma->n) {
		__u32 size;
		const void *raw = btf__raw_data(btf, &size);

		ma->btf_raw = raw ? malloc(size) : NULL;
		if (ma->btf_raw) {
			memcpy(ma->btf_raw, raw, size);
			ma->btf_size = size;
		}
	}
	qsort(ma->specs, ma->n, sizeof(ma->specs[0]), dearest_first);
	ma->btf_fd = -1;
	pthread_mutex_init(&ma->btf_lock, NULL);
	if (!ma->n || thread_start(&ma->thread, make_maps, ma)) {
		pthread_mutex_destroy(&ma->btf_lock);
		free(ma->btf_raw);
		free(ma);
		return NULL;
	}
	ma->running = true;
	return ma;
}

static void join(struct mapahead *ma)
{
	thread_join_once(ma->thread, &ma->running);
	free(ma->btf_raw);
	ma->btf_raw = NULL;
	if (ma->btf_fd >= 0)
		close(ma->btf_fd);
	ma->btf_fd = -1;
}

void mapahead_finish(struct mapahead *ma, struct bpf_object *obj)
{
	if (!ma)
		return;
	/* what the thread has not started yet, made here meanwhile */
	if (ma->running)
		make_rest(ma);
	join(ma);
	for (size_t i = 0; i < ma->n; i++) {
		struct spec *s = &ma->specs[i];
		struct bpf_map *m;

		if (s->fd < 0)
			continue;
		m = bpf_object__find_map_by_name(obj, s->name);
		/* libbpf keeps a copy (dup) of the fd it is given */
		if (m && bpf_map__fd(m) < 0 && same_spec(s, m) &&
		    !bpf_map__reuse_fd(m, s->fd))
			s->given = true;
		close(s->fd);
		s->fd = -1;
	}
}

bool mapahead_made(const struct mapahead *ma, const char *name)
{
	for (size_t i = 0; ma && i < ma->n; i++)
		if (ma->specs[i].given && !strcmp(ma->specs[i].name, name))
			return true;
	return false;
}

void mapahead_free(struct mapahead *ma)
{
	if (!ma)
		return;
	join(ma);
	for (size_t i = 0; i < ma->n; i++)
		if (ma->specs[i].fd >= 0)
			close(ma->specs[i].fd);
	pthread_mutex_destroy(&ma->btf_lock);
	free(ma);
}
