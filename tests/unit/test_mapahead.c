// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/mapahead.c: the maps made ahead of the load are the maps
 * libbpf makes (real kernel: trace_dns loaded twice, with and without).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "runner/engine/gadget.h"
#include "tests/unit/trace_dns_started.h"

#define MAX_MAPS 64

struct loaded {
	char *elf;
	size_t len;
	struct gadget *g;
	char names[MAX_MAPS][64];
	struct bpf_map_info info[MAX_MAPS];
	size_t n;
};

/* trace_dns loaded (with its maps made ahead or not) and its maps' info. */
static void load(struct loaded *l, bool ahead)
{
	struct bpf_map *m;
	struct bpf_object *obj;

	memset(l, 0, sizeof(*l));
	obj = trace_dns_started(&l->elf, &l->len, &l->g, ahead);
	bpf_object__for_each_map (m, obj) {
		__u32 size = sizeof(l->info[0]);
		int fd;

		if (bpf_map__is_internal(m))
			continue;
		assert_true(l->n < MAX_MAPS);
		snprintf(l->names[l->n], sizeof(l->names[0]), "%s",
			 bpf_map__name(m));
		fd = gadget_map_fd(l->g, l->names[l->n]);
		if (fd < 0)
			fail_msg("map %s: no fd", l->names[l->n]);
		assert_int_equal(
			bpf_obj_get_info_by_fd(fd, &l->info[l->n], &size), 0);
		l->n++;
	}
	bpf_object__close(obj);
}

static void unload(struct loaded *l)
{
	gadget_free(l->g);
	free(l->elf);
}

static void made_ahead__same_kernel_maps_as_libbpf(void **state)
{
	struct loaded plain, ahead;

	(void)state;
	load(&plain, false);
	load(&ahead, true);
	assert_int_equal(plain.n, ahead.n);
	for (size_t i = 0; i < plain.n; i++) {
		const struct bpf_map_info *a = &plain.info[i],
					  *b = &ahead.info[i];

		assert_string_equal(plain.names[i], ahead.names[i]);
		print_message("%s: %s\n", plain.names[i],
			      gadget_map_made_ahead(ahead.g, ahead.names[i]) ?
				      "made ahead" :
				      "by libbpf");
		assert_int_equal(a->type, b->type);
		assert_int_equal(a->key_size, b->key_size);
		assert_int_equal(a->value_size, b->value_size);
		assert_int_equal(a->max_entries, b->max_entries);
		assert_int_equal(a->map_flags, b->map_flags);
		assert_int_equal(a->map_extra, b->map_extra);
		assert_string_equal(a->name, b->name);
		assert_int_equal(a->btf_key_type_id, b->btf_key_type_id);
		assert_int_equal(a->btf_value_type_id, b->btf_value_type_id);
		/* a BTF object of its own (a copy), or none for both */
		assert_int_equal(!a->btf_id, !b->btf_id);
		assert_false(gadget_map_made_ahead(plain.g, plain.names[i]));
	}
	/* the path is taken: its big hashes and arrays made ahead */
	assert_true(gadget_map_made_ahead(ahead.g, "sockets"));
	assert_true(gadget_map_made_ahead(ahead.g, "query_names"));
	assert_true(gadget_map_made_ahead(ahead.g, "tcp_flows"));
	/* left to libbpf: a ring (its size set later), a map with a timer
	 * in its value (BTF the verifier reads), an API map the runner
	 * may share */
	assert_false(gadget_map_made_ahead(ahead.g, "events"));
	assert_false(gadget_map_made_ahead(ahead.g, "sweepers"));
	assert_false(gadget_map_made_ahead(ahead.g, "gadget_mntns_filter_map"));
	unload(&plain);
	unload(&ahead);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(made_ahead__same_kernel_maps_as_libbpf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
