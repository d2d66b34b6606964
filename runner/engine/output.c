// SPDX-License-Identifier: Apache-2.0
/*
 * Renders events into one large buffer and writes it out in whole lines.
 *
 * Everything that does not depend on an event is prepared in output_new():
 * for JSON lines a "program" of (literal prefix, field) steps whose
 * prefixes already hold the keys, commas and braces; for columns the final
 * widths.  The worst-case size of one rendered event is known up front, so
 * the hot path writes without bounds checks after one space check per
 * event, and never allocates.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/grow.h"
#include "common/utf8.h"
#include "runner/engine/column_fit.h"
#include "runner/engine/fields_internal.h"
#include "runner/engine/log.h"
#include "runner/engine/output.h"
#include "runner/engine/output_internal.h"
#include "runner/engine/pcapng.h"
#include "runner/engine/yaml_scalar.h"

#define OUT_THRESHOLD (256 * 1024) /* write once this much is buffered */
/*
 * Into a regular file: bigger writes, and lines held up to
 * OUT_FILE_DELAY seconds.  Each write() has a fixed cost besides its
 * bytes (ext4 on a 2-CPU VM: ~4 us a call, then ~0.15 us/KB), and
 * nobody waits on a file's lines the way a terminal or a pipe does.
 */
#define OUT_FILE_THRESHOLD (1024 * 1024)
#define OUT_FILE_DELAY 0.05

int output_mode_parse(const char *s, enum output_mode *mode)
{
	static const struct {
		const char *name;
		enum output_mode mode;
	} modes[] = {
		{ "columns", OUTPUT_COLUMNS },	     { "json", OUTPUT_JSON },
		{ "jsonpretty", OUTPUT_JSONPRETTY }, { "yaml", OUTPUT_YAML },
		{ "pcap-ng", OUTPUT_PCAPNG },
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!strcmp(s, modes[i].name)) {
			*mode = modes[i].mode;
			return 0;
		}
	}
	return -1;
}

/* ---- JSON strings ------------------------------------------------------ */

/* 0: copy; 'u': \\u00XX; else the letter after the backslash: what
 * ig's JSON writer (encoding/json's, copied) writes for ASCII. */
static const char json_esc[128] = {
	['\0'] = 'u', [1] = 'u',  [2] = 'u',	[3] = 'u',     [4] = 'u',
	[5] = 'u',    [6] = 'u',  [7] = 'u',	['\b'] = 'u',  ['\t'] = 't',
	['\n'] = 'n', [11] = 'u', ['\f'] = 'u', ['\r'] = 'r',  [14] = 'u',
	[15] = 'u',   [16] = 'u', [17] = 'u',	[18] = 'u',    [19] = 'u',
	[20] = 'u',   [21] = 'u', [22] = 'u',	[23] = 'u',    [24] = 'u',
	[25] = 'u',   [26] = 'u', [27] = 'u',	[28] = 'u',    [29] = 'u',
	[30] = 'u',   [31] = 'u', ['"'] = '"',	['\\'] = '\\',
};

/*
 * Characters past ASCII written as \uXXXX: U+2028 and U+2029, as ig
 * writes them, and the C1 controls (U+0080 to U+009F), which ig writes
 * raw: some terminals act on them, and a DNS name is anyone's text.
 */
static bool escaped_cp(const unsigned char *s, size_t len)
{
	unsigned int cp;

	if (len == 4 || (len == 3 && s[0] != 0xe2))
		return false;
	cp = utf8_cp(s, len);
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029;
}

static size_t write_u4(char *out, unsigned int cp)
{
	static const char hx[] = "0123456789abcdef";

	memcpy(out, "\\u", 2);
	for (int k = 0; k < 4; k++)
		out[2 + k] = hx[(cp >> (12 - 4 * k)) & 15];
	return 6;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* The high bit of each byte of w below c (c <= 128), exact at its lowest
 * such byte (a borrow can only mark bytes above a true one). */
static inline __u64 bytes_below(__u64 w, unsigned int c)
{
	return (w - ONES * c) & ~w & HIGHS;
}

/* Bytes of the 8 at s that are plain: before the first NUL, control
 * character, quote, backslash or non-ASCII byte. */
static inline size_t plain8(const unsigned char *s)
{
	__u64 w, bad;

	memcpy(&w, s, 8);
	bad = bytes_below(w, 0x20) | bytes_below(w ^ (ONES * '"'), 1) |
	      bytes_below(w ^ (ONES * '\\'), 1) | (w & HIGHS);
	return bad ? (size_t)__builtin_ctzll(bad) / 8 : 8;
}

/*
 * Write s (at most n bytes, up to a NUL) as a quoted JSON string.  Each
 * byte that does not start a valid UTF-8 sequence becomes \ufffd, as ig
 * (Go's encoding/json) writes it, so the output is always valid.
 */
size_t output_json_string(char *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t o = 0, i = 0;

	out[o++] = '"';
	/* 8 bytes at a time while they are plain (copied 8 at a time too:
	 * out has room for 6 bytes per input byte) */
	while (i + 8 <= n) {
		size_t k = plain8(s + i);

		memcpy(out + o, s + i, 8);
		o += k;
		i += k;
		if (k < 8)
			break;
	}
	while (i < n && s[i]) {
		unsigned char c = s[i];
		size_t l;

		if (c < 0x80) {
			char e = json_esc[c];

			if (!e) {
				out[o++] = c;
			} else if (e != 'u') {
				out[o++] = '\\';
				out[o++] = e;
			} else {
				o += write_u4(out + o, c);
			}
			i++;
			continue;
		}
		l = utf8_len(s + i, n - i);
		if (l && escaped_cp(s + i, l)) {
			o += write_u4(out + o, utf8_cp(s + i, l));
			i += l;
		} else if (l) {
			memcpy(out + o, s + i, l);
			o += l;
			i += l;
		} else {
			o += write_u4(out + o, 0xfffd);
			i++;
		}
	}
	out[o++] = '"';
	return o;
}

/* ---- floats ----------------------------------------------------------- */

/*
 * The fewest digits that read back as x (a float if f32), as Go's
 * strconv.FormatFloat(x, _, -1, 32 or 64) finds them: x > 0 finite is
 * 0.d[0]d[1]... times 10^*dp; returns how many digits.
 */
static int float_digits(double x, bool f32, char *d, int *dp)
{
	char buf[40], *e;
	int p, n = 0, max = f32 ? 9 : 17;

	for (p = 1; p < max; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, x);
		if (f32 ? strtof(buf, NULL) == (float)x :
			  strtod(buf, NULL) == x)
			break;
	}
	if (p == max)
		snprintf(buf, sizeof(buf), "%.*e", p - 1, x);
	for (e = buf; *e != 'e'; e++)
		if (*e != '.')
			d[n++] = *e;
	while (n > 1 && d[n - 1] == '0')
		n--;
	*dp = atoi(e + 1) + 1;
	return n;
}

/* d[0..n) as d[0].d[1]...e<sign><exp10>, the exponent with at least
 * min_exp digits */
static size_t float_e(char *out, const char *d, int n, int exp10, int min_exp,
		      bool point)
{
	size_t o = 0;

	out[o++] = d[0];
	if (n > 1 || point)
		out[o++] = '.';
	if (n > 1) {
		memcpy(out + o, d + 1, (size_t)n - 1);
		o += (size_t)n - 1;
	} else if (point) {
		out[o++] = '0';
	}
	return o + (size_t)sprintf(out + o, "e%c%0*d", exp10 < 0 ? '-' : '+',
				   min_exp, abs(exp10));
}

/*
 * Float x of a field of 4 bytes (f32) or 8 as ig's JSON writes it
 * (encoding/json's rules, at the field's bit size): the fewest digits
 * that read back, plain from 1e-6 to below 1e21, else 1e+21, 1e-7.
 * NaN and infinities, that JSON has no text for, are null.
 */
size_t output_json_float(char *out, double x, bool f32)
{
	char d[24];
	double a = fabs(x);
	size_t o = 0;
	int n, dp;

	if (!isfinite(x)) {
		memcpy(out, "null", 4);
		return 4;
	}
	if (signbit(x))
		out[o++] = '-';
	if (a == 0) {
		out[o++] = '0';
		return o;
	}
	n = float_digits(a, f32, d, &dp);
	if (f32 ? (float)a < 1e-6f || (float)a >= 1e21f : a < 1e-6 || a >= 1e21)
		return o + float_e(out + o, d, n, dp - 1, 1, false);
	if (dp <= 0) {
		memcpy(out + o, "0.", 2);
		o += 2;
		memset(out + o, '0', (size_t)-dp);
		o += (size_t)-dp;
		memcpy(out + o, d, (size_t)n);
		return o + (size_t)n;
	}
	for (int i = 0; i < dp; i++)
		out[o++] = i < n ? d[i] : '0';
	if (n > dp) {
		out[o++] = '.';
		memcpy(out + o, d + dp, (size_t)(n - dp));
		o += (size_t)(n - dp);
	}
	return o;
}

/*
 * Float x as ig's YAML holds it (its JSON read back and written by Go's
 * YAML writer): a whole number that fits 64 bits as an integer, else
 * the fewest digits, with an exponent (two digits at least) below 1e-4
 * and from 1e6 on; a mantissa of one digit gets ".0" (1.0e+20), as a
 * YAML 1.1 reader takes 1e+20 for a string.  NaN and infinities: .nan,
 * .inf, -.inf.
 */
size_t output_yaml_float(char *out, double x, bool f32)
{
	char d[24];
	double a = fabs(x);
	size_t o = 0;
	int n, dp;

	if (isnan(x) || isinf(x)) {
		const char *t = isnan(x) ? ".nan" : x > 0 ? ".inf" : "-.inf";

		memcpy(out, t, strlen(t));
		return strlen(t);
	}
	if (a == 0) {
		out[0] = '0';
		return 1;
	}
	/* the JSON text of a whole number that fits 64 bits, read back
	 * as an integer: its digits, as written */
	if (x == floor(x) && x > -0x1p63 && x < 0x1p64)
		return output_json_float(out, x, f32);
	if (signbit(x))
		out[o++] = '-';
	n = float_digits(a, f32, d, &dp);
	if (dp - 1 < -4 || dp - 1 >= 6)
		return o + float_e(out + o, d, n, dp - 1, 2, true);
	return o + output_json_float(out + o, a, f32);
}

/* Kinds whose text is plain ASCII without quotes or backslashes. */
bool output_text_is_safe(const struct field *f)
{
	switch (f->kind) {
	case FK_TIMESTAMP:
		/* formatters.timestamp.format copies what it does not know */
		return !f->ts_fmt;
	case FK_HEX:
	case FK_BYTES:
	case FK_DURATION:
	case FK_IPADDR:
	case FK_L3EP:
	case FK_L3EP_LIST:
	case FK_PROTO:
	case FK_FILE_MODE:
	case FK_FILE_FLAGS:
	case FK_SYSCALL:
		return true;
	default:
		return false;
	}
}

/* A field yaml.v2 writes as a block sequence (an item a line, after the
 * key's line): an array of integers, empty ones aside. */
static bool yaml_seq(const struct field *f)
{
	return f->kind == FK_INTARRAY && f->count;
}

/* Array f as that sequence: each item on a line of its own, at the
 * key's indentation ("- 1", indentless in a map, as yaml.v2's
 * emit_block_sequence_item() writes it). */
static size_t yaml_int_seq(const struct output *o, const struct field *f,
			   const void *ev, char *out)
{
	int ind = o->yaml_at[f - o->fs->f].indent - 2;
	struct field e = *f;
	size_t n = 0;

	for (__u32 i = 0; i < f->count; i++) {
		e.off = f->off + i * f->size;
		out[n++] = '\n';
		n += output_spaces(out + n, ind);
		memcpy(out + n, "- ", 2);
		n += 2;
		n += f->is_signed ? fmt_s64(out + n, (__s64)field_u64(&e, ev)) :
				    fmt_u64(out + n, field_u64(&e, ev));
	}
	return n;
}

/* String s (n bytes at most) as the YAML value of field f. */
static size_t yaml_value(const struct output *o, const struct field *f,
			 const char *s, size_t n, char *out)
{
	const struct yaml_at *at = &o->yaml_at[f - o->fs->f];

	return yaml_scalar(out, s, n, at->col, at->indent);
}

size_t output_value_max(const struct output *o, const struct field *f)
{
	if (o->mode == OUTPUT_YAML)
		return YAML_SCALAR_MAX(f->max_json,
				       o->yaml_at[f - o->fs->f].indent);
	return f->max_json;
}

/* The JSON value of a non-container field (YAML's in that mode). */
size_t output_json_value(struct output *o, const struct field *f,
			 const void *ev, char *out)
{
	const char *p = (const char *)ev + f->off;
	size_t n;

	switch (f->kind) {
	case FK_UINT:
		return fmt_u64(out, field_u64(f, ev));
	case FK_SINT:
		return fmt_s64(out, (__s64)field_u64(f, ev));
	case FK_BOOL:
		if (field_u64(f, ev)) {
			memcpy(out, "true", 4);
			return 4;
		}
		memcpy(out, "false", 5);
		return 5;
	case FK_FLOAT:
		if (o->mode == OUTPUT_YAML)
			return output_yaml_float(out, field_double(f, ev),
						 f->size == 4);
		return output_json_float(out, field_double(f, ev),
					 f->size == 4);
	case FK_STRING:
		if (o->mode == OUTPUT_YAML)
			return yaml_value(o, f, p, f->size, out);
		return output_json_string(out, p, f->size);
	case FK_INTARRAY: {
		struct field e = *f;

		if (o->mode == OUTPUT_YAML && yaml_seq(f))
			return yaml_int_seq(o, f, ev, out);

		n = 0;
		out[n++] = '[';
		for (__u32 i = 0; i < f->count; i++) {
			e.off = f->off + i * f->size;
			if (i)
				out[n++] = ',';
			n += f->is_signed ? fmt_s64(out + n,
						    (__s64)field_u64(&e, ev)) :
					    fmt_u64(out + n, field_u64(&e, ev));
		}
		out[n++] = ']';
		return n;
	}
	case FK_K8S: /* k8s.hostnetwork: true or false */
		if (!f->json_string)
			return field_text(&o->rc, f, ev, out);
		break;
	case FK_REST: { /* ig's JSON: bytes as a hex string */
		const unsigned char *b = field_rest(&o->rc, ev, &n);
		char *h = o->mode == OUTPUT_YAML ? o->text : out + 1;

		for (size_t i = 0; i < n; i++)
			fmt_hex(h + 2 * i, b[i], 2);
		if (o->mode == OUTPUT_YAML)
			return yaml_value(o, f, h, 2 * n, out);
		out[0] = '"';
		out[1 + 2 * n] = '"';
		return 2 * n + 2;
	}
	default:
		break;
	}
	/* a container's or pod's name: escaped as any string, not for a
	 * terminal (the value reads back as the runtime has it) */
	p = field_raw_text(&o->rc, f, ev, &n);
	if (p) {
		if (o->mode == OUTPUT_YAML)
			return yaml_value(o, f, p, n, out);
		return output_json_string(out, p, n);
	}
	if (o->mode != OUTPUT_YAML && output_text_is_safe(f)) {
		out[0] = '"';
		n = 1 + field_text(&o->rc, f, ev, out + 1);
		out[n++] = '"';
		return n;
	}
	n = field_text(&o->rc, f, ev, o->text);
	if (o->mode == OUTPUT_YAML)
		return yaml_value(o, f, o->text, n, out);
	return output_json_string(out, o->text, n);
}

/* ---- JSON lines program ------------------------------------------------ */

struct prog_build {
	struct output *o;
	char *pending; /* literal text not yet attached to a step */
	size_t pending_len, pending_cap;
	size_t prefixes_len, prefixes_cap;
	size_t steps_cap;
};

static int pending_add(struct prog_build *pb, const char *s)
{
	size_t n = strlen(s);

	if (grow_array((void **)&pb->pending, &pb->pending_cap,
		       pb->pending_len + n + 1, 1, 64))
		return -1;
	memcpy(pb->pending + pb->pending_len, s, n);
	pb->pending_len += n;
	return 0;
}

/*
 * Key k as JSON writes it (quoted, escaped as a value: a gadget's BTF
 * names and gadget.yaml targets are anyone's bytes), into the pending
 * text, then ':'.
 */
static int pending_json_key(struct prog_build *pb, const char *k)
{
	size_t kl = strlen(k);
	cleanup_free char *q = malloc(6 * kl + 3);

	if (!q)
		return -1;
	q[output_json_string(q, k, kl)] = '\0';
	return pending_add(pb, q) < 0 || pending_add(pb, ":") < 0 ? -1 : 0;
}

/* Whether YAML key k is written plain: letters, digits, '_' and '-' (not
 * first), and reads back as a string (not "y", "on", "null"...). */
static bool yaml_key_plain(const char *k)
{
	if (!*k || *k == '-' || !yaml_plain_is_str(k, strlen(k)))
		return false;
	for (; *k; k++)
		if (!((*k | 0x20) >= 'a' && (*k | 0x20) <= 'z') &&
		    !(*k >= '0' && *k <= '9') && *k != '_' && *k != '-')
			return false;
	return true;
}

/*
 * Key k as YAML writes it into the pending text: plain (yaml_key_plain()),
 * else double-quoted with everything but printable ASCII escaped (\xXX,
 * \uXXXX, \UXXXXXXXX: YAML takes no raw U+FFFE, and no byte that is no
 * UTF-8, as \ufffd); how many columns it takes.
 */
static int pending_yaml_key(struct prog_build *pb, const char *k, size_t *cols)
{
	const unsigned char *s = (const unsigned char *)k;
	size_t kl = strlen(k), n = 0;
	cleanup_free char *q = NULL;

	if (yaml_key_plain(k)) {
		*cols = kl;
		return pending_add(pb, k);
	}
	q = malloc(10 * kl + 3);
	if (!q)
		return -1;
	q[n++] = '"';
	for (size_t i = 0; i < kl;) {
		size_t l = s[i] < 0x80 ? 1 : utf8_len(s + i, kl - i);
		unsigned int cp = !l	 ? 0xfffd :
				  l == 1 ? s[i] :
					   utf8_cp(s + i, l);

		i += l ? l : 1;
		if (cp == '"' || cp == '\\')
			n += (size_t)sprintf(q + n, "\\%c", cp);
		else if (cp >= 0x20 && cp < 0x7f)
			q[n++] = (char)cp;
		else
			n += (size_t)sprintf(q + n,
					     cp < 0x100	  ? "\\x%02x" :
					     cp < 0x10000 ? "\\u%04x" :
							    "\\U%08x",
					     cp);
	}
	q[n++] = '"';
	q[n] = '\0';
	*cols = n;
	return pending_add(pb, q);
}

static int step_add(struct prog_build *pb, int field)
{
	struct output *o = pb->o;
	struct json_step *st;

	if (grow_array((void **)&o->steps, &pb->steps_cap, o->n_steps + 1,
		       sizeof(*o->steps), 16) ||
	    grow_array((void **)&o->prefixes, &pb->prefixes_cap,
		       pb->prefixes_len + pb->pending_len + 1, 1, 64))
		return -1;
	st = &o->steps[o->n_steps++];
	st->prefix_off = pb->prefixes_len;
	st->prefix_len = pb->pending_len;
	st->field = field;
	memcpy(o->prefixes + pb->prefixes_len, pb->pending, pb->pending_len);
	pb->prefixes_len += pb->pending_len;
	pb->pending_len = 0;
	return 0;
}

/*
 * The value of field i where it goes: a step, or, for a value that is the
 * same in every event (an environment variable's, FK_ENV), its text in
 * the program itself, written once here.
 */
static int value_add(struct prog_build *pb, int i)
{
	struct output *o = pb->o;
	const struct field *f = &o->fs->f[i];
	const struct field_env *e;
	cleanup_free char *v = NULL;

	if (f->kind != FK_ENV)
		return step_add(pb, i);
	e = field_env(o->fs, f);
	v = malloc(output_value_max(o, f) + 1);
	if (!v)
		return -1;
	if (o->mode == OUTPUT_YAML)
		v[yaml_value(o, f, e->value, e->len, v)] = '\0';
	else
		v[output_json_string(v, e->value, e->len)] = '\0';
	return pending_add(pb, v);
}

static int prog_object(struct prog_build *pb, int obj)
{
	const struct output *o = pb->o;

	for (int i = o->first[obj]; i >= 0; i = o->next[i]) {
		const struct field *f = &o->fs->f[i];

		if (i != o->first[obj] && pending_add(pb, ",") < 0)
			return -1;
		if (pending_json_key(pb, f->key) < 0)
			return -1;
		if (f->is_struct) {
			if (pending_add(pb, "{") < 0 ||
			    prog_object(pb, i) < 0 || pending_add(pb, "}") < 0)
				return -1;
		} else if (value_add(pb, i) < 0) {
			return -1;
		}
	}
	return 0;
}

/* Which fields JSON shows: not skipped, and selected if --fields was used. */
static void json_include(struct output *o)
{
	const struct fieldset *fs = o->fs;

	for (size_t i = 0; i < fs->n; i++) {
		const struct field *f = &fs->f[i];
		bool in = !f->json_skip, sel = f->selected;

		for (int p = f->parent; p >= 0 && in; p = fs->f[p].parent) {
			in = !fs->f[p].json_skip;
			sel |= fs->f[p].selected;
		}
		o->include[i] = in && (!fs->explicit_selection || sel) &&
				!f->is_struct;
	}
	/* a struct is there when one of its members is (parents come first) */
	for (size_t i = fs->n; i-- > 0;) {
		int p = fs->f[i].parent;

		if (o->include[i] && p >= 0)
			o->include[p] = true;
	}
}

/*
 * yaml.v2's order of map keys (ig's -o yaml is its JSON read into maps
 * and written by sigs.k8s.io/yaml's JSONToYAML, which sorts them so): a
 * letter before another by its code, anything else before a letter, and
 * where neither is one, runs of digits by their numbers (within a number
 * whose digits so far are not all 0, as if both had a 1 before them), then
 * by their lengths, then by code; a key before the keys it begins.  Go
 * compares runes: the same here for ASCII (field names are C
 * identifiers).
 */
static bool yaml_key_less(const char *ka, const char *kb)
{
	const unsigned char *a = (const unsigned char *)ka;
	const unsigned char *b = (const unsigned char *)kb;
	size_t i = 0;

#define LETTER(c) (((c) | 0x20) >= 'a' && ((c) | 0x20) <= 'z')
#define DIGIT(c) ((c) >= '0' && (c) <= '9')
	for (; a[i] && b[i]; i++) {
		__u64 an = 0, bn = 0;
		size_t ai, bi;

		if (a[i] == b[i])
			continue;
		if (LETTER(a[i]) && LETTER(b[i]))
			return a[i] < b[i];
		if (LETTER(a[i]) || LETTER(b[i]))
			return LETTER(b[i]);
		if (a[i] == '0' || b[i] == '0')
			for (size_t j = i; j-- > 0 && DIGIT(a[j]);)
				if (a[j] != '0') {
					an = bn = 1;
					break;
				}
		/* (Go's int64 wraps on a run of 19 digits or more) */
		for (ai = i; DIGIT(a[ai]); ai++)
			an = an * 10 + (a[ai] - '0');
		for (bi = i; DIGIT(b[bi]); bi++)
			bn = bn * 10 + (b[bi] - '0');
		if (an != bn)
			return (__s64)an < (__s64)bn;
		if (ai != bi)
			return ai < bi;
		return a[i] < b[i];
	}
#undef LETTER
#undef DIGIT
	return !a[i] && b[i];
}

/* Whether field a's key goes before field b's (keys_order()). */
static bool key_before(const struct output *o, int a, int b)
{
	const char *ka = o->fs->f[a].key, *kb = o->fs->f[b].key;

	return o->mode == OUTPUT_YAML ? yaml_key_less(ka, kb) :
					strcmp(ka, kb) < 0;
}

/*
 * The included members of each object in the order ig writes them: by
 * name (the last component), byte by byte in JSON (its formatter sorts
 * them with Go's strings.Compare, whatever order --fields gives), as
 * yaml.v2 sorts them in YAML (yaml_key_less()).  The included fields
 * sorted once, stably (a bottom-up merge sort), then linked per object
 * (o->first, o->next).
 */
static int keys_order(struct output *o)
{
	size_t n = 0, all = o->fs->n;
	int *a, *b, *t;

	a = calloc(all + 1, sizeof(*a));
	b = calloc(all + 1, sizeof(*b));
	o->first = malloc((all + 1) * sizeof(*o->first));
	o->next = malloc((all + 1) * sizeof(*o->next));
	if (!a || !b || !o->first || !o->next) {
		free(a);
		free(b);
		return -1;
	}
	for (size_t i = 0; i < o->fs->n; i++)
		if (o->include[i])
			a[n++] = (int)i;
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n;
			size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t x = lo, y = mid;

			for (size_t k = lo; k < hi; k++)
				b[k] = y < hi && (x == mid ||
						  key_before(o, a[y], a[x])) ?
					       a[y++] :
					       a[x++];
		}
		t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i <= all; i++)
		o->first[i] = o->next[i] = -1;
	while (n-- > 0) {
		int p = o->fs->f[a[n]].parent;

		p = p < 0 ? (int)all : p;
		o->next[a[n]] = o->first[p];
		o->first[p] = a[n];
	}
	free(a);
	free(b);
	return 0;
}

/*
 * The YAML program: the same steps as JSON lines' (output_json.c writes
 * the values, as YAML in this mode), the prefixes holding what goes
 * between them: ig's document marker, each key at its indentation
 * (2 spaces a level, as yaml.v2 writes maps), a struct's key alone on its
 * line before its members.
 */
static int prog_yaml(struct prog_build *pb, int obj, int depth)
{
	const struct output *o = pb->o;

	for (int i = o->first[obj]; i >= 0; i = o->next[i]) {
		const struct field *f = &o->fs->f[i];
		size_t cols;

		for (int d = 0; d < depth; d++)
			if (pending_add(pb, "  ") < 0)
				return -1;
		/* a key that reads back as a bool or a null when plain
		 * ("y", "on", "no", "null"...): quoted, as ig's YAML writer
		 * does; so is one of other bytes than a C identifier's */
		if (pending_yaml_key(pb, f->key, &cols) < 0)
			return -1;
		pb->o->yaml_at[i].col = (__u16)(2 * depth + cols + 2);
		pb->o->yaml_at[i].indent = (__u16)(2 * depth + 2);
		if (f->is_struct) {
			if (pending_add(pb, ":\n") < 0 ||
			    prog_yaml(pb, i, depth + 1) < 0)
				return -1;
		} else if (pending_add(pb, yaml_seq(f) ? ":" : ": ") < 0 ||
			   value_add(pb, i) < 0 || pending_add(pb, "\n") < 0) {
			return -1;
		}
	}
	return 0;
}

/* The program of JSON lines, or YAML's (mode OUTPUT_YAML). */
static int build_prog(struct output *o)
{
	struct prog_build pb = { .o = o };
	bool yaml = o->mode == OUTPUT_YAML;
	int top = (int)o->fs->n, r = -1;

	if (yaml) {
		o->yaml_at = calloc(o->fs->n + 1, sizeof(*o->yaml_at));
		if (!o->yaml_at)
			goto out;
	}
	if (pending_add(&pb, yaml ? "---\n" : "{") < 0 ||
	    (yaml ? prog_yaml(&pb, top, 0) : prog_object(&pb, top)) < 0 ||
	    (!yaml && pending_add(&pb, "}\n") < 0) || step_add(&pb, -1) < 0 ||
	    output_json_compile(o) < 0)
		goto out;
	r = 0;
out:
	free(pb.pending);
	return r;
}

/* ---- pretty JSON and YAML ------------------------------------------- */

static size_t indent(char *out, int n)
{
	return output_spaces(out, n);
}

/* Object obj (a struct field, or fs->n: the event) at depth. */
static size_t pretty_object(struct output *o, const void *ev, int obj,
			    int depth, char *out)
{
	const struct fieldset *fs = o->fs;
	bool first = true;
	size_t n = 0;

	for (int i = o->first[obj]; i >= 0; i = o->next[i]) {
		const struct field *f = &fs->f[i];

		if (!first)
			out[n++] = ',';
		out[n++] = '\n';
		first = false;
		n += indent(out + n, 2 * (depth + 1));
		memcpy(out + n, o->pkey_text + o->pkey_off[i], o->pkey_len[i]);
		n += o->pkey_len[i];
		if (f->is_struct) {
			out[n++] = '{';
			n += pretty_object(o, ev, i, depth + 1, out + n);
			continue;
		}
		n += output_json_value(o, f, ev, out + n);
	}
	if (!first) {
		out[n++] = '\n';
		n += indent(out + n, 2 * depth);
	}
	out[n++] = '}';
	return n;
}

/* The keys of -o jsonpretty, escaped once (o->pkey_*). */
static int pretty_keys(struct output *o)
{
	const struct fieldset *fs = o->fs;
	size_t len = 0;

	for (size_t i = 0; i < fs->n; i++)
		len += 6 * strlen(fs->f[i].key) + 4;
	o->pkey_text = malloc(len + 1);
	o->pkey_off = calloc(fs->n + 1, sizeof(*o->pkey_off));
	o->pkey_len = calloc(fs->n + 1, sizeof(*o->pkey_len));
	if (!o->pkey_text || !o->pkey_off || !o->pkey_len)
		return -1;
	len = 0;
	for (size_t i = 0; i < fs->n; i++) {
		char *t = o->pkey_text + len;
		size_t n = output_json_string(t, fs->f[i].key,
					      strlen(fs->f[i].key));

		memcpy(t + n, ": ", 2);
		o->pkey_off[i] = (__u32)len;
		o->pkey_len[i] = (__u32)(n + 2);
		len += n + 2;
	}
	return 0;
}

static size_t pretty_max_event(const struct output *o)
{
	size_t n = 16;

	for (size_t i = 0; i < o->fs->n; i++) {
		const struct field *f = &o->fs->f[i];

		if (o->include[i])
			n += f->max_json + 6 * strlen(f->key) +
			     2 * (size_t)(f->depth + 2) + 8;
	}
	return n;
}

/* ---- life cycle ------------------------------------------------------- */

void output_free(struct output *o)
{
	if (!o)
		return;
	output_flush(o);
	render_ctx_fini(&o->rc);
	free(o->buf);
	free(o->scratch);
	free(o->text);
	free(o->include);
	free(o->first);
	free(o->next);
	free(o->steps);
	free(o->yaml_at);
	free(o->pkey_text);
	free(o->pkey_off);
	free(o->pkey_len);
	free(o->prefixes);
	free(o->tab_ent);
	free(o->tab_text);
	free(o->memo);
	for (size_t g = 0; g < o->n_groups; g++)
		free(o->groups[g].ways);
	free(o->groups);
	free(o->width);
	free(o->ctab);
	free(o->ctab_text);
	free(o->cmemo);
	free(o->cmemo_text);
	pcapng_free(o->pcap);
	free(o->spec);
	free(o);
}

static int output_size_buffer(struct output *o)
{
	size_t need;
	char *nb;

	switch (o->mode) {
	case OUTPUT_COLUMNS:
		o->max_event = output_columns_max_event(o);
		break;
	case OUTPUT_JSON:
	case OUTPUT_YAML:
		o->max_event = 2 + OUTPUT_JSON_PAD;
		for (size_t s = 0; s < o->n_steps; s++) {
			o->max_event += o->steps[s].prefix_len;
			if (o->steps[s].field >= 0)
				o->max_event += output_value_max(
					o, &o->fs->f[o->steps[s].field]);
		}
		break;
	case OUTPUT_PCAPNG:
		o->max_event = pcapng_max_event(o->pcap);
		break;
	default:
		o->max_event = pretty_max_event(o);
		break;
	}
	need = o->threshold + 2 * o->max_event;
	if (need <= o->cap)
		return 0;
	nb = realloc(o->buf, need);
	if (!nb)
		return -1;
	o->buf = nb;
	o->cap = need;
	return 0;
}

int output_new(const struct fieldset *fs, enum output_mode mode, int fd,
	       struct output **out, struct error **err)
{
	struct output *o;
	struct winsize ws;

	*out = NULL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return error_set(err, ENOMEM, "output");
	o->fs = fs;
	o->mode = mode;
	o->fd = fd;
	render_ctx_init(&o->rc, fs);
	output_behind_init(o);
	/* output_behind_init(): on for regular files */
	o->hold = o->behind_on;
	o->threshold = o->hold ? OUT_FILE_THRESHOLD : OUT_THRESHOLD;
	o->text = malloc(fieldset_text_size(fs));
	o->scratch = calloc(1, fs->event_size ? fs->event_size : 1);
	o->include = calloc(fs->n ? fs->n : 1, sizeof(*o->include));
	o->width = calloc(fs->n_cols ? fs->n_cols : 1, sizeof(*o->width));
	o->spec = calloc(fs->n_cols ? fs->n_cols : 1, sizeof(*o->spec));
	if (!o->text || !o->scratch || !o->include || !o->width || !o->spec)
		goto err_nomem;
	o->tty = isatty(fd);
	if (mode == OUTPUT_COLUMNS && o->tty && !ioctl(fd, TIOCGWINSZ, &ws) &&
	    ws.ws_col > 0)
		o->term_width = ws.ws_col;
	output_columns_layout(o);
	json_include(o);
	if ((mode == OUTPUT_JSON || mode == OUTPUT_JSONPRETTY ||
	     mode == OUTPUT_YAML) &&
	    keys_order(o) < 0)
		goto err_nomem;
	if ((mode == OUTPUT_JSON || mode == OUTPUT_YAML) && build_prog(o) < 0)
		goto err_nomem;
	if (mode == OUTPUT_JSONPRETTY && pretty_keys(o) < 0)
		goto err_nomem;
	if (mode == OUTPUT_PCAPNG && pcapng_new(fs, &o->pcap, err) < 0) {
		output_free(o);
		return -1;
	}
	if (output_size_buffer(o) < 0)
		goto err_nomem;
	if (o->pcap) { /* the section header: a unit, but no event */
		o->len = pcapng_header(o->pcap, o->buf);
		o->ends[o->n_units++] = (unsigned int)o->len;
		o->header_pending = true;
	}
	*out = o;
	return 0;

err_nomem:
	output_free(o);
	return error_set(err, ENOMEM, "output");
}

void output_set_term_width(struct output *o, int width)
{
	o->term_width = width;
	output_columns_layout(o);
	if (output_size_buffer(o) < 0)
		o->err = ENOMEM;
}

int output_error(const struct output *o)
{
	return o->err;
}

/* ---- writing ----------------------------------------------------------- */

/*
 * After a failed write that left part of a unit on fd: take it back when
 * fd is a regular file (its offset is just past the part), so that the
 * file ends with a whole line; otherwise say so through o->cut.
 */
static void take_back(struct output *o, size_t part)
{
	struct stat st;
	off_t pos;

	if (!fstat(o->fd, &st) && S_ISREG(st.st_mode)) {
		pos = lseek(o->fd, 0, SEEK_CUR);
		if (pos >= (off_t)part && !ftruncate(o->fd, pos - part) &&
		    lseek(o->fd, pos - part, SEEK_SET) >= 0)
			return;
	}
	o->cut = true;
}

void output_set_stop(struct output *o, const volatile sig_atomic_t *stop)
{
	o->stop = stop;
}

unsigned long long output_dropped(const struct output *o)
{
	return o->dropped;
}

/*
 * Stopping: does fd take PIPE_BUF bytes within a second (a pipe takes
 * that much whole, without waiting, when poll() says it can be written)?
 * A reader that still reads gets the rest; one that stopped reading costs
 * the stop a second, and the rest is dropped.
 */
static bool writable_soon(const struct output *o)
{
	struct pollfd p = { .fd = o->fd, .events = POLLOUT };
	int r;

	do
		r = poll(&p, 1, OUTPUT_STOP_WAIT_MS);
	while (r < 0 && errno == EINTR);
	return r == 1 && (p.revents & POLLOUT);
}

bool output_reader_gone(struct output *o)
{
	struct pollfd p = { .fd = o->fd };

	if (o->err || poll(&p, 1, 0) != 1 || !(p.revents & POLLERR))
		return false;
	o->err = EPIPE;
	return true;
}

int output_flush(struct output *o)
{
	size_t done = 0, k = 0, whole;
	bool header = o->header_pending;

	while (done < o->len && !o->err) {
		size_t want = o->len - done;
		ssize_t w;

		if (o->stop && *o->stop) {
			if (o->stalled || !writable_soon(o)) {
				o->stalled = true;
				break; /* the rest is dropped */
			}
			if (want > PIPE_BUF)
				want = PIPE_BUF;
		}
		w = write(o->fd, o->buf + done, want);

		if (w > 0) {
			done += w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = o->fd, .events = POLLOUT };

			poll(&p, 1, 1000);
		} else {
			o->err = w < 0 ? errno : EIO;
		}
	}
	/* count what went out whole; a part of one is taken back */
	while (k < o->n_units && o->ends[k] <= done)
		k++;
	whole = k ? o->ends[k - 1] : 0;
	if (k && o->header_pending)
		k--;
	if (whole)
		o->header_pending = false;
	o->written += k;
	if (o->err && done > whole)
		take_back(o, done - whole);
	else if (done < o->len && done > whole)
		o->cut = true; /* stopped, part of one written */
	if (!o->err && done < o->len) {
		/* the header is no event, written or not; dropped, it is
		 * pending no more */
		o->dropped += o->n_units - k - header;
		o->header_pending = false;
	}
	if (done)
		output_behind(o, done);
	o->len = 0;
	o->n_units = 0;
	o->held_since = 0;
	if (o->err) {
		errno = o->err;
		return -1;
	}
	return 0;
}

int output_flush_due(struct output *o, double now)
{
	if (!o->len)
		return o->err ? -1 : 0;
	if (o->hold) {
		if (!o->held_since)
			o->held_since = now;
		if (now - o->held_since < OUT_FILE_DELAY)
			return o->err ? -1 : 0;
	}
	return output_flush(o);
}

unsigned long long output_written(const struct output *o)
{
	return o->written;
}

bool output_cut(const struct output *o)
{
	return o->cut;
}

bool output_pending(const struct output *o)
{
	return o->len > 0;
}

/* Make room for one more event. */
static char *reserve(struct output *o)
{
	if (o->len + o->max_event > o->cap || o->n_units == OUT_MAX_UNITS)
		output_flush(o);
	return o->buf + o->len;
}

static void commit(struct output *o, size_t n)
{
	o->len += n;
	o->ends[o->n_units++] = (unsigned int)o->len;
	if (o->len >= o->threshold)
		output_flush(o);
}

/* The header, after clear (n bytes) */
static void header(struct output *o, const char *clear, size_t n)
{
	char *out;

	if (o->mode != OUTPUT_COLUMNS || o->err)
		return;
	out = reserve(o);
	o->header_pending = o->n_units == 0;
	memcpy(out, clear, n);
	commit(o, n + output_columns_header(o, out + n));
}

void output_header(struct output *o)
{
	header(o, "", 0);
}

/* ig's (cursor home, erase the screen) */
#define CLEAR_SCREEN "\033[H\033[2J"

void output_batch_header(struct output *o, bool clear)
{
	if (o->mode != OUTPUT_COLUMNS || o->err)
		return;
	/* the header leads the buffer: not counted as an event */
	output_flush(o);
	if (clear && o->tty)
		header(o, CLEAR_SCREEN, sizeof(CLEAR_SCREEN) - 1);
	else
		header(o, "", 0);
}

void output_event(struct output *o, const void *data, size_t size)
{
	const void *ev = data;
	char *out;
	size_t n = 0;

	if (o->err)
		return;
	o->rc.rest_size = size > o->fs->event_size ? size - o->fs->event_size :
						     0;
	if (o->mode == OUTPUT_PCAPNG) {
		out = reserve(o);
		n = pcapng_event(o->pcap, &o->rc, data, size, out);
		if (n) /* else no packet to write */
			commit(o, n);
		return;
	}
	out = reserve(o);
	switch (o->mode) {
	case OUTPUT_COLUMNS:
		n = output_render_columns(o, ev, out);
		break;
	case OUTPUT_JSON:
		n = output_json_render(o, ev, out);
		break;
	case OUTPUT_JSONPRETTY:
		out[0] = '{';
		n = 1 + pretty_object(o, ev, (int)o->fs->n, 0, out + 1);
		out[n++] = '\n';
		break;
	case OUTPUT_YAML: /* its program's prefixes make it YAML */
		n = output_json_render(o, ev, out);
		break;
	case OUTPUT_PCAPNG: /* above */
		break;
	}
	commit(o, n);
}
