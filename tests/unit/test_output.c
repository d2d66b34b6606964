// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/output.c: exact JSON lines, columns with cuts and alignment,
 * pretty JSON, YAML, terminal scaling, batching and write errors.  Output
 * goes to a memfd that the tests read back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "metadata/metadata.h"
#include "runner/engine/fields_internal.h"
#include "runner/engine/output.h"
#include "fixture_event.h"

struct fx {
	struct btf *btf;
	int id;
	struct gadget_metadata *md;
	struct fieldset *fs;
	struct fx_event ev;
	int fd;
};

static struct fieldset *fs_of(struct fx *x, const char *yaml)
{
	struct gadget_metadata *md = NULL;
	struct fieldset *fs = NULL;
	struct error *err = NULL;

	if (metadata_parse(yaml, strlen(yaml), "t.yaml", &md, &err) ||
	    fieldset_new(x->btf, x->id, md, "dns", &fs, &err))
		fail_msg("%s", error_msg(err));
	metadata_free(md); /* the fieldset keeps what it needs */
	return fs;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct fx_types t;

	setenv("TZ", "UTC", 1);
	tzset();
	x->btf = btf__new_empty();
	x->id = fx_build(x->btf, &t);
	x->fs = fs_of(x, fx_yaml);
	fx_fill_event(&x->ev);
	x->fd = memfd_create("out", 0);
	assert_true(x->fd >= 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	close(x->fd);
	fieldset_free(x->fs);
	btf__free(x->btf);
	free(x);
	return 0;
}

/* Everything written to the memfd so far (static buffer). */
static const char *written(struct fx *x)
{
	static char buf[1 << 22];
	ssize_t n = pread(x->fd, buf, sizeof(buf) - 1, 0);

	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static struct output *out_new(struct fx *x, const struct fieldset *fs,
			      enum output_mode mode)
{
	struct output *o = NULL;
	struct error *err = NULL;

	if (output_new(fs, mode, x->fd, &o, &err))
		fail_msg("%s", error_msg(err));
	return o;
}

/* An output of mode on the fixture's fields, those of list selected. */
static struct output *out_selected(struct fx *x, const char *list,
				   enum output_mode mode)
{
	struct error *err = NULL;

	assert_int_equal(fieldset_select(x->fs, list, &err), 0);
	return out_new(x, x->fs, mode);
}

static void want_time(char *out, long long wall_ns)
{
	time_t s = (time_t)(wall_ns / 1000000000LL);
	struct tm tm;
	char date[32];

	gmtime_r(&s, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	sprintf(out, "%s.%09lldZ", date, wall_ns % 1000000000LL);
}

static void mode_parse__names(void **state)
{
	enum output_mode m;

	(void)state;
	assert_int_equal(output_mode_parse("columns", &m), 0);
	assert_int_equal(m, OUTPUT_COLUMNS);
	assert_int_equal(output_mode_parse("json", &m), 0);
	assert_int_equal(m, OUTPUT_JSON);
	assert_int_equal(output_mode_parse("jsonpretty", &m), 0);
	assert_int_equal(m, OUTPUT_JSONPRETTY);
	assert_int_equal(output_mode_parse("yaml", &m), 0);
	assert_int_equal(m, OUTPUT_YAML);
	assert_int_equal(output_mode_parse("JSON", &m), -1);
	assert_int_equal(output_mode_parse("", &m), -1);
}

static void json__fixture_event__exact_line(void **state)
{
	struct fx *x = *state;
	struct output *o = out_new(x, x->fs, OUTPUT_JSON);
	char ts[64], want[4096];

	want_time(ts, (long long)x->ev.timestamp_raw + x->fs->boot_to_real_ns);
	/* timestamp_raw: wall-clock Unix ns, as ig rewrites it; the keys of
	 * every object sorted by name, as ig's JSON writes them */
	snprintf(want, sizeof(want),
		 "{\"addresses\":\"192.0.2.7\",\"delta\":-7,"
		 "\"dst\":{\"addr\":\"fd00::53\",\"port\":53,"
		 "\"proto\":\"TCP\",\"proto_raw\":6,\"version\":6},"
		 "\"flags_hi\":17,\"id\":\"0c3b\","
		 "\"k8s\":{\"containerName\":\"\",\"hostnetwork\":false,"
		 "\"namespace\":\"\",\"node\":\"\",\"podLabels\":\"\","
		 "\"podName\":\"\",\"podUID\":\"\"},"
		 "\"latency_ns\":\"1.23ms\",\"latency_ns_raw\":1234567,"
		 "\"name\":\"a\\u0001b.\","
		 "\"nameserver\":{\"addr\":\"fd00::53\",\"version\":6},"
		 "\"netns_id\":4026531840,"
		 "\"pkt_type\":\"OUTGOING\",\"pkt_type_raw\":4,"
		 "\"proc\":{\"comm\":\"nslookup\",\"creds\":{\"gid\":0,"
		 "\"group\":\"root\",\"uid\":0,\"user\":\"root\"},"
		 "\"mntns_id\":4026531841,\"parent\":{\"comm\":\"sh\","
		 "\"pid\":1},\"pid\":4242,\"tid\":4243},"
		 "\"qr\":\"R\",\"qr_raw\":true,"
		 "\"qtype\":\"NS\",\"qtype_raw\":2,"
		 "\"rcode\":\"NameError\",\"rcode_raw\":3,"
		 "\"runtime\":{\"containerId\":\"\",\"containerImageName\":"
		 "\"\",\"containerName\":\"\",\"runtimeName\":\"\"},"
		 "\"src\":{\"addr\":\"10.0.0.1\",\"port\":40000,"
		 "\"proto\":\"UDP\",\"proto_raw\":17,\"version\":4},"
		 "\"tc\":false,\"timestamp\":\"%s\",\"timestamp_raw\":%llu}\n",
		 ts,
		 (unsigned long long)(x->ev.timestamp_raw +
				      x->fs->boot_to_real_ns));
	output_event(o, &x->ev, sizeof(x->ev));
	assert_string_equal(written(x), ""); /* buffered until a flush */
	assert_int_equal(output_flush(o), 0);
	assert_string_equal(written(x), want);
	output_free(o);
}

static void json__query__rcode_empty_and_qr_q(void **state)
{
	struct fx *x = *state;
	struct output *o = out_selected(x, "qr,rcode,addresses", OUTPUT_JSON);

	x->ev.qr_raw = false;
	memset(x->ev.addresses, 0, sizeof(x->ev.addresses));
	output_event(o, &x->ev, sizeof(x->ev));
	output_free(o); /* flushes */
	assert_string_equal(
		written(x),
		"{\"addresses\":\"\",\"qr\":\"Q\",\"rcode\":\"\"}\n");
}

static void json__selection__nested_parents_kept(void **state)
{
	struct fx *x = *state;
	struct output *o =
		out_selected(x, "name,proc.creds.uid,dst", OUTPUT_JSON);

	output_event(o, &x->ev, sizeof(x->ev));
	output_free(o);
	assert_string_equal(written(x),
			    "{\"dst\":{\"addr\":\"fd00::53\",\"port\":53,"
			    "\"proto\":\"TCP\",\"proto_raw\":6,\"version\":6},"
			    "\"name\":\"a\\u0001b.\","
			    "\"proc\":{\"creds\":{\"uid\":0}}}\n");
}

static void json__strings__escaped_and_valid_utf8(void **state)
{
	struct fx *x = *state;
	struct output *o = out_selected(x, "name", OUTPUT_JSON);

	/* quote, backslash, LF, TAB, DEL (raw, as ig), é, a bad lead byte,
	 * a surrogate */
	memcpy(x->ev.name, "q\"b\\\n\t\x7f\xc3\xa9\xc3(\xed\xa0\x80", 15);
	output_event(o, &x->ev, sizeof(x->ev));
	/* no NUL in 32 bytes: stops at the array's end */
	memset(x->ev.name, 'z', sizeof(x->ev.name));
	output_event(o, &x->ev, sizeof(x->ev));
	output_free(o);
	assert_string_equal(
		written(x),
		"{\"name\":\"q\\\"b\\\\\\n\\t\x7f\xc3\xa9"
		"\\ufffd(\\ufffd\\ufffd\\ufffd\"}\n"
		"{\"name\":\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\"}\n");
}

static void columns__selection__cut_aligned_padded(void **state)
{
	struct fx *x = *state;
	struct output *o =
		out_selected(x, "name,pid,addresses,qr", OUTPUT_COLUMNS);

	strcpy(x->ev.name, "www.example.com.");
	x->ev.addresses[0].version = 4;
	inet_pton(AF_INET, "192.0.2.7", x->ev.addresses[0].addr_raw.v6);
	x->ev.addresses[1].version = 6;
	inet_pton(AF_INET6, "2001:db8::1", x->ev.addresses[1].addr_raw.v6);
	output_header(o);
	output_event(o, &x->ev, sizeof(x->ev));
	strcpy(x->ev.name, "short");
	x->ev.proc.pid = 7;
	x->ev.qr_raw = false;
	memset(x->ev.addresses, 0, sizeof(x->ev.addresses));
	output_event(o, &x->ev, sizeof(x->ev));
	output_free(o);
	assert_string_equal(written(x),
			    "NAME             PID ADDRESSES            QR\n"
			    "www.example\xe2\x80\xa6    4242 "
			    "192.0.2.7,\xe2\x80\xa6"
			    "01:db8::1 R\n"
			    "short              7                      Q\n");
}

static void columns__ellipsis_modes__cut_where_asked(void **state)
{
	struct fx *x = *state;
	struct fieldset *fs;
	struct error *err = NULL;
	struct output *o;

	fs = fs_of(x, "datasources:\n  dns:\n    fields:\n"
		      "      name:\n        annotations:\n"
		      "          columns.width: 6\n"
		      "          columns.ellipsis: start\n"
		      "      proc.comm:\n        annotations:\n"
		      "          columns.width: 5\n"
		      "          columns.ellipsis: none\n"
		      "          columns.alignment: right\n"
		      "      proc.parent.comm:\n        annotations:\n"
		      "          columns.width: 1\n");
	assert_int_equal(fieldset_select(fs, "name,comm,parent.comm", &err), 0);
	o = out_new(x, fs, OUTPUT_COLUMNS);
	strcpy(x->ev.name, "abcdefghij");
	output_header(o);
	output_event(o, &x->ev, sizeof(x->ev));
	output_free(o);
	fieldset_free(fs);
	assert_string_equal(written(x), "NAME    COMM \xe2\x80\xa6\n"
					"\xe2\x80\xa6"
					"fghij nsloo \xe2\x80\xa6\n");
}

static void columns__default__header_and_hidden(void **state)
{
	struct fx *x = *state;
	struct output *o = out_new(x, x->fs, OUTPUT_COLUMNS);
	const char *s;

	output_header(o);
	output_event(o, &x->ev, sizeof(x->ev));
	output_free(o);
	s = written(x);
	/* the container name leads (empty: no container runtime here) */
	assert_true(!strncmp(
		s,
		"RUNTIME.CONTAINERNAME          "
		"COMM                 PID SRC                      DST       "
		"               ADDRESSES            LATENCY\xe2\x80\xa6 QTYPE"
		" QR RCODE    NAME\n",
		161));
	assert_non_null(strstr(s, "\n                               "
				  "nslookup            4242 10.0.0.1:40000"
				  "           [fd00::53]:53            "
				  "192.0.2.7              1.23ms NS    R "));
	assert_null(strstr(s, "4243")); /* tid is hidden */
}

/* issue 9: at 60 or 80 columns lines stayed 99 wide and LATENCY lost
 * its unit ("861.5…"); a latency below 1s keeps ig's whole text */
static void
columns__narrow_terminal__fit_drop_least_useful_keep_units(void **state)
{
	struct fx *x = *state;
	int latencies = 0;

	x->ev.latency_ns_raw = 999994; /* "999.99µs" */
	for (int w = 30; w <= 100; w += 10) {
		struct output *o = out_new(x, x->fs, OUTPUT_COLUMNS);
		const char *s, *p;
		size_t cps = 0;

		assert_int_equal(ftruncate(x->fd, 0), 0);
		lseek(x->fd, 0, SEEK_SET);
		output_set_term_width(o, w);
		output_header(o);
		output_event(o, &x->ev, sizeof(x->ev));
		output_free(o);
		s = written(x);
		for (p = s; *p; p++) {
			if (*p == '\n') {
				assert_in_range(cps, 1, w);
				cps = 0;
				continue;
			}
			cps += ((unsigned char)*p & 0xc0) != 0x80;
		}
		/* the container name (empty here) goes first */
		assert_null(strstr(s, "RUNTIME"));
		/* a latency shown is whole, with its unit */
		p = strstr(s, "\n");
		p = p ? strstr(p, "999") : NULL;
		if (p) {
			assert_memory_equal(p, "999.99\xc2\xb5s", 9);
			latencies++;
		}
		/* names are the most useful: still there at 40 */
		if (w >= 40)
			assert_non_null(strstr(s, "NAME"));
	}
	assert_true(latencies > 0);
}

static void columns__terminal__scaled_within_limits(void **state)
{
	struct fx *x = *state;
	struct output *o = out_new(x, x->fs, OUTPUT_COLUMNS);
	const char *s, *nl;
	size_t cps = 0;

	output_set_term_width(o, 110);
	output_header(o);
	output_free(o);
	s = written(x);
	nl = strchr(s, '\n');
	assert_non_null(nl);
	/* the minimum widths sum to 103: the header fits in 110 */
	for (const char *p = s; p < nl; p++)
		cps += ((unsigned char)*p & 0xc0) != 0x80;
	assert_true(cps <= 110);
	assert_true(cps >= 103);
	/* every visible column got at least its minimum width */
	assert_non_null(strstr(s, "QR"));
	assert_non_null(strstr(s, "COMM"));
}

static void columns__wide_terminal__grows_up_to_maxwidth(void **state)
{
	struct fx *x = *state;
	struct output *o = out_selected(x, "src,comm", OUTPUT_COLUMNS);

	output_set_term_width(o, 300);
	output_header(o);
	output_free(o);
	/* src (l4endpoint) grows from 24 to its maxwidth 53, comm stays 16 */
	assert_string_equal(written(x),
			    "SRC                                               "
			    "    COMM\n");
}

static void pretty__selection__indented(void **state)
{
	struct fx *x = *state;
	struct output *o = out_selected(x, "src,name,tc", OUTPUT_JSONPRETTY);

	output_header(o); /* nothing outside columns mode */
	output_event(o, &x->ev, sizeof(x->ev));
	output_free(o);
	assert_string_equal(written(x), "{\n"
					"  \"name\": \"a\\u0001b.\",\n"
					"  \"src\": {\n"
					"    \"addr\": \"10.0.0.1\",\n"
					"    \"port\": 40000,\n"
					"    \"proto\": \"UDP\",\n"
					"    \"proto_raw\": 17,\n"
					"    \"version\": 4\n"
					"  },\n"
					"  \"tc\": false\n"
					"}\n");
}

static void yaml__selection__documents(void **state)
{
	struct fx *x = *state;
	struct output *o = out_selected(x, "proc.creds,name,qr", OUTPUT_YAML);

	output_event(o, &x->ev, sizeof(x->ev));
	x->ev.qr_raw = false;
	output_event(o, &x->ev, sizeof(x->ev));
	output_free(o);
	/* strings as yaml.v2 writes them: plain where they read back as
	 * strings, a control character in double quotes as \xXX */
	assert_string_equal(written(x), "---\n"
					"name: \"a\\x01b.\"\n"
					"proc:\n"
					"  creds:\n"
					"    gid: 0\n"
					"    group: root\n"
					"    uid: 0\n"
					"    user: root\n"
					"qr: R\n"
					"---\n"
					"name: \"a\\x01b.\"\n"
					"proc:\n"
					"  creds:\n"
					"    gid: 0\n"
					"    group: root\n"
					"    uid: 0\n"
					"    user: root\n"
					"qr: Q\n");
}

/* A fieldset of an event of unsigned ints named names[0, n). */
struct u32_ev {
	struct btf *btf;
	struct gadget_metadata *md;
	struct fieldset *fs;
};

static void u32_ev_new(struct u32_ev *u, const char *const *names, int n)
{
	struct error *err = NULL;
	int u32, id;

	u->btf = btf__new_empty();
	u->md = NULL;
	u->fs = NULL;
	u32 = btf__add_int(u->btf, "unsigned int", 4, 0);
	id = btf__add_struct(u->btf, "ev", 4 * n);
	for (int i = 0; i < n; i++)
		assert_int_equal(
			btf__add_field(u->btf, names[i], u32, 32 * i, 0), 0);
	if (metadata_parse("name: t\n", 8, "t.yaml", &u->md, &err) ||
	    fieldset_new(u->btf, id, u->md, "ev", &u->fs, &err))
		fail_msg("%s", error_msg(err));
}

static void u32_ev_free(struct u32_ev *u)
{
	fieldset_free(u->fs);
	metadata_free(u->md);
	btf__free(u->btf);
}

/* What an output of mode writes for event ev alone. */
static const char *render_one(struct fx *x, const struct fieldset *fs,
			      enum output_mode mode, const void *ev,
			      size_t size)
{
	struct output *o;

	assert_int_equal(ftruncate(x->fd, 0), 0);
	assert_int_equal(lseek(x->fd, 0, SEEK_SET), 0);
	o = out_new(x, fs, mode);
	output_event(o, ev, size);
	output_free(o);
	return written(x);
}

/* Keys a YAML 1.1 reader takes for bools or null when plain are quoted
 * (a struct member named "y" read back as the key True). */
static void yaml__keys_read_as_bools_or_null__quoted(void **state)
{
	static const char *const names[] = { "y", "on", "No", "null", "yak" };
	__u32 ev[5] = { 1, 2, 3, 4, 5 };
	struct u32_ev u;

	u32_ev_new(&u, names, 5);
	assert_string_equal(render_one(*state, u.fs, OUTPUT_YAML, ev,
				       sizeof(ev)),
			    "---\n"
			    "\"No\": 3\n"
			    "\"null\": 4\n"
			    "\"on\": 2\n"
			    "\"y\": 1\n"
			    "yak: 5\n");
	u32_ev_free(&u);
}

/*
 * ig's JSON sorts keys byte by byte (strings.Compare): a capital before
 * '_', "x10" before "x9".  Its YAML is that JSON written by yaml.v2, whose
 * order puts '_' (anything not a letter) before a letter and compares runs
 * of digits as numbers ("x9" < "x09" < "x10").
 */
static void json_and_yaml__keys__each_in_igs_order(void **state)
{
	static const char *const names[] = { "x10", "a_b", "Z",
					     "x9",  "aB",  "x09" };
	__u32 ev[6] = { 1, 2, 3, 4, 5, 6 };
	struct u32_ev u;

	u32_ev_new(&u, names, 6);
	assert_string_equal(render_one(*state, u.fs, OUTPUT_JSON, ev,
				       sizeof(ev)),
			    "{\"Z\":3,\"aB\":5,\"a_b\":2,"
			    "\"x09\":6,\"x10\":1,\"x9\":4}\n");
	assert_string_equal(render_one(*state, u.fs, OUTPUT_YAML, ev,
				       sizeof(ev)),
			    "---\n"
			    "Z: 3\n"
			    "a_b: 2\n"
			    "aB: 5\n"
			    "x9: 4\n"
			    "x09: 6\n"
			    "x10: 1\n");
	u32_ev_free(&u);
}

/*
 * An array of integers: ig's JSON has it as a list, which yaml.v2 writes
 * as a block sequence, an item a line at the key's indentation
 * (emit_block_sequence_item(): indentless in a map).
 */
static void yaml__int_array__block_sequence(void **state)
{
	struct {
		__s32 a[3];
		__u32 b;
	} ev = { { 1, -2, 3 }, 4 };
	struct gadget_metadata *md = NULL;
	struct fieldset *fs = NULL;
	struct error *err = NULL;
	struct btf *btf = btf__new_empty();
	int s32, u32, arr, id;

	s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	arr = btf__add_array(btf, u32, s32, 3);
	id = btf__add_struct(btf, "ev", sizeof(ev));
	assert_int_equal(btf__add_field(btf, "a", arr, 0, 0), 0);
	assert_int_equal(btf__add_field(btf, "b", u32, 96, 0), 0);
	if (metadata_parse("name: t\n", 8, "t.yaml", &md, &err) ||
	    fieldset_new(btf, id, md, "ev", &fs, &err))
		fail_msg("%s", error_msg(err));
	assert_string_equal(render_one(*state, fs, OUTPUT_JSON, &ev,
				       sizeof(ev)),
			    "{\"a\":[1,-2,3],\"b\":4}\n");
	assert_string_equal(
		render_one(*state, fs, OUTPUT_YAML, &ev, sizeof(ev)), "---\n"
								      "a:\n"
								      "- 1\n"
								      "- -2\n"
								      "- 3\n"
								      "b: 4\n");
	fieldset_free(fs);
	metadata_free(md);
	btf__free(btf);
}

/*
 * ig's payload (ebpf.rest.name): the bytes after the struct, as many as
 * ebpf.rest.len says and the record holds; JSON and YAML have them as a
 * hex string (ig's JSON of a Kind_Bytes), columns as "<N bytes>" (ig's
 * column of a field without a Go type).
 */
static void rest__payload__hex_in_json_count_in_columns(void **state)
{
	static const char yaml[] = "name: t\n"
				   "datasources:\n"
				   "  ev:\n"
				   "    annotations:\n"
				   "      ebpf.rest.len: len\n"
				   "      ebpf.rest.name: payload\n";
	static const char clash[] = "name: t\n"
				    "datasources:\n"
				    "  ev:\n"
				    "    annotations:\n"
				    "      ebpf.rest.name: n\n";
	struct {
		__u32 len, n;
		unsigned char pkt[6];
	} rec = { 4, 7, { 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02 } };
	size_t size = 8 + sizeof(rec.pkt);
	struct gadget_metadata *md = NULL;
	struct fieldset *fs = NULL;
	struct error *err = NULL;
	struct btf *btf = btf__new_empty();
	const char *out;
	int u32, id;

	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	id = btf__add_struct(btf, "ev", 8);
	assert_int_equal(btf__add_field(btf, "len", u32, 0, 0), 0);
	assert_int_equal(btf__add_field(btf, "n", u32, 32, 0), 0);
	if (metadata_parse(yaml, strlen(yaml), "t.yaml", &md, &err) ||
	    fieldset_new(btf, id, md, "ev", &fs, &err))
		fail_msg("%s", error_msg(err));
	assert_string_equal(render_one(*state, fs, OUTPUT_JSON, &rec, size),
			    "{\"len\":4,\"n\":7,\"payload\":\"deadbeef\"}\n");
	assert_string_equal(render_one(*state, fs, OUTPUT_YAML, &rec, size),
			    "---\n"
			    "len: 4\n"
			    "\"n\": 7\n"
			    "payload: deadbeef\n");
	out = render_one(*state, fs, OUTPUT_COLUMNS, &rec, size);
	assert_string_equal(out, "4          7          <4 bytes>\n");
	/* more than the record holds: what it holds */
	rec.len = 100;
	assert_string_equal(
		render_one(*state, fs, OUTPUT_JSON, &rec, size),
		"{\"len\":100,\"n\":7,\"payload\":\"deadbeef0102\"}\n");
	assert_non_null(
		strstr(render_one(*state, fs, OUTPUT_COLUMNS, &rec, size),
		       "<6 bytes>"));
	/* the same struct, other bytes after it, in one output: each its
	 * own (nothing kept by the struct's bytes) */
	{
		struct fx *x = *state;
		struct output *o;

		assert_int_equal(ftruncate(x->fd, 0), 0);
		assert_int_equal(lseek(x->fd, 0, SEEK_SET), 0);
		o = out_new(x, fs, OUTPUT_JSON);
		output_event(o, &rec, size);
		rec.pkt[0] = 0x11;
		output_event(o, &rec, size);
		output_free(o);
		assert_string_equal(written(x),
				    "{\"len\":100,\"n\":7,"
				    "\"payload\":\"deadbeef0102\"}\n"
				    "{\"len\":100,\"n\":7,"
				    "\"payload\":\"11adbeef0102\"}\n");
	}
	/* a record of the struct alone: none */
	assert_string_equal(render_one(*state, fs, OUTPUT_JSON, &rec, 8),
			    "{\"len\":100,\"n\":7,\"payload\":\"\"}\n");
	fieldset_free(fs);
	metadata_free(md);

	/* a member of the struct by that name: refused, as ig does */
	assert_int_equal(
		metadata_parse(clash, strlen(clash), "t.yaml", &md, &err), 0);
	assert_int_equal(fieldset_new(btf, id, md, "ev", &fs, &err), -1);
	assert_string_equal(error_msg(err), "data source ev: ebpf.rest.name "
					    "names a field of the struct: n");
	error_free(err);
	metadata_free(md);
	btf__free(btf);
}

static void batching__threshold__writes_whole_lines(void **state)
{
	struct fx *x = *state;
	struct output *o = out_new(x, x->fs, OUTPUT_JSON);
	size_t lines = 0, len;
	const char *s;
	int n = 0;

	/* write until something reaches the fd without a flush */
	while (!*written(x) && n < 100000) {
		output_event(o, &x->ev, sizeof(x->ev));
		n++;
	}
	assert_true(n > 100); /* it batched */
	s = written(x);
	len = strlen(s);
	assert_true(len >= 256 * 1024);
	assert_int_equal(s[len - 1], '\n');
	for (size_t i = 0; i < len; i++)
		lines += s[i] == '\n';
	assert_int_equal(lines, n);
	for (int i = 0; i < 1000; i++)
		output_event(o, &x->ev, sizeof(x->ev));
	assert_int_equal(output_flush(o), 0);
	assert_int_equal(output_flush(o), 0); /* nothing left: no-op */
	s = written(x);
	lines = 0;
	for (size_t i = 0; s[i]; i++)
		lines += s[i] == '\n';
	assert_int_equal(lines, n + 1000);
	output_free(o);
}

/* Lines to a regular file (here a memfd) wait up to 50 ms after
 * output_flush_due() first sees them, and go out in writes of 1 MiB;
 * lines to a pipe go out at once. */
static void flush_due__file_held_pipe_at_once(void **state)
{
	struct fx *x = *state;
	struct output *o = out_new(x, x->fs, OUTPUT_JSON);
	struct error *err = NULL;
	char buf[4096];
	struct stat st;
	size_t len;
	int p[2];

	output_event(o, &x->ev, sizeof(x->ev));
	assert_int_equal(output_flush_due(o, 100.0), 0);
	assert_int_equal(output_flush_due(o, 100.04), 0);
	assert_string_equal(written(x), "");
	output_event(o, &x->ev, sizeof(x->ev));
	assert_int_equal(output_flush_due(o, 100.06), 0);
	len = strlen(written(x));
	assert_true(len > 0 && written(x)[len - 1] == '\n');
	/* held again from the next call that finds lines */
	output_event(o, &x->ev, sizeof(x->ev));
	assert_int_equal(output_flush_due(o, 200.0), 0);
	assert_int_equal(strlen(written(x)), len);
	assert_int_equal(output_flush_due(o, 200.05), 0);
	assert_true(strlen(written(x)) > len);
	/* without a flush, a write comes at 1 MiB */
	assert_int_equal(fstat(x->fd, &st), 0);
	len = (size_t)st.st_size;
	while (!fstat(x->fd, &st) && (size_t)st.st_size == len)
		output_event(o, &x->ev, sizeof(x->ev));
	assert_true((size_t)st.st_size - len >= 1024 * 1024);
	output_free(o);

	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	assert_int_equal(output_new(x->fs, OUTPUT_JSON, p[1], &o, &err), 0);
	output_event(o, &x->ev, sizeof(x->ev));
	assert_int_equal(read(p[0], buf, sizeof(buf)), -1);
	assert_int_equal(output_flush_due(o, 100.0), 0);
	assert_true(read(p[0], buf, sizeof(buf)) > 0);
	output_free(o);
	close(p[0]);
	close(p[1]);
}

/* Pages of f's first n bytes in the page cache. */
static size_t resident_pages(int fd, size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t pages = (n + pg - 1) / pg, r = 0;
	unsigned char *vec = calloc(pages, 1);
	void *m = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0);

	assert_true(m != MAP_FAILED && vec);
	assert_int_equal(mincore(m, n, vec), 0);
	for (size_t i = 0; i < pages; i++)
		r += vec[i] & 1;
	munmap(m, n);
	free(vec);
	return r;
}

/* A regular file's pages the flusher has written back (here: fdatasync)
 * are dropped from the page cache once the file has grown well past
 * them; the last 64 MiB stay.  The file: next to this test's binary (a
 * file system with a page cache to drop, not tmpfs), removed at once. */
static void behind__clean_pages__dropped(void **state)
{
	struct fx *x = *state;
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	struct output *o = NULL;
	struct error *err = NULL;
	size_t mib = 1 << 20;
	char *slash;
	int fd;

	assert_true(n > 0);
	path[n] = '\0';
	slash = strrchr(path, '/');
	assert_non_null(slash);
	strcpy(slash + 1, "behind.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(output_new(x->fs, OUTPUT_JSON, fd, &o, &err), 0);
	while (lseek(fd, 0, SEEK_CUR) < (off_t)(40 * mib))
		output_event(o, &x->ev, sizeof(x->ev));
	assert_int_equal(output_flush(o), 0);
	assert_int_equal(fdatasync(fd), 0); /* all clean now */
	assert_true(resident_pages(fd, 32 * mib) > 0);
	while (lseek(fd, 0, SEEK_CUR) < (off_t)(120 * mib))
		output_event(o, &x->ev, sizeof(x->ev));
	assert_int_equal(output_flush(o), 0);
	/* the clean first 32 MiB dropped, the dirty last 64 MiB kept */
	assert_int_equal(resident_pages(fd, 32 * mib), 0);
	assert_true(resident_pages(fd, 120 * mib) >=
		    64 * mib / (size_t)sysconf(_SC_PAGESIZE));
	output_free(o);
	close(fd);
}

static void write_error__reported_then_events_dropped(void **state)
{
	struct fx *x = *state;
	int fd = open("/dev/null", O_RDONLY);
	struct output *o = NULL;
	struct error *err = NULL;

	(void)x;
	assert_int_equal(output_new(x->fs, OUTPUT_JSON, fd, &o, &err), 0);
	output_event(o, &x->ev, sizeof(x->ev));
	assert_int_equal(output_error(o), 0);
	assert_int_equal(output_flush(o), -1);
	assert_int_equal(output_error(o), EBADF);
	output_event(o, &x->ev, sizeof(x->ev));
	assert_int_equal(output_flush(o), -1);
	output_free(o);
	close(fd);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mode_parse__names),
		T(json__fixture_event__exact_line),
		T(json__query__rcode_empty_and_qr_q),
		T(json__selection__nested_parents_kept),
		T(json__strings__escaped_and_valid_utf8),
		T(columns__selection__cut_aligned_padded),
		T(columns__ellipsis_modes__cut_where_asked),
		T(columns__default__header_and_hidden),
		T(columns__narrow_terminal__fit_drop_least_useful_keep_units),
		T(columns__terminal__scaled_within_limits),
		T(columns__wide_terminal__grows_up_to_maxwidth),
		T(pretty__selection__indented),
		T(yaml__selection__documents),
		T(yaml__keys_read_as_bools_or_null__quoted),
		T(json_and_yaml__keys__each_in_igs_order),
		T(yaml__int_array__block_sequence),
		T(rest__payload__hex_in_json_count_in_columns),
		T(batching__threshold__writes_whole_lines),
		T(flush_due__file_held_pipe_at_once),
		T(write_error__reported_then_events_dropped),
		T(behind__clean_pages__dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
