// SPDX-License-Identifier: Apache-2.0
/*
 * The JSON lines renderer's shortcuts (output_json.c) against the generic
 * value code they stand for: the same line, byte for byte, for the
 * fixture event, a zeroed one, every small value of every field, and
 * random events.  The runner's own allocations are counted (tests/unit/alloc_fx.h):
 * an event on its way through the filters, the pod selection and the
 * renderer makes none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>
#include <yaml.h>

#include "common/utf8.h"

#include "runner/engine/bpf/containers.h"
#include "runner/engine/containers.h"
#include "runner/engine/filter.h"
#include "runner/engine/fmt_int.h"
#include "runner/engine/k8s_select.h"
#include "runner/engine/output_internal.h"
#include "fields_fx.h"
#include "tests/unit/alloc_fx.h"
#include "tests/unit/tmpdir_fx.h"

/* The line the generic code writes: each step's prefix and value. */
static size_t generic_line(struct output *o, const void *ev, char *out)
{
	size_t n = 0;

	for (size_t s = 0; s < o->n_steps; s++) {
		const struct json_step *st = &o->steps[s];

		memcpy(out + n, o->prefixes + st->prefix_off, st->prefix_len);
		n += st->prefix_len;
		if (st->field >= 0)
			n += output_json_value(o, &o->fs->f[st->field], ev,
					       out + n);
	}
	return n;
}

static void assert_same(struct output *o, const void *ev)
{
	size_t size = o->max_event + 64;
	char *a = calloc(1, size), *b = calloc(1, size);
	size_t na, nb;

	na = output_json_render(o, ev, a);
	nb = generic_line(o, ev, b);
	assert_true(na <= o->max_event);
	a[na] = b[nb] = '\0';
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static struct output *mode_output(struct fx *x, enum output_mode mode)
{
	struct output *o = NULL;
	struct error *err = NULL;
	int fd = open("/dev/null", O_WRONLY);

	assert_true(fd >= 0);
	if (output_new(x->fs, mode, fd, &o, &err))
		fail_msg("%s", error_msg(err));
	return o;
}

static struct output *json_output(struct fx *x)
{
	return mode_output(x, OUTPUT_JSON);
}

static void fast__fixture_and_zero__as_generic(void **state)
{
	struct fx *x = *state;
	struct output *o = json_output(x);
	int fd = o->fd;
	struct fx_event zero;
	size_t fast = 0;

	for (size_t s = 0; s < o->n_steps; s++)
		fast += o->steps[s].field >= 0 &&
			o->steps[s].op != 1; /* OP_GENERIC */
	assert_true(fast > 5); /* the shortcuts are taken */
	assert_same(o, &x->ev);
	memset(&zero, 0, sizeof(zero));
	assert_same(o, &zero);
	output_free(o);
	close(fd);
}

/* Every field set to 0..69 (past the tables' end) in turn: enums,
 * one-of, protocols, booleans, integers. */
static void fast__small_values_of_each_field__as_generic(void **state)
{
	struct fx *x = *state;
	struct output *o = json_output(x);
	int fd = o->fd;

	fx_each_small_value(x, o, assert_same);
	output_free(o);
	close(fd);
}

static void fast__random_events__as_generic(void **state)
{
	struct fx *x = *state;
	struct output *o = json_output(x);
	int fd = o->fd;

	fx_random_events(o, 2000, 1, assert_same);
	output_free(o);
	close(fd);
}

/* Values the kept texts must follow: IPv4 and IPv6 addresses, user and
 * group ids that repeat and change, timestamps within one second and
 * across seconds (output_json.c keeps their text per step). */
static void fast__addresses_ids_times__as_generic(void **state)
{
	static const __u32 ids[] = { 0, 1, 30, 65534, 0, 4242, 1000 };
	struct fx *x = *state;
	struct output *o = json_output(x);
	int fd = o->fd;
	unsigned int seed = 7, kept = 0;
	__u64 ts = 1700000000ULL * 1000000000ULL;

	/* ops past OP_SAFE_TEXT (15): the shortcuts for these kinds */
	for (size_t s = 0; s < o->n_steps; s++)
		kept += o->steps[s].field >= 0 && o->steps[s].op > 15;
	assert_true(kept >= 4);
	for (int r = 0; r < 3000; r++) {
		struct fx_event ev = x->ev;
		unsigned char *p = (unsigned char *)&ev;

		ts += r % 50 ? (__u64)(rand_r(&seed) % 1000) * 997 :
			       (__u64)rand_r(&seed) * 1000;
		for (size_t i = 0; i < x->fs->n; i++) {
			const struct field *f = &x->fs->f[i];
			__u32 id = ids[rand_r(&seed) % 7];

			if (f->is_struct || f->off + f->size > sizeof(ev))
				continue;
			switch (f->kind) {
			case FK_IPADDR:
			case FK_L3EP:
				p[f->ver_off] = rand_r(&seed) % 3 ? 4 : 6;
				for (size_t b = 0; b < 16; b++)
					p[f->addr_off + b] =
						(unsigned char)rand_r(&seed);
				break;
			case FK_TIMESTAMP:
				memcpy(p + f->off, &ts, sizeof(ts));
				break;
			case FK_USER:
			case FK_GROUP:
				memcpy(p + f->off, &id,
				       f->size < 4 ? f->size : 4);
				break;
			case FK_HEX:
				p[f->off] = (unsigned char)rand_r(&seed);
				break;
			default:
				break;
			}
		}
		assert_same(o, &ev);
	}
	output_free(o);
	close(fd);
}

/* Durations below a second at every magnitude and around each unit's
 * edges, and lists of addresses with IPv4, IPv6 and unset entries
 * (output_json.c writes durations below 1s and IPv4 lists itself). */
static void fast__durations_and_address_lists__as_generic(void **state)
{
	static const __u64 edges[] = {
		0,	   1,	       9,	  10,	     999,
		1000,	   1001,       1005,	  1010,	     1015,
		1100,	   1125,       1234,	  2675,	     9999,
		10000,	   99999,      999994,	  999995,    999999,
		1000000,   1000001,    1000010,	  1005000,   1100000,
		1234567,   99999999,   100000000, 999994999, 999995000,
		999999999, 1000000000, 1500000000
	};
	static const struct {
		__u64 ns;
		const char *want;
	} ig[] = {
		{ 0, "\"latency_ns\":\"0ns\"" },
		{ 999, "\"latency_ns\":\"999ns\"" },
		{ 1005, "\"latency_ns\":\"1.00\xc2\xb5s\"" },
		{ 2675, "\"latency_ns\":\"2.67\xc2\xb5s\"" },
		{ 41919, "\"latency_ns\":\"41.92\xc2\xb5s\"" },
		{ 999995, "\"latency_ns\":\"1000.00\xc2\xb5s\"" },
		{ 1005000, "\"latency_ns\":\"1.00ms\"" },
		{ 1015000, "\"latency_ns\":\"1.01ms\"" },
		{ 999999999, "\"latency_ns\":\"1000.00ms\"" },
		{ 1500000000, "\"latency_ns\":\"1.5s\"" },
	};
	static const __u8 vers[] = { 0, 4, 6, 5 };
	struct fx *x = *state;
	struct output *o = json_output(x);
	struct fx_event ev = x->ev;
	unsigned int seed = 11;
	int fd = o->fd;
	char *line = calloc(1, o->max_event + 64);

	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		ev.latency_ns_raw = edges[i];
		assert_same(o, &ev);
	}
	for (int r = 0; r < 20000; r++) {
		__u64 scale = 1;

		for (int k = rand_r(&seed) % 10; k > 0; k--)
			scale *= 10;
		ev.latency_ns_raw = (__u64)rand_r(&seed) % scale;
		if (r % 7 == 0) /* a round number: zeros to drop */
			ev.latency_ns_raw -=
				ev.latency_ns_raw % (scale / 10 + 1);
		assert_same(o, &ev);
	}
	/* as ig writes them: 2 decimals, Go's rounding of the double */
	for (size_t i = 0; i < sizeof(ig) / sizeof(ig[0]); i++) {
		ev.latency_ns_raw = ig[i].ns;
		line[output_json_render(o, &ev, line)] = '\0';
		if (!strstr(line, ig[i].want))
			fail_msg("%llu ns: %s", (unsigned long long)ig[i].ns,
				 line);
	}
	for (int r = 0; r < 16 * 20; r++) {
		for (int e = 0; e < 2; e++) {
			ev.addresses[e].version = vers[(r >> (2 * e)) & 3];
			for (size_t b = 0; b < sizeof(ev.addresses[e].addr_raw);
			     b++)
				((__u8 *)&ev.addresses[e].addr_raw)[b] =
					(__u8)rand_r(&seed);
		}
		assert_same(o, &ev);
	}
	free(line);
	output_free(o);
	close(fd);
}

/* Hits of o's groups since the last call (their counters restart every
 * 1024 tries). */
static unsigned long group_hits(const struct output *o, __u32 *tries,
				__u32 *hits)
{
	unsigned long n = 0;

	for (size_t g = 0; g < o->n_groups; g++) {
		const struct json_group *gr = &o->groups[g];

		if (gr->tries >= tries[g])
			n += gr->hits - hits[g];
		tries[g] = gr->tries;
		hits[g] = gr->hits;
	}
	return n;
}

/*
 * Groups of steps whose text is kept per key (output_json.c): events made
 * of 3 random ones with 0 to 3 bytes changed anywhere, so that keys repeat
 * and a change inside or outside a key shows whether the kept text is
 * still the right one.
 */
static __u32 g_tries[64], g_hits[64];
static unsigned long g_n_hits;

static void assert_same_count_hits(struct output *o, const void *ev)
{
	assert_same(o, ev);
	g_n_hits += group_hits(o, g_tries, g_hits);
}

static void fast__groups_repeated_keys__as_generic(void **state)
{
	struct fx *x = *state;
	struct output *o = json_output(x);
	int fd = o->fd;

	assert_true(o->n_groups >= 2 && o->n_groups <= 64);
	memset(g_tries, 0, sizeof(g_tries));
	memset(g_hits, 0, sizeof(g_hits));
	g_n_hits = 0;
	fx_repeated_events(o, 20000, 11, assert_same_count_hits);
	assert_true(g_n_hits > 10000); /* the kept texts were used */
	output_free(o);
	close(fd);
}

/* A client endpoint: address a of 4 (3 IPv4, 1 IPv6), port, protocol. */
static struct fx_l4 client_ep(int a, __u16 port, __u16 proto)
{
	struct fx_l4 e;

	memset(&e, 0, sizeof(e));
	e.version = a == 3 ? 6 : 4;
	if (a == 3)
		memcpy(e.addr_raw.v6, "\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01",
		       16);
	else
		e.addr_raw.v4 = htonl(0x0a000001 + a);
	e.port = port;
	e.proto_raw = proto;
	return e;
}

/* The hole groups' (output_json.c: an endpoint with its port) count, and
 * how many have their hole on with hits since. */
static size_t holes_on(const struct output *o, size_t *n_holes)
{
	size_t on = 0;

	*n_holes = 0;
	for (size_t g = 0; g < o->n_groups; g++) {
		*n_holes += o->groups[g].hole != 0;
		on += o->groups[g].hole_on && o->groups[g].hits > 0;
	}
	return on;
}

/*
 * A stub resolver's traffic: every query from a new client port (of 1 to 5
 * digits), its query and response seen at both ends, the client one of 4
 * addresses (IPv4 and IPv6), UDP or TCP.  The src and dst groups take the
 * port out of their key (their hole on) and write it per event, then
 * put it back once ports repeat; every line as the generic code writes
 * it, so a kept text with a stale port, address or protocol fails.
 */
static void fast__new_port_each_query__as_generic(void **state)
{
	static const __u16 ports[] = { 0, 7, 53, 443, 8080, 65535 };
	struct fx *x = *state;
	struct output *o = json_output(x);
	struct fx_event ev = x->ev;
	unsigned int seed = 5;
	int fd = o->fd;
	size_t n_holes;

	assert_int_equal(holes_on(o, &n_holes), 0);
	assert_int_equal(n_holes, 2); /* src and dst */
	for (int q = 0; q < 5000; q++) {
		__u16 port = q % 5 ? (__u16)(32768 + rand_r(&seed) % 28232) :
				     ports[rand_r(&seed) % 6];
		__u16 proto = q % 7 ? 17 : 6;
		int a = rand_r(&seed) % 4;
		struct fx_l4 c = client_ep(a, port, proto);
		struct fx_l4 srv = client_ep(a == 3 ? 3 : 2, 53, proto);

		srv.addr_raw.v6[15] ^= 0x80; /* 10.0.0.131, fd00::81 */
		for (int hop = 0; hop < 4; hop++) {
			ev.src = hop < 2 ? c : srv;
			ev.dst = hop < 2 ? srv : c;
			assert_same(o, &ev);
		}
	}
	assert_int_equal(holes_on(o, &n_holes), 2);
	/* one socket's port: whole keys again, after a while */
	for (int q = 0; q < 70000 / 4; q++) {
		struct fx_l4 c = client_ep(0, 8080, 17);
		struct fx_l4 srv = client_ep(2, 53, 17);

		for (int hop = 0; hop < 4; hop++) {
			ev.src = hop < 2 ? c : srv;
			ev.dst = hop < 2 ? srv : c;
			assert_same(o, &ev);
		}
	}
	assert_int_equal(holes_on(o, &n_holes), 0);
	output_free(o);
	close(fd);
}

/*
 * The runtime.* and k8s.* values follow the containers as they change
 * (output_json.c keeps "outside containers and pods" per namespace and
 * the node's text, for as long as containers_version() stays): a
 * namespace that becomes a podman container's, and the node renamed,
 * between events of two namespaces.
 */
/* The fixture's fields without containers c (made in root) any more. */
static void drop_containers(struct fx *x, struct containers *c,
			    const char *root)
{
	fieldset_set_containers(x->fs, NULL);
	containers_free(c);
	assert_int_equal(rmdir(root), 0);
}

static void fast__containers_change__as_generic(void **state)
{
	static const char id[] = "0123456789abcdef0123456789abcdef"
				 "0123456789abcdef0123456789abcdef";
	char root[] = "/tmp/test-output-json-XXXXXX";
	struct containers_note n = { .mntns = 5000,
				     .mntns_instance = 10,
				     .cgroup_id = 100,
				     .pid = 1,
				     .depth = 1 };
	struct fx *x = *state;
	struct containers *c;
	struct output *o;
	char *line;
	int fd;

	assert_non_null(tmpdir_fx_make(root));
	c = containers_new(root); /* a fake tree: no exec hook */
	assert_non_null(c);
	fieldset_set_containers(x->fs, c);
	o = json_output(x);
	fd = o->fd;
	line = calloc(1, o->max_event + 64);
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 6; i++) {
			x->ev.proc.mntns_id = i & 1 ? 5000 : 4026531841ULL;
			x->ev.netns_id = 4026531840ULL + (i & 2);
			assert_same(o, &x->ev);
		}
		line[output_json_render(o, &x->ev, line)] = '\0';
		/* the namespace is a container's from round 1 on */
		assert_int_equal(strstr(line, id) != NULL, round >= 1);
		assert_int_equal(strstr(line, "\"node\":\"node-a\"") != NULL,
				 round == 1 || round == 2);
		assert_int_equal(strstr(line, "\"node\":\"node-b\"") != NULL,
				 round == 3);
		if (round == 0) {
			snprintf(n.names[0], CONTAINERS_NAME_LEN, "libpod-%s",
				 id);
			assert_int_equal(containers_handle_note(c, &n), 0);
		}
		containers_set_node(c, round < 2 ? "node-a" : "node-b");
	}
	free(line);
	output_free(o);
	close(fd);
	drop_containers(x, c, root);
}

/*
 * session.c's way for an event (filters, pod selection, output in mode,
 * a flush per ring drain) allocates nothing once the namespaces it meets
 * are known: here the host's and a container's, runner run
 * --host=false's rule and a numeric one, --k8s-namespace=!kube-system.
 */
static void hot_path_allocs(struct fx *x, enum output_mode mode)
{
	char root[] = "/tmp/test-output-json-XXXXXX";
	struct containers_note n = { .mntns = 5000, .depth = 1 };
	struct k8s_select *sel = NULL;
	struct filter *f = NULL;
	struct error *err = NULL;
	struct containers *c;
	struct output *o;
	unsigned long shown = 0;
	int fd;

	assert_non_null(tmpdir_fx_make(root));
	c = containers_new(root);
	assert_non_null(c);
	snprintf(n.names[0], CONTAINERS_NAME_LEN, "libpod-%064d", 5);
	assert_int_equal(containers_handle_note(c, &n), 0);
	fieldset_set_containers(x->fs, c);
	if (filter_add(&f, x->fs, "runtime.containerId~.,proc.pid>0", &err) ||
	    k8s_select_add(&sel, K8S_SELECT_NAMESPACE, "!kube-system", &err))
		fail_msg("%s", error_msg(err));
	o = mode_output(x, mode);
	fd = o->fd;
	for (int i = 0; i < 1000; i++) {
		if (i == 4) { /* both namespaces met, buffers grown */
			assert_int_equal(output_flush(o), 0);
			alloc_calls = 0;
		}
		x->ev.proc.mntns_id = i & 1 ? 5000 : 4026531841ULL;
		x->ev.proc.pid = 100 + i;
		if (!filter_match(f, &x->ev) ||
		    !k8s_select_event(sel, x->fs, &x->ev))
			continue;
		output_event(o, &x->ev, sizeof(x->ev));
		shown++;
		if (i % 64 == 63)
			assert_int_equal(output_flush(o), 0);
	}
	assert_int_equal(output_flush(o), 0);
	assert_int_equal(alloc_calls, 0);
	assert_int_equal(shown, 500); /* the container's */
	output_free(o);
	close(fd);
	filter_free(f);
	k8s_select_free(sel);
	drop_containers(x, c, root);
}

static void
hot_path__filtered_selected_rendered__allocates_nothing(void **state)
{
	hot_path_allocs(*state, OUTPUT_JSON);
}

/* -o yaml's way too: it renders through the same program (its own
 * prefixes and values), whose shortcuts it takes */
static void
hot_path__yaml_filtered_selected_rendered__allocates_nothing(void **state)
{
	struct fx *x = *state;
	struct output *o = mode_output(x, OUTPUT_YAML);
	int fd = o->fd;
	size_t fast = 0;

	for (size_t s = 0; s < o->n_steps; s++)
		fast += o->steps[s].field >= 0 &&
			o->steps[s].op != 1; /* OP_GENERIC */
	assert_true(fast > 5);
	output_free(o);
	close(fd);
	hot_path_allocs(x, OUTPUT_YAML);
}

/* What output_json_string() must write for the bytes the test below
 * uses, one at a time. */
static size_t ref_escape(char *out, const unsigned char *s, size_t n)
{
	size_t o = 0;

	out[o++] = '"';
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = s[i];

		if (c == 0xc3 && i + 1 < n && s[i + 1] == 0xa9) {
			memcpy(out + o, s + i, 2); /* é: valid UTF-8 */
			o += 2;
			i++;
		} else if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n') {
			memcpy(out + o, "\\n", 2);
			o += 2;
		} else if (c < 0x20) { /* backspace, form feed too, as ig */
			o += (size_t)sprintf(out + o, "\\u%04x", c);
		} else if (c > 0x7f) { /* not UTF-8: U+FFFD, as Go writes it */
			memcpy(out + o, "\\ufffd", 6);
			o += 6;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	return o;
}

/* Strings of 0 to 40 plain bytes with one byte that needs care (or a NUL,
 * or a two-byte character) at every position: as escaped one byte at a
 * time (output_json_string() reads 8 plain bytes at once). */
static void json_string__special_at_each_position__escaped(void **state)
{
	static const unsigned char special[] = { 0,    1,    '\n', 0x1f,
						 '"',  '\\', 0x7f, 0x80,
						 0xff, 0xc3, '\b', '\f' };
	unsigned char in[48];
	char got[400], want[400];

	(void)state;
	for (size_t len = 0; len <= 40; len++)
		for (size_t at = 0; at < len; at++)
			for (size_t k = 0; k < sizeof(special); k++) {
				size_t ng, nw;

				for (size_t i = 0; i < len; i++)
					in[i] = (unsigned char)('a' + i % 26);
				in[at] = special[k];
				if (special[k] == 0xc3 && at + 1 < len)
					in[at + 1] = 0xa9;
				ng = output_json_string(got, (char *)in, len);
				nw = ref_escape(want, in, len);
				got[ng] = want[nw] = '\0';
				assert_string_equal(got, want);
			}
}

struct str_case {
	const char *in, *want;
};

/* Each case's in written by output_json_string() is its want. */
static void assert_json_strings(const struct str_case *cases, size_t n)
{
	char got[64];

	for (size_t i = 0; i < n; i++) {
		got[output_json_string(got, cases[i].in, strlen(cases[i].in))] =
			'\0';
		assert_string_equal(got, cases[i].want);
	}
}

/* Past ASCII, U+2028 and U+2029 are \\uXXXX as ig writes them, and the C1
 * controls (U+0080 to U+009F, U+0085 among them), which ig writes raw;
 * other characters of 2, 3 and 4 bytes stay raw (U+FFFE and U+FFFF too,
 * as in ig). */
static void json_string__c1_and_line_separators__escaped(void **state)
{
	static const struct str_case cases[] = {
		{ "a\xc2\x80"
		  "b",
		  "\"a\\u0080b\"" },
		{ "\xc2\x85", "\"\\u0085\"" },
		{ "\xc2\x9f"
		  "x",
		  "\"\\u009fx\"" },
		{ "x\xe2\x80\xa8", "\"x\\u2028\"" },
		{ "\xe2\x80\xa9", "\"\\u2029\"" },
		{ "\xef\xbf\xbe\xef\xbf\xbf", "\"\xef\xbf\xbe\xef\xbf\xbf\"" },
		{ "\xc2\xa0\xc3\xa9", "\"\xc2\xa0\xc3\xa9\"" },
		{ "\xe2\x80\xa6\xef\xbf\xbd", "\"\xe2\x80\xa6\xef\xbf\xbd\"" },
		{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },
	};

	(void)state;
	assert_json_strings(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Each byte that starts no valid UTF-8 sequence is one \ufffd, as Go's
 * encoding/json writes it (a cut sequence, a stray continuation byte, an
 * overlong form, a surrogate, above U+10FFFF); a real U+FFFD stays raw. */
static void json_string__invalid_utf8__one_fffd_per_byte(void **state)
{
	static const struct str_case cases[] = {
		{ "a\xff"
		  "b",
		  "\"a\\ufffdb\"" },
		{ "\xe2\x82", "\"\\ufffd\\ufffd\"" },
		{ "\xe2\x82z", "\"\\ufffd\\ufffdz\"" },
		{ "\x80\xbf", "\"\\ufffd\\ufffd\"" },
		{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "\xef\xbf\xbd\xc3", "\"\xef\xbf\xbd\\ufffd\"" },
	};

	(void)state;
	assert_json_strings(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Floats as Go's encoding/json writes them at the field's bit size: the
 * fewest digits that read back, plain from 1e-6 to below 1e21 (the cut
 * compared as a float32 for a float32), else e+21, e-7 */
static void json_float__as_go_encoding_json(void **state)
{
	static const struct {
		double x;
		bool f32;
		const char *want;
	} cases[] = {
		{ 0.1, false, "0.1" },
		{ 0.1f, true, "0.1" },
		{ 0.1f, false, "0.10000000149011612" },
		{ 1e20, false, "100000000000000000000" },
		{ 1e21, false, "1e+21" },
		{ 1e21f, true, "1e+21" },
		{ 1e-7, false, "1e-7" },
		{ 1.5e-7, false, "1.5e-7" },
		{ 1e-10, false, "1e-10" },
		{ 0.000001, false, "0.000001" },
		{ 1e-6f, true, "0.000001" },
		{ 123456789.125, false, "123456789.125" },
		{ -2.5, false, "-2.5" },
		{ 3.0, false, "3" },
		{ 16777216.0f, true, "16777216" },
		{ 3.4028234663852886e38, true, "3.4028235e+38" },
		{ 1.7976931348623157e308, false, "1.7976931348623157e+308" },
		{ 5e-324, false, "5e-324" },
		{ 0.0, false, "0" },
		{ -0.0, false, "-0" },
		{ 1.0 / 3, false, "0.3333333333333333" },
		{ 1.0f / 3, true, "0.33333334" },
		{ NAN, false, "null" },
		{ -INFINITY, true, "null" },
	};
	char got[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got[output_json_float(got, cases[i].x, cases[i].f32)] = '\0';
		assert_string_equal(got, cases[i].want);
	}
}

/* Floats in YAML as ig's (its JSON read back by Go's YAML reader and
 * written again): whole numbers of 64 bits as integers, exponents below
 * 1e-4 and from 1e6 on, of two digits at least; a one-digit mantissa
 * with ".0", that a YAML 1.1 reader needs to read a number */
static void yaml_float__as_ig_yaml_read_back_as_numbers(void **state)
{
	static const struct {
		double x;
		bool f32;
		const char *want;
	} cases[] = {
		{ 0.1, false, "0.1" },
		{ 0.1f, true, "0.1" },
		{ 1e20, false, "1.0e+20" },
		{ 1e21, false, "1.0e+21" },
		{ 1e6, false, "1000000" },
		{ 18446744073709549568.0, false, "18446744073709550000" },
		{ 0x1p64, false, "1.8446744073709552e+19" },
		{ -0x1p63, false, "-9.223372036854776e+18" },
		{ 1234567.5, false, "1.2345675e+06" },
		{ 0.0001, false, "0.0001" },
		{ 0.00001, false, "1.0e-05" },
		{ 1.5e-7, false, "1.5e-07" },
		{ -2.5, false, "-2.5" },
		{ 3.0, false, "3" },
		{ -0.0, false, "0" },
		{ NAN, false, ".nan" },
		{ INFINITY, false, ".inf" },
		{ -INFINITY, true, "-.inf" },
	};
	char got[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got[output_yaml_float(got, cases[i].x, cases[i].f32)] = '\0';
		assert_string_equal(got, cases[i].want);
	}
}

/* fmt_u64() and fmt_s64() as printf writes them, around every power of
 * 10 and of 2 */
static void numbers__edges__as_printf(void **state)
{
	char got[32], want[32];
	__u64 vals[200];
	size_t n = 0;

	(void)state;
	for (__u64 p = 1; n < 60; p *= 10) {
		vals[n++] = p - 1;
		vals[n++] = p;
		vals[n++] = p + 1;
		if (p > ~0ULL / 10)
			break;
	}
	for (int b = 0; b < 64; b++) {
		vals[n++] = (1ULL << b) - 1;
		vals[n++] = 1ULL << b;
	}
	vals[n++] = ~0ULL;
	for (size_t i = 0; i < n; i++) {
		got[fmt_u64(got, vals[i])] = '\0';
		snprintf(want, sizeof(want), "%llu",
			 (unsigned long long)vals[i]);
		assert_string_equal(got, want);
		got[fmt_s64(got, (__s64)vals[i])] = '\0';
		snprintf(want, sizeof(want), "%lld", (long long)vals[i]);
		assert_string_equal(got, want);
	}
}

/* fmt_8digits() for every value below 10^8, fmt_u32_wide() as printf
 * writes it around every power of 10 and of 2 and on a dense sweep, and
 * never past 8 bytes or its length */
static void numbers__8digits_every_value__as_printf(void **state)
{
	char got[32], want[32];
	__u32 v;

	(void)state;
	for (v = 0; v < 100000000; v++) {
		__u32 r = v;
		char ref[8];

		for (int i = 7; i >= 0; i--, r /= 10)
			ref[i] = (char)('0' + r % 10);
		fmt_8digits(got, v);
		if (memcmp(got, ref, 8))
			fail_msg("fmt_8digits(%u): %.8s", v, got);
	}
	for (__u64 x = 0; x <= 0xffffffffULL; x = x * 5 / 4 + 1) {
		for (int d = -1; d <= 1; d++) {
			__u64 w = x + (__u64)d;
			size_t n;

			if (w > 0xffffffffULL)
				continue;
			memset(got, 'x', sizeof(got));
			n = fmt_u32_wide(got, (__u32)w);
			snprintf(want, sizeof(want), "%u", (unsigned int)w);
			assert_int_equal(n, strlen(want));
			assert_memory_equal(got, want, n);
			for (size_t i = n > 8 ? n : 8; i < sizeof(got); i++)
				assert_int_equal(got[i], 'x');
		}
	}
	for (int p = 0; p < 10; p++) {
		__u32 t = 1;

		for (int i = 0; i < p; i++)
			t *= 10;
		for (__u32 w = t - (t > 1); w <= t + 1; w++) {
			got[fmt_u32_wide(got, w)] = '\0';
			snprintf(want, sizeof(want), "%u", w);
			assert_string_equal(got, want);
		}
	}
}

/* ---- valid UTF-8 JSON (and YAML) whatever the event holds ------------- */

/* Bytes a hostile packet, process or container puts in a string: NUL,
 * controls, quotes, C1, bytes that start no sequence, sequences cut
 * short, overlong, surrogates, past U+10FFFF, U+2028. */
static const char *const hostile_bits[] = {
	"\x00",
	"\x01",
	"\x1b[31m",
	"\"",
	"\\",
	"\x7f",
	"\x80",
	"\xbf",
	"\xc0\x80",
	"\xc2",
	"\xc2\x85",
	"\xe2\x80\xa8",
	"\xe2\x80",
	"\xed\xa0\x80",
	"\xf4\x90\x80\x80",
	"\xf5",
	"\xff",
	"\xfe",
	"\xc3\xa9",
	"\xf0\x9f\x98\x80",
	"a",
	".",
	"\\",
	"\n",
	"\xe2",
	"\xf0\x9f",
	"\xef\xbf\xbe", /* U+FFFE, U+FFFF: no YAML text */
	"\xef\xbf\xbf",
	"\xef\xbb\xbf", /* U+FEFF */
	"\xf0\x90\x80\x80",
	" ",
	"#",
	": ",
	"- ",
	"'",
};

/* len bytes of hostile pieces at p (the last one may be cut). */
static void hostile_fill(unsigned char *p, size_t len, unsigned int *seed)
{
	size_t i = 0;

	while (i < len) {
		const char *b =
			hostile_bits[rand_r(seed) % (sizeof(hostile_bits) /
						     sizeof(hostile_bits[0]))];
		size_t bl = b[0] ? strlen(b) : 1;

		for (size_t k = 0; k < bl && i < len; k++)
			p[i++] = (unsigned char)b[k];
	}
}

/* Whether the n bytes at s are UTF-8 as a strict decoder reads it. */
static bool utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < n;) {
		size_t l = s[i] < 0x80 ? 1 : utf8_len(s + i, n - i);

		if (!l)
			return false;
		i += l;
	}
	return true;
}

#define HOSTILE_ID \
	"feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface"

/* root's docker config of container id: a name and an image of C0 and
 * C1 controls, quotes, U+2028, U+FFFE and 2- to 4-byte characters. */
static void docker_config(const char *root, const char *id)
{
	static const char piece[] = "\\u001b[31m\\\"\\\\\\u0085\\u2028"
				    "\\ufffe\\u00e9\\u20ac\\ud83d\\ude00";
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/%s", root,
		 id);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		assert_true(mkdir(path, 0700) == 0 || errno == EEXIST);
		*p = '/';
	}
	assert_true(mkdir(path, 0700) == 0 || errno == EEXIST);
	strcat(path, "/config.v2.json");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"Name\":\"/", f);
	for (int i = 0; i < 40; i++)
		fputs(piece + i % 7, f);
	fputs("\",\"Config\":{\"Image\":\"", f);
	for (int i = 0; i < 40; i++)
		fputs(piece + i % 5, f);
	fputs("\"}}", f);
	assert_int_equal(fclose(f), 0);
}

/* docker_config()'s file and folders removed. */
static void docker_config_drop(const char *root, const char *id)
{
	char path[512];
	char *slash;

	snprintf(path, sizeof(path),
		 "%s/var/lib/docker/containers/%s/config.v2.json", root, id);
	assert_int_equal(unlink(path), 0);
	while ((slash = strrchr(path, '/')) && slash > path + strlen(root)) {
		*slash = '\0';
		assert_int_equal(rmdir(path), 0);
	}
}

/* The containers of root (docker_config()'s container HOSTILE_ID in
 * mount namespace 5000), x's fieldset's. */
static struct containers *docker_container(struct fx *x, const char *root)
{
	struct containers_note n = { .mntns = 5000, .depth = 1 };
	struct containers *c = containers_new(root);

	assert_non_null(c);
	snprintf(n.names[0], CONTAINERS_NAME_LEN, "docker-%s.scope",
		 HOSTILE_ID);
	assert_int_equal(containers_handle_note(c, &n), 0);
	fieldset_set_containers(x->fs, c);
	return c;
}

/* The modes that write JSON or YAML. */
static const enum output_mode modes[] = { OUTPUT_JSON, OUTPUT_JSONPRETTY,
					  OUTPUT_YAML };

/* Output of mode into a file: every unit checked after each event. */
struct valid_out {
	struct output *o;
	enum output_mode mode;
	int fd;
	char *buf;
	size_t cap;
	unsigned long units;
};

/* v: fs's output in mode into a file of its own. */
static void valid_open(struct valid_out *v, const struct fieldset *fs,
		       enum output_mode mode)
{
	char path[] = "/tmp/test-output-json-out-XXXXXX";
	struct error *err = NULL;

	memset(v, 0, sizeof(*v));
	v->mode = mode;
	v->fd = mkstemp(path);
	assert_true(v->fd >= 0);
	unlink(path);
	if (output_new(fs, mode, v->fd, &v->o, &err))
		fail_msg("%s", error_msg(err));
	v->cap = 4 * v->o->max_event + 4096;
	v->buf = malloc(v->cap);
	assert_non_null(v->buf);
}

static void valid_close(struct valid_out *v)
{
	output_free(v->o);
	close(v->fd);
	free(v->buf);
}

static void valid_check(struct valid_out *v, const char *s, size_t n)
{
	json_error_t je;
	json_t *j;

	if (!utf8_valid(s, n))
		fail_msg("mode %d: not UTF-8: %.*s", v->mode, (int)n, s);
	if (v->mode == OUTPUT_YAML) {
		yaml_parser_t p;
		yaml_event_t e;
		bool done = false;

		assert_true(yaml_parser_initialize(&p));
		yaml_parser_set_input_string(&p, (const unsigned char *)s, n);
		while (!done) {
			if (!yaml_parser_parse(&p, &e))
				fail_msg("YAML: %s: %.*s", p.problem, (int)n,
					 s);
			done = e.type == YAML_STREAM_END_EVENT;
			yaml_event_delete(&e);
		}
		yaml_parser_delete(&p);
		return;
	}
	/* one object, ended by the line's newline */
	assert_true(n > 0 && s[n - 1] == '\n');
	if (v->mode == OUTPUT_JSON)
		assert_null(memchr(s, '\n', n - 1));
	j = json_loadb(s, n, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &je);
	if (!j || !json_is_object(j))
		fail_msg("JSON: %s: %.*s", je.text, (int)n, s);
	json_decref(j);
}

static void valid_event(struct valid_out *v, const void *ev)
{
	ssize_t n;

	assert_int_equal(ftruncate(v->fd, 0), 0);
	assert_int_equal(lseek(v->fd, 0, SEEK_SET), 0);
	output_event(v->o, ev, sizeof(struct fx_event));
	assert_int_equal(output_flush(v->o), 0);
	n = pread(v->fd, v->buf, v->cap, 0);
	assert_true(n > 0 && (size_t)n < v->cap);
	v->buf[n] = '\0';
	valid_check(v, v->buf, (size_t)n);
	v->units++;
}

/*
 * Every byte anywhere: random events, their strings (names, comms) made
 * of hostile pieces, in and out of a container whose name is hostile
 * too; each event's output (-o json, jsonpretty, yaml) is strict UTF-8
 * and reads back as one JSON object (a YAML stream).
 */
static void valid__hostile_events__utf8_json_every_mode(void **state)
{
	char root[] = "/tmp/test-output-json-XXXXXX";
	struct fx *x = *state;
	struct containers *c;
	unsigned int seed = 13;

	assert_non_null(tmpdir_fx_make(root));
	/* a docker container whose name and image are any text JSON holds
	 * (jansson reads no invalid UTF-8), each cut short somewhere */
	docker_config(root, HOSTILE_ID);
	c = docker_container(x, root);
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct valid_out v;

		valid_open(&v, x->fs, modes[m]);
		for (int r = 0; r < 3000; r++) {
			struct fx_event ev;
			unsigned char *p = (unsigned char *)&ev;

			for (size_t i = 0; i < sizeof(ev); i++)
				p[i] = (unsigned char)(rand_r(&seed) >> 7);
			if (r % 3 == 0) /* small values: the tables' */
				for (size_t i = 0; i < sizeof(ev); i++)
					p[i] &= 0x3;
			hostile_fill((unsigned char *)ev.name, sizeof(ev.name),
				     &seed);
			hostile_fill((unsigned char *)ev.proc.comm,
				     sizeof(ev.proc.comm), &seed);
			hostile_fill((unsigned char *)ev.proc.parent.comm,
				     sizeof(ev.proc.parent.comm), &seed);
			if (r & 1)
				ev.proc.mntns_id = 5000;
			valid_event(&v, &ev);
			/* the same again: the kept texts' way */
			valid_event(&v, &ev);
		}
		assert_int_equal(v.units, 6000);
		valid_close(&v);
	}
	docker_config_drop(root, HOSTILE_ID);
	drop_containers(x, c, root);
}

/*
 * Keys are a gadget's to name (BTF members, gadget.yaml targets): member
 * names of quotes, controls, YAML indicators, bytes that are no UTF-8 and
 * U+FFFE are written escaped, every mode's output valid as above.
 */
static void valid__hostile_keys__escaped_every_mode(void **state)
{
	static const char *const keys[] = {
		"q\"k\\e\x01y",
		"\xff\xfe",
		"on",
		"a: b",
		"#x",
		"-",
		"\xef\xbf\xbe\xe2\x80\xa8",
		"\xc3\xa9t\xc3",
	};
	struct btf *btf = btf__new_empty();
	struct gadget_metadata *md =
		md_of("name: t\ndatasources:\n  dns:\n    fields: {}\n");
	struct fieldset *fs = NULL;
	struct error *err = NULL;
	char ev[64];
	int u32, inner, id;

	(void)state;
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	inner = btf__add_struct(btf, "inner", 8);
	fx_member(btf, keys[0], u32, 0);
	fx_member(btf, keys[1], u32, 32);
	id = btf__add_struct(btf, "ev", 64);
	for (size_t k = 2; k < sizeof(keys) / sizeof(keys[0]); k++)
		fx_member(btf, keys[k], u32, 32 * (__u32)(k - 2));
	fx_member(btf, "nested\x80", inner, 32 * 8);
	if (fieldset_new(btf, id, md, "dns", &fs, &err))
		fail_msg("%s", error_msg(err));
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct valid_out v;

		valid_open(&v, fs, modes[m]);
		memset(ev, 7, sizeof(ev));
		valid_event(&v, ev);
		/* each key there, escaped */
		assert_non_null(
			strstr(v.buf, modes[m] == OUTPUT_YAML ?
					      "\"q\\\"k\\\\e\\x01y\"" :
					      "\"q\\\"k\\\\e\\u0001y\""));
		valid_close(&v);
	}
	fieldset_free(fs);
	metadata_free(md);
	btf__free(btf);
}

/* root's docker config of container id named name (JSON text). */
static void docker_config_named(const char *root, const char *id,
				const char *name)
{
	char path[512];
	FILE *f;

	docker_config(root, id);
	snprintf(path, sizeof(path),
		 "%s/var/lib/docker/containers/%s/config.v2.json", root, id);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "{\"Name\":\"/%s\",\"Config\":{\"Image\":\"i\"}}", name);
	assert_int_equal(fclose(f), 0);
}

/* The value at key in mapping node m of document d. */
static yaml_node_t *yaml_at_key(yaml_document_t *d, yaml_node_t *m,
				const char *key)
{
	for (yaml_node_pair_t *e = m->data.mapping.pairs.start;
	     e < m->data.mapping.pairs.top; e++)
		if (!strcmp((char *)yaml_document_get_node(d, e->key)
				    ->data.scalar.value,
			    key))
			return yaml_document_get_node(d, e->value);
	fail_msg("no key %s", key);
	return NULL;
}

/* The string at key a.b of the JSON object (YAML mapping) in s. */
static char *value_at(enum output_mode mode, const char *s, const char *a,
		      const char *b)
{
	json_error_t je;
	json_t *j, *v;
	char *r;

	if (mode == OUTPUT_YAML) {
		/* the two-level map yaml.v2 writes: "a:\n  b: value" */
		yaml_parser_t p;
		yaml_document_t d;
		yaml_node_t *root, *in, *out;

		assert_true(yaml_parser_initialize(&p));
		yaml_parser_set_input_string(&p, (const unsigned char *)s,
					     strlen(s));
		assert_true(yaml_parser_load(&p, &d));
		root = yaml_document_get_root_node(&d);
		assert_non_null(root);
		assert_int_equal(root->type, YAML_MAPPING_NODE);
		in = yaml_at_key(&d, root, a);
		assert_int_equal(in->type, YAML_MAPPING_NODE);
		out = yaml_at_key(&d, in, b);
		assert_int_equal(out->type, YAML_SCALAR_NODE);
		r = strdup((char *)out->data.scalar.value);
		yaml_document_delete(&d);
		yaml_parser_delete(&p);
		return r;
	}
	j = json_loads(s, 0, &je);
	if (!j)
		fail_msg("JSON: %s: %s", je.text, s);
	v = json_object_get(json_object_get(j, a), b);
	assert_true(json_is_string(v));
	r = strdup(json_string_value(v));
	json_decref(j);
	return r;
}

/*
 * A container's name holding ESC, C1 NEL and a backslash: -o json,
 * jsonpretty and yaml give the name the runtime has (escaped as their
 * strings are), not the text escaped for a terminal that columns show
 * (as ig's columns do: Go's strconv.Quote).
 */
static void runtime_name__json_and_yaml_raw__columns_escaped(void **state)
{
	char root[] = "/tmp/test-output-json-XXXXXX";
	struct fx *x = *state;
	struct containers *c;
	int f;

	assert_non_null(tmpdir_fx_make(root));
	docker_config_named(root, HOSTILE_ID,
			    "a\\u001b[31mb\\u0085c\\\\d\\u00e9");
	c = docker_container(x, root);
	x->ev.proc.mntns_id = 5000;
	f = fieldset_lookup(x->fs, "runtime.containerName");
	assert_true(f >= 0);
	{
		/* columns: the terminal's escapes */
		struct render_ctx rc;
		char *cell = malloc(x->fs->f[f].max_text + 1);

		assert_non_null(cell);
		render_ctx_init(&rc, x->fs);
		field_text(&rc, &x->fs->f[f], &x->ev, cell);
		/* Go's strconv.Quote, as ig's columns: \u0085, "\\" */
		assert_string_equal(cell, "a\\x1b[31mb\\u0085c\\\\d\xc3\xa9");
		render_ctx_fini(&rc);
		free(cell);
	}
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct valid_out v;
		char *got;

		valid_open(&v, x->fs, modes[m]);
		valid_event(&v, &x->ev);
		got = value_at(modes[m], v.buf, "runtime", "containerName");
		assert_string_equal(got, "a\x1b[31mb\xc2\x85"
					 "c\\d\xc3\xa9");
		free(got);
		valid_close(&v);
	}
	docker_config_drop(root, HOSTILE_ID);
	drop_containers(x, c, root);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(fast__fixture_and_zero__as_generic),
		T(runtime_name__json_and_yaml_raw__columns_escaped),
		T(fast__small_values_of_each_field__as_generic),
		T(fast__random_events__as_generic),
		T(fast__groups_repeated_keys__as_generic),
		T(fast__new_port_each_query__as_generic),
		T(fast__addresses_ids_times__as_generic),
		T(fast__containers_change__as_generic),
		T(fast__durations_and_address_lists__as_generic),
		T(valid__hostile_events__utf8_json_every_mode),
		cmocka_unit_test(valid__hostile_keys__escaped_every_mode),
		T(hot_path__filtered_selected_rendered__allocates_nothing),
		T(hot_path__yaml_filtered_selected_rendered__allocates_nothing),
		cmocka_unit_test(numbers__edges__as_printf),
		cmocka_unit_test(numbers__8digits_every_value__as_printf),
		cmocka_unit_test(
			json_string__special_at_each_position__escaped),
		cmocka_unit_test(json_string__c1_and_line_separators__escaped),
		cmocka_unit_test(json_string__invalid_utf8__one_fffd_per_byte),
		cmocka_unit_test(json_float__as_go_encoding_json),
		cmocka_unit_test(yaml_float__as_ig_yaml_read_back_as_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
