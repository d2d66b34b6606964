// SPDX-License-Identifier: Apache-2.0
/*
 * The size of a gadget's ring buffers, chosen at run time (--ring-size):
 * the kernel maps every page of a ring into the reader, twice, so the
 * size a gadget declares is also resident memory of the runner.
 */
#include <errno.h>
#include <unistd.h>

#include "runner/engine/gadget_internal.h"

int gadget_set_ring_size(struct gadget *g, __u32 bytes, struct error **err)
{
	long page = sysconf(_SC_PAGESIZE);
	struct bpf_map *m;

	if (bytes < (unsigned long)page || (bytes & (bytes - 1)))
		return error_set(err, EINVAL,
				 "ring size %u: want a power of 2, at least "
				 "%ld bytes",
				 bytes, page);
	bpf_object__for_each_map (m, g->obj) {
		int rc;

		if (bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF)
			continue;
		rc = bpf_map__set_max_entries(m, bytes);
		if (rc)
			return error_set(err, -rc, "ring buffer %s size",
					 bpf_map__name(m));
	}
	return 0;
}
