// SPDX-License-Identifier: Apache-2.0
/*
 * The pcap-ng writer, read back block by block: the interfaces ig's
 * pcap.interface-key and pcap.interface-var make (one per key, named and
 * described as ig's cli operator does), and the packet time from the
 * field pcap.timestamp names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <cmocka.h>

#include "metadata/metadata.h"
#include "runner/engine/fields_internal.h"
#include "runner/engine/pcapng.h"

struct ev {
	__u64 timestamp_raw; /* gadget_timestamp */
	__u64 ts_us; /* a plain integer */
	__u32 ifindex;
	__u32 len;
	__u32 payload_len;
	char name[12];
};

/* The event and its packet (a record). */
struct rec {
	struct ev ev;
	unsigned char pkt[20];
};

struct w {
	struct btf *btf;
	struct gadget_metadata *md;
	struct fieldset *fs;
	struct pcapng *p;
	struct render_ctx rc;
	char *buf;
	size_t len;
};

static const char yaml_head[] = "name: t\n"
				"datasources:\n"
				"  ev:\n"
				"    annotations:\n"
				"      ebpf.rest.len: payload_len\n"
				"      ebpf.rest.name: payload\n"
				"      pcap.payload: payload\n"
				"      pcap.packet-length: len\n";

/* A fieldset of struct ev with gadget.yaml yaml_head + more; NULL and
 * the error in *msg when pcapng_new() refuses it. */
static struct w *w_new(const char *more, char *msg, size_t msg_size)
{
	struct w *w = calloc(1, sizeof(*w));
	struct error *err = NULL;
	char yaml[2048];
	int u32, u64, ts, chr, arr, id;

	snprintf(yaml, sizeof(yaml), "%s%s", yaml_head, more);
	w->btf = btf__new_empty();
	u32 = btf__add_int(w->btf, "unsigned int", 4, 0);
	u64 = btf__add_int(w->btf, "long long unsigned int", 8, 0);
	chr = btf__add_int(w->btf, "char", 1, BTF_INT_SIGNED);
	ts = btf__add_typedef(w->btf, "gadget_timestamp", u64);
	arr = btf__add_array(w->btf, u32, chr, 12);
	id = btf__add_struct(w->btf, "ev", sizeof(struct ev));
	assert_int_equal(btf__add_field(w->btf, "timestamp_raw", ts, 0, 0), 0);
	assert_int_equal(btf__add_field(w->btf, "ts_us", u64, 64, 0), 0);
	assert_int_equal(btf__add_field(w->btf, "ifindex", u32, 128, 0), 0);
	assert_int_equal(btf__add_field(w->btf, "len", u32, 160, 0), 0);
	assert_int_equal(btf__add_field(w->btf, "payload_len", u32, 192, 0), 0);
	assert_int_equal(btf__add_field(w->btf, "name", arr, 224, 0), 0);
	if (metadata_parse(yaml, strlen(yaml), "t.yaml", &w->md, &err) ||
	    fieldset_new(w->btf, id, w->md, "ev", &w->fs, &err))
		fail_msg("%s", error_msg(err));
	/* a known clock: boot time 0 is this wall-clock time */
	w->fs->boot_to_real_ns = 1700000000000000000LL;
	for (size_t i = 0; i < w->fs->n; i++)
		if (w->fs->f[i].add)
			w->fs->f[i].add = (__u64)w->fs->boot_to_real_ns;
	if (pcapng_new(w->fs, &w->p, &err)) {
		snprintf(msg, msg_size, "%s", error_msg(err));
		error_free(err);
		fieldset_free(w->fs);
		metadata_free(w->md);
		btf__free(w->btf);
		free(w);
		return NULL;
	}
	render_ctx_init(&w->rc, w->fs);
	w->buf = malloc(64 * pcapng_max_event(w->p));
	w->len = pcapng_header(w->p, w->buf);
	return w;
}

/* As w_new(), which must take the gadget.yaml. */
static struct w *w_ok(const char *more)
{
	char msg[256];
	struct w *w = w_new(more, msg, sizeof(msg));

	if (!w)
		fail_msg("%s", msg);
	return w;
}

static void w_free(struct w *w)
{
	render_ctx_fini(&w->rc);
	pcapng_free(w->p);
	fieldset_free(w->fs);
	metadata_free(w->md);
	btf__free(w->btf);
	free(w->buf);
	free(w);
}

/* One packet of 20 bytes (each its index plus seed). */
static void packet(struct w *w, __u64 ts, __u32 ifindex, const char *name,
		   unsigned char seed)
{
	struct rec r;

	memset(&r, 0, sizeof(r));
	r.ev.timestamp_raw = ts;
	r.ev.ts_us = ts;
	r.ev.ifindex = ifindex;
	r.ev.len = 60;
	r.ev.payload_len = sizeof(r.pkt);
	snprintf(r.ev.name, sizeof(r.ev.name), "%s", name);
	for (size_t i = 0; i < sizeof(r.pkt); i++)
		r.pkt[i] = (unsigned char)(i + seed);
	w->len += pcapng_event(w->p, &w->rc, &r, sizeof(r), w->buf + w->len);
}

/* What the file says, read back. */
struct iface_rd {
	__u16 linktype;
	char name[64], desc[1100], os[16];
	int tsresol;
};
struct pkt_rd {
	__u32 iface, cap, wire;
	__u64 ts;
	unsigned char first;
};
struct file_rd {
	struct iface_rd ifs[16];
	struct pkt_rd pkts[16];
	size_t n_ifs, n_pkts;
};

static __u32 rd32(const char *p)
{
	__u32 v;

	memcpy(&v, p, 4);
	return v;
}

static __u16 rd16(const char *p)
{
	__u16 v;

	memcpy(&v, p, 2);
	return v;
}

/* The options from p to end, into the interface's strings. */
static void read_opts(const char *p, const char *end, struct iface_rd *f)
{
	while (p + 4 <= end) {
		__u16 code = rd16(p), len = rd16(p + 2);
		char *to = code == 2  ? f->name :
			   code == 3  ? f->desc :
			   code == 12 ? f->os :
					NULL;

		p += 4;
		assert_true(p + len <= end);
		if (code == 0)
			return;
		if (code == 9)
			f->tsresol = (unsigned char)*p;
		if (to) {
			assert_true(len < 64 || to == f->desc);
			memcpy(to, p, len);
			to[len] = '\0';
		}
		p += (len + 3) & ~3u;
	}
}

static void read_file(const char *buf, size_t len, struct file_rd *rd)
{
	size_t off = 0;

	memset(rd, 0, sizeof(*rd));
	assert_true(len >= 28);
	assert_int_equal(rd32(buf), 0x0A0D0D0A);
	assert_int_equal(rd32(buf + 8), 0x1A2B3C4D);
	while (off < len) {
		const char *b = buf + off;
		__u32 type = rd32(b), blen = rd32(b + 4);

		assert_true(blen >= 12 && blen % 4 == 0 && off + blen <= len);
		assert_int_equal(rd32(b + blen - 4), blen);
		if (type == 1) {
			struct iface_rd *f = &rd->ifs[rd->n_ifs++];

			f->linktype = rd16(b + 8);
			read_opts(b + 16, b + blen - 4, f);
		} else if (type == 6) {
			struct pkt_rd *k = &rd->pkts[rd->n_pkts++];

			k->iface = rd32(b + 8);
			k->ts = (__u64)rd32(b + 12) << 32 | rd32(b + 16);
			k->cap = rd32(b + 20);
			k->wire = rd32(b + 24);
			k->first = (unsigned char)b[28];
			assert_true(k->iface < rd->n_ifs);
		}
		off += blen;
	}
	assert_int_equal(off, len);
}

#define T0 1000000000ULL /* 1 s after boot */

/* ig's tcpdump: ifindex is the key, name a variable (part of the key
 * too); each new key is a "virtual" interface described by name=value,
 * the value escaped as a URL query; the same key, the same interface. */
static void keys_and_vars__one_interface_per_key(void **state)
{
	struct file_rd rd;
	struct w *w;

	(void)state;
	w = w_ok("      pcap.timestamp: timestamp\n"
		 "    fields:\n"
		 "      ifindex:\n"
		 "        annotations:\n"
		 "          pcap.interface-key: true\n"
		 "      name:\n"
		 "        annotations:\n"
		 "          pcap.interface-var: the.name\n");
	packet(w, T0, 1, "a b", 0);
	packet(w, T0 + 1, 2, "a b", 1);
	packet(w, T0 + 2, 1, "a b", 2);
	packet(w, T0 + 3, 1, "c/d=é", 3);
	packet(w, T0 + 4, 2, "a b", 4);
	read_file(w->buf, w->len, &rd);
	/* the runner's own namespace's, then one per key */
	assert_int_equal(rd.n_ifs, 4);
	for (size_t i = 0; i < rd.n_ifs; i++) {
		assert_int_equal(rd.ifs[i].linktype, 1); /* Ethernet */
		assert_int_equal(rd.ifs[i].tsresol, 9);
		assert_string_equal(rd.ifs[i].os, "linux");
	}
	assert_string_equal(rd.ifs[1].name, "virtual");
	assert_string_equal(rd.ifs[1].desc, "the.name=a+b");
	assert_string_equal(rd.ifs[2].name, "virtual");
	assert_string_equal(rd.ifs[2].desc, "the.name=a+b");
	assert_string_equal(rd.ifs[3].desc, "the.name=c%2Fd%3D%C3%A9");
	assert_int_equal(rd.n_pkts, 5);
	assert_int_equal(rd.pkts[0].iface, 1);
	assert_int_equal(rd.pkts[1].iface, 2);
	assert_int_equal(rd.pkts[2].iface, 1);
	assert_int_equal(rd.pkts[3].iface, 3);
	assert_int_equal(rd.pkts[4].iface, 2);
	for (size_t i = 0; i < rd.n_pkts; i++) {
		/* boot time + the clock's offset, in ns */
		assert_true(rd.pkts[i].ts == 1700000000000000000ULL + T0 + i);
		assert_int_equal(rd.pkts[i].cap, 20);
		assert_int_equal(rd.pkts[i].wire, 60);
		assert_int_equal(rd.pkts[i].first, i);
	}
	w_free(w);
}

/* Two variables: both describe the interface, in field order (the
 * timestamp first, as in the struct), joined by ";"; without a key field
 * the variables are the key. */
static void vars_only__key_and_description(void **state)
{
	struct file_rd rd;
	struct w *w;

	(void)state;
	w = w_ok("    fields:\n"
		 "      name:\n"
		 "        annotations:\n"
		 "          pcap.interface-var: n\n"
		 "      timestamp:\n"
		 "        annotations:\n"
		 "          pcap.interface-var: t\n");
	packet(w, T0, 1, "x", 0);
	packet(w, T0, 2, "x", 0); /* another ifindex: the same key */
	packet(w, T0, 1, "y", 0);
	read_file(w->buf, w->len, &rd);
	assert_int_equal(rd.n_ifs, 3);
	assert_string_equal(rd.ifs[1].desc,
			    "t=2023-11-14T22%3A13%3A21.000000000Z;n=x");
	assert_int_equal(rd.n_pkts, 3);
	assert_int_equal(rd.pkts[0].iface, 1);
	assert_int_equal(rd.pkts[1].iface, 1);
	assert_int_equal(rd.pkts[2].iface, 2);
	w_free(w);
}

/* Without key fields: one interface per network namespace as before;
 * here none is in the event: the runner's, named after it. */
static void no_keys__the_runners_namespace(void **state)
{
	struct file_rd rd;
	struct w *w;

	(void)state;
	w = w_ok("");
	packet(w, T0, 1, "x", 0);
	packet(w, T0, 2, "y", 0);
	read_file(w->buf, w->len, &rd);
	assert_int_equal(rd.n_ifs, 1);
	assert_true(strncmp(rd.ifs[0].desc, "network namespace ", 18) == 0);
	assert_int_equal(rd.pkts[0].iface, 0);
	assert_int_equal(rd.pkts[1].iface, 0);
	/* no pcap.timestamp: the first timestamp */
	assert_true(rd.pkts[1].ts == 1700000000000000000ULL + T0);
	w_free(w);
}

/* pcap.timestamp naming the X_raw of a timestamp: its wall-clock time;
 * another 64-bit integer: Unix microseconds, as ig reads it. */
static void timestamp__raw_wall_clock_or_integer_microseconds(void **state)
{
	struct file_rd rd;
	struct w *w;

	(void)state;
	w = w_ok("      pcap.timestamp: timestamp_raw\n");
	packet(w, T0, 1, "x", 0);
	read_file(w->buf, w->len, &rd);
	assert_true(rd.pkts[0].ts == 1700000000000000000ULL + T0);
	w_free(w);

	w = w_ok("      pcap.timestamp: ts_us\n");
	packet(w, 1700000000123456ULL, 1, "x", 0);
	read_file(w->buf, w->len, &rd);
	assert_true(rd.pkts[0].ts == 1700000000123456000ULL);
	w_free(w);
}

/* What pcapng_new() refuses, by name: a timestamp field that is not
 * there or not a time, a variable that is not a string (as ig). */
static void refused__named(void **state)
{
	char msg[256];

	(void)state;
	assert_null(w_new("      pcap.timestamp: nope\n", msg, sizeof(msg)));
	assert_string_equal(msg, "pcap-ng: pcap.timestamp: no field nope");
	assert_null(w_new("      pcap.timestamp: ifindex\n", msg, sizeof(msg)));
	assert_string_equal(msg, "pcap-ng: pcap.timestamp: field ifindex is "
				 "neither a timestamp nor a 64-bit unsigned "
				 "integer");
	assert_null(w_new("    fields:\n"
			  "      ifindex:\n"
			  "        annotations:\n"
			  "          pcap.interface-var: i\n",
			  msg, sizeof(msg)));
	assert_string_equal(msg, "pcap-ng: field \"ifindex\" cannot be used "
				 "as interface variable (pcap.interface-var): "
				 "only string fields can");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys_and_vars__one_interface_per_key),
		cmocka_unit_test(vars_only__key_and_description),
		cmocka_unit_test(no_keys__the_runners_namespace),
		cmocka_unit_test(
			timestamp__raw_wall_clock_or_integer_microseconds),
		cmocka_unit_test(refused__named),
	};

	setenv("TZ", "UTC", 1); /* the timestamp's text */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
