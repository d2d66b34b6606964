// SPDX-License-Identifier: Apache-2.0
/*
 * -F filter expressions (runner/engine/filter.c), and the same text as an
 * -E expression (filter_expr.c), over the real trace_dns fields:
 * the BTF of $BUILD/gadget/trace_dns/program.bpf.o and its gadget.yaml.
 * The input up to its first NUL is the expression; the bytes after it
 * fill the event that a parsed filter is matched against.
 */
#include <bpf/btf.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "metadata/metadata.h"
#include "runner/engine/fields.h"
#include "runner/engine/filter.h"
#include "fuzz.h"

static struct btf *btf;
static struct fieldset *fs;
static size_t ev_size;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *yaml = NULL;
	struct gadget_metadata *md = NULL;
	const char *build = getenv("BUILD");
	char path[512];
	size_t len;
	int id;

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/gadget/trace_dns/program.bpf.o",
		 build ? build : "build");
	btf = btf__parse_elf(path, NULL);
	if (!btf) {
		fprintf(stderr, "fuzz_filter: %s: no BTF (run make)\n", path);
		exit(1);
	}
	id = btf__find_by_name_kind(btf, "event_t", BTF_KIND_STRUCT);
	if (id < 0 ||
	    read_file("gadget/trace_dns/gadget.yaml", &yaml, &len, &err) ||
	    metadata_parse(yaml, len, "gadget.yaml", &md, &err) ||
	    fieldset_new(btf, id, md, "dns", &fs, &err)) {
		fprintf(stderr, "fuzz_filter: %s\n",
			id < 0 ? "no struct event_t" : error_msg(err));
		exit(1);
	}
	metadata_free(md);
	ev_size = fieldset_event_size(fs);
	return 0;
}

/* The text as -E (filter_expr.h): compiled or refused with a message;
 * the same expression twice, ANDed, gives the verdict of one. */
static void expr_too(const char *text, const uint8_t *ev)
{
	cleanup_error struct error *err = NULL;
	struct filter *f = NULL;
	bool once;

	if (filter_add_expr(&f, fs, text, &err) < 0) {
		FUZZ_CHECK(err && err->msg && !f,
			   "-E failure without a message");
		return;
	}
	once = filter_match(f, ev);
	FUZZ_CHECK(!filter_add_expr(&f, fs, text, &err),
		   "-E \"%s\" compiles once only", text);
	FUZZ_CHECK(once == filter_match(f, ev),
		   "-E \"%s\" AND itself differs from itself", text);
	filter_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *expr = fuzz_strndup(data, size);
	cleanup_free uint8_t *ev = calloc(1, ev_size);
	struct filter *f = NULL;
	size_t n = strnlen((const char *)data, size);
	bool once;

	if (!expr || !ev)
		return 0;
	if (n < size)
		memcpy(ev, data + n + 1,
		       size - n - 1 < ev_size ? size - n - 1 : ev_size);
	expr_too(expr, ev);
	if (filter_add(&f, fs, expr, &err) < 0) {
		FUZZ_CHECK(err && err->msg, "failure without a message");
		filter_free(f);
		return 0;
	}
	FUZZ_CHECK(f || !*expr, "\"%s\" parsed to no filter", expr);
	once = filter_match(f, ev);
	/* the same rules twice are ANDed: the verdict cannot change */
	if (filter_add(&f, fs, expr, &err) < 0)
		FUZZ_CHECK(0, "\"%s\" parses once only: %s", expr,
			   error_msg(err));
	FUZZ_CHECK(once == filter_match(f, ev),
		   "\"%s\" AND itself differs from \"%s\"", expr, expr);
	filter_free(f);
	return 0;
}
