// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/fields_format.c: the text of every kind of value, on the
 * fixture event and on a second BTF for the kinds it lacks.
 */
#include <math.h>
#include <sys/syscall.h>

#include "runner/engine/filter_value.h"
#include "tests/unit/fields_fx.h"

/* localtime_r is wrapped (-Wl,--wrap) to count the local times made. */
struct tm *__real_localtime_r(const time_t *t, struct tm *tm);
struct tm *__wrap_localtime_r(const time_t *t, struct tm *tm);

static int localtimes;

struct tm *__wrap_localtime_r(const time_t *t, struct tm *tm)
{
	localtimes++;
	return __real_localtime_r(t, tm);
}

static void text__every_kind__rendered(void **state)
{
	struct fx *x = *state;

	assert_string_equal(text(x, "proc.comm"), "nslookup");
	assert_string_equal(text(x, "proc.pid"), "4242");
	assert_string_equal(text(x, "proc.creds.user"), "root");
	assert_string_equal(text(x, "proc.creds.group"), "root");
	assert_string_equal(text(x, "src"), "10.0.0.1:40000");
	assert_string_equal(text(x, "src.addr"), "10.0.0.1");
	assert_string_equal(text(x, "src.proto"), "UDP");
	assert_string_equal(text(x, "dst"), "[fd00::53]:53");
	assert_string_equal(text(x, "dst.proto"), "TCP");
	assert_string_equal(text(x, "nameserver"), "fd00::53");
	assert_string_equal(text(x, "addresses"), "192.0.2.7");
	assert_string_equal(text(x, "latency_ns"), "1.23ms");
	assert_string_equal(text(x, "latency_ns_raw"), "1234567");
	assert_string_equal(text(x, "id"), "0c3b");
	assert_string_equal(text(x, "qtype"), "NS");
	assert_string_equal(text(x, "pkt_type"), "OUTGOING");
	assert_string_equal(text(x, "qr"), "R");
	assert_string_equal(text(x, "qr_raw"), "true");
	assert_string_equal(text(x, "rcode"), "NameError");
	assert_string_equal(text(x, "tc"), "false");
	assert_string_equal(text(x, "name"), "a\\x01b.");
	assert_string_equal(text(x, "delta"), "-7");
	assert_string_equal(text(x, "flags_lo"), "5");
	assert_string_equal(text(x, "flags_hi"), "17");
	assert_string_equal(text(x, "pad"), "4294967295");
}

static void text__shown_if_false__empty(void **state)
{
	struct fx *x = *state;

	x->ev.qr_raw = false;
	assert_string_equal(text(x, "rcode"), "");
	assert_string_equal(text(x, "rcode_raw"), "3");
	assert_string_equal(text(x, "qr"), "Q");
}

/* A value no enumerator names is "UNKNOWN", as ig's enum formatter says;
 * one-of entries (ours) show the number. */
static void text__out_of_range__unknown_or_number(void **state)
{
	struct fx *x = *state;

	x->ev.pkt_type_raw = 200;
	x->ev.qtype_raw = 28;
	assert_string_equal(text(x, "pkt_type"), "UNKNOWN");
	assert_string_equal(text(x, "qtype"), "28");
}

static void text__endpoints_without_version__empty(void **state)
{
	struct fx *x = *state;

	memset(&x->ev.src, 0, sizeof(x->ev.src));
	memset(x->ev.addresses, 0, sizeof(x->ev.addresses));
	assert_string_equal(text(x, "src"), "");
	assert_string_equal(text(x, "src.addr"), "");
	assert_string_equal(text(x, "addresses"), "");
	x->ev.addresses[0].version = 6;
	inet_pton(AF_INET6, "2001:db8::1", x->ev.addresses[0].addr_raw.v6);
	x->ev.addresses[1].version = 4;
	inet_pton(AF_INET, "255.255.255.255", x->ev.addresses[1].addr_raw.v6);
	assert_string_equal(text(x, "addresses"),
			    "2001:db8::1,255.255.255.255");
}

/* Protocols by ig's names (IANA's keywords, not /etc/protocols'), and
 * "proto#N" for the unassigned ones, as ig writes them. */
static void text__protocols__named_like_ig(void **state)
{
	static const struct {
		__u16 proto;
		const char *want;
	} cases[] = {
		{ 0, "HOPOPT" },
		{ 1, "ICMP" },
		{ 4, "IPv4" },
		{ 17, "UDP" },
		{ 50, "ESP" },
		{ 58, "IPv6-ICMP" },
		{ 99, "private" },
		{ 124, "ISIS over IPv4" },
		{ 135, "Mobility Header" },
		{ 136, "UDPLite" },
		{ 145, "NSH" },
		{ 146, "proto#146" },
		{ 252, "proto#252" },
		{ 253, "experimentation" },
		{ 254, "experimentation" },
		{ 255, "reserved" },
		{ 256, "proto#256" },
		{ 65535, "proto#65535" },
	};
	struct fx *x = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		x->ev.src.proto_raw = cases[i].proto;
		assert_string_equal(text(x, "src.proto"), cases[i].want);
	}
}

/*
 * As ig's formatDuration(): ns below 1us, else Go's "%.2f" of the float64
 * count of us or ms, else Go's time.Duration.String().  The texts below
 * 1s are python3's "%.2f" % (ns / 1000) (or / 10**6), correctly rounded
 * like Go's: the ties (1005, 1015, 1025, 2675, 1125, 1005000, ...) land
 * on either side, by the double nearest the decimal value.
 */
static void text__durations__like_ig(void **state)
{
	static const struct {
		__u64 ns;
		const char *want;
	} cases[] = {
		{ 0, "0ns" },
		{ 1, "1ns" },
		{ 999, "999ns" },
		{ 1000, "1.00\xc2\xb5s" },
		{ 1004, "1.00\xc2\xb5s" },
		{ 1005, "1.00\xc2\xb5s" },
		{ 1006, "1.01\xc2\xb5s" },
		{ 1015, "1.01\xc2\xb5s" },
		{ 1025, "1.02\xc2\xb5s" },
		{ 1035, "1.03\xc2\xb5s" },
		{ 1045, "1.04\xc2\xb5s" },
		{ 1055, "1.05\xc2\xb5s" },
		{ 1125, "1.12\xc2\xb5s" },
		{ 1375, "1.38\xc2\xb5s" },
		{ 1500, "1.50\xc2\xb5s" },
		{ 2675, "2.67\xc2\xb5s" },
		{ 134941, "134.94\xc2\xb5s" },
		{ 134945, "134.94\xc2\xb5s" },
		{ 999990, "999.99\xc2\xb5s" },
		{ 999994, "999.99\xc2\xb5s" },
		{ 999995, "1000.00\xc2\xb5s" },
		{ 999999, "1000.00\xc2\xb5s" },
		{ 1000000, "1.00ms" },
		{ 1005000, "1.00ms" },
		{ 1015000, "1.01ms" },
		{ 1234567, "1.23ms" },
		{ 2675000, "2.67ms" },
		{ 29355000, "29.36ms" },
		{ 999994999, "999.99ms" },
		{ 999995000, "1000.00ms" },
		{ 999999999, "1000.00ms" },
		{ 1000000000, "1s" },
		{ 1005000000, "1.005s" },
		{ 61500000000ULL, "1m1.5s" },
		{ 3600000000000ULL, "1h0m0s" },
		{ 3723000000001ULL, "1h2m3.000000001s" },
		{ 9223372036854775807ULL, "2562047h47m16.854775807s" },
		/* a time.Duration: 2^63 ns and more are negative */
		{ 9223372036854775808ULL, "-9223372036854775808ns" },
		{ 18446744073709551615ULL, "-1ns" },
	};
	struct fx *x = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		__u64 ns = cases[i].ns, back, err;
		const char *why;

		x->ev.latency_ns_raw = ns;
		assert_string_equal(text(x, "latency_ns"), cases[i].want);
		/* -F reads the text back, to within its rounding */
		if (ns >= 1000000000ULL)
			continue;
		assert_int_equal(filter_parse_duration(cases[i].want,
						       (uint64_t *)&back, &why),
				 0);
		err = back > ns ? back - ns : ns - back;
		assert_true(err <= (ns < 1000000 ? 5 : 5000));
	}
}

/* The expected text, computed here with gmtime and a fixed offset. */
static void want_time(char *out, long long wall_ns, int off_min)
{
	time_t s = (time_t)(wall_ns / 1000000000LL) + off_min * 60;
	struct tm tm;
	char date[32];

	gmtime_r(&s, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	if (off_min)
		sprintf(out, "%s.%09lld%c%02d:%02d", date,
			wall_ns % 1000000000LL, off_min < 0 ? '-' : '+',
			abs(off_min) / 60, abs(off_min) % 60);
	else
		sprintf(out, "%s.%09lldZ", date, wall_ns % 1000000000LL);
}

static void text__timestamp__local_rfc3339_nanoseconds(void **state)
{
	struct fx *x = *state;
	char want[64];
	long long wall =
		(long long)x->ev.timestamp_raw + x->fs->boot_to_real_ns;
	struct timespec rt, bt;

	/* the offset is CLOCK_REALTIME - CLOCK_BOOTTIME, to a millisecond */
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	assert_true(llabs((rt.tv_sec - bt.tv_sec) * 1000000000LL +
			  (rt.tv_nsec - bt.tv_nsec) - x->fs->boot_to_real_ns) <
		    1000000LL);

	setenv("TZ", "UTC", 1);
	tzset();
	x->rc.ts_prefix_len = 0;
	want_time(want, wall, 0);
	assert_string_equal(text(x, "timestamp"), want);
	/* and timestamp_raw the same instant in Unix ns, as ig's */
	snprintf(want, sizeof(want), "%lld", wall);
	assert_string_equal(text(x, "timestamp_raw"), want);

	setenv("TZ", "XST-05:30", 1);
	tzset();
	x->rc.ts_prefix_len = 0;
	want_time(want, wall, 330);
	assert_string_equal(text(x, "timestamp"), want);

	setenv("TZ", "YST+03", 1);
	tzset();
	x->rc.ts_prefix_len = 0;
	x->ev.timestamp_raw += 999999995ULL; /* carry into the next second */
	want_time(want, wall + 999999995LL, -180);
	assert_string_equal(text(x, "timestamp"), want);
	setenv("TZ", "UTC", 1);
	tzset();
}

/* The field set of BTF struct st as data source "x" with the gadget.yaml
 * yaml (NULL: none; freed at once: the field set copies what it keeps),
 * and rc its render context. */
static struct fieldset *fs_open(struct btf *btf, int st, const char *yaml,
				struct render_ctx *rc)
{
	struct gadget_metadata *md = yaml ? md_of(yaml) : NULL;
	struct fieldset *fs = NULL;
	struct error *err = NULL;

	assert_int_equal(fieldset_new(btf, st, md, "x", &fs, &err), 0);
	metadata_free(md);
	render_ctx_init(rc, fs);
	return fs;
}

/* fs_open()'s field set and render context gone, and btf (NULL: kept). */
static void fs_close(struct fieldset *fs, struct render_ctx *rc,
		     struct btf *btf)
{
	render_ctx_fini(rc);
	fieldset_free(fs);
	btf__free(btf);
}

static void text__signal_errno_mode_flags__by_name(void **state)
{
	struct btf *btf = btf__new_empty();
	struct fieldset *fs;
	struct render_ctx rc;
	int u32, s32, sig, eno, mode, flags, st;
	__u32 ev[6];
	char buf[512];

	(void)state;
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	sig = btf__add_typedef(btf, "gadget_signal", u32);
	eno = btf__add_typedef(btf, "gadget_errno", s32);
	mode = btf__add_typedef(btf, "gadget_file_mode", u32);
	flags = btf__add_typedef(btf, "gadget_file_flags", u32);
	st = btf__add_struct(btf, "ev", sizeof(ev));
	btf__add_field(btf, "sig_raw", sig, 0, 0);
	btf__add_field(btf, "error_raw", eno, 32, 0);
	btf__add_field(btf, "mode", mode, 64, 0);
	btf__add_field(btf, "flags", flags, 96, 0);
	btf__add_field(btf, "mode2", mode, 128, 0);
	btf__add_field(btf, "flags2", flags, 160, 0);
	fs = fs_open(btf, st, NULL, &rc);
	ev[0] = 9;
	ev[1] = (__u32)-2;
	ev[2] = 0100755;
	ev[3] = 01 | 0100 | 01000 | 02000000; /* WRONLY CREAT TRUNC CLOEXEC */
	ev[4] = 0041777 | 04000;
	ev[5] = 02 | 0x80000000u;
#define T(name, want) FX_ASSERT_TEXT(&rc, fs, ev, buf, name, want)
	T("sig", "SIGKILL");
	T("sig_raw", "9");
	T("error", "ENOENT");
	T("error_raw", "-2");
	T("mode", "-rwxr-xr-x");
	T("flags", "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC");
	T("mode2", "drwsrwxrwt");
	T("flags2", "O_RDWR|0x80000000");
	/* as ig: no error shows nothing, numbers without a name say so */
	ev[0] = 29;
	ev[1] = 0;
	T("sig", "SIGIO");
	T("error", "");
	ev[0] = 40;
	ev[1] = 4000;
	T("sig", "signal#40");
	T("error", "error#4000");
	ev[0] = 0;
	T("sig", "signal#0");
	ev[3] = 020000; /* FASYNC, as ig spells it */
	T("flags", "O_RDONLY|O_FASYNC");
#undef T
	fs_close(fs, &rc, btf);
}

/* gadget_syscall: X_raw gets X, "SYS_" and the name in upper case as ig's
 * formatter shows it (numbers from the kernel's header), "SYS_UNKNOWN"
 * without a name; a member not named X_raw stays a number, as in ig. */
static void text__syscall_raw__by_name(void **state)
{
	struct btf *btf = btf__new_empty();
	struct fieldset *fs;
	struct render_ctx rc;
	int u64, sc, st;
	__u64 ev[2];
	char buf[512];

	(void)state;
	u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	sc = btf__add_typedef(btf, "gadget_syscall", u64);
	st = btf__add_struct(btf, "ev", sizeof(ev));
	btf__add_field(btf, "syscall_raw", sc, 0, 0);
	btf__add_field(btf, "nr", sc, 64, 0);
	fs = fs_open(btf, st, NULL, &rc);
	ev[0] = ev[1] = __NR_openat;
	FX_ASSERT_TEXT(&rc, fs, ev, buf, "syscall", "SYS_OPENAT");
	ev[0] = __NR_getppid;
	FX_ASSERT_TEXT(&rc, fs, ev, buf, "syscall", "SYS_GETPPID");
	ev[0] = __NR_read;
	FX_ASSERT_TEXT(&rc, fs, ev, buf, "syscall", "SYS_READ");
	ev[0] = 1000;
	FX_ASSERT_TEXT(&rc, fs, ev, buf, "syscall", "SYS_UNKNOWN");
	FX_ASSERT_TEXT(&rc, fs, ev, buf, "syscall_raw", "1000");
	ev[0] = ~0ULL;
	FX_ASSERT_TEXT(&rc, fs, ev, buf, "syscall", "SYS_UNKNOWN");
	{
		char want[32];

		snprintf(want, sizeof(want), "%d", __NR_openat);
		FX_ASSERT_TEXT(&rc, fs, ev, buf, "nr", want);
	}
	fs_close(fs, &rc, btf);
}

/* ig's target annotations (formatters.<kind>.target, ebpf.formatter.enum)
 * name the field a value is formatted in; the value keeps its name and
 * stays a number, as in ig. */
static void text__target_annotations__name_the_formatted_field(void **state)
{
	static const char yaml[] =
		"datasources:\n  x:\n    fields:\n"
		"      sig: {annotations: {formatters.signal.target: signame}}\n"
		"      eno: {annotations: {formatters.errno.target: error}}\n"
		"      size: {annotations: {formatters.bytes.target: human}}\n"
		"      color: {annotations: {ebpf.formatter.enum: color_name}}\n"
		"      nr_raw: {annotations: {formatters.syscall.target: call}}\n";
	struct btf *btf = btf__new_empty();
	struct fieldset *fs;
	struct render_ctx rc;
	int u32, u64, sig, eno, by, sc, en, st;
	__u32 ev[8] = { 9, 2, 0, 0, 1, 0, 0, 0 };
	char buf[512];

	(void)state;
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	sig = btf__add_typedef(btf, "gadget_signal", u32);
	eno = btf__add_typedef(btf, "gadget_errno", u32);
	by = btf__add_typedef(btf, "gadget_bytes", u64);
	sc = btf__add_typedef(btf, "gadget_syscall", u64);
	en = btf__add_enum(btf, "color", 4);
	btf__add_enum_value(btf, "RED", 0);
	btf__add_enum_value(btf, "GREEN", 1);
	st = btf__add_struct(btf, "ev", sizeof(ev));
	btf__add_field(btf, "sig", sig, 0, 0);
	btf__add_field(btf, "eno", eno, 32, 0);
	btf__add_field(btf, "size", by, 64, 0);
	btf__add_field(btf, "color", en, 128, 0);
	btf__add_field(btf, "nr_raw", sc, 192, 0);
	ev[2] = 1500; /* size */
	ev[6] = __NR_getppid; /* nr_raw */
	fs = fs_open(btf, st, yaml, &rc);
#define T(name, want) FX_ASSERT_TEXT(&rc, fs, ev, buf, name, want)
	T("signame", "SIGKILL");
	T("sig", "9");
	T("error", "ENOENT");
	T("eno", "2");
	T("human", "1.5 kB");
	T("size", "1500");
	T("color_name", "GREEN");
	T("color", "1");
	T("call", "SYS_GETPPID");
#undef T
	assert_int_equal(fieldset_lookup(fs, "nr"), -1);
	assert_true(fs->f[fieldset_lookup(fs, "sig")].hidden);
	fs_close(fs, &rc, btf);
}

/* columns.precision: the decimals of a float in text, as ig's
 * strconv.FormatFloat(v, 'f', n, 64); none without it (ig's columns of
 * a data source default to 0); NaN and infinities as Go spells them;
 * only on floats. */
static void text__float_precision__decimals(void **state)
{
	static const char yaml[] =
		"datasources:\n  x:\n    fields:\n"
		"      two: {annotations: {columns.precision: \"2\"}}\n"
		"      none: {annotations: {columns.precision: \"0\"}}\n";
	struct gadget_metadata *bad = md_of("datasources:\n  x:\n    fields:\n"
					    "      n: {annotations: "
					    "{columns.precision: \"2\"}}\n");
	struct btf *btf = btf__new_empty();
	struct fieldset *fs = NULL;
	struct render_ctx rc;
	struct error *err = NULL;
	int flt, dbl, u32, st, st2;
	double ev[3] = { 2.0 / 3, 2.5e10, 2.0 / 3 };
	char buf[512];

	(void)state;
	flt = btf__add_float(btf, "float", 4);
	dbl = btf__add_float(btf, "double", 8);
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	st = btf__add_struct(btf, "ev", sizeof(ev));
	btf__add_field(btf, "two", dbl, 0, 0);
	btf__add_field(btf, "none", dbl, 64, 0);
	btf__add_field(btf, "plain", dbl, 128, 0);
	st2 = btf__add_struct(btf, "ev2", 8);
	btf__add_field(btf, "n", u32, 0, 0);
	btf__add_field(btf, "f", flt, 32, 0);
	fs = fs_open(btf, st, yaml, &rc);
	FX_ASSERT_TEXT(&rc, fs, ev, buf, "two", "0.67");
	FX_ASSERT_TEXT(&rc, fs, ev, buf, "none", "25000000000");
	FX_ASSERT_TEXT(&rc, fs, ev, buf, "plain", "1");
	ev[2] = -INFINITY;
	FX_ASSERT_TEXT(&rc, fs, ev, buf, "plain", "-Inf");
	ev[2] = INFINITY;
	FX_ASSERT_TEXT(&rc, fs, ev, buf, "plain", "+Inf");
	ev[2] = NAN;
	FX_ASSERT_TEXT(&rc, fs, ev, buf, "plain", "NaN");
	fs_close(fs, &rc, NULL);
	fs = NULL;
	assert_int_equal(fieldset_new(btf, st2, bad, "x", &fs, &err), -1);
	assert_string_equal(error_msg(err), "data source x: field n: "
					    "columns.precision on a field "
					    "that is not a float");
	error_free(err);
	btf__free(btf);
	metadata_free(bad);
}

/* formatters.timestamp.format, a Go layout: Go's reference time (Mon Jan
 * 2 15:04:05 MST 2006, 1136239445 s) in a zone 7 hours west written by
 * a layout gives the layout back, as Go's documentation defines layouts;
 * fractions, ISO zones at UTC and the padded forms as Go writes them. */
static void text__timestamp_format__go_layouts(void **state)
{
	static const struct {
		const char *tz, *layout, *want;
		long nsec;
	} cases[] = {
		{ "MST7", "Mon Jan 2 15:04:05 MST 2006", NULL, 0 },
		{ "MST7", "Monday, 02-Jan-06 15:04:05 MST", NULL, 0 },
		{ "MST7", "Mon, 02 Jan 2006 15:04:05 -0700", NULL, 0 },
		{ "MST7", "2006-01-02T15:04:05.000-07:00", NULL, 0 },
		{ "MST7", "January 2, 2006 3:04PM 03 pm 002 -07 -07:00:00",
		  NULL, 0 },
		{ "MST7", "_2 __2 .999 .000000", " 2   2  .000000", 0 },
		{ "UTC0", "15:04:05.999999999Z07:00", "22:04:05.12345678Z",
		  123456780 },
		{ "UTC0", "Jan Janx Monx _2006", "Jan Janx Monx _2006", 0 },
		{ "XST-05:30", "Z0700 -070000 ,000", "+0530 +053000 ,123",
		  123456789 },
	};
	struct btf *btf = btf__new_empty();
	struct render_ctx rc;
	struct error *err = NULL;
	int ts, st;
	__u64 ev[1];
	char buf[2048];

	(void)state;
	ts = btf__add_typedef(btf, "gadget_timestamp",
			      btf__add_int(btf, "unsigned long long", 8, 0));
	st = btf__add_struct(btf, "ev", sizeof(ev));
	btf__add_field(btf, "t_raw", ts, 0, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[512];
		struct fieldset *fs;

		snprintf(yaml, sizeof(yaml),
			 "datasources:\n  x:\n    fields:\n      t_raw:\n"
			 "        annotations:\n"
			 "          formatters.timestamp.format: \"%s\"\n",
			 cases[i].layout);
		setenv("TZ", cases[i].tz, 1);
		tzset();
		fs = fs_open(btf, st, yaml, &rc);
		ev[0] = (__u64)(1136239445LL * 1000000000LL + cases[i].nsec -
				fs->boot_to_real_ns);
		FX_ASSERT_TEXT(&rc, fs, ev, buf, "t",
			       cases[i].want ? cases[i].want : cases[i].layout);
		fs_close(fs, &rc, NULL);
	}
	setenv("TZ", "UTC", 1);
	tzset();
	{ /* copied to terminals as it is: printable ASCII only */
		struct gadget_metadata *md = md_of(
			"datasources:\n  x:\n    fields:\n      t_raw:\n"
			"        annotations:\n"
			"          formatters.timestamp.format: \"15:04\\e[2J\"\n");
		struct fieldset *fs = NULL;

		assert_int_equal(fieldset_new(btf, st, md, "x", &fs, &err), -1);
		assert_non_null(strstr(error_msg(err),
				       "of annotation formatters.timestamp."
				       "format"));
		error_free(err);
		metadata_free(md);
	}
	btf__free(btf);
}

/*
 * A layout's time is made once a second: the events of that second reuse
 * its text (one localtime_r()) and write only their fractions, of any
 * width, wherever the layout has them.
 */
static void text__timestamp_format__second_reused(void **state)
{
	static const struct {
		long long sec;
		long nsec;
		const char *want;
		int localtimes;
	} cases[] = {
		{ 0, 120000000, "22:04:05.120 .12|05,12 Z", 1 },
		{ 0, 0, "22:04:05.000 |05 Z", 1 },
		{ 0, 7000000, "22:04:05.007 .007|05 Z", 1 },
		{ 1, 999999999, "22:04:06.999 .999|06,99 Z", 2 },
		{ 0, 50000000, "22:04:05.050 .05|05,05 Z", 3 },
	};
	static const char yaml[] =
		"datasources:\n  x:\n    fields:\n      t_raw:\n"
		"        annotations:\n"
		"          formatters.timestamp.format: "
		"\"15:04:05.000 .999|05,99 Z07:00\"\n";
	struct btf *btf = btf__new_empty();
	struct fieldset *fs;
	struct render_ctx rc;
	__u64 ev[1];
	char buf[2048];
	int ts, st;

	(void)state;
	ts = btf__add_typedef(btf, "gadget_timestamp",
			      btf__add_int(btf, "unsigned long long", 8, 0));
	st = btf__add_struct(btf, "ev", sizeof(ev));
	btf__add_field(btf, "t_raw", ts, 0, 0);
	setenv("TZ", "UTC0", 1);
	tzset();
	fs = fs_open(btf, st, yaml, &rc);
	localtimes = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ev[0] = (__u64)((1136239445LL + cases[i].sec) * 1000000000LL +
				cases[i].nsec - fs->boot_to_real_ns);
		FX_ASSERT_TEXT(&rc, fs, ev, buf, "t", cases[i].want);
		assert_int_equal(localtimes, cases[i].localtimes);
	}
	fs_close(fs, &rc, btf);
	setenv("TZ", "UTC", 1);
	tzset();
}

/*
 * Two layout fields in one event keep a second's text each: events of
 * that second make each layout's local time once, not once per field
 * and event, whichever order the fields are written in.
 */
static void text__timestamp_format__two_layouts_each_kept(void **state)
{
	static const char yaml[] =
		"datasources:\n  x:\n    fields:\n      a_raw:\n"
		"        annotations:\n"
		"          formatters.timestamp.format: \"15:04:05.000\"\n"
		"      b_raw:\n"
		"        annotations:\n"
		"          formatters.timestamp.format: \"Jan _2 .99\"\n";
	struct btf *btf = btf__new_empty();
	struct fieldset *fs;
	struct render_ctx rc;
	__u64 ev[2], base;
	char buf[2048];
	int ts, st;

	(void)state;
	ts = btf__add_typedef(btf, "gadget_timestamp",
			      btf__add_int(btf, "unsigned long long", 8, 0));
	st = btf__add_struct(btf, "ev", sizeof(ev));
	btf__add_field(btf, "a_raw", ts, 0, 0);
	btf__add_field(btf, "b_raw", ts, 64, 0);
	setenv("TZ", "UTC0", 1);
	tzset();
	fs = fs_open(btf, st, yaml, &rc);
	base = (__u64)(1136239445LL * 1000000000LL - fs->boot_to_real_ns);
	localtimes = 0;
	for (int i = 0; i < 10; i++) {
		char a[32], b[32];

		ev[0] = base + (__u64)i * 1000000;
		ev[1] = base + (__u64)i * 10000000;
		snprintf(a, sizeof(a), "22:04:05.00%d", i);
		if (i)
			snprintf(b, sizeof(b), "Jan  2 .0%d", i);
		else
			snprintf(b, sizeof(b), "Jan  2 ");
		FX_ASSERT_TEXT(&rc, fs, ev, buf, "a", a);
		FX_ASSERT_TEXT(&rc, fs, ev, buf, "b", b);
	}
	assert_int_equal(localtimes, 2);
	fs_close(fs, &rc, btf);
	setenv("TZ", "UTC", 1);
	tzset();
}

/* gadget_bytes: X_raw gets X in SI units, as ig's formatter (go-humanize);
 * a member not named X_raw stays a number, as there. */
static void text__bytes_raw__si_units(void **state)
{
	static const struct {
		__u64 v;
		const char *want;
	} cases[] = {
		{ 0, "0 B" },
		{ 9, "9 B" },
		{ 512, "512 B" },
		{ 1234, "1.2 kB" },
		{ 999999, "1000 kB" },
		{ 1000000, "1.0 MB" },
		{ 256000000, "256 MB" },
		{ 5000000000000ULL, "5.0 TB" },
		{ ~0ULL, "18 EB" },
	};
	struct btf *btf = btf__new_empty();
	struct fieldset *fs;
	struct render_ctx rc;
	int u64, by, st;
	__u64 ev[2];
	char buf[512];

	(void)state;
	u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	by = btf__add_typedef(btf, "gadget_bytes", u64);
	st = btf__add_struct(btf, "ev", sizeof(ev));
	btf__add_field(btf, "rbytes_raw", by, 0, 0);
	btf__add_field(btf, "total", by, 64, 0);
	fs = fs_open(btf, st, NULL, &rc);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ev[0] = ev[1] = cases[i].v;
		FX_ASSERT_TEXT(&rc, fs, ev, buf, "rbytes", cases[i].want);
	}
	FX_ASSERT_TEXT(&rc, fs, ev, buf, "rbytes_raw", "18446744073709551615");
	FX_ASSERT_TEXT(&rc, fs, ev, buf, "total", "18446744073709551615");
	fs_close(fs, &rc, btf);
}

/* ig's bit-flag enums: a name ending in _set joins the names of the set
 * bits, in declaration order, with "|" or the field's
 * ebpf.formatter.bitfield.separator. */
static void text__flag_enum__set_names_joined(void **state)
{
	static const char yaml[] =
		"name: t\n"
		"datasources:\n"
		"  x:\n"
		"    fields:\n"
		"      opts2_raw:\n"
		"        annotations:\n"
		"          ebpf.formatter.bitfield.separator: \", \"\n";
	struct btf *btf = btf__new_empty();
	struct fieldset *fs;
	struct render_ctx rc;
	int en, st;
	__u8 ev[2];
	char buf[512];

	(void)state;
	en = btf__add_enum(btf, "opts_set", 1);
	btf__add_enum_value(btf, "REUSEPORT", 4);
	btf__add_enum_value(btf, "FREEBIND", 1);
	btf__add_enum_value(btf, "TRANSPARENT", 2);
	st = btf__add_struct(btf, "ev", sizeof(ev));
	btf__add_field(btf, "opts_raw", en, 0, 0);
	btf__add_field(btf, "opts2_raw", en, 8, 0);
	fs = fs_open(btf, st, yaml, &rc);
	ev[0] = 1 | 4 | 8;
	ev[1] = 2 | 4;
#define T(name, want) FX_ASSERT_TEXT(&rc, fs, ev, buf, name, want)
	T("opts", "REUSEPORT|FREEBIND");
	T("opts_raw", "13");
	T("opts2", "REUSEPORT, TRANSPARENT");
	ev[0] = 0;
	T("opts", "");
#undef T
	fs_close(fs, &rc, btf);
}

/*
 * A text as ig's columns show it: Go's strconv.Quote without its quotes.
 * A backslash is doubled, so the text "\x0a" and a newline byte read
 * apart ("\\x0a", "\n"), as every escape and the byte it stands for.
 */
static void quote__as_gos_strconv_quote(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "a\\x0a", "a\\\\x0a" },
		{ "a\n", "a\\n" },
		{ "\a\b\f\r\t\v", "\\a\\b\\f\\r\\t\\v" },
		{ "say \"hi\"", "say \\\"hi\\\"" },
		{ "\x1b[2J\x01\x7f", "\\x1b[2J\\x01\\x7f" },
		{ "\xff\xc3(", "\\xff\\xc3(" },
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" }, /* a surrogate */
		{ "\xc2\x85\xc2\xa0\xc2\xad", "\\u0085\\u00a0\\u00ad" },
		{ "\xe2\x80\xa8\xef\xbb\xbf", "\\u2028\\ufeff" },
		{ "\xf3\xa0\x80\x81", "\\U000e0001" },
		{ "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80",
		  "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80" },
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = field_quote(out, cases[i].in, strlen(cases[i].in));

		assert_true(n <= 4 * strlen(cases[i].in));
		out[n] = '\0';
		assert_string_equal(out, cases[i].want);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(text__every_kind__rendered),
		T(text__shown_if_false__empty),
		T(text__out_of_range__unknown_or_number),
		T(text__endpoints_without_version__empty),
		T(text__protocols__named_like_ig),
		T(text__durations__like_ig),
		T(text__timestamp__local_rfc3339_nanoseconds),
		cmocka_unit_test(quote__as_gos_strconv_quote),
		cmocka_unit_test(text__signal_errno_mode_flags__by_name),
		cmocka_unit_test(text__flag_enum__set_names_joined),
		cmocka_unit_test(text__bytes_raw__si_units),
		cmocka_unit_test(text__syscall_raw__by_name),
		cmocka_unit_test(text__timestamp_format__go_layouts),
		cmocka_unit_test(text__timestamp_format__second_reused),
		cmocka_unit_test(text__timestamp_format__two_layouts_each_kept),
		cmocka_unit_test(text__float_precision__decimals),
		cmocka_unit_test(
			text__target_annotations__name_the_formatted_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
