// SPDX-License-Identifier: Apache-2.0
/*
 * A gadget's event type and events, both from the image (a hostile
 * gadget): the fields of a struct in hostile BTF (runner/engine/fields*.c)
 * under trace_dns's gadget.yaml (or none, when its fields are missing), and an event of any bytes rendered in
 * every text output mode (runner/engine/output*.c) at terminal widths 0
 * and 40.  The input is a 2-byte little-endian length, that many bytes of
 * raw BTF (libbpf checks it as the kernel would), then the event.  The
 * struct named event_t (else the last struct) is the event; whatever the
 * BTF says, building fails with a message or gives fields, and rendering
 * stays within what the output reserved for an event (ASan).
 */
#include <bpf/btf.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "metadata/metadata.h"
#include "runner/engine/btf_name.h"
#include "runner/engine/fields.h"
#include "runner/engine/output.h"
#include "fuzz.h"

#define MAX_EVENT (64u << 10)

static struct gadget_metadata *md;
static int devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *yaml = NULL;
	size_t len;

	(void)argc;
	(void)argv;
	if (read_file("gadget/trace_dns/gadget.yaml", &yaml, &len, &err) ||
	    metadata_parse(yaml, len, "gadget.yaml", &md, &err)) {
		fprintf(stderr, "fuzz_btf: %s\n", error_msg(err));
		exit(1);
	}
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		exit(1);
	return 0;
}

/* event_t, else the last struct; 0 when there is none. */
static __u32 event_type(const struct btf *btf)
{
	__u32 n = btf__type_cnt(btf), last = 0;

	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!btf_is_struct(t))
			continue;
		if (!strcmp(btf_name(btf, t->name_off), "event_t"))
			return id;
		last = id;
	}
	return last;
}

static void render(const struct fieldset *fs, const void *ev, size_t size)
{
	static const enum output_mode modes[] = {
		OUTPUT_COLUMNS,
		OUTPUT_JSON,
		OUTPUT_JSONPRETTY,
		OUTPUT_YAML,
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++) {
		for (int width = 0; width <= 40; width += 40) {
			cleanup_error struct error *err = NULL;
			struct output *o = NULL;

			if (output_new(fs, modes[i], devnull, &o, &err) < 0) {
				FUZZ_CHECK(!o && err && err->msg,
					   "output %zu: failure", i);
				continue;
			}
			if (width)
				output_set_term_width(o, width);
			output_header(o);
			output_event(o, ev, size);
			output_event(o, ev, size);
			FUZZ_CHECK(output_flush(o) == 0, "flush to /dev/null");
			output_free(o);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cleanup_error struct error *err = NULL;
	cleanup_free uint8_t *ev = NULL;
	struct fieldset *fs = NULL;
	struct btf *btf;
	size_t len, ev_size;
	__u32 id;

	if (size < 2)
		return 0;
	len = data[0] | (size_t)data[1] << 8;
	if (len > size - 2)
		return 0;
	btf = btf__new(data + 2, len);
	if (!btf)
		return 0;
	id = event_type(btf);
	if (!id)
		goto out;
	/* trace_dns's annotations need its fields: without, none at all */
	if (fieldset_new(btf, id, md, "dns", &fs, &err) < 0) {
		FUZZ_CHECK(!fs && err && err->msg, "failure without a message");
		error_free(err);
		err = NULL;
		if (fieldset_new(btf, id, NULL, "dns", &fs, &err) < 0) {
			FUZZ_CHECK(!fs && err && err->msg,
				   "failure without a message");
			goto out;
		}
	}
	ev_size = fieldset_event_size(fs);
	if (ev_size > MAX_EVENT)
		goto out;
	/* the event exactly: ASan sees a read past it */
	ev = malloc(ev_size ? ev_size : 1);
	if (!ev)
		goto out;
	memset(ev, 0, ev_size);
	len = size - 2 - len;
	memcpy(ev, data + size - len, len < ev_size ? len : ev_size);
	render(fs, ev, ev_size);
out:
	fieldset_free(fs);
	btf__free(btf);
	return 0;
}
