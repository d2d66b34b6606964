// SPDX-License-Identifier: Apache-2.0
/*
 * The pcap-ng writer (runner/engine/pcapng.c) on hostile records: events
 * whose interface key (pcap.interface-key) and variables
 * (pcap.interface-var, strings without their NUL) are any bytes, whose
 * packet length (ebpf.rest.len) says more or less than the record holds,
 * and whose IP header says any length.  The input is records one after
 * the other: a byte of how many packet bytes follow the struct, the
 * struct, then those bytes.  Whatever they hold, each event's blocks fit
 * pcapng_max_event() and are whole pcap-ng blocks (a length that is a
 * multiple of 4, the same at both ends), packets of interfaces written
 * before them.
 */
#include <bpf/btf.h>

#include "common/cleanup.h"
#include "common/error.h"
#include "metadata/metadata.h"
#include "runner/engine/fields_internal.h"
#include "runner/engine/pcapng.h"
#include "fuzz.h"

struct ev {
	__u64 ts;
	__u32 ifindex;
	__u32 payload_len;
	char name[16];
	char tag[16];
};

static const char yaml[] =
	"name: f\n"
	"datasources:\n"
	"  ev:\n"
	"    annotations: {ebpf.rest.len: payload_len, ebpf.rest.name: p}\n"
	"    fields:\n"
	"      ifindex: {annotations: {pcap.interface-key: true}}\n"
	"      name: {annotations: {pcap.interface-var: if.name}}\n"
	"      tag: {annotations: {pcap.interface-var: tag}}\n";

static struct btf *btf;
static struct gadget_metadata *md;
static struct fieldset *fs;
static char *out;
static size_t out_size;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cleanup_error struct error *err = NULL;
	struct pcapng *p = NULL;
	int u32, u64, chr, arr, ts, id;

	(void)argc;
	(void)argv;
	btf = btf__new_empty();
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	u64 = btf__add_int(btf, "long long unsigned int", 8, 0);
	chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	arr = btf__add_array(btf, u32, chr, 16);
	ts = btf__add_typedef(btf, "gadget_timestamp", u64);
	/* the struct last: its fields follow it */
	id = btf__add_struct(btf, "ev", sizeof(struct ev));
	if (btf__add_field(btf, "ts", ts, 0, 0) ||
	    btf__add_field(btf, "ifindex", u32, 64, 0) ||
	    btf__add_field(btf, "payload_len", u32, 96, 0) ||
	    btf__add_field(btf, "name", arr, 128, 0) ||
	    btf__add_field(btf, "tag", arr, 256, 0) ||
	    metadata_parse(yaml, strlen(yaml), "f.yaml", &md, &err) ||
	    fieldset_new(btf, id, md, "ev", &fs, &err) ||
	    pcapng_new(fs, &p, &err)) {
		fprintf(stderr, "fuzz_pcapng: %s\n",
			err ? error_msg(err) : "BTF");
		exit(1);
	}
	out_size = pcapng_max_event(p);
	out = malloc(out_size);
	pcapng_free(p);
	return 0;
}

static __u32 rd32(const char *b)
{
	__u32 v;

	memcpy(&v, b, sizeof(v));
	return v;
}

/* The blocks in b (n bytes): whole ones; interfaces counted in *n_ifs,
 * each packet's of one already written. */
static void check_blocks(const char *b, size_t n, __u32 *n_ifs)
{
	size_t off = 0;

	while (off < n) {
		__u32 type, len;

		FUZZ_CHECK(n - off >= 12, "%zu bytes left of a block", n - off);
		type = rd32(b + off);
		len = rd32(b + off + 4);
		FUZZ_CHECK(len % 4 == 0 && len >= 12 && len <= n - off,
			   "block of %u bytes at %zu of %zu", len, off, n);
		FUZZ_CHECK(rd32(b + off + len - 4) == len,
			   "block of %u bytes ends saying %u", len,
			   rd32(b + off + len - 4));
		if (type == 1) {
			(*n_ifs)++;
		} else if (type == 6) {
			FUZZ_CHECK(len >= 32, "packet block of %u bytes", len);
			FUZZ_CHECK(rd32(b + off + 8) < *n_ifs,
				   "packet of interface %u of %u",
				   rd32(b + off + 8), *n_ifs);
			FUZZ_CHECK(rd32(b + off + 20) <= len - 32,
				   "%u bytes captured in a block of %u",
				   rd32(b + off + 20), len);
		}
		off += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cleanup_error struct error *err = NULL;
	struct pcapng *p = NULL;
	struct render_ctx rc;
	__u32 n_ifs = 0;
	size_t n;

	FUZZ_CHECK(!pcapng_new(fs, &p, &err), "%s", error_msg(err));
	render_ctx_init(&rc, fs);
	n = pcapng_header(p, out);
	FUZZ_CHECK(n <= out_size, "header of %zu bytes", n);
	check_blocks(out, n, &n_ifs);
	FUZZ_CHECK(n_ifs == 1, "%u interfaces in the header", n_ifs);
	while (size > sizeof(struct ev)) {
		size_t rec = sizeof(struct ev) + data[0];
		cleanup_free uint8_t *copy = NULL;

		data++;
		size--;
		rec = rec < size ? rec : size;
		/* a record of its own, for ASan to see past its end */
		copy = malloc(rec);
		FUZZ_CHECK(copy, "malloc");
		memcpy(copy, data, rec);
		n = pcapng_event(p, &rc, copy, rec, out);
		FUZZ_CHECK(n <= out_size, "%zu bytes for an event, at most %zu",
			   n, out_size);
		check_blocks(out, n, &n_ifs);
		data += rec;
		size -= rec;
	}
	render_ctx_fini(&rc);
	pcapng_free(p);
	return 0;
}
