// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/filter.c: the -F grammar, comparisons by type, and its
 * errors.  filter_regex_match and name_list_match are wrapped (-Wl,--wrap) to count
 * the regular expressions run (rules that ask only whether a text is empty
 * run none) and the name lists matched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "metadata/metadata.h"
#include "runner/engine/bpf/containers.h"
#include "runner/engine/containers.h"
#include "runner/engine/fields.h"
#include "runner/engine/filter.h"
#include "runner/engine/filter_regex.h"
#include "runner/engine/filter_value.h"
#include "fixture_event.h"
#include "tests/unit/tmpdir_fx.h"

bool __real_filter_regex_match(struct filter_regex *re, const char *s);
bool __wrap_filter_regex_match(struct filter_regex *re, const char *s);

static int regexecs, list_matches;
static unsigned long allocs;

/*
 * Every heap allocation of the process counted, the C library's own
 * inside regexec() or PCRE2 included: malloc and co. replaced (glibc
 * allows it), or told by ASan's hooks when it replaced them first.
 */
#ifdef __SANITIZE_ADDRESS__
int __sanitizer_install_malloc_and_free_hooks(
	void (*malloc_hook)(const volatile void *, size_t),
	void (*free_hook)(const volatile void *));

static void on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	allocs++;
}

static void on_free(const volatile void *p)
{
	(void)p;
}

static void count_allocs(void)
{
	__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}
#else
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t k, size_t n);
void *__libc_realloc(void *p, size_t n);

void *malloc(size_t n)
{
	allocs++;
	return __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
	allocs++;
	return __libc_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	allocs++;
	return __libc_realloc(p, n);
}

static void count_allocs(void)
{
}
#endif

bool __real_name_list_match(const char *list, const char *name);
bool __wrap_name_list_match(const char *list, const char *name);

bool __wrap_name_list_match(const char *list, const char *name)
{
	list_matches++;
	return __real_name_list_match(list, name);
}

bool __wrap_filter_regex_match(struct filter_regex *re, const char *s)
{
	regexecs++;
	return __real_filter_regex_match(re, s);
}

struct fx {
	struct btf *btf;
	struct fieldset *fs;
	struct fx_event ev;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct gadget_metadata *md = NULL;
	struct error *err = NULL;
	struct fx_types t;
	int id;

	x->btf = btf__new_empty();
	id = fx_build(x->btf, &t);
	if (metadata_parse(fx_yaml, strlen(fx_yaml), "t.yaml", &md, &err) ||
	    fieldset_new(x->btf, id, md, "dns", &x->fs, &err))
		fail_msg("%s", error_msg(err));
	metadata_free(md);
	strcpy(x->ev.proc.comm, "nslookup");
	x->ev.proc.pid = 4242;
	x->ev.src.version = 4;
	inet_pton(AF_INET, "10.0.0.1", x->ev.src.addr_raw.v6);
	x->ev.src.port = 40000;
	x->ev.src.proto_raw = 17;
	x->ev.id = 0xc3b5;
	x->ev.qtype_raw = 1;
	x->ev.pkt_type_raw = FX_OUTGOING;
	x->ev.qr_raw = true;
	x->ev.rcode_raw = 3;
	x->ev.latency_ns_raw = 1500;
	strcpy(x->ev.name, "www.example.com.");
	x->ev.delta = -7;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	fieldset_free(x->fs);
	btf__free(x->btf);
	free(x);
	return 0;
}

/* Does the event pass the one filter expr? */
static bool match(struct fx *x, const char *expr)
{
	struct filter *f = NULL;
	struct error *err = NULL;
	bool r;

	if (filter_add(&f, x->fs, expr, &err))
		fail_msg("filter %s: %s", expr, error_msg(err));
	r = filter_match(f, &x->ev);
	filter_free(f);
	return r;
}

static void bad(struct fx *x, const char *expr, const char *want)
{
	struct filter *f = NULL;
	struct error *err = NULL;

	assert_int_equal(filter_add(&f, x->fs, expr, &err), -1);
	assert_null(f);
	assert_string_equal(error_msg(err), want);
	error_free(err);
}

static void numbers__compare_as_numbers(void **state)
{
	struct fx *x = *state;

	assert_true(match(x, "proc.pid==4242"));
	assert_false(match(x, "proc.pid!=4242"));
	assert_true(match(x, "pid>999")); /* 4242 > 999, not as text */
	assert_true(match(x, "pid>=4242"));
	assert_false(match(x, "pid<4242"));
	assert_true(match(x, "pid<=4242"));
	assert_true(match(x, "pid < 10000"));
	assert_true(match(x, "pid==0x1092"));
	assert_true(match(x, "delta<0"));
	assert_true(match(x, "delta==-7"));
	assert_false(match(x, "delta>-7"));
	assert_true(match(x, "pid=4242")); /* "=" is "==", as in ig */
	assert_false(match(x, "pid=4241"));
	assert_true(match(x, "src.port==40000"));
	assert_true(match(x, "latency_ns_raw>1000"));
	/* decimal with leading zeros, as ig reads them: not octal */
	assert_true(match(x, "pid==04242"));
	assert_true(match(x, "pid>=004242"));
	assert_true(match(x, "pid<010000")); /* octal: 4096 */
	assert_true(match(x, "delta==-07"));
	assert_true(match(x, "qtype_raw==01"));
	assert_true(match(x, "pid==0X1092"));
	assert_true(match(x, "delta==-0x7"));
	bad(x, "pid==09x",
	    "filter \"pid==09x\": field pid: \"09x\" is not a number");
}

static void bools_and_hex__by_value(void **state)
{
	struct fx *x = *state;

	assert_true(match(x, "qr_raw==true"));
	assert_true(match(x, "qr_raw==1"));
	assert_false(match(x, "qr_raw==false"));
	assert_true(match(x, "tc==false"));
	assert_true(match(x, "id==c3b5"));
	assert_true(match(x, "id==0xC3B5"));
	assert_true(match(x, "id>c000"));
	assert_false(match(x, "id<c3b5"));
	assert_true(match(x, "tc!=true"));
	bad(x, "tc<true",
	    "filter \"tc<true\": field tc: a bool is compared with == or != "
	    "only");
	bad(x, "qr_raw>=0",
	    "filter \"qr_raw>=0\": field qr_raw: a bool is compared with == "
	    "or != only");
}

static void strings__compare_as_text(void **state)
{
	struct fx *x = *state;

	assert_true(match(x, "name==www.example.com."));
	assert_false(match(x, "name==www.example.com"));
	assert_true(match(x, "name!=x"));
	assert_true(match(x, "comm==nslookup"));
	assert_true(match(x, "comm=nslookup"));
	assert_false(match(x, "comm=nslookup2"));
	assert_true(match(x, "comm>abc"));
	assert_true(match(x, "comm<z"));
	assert_true(match(x, "name~^www\\.ex"));
	assert_false(match(x, "name~^ex"));
	assert_true(match(x, "name!~^ex"));
	assert_true(match(x, "comm~(dig|nslookup)"));
}

/* The exec hook tells of a docker container in mntns: its id is id's
 * digits, its name their head (12 digits). */
static void note_container(struct containers *c, __u64 mntns, long id)
{
	struct containers_note n = { .mntns = mntns, .depth = 2 };

	snprintf(n.names[0], sizeof(n.names[0]), "docker-%-64ld.scope", id);
	for (char *p = n.names[0]; *p; p++)
		if (*p == ' ')
			*p = '0';
	strcpy(n.names[1], "system.slice");
	assert_int_equal(containers_handle_note(c, &n), 0);
}

/* Containers in a fake tree (no exec hook), one in mntns. */
static struct containers *one_container(char *root, __u64 mntns)
{
	struct containers *c;

	if (!tmpdir_fx_make(root) || !(c = containers_new(root)))
		fail_msg("containers in %s", root);
	note_container(c, mntns, 7);
	return c;
}

/*
 * Whether a text is empty, as runner run --host=false asks it
 * ("runtime.containerId~."): the same answers as the regular expression
 * or the comparison, without either.
 */
static void empty_text__told_without_regex(void **state)
{
	struct fx *x = *state;
	char root[] = "/tmp/test-filter-XXXXXX";
	__u64 host = x->ev.proc.mntns_id, ctr = 4026532999ULL;
	struct containers *c = one_container(root, ctr);
	static const struct {
		const char *expr;
		bool host, in_container;
	} cases[] = {
		{ "runtime.containerId~.", false, true },
		{ "runtime.containerId!~.", true, false },
		{ "runtime.runtimeName~.", false, true },
		{ "k8s.namespace~.", false, false },
		{ "k8s.namespace!~.", true, true },
		{ "name~.", true, true },
		{ "name!~.", false, false },
		{ "name!=", true, true },
		{ "name==", false, false },
		/* a text of the runtime's, the pod's: as name's (they were
		 * refused: "no value") */
		{ "runtime.containerId==", true, false },
		{ "runtime.containerName!=", false, true },
		{ "k8s.namespace==", true, true },
	};

	fieldset_set_containers(x->fs, c);
	regexecs = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		x->ev.proc.mntns_id = host;
		if (match(x, cases[i].expr) != cases[i].host)
			fail_msg("%s on the host: not %d", cases[i].expr,
				 cases[i].host);
		x->ev.proc.mntns_id = ctr;
		if (match(x, cases[i].expr) != cases[i].in_container)
			fail_msg("%s in a container: not %d", cases[i].expr,
				 cases[i].in_container);
	}
	x->ev.name[0] = '\0';
	assert_false(match(x, "name~."));
	assert_true(match(x, "name!~."));
	assert_true(match(x, "name=="));
	assert_false(match(x, "name!="));
	assert_int_equal(regexecs, 0);
	/* any other expression runs */
	assert_false(match(x, "name~^.$"));
	assert_true(match(x, "runtime.containerId~^70+$"));
	assert_int_equal(regexecs, 2);
	fieldset_set_containers(x->fs, NULL);
	containers_free(c);
	rmdir(root);
}

/*
 * --containername: the name of an event's container matched against the
 * list once per mount namespace, again when the containers change (here
 * another container in that namespace).
 */
static void names__kept_per_namespace__until_containers_change(void **state)
{
	struct fx *x = *state;
	char root[] = "/tmp/test-filter-XXXXXX";
	__u64 host = x->ev.proc.mntns_id, ctr = 4026532999ULL;
	struct containers *c = one_container(root, ctr);
	struct filter *f = NULL;
	struct error *err = NULL;

	fieldset_set_containers(x->fs, c);
	if (filter_add_names(&f, x->fs, "runtime.containerName",
			     "web,700000000000", &err))
		fail_msg("%s", error_msg(err));
	/* the host's namespace, looked up in /proc once (which adds it) */
	assert_false(filter_match(f, &x->ev));
	list_matches = 0;
	for (int i = 0; i < 6; i++) {
		x->ev.proc.mntns_id = i & 1 ? host : ctr;
		assert_int_equal(filter_match(f, &x->ev), !(i & 1));
	}
	assert_int_equal(list_matches, 1);
	note_container(c, ctr, 8);
	x->ev.proc.mntns_id = ctr;
	assert_false(filter_match(f, &x->ev));
	note_container(c, ctr, 7);
	assert_true(filter_match(f, &x->ev));
	assert_int_equal(list_matches, 3);
	filter_free(f);
	fieldset_set_containers(x->fs, NULL);
	containers_free(c);
	rmdir(root);
}

/*
 * -c '!web' keeps a container without a name (containerd's, of a
 * namespace not asked: `ctr -n other run`), as ig's selector, not the
 * host; no list names it.
 */
static void names__unnamed_container__kept_by_a_name_left_out(void **state)
{
	struct fx *x = *state;
	char root[] = "/tmp/test-filter-XXXXXX";
	char cmd[256];
	__u64 host = x->ev.proc.mntns_id, ctr = 4026532998ULL;
	struct containers_note n = { .mntns = ctr, .pid = 4302, .depth = 3 };
	struct containers *c;
	struct filter *f = NULL;

	assert_non_null(tmpdir_fx_make(root));
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/run/containerd/io.containerd.runtime.v2.task/"
		 "other/x1 && echo '{}' > %s/run/containerd/"
		 "io.containerd.runtime.v2.task/other/x1/config.json",
		 root, root);
	assert_int_equal(system(cmd), 0);
	c = containers_new(root);
	assert_non_null(c);
	strcpy(n.names[0], "x1");
	strcpy(n.names[1], "other");
	assert_int_equal(containers_handle_note(c, &n), 0);
	assert_string_equal(containers_lookup(c, ctr)->name, "");
	fieldset_set_containers(x->fs, c);
	assert_int_equal(filter_add_names(&f, x->fs, "runtime.containerName",
					  "!web", NULL),
			 0);
	assert_false(filter_match(f, &x->ev));
	x->ev.proc.mntns_id = ctr;
	assert_true(filter_match(f, &x->ev));
	filter_free(f);
	f = NULL;
	assert_int_equal(filter_add_names(&f, x->fs, "runtime.containerName",
					  "web,x1", NULL),
			 0);
	assert_false(filter_match(f, &x->ev));
	filter_free(f);
	x->ev.proc.mntns_id = host;
	fieldset_set_containers(x->fs, NULL);
	containers_free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

/* In root, docker's config of note_container()'s container 7, naming it
 * name (JSON string text). */
static void docker_named(const char *root, const char *name)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/7%063d",
		 root, 0);
	for (char *p = path + strlen(root) + 1;; p++) {
		char c = *p;

		if (c && c != '/')
			continue;
		*p = '\0';
		assert_int_equal(mkdir(path, 0700), 0);
		*p = c;
		if (!c)
			break;
	}
	strcat(path, "/config.v2.json");
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "{\"Name\":\"/%s\",\"Config\":{\"Image\":\"i\"}}", name);
	assert_int_equal(fclose(f), 0);
}

/*
 * Strings compare as the runtime or the event has them, as ig compares
 * them (and -o json writes them), not as columns escape them for a
 * terminal (\x1b): a container named "a ESC [31m b NEL c", a comm with a
 * byte that is not UTF-8 (Go's regexp reads it as U+FFFD) and one that is
 * a newline ("." is any character but that one).
 */
static void strings__raw_value__not_terminal_escapes(void **state)
{
	static const char name[] = "a\x1b[31mb\xc2\x85"
				   "c";
	struct fx *x = *state;
	char root[] = "/tmp/test-filter-XXXXXX";
	char rule[64], cmd[512];
	struct containers *c;
	struct filter *f = NULL;
	struct error *err = NULL;

	assert_non_null(tmpdir_fx_make(root));
	docker_named(root, "a\\u001b[31mb\\u0085c");
	c = containers_new(root);
	assert_non_null(c);
	note_container(c, 4026532999ULL, 7);
	fieldset_set_containers(x->fs, c);
	x->ev.proc.mntns_id = 4026532999ULL;

	snprintf(rule, sizeof(rule), "runtime.containerName==%s", name);
	assert_true(match(x, rule));
	assert_false(match(x, "runtime.containerName==a\\x1b[31mb\\xc2\\x85c"));
	assert_true(match(x, "runtime.containerName!=a\\x1b[31mb\\xc2\\x85c"));
	assert_true(match(x, "runtime.containerName~^a\\x1b\\[31mb\\x{85}c$"));
	assert_true(match(x, "runtime.containerName~^a.\\[31mb.c$"));
	assert_false(match(x, "runtime.containerName~x1b"));
	assert_true(match(x, "runtime.containerName!~x1b"));
	assert_true(match(x, "runtime.containerName>a\x1b"));
	assert_true(match(x, "runtime.containerName<a\\\\")); /* "a\\" */
	/* -c NAME */
	assert_int_equal(filter_add_names(&f, x->fs, "runtime.containerName",
					  name, &err),
			 0);
	assert_true(filter_match(f, &x->ev));
	filter_free(f);
	f = NULL;
	assert_int_equal(filter_add_names(&f, x->fs, "runtime.containerName",
					  "a\\x1b[31mb\\xc2\\x85c", &err),
			 0);
	assert_false(filter_match(f, &x->ev));
	filter_free(f);

	strcpy(x->ev.proc.comm, "x\xffy");
	assert_true(match(x, "proc.comm==x\xffy"));
	assert_false(match(x, "proc.comm==x\\xffy"));
	assert_true(match(x, "proc.comm~^x.y$"));
	assert_true(match(x, "proc.comm~^x\\x{fffd}y$"));
	assert_false(match(x, "proc.comm~xff"));
	strcpy(x->ev.proc.comm, "\n");
	regexecs = 0;
	assert_false(match(x, "proc.comm~."));
	assert_true(match(x, "proc.comm!~."));
	assert_true(match(x, "proc.comm!="));
	assert_int_equal(regexecs, 0);
	assert_true(match(x, "proc.comm~^\\n$"));

	fieldset_set_containers(x->fs, NULL);
	containers_free(c);
	snprintf(cmd, sizeof(cmd), "rm -r -- '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static void formatted__by_shown_value(void **state)
{
	struct fx *x = *state;

	assert_true(match(x, "qr==R"));
	assert_true(match(x, "qtype==A")); /* one-of index 1 */
	assert_true(match(x, "pkt_type==OUTGOING"));
	assert_true(match(x, "pkt_type_raw==4"));
	assert_true(match(x, "rcode==NameError"));
	assert_true(match(x, "src==10.0.0.1:40000"));
	assert_true(match(x, "src.addr~^10\\."));
	assert_true(match(x, "src.proto==UDP"));
	assert_true(match(x, "latency_ns==1.5\xc2\xb5s"));
	x->ev.qr_raw = false;
	assert_true(match(x, "rcode=="));
	assert_true(match(x, "qr==Q"));
}

/* issue 9: "latency_ns>1ms" passed 593.649µs (texts compared) */
static void durations__compare_as_nanoseconds(void **state)
{
	struct fx *x = *state;

	x->ev.latency_ns_raw = 593649;
	assert_false(match(x, "latency_ns>1ms"));
	assert_true(match(x, "latency_ns<1ms"));
	assert_true(match(x, "latency_ns==593.649\xc2\xb5s"));
	assert_true(match(x, "latency_ns==593.649us"));
	assert_true(match(x, "latency_ns==593649"));
	assert_true(match(x, "latency_ns>=0.593649ms"));
	assert_false(match(x, "latency_ns>0.593649ms"));
	x->ev.latency_ns_raw = 0;
	assert_false(match(x, "latency_ns>0")); /* shown as "0ns" */
	assert_true(match(x, "latency_ns==0s"));
	assert_true(match(x, "latency_ns==0ns"));
	/* ig's texts: 2 decimals of us or ms */
	x->ev.latency_ns_raw = 134940;
	assert_true(match(x, "latency_ns==134.94\xc2\xb5s"));
	assert_true(match(x, "latency_ns<134.95\xc2\xb5s"));
	x->ev.latency_ns_raw = 29360000;
	assert_true(match(x, "latency_ns==29.36ms"));
	assert_true(match(x, "latency_ns>1ms"));
	assert_true(match(x, "latency_ns<1000.00ms"));
	x->ev.latency_ns_raw = 90500000000ULL; /* 1m30.5s */
	assert_true(match(x, "latency_ns==1m30.5s"));
	assert_true(match(x, "latency_ns>1m"));
	assert_true(match(x, "latency_ns<1h"));
	assert_true(match(x, "latency_ns>9s")); /* "1m30.5s" < "9s" as text */
}

/* a negative duration was "not a duration"; Go's ParseDuration takes a
 * sign, and ig's durations are int64 (2^64-1 ns is -1ns) */
static void durations__signed_as_go_takes_them(void **state)
{
	struct fx *x = *state;

	x->ev.latency_ns_raw = 593649;
	assert_true(match(x, "latency_ns>-1s"));
	assert_false(match(x, "latency_ns<-1.5ms"));
	assert_true(match(x, "latency_ns==+593.649us"));
	assert_true(match(x, "latency_ns>-0"));
	x->ev.latency_ns_raw = UINT64_MAX; /* shown as -1ns */
	assert_true(match(x, "latency_ns==-1ns"));
	assert_true(match(x, "latency_ns<0s"));
	assert_true(match(x, "latency_ns>-9223372036854775808ns"));
	x->ev.latency_ns_raw = 1ULL << 63; /* int64's least */
	assert_true(match(x, "latency_ns==-9223372036854775808ns"));
	assert_true(match(x, "latency_ns<-2562047h"));
	bad(x, "latency_ns>-",
	    "filter \"latency_ns>-\": field latency_ns: \"-\" is not a "
	    "duration (like 750ns, 1.5ms, 2s, 1m30s)");
	bad(x, "latency_ns>--1s",
	    "filter \"latency_ns>--1s\": field latency_ns: \"--1s\" is not "
	    "a duration (like 750ns, 1.5ms, 2s, 1m30s)");
	bad(x, "latency_ns>9223372036854775808ns",
	    "filter \"latency_ns>9223372036854775808ns\": field latency_ns: "
	    "\"9223372036854775808ns\" is too large for a duration in "
	    "nanoseconds");
	bad(x, "latency_ns>-9223372036854775809ns",
	    "filter \"latency_ns>-9223372036854775809ns\": field latency_ns: "
	    "\"-9223372036854775809ns\" is too large for a duration in "
	    "nanoseconds");
}

static void timestamps__compare_as_times(void **state)
{
	struct fx *x = *state;

	/* whatever the boot time, the event is after 2000 and before 2200 */
	assert_true(match(x, "timestamp>2000-01-01T00:00:00Z"));
	assert_false(match(x, "timestamp<2000-01-01T00:00:00Z"));
	assert_true(match(x, "timestamp<2200-01-01T00:00:00.5+02:00"));
	assert_true(match(x, "timestamp!=1999-12-31T23:59:59"));
	/* timestamp_raw is wall-clock Unix ns too, as in ig (after
	 * 2000-01-01, before 2200) */
	assert_true(match(x, "timestamp_raw>946684800000000000"));
	assert_true(match(x, "timestamp_raw<7258118400000000000"));
}

/* 2026-02-31 was 2026-03-03 (timegm() rolls over); Go's time.Parse
 * refuses a day past its month's last and a second of 60 */
static void timestamps__invalid_dates_refused_as_go(void **state)
{
	struct fx *x = *state;
	static const char *const refused[] = {
		"2026-02-31T00:00:00Z", "2026-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z", "2026-04-31T12:00:00+02:00",
		"2026-11-30T23:59:60Z", "2026-06-31T00:00:00",
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char rule[64], want[160];

		snprintf(rule, sizeof(rule), "timestamp>%s", refused[i]);
		snprintf(want, sizeof(want),
			 "filter \"%s\": field timestamp: \"%s\" is not a "
			 "valid date and time",
			 rule, refused[i]);
		bad(x, rule, want);
	}
	/* leap days (seconds from Python's calendar.timegm()) */
	assert_true(match(x, "timestamp>2000-02-29T00:00:00Z"));
	assert_true(match(x, "timestamp<2196-02-29T23:59:59Z"));
	{
		const char *why = NULL;
		int64_t ns = 0;

		assert_int_equal(filter_parse_time("2024-02-29T12:00:00+01:00",
						   &ns, &why),
				 0);
		assert_int_equal(ns, 1709204400LL * 1000000000);
		assert_int_equal(filter_parse_time("2000-02-29T00:00:00Z", &ns,
						   &why),
				 0);
		assert_int_equal(ns, 951782400LL * 1000000000);
	}
}

static void enums__by_name_or_number(void **state)
{
	struct fx *x = *state;

	assert_true(match(x, "qtype==1"));
	assert_true(match(x, "qtype<NS"));
	assert_true(match(x, "qtype>0")); /* the name "0" is index 0 */
	x->ev.qtype_raw = 28;
	assert_true(match(x, "qtype==28"));
	assert_true(match(x, "qtype>NS"));
	assert_true(match(x, "pkt_type>HOST"));
	/* rcode is hidden for queries: no value, only != passes */
	x->ev.qr_raw = false;
	assert_false(match(x, "rcode==Success"));
	assert_false(match(x, "rcode<NameError"));
	assert_true(match(x, "rcode!=Success"));
}

static void typed__bad_values_are_usage_errors(void **state)
{
	struct fx *x = *state;

	bad(x, "qtype_raw==99999999999",
	    "filter \"qtype_raw==99999999999\": field qtype_raw: "
	    "\"99999999999\" is out of range");
	bad(x, "qtype_raw==65536",
	    "filter \"qtype_raw==65536\": field qtype_raw: \"65536\" "
	    "is out of range");
	assert_false(match(x, "qtype_raw==65535"));
	bad(x, "pid==99999999999999999999999",
	    "filter \"pid==99999999999999999999999\": field pid: "
	    "\"99999999999999999999999\" is out of range");
	bad(x, "delta==2147483648",
	    "filter \"delta==2147483648\": field delta: \"2147483648\" is "
	    "out of range");
	assert_true(match(x, "delta>-2147483648"));
	/* as ig's ParseUint and ParseInt(v, 10): a + on a signed field
	 * only, one sign, digits right after it */
	assert_true(match(x, "delta<+0"));
	assert_false(match(x, "delta==+7"));
	bad(x, "pid==+4242",
	    "filter \"pid==+4242\": field pid: \"+4242\" is not a number");
	bad(x, "qtype_raw==+1",
	    "filter \"qtype_raw==+1\": field qtype_raw: \"+1\" is not a "
	    "number");
	bad(x, "delta==+-7",
	    "filter \"delta==+-7\": field delta: \"+-7\" is not a number");
	bad(x, "delta==- 7",
	    "filter \"delta==- 7\": field delta: \"- 7\" is not a number");
	bad(x, "id==+c3b5",
	    "filter \"id==+c3b5\": field id: \"+c3b5\" is not a hex "
	    "number");
	bad(x, "pid==0x",
	    "filter \"pid==0x\": field pid: \"0x\" is not a hex number");
	bad(x, "pid==0x0x5",
	    "filter \"pid==0x0x5\": field pid: \"0x0x5\" is not a hex "
	    "number");
	bad(x, "pid==0x10000000000000000",
	    "filter \"pid==0x10000000000000000\": field pid: "
	    "\"0x10000000000000000\" is out of range");
	bad(x, "flags_lo==8",
	    "filter \"flags_lo==8\": field flags_lo: \"8\" is out of "
	    "range");
	bad(x, "qtype==", "filter \"qtype==\": field qtype: no value");
	bad(x, "pid<", "filter \"pid<\": field pid: no value");
	bad(x, "qtype==AAAA",
	    "filter \"qtype==AAAA\": field qtype: \"AAAA\" is not one of "
	    "its values");
	bad(x, "pkt_type==NOPE",
	    "filter \"pkt_type==NOPE\": field pkt_type: \"NOPE\" is not "
	    "one of its names");
	bad(x, "latency_ns>1.5",
	    "filter \"latency_ns>1.5\": field latency_ns: \"1.5\" is not a "
	    "duration (like 750ns, 1.5ms, 2s, 1m30s)");
	bad(x, "latency_ns>1.5ns",
	    "filter \"latency_ns>1.5ns\": field latency_ns: \"1.5ns\" "
	    "is finer than a nanosecond");
	bad(x, "latency_ns>99999999999h",
	    "filter \"latency_ns>99999999999h\": field latency_ns: "
	    "\"99999999999h\" is too large for a duration in nanoseconds");
	bad(x, "timestamp>yesterday",
	    "filter \"timestamp>yesterday\": field timestamp: \"yesterday\" "
	    "is not a time (like 2026-11-30T16:33:34.5Z or "
	    "2026-11-30T17:33:34+01:00)");
}

static void comma__and_with_escape(void **state)
{
	struct fx *x = *state;

	assert_true(match(x, "pid==4242,comm==nslookup"));
	assert_false(match(x, "pid==4242,comm==dig"));
	assert_true(match(x, " pid == 4242 , qr == R "));
	strcpy(x->ev.name, "a,b.");
	assert_true(match(x, "name==a\\,b."));
	assert_true(match(x, "name~^a{1\\,3}\\,"));
	assert_true(match(x, "name~b\\.$,pid==4242"));
	/* "\\\\" is one backslash, as ig's SplitStringWithEscape() reads it:
	 * the regular expression \. here, a literal dot */
	assert_true(match(x, "name~^a\\,b\\\\.$"));
	assert_false(match(x, "name~^a\\,b\\\\.x"));
	strcpy(x->ev.name, "a\\b.");
	assert_true(match(x, "name==a\\\\b."));
	assert_true(match(x, "name==a\\b.")); /* another one stays */
	assert_true(match(x, "name==a\\\\b.\\")); /* a last one goes */
}

static void repeated__anded(void **state)
{
	struct fx *x = *state;
	struct filter *f = NULL;
	struct error *err = NULL;

	assert_true(filter_match(NULL, &x->ev));
	assert_int_equal(filter_add(&f, x->fs, "pid==4242", &err), 0);
	assert_true(filter_match(f, &x->ev));
	assert_int_equal(filter_add(&f, x->fs, "qr==Q", &err), 0);
	assert_false(filter_match(f, &x->ev));
	x->ev.qr_raw = false;
	assert_true(filter_match(f, &x->ev));
	/* a failing add leaves the filter as it was */
	assert_int_equal(filter_add(&f, x->fs, "pid==1,nope==2", &err), -1);
	error_free(err);
	assert_true(filter_match(f, &x->ev));
	filter_free(f);
}

static void names__any_case_and_alias(void **state)
{
	struct fx *x = *state;

	assert_true(match(x, "PROC.PID==4242"));
	assert_true(match(x, "Comm==nslookup"));
	/* ig's "ds:field": a field of this data source ("dns") */
	assert_true(match(x, "dns:pid==4242,dns:comm==nslookup"));
	assert_false(match(x, "dns:pid==1"));
}

static void errors__usage_messages(void **state)
{
	struct fx *x = *state;

	bad(x, "nope==1", "filter \"nope==1\": unknown field \"nope\"");
	bad(x, "pid=>1",
	    "filter \"pid=>1\": \"pid=>1\": bad operator at \"=>1\"");
	bad(x, "name=~x",
	    "filter \"name=~x\": \"name=~x\": bad operator at \"=~x\"");
	bad(x, "pid!1", "filter \"pid!1\": \"pid!1\": bad operator at \"!1\"");
	bad(x, "pid",
	    "filter \"pid\": \"pid\": no operator (==, !=, <, <=, "
	    ">, >=, ~, !~)");
	bad(x, "==1", "filter \"==1\": \"==1\": no field name");
	bad(x, "pid==abc",
	    "filter \"pid==abc\": field pid: \"abc\" is not a "
	    "number");
	bad(x, "pid==-1",
	    "filter \"pid==-1\": field pid: \"-1\" is not a "
	    "number");
	bad(x, "qr_raw==yes",
	    "filter \"qr_raw==yes\": field qr_raw: \"yes\" "
	    "is not true or false");
	bad(x, "id==xyz",
	    "filter \"id==xyz\": field id: \"xyz\" is not a hex "
	    "number");
	bad(x, "name~(",
	    "filter \"name~(\": field name: regular "
	    "expression \"(\": missing closing parenthesis");
	bad(x, "proc==1",
	    "filter \"proc==1\": field \"proc\" is a struct; "
	    "name one of its members");
	bad(x, "", "filter \"\": empty filter");
	bad(x, " , ", "filter \" , \": empty filter");
	bad(x, "pid==1,x==2", "filter \"pid==1,x==2\": unknown field \"x\"");
	bad(x, "other:pid==1",
	    "filter \"other:pid==1\": unknown field \"other:pid\"");
	/* stacked quantifiers make glibc's regcomp() blow up exponentially */
	bad(x, "name~a+++",
	    "filter \"name~a+++\": field name: regular expression "
	    "\"a+++\": stacked quantifiers");
	bad(x, "name~x{2}*",
	    "filter \"name~x{2}*\": field name: regular expression "
	    "\"x{2}*\": stacked quantifiers");
}

static void fields_known__every_rule_s_field__or_not(void **state)
{
	struct fx *x = *state;

	assert_true(filter_fields_known(x->fs, "pid==1, comm~a\\,b"));
	/* other errors are filter_add()'s to tell */
	assert_true(filter_fields_known(x->fs, "pid==abc,name"));
	assert_false(filter_fields_known(x->fs, "pid==1,nope==2"));
	assert_false(filter_fields_known(x->fs, "==1"));
}

static void regex__quantifiers_in_brackets_and_escapes__allowed(void **state)
{
	struct fx *x = *state;
	struct filter *f = NULL;
	struct error *err = NULL;

	assert_int_equal(filter_add(&f, x->fs, "name~^[+*]+\\++x?$", &err), 0);
	assert_int_equal(filter_add(&f, x->fs, "name~(ab+)+c{1\\,2}", &err), 0);
	filter_free(f);
}

static void regex__longer_than_256_bytes__refused(void **state)
{
	struct fx *x = *state;
	struct filter *f = NULL;
	struct error *err = NULL;
	char expr[6 + 257 + 1], want[1024];

	/* 256 bytes compile; one more is refused before regcomp() sees it */
	memcpy(expr, "name~", 5);
	memset(expr + 5, 'a', 256);
	expr[5 + 256] = '\0';
	assert_int_equal(filter_add(&f, x->fs, expr, &err), 0);
	filter_free(f);
	f = NULL;
	expr[5 + 256] = 'a';
	expr[5 + 257] = '\0';
	snprintf(want, sizeof(want),
		 "filter \"%s\": field name: regular expression \"%s\": "
		 "longer than 256 bytes",
		 expr, expr + 5);
	bad(x, expr, want);
}

/* Does RE2 expression re match text (as Go's MatchString)?  The DFA,
 * which answers past the JIT's limit, must say the same. */
static bool re2_match(const char *re, const char *text)
{
	char why[256];
	struct filter_regex *r = filter_regex_new(re, why, sizeof(why));
	bool m;

	if (!r)
		fail_msg("regex %s: %s", re, why);
	m = filter_regex_match(r, text);
	if (filter_regex_match_dfa(r, text) != m)
		fail_msg("%s on \"%s\": the DFA says otherwise", re, text);
	filter_regex_free(r);
	return m;
}

/* What Go's regexp (ig's -F ~) answers, for RE2 syntax that POSIX reads
 * otherwise or refuses. */
static void regex__re2_syntax__as_go_matches(void **state)
{
	static const struct {
		const char *re, *text;
		bool match;
	} cases[] = {
		{ "\\d", "dig9", true },
		{ "\\d", "dig", false }, /* POSIX: a "d" */
		{ "^\\w+$", "dig_9", true },
		{ "^\\w+$", "a-b", false },
		{ "\\s", "a b", true },
		{ "\\S\\D\\W", "a b", false },
		{ "\\x41", "A", true },
		{ "\\x41", "x41", false },
		{ "^\\x{e9}$", "\xc3\xa9", true },
		{ "\\t", "a\tb", true },
		{ "^.{3}$", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", true },
		{ "^[\xc3\xa9]$", "\xc3\xa9", true },
		{ "^[^a]$", "\xc3\xa9", true },
		{ "a.b", "a\nb", false }, /* "." takes no newline */
		{ "(?s)a.b", "a\nb", true },
		{ "\\<", "<", true },
		{ "\\<", "a", false }, /* POSIX: a word start */
		{ "[\\]]", "]", true },
		{ "[\\]]", "\\", false },
		{ "^[\\d.]+$", "1.5", true },
		{ "^[a\\-z]$", "-", true },
		{ "^[a\\-z]$", "b", false },
		{ "^[]a]$", "]", true },
		{ "^[\\^x]$", "^", true },
		{ "^[\\[]$", "[", true },
		{ "^[\\]*+]+$", "]*+", true }, /* no stacked quantifiers */
		{ "^[[:alpha:]*+]+$", "a*+", true },
		{ "^[!-\\]]$", "]", true },
		{ "[[:alpha:]]", "1", false },
		{ "[[:word:]]", "_", true },
		{ "a{,2}", "a", false }, /* not an interval in RE2 */
		{ "a{,2}", "a{,2}", true },
		{ "x{", "x{", true },
		{ "^x{2}$", "xx", true },
		{ "(?i)NSLOOKUP", "nslookup", true },
		{ "NSLOOKUP", "nslookup", false },
		{ "^(?:ab)+$", "abab", true },
		{ "^(?P<n>ab)(?<m>c)$", "abc", true },
		{ "^w.*?example", "www.example.com", true },
		{ "^a+?b??c*?$", "aac", true },
		{ "\\Qa.b\\E", "a.b", true },
		{ "\\Qa.b\\E", "axb", false },
		{ "\\Q*\\", "*\\", true },
		{ "\\A\\d", "9x", true },
		{ "\\A\\d", "x9", false },
		{ "\\d\\z", "x9", true },
		{ "\\bdig\\b", "a dig b", true },
		{ "\\bdig\\b", "digs", false },
		{ "a|", "zzz", true },
		{ "a$", "a\n", false }, /* PCRE2: an end before a last \n */
		{ "(?m)a$", "a\nb", true },
		{ "(?m)^b", "a\nb", true },
		{ "^[\\\\]$", "\\", true },
		{ "^[a\\\\-]+$", "a\\-", true },
		{ "(?i)^\xc3\x89t\xc3\xa9$", "\xc3\xa9T\xc3\x89", true },
		{ "^\\\\$", "\\", true },
		{ "^\\$$", "$", true },
		{ "example", "www.example.com", true }, /* unanchored */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (re2_match(cases[i].re, cases[i].text) != cases[i].match)
			fail_msg("%s on \"%s\": want %d", cases[i].re,
				 cases[i].text, cases[i].match);
}

/* A "~" rule on every event allocates nothing: glibc's regexec() took
 * two allocations a call for a pattern with "." (UTF-8) or (?i). */
static void regex__matched_per_event__allocates_nothing(void **state)
{
	static const struct {
		const char *expr;
		bool match;
	} cases[] = {
		{ "name~ex.mple", true },
		{ "name!~(?i)EXAMPLE", false },
		{ "name~(?i)ex.mple", true },
		{ "name~\\.example\\.com\\.$", true },
		{ "name~^(www|api)\\.", true },
		{ "comm~^(curl|wget)$", false },
	};
	struct fx *x = *state;

	count_allocs();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct filter *f = NULL;
		struct error *err = NULL;
		unsigned long seen;
		bool all = true, any = false;

		if (filter_add(&f, x->fs, cases[i].expr, &err))
			fail_msg("%s: %s", cases[i].expr, error_msg(err));
		filter_match(f, &x->ev);
		allocs = 0;
		for (int n = 0; n < 100; n++) {
			bool m = filter_match(f, &x->ev);

			all &= m;
			any |= m;
		}
		seen = allocs;
		filter_free(f);
		if (all != cases[i].match || any != cases[i].match)
			fail_msg("%s: not %d", cases[i].expr, cases[i].match);
		if (seen)
			fail_msg("%s: %lu allocations in 100 events",
				 cases[i].expr, seen);
	}
}

/*
 * PCRE2 backtracks where RE2 does not: "(a+)+$" against 250 "a" and a
 * "!" takes 2^250 ways.  The JIT stops at its limit, the DFA answers what
 * its workspace can, and the rest is no match (so "!~" passes), counted.
 */
static void regex__exponential_backtracking__bounded_and_counted(void **state)
{
	static const struct {
		const char *re, *short_match;
		bool match;
		unsigned long long gave_up;
	} cases[] = {
		{ "(a+)+$", "aaa", false, 1 }, /* neither can tell */
		{ "^(.*a)*b$", "aab", false, 0 }, /* the DFA's answer */
		{ "^(.*a)*!$", "aa!", true, 0 }, /* the JIT's */
		{ "^(a|aa)+$", "aaa", false, 0 }, /* the DFA's */
		{ "(a|aa)+!$", "a!", true, 0 }, /* the JIT's */
		{ "((a+)+)+$", "aaa", false, 1 },
		{ "(a{1,30}){1,30}$", "aaa", false, 1 },
	};
	struct fx *x = *state;
	struct filter *f = NULL;
	struct error *err = NULL;
	char text[252], why[256];

	memset(text, 'a', 250);
	strcpy(text + 250, "!");
	count_allocs();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct filter_regex *r =
			filter_regex_new(cases[i].re, why, sizeof(why));

		if (!r)
			fail_msg("%s: %s", cases[i].re, why);
		if (filter_regex_match(r, text) != cases[i].match ||
		    filter_regex_gave_up(r) != cases[i].gave_up)
			fail_msg("%s: not %d, or not %llu counted", cases[i].re,
				 cases[i].match, cases[i].gave_up);
		/* the way past the limit allocates nothing either */
		allocs = 0;
		assert_true(filter_regex_match(r, text) == cases[i].match);
		assert_true(allocs == 0);
		/* a text it can tell is not counted */
		assert_true(filter_regex_match(r, cases[i].short_match));
		assert_true(filter_regex_gave_up(r) == 2 * cases[i].gave_up);
		filter_regex_free(r);
	}
	/* through -F (a name of 30 "a" and a "!"): "~" no match, "!~" a
	 * match, both counted; "\\," is the rules' comma */
	memcpy(x->ev.name, text, sizeof(x->ev.name) - 1);
	x->ev.name[sizeof(x->ev.name) - 1] = '\0';
	strcpy(x->ev.name + strlen(x->ev.name) - 1, "!");
	if (filter_add(&f, x->fs, "name~(a{1\\,30}){1\\,30}$", &err))
		fail_msg("%s", error_msg(err));
	assert_false(filter_match(f, &x->ev));
	assert_true(filter_gave_up(f, false) == 1);
	filter_free(f);
	f = NULL;
	if (filter_add(&f, x->fs, "name!~(a{1\\,30}){1\\,30}$", &err))
		fail_msg("%s", error_msg(err));
	assert_true(filter_match(f, &x->ev));
	assert_true(filter_gave_up(f, false) == 1);
	/* events are counted, each once, however many of its rules gave
	 * up (it counted matches: 2 here, then 4) */
	if (filter_add(&f, x->fs, "name!~((a{1\\,30}){1\\,30})+$", &err))
		fail_msg("%s", error_msg(err));
	assert_true(filter_match(f, &x->ev));
	assert_true(filter_gave_up(f, false) == 2);
	assert_true(filter_match(f, &x->ev));
	assert_true(filter_gave_up(f, false) == 3);
	assert_true(filter_gave_up(f, true) == 0);
	filter_free(f);
}

/* RE2 syntax without a POSIX form is refused by name, not misread. */
static void regex__re2_without_posix_form__refused(void **state)
{
	static const struct {
		const char *re, *why;
	} cases[] = {
		{ "\\pL",
		  "uses Unicode classes (\\p), which are not supported" },
		{ "(a)\\1", "uses \\digits (backreferences and octal escapes), "
			    "which are not supported" },
		{ "a(?i)b", "sets flags after its start, which is not "
			    "supported" },
		{ "(?i:a)b", "sets flags for a group, which is not supported "
			     "(only a leading (?i) and such)" },
		{ "[\\D]", "uses \\D, \\S or \\W inside [...], which is not "
			   "supported" },
		{ "\\e", "has an unknown escape" },
		{ "a\\", "ends with a backslash" },
		{ "[abc", "has a [ without its ]" },
		{ "[z-a]", "has a range out of order" },
		{ "\\x{110000}", "has a bad \\x escape" },
		{ "\\x{24", "has a bad \\x escape" },
		{ "a*?*", "stacked quantifiers" },
		{ "a++", "stacked quantifiers" }, /* PCRE2: possessive */
		{ "a?+", "stacked quantifiers" },
		/* PCRE2's verbs, lookaround and recursion are not RE2's */
		{ "(*ACCEPT)a", "has a repetition without its argument" },
		{ "(*LF)a", "has a repetition without its argument" },
		{ "(?=a)", "has an unknown (? group" },
		{ "(?!a)", "has an unknown (? group" },
		{ "(?>a)", "has an unknown (? group" },
		{ "(?R)", "has an unknown (? group" },
		{ "\\k<n>", "has an unknown escape" },
		{ "\\g1", "has an unknown escape" },
		{ "\\C", "has an unknown escape" },
	};
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		if (filter_regex_new(cases[i].re, why, sizeof(why)))
			fail_msg("%s compiled", cases[i].re);
		assert_string_equal(why, cases[i].why);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* A float32 field compares with the value read as a float32, as ig's
 * strconv.ParseFloat(v, 32): 0.1 matches float32(0.1), which is not the
 * double 0.1; a float64 field with a double; a value no float32 holds is
 * an error */
static void float__value_read_at_field_size(void **state)
{
	struct {
		float f32;
		double f64;
	} ev = { 0.1f, 0.1 };
	struct btf *btf = btf__new_empty();
	struct fieldset *fs = NULL;
	struct filter *f = NULL;
	struct error *err = NULL;
	static const struct {
		const char *expr;
		bool want;
	} cases[] = {
		{ "f32==0.1", true },
		{ "f32!=0.1", false },
		{ "f32>=0.1", true },
		{ "f32<=0.1", true },
		{ "f32==0.10000000149011612", true },
		{ "f32>0.1", false },
		{ "f64==0.1", true },
		{ "f64==0.10000000149011612", false },
		{ "f64<0.10000000149011612", true },
	};
	int t4, t8, st;

	(void)state;
	t4 = btf__add_float(btf, "float", 4);
	t8 = btf__add_float(btf, "double", 8);
	/* btf__add_field() extends the last type added: the struct */
	st = btf__add_struct(btf, "event_t", sizeof(ev));
	btf__add_field(btf, "f32", t4, 0, 0);
	btf__add_field(btf, "f64", t8, 64, 0);
	assert_int_equal(fieldset_new(btf, (__u32)st, NULL, "ds", &fs, &err),
			 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (filter_add(&f, fs, cases[i].expr, &err))
			fail_msg("%s: %s", cases[i].expr, error_msg(err));
		if (filter_match(f, &ev) != cases[i].want)
			fail_msg("%s: not %d", cases[i].expr, cases[i].want);
		filter_free(f);
		f = NULL;
	}
	assert_int_not_equal(filter_add(&f, fs, "f32==1e39", &err), 0);
	assert_non_null(strstr(error_msg(err), "out of range"));
	error_free(err);
	err = NULL;
	assert_int_equal(filter_add(&f, fs, "f64==1e39", &err), 0);
	filter_free(f);
	fieldset_free(fs);
	btf__free(btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(numbers__compare_as_numbers),
		T(bools_and_hex__by_value),
		T(strings__compare_as_text),
		T(empty_text__told_without_regex),
		T(names__kept_per_namespace__until_containers_change),
		T(strings__raw_value__not_terminal_escapes),
		T(formatted__by_shown_value),
		T(durations__compare_as_nanoseconds),
		T(durations__signed_as_go_takes_them),
		T(timestamps__compare_as_times),
		T(timestamps__invalid_dates_refused_as_go),
		T(enums__by_name_or_number),
		T(typed__bad_values_are_usage_errors),
		T(comma__and_with_escape),
		T(repeated__anded),
		T(names__any_case_and_alias),
		T(names__unnamed_container__kept_by_a_name_left_out),
		T(errors__usage_messages),
		T(fields_known__every_rule_s_field__or_not),
		T(regex__quantifiers_in_brackets_and_escapes__allowed),
		T(regex__longer_than_256_bytes__refused),
		cmocka_unit_test(regex__re2_syntax__as_go_matches),
		cmocka_unit_test(regex__re2_without_posix_form__refused),
		T(regex__matched_per_event__allocates_nothing),
		T(regex__exponential_backtracking__bounded_and_counted),
		cmocka_unit_test(float__value_read_at_field_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
