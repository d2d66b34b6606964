/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For the tests that compare trace_dns loaded by libbpf alone with the
 * runner's ways of loading it (test_mapahead, test_progpar; include after
 * cmocka.h): the gadget started from the object in $BUILD (default
 * build).
 */
#ifndef TESTS_UNIT_TRACE_DNS_STARTED_H
#define TESTS_UNIT_TRACE_DNS_STARTED_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "runner/engine/gadget.h"

/*
 * trace_dns started into *g from its object's bytes (*elf, *len: free()
 * them after gadget_free()); ahead: as `runner run` starts it
 * (gadget_load_ahead()).  Returns an object of its own, opened only, for
 * the names of its maps and programs (bpf_object__close() it).
 */
static struct bpf_object *trace_dns_started(char **elf, size_t *len,
					    struct gadget **g, bool ahead)
{
	cleanup_error struct error *err = NULL;
	const char *build = getenv("BUILD");
	struct bpf_object *obj;
	char path[512];

	snprintf(path, sizeof(path), "%s/gadget/trace_dns/program.bpf.o",
		 build ? build : "build");
	if (read_file(path, elf, len, &err))
		fail_msg("%s (run make first)", error_msg(err));
	if (gadget_open(*elf, *len, "trace_dns", g, &err))
		fail_msg("%s", error_msg(err));
	if (ahead)
		gadget_load_ahead(*g);
	if (gadget_start(*g, &err))
		fail_msg("%s", error_msg(err));
	obj = bpf_object__open_mem(*elf, *len, NULL);
	assert_non_null(obj);
	return obj;
}

#endif
