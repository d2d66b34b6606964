// SPDX-License-Identifier: Apache-2.0
/*
 * The text and numbers of single values, as columns and filters see them:
 * integers, enums, wall-clock times, durations, addresses, endpoints,
 * signals, errnos, syscalls, file modes and flags, user and group names,
 * containers.
 * No allocation: every formatter writes into the caller's buffer.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "common/utf8.h"
#include "runner/engine/containers.h"
#include "runner/engine/fields_internal.h"
#include "runner/engine/fmt_duration.h"
#include "runner/engine/fmt_int.h"
#include "runner/engine/idcache.h"
#include "runner/engine/stacks.h"
#include "runner/engine/syscall_names.h"
#include "runner/engine/timefmt.h"

/* ---- integer formatters ---------------------------------------------- */

/* "00" to "99": two digits per division (a hot path of -o json). */
const char fmt_digit_pairs[201] = "00010203040506070809"
				  "10111213141516171819"
				  "20212223242526272829"
				  "30313233343536373839"
				  "40414243444546474849"
				  "50515253545556575859"
				  "60616263646566676869"
				  "70717273747576777879"
				  "80818283848586878889"
				  "90919293949596979899";

size_t fmt_u64(char *buf, __u64 v)
{
	size_t n;

	if (v <= 0xffffffffULL)
		return fmt_u32(buf, (__u32)v);
	/* the low 8 digits in 32 bits, the rest (< 1.9e11) likewise */
	n = fmt_u64(buf, v / 100000000ULL);
	fmt_8digits(buf + n, (__u32)(v % 100000000ULL));
	return n + 8;
}

size_t fmt_s64(char *buf, __s64 v)
{
	if (v < 0) {
		buf[0] = '-';
		return 1 + fmt_u64(buf + 1, -(__u64)v);
	}
	return fmt_u64(buf, v);
}

size_t fmt_hex(char *buf, __u64 v, unsigned int digits)
{
	static const char hx[] = "0123456789abcdef";

	for (unsigned int i = 0; i < digits; i++)
		buf[digits - 1 - i] = hx[(v >> (4 * i)) & 0xf];
	return digits;
}

/* ---- values ----------------------------------------------------------- */

__u64 field_u64(const struct field *f, const void *ev)
{
	const __u8 *p = (const __u8 *)ev + f->off;
	__u64 v;

	if (f->bit_size) {
		unsigned __int128 w = 0;
		unsigned int nbytes = (f->bit_off + f->bit_size + 7) / 8;

		for (unsigned int i = 0; i < nbytes; i++)
			w |= (unsigned __int128)p[i] << (8 * i);
		v = (__u64)(w >> f->bit_off);
		if (f->bit_size < 64) {
			v &= (1ULL << f->bit_size) - 1;
			if (f->is_signed && (v >> (f->bit_size - 1)) & 1)
				v |= ~0ULL << f->bit_size;
		}
		return v + f->add;
	}
	v = field_load_uint(p, f->size);
	if (f->is_signed && f->size < 8 && f->size > 0 &&
	    (v >> (8 * f->size - 1)) & 1)
		v |= ~0ULL << (8 * f->size);
	return v + f->add;
}

bool field_shown(const struct fieldset *fs, const struct field *f,
		 const void *ev)
{
	const struct field *c;

	if (f->shown_if < 0)
		return true;
	c = &fs->f[f->shown_if];
	if (c->kind == FK_STRING)
		return ((const char *)ev)[c->off] != '\0';
	if (c->kind == FK_BYTES || c->kind == FK_INTARRAY ||
	    c->kind == FK_L3EP_LIST || c->is_struct)
		return true;
	return field_u64(c, ev) != 0;
}

static size_t put(char *buf, const char *s, size_t n)
{
	memcpy(buf, s, n);
	return n;
}

static size_t put_str(char *buf, const char *s)
{
	return put(buf, s, strlen(s));
}

/* Like Go's time.Duration.String() for non-negative values. */
static size_t fmt_frac(char *buf, __u64 v, __u64 unit, unsigned int digits)
{
	size_t n = fmt_u64(buf, v / unit);
	__u64 frac = v % unit;
	char tmp[20];
	unsigned int d = digits;

	if (!frac)
		return n;
	for (unsigned int i = 0; i < digits; i++) {
		tmp[digits - 1 - i] = '0' + frac % 10;
		frac /= 10;
	}
	while (d > 0 && tmp[d - 1] == '0')
		d--;
	buf[n++] = '.';
	memcpy(buf + n, tmp, d);
	return n + d;
}

/*
 * As ig's duration formatter: the value is a time.Duration (int64), so
 * one of 2^63 ns or more is negative; below 1s fmt_duration_short(), else
 * Go's time.Duration.String().
 */
static size_t fmt_duration(char *buf, __u64 d)
{
	size_t n = 0;

	if ((__s64)d < 1000) {
		n = fmt_s64(buf, (__s64)d);
		return n + put(buf + n, "ns", 2);
	}
	if (d < 1000000000ULL)
		return fmt_duration_short(buf, (__u32)d);
	if (d >= 3600000000000ULL) {
		n += fmt_u64(buf + n, d / 3600000000000ULL);
		buf[n++] = 'h';
		d %= 3600000000000ULL;
		n += fmt_u64(buf + n, d / 60000000000ULL);
		buf[n++] = 'm';
		d %= 60000000000ULL;
	} else if (d >= 60000000000ULL) {
		n += fmt_u64(buf + n, d / 60000000000ULL);
		buf[n++] = 'm';
		d %= 60000000000ULL;
	}
	n += fmt_frac(buf + n, d, 1000000000ULL, 9);
	buf[n++] = 's';
	return n;
}

/* A size in SI units as ig shows it (go-humanize's Bytes): "512 B",
 * "1.5 kB", "83 MB". */
static size_t fmt_size(char *buf, __u64 v)
{
	static const char *const units[] = { "B",  "kB", "MB", "GB",
					     "TB", "PB", "EB" };
	__u64 div = 1;
	size_t e = 0;
	double x;

	if (v < 10) {
		size_t n = fmt_u64(buf, v);

		return n + put(buf + n, " B", 2);
	}
	while (v / div >= 1000) {
		div *= 1000;
		e++;
	}
	x = (double)v / (double)div;
	return snprintf(buf, 32, x < 10 ? "%.1f %s" : "%.0f %s", x, units[e]);
}

/* RFC 3339 local time with nanoseconds; the second's text is cached. */
static size_t fmt_timestamp(struct render_ctx *rc, const struct field *f,
			    char *buf, __u64 boot_ns)
{
	__s64 ns = (__s64)(boot_ns + (__u64)rc->fs->boot_to_real_ns);
	long long sec = ns / 1000000000LL;
	long nsec = ns % 1000000000LL;
	size_t n;

	if (nsec < 0) {
		nsec += 1000000000L;
		sec--;
	}
	if (f->ts_fmt) /* formatters.timestamp.format */
		return timefmt_format(buf, f->ts_fmt, rc->ts_cache, sec, nsec);
	if (sec != rc->ts_sec || !rc->ts_prefix_len) {
		time_t t = (time_t)sec;
		struct tm tm;

		if (!localtime_r(&t, &tm))
			memset(&tm, 0, sizeof(tm));
		rc->ts_prefix_len = strftime(rc->ts_prefix,
					     sizeof(rc->ts_prefix),
					     "%Y-%m-%dT%H:%M:%S", &tm);
		rc->ts_zone_len =
			timefmt_zone_rfc3339(rc->ts_zone, tm.tm_gmtoff);
		rc->ts_sec = sec;
	}
	n = put(buf, rc->ts_prefix, rc->ts_prefix_len);
	buf[n++] = '.';
	for (int i = 8; i >= 0; i--) {
		buf[n + i] = '0' + nsec % 10;
		nsec /= 10;
	}
	n += 9;
	return n + put(buf + n, rc->ts_zone, rc->ts_zone_len);
}

static size_t fmt_ip(char *buf, const __u8 *addr, __u64 version)
{
	if (version == 4)
		return fmt_ip4(buf, addr);
	if (version == 6) {
		char tmp[INET6_ADDRSTRLEN];

		if (!inet_ntop(AF_INET6, addr, tmp, sizeof(tmp)))
			return 0;
		return put_str(buf, tmp);
	}
	return 0;
}

/*
 * IP protocol numbers by their IANA keyword, as ig names them (its own
 * table: the words for IANA's entries without a keyword are its choice;
 * netbase's /etc/protocols spells several differently, e.g. 4 IP-ENCAP,
 * 50 IPSEC-ESP); NULL for the unassigned ones, which ig shows as
 * "proto#N".
 * Ref: https://www.iana.org/assignments/protocol-numbers/
 */
static const char *proto_name(__u64 p)
{
	/* clang-format off */
	static const char *const names[] = { /* 0 to 145 */
		"HOPOPT", "ICMP", "IGMP", "GGP", "IPv4", "ST", "TCP", "CBT",
		"EGP", "IGP", "BBN-RCC-MON", "NVP-II", "PUP", "ARGUS", "EMCON",
		"XNET", "CHAOS", "UDP", "MUX", "DCN-MEAS", "HMP", "PRM",
		"XNS-IDP", "TRUNK-1", "TRUNK-2", "LEAF-1", "LEAF-2", "RDP",
		"IRTP", "ISO-TP4", "NETBLT", "MFE-NSP", "MERIT-INP", "DCCP",
		"3PC", "IDPR", "XTP", "DDP", "IDPR-CMTP", "TP++", "IL", "IPv6",
		"SDRP", "IPv6-Route", "IPv6-Frag", "IDRP", "RSVP", "GRE", "DSR",
		"BNA", "ESP", "AH", "I-NLSP", "SWIPE", "NARP", "MOBILE", "TLSP",
		"SKIP", "IPv6-ICMP", "IPv6-NoNxt", "IPv6-Opts", "internal",
		"CFTP", "local", "SAT-EXPAK", "KRYPTOLAN", "RVD", "IPPC",
		"distributed", "SAT-MON", "VISA", "IPCU", "CPNX", "CPHB", "WSN",
		"PVP", "BR-SAT-MON", "SUN-ND", "WB-MON", "WB-EXPAK", "ISO-IP",
		"VMTP", "SECURE-VMTP", "VINES", "TTP", "NSFNET-IGP", "DGP",
		"TCF", "EIGRP", "OSPFIGP", "Sprite-RPC", "LARP", "MTP", "AX.25",
		"IPIP", "MICP", "SCC-SP", "ETHERIP", "ENCAP", "private", "GMTP",
		"IFMP", "PNNI", "PIM", "ARIS", "SCPS", "QNX", "A/N", "IPComp",
		"SNP", "Compaq-Peer", "IPX-in-IP", "VRRP", "PGM", "0-hop",
		"L2TP", "DDX", "IATP", "STP", "SRP", "UTI", "SMP", "SM", "PTP",
		"ISIS over IPv4", "FIRE", "CRTP", "CRUDP", "SSCOPMCE", "IPLT",
		"SPS", "PIPE", "SCTP", "FC", "RSVP-E2E-IGNORE",
		"Mobility Header", "UDPLite", "MPLS-in-IP", "manet", "HIP",
		"Shim6", "WESP", "ROHC", "Ethernet", "AGGFRAG", "NSH",
	};
	/* clang-format on */

	if (p < sizeof(names) / sizeof(names[0]))
		return names[p];
	if (p == 253 || p == 254)
		return "experimentation";
	return p == 255 ? "reserved" : NULL;
}

static const char *enum_name(const struct field *f, __s64 v)
{
	size_t lo = 0, hi = f->n_enums;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (f->enums[mid].value == v)
			return f->enums[mid].name;
		if (f->enums[mid].value < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static size_t fmt_number(const struct field *f, char *buf, __u64 v)
{
	return f->is_signed ? fmt_s64(buf, (__s64)v) : fmt_u64(buf, v);
}

/* The names of a bit-flag enum's entries whose bits are all set in v,
 * as ig joins them ("" when none is). */
static size_t fmt_enum_flags(const struct field *f, char *buf, __u64 v)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n_enums; i++) {
		__u64 bits = (__u64)f->enums[i].value;

		if ((v & bits) != bits)
			continue;
		if (n)
			n += put_str(buf + n, f->enum_sep);
		n += put_str(buf + n, f->enums[i].name);
	}
	return n;
}

/*
 * Characters beyond ASCII that Go's unicode.IsPrint refuses and strconv
 * escapes: C1 controls, spaces other than ' ', separators, format and
 * private-use characters, noncharacters (code points Go's tables leave
 * unassigned pass: this table has no list of them).
 */
static bool go_unprintable(unsigned int cp)
{
	static const unsigned int ranges[][2] = {
		{ 0x80, 0xa0 },	      { 0xad, 0xad },
		{ 0x600, 0x605 },     { 0x61c, 0x61c },
		{ 0x6dd, 0x6dd },     { 0x70f, 0x70f },
		{ 0x8e2, 0x8e2 },     { 0x1680, 0x1680 },
		{ 0x180e, 0x180e },   { 0x2000, 0x200f },
		{ 0x2028, 0x202f },   { 0x205f, 0x206f },
		{ 0x3000, 0x3000 },   { 0xe000, 0xf8ff },
		{ 0xfdd0, 0xfdef },   { 0xfeff, 0xfeff },
		{ 0xfff9, 0xfffb },   { 0xfffe, 0xffff },
		{ 0x110bd, 0x110bd }, { 0x1bca0, 0x1bca3 },
		{ 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 },
		{ 0xe0020, 0xe007f }, { 0xf0000, 0x10ffff },
	};

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return true;
	return (cp & 0xfffe) == 0xfffe;
}

/* The bytes Go's strconv.Quote writes as a backslash and a letter, and
 * those letters: field_quote() and field_unquote() read both ways. */
static const char quoted_bytes[] = "\\\"\a\b\f\n\r\t\v";
static const char quoted_letters[] = "\\\"abfnrtv";

size_t field_quote(char *out, const char *s, size_t len)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0;

	for (size_t i = 0, l; i < len; i += l) {
		const char *k;
		unsigned int cp;

		l = 1;
		/* printable ASCII, most of any text: copied as it is */
		if (u[i] >= 0x20 && u[i] < 0x7f && u[i] != '\\' &&
		    u[i] != '"') {
			out[n++] = (char)u[i];
			continue;
		}
		k = u[i] ? strchr(quoted_bytes, u[i]) : NULL;
		if (k) {
			out[n++] = '\\';
			out[n++] = quoted_letters[k - quoted_bytes];
			continue;
		}
		l = u[i] < 0x80 ? 0 : utf8_len(u + i, len - i);
		if (!l) {
			/* a control byte, or one that is not UTF-8 */
			n += sprintf(out + n, "\\x%c%c", hx[u[i] >> 4],
				     hx[u[i] & 15]);
			l = 1;
			continue;
		}
		cp = utf8_cp(u + i, l);
		if (!go_unprintable(cp)) {
			memcpy(out + n, u + i, l);
			n += l;
		} else if (cp < 0x10000) {
			n += sprintf(out + n, "\\u%04x", cp);
		} else {
			n += sprintf(out + n, "\\U%08x", cp);
		}
	}
	return n;
}

size_t field_unquote(char *out, const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		const char *k;
		unsigned int v = 0, digits;

		if (s[i] != '\\' || i + 1 == len) {
			out[n++] = s[i];
			continue;
		}
		k = strchr(quoted_letters, s[++i]);
		if (k && *k) {
			out[n++] = quoted_bytes[k - quoted_letters];
			continue;
		}
		digits = s[i] == 'x' ? 2 : s[i] == 'u' ? 4 : 8;
		for (unsigned int d = 0; d < digits && i + 1 < len; d++) {
			char h = s[++i];

			v = v << 4 |
			    (unsigned int)(h <= '9' ? h - '0' :
						      (h | 0x20) - 'a' + 10);
		}
		/* a \x byte that is not UTF-8 reads as U+FFFD */
		n += utf8_encode(out + n,
				 digits == 2 && v >= 0x80 ? 0xfffd : v);
	}
	return n;
}

static size_t fmt_string(char *buf, const char *s, size_t max)
{
	return field_quote(buf, s, strnlen(s, max));
}

/* ls -l style: type letter and permissions with set-id and sticky bits. */
static size_t fmt_file_mode(char *buf, __u64 m)
{
	static const char rwx[] = "rwxrwxrwx";
	char type;

	switch (m & S_IFMT) {
	case S_IFDIR:
		type = 'd';
		break;
	case S_IFLNK:
		type = 'l';
		break;
	case S_IFCHR:
		type = 'c';
		break;
	case S_IFBLK:
		type = 'b';
		break;
	case S_IFIFO:
		type = 'p';
		break;
	case S_IFSOCK:
		type = 's';
		break;
	default:
		type = '-';
		break;
	}
	buf[0] = type;
	for (int i = 0; i < 9; i++)
		buf[1 + i] = m & (0400 >> i) ? rwx[i] : '-';
	if (m & S_ISUID)
		buf[3] = buf[3] == 'x' ? 's' : 'S';
	if (m & S_ISGID)
		buf[6] = buf[6] == 'x' ? 's' : 'S';
	if (m & S_ISVTX)
		buf[9] = buf[9] == 'x' ? 't' : 'T';
	return 10;
}

/* glibc defines O_LARGEFILE as 0 on 64-bit hosts; the kernel sets it. */
#if defined(__x86_64__) || defined(__i386__)
#define KERNEL_O_LARGEFILE 0100000
#elif defined(__aarch64__) || defined(__arm__)
#define KERNEL_O_LARGEFILE 0400000
#else
#define KERNEL_O_LARGEFILE O_LARGEFILE
#endif

/* open(2) flags as O_ names joined by |, leftover bits in hex. */
static size_t fmt_file_flags(char *buf, __u64 fl)
{
	static const struct {
		__u64 bits;
		const char *name;
	} names[] = {
		/* composites first: they contain other flags' bits */
		{ O_TMPFILE, "O_TMPFILE" },
		{ O_SYNC, "O_SYNC" },
		{ O_CREAT, "O_CREAT" },
		{ O_EXCL, "O_EXCL" },
		{ O_NOCTTY, "O_NOCTTY" },
		{ O_TRUNC, "O_TRUNC" },
		{ O_APPEND, "O_APPEND" },
		{ O_NONBLOCK, "O_NONBLOCK" },
		{ O_DSYNC, "O_DSYNC" },
		{ FASYNC, "O_FASYNC" }, /* ig's spelling */
		{ O_DIRECT, "O_DIRECT" },
		{ KERNEL_O_LARGEFILE, "O_LARGEFILE" },
		{ O_DIRECTORY, "O_DIRECTORY" },
		{ O_NOFOLLOW, "O_NOFOLLOW" },
		{ O_NOATIME, "O_NOATIME" },
		{ O_CLOEXEC, "O_CLOEXEC" },
		{ O_PATH, "O_PATH" },
	};
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR",
					   "O_ACCMODE" };
	size_t n = put_str(buf, acc[fl & O_ACCMODE]);

	fl &= ~(__u64)O_ACCMODE;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!names[i].bits || (fl & names[i].bits) != names[i].bits)
			continue;
		buf[n++] = '|';
		n += put_str(buf + n, names[i].name);
		fl &= ~names[i].bits;
	}
	if (fl) {
		n += put(buf + n, "|0x", 3);
		n += fmt_hex(buf + n, fl, fl >> 32 ? 16 : 8);
	}
	return n;
}

size_t fieldset_text_size(const struct fieldset *fs)
{
	size_t text = 64;

	for (size_t i = 0; i < fs->n; i++)
		if (fs->f[i].max_text + 1 > text)
			text = fs->f[i].max_text + 1;
	return text;
}

double field_double(const struct field *f, const void *ev)
{
	const char *p = (const char *)ev + f->off;

	if (f->size == 4) {
		float x;

		memcpy(&x, p, 4);
		return x;
	}
	{
		double x;

		memcpy(&x, p, 8);
		return x;
	}
}

/* With columns.precision decimals (none without it), as ig's
 * strconv.FormatFloat(v, 'f', precision, 64) writes them. */
static size_t fmt_float(const struct field *f, char *buf, const void *ev)
{
	double x = field_double(f, ev);

	if (isnan(x) || isinf(x))
		return put_str(buf, isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf");
	return snprintf(buf, f->max_text + 1, "%.*f", f->precision, x);
}

/* "1,2,3" */
static size_t fmt_intarray(const struct field *f, char *buf, const void *ev)
{
	size_t n = 0;

	for (__u32 i = 0; i < f->count; i++) {
		struct field e = *f;

		e.off = f->off + i * f->size;
		if (i)
			buf[n++] = ',';
		n += fmt_number(f, buf + n, field_u64(&e, ev));
	}
	return n;
}

/* "1.2.3.4:53", "[::1]:53"; nothing for an unset endpoint */
static size_t fmt_l4ep(const struct field *f, char *buf, const __u8 *ev)
{
	__u64 ver = field_load_uint(ev + f->ver_off, f->ver_size);
	__u64 port = field_load_uint(ev + f->port_off, f->port_size);
	size_t n = 0;

	if (ver != 4 && ver != 6)
		return 0;
	if (ver == 6)
		buf[n++] = '[';
	n += fmt_ip(buf + n, ev + f->addr_off, ver);
	if (ver == 6)
		buf[n++] = ']';
	buf[n++] = ':';
	n += fmt_u64(buf + n, port);
	return n;
}

/* The set entries of an array of l3 endpoints, "a,b". */
static size_t fmt_l3ep_list(const struct field *f, char *buf, const __u8 *p)
{
	size_t n = 0;

	for (__u32 i = 0; i < f->count; i++) {
		const __u8 *e = p + (size_t)i * f->size;
		__u64 ver = field_load_uint(e + f->ver_off, f->ver_size);

		if (ver != 4 && ver != 6)
			continue;
		if (n)
			buf[n++] = ',';
		n += fmt_ip(buf + n, e + f->addr_off, ver);
	}
	return n;
}

/* The user or group name of an id (the number without a cache). */
static size_t fmt_id_name(struct render_ctx *rc, const struct field *f,
			  char *buf, __u64 v)
{
	struct idcache *c = f->kind == FK_USER ? rc->users : rc->groups;
	const char *s;
	size_t len;

	if (!c)
		return fmt_u64(buf, v);
	s = idcache_name(c, (__u32)v, &len);
	if (len > f->max_text)
		len = f->max_text;
	return put(buf, s, len);
}

/* What the container of the event's mount namespace shows, unescaped
 * ("" outside containers). */
static const char *runtime_text(const struct fieldset *fs,
				const struct field *f, const void *ev)
{
	const struct container_info *ci =
		fs->containers ?
			containers_lookup(fs->containers, field_u64(f, ev)) :
			NULL;

	if (!ci)
		return "";
	return f->info == RT_NAME    ? ci->name :
	       f->info == RT_ID	     ? ci->id :
	       f->info == RT_RUNTIME ? ci->runtime :
				       ci->image;
}

/* The pod of ev as FK_K8S field f finds it: by the mount namespace's
 * container, else by the network namespace. */
static const struct pod_info *k8s_pod(const struct fieldset *fs,
				      const struct field *f, const void *ev,
				      const char **container)
{
	const struct container_info *ci = NULL;
	__u64 netns = 0;

	*container = "";
	if (!fs->containers)
		return NULL;
	if (f->size)
		ci = containers_lookup(fs->containers, field_u64(f, ev));
	if (ci && ci->pod.name[0]) {
		*container = ci->pod.container;
		return &ci->pod;
	}
	if (!f->netns_size)
		return NULL;
	memcpy(&netns, (const char *)ev + f->netns_off, f->netns_size);
	return containers_pod_of_netns(fs->containers, netns);
}

const struct pod_info *fieldset_pod(const struct fieldset *fs, const void *ev,
				    const char **container)
{
	*container = "";
	if (fs->k8s < 0)
		return NULL;
	return k8s_pod(fs, &fs->f[fs->k8s], ev, container);
}

const struct pod_info *fieldset_selected_pod(const struct fieldset *fs,
					     const void *ev,
					     const char **container)
{
	const struct container_info *ci;
	const struct field *f;

	*container = "";
	if (fs->k8s < 0 || !fs->containers)
		return NULL;
	f = &fs->f[fs->k8s];
	if (!f->size) /* no mount namespace: its network namespace's pod */
		return fieldset_pod(fs, ev, container);
	/* as container_select_match() and ig's filter by mount namespace:
	 * the container's own pod, not its network namespace's (a
	 * container outside pods, a host process, in a pod's) */
	ci = containers_lookup(fs->containers, field_u64(f, ev));
	if (!ci || !ci->id[0] || !containers_runtime_wanted(fs->containers, ci))
		return NULL;
	*container = ci->pod.container;
	return &ci->pod;
}

/* What an FK_K8S field shows for ev ("" outside pods). */
static const char *k8s_text(const struct fieldset *fs, const struct field *f,
			    const void *ev)
{
	const struct pod_info *pod;
	const char *container;

	if (f->info == K8S_NODE)
		return fs->containers ? containers_node(fs->containers) : "";
	pod = k8s_pod(fs, f, ev, &container);
	switch (f->info) {
	case K8S_NAMESPACE:
		return pod ? pod->namespace : "";
	case K8S_PODNAME:
		return pod ? pod->name : "";
	case K8S_CONTAINERNAME:
		return container;
	case K8S_HOSTNETWORK:
		return pod && pod->hostnetwork ? "true" : "false";
	case K8S_PODLABELS:
		return pod ? pod->labels : "";
	case K8S_PODUID:
		return pod ? pod->uid : "";
	default:
		return "";
	}
}

/* As ig (Go's unix.SignalName): SIGIO where glibc says POLL, and
 * "signal#N" for a number without a name. */
static size_t fmt_signal(const struct field *f, char *buf, __u64 v)
{
	const char *s = (__s64)v > 0 && (__s64)v < NSIG ? sigabbrev_np((int)v) :
							  NULL;
	size_t n;

	if (v == SIGIO)
		s = "IO";
	if (!s) {
		n = put(buf, "signal#", 7);
		return n + fmt_number(f, buf + n, v);
	}
	n = put(buf, "SIG", 3);
	return n + put_str(buf + n, s);
}

/* As ig: nothing for 0 (no error), "error#N" for a number without a
 * name; a negative value shows the name of its opposite. */
static size_t fmt_errno(const struct field *f, char *buf, __u64 v)
{
	__s64 e = (__s64)v < 0 ? -(__s64)v : (__s64)v;
	const char *s = e > 0 && e < 4096 ? strerrorname_np((int)e) : NULL;
	size_t n;

	if (!e)
		return 0;
	if (s)
		return put_str(buf, s);
	n = put(buf, "error#", 6);
	return n + fmt_number(f, buf + n, v);
}

/*
 * Kinds that format a number into a name or a unit: they show nothing
 * when value.shown-if says so.
 */
static bool is_formatted(enum field_kind k)
{
	switch (k) {
	case FK_ENUM:
	case FK_ONEOF:
	case FK_TIMESTAMP:
	case FK_DURATION:
	case FK_SIZE:
	case FK_PROTO:
	case FK_SIGNAL:
	case FK_ERRNO:
	case FK_FILE_MODE:
	case FK_FILE_FLAGS:
	case FK_SYSCALL:
	case FK_KSTACK:
		return true;
	default:
		return false;
	}
}

static size_t formatted_text(struct render_ctx *rc, const struct field *f,
			     const void *ev, char *buf)
{
	__u64 v = field_u64(f, ev);
	const char *s;
	size_t n;

	switch (f->kind) {
	case FK_ENUM:
		if (f->enum_sep)
			return fmt_enum_flags(f, buf, v);
		/* a value no enumerator names: as ig's enum formatter */
		s = enum_name(f, (__s64)v);
		return put_str(buf, s ? s : "UNKNOWN");
	case FK_ONEOF:
		return v < f->n_one_of ? put_str(buf, f->one_of[v]) :
					 fmt_number(f, buf, v);
	case FK_TIMESTAMP:
		return fmt_timestamp(rc, f, buf, v);
	case FK_DURATION:
		return fmt_duration(buf, v);
	case FK_SIZE:
		return fmt_size(buf, v);
	case FK_PROTO:
		s = proto_name(v);
		if (s)
			return put_str(buf, s);
		n = put(buf, "proto#", 6);
		return n + fmt_u64(buf + n, v);
	case FK_SIGNAL:
		return fmt_signal(f, buf, v);
	case FK_ERRNO:
		return fmt_errno(f, buf, v);
	case FK_FILE_MODE:
		return fmt_file_mode(buf, v);
	case FK_FILE_FLAGS:
		return fmt_file_flags(buf, v);
	case FK_SYSCALL: /* as ig: "SYS_UNKNOWN" for a number without name */
		s = syscall_name(v);
		return put_str(buf, s ? s : "SYS_UNKNOWN");
	case FK_KSTACK:
		return stacks_kernel_text(rc->fs->stacks, (__u32)v, buf,
					  f->max_text + 1);
	default:
		return 0;
	}
}

static size_t value_text(struct render_ctx *rc, const struct field *f,
			 const void *ev, char *buf)
{
	const __u8 *p = (const __u8 *)ev + f->off;
	size_t n = 0;
	__u64 v;

	switch (f->kind) {
	case FK_UINT:
	case FK_SINT:
		return fmt_number(f, buf, field_u64(f, ev));
	case FK_BOOL:
		return field_u64(f, ev) ? put(buf, "true", 4) :
					  put(buf, "false", 5);
	case FK_FLOAT:
		return fmt_float(f, buf, ev);
	case FK_HEX:
		v = field_u64(f, ev);
		if (f->bit_size)
			return fmt_hex(buf, v, (f->bit_size + 3) / 4);
		return fmt_hex(buf, v, 2 * (f->size > 8 ? 8 : f->size));
	case FK_STRING:
		return fmt_string(buf, (const char *)p, f->size);
	case FK_BYTES:
		for (__u32 i = 0; i < f->size; i++)
			n += fmt_hex(buf + n, p[i], 2);
		return n;
	case FK_INTARRAY:
		return fmt_intarray(f, buf, ev);
	case FK_REST: { /* as ig's columns show bytes */
		size_t len;

		field_rest(rc, ev, &len);
		buf[0] = '<';
		n = 1 + fmt_u64(buf + 1, len);
		return n + put(buf + n, " bytes>", 7);
	}
	case FK_IPADDR:
	case FK_L3EP:
		return fmt_ip(buf, (const __u8 *)ev + f->addr_off,
			      field_load_uint((const __u8 *)ev + f->ver_off,
					      f->ver_size));
	case FK_L4EP:
		return fmt_l4ep(f, buf, ev);
	case FK_L3EP_LIST:
		return fmt_l3ep_list(f, buf, p);
	case FK_USER:
	case FK_GROUP:
		return fmt_id_name(rc, f, buf, field_u64(f, ev));
	case FK_RUNTIME:
	case FK_K8S: {
		/* from a container runtime or the Kubernetes API: escaped
		 * (max_text allows it) */
		const char *s = f->kind == FK_RUNTIME ?
					runtime_text(rc->fs, f, ev) :
					k8s_text(rc->fs, f, ev);

		return field_quote(buf, s, strnlen(s, f->max_text / 4));
	}
	case FK_USTACK: {
		const char *st = (const char *)ev;
		__u32 id, pid, hash;
		__u64 ino;

		memcpy(&id, st + f->stack_off, sizeof(id));
		memcpy(&pid, st + f->pid_off, sizeof(pid));
		memcpy(&hash, st + f->hash_off, sizeof(hash));
		memcpy(&ino, st + f->ino_off, sizeof(ino));
		return stacks_user_text(rc->fs->stacks,
					(enum stacks_user_part)f->info, id, pid,
					hash, ino, buf, f->max_text + 1);
	}
	default: /* FK_STRUCT: no text of its own */
		/* FK_ENV: the same in every event, escaped once (here, out
		 * of the others' table) */
		if (f->kind == FK_ENV)
			return put(buf, field_env(rc->fs, f)->text,
				   field_env(rc->fs, f)->text_len);
		return 0;
	}
}

const unsigned char *field_rest(const struct render_ctx *rc, const void *ev,
				size_t *len)
{
	const struct fieldset *fs = rc->fs;
	size_t n = rc->rest_size;

	if (fs->rest_len >= 0 && field_u64(&fs->f[fs->rest_len], ev) < n)
		n = field_u64(&fs->f[fs->rest_len], ev);
	*len = n < FIELD_REST_MAX ? n : FIELD_REST_MAX;
	return (const unsigned char *)ev + fs->event_size;
}

size_t field_text(struct render_ctx *rc, const struct field *f, const void *ev,
		  char *buf)
{
	size_t n;

	if (!is_formatted(f->kind))
		n = value_text(rc, f, ev, buf);
	else if (field_shown(rc->fs, f, ev))
		n = formatted_text(rc, f, ev, buf);
	else
		n = 0;
	buf[n] = '\0';
	return n;
}

const char *field_raw_text(struct render_ctx *rc, const struct field *f,
			   const void *ev, size_t *len)
{
	const char *s;

	switch (f->kind) {
	case FK_STRING:
		s = (const char *)ev + f->off;
		*len = strnlen(s, f->size);
		return s;
	case FK_RUNTIME:
	case FK_K8S:
		s = f->kind == FK_RUNTIME ? runtime_text(rc->fs, f, ev) :
					    k8s_text(rc->fs, f, ev);
		*len = strnlen(s, f->max_text / 4);
		return s;
	default:
		return NULL;
	}
}

const char *field_value_text(struct render_ctx *rc, const struct field *f,
			     const void *ev, char *buf, bool utf8)
{
	size_t len, n = 0;
	const char *s = field_raw_text(rc, f, ev, &len);

	if (!s && f->kind == FK_ENV) { /* (not on the others' way) */
		s = field_env(rc->fs, f)->value;
		len = field_env(rc->fs, f)->len;
	} else if (!s) {
		field_text(rc, f, ev, buf);
		return buf;
	}
	/* buf holds max_text + 1 bytes: 4 per raw byte */
	for (size_t i = 0, l; i < len; i += l) {
		const unsigned char *u = (const unsigned char *)s + i;

		l = *u < 0x80 || !utf8 ? 1 : utf8_len(u, len - i);
		if (!l) {
			memcpy(buf + n, "\xef\xbf\xbd", 3);
			n += 3;
			l = 1;
			continue;
		}
		memcpy(buf + n, u, l);
		n += l;
	}
	buf[n] = '\0';
	return buf;
}

bool field_text_escaped(const struct field *f)
{
	return f->kind == FK_STRING || f->kind == FK_RUNTIME ||
	       f->kind == FK_K8S;
}

bool field_text_empty(struct render_ctx *rc, const struct field *f,
		      const void *ev, char *buf)
{
	/* the first byte of the string field_text() escapes whole */
	switch (f->kind) {
	case FK_STRING:
		return !f->size || !*((const char *)ev + f->off);
	case FK_RUNTIME:
		return f->max_text < 4 || !*runtime_text(rc->fs, f, ev);
	case FK_K8S:
		return f->max_text < 4 || !*k8s_text(rc->fs, f, ev);
	default:
		return !field_text(rc, f, ev, buf);
	}
}

void render_ctx_init(struct render_ctx *rc, const struct fieldset *fs)
{
	bool users = false, groups = false;
	size_t layouts = 0;

	memset(rc, 0, sizeof(*rc));
	rc->fs = fs;
	for (size_t i = 0; i < fs->n; i++) {
		users |= fs->f[i].kind == FK_USER;
		groups |= fs->f[i].kind == FK_GROUP;
		layouts += fs->f[i].ts_fmt != NULL;
	}
	/* without one, each layout's time is made whole */
	rc->ts_cache = layouts ? timefmt_cache_new(layouts) : NULL;
	/* without a cache, names fall back to numbers */
	rc->users = users ? idcache_new(false) : NULL;
	rc->groups = groups ? idcache_new(true) : NULL;
}

void render_ctx_fini(struct render_ctx *rc)
{
	idcache_free(rc->users);
	idcache_free(rc->groups);
	timefmt_cache_free(rc->ts_cache);
	rc->users = rc->groups = NULL;
	rc->ts_cache = NULL;
}
