// SPDX-License-Identifier: Apache-2.0
/*
 * An image's eBPF object (any bytes) as `runner run` and `image build`
 * hand it to libbpf: objinfo_check() first (runner/engine/objinfo.c),
 * and only what it passes to libbpf's bpf_object__open_mem(), which must
 * then give an object or an error, never crash (Debian 12's libbpf 1.1
 * trusts the ELF's structure).  Seeds: the gadgets' objects without DWARF.
 */
#include <stdarg.h>

#include <bpf/libbpf.h>

#include "common/cleanup.h"
#include "common/error.h"
#include "runner/engine/objinfo.h"
#include "fuzz.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	libbpf_set_print(quiet);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "fuzz");
	cleanup_error struct error *err = NULL;
	struct bpf_object *obj;
	int rc = objinfo_check(data, size, &err);

	FUZZ_CHECK(!rc == !err, "result %d, error %p", rc, (void *)err);
	if (rc)
		return 0;
	obj = bpf_object__open_mem(data, size, &opts);
	bpf_object__close(obj);
	return 0;
}
