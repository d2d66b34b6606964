// SPDX-License-Identifier: Apache-2.0
/*
 * ig's ebpf.* extra info (runner/engine/objinfo.c) of an eBPF object as
 * an image's layer brings it: any bytes.  Each key either fails with an
 * error or gives a JSON array (ebpf.flowchart and ebpf.sequence: a
 * string, runner/engine/objinfo_graph.c).
 */
#include <jansson.h>

#include "common/cleanup.h"
#include "common/error.h"
#include "common/json.h"
#include "runner/engine/objinfo.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *(*const infos[])(const void *, size_t,
					struct error **) = {
		objinfo_sections, objinfo_maps,	     objinfo_variables,
		objinfo_programs, objinfo_flowchart, objinfo_sequence,
	};
	const size_t texts = 4; /* the keys from here on give text */

	for (size_t k = 0; k < sizeof(infos) / sizeof(infos[0]); k++) {
		cleanup_error struct error *err = NULL;
		cleanup_json json_t *out = infos[k](data, size, &err);

		FUZZ_CHECK(!out == !!err, "key %zu: result %p, error %p", k,
			   (void *)out, (void *)err);
		FUZZ_CHECK(!out || (k < texts ? json_is_array(out) :
						json_is_string(out)),
			   "key %zu: no array or text", k);
	}
	return 0;
}
