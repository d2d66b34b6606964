// SPDX-License-Identifier: Apache-2.0
/*
 * Builds the field list of a data source from the event struct's BTF and
 * the gadget.yaml annotations, and renders single values.
 *
 * Formatting is decided by types only: typedef names of the gadget API
 * (gadget_timestamp, gadget_duration, gadget_uid, ...), the endpoint and
 * process struct names, BTF kinds (enums, bools, char arrays), and the
 * naming convention that a field X_raw gets a formatted sibling X.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <bpf/btf.h>

#include "common/cleanup.h"
#include "metadata/metadata.h"
#include "runner/engine/enrich.h"
#include "runner/engine/containers.h"
#include "runner/engine/fields_internal.h"

#define MAX_DEPTH 16

/* Per field data that only matters while building. */
struct build_info {
	const char *tmpl; /* template implied by the type */
	bool type_hidden; /* hidden in columns by the type's convention */
};

struct build {
	const struct btf *btf;
	const struct gadget_metadata *md;
	const char *ds;
	struct field *f;
	struct build_info *bi;
	size_t n, cap;
	struct error **err;
};

/* Templates: annotation sets a field gets from its type or `template:`. */
struct tmpl {
	const char *name;
	int width, minwidth, maxwidth;
	enum field_align align;
	bool hidden;
};

static const struct tmpl templates[] = {
	{ "comm", 16, 6, 16, ALIGN_LEFT, false },
	{ "pid", 7, 7, 10, ALIGN_RIGHT, false },
	{ "tid", 7, 7, 10, ALIGN_RIGHT, false },
	{ "uid", 8, 4, 10, ALIGN_RIGHT, false },
	{ "gid", 8, 4, 10, ALIGN_RIGHT, false },
	{ "user", 12, 4, 32, ALIGN_LEFT, false },
	{ "group", 12, 4, 32, ALIGN_LEFT, false },
	{ "timestamp", 35, 19, 35, ALIGN_LEFT, false },
	{ "duration", 12, 6, 20, ALIGN_RIGHT, false },
	{ "l4endpoint", 24, 22, 53, ALIGN_LEFT, false },
	{ "l3endpoint", 16, 7, 45, ALIGN_LEFT, false },
	{ "ns", 12, 10, 20, ALIGN_RIGHT, true },
	{ "netns_id", 12, 10, 20, ALIGN_RIGHT, true },
	{ "mntns_id", 12, 10, 20, ALIGN_RIGHT, true },
	{ "bytes", 8, 4, 20, ALIGN_RIGHT, false },
	{ "node", 30, 10, 60, ALIGN_LEFT, false },
	{ "namespace", 30, 10, 60, ALIGN_LEFT, false },
	{ "pod", 30, 10, 60, ALIGN_LEFT, false },
	{ "podname", 30, 10, 60, ALIGN_LEFT, false },
	{ "container", 30, 10, 60, ALIGN_LEFT, false },
	{ "containername", 30, 10, 60, ALIGN_LEFT, false },
	{ "containerimage", 30, 10, 80, ALIGN_LEFT, false },
};

static const struct tmpl *find_template(const char *name)
{
	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++)
		if (!strcmp(templates[i].name, name))
			return &templates[i];
	return NULL;
}

/* ---- integer formatters ---------------------------------------------- */

/* "00" to "99": two digits per division (a hot path of -o json). */
static const char digit_pairs[201] = "00010203040506070809"
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
	char tmp[20], *p = tmp + sizeof(tmp);
	size_t n;

	if (v < 10) {
		buf[0] = '0' + v;
		return 1;
	}
	while (v >= 100) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * v, 2);
	} else {
		*--p = '0' + v;
	}
	n = tmp + sizeof(tmp) - p;
	memcpy(buf, p, n);
	return n;
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

/* ---- building ------------------------------------------------------- */

static int add_field(struct build *b, const char *prefix, const char *key,
		     int parent, int depth, enum field_kind kind)
{
	struct field *f;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		struct field *nf = realloc(b->f, cap * sizeof(*nf));
		struct build_info *nb;

		if (!nf)
			return error_set(b->err, ENOMEM, "fields");
		b->f = nf;
		nb = realloc(b->bi, cap * sizeof(*nb));
		if (!nb)
			return error_set(b->err, ENOMEM, "fields");
		b->bi = nb;
		b->cap = cap;
	}
	f = &b->f[b->n];
	memset(f, 0, sizeof(*f));
	memset(&b->bi[b->n], 0, sizeof(b->bi[b->n]));
	if (prefix && *prefix) {
		if (asprintf(&f->name, "%s.%s", prefix, key) < 0)
			f->name = NULL;
	} else {
		f->name = strdup(key);
	}
	if (!f->name)
		return error_set(b->err, ENOMEM, "fields");
	f->key = strrchr(f->name, '.') ? strrchr(f->name, '.') + 1 : f->name;
	f->parent = parent;
	f->depth = depth;
	f->kind = kind;
	f->count = 1;
	f->shown_if = -1;
	f->raw_of = -1;
	f->fmt_of = -1;
	return (int)b->n++;
}

/* Skip modifiers and typedefs; report the outermost gadget_* typedef. */
static __u32 resolve(const struct btf *btf, __u32 id, const char **gname)
{
	const struct btf_type *t;

	for (int i = 0; i < 32; i++) {
		t = btf__type_by_id(btf, id);
		if (!t)
			return 0;
		switch (btf_kind(t)) {
		case BTF_KIND_TYPEDEF: {
			const char *n = btf__name_by_offset(btf, t->name_off);

			if (gname && !*gname && n && !strncmp(n, "gadget_", 7))
				*gname = n;
			id = t->type;
			break;
		}
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = t->type;
			break;
		default:
			return id;
		}
	}
	return 0;
}

static const char *type_name(const struct btf *btf, const struct btf_type *t)
{
	const char *n = btf__name_by_offset(btf, t->name_off);

	return n ? n : "";
}

static bool is_char_type(const struct btf *btf, __u32 id)
{
	const char *g = NULL;
	const struct btf_type *t;
	const char *n;

	id = resolve(btf, id, &g);
	t = btf__type_by_id(btf, id);
	if (!t || !btf_is_int(t) || t->size != 1)
		return false;
	if (g && !strcmp(g, "gadget_comm"))
		return true;
	n = type_name(btf, t);
	return (btf_int_encoding(t) & BTF_INT_CHAR) || !strcmp(n, "char") ||
	       !strcmp(n, "signed char");
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a > b && !strcmp(s + a - b, suffix);
}

/* Does struct type t have a member called name? */
static bool struct_has_member(const struct btf *btf, const struct btf_type *t,
			      const char *name)
{
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), name))
			return true;
	return false;
}

static const char *ann_lookup(struct build *b, const char *field,
			      const char *key)
{
	return metadata_field_annotation(b->md, b->ds, field, key);
}

static int load_enum(struct build *b, struct field *f, const struct btf_type *t)
{
	int n = btf_vlen(t);
	bool sign = btf_kflag(t);

	f->enums = calloc(n ? n : 1, sizeof(*f->enums));
	if (!f->enums)
		return error_set(b->err, ENOMEM, "fields");
	for (int i = 0; i < n; i++) {
		struct enum_entry *e = &f->enums[i];

		if (btf_is_enum(t)) {
			const struct btf_enum *be = btf_enum(t) + i;

			e->value = sign ? (__s64)be->val :
					  (__s64)(__u32)be->val;
			e->name = btf__name_by_offset(b->btf, be->name_off);
		} else {
			const struct btf_enum64 *be = btf_enum64(t) + i;

			e->value = (__s64)btf_enum64_value(be);
			e->name = btf__name_by_offset(b->btf, be->name_off);
		}
	}
	f->n_enums = n;
	/* insertion sort keeps this dependency free; enums are short */
	for (int i = 1; i < n; i++) {
		struct enum_entry e = f->enums[i];
		int j = i - 1;

		while (j >= 0 && f->enums[j].value > e.value) {
			f->enums[j + 1] = f->enums[j];
			j--;
		}
		f->enums[j + 1] = e;
	}
	return 0;
}

/* Split "Q, R" into trimmed entries. */
static int parse_one_of(struct build *b, struct field *f, const char *s)
{
	cleanup_free char *copy = strdup(s);
	char *save = NULL, *tok;
	size_t n = 1;

	if (!copy)
		return error_set(b->err, ENOMEM, "fields");
	for (const char *p = s; *p; p++)
		n += *p == ',';
	f->one_of = calloc(n, sizeof(*f->one_of));
	if (!f->one_of)
		return error_set(b->err, ENOMEM, "fields");
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *end;

		while (isspace((unsigned char)*tok))
			tok++;
		end = tok + strlen(tok);
		while (end > tok && isspace((unsigned char)end[-1]))
			*--end = '\0';
		f->one_of[f->n_one_of] = strdup(tok);
		if (!f->one_of[f->n_one_of])
			return error_set(b->err, ENOMEM, "fields");
		f->n_one_of++;
	}
	return 0;
}

static const char *tmpl_for_typedef(const char *g)
{
	static const char *const map[][2] = {
		{ "gadget_comm", "comm" },
		{ "gadget_pid", "pid" },
		{ "gadget_ppid", "pid" },
		{ "gadget_tid", "tid" },
		{ "gadget_uid", "uid" },
		{ "gadget_gid", "gid" },
		{ "gadget_timestamp", "timestamp" },
		{ "gadget_duration", "duration" },
		{ "gadget_mntns_id", "mntns_id" },
		{ "gadget_netns_id", "netns_id" },
		{ "gadget_bytes", "bytes" },
	};

	if (!g)
		return NULL;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], g))
			return map[i][1];
	return NULL;
}

/* Locate member name of struct t: absolute offset and size in bytes. */
static bool find_member(const struct btf *btf, const struct btf_type *t,
			__u32 base, const char *name, __u32 *off, __u32 *size)
{
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++) {
		__s64 sz;

		if (strcmp(btf__name_by_offset(btf, m[i].name_off), name))
			continue;
		sz = btf__resolve_size(btf, m[i].type);
		if (sz <= 0 || btf_member_bitfield_size(t, i))
			return false;
		*off = base + btf_member_bit_offset(t, i) / 8;
		*size = sz;
		return true;
	}
	return false;
}

struct endpoint_layout {
	__u32 addr_off, addr_size, ver_off, ver_size, port_off, port_size;
	__u32 proto_off, proto_size;
	bool has_port, has_proto;
};

static int endpoint_layout(struct build *b, const struct btf_type *t,
			   __u32 base, bool l4, const char *name,
			   struct endpoint_layout *l)
{
	memset(l, 0, sizeof(*l));
	if (!find_member(b->btf, t, base, "addr_raw", &l->addr_off,
			 &l->addr_size) &&
	    !find_member(b->btf, t, base, "addr", &l->addr_off, &l->addr_size))
		return error_set(b->err, 0,
				 "field %s: struct %s has no member addr_raw",
				 name, type_name(b->btf, t));
	if (l->addr_size < 16)
		return error_set(b->err, 0,
				 "field %s: addr_raw of struct %s is %u bytes, "
				 "expected 16",
				 name, type_name(b->btf, t), l->addr_size);
	if (!find_member(b->btf, t, base, "version", &l->ver_off,
			 &l->ver_size) ||
	    l->ver_size > 8)
		return error_set(b->err, 0,
				 "field %s: struct %s has no member version",
				 name, type_name(b->btf, t));
	if (!l4)
		return 0;
	l->has_port = find_member(b->btf, t, base, "port", &l->port_off,
				  &l->port_size) &&
		      l->port_size <= 8;
	l->has_proto = (find_member(b->btf, t, base, "proto_raw", &l->proto_off,
				    &l->proto_size) ||
			find_member(b->btf, t, base, "proto", &l->proto_off,
				    &l->proto_size)) &&
		       l->proto_size <= 8;
	if (!l->has_port)
		return error_set(b->err, 0,
				 "field %s: struct %s has no member port", name,
				 type_name(b->btf, t));
	return 0;
}

static int add_scalar_child(struct build *b, const char *prefix,
			    const char *key, int parent, int depth,
			    enum field_kind kind, __u32 off, __u32 size)
{
	int i = add_field(b, prefix, key, parent, depth, kind);

	if (i < 0)
		return -1;
	b->f[i].off = off;
	b->f[i].size = size;
	b->bi[i].type_hidden = true;
	return i;
}

static int add_endpoint(struct build *b, const char *prefix, const char *key,
			int parent, int depth, const struct btf_type *t,
			__u32 base, bool l4)
{
	struct endpoint_layout l;
	struct field *f;
	int i, c;

	i = add_field(b, prefix, key, parent, depth, l4 ? FK_L4EP : FK_L3EP);
	if (i < 0)
		return -1;
	f = &b->f[i];
	if (endpoint_layout(b, t, base, l4, f->name, &l) < 0)
		return -1;
	f->container = true;
	f->off = base;
	f->size = t->size;
	f->addr_off = l.addr_off;
	f->ver_off = l.ver_off;
	f->ver_size = l.ver_size;
	f->port_off = l.port_off;
	f->port_size = l.port_size;
	b->bi[i].tmpl = l4 ? "l4endpoint" : "l3endpoint";

	c = add_scalar_child(b, b->f[i].name, "addr", i, depth + 1, FK_IPADDR,
			     l.addr_off, 16);
	if (c < 0)
		return -1;
	b->f[c].addr_off = l.addr_off;
	b->f[c].ver_off = l.ver_off;
	b->f[c].ver_size = l.ver_size;
	if (add_scalar_child(b, b->f[i].name, "version", i, depth + 1, FK_UINT,
			     l.ver_off, l.ver_size) < 0)
		return -1;
	if (!l4)
		return 0;
	if (add_scalar_child(b, b->f[i].name, "port", i, depth + 1, FK_UINT,
			     l.port_off, l.port_size) < 0)
		return -1;
	if (l.has_proto) {
		c = add_scalar_child(b, b->f[i].name, "proto", i, depth + 1,
				     FK_PROTO, l.proto_off, l.proto_size);
		if (c < 0)
			return -1;
		if (add_scalar_child(b, b->f[i].name, "proto_raw", i, depth + 1,
				     FK_UINT, l.proto_off, l.proto_size) < 0)
			return -1;
		b->f[c + 1].fmt_of = -1;
		b->f[c + 1].raw_of = c;
		b->f[c].fmt_of = c + 1;
	}
	return 0;
}

static int walk_struct(struct build *b, __u32 type_id, __u32 base_bits,
		       const char *prefix, int parent, int depth,
		       int proc_level);

/*
 * One struct member: choose its kind from its type, add it (and a
 * formatted sibling or derived fields where the conventions ask for them).
 */
static int add_member(struct build *b, const struct btf_type *st, int mi,
		      __u32 base_bits, const char *prefix, int parent,
		      int depth, int proc_level)
{
	const struct btf_member *m = btf_members(st) + mi;
	const char *mname = btf__name_by_offset(b->btf, m->name_off);
	__u32 bits = base_bits + btf_member_bit_offset(st, mi);
	__u32 bf = btf_member_bitfield_size(st, mi);
	const char *g = NULL;
	const struct btf_type *t;
	enum field_kind kind, fmt = FK_CONTAINER;
	__u32 id;
	int i;

	id = resolve(b->btf, m->type, &g);
	t = btf__type_by_id(b->btf, id);
	if (!t)
		return error_set(b->err, 0, "BTF: bad type of member %s",
				 mname);

	/* anonymous struct or union members flatten into this level */
	if (!mname || !*mname) {
		if (!btf_is_composite(t))
			return 0;
		return walk_struct(b, id, bits, prefix, parent, depth,
				   proc_level);
	}
	if (depth >= MAX_DEPTH)
		return error_set(b->err, 0, "BTF: structs nest too deep at %s",
				 mname);

	if (btf_is_struct(t)) {
		const char *sn = type_name(b->btf, t);

		if (bits % 8)
			return error_set(b->err, 0, "BTF: unaligned member %s",
					 mname);
		if (!strcmp(sn, "gadget_l4endpoint_t") ||
		    !strcmp(sn, "gadget_l3endpoint_t")) {
			i = (int)b->n;
			if (add_endpoint(b, prefix, mname, parent, depth, t,
					 bits / 8,
					 sn[7] == 'l' && sn[8] == '4') < 0)
				return -1;
			if (proc_level)
				b->bi[i].type_hidden = true;
			return 0;
		}
		i = add_field(b, prefix, mname, parent, depth, FK_CONTAINER);
		if (i < 0)
			return -1;
		b->f[i].container = true;
		b->f[i].off = bits / 8;
		b->f[i].size = t->size;
		if (!strcmp(sn, "gadget_process"))
			return walk_struct(b, id, bits, b->f[i].name, i,
					   depth + 1, 1);
		return walk_struct(b, id, bits, b->f[i].name, i, depth + 1,
				   proc_level ? proc_level + 1 : 0);
	}

	i = add_field(b, prefix, mname, parent, depth, FK_UINT);
	if (i < 0)
		return -1;
	b->f[i].off = bits / 8;
	b->bi[i].tmpl = tmpl_for_typedef(g);
	if (g && !(b->f[i].gtype = strdup(g)))
		return error_set(b->err, ENOMEM, "fields");
	if (proc_level > 1 ||
	    (proc_level == 1 && strcmp(mname, "comm") && strcmp(mname, "pid")))
		b->bi[i].type_hidden = true;

	switch (btf_kind(t)) {
	case BTF_KIND_INT: {
		__u8 enc = btf_int_encoding(t);
		const char *tn = type_name(b->btf, t);

		b->f[i].size = t->size;
		b->f[i].is_signed = enc & BTF_INT_SIGNED;
		if (t->size > 8 && !bf) {
			kind = FK_BYTES;
		} else if ((enc & BTF_INT_BOOL) || !strcmp(tn, "_Bool") ||
			   !strcmp(tn, "bool")) {
			kind = FK_BOOL;
		} else {
			kind = b->f[i].is_signed ? FK_SINT : FK_UINT;
		}
		if (bf) {
			if (bf > 64 || t->size > 8)
				return error_set(b->err, 0,
						 "BTF: bitfield %s too wide",
						 b->f[i].name);
			b->f[i].off = bits / 8;
			b->f[i].bit_off = bits % 8;
			b->f[i].bit_size = bf;
		}
		break;
	}
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		b->f[i].size = t->size;
		b->f[i].is_signed = btf_kflag(t);
		kind = b->f[i].is_signed ? FK_SINT : FK_UINT;
		if (bf) {
			b->f[i].bit_off = bits % 8;
			b->f[i].bit_size = bf;
		}
		if (load_enum(b, &b->f[i], t) < 0)
			return -1;
		fmt = FK_ENUM;
		break;
	case BTF_KIND_FLOAT:
		b->f[i].size = t->size;
		kind = t->size == 4 || t->size == 8 ? FK_FLOAT : FK_BYTES;
		break;
	case BTF_KIND_PTR:
		b->f[i].size = 8;
		kind = FK_HEX;
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);
		const char *eg = NULL;
		__u32 eid = resolve(b->btf, a->type, &eg);
		const struct btf_type *et = btf__type_by_id(b->btf, eid);
		__s64 esz = btf__resolve_size(b->btf, a->type);

		if (!et || esz <= 0)
			return error_set(b->err, 0, "BTF: bad array %s",
					 b->f[i].name);
		if (eg && !b->f[i].gtype && !(b->f[i].gtype = strdup(eg)))
			return error_set(b->err, ENOMEM, "fields");
		if (is_char_type(b->btf, a->type)) {
			kind = FK_STRING;
			b->f[i].size = a->nelems;
			if (!b->bi[i].tmpl)
				b->bi[i].tmpl = tmpl_for_typedef(eg);
		} else if (btf_is_struct(et) &&
			   !strcmp(type_name(b->btf, et),
				   "gadget_l3endpoint_t")) {
			struct endpoint_layout l;

			if (endpoint_layout(b, et, 0, false, b->f[i].name, &l) <
			    0)
				return -1;
			kind = FK_L3EP_LIST;
			b->f[i].size = esz;
			b->f[i].count = a->nelems;
			b->f[i].addr_off = l.addr_off;
			b->f[i].ver_off = l.ver_off;
			b->f[i].ver_size = l.ver_size;
		} else if (btf_is_int(et) && esz > 1 && esz <= 8 &&
			   a->nelems > 0) {
			kind = FK_INTARRAY;
			b->f[i].size = esz;
			b->f[i].count = a->nelems;
			b->f[i].is_signed = btf_int_encoding(et) &
					    BTF_INT_SIGNED;
		} else {
			kind = FK_BYTES;
			b->f[i].size = esz * a->nelems;
		}
		break;
	}
	default: /* unions and the rest: their bytes */
		kind = FK_BYTES;
		b->f[i].size = btf__resolve_size(b->btf, id) > 0 ?
				       btf__resolve_size(b->btf, id) :
				       0;
		break;
	}
	if (bf && kind != FK_UINT && kind != FK_SINT && kind != FK_BOOL &&
	    fmt != FK_ENUM)
		return error_set(b->err, 0, "BTF: unsupported bitfield %s",
				 b->f[i].name);
	if (!bf && bits % 8)
		return error_set(b->err, 0, "BTF: unaligned member %s",
				 b->f[i].name);
	b->f[i].kind = kind;

	if (kind == FK_UINT || kind == FK_SINT || kind == FK_BOOL) {
		if (g && !strcmp(g, "gadget_timestamp"))
			fmt = FK_TIMESTAMP;
		else if (g && !strcmp(g, "gadget_duration"))
			fmt = FK_DURATION;
		else if (g && !strcmp(g, "gadget_signal"))
			fmt = FK_SIGNAL;
		else if (g && !strcmp(g, "gadget_errno"))
			fmt = FK_ERRNO;
		else if (g && !strcmp(g, "gadget_file_mode"))
			fmt = FK_FILE_MODE;
		else if (g && !strcmp(g, "gadget_file_flags"))
			fmt = FK_FILE_FLAGS;
	}

	/* X_raw: add the formatted X in front of it, unless X exists */
	if (has_suffix(mname, "_raw") &&
	    (kind == FK_UINT || kind == FK_SINT || kind == FK_BOOL)) {
		char xname[256];
		size_t xl = strlen(mname) - 4;
		char full[512];
		const char *oneof;

		snprintf(xname, sizeof(xname), "%.*s", (int)xl, mname);
		if (prefix && *prefix)
			snprintf(full, sizeof(full), "%s.%s", prefix, xname);
		else
			snprintf(full, sizeof(full), "%s", xname);
		oneof = ann_lookup(b, full, "value.one-of");
		if (!oneof)
			oneof = ann_lookup(b, b->f[i].name, "value.one-of");
		if (fmt == FK_CONTAINER && oneof)
			fmt = FK_ONEOF;
		if (fmt != FK_CONTAINER &&
		    !struct_has_member(b->btf, st, xname)) {
			struct field raw = b->f[i];
			struct build_info rbi = b->bi[i];
			int x;

			/* re-add: X takes slot i, X_raw goes after it */
			b->n--; /* raw keeps the name */
			x = add_field(b, prefix, xname, parent, depth, fmt);
			if (x < 0) {
				free(raw.name);
				free(raw.enums);
				return -1;
			}
			b->f[x].off = raw.off;
			b->f[x].size = raw.size;
			b->f[x].bit_off = raw.bit_off;
			b->f[x].bit_size = raw.bit_size;
			b->f[x].is_signed = raw.is_signed;
			b->f[x].enums = raw.enums;
			b->f[x].n_enums = raw.n_enums;
			b->bi[x] = rbi;
			raw.enums = NULL;
			raw.n_enums = 0;
			if (fmt == FK_ONEOF &&
			    parse_one_of(b, &b->f[x], oneof) < 0) {
				free(raw.name);
				return -1;
			}
			if (add_field(b, NULL, "", parent, depth, kind) < 0) {
				free(raw.name);
				return -1;
			}
			free(b->f[x + 1].name);
			b->f[x + 1] = raw;
			b->bi[x + 1] = rbi;
			b->bi[x + 1].type_hidden = true;
			b->bi[x + 1].tmpl = NULL;
			b->f[x].fmt_of = x + 1;
			b->f[x + 1].raw_of = x;
			i = x + 1;
		}
	} else if (fmt != FK_CONTAINER) {
		/* formatted in place, no raw sibling */
		b->f[i].kind = fmt;
	} else if (kind == FK_UINT || kind == FK_SINT || kind == FK_BOOL) {
		const char *oneof = ann_lookup(b, b->f[i].name, "value.one-of");

		if (oneof) {
			b->f[i].kind = FK_ONEOF;
			if (parse_one_of(b, &b->f[i], oneof) < 0)
				return -1;
		}
	}

	/* uid and gid get their names as derived siblings */
	if (g && (!strcmp(g, "gadget_uid") || !strcmp(g, "gadget_gid")) &&
	    (kind == FK_UINT || kind == FK_SINT) && !bf) {
		bool grp = !strcmp(g, "gadget_gid");
		char dname[256];
		int d;

		if (!strcmp(b->f[i].key, grp ? "gid" : "uid"))
			snprintf(dname, sizeof(dname), "%s",
				 grp ? "group" : "user");
		else
			snprintf(dname, sizeof(dname), "%s_%s", b->f[i].key,
				 grp ? "group" : "user");
		if (!struct_has_member(b->btf, st, dname)) {
			d = add_field(b, prefix, dname, parent, depth,
				      grp ? FK_GROUP : FK_USER);
			if (d < 0)
				return -1;
			b->f[d].off = b->f[i].off;
			b->f[d].size = b->f[i].size;
			b->bi[d].tmpl = grp ? "group" : "user";
			b->bi[d].type_hidden = true;
		}
	}
	return 0;
}

static int walk_struct(struct build *b, __u32 type_id, __u32 base_bits,
		       const char *prefix, int parent, int depth,
		       int proc_level)
{
	const struct btf_type *t = btf__type_by_id(b->btf, type_id);
	cleanup_free char *pfx = prefix ? strdup(prefix) : NULL;

	if (!t || !btf_is_composite(t))
		return error_set(b->err, 0, "BTF: type %u is not a struct",
				 type_id);
	if (prefix && !pfx)
		return error_set(b->err, ENOMEM, "fields");
	for (int i = 0; i < btf_vlen(t); i++)
		if (add_member(b, t, i, base_bits, pfx, parent, depth,
			       proc_level) < 0)
			return -1;
	return 0;
}

/* ---- annotations ---------------------------------------------------- */

static bool parse_bool(const char *s, bool *out)
{
	if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes"))
		*out = true;
	else if (!strcasecmp(s, "false") || !strcmp(s, "0") ||
		 !strcasecmp(s, "no") || !*s)
		*out = false;
	else
		return false;
	return true;
}

static bool parse_int(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 4096)
		return false;
	*out = (int)v;
	return true;
}

/* An annotation of field i: its own, else (formatted X) its raw's. */
static const char *ann(struct build *b, size_t i, const char *key)
{
	const char *v = ann_lookup(b, b->f[i].name, key);

	if (v)
		return v;
	if (b->f[i].fmt_of >= 0 && strcmp(key, "columns.hidden") &&
	    strcmp(key, "json.skip"))
		return ann_lookup(b, b->f[b->f[i].fmt_of].name, key);
	if (b->f[i].raw_of >= 0 && !strncmp(key, "value.", 6))
		return ann_lookup(b, b->f[b->f[i].raw_of].name, key);
	if (b->f[i].raw_of < 0 && has_suffix(b->f[i].name, "_raw")) {
		/* X_raw without a formatted X: the metadata may call it X */
		char x[512];

		snprintf(x, sizeof(x), "%.*s", (int)(strlen(b->f[i].name) - 4),
			 b->f[i].name);
		return ann_lookup(b, x, key);
	}
	return NULL;
}

static void apply_template(struct field *f, const struct tmpl *t)
{
	f->width = t->width;
	f->minwidth = t->minwidth;
	f->maxwidth = t->maxwidth;
	f->align = t->align;
	if (t->hidden)
		f->hidden = true;
}

static int default_width(const struct field *f)
{
	size_t w = 0;

	switch (f->kind) {
	case FK_BOOL:
		return 5;
	case FK_UINT:
	case FK_SINT:
		if (f->bit_size)
			return f->bit_size <= 8	 ? 3 :
			       f->bit_size <= 16 ? 5 :
						   10;
		return f->size == 1 ? 3 :
		       f->size == 2 ? 5 :
		       f->size == 4 ? 10 :
				      20;
	case FK_HEX:
		return 2 * f->size;
	case FK_FLOAT:
		return 12;
	case FK_STRING:
		return f->size > 33 ? 32 : f->size > 1 ? (int)f->size - 1 : 1;
	case FK_BYTES:
		return 2 * f->size > 32 ? 32 : 2 * f->size;
	case FK_INTARRAY:
		return 24;
	case FK_ENUM:
		for (size_t i = 0; i < f->n_enums; i++)
			if (strlen(f->enums[i].name) > w)
				w = strlen(f->enums[i].name);
		return w > 24 ? 24 : w ? (int)w : 10;
	case FK_ONEOF:
		for (size_t i = 0; i < f->n_one_of; i++)
			if (strlen(f->one_of[i]) > w)
				w = strlen(f->one_of[i]);
		return w > 24 ? 24 : w ? (int)w : 10;
	case FK_TIMESTAMP:
		return 35;
	case FK_DURATION:
		return 12;
	case FK_IPADDR:
	case FK_L3EP:
		return 16;
	case FK_PROTO:
		return 5;
	case FK_L4EP:
		return 24;
	case FK_L3EP_LIST:
		return 32;
	case FK_USER:
	case FK_GROUP:
		return 12;
	case FK_SIGNAL:
		return 9;
	case FK_ERRNO:
	case FK_FILE_MODE:
		return 10;
	case FK_FILE_FLAGS:
		return 24;
	case FK_RUNTIME:
		return f->info == RT_RUNTIME ? 10 : f->info == RT_ID ? 12 : 24;
	case FK_CONTAINER:
		break;
	}
	return 0;
}

static size_t max_text(const struct field *f)
{
	switch (f->kind) {
	case FK_CONTAINER:
		return 0;
	case FK_UINT:
	case FK_SINT:
		return 21;
	case FK_BOOL:
		return 5;
	case FK_FLOAT:
		return 40;
	case FK_HEX:
		return 16;
	case FK_STRING:
		return (size_t)f->size * 4;
	case FK_BYTES:
		return (size_t)f->size * 2;
	case FK_INTARRAY:
		return (size_t)f->count * 21;
	case FK_ENUM: {
		size_t w = 21;

		for (size_t i = 0; i < f->n_enums; i++)
			if (strlen(f->enums[i].name) > w)
				w = strlen(f->enums[i].name);
		return w;
	}
	case FK_ONEOF: {
		size_t w = 21;

		for (size_t i = 0; i < f->n_one_of; i++)
			if (strlen(f->one_of[i]) > w)
				w = strlen(f->one_of[i]);
		return w;
	}
	case FK_TIMESTAMP:
		return 48;
	case FK_DURATION:
		return 40;
	case FK_IPADDR:
	case FK_L3EP:
		return INET6_ADDRSTRLEN;
	case FK_PROTO:
		return 21;
	case FK_L4EP:
		return INET6_ADDRSTRLEN + 3 + 21;
	case FK_L3EP_LIST:
		return (size_t)f->count * (INET6_ADDRSTRLEN + 1);
	case FK_USER:
	case FK_GROUP:
		return 64;
	case FK_SIGNAL:
	case FK_ERRNO:
	case FK_FILE_MODE:
		return 32;
	case FK_FILE_FLAGS:
		return 256;
	case FK_RUNTIME:
		return sizeof(((struct container_info *)0)->image);
	}
	return 0;
}

static int apply_annotations(struct build *b, size_t i)
{
	struct field *f = &b->f[i];
	const struct tmpl *t;
	const char *v;
	bool flag;

	f->columnable = !f->container || f->kind == FK_L4EP ||
			f->kind == FK_L3EP;
	f->hidden = b->bi[i].type_hidden;
	f->align = ALIGN_LEFT;
	f->ellipsis = ELLIPSIS_END;
	f->width = -1;
	f->minwidth = -1;
	f->maxwidth = -1;
	if (b->bi[i].tmpl) {
		t = find_template(b->bi[i].tmpl);
		if (t)
			apply_template(f, t);
	}
	if (b->bi[i].tmpl && !strcmp(b->bi[i].tmpl, "timestamp"))
		f->hidden = true;

#define BAD(key, val)                                                       \
	error_set(b->err, 0, "field %s: bad value \"%s\" of annotation %s", \
		  f->name, val, key)

	v = ann(b, i, "template");
	if (v && *v) {
		t = find_template(v);
		if (!t)
			return error_set(b->err, 0,
					 "field %s: unknown template \"%s\"",
					 f->name, v);
		apply_template(f, t);
	}
	v = ann(b, i, "description");
	if (v && !(f->description = strdup(v)))
		return error_set(b->err, ENOMEM, "fields");
	v = ann(b, i, "columns.width");
	if (v && !parse_int(v, &f->width))
		return BAD("columns.width", v);
	v = ann(b, i, "columns.minwidth");
	if (v && !parse_int(v, &f->minwidth))
		return BAD("columns.minwidth", v);
	v = ann(b, i, "columns.maxwidth");
	if (v && !parse_int(v, &f->maxwidth))
		return BAD("columns.maxwidth", v);
	v = ann(b, i, "columns.alignment");
	if (v) {
		if (!strcmp(v, "left"))
			f->align = ALIGN_LEFT;
		else if (!strcmp(v, "right"))
			f->align = ALIGN_RIGHT;
		else
			return BAD("columns.alignment", v);
	}
	v = ann(b, i, "columns.ellipsis");
	if (v) {
		if (!strcmp(v, "end"))
			f->ellipsis = ELLIPSIS_END;
		else if (!strcmp(v, "start"))
			f->ellipsis = ELLIPSIS_START;
		else if (!strcmp(v, "middle"))
			f->ellipsis = ELLIPSIS_MIDDLE;
		else if (!strcmp(v, "none") || !*v)
			f->ellipsis = ELLIPSIS_NONE;
		else
			return BAD("columns.ellipsis", v);
	}
	v = ann(b, i, "columns.hidden");
	if (v) {
		if (!parse_bool(v, &flag))
			return BAD("columns.hidden", v);
		f->hidden = flag;
	}
	v = ann(b, i, "columns.fixed");
	if (v) {
		if (!parse_bool(v, &flag))
			return BAD("columns.fixed", v);
		f->fixed = flag;
	}
	v = ann(b, i, "json.skip");
	if (v) {
		if (!parse_bool(v, &flag))
			return BAD("json.skip", v);
		f->json_skip = flag;
	}
	v = ann(b, i, "columns.hex");
	if (v) {
		if (!parse_bool(v, &flag))
			return BAD("columns.hex", v);
		if (flag && f->kind != FK_UINT && f->kind != FK_SINT &&
		    f->kind != FK_HEX)
			return error_set(b->err, 0,
					 "field %s: columns.hex on a field "
					 "that is not an integer",
					 f->name);
		if (flag)
			f->kind = FK_HEX;
	}
	v = ann(b, i, "columns.alias");
	if (v && *v && !(f->alias = strdup(v)))
		return error_set(b->err, ENOMEM, "fields");
#undef BAD
	return 0;
}

/* value.shown-if: find the named field next to f or by its full name. */
static int resolve_shown_if(struct build *b, struct fieldset *fs, size_t i)
{
	struct field *f = &b->f[i];
	const char *v = ann(b, i, "value.shown-if");
	char rel[512];
	int t;

	if (!v || !*v)
		return 0;
	t = fieldset_lookup(fs, v);
	if (t < 0 && f->parent >= 0) {
		snprintf(rel, sizeof(rel), "%s.%s", b->f[f->parent].name, v);
		t = fieldset_lookup(fs, rel);
	}
	if (t < 0)
		return error_set(b->err, 0,
				 "field %s: value.shown-if names unknown "
				 "field \"%s\"",
				 f->name, v);
	if (b->f[t].container)
		return error_set(b->err, 0,
				 "field %s: value.shown-if names struct \"%s\"",
				 f->name, v);
	/* a formatted field reads the same bytes as its raw sibling */
	f->shown_if = t;
	return 0;
}

static bool title_taken(const struct fieldset *fs, size_t upto, const char *t)
{
	for (size_t j = 0; j < upto; j++)
		if (fs->f[j].columnable && fs->f[j].title &&
		    !strcasecmp(fs->f[j].title, t))
			return true;
	return false;
}

/*
 * Column headers: the alias, else the last name component; when an earlier
 * column has that title already, the shortest dotted suffix that is free
 * (proc.parent.comm -> PARENT.COMM).  Endpoint parts always carry their
 * endpoint's name (SRC.PORT).
 */
static void set_titles(struct fieldset *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct field *f = &fs->f[i];
		const char *src = f->alias ? f->alias : f->key;

		if (!f->alias && f->parent >= 0 && fs->f[f->parent].columnable)
			src = f->name +
			      (fs->f[f->parent].key - fs->f[f->parent].name);
		while (!f->alias && src > f->name && title_taken(fs, i, src)) {
			src -= 2;
			while (src > f->name && src[-1] != '.')
				src--;
		}
		f->title = strdup(src);
		if (!f->title)
			continue;
		for (char *p = f->title; *p; p++)
			*p = toupper((unsigned char)*p);
	}
}

static int validate_metadata(struct build *b, struct fieldset *fs)
{
	size_t n = metadata_field_count(b->md, b->ds);

	for (size_t i = 0; i < n; i++) {
		const char *name = metadata_field_name(b->md, b->ds, i);
		char raw[512];
		bool found = false;

		snprintf(raw, sizeof(raw), "%s_raw", name);
		for (size_t j = 0; j < fs->n && !found; j++)
			found = !strcmp(fs->f[j].name, name) ||
				!strcmp(fs->f[j].name, raw);
		if (!found) {
			char **u = realloc(fs->unknown,
					   (fs->n_unknown + 1) * sizeof(*u));

			if (!u)
				return error_set(b->err, ENOMEM, "fields");
			fs->unknown = u;
			u[fs->n_unknown] = strdup(name);
			if (!u[fs->n_unknown])
				return error_set(b->err, ENOMEM, "fields");
			fs->n_unknown++;
		}
	}
	return 0;
}

const char *fieldset_unknown(const struct fieldset *fs, size_t i)
{
	return i < fs->n_unknown ? fs->unknown[i] : NULL;
}

/* Is f a default column (shown unless --fields says otherwise)? */
static bool default_visible(const struct fieldset *fs, const struct field *f)
{
	return f->columnable && !f->hidden &&
	       (!f->envs || f->envs & (1u << fs->env));
}

/* Does column a come before column b in the natural order? */
static bool col_before(const struct fieldset *fs, int a, int b)
{
	if (fs->f[a].order != fs->f[b].order)
		return fs->f[a].order < fs->f[b].order;
	return a < b;
}

static void cols_add(struct fieldset *fs, int idx, bool natural);

static void default_columns(struct fieldset *fs)
{
	fs->n_cols = 0;
	for (size_t i = 0; i < fs->n; i++) {
		fs->f[i].selected = false;
		if (default_visible(fs, &fs->f[i]))
			cols_add(fs, (int)i, true);
	}
	fs->explicit_selection = false;
}

void fieldset_set_env(struct fieldset *fs, enum fieldset_env env)
{
	fs->env = env;
	default_columns(fs);
}

static __s64 boot_to_real_offset(void)
{
	struct timespec b1, r, b2;
	__s64 best = 0, gap = -1;

	for (int i = 0; i < 3; i++) {
		__s64 g, bn;

		clock_gettime(CLOCK_BOOTTIME, &b1);
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_BOOTTIME, &b2);
		g = (b2.tv_sec - b1.tv_sec) * 1000000000LL + b2.tv_nsec -
		    b1.tv_nsec;
		bn = (b1.tv_sec * 1000000000LL + b1.tv_nsec) + g / 2;
		if (gap < 0 || g < gap) {
			gap = g;
			best = r.tv_sec * 1000000000LL + r.tv_nsec - bn;
		}
	}
	return best;
}

void fieldset_free(struct fieldset *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->n_unknown; i++)
		free(fs->unknown[i]);
	free(fs->unknown);
	for (size_t i = 0; i < fs->n; i++) {
		struct field *f = &fs->f[i];

		free(f->name);
		free(f->title);
		free(f->alias);
		free(f->description);
		free(f->gtype);
		for (size_t j = 0; j < f->n_one_of; j++)
			free(f->one_of[j]);
		free(f->one_of);
		free(f->enums);
	}
	free(fs->f);
	free(fs->cols);
	free(fs);
}

/*
 * runtime.{containerName,containerId,runtimeName,containerImageName}, as ig
 * names them, derived from the first gadget_mntns_id field.  As ig's
 * enrichment does, containerName leads the default columns on a host (a
 * negative order puts it before the gadget's own fields); the others are
 * hidden unless asked for, and on a Kubernetes node the k8s.* view is
 * shown instead.
 */
static int add_runtime_fields(struct build *b)
{
	static const struct {
		const char *key;
		enum runtime_info info;
		int order; /* ig's, before the gadget's own fields */
	} parts[] = {
		{ "containerName", RT_NAME, -26 },
		{ "containerId", RT_ID, -24 },
		{ "runtimeName", RT_RUNTIME, -25 },
		{ "containerImageName", RT_IMAGE, -23 },
	};
	size_t i, j, n = b->n;
	int parent;

	for (i = 0; i < n; i++)
		if (b->bi[i].tmpl && !strcmp(b->bi[i].tmpl, "mntns_id") &&
		    b->f[i].size == 8 && !b->f[i].bit_size)
			break;
	if (i == n)
		return 0;
	for (j = 0; j < n; j++)
		if (!strcmp(b->f[j].name, "runtime"))
			return 0; /* the gadget has its own */
	parent = add_field(b, NULL, "runtime", -1, 0, FK_CONTAINER);
	if (parent < 0)
		return -1;
	b->f[parent].container = true;
	for (j = 0; j < sizeof(parts) / sizeof(parts[0]); j++) {
		int d = add_field(b, "runtime", parts[j].key, parent, 1,
				  FK_RUNTIME);

		if (d < 0)
			return -1;
		b->f[d].off = b->f[i].off;
		b->f[d].size = b->f[i].size;
		b->f[d].info = parts[j].info;
		b->f[d].description = strdup(j == 0 ? "Name of the container" :
					     j == 1 ? "Id of the container" :
					     j == 2 ? "Container runtime" :
						      "Image of the container");
		b->f[d].alias = strdup(b->f[d].name);
		if (!b->f[d].description || !b->f[d].alias)
			return error_set(b->err, ENOMEM, "fields");
		b->f[d].envs = 1u << FIELDSET_HOST;
		b->f[d].order = parts[j].order;
		if (parts[j].info == RT_NAME)
			b->bi[d].tmpl = "container";
		else
			b->bi[d].type_hidden = true;
	}
	return 0;
}

void fieldset_set_containers(struct fieldset *fs, struct containers *c)
{
	fs->containers = c;
}

bool fieldset_has_runtime(const struct fieldset *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->f[i].kind == FK_RUNTIME)
			return true;
	return false;
}

/*
 * ebpf.rest.name/ebpf.rest.len (datasource annotations, as ig's): the
 * record carries bytes after the struct, as many as the integer field
 * rest.len names says.
 */
static int rest_field(struct build *b, struct fieldset *fs)
{
	const char *len =
		b->md ? metadata_ds_annotation(b->md, b->ds, "ebpf.rest.len") :
			NULL;
	const struct field *f;

	fs->rest_len = -1;
	if (!len)
		return 0;
	fs->rest_len = fieldset_lookup(fs, len);
	f = fs->rest_len >= 0 ? &fs->f[fs->rest_len] : NULL;
	if (!f || f->kind != FK_UINT || f->count != 1)
		return error_set(b->err, 0,
				 "data source %s: ebpf.rest.len names no "
				 "unsigned integer field: %s",
				 b->ds, len);
	return 0;
}

int fieldset_new(const struct btf *btf, __u32 type_id,
		 const struct gadget_metadata *md, const char *ds,
		 struct fieldset **out, struct error **err)
{
	struct build b = { .btf = btf, .md = md, .ds = ds, .err = err };
	const struct btf_type *t;
	struct fieldset *fs;
	__u32 id;
	int r;

	*out = NULL;
	id = resolve(btf, type_id, NULL);
	t = btf__type_by_id(btf, id);
	if (!t || !btf_is_struct(t))
		return error_set(err, 0,
				 "data source %s: type %u is not a struct",
				 ds ? ds : "?", type_id);
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return error_set(err, ENOMEM, "fields");
	r = walk_struct(&b, id, 0, NULL, -1, 0, 0);
	if (!r)
		r = add_runtime_fields(&b);
	/* from here on fs owns the fields; b.f only aliases them */
	fs->f = b.f;
	fs->n = b.n;
	if (r < 0)
		goto err_fs;
	fs->event_size = t->size;
	fs->boot_to_real_ns = boot_to_real_offset();
	if (validate_metadata(&b, fs) < 0)
		goto err_fs;
	for (size_t i = 0; i < fs->n; i++)
		if (apply_annotations(&b, i) < 0)
			goto err_fs;
	for (size_t i = 0; i < fs->n; i++)
		if (resolve_shown_if(&b, fs, i) < 0)
			goto err_fs;
	set_titles(fs);
	if (rest_field(&b, fs) < 0)
		goto err_fs;
	for (size_t i = 0; i < fs->n; i++) {
		struct field *f = &fs->f[i];
		int tl = f->title ? (int)strlen(f->title) : 0;

		if (!f->title) {
			error_set(err, ENOMEM, "fields");
			goto err_fs;
		}
		if (f->width < 0) {
			f->width = default_width(f);
			if (f->width < tl)
				f->width = tl;
		}
		if (f->minwidth < 0)
			f->minwidth = f->width < 4 ? f->width : 4;
		if (f->minwidth > f->width)
			f->minwidth = f->width;
		if (f->maxwidth >= 0 && f->maxwidth < f->width)
			f->maxwidth = f->width;
		f->max_text = max_text(f);
		f->json_string = !f->container && f->kind != FK_UINT &&
				 f->kind != FK_SINT && f->kind != FK_BOOL &&
				 f->kind != FK_FLOAT && f->kind != FK_INTARRAY;
		/* worst case: every byte escaped as \u00XX, plus quotes */
		f->max_json = f->json_string ? f->max_text * 6 + 2 :
					       f->max_text + 2;
		if (f->kind == FK_STRING)
			f->max_json = (size_t)f->size * 6 + 2;
	}
	fs->cols = calloc(fs->n ? fs->n : 1, sizeof(*fs->cols));
	if (!fs->cols) {
		error_set(err, ENOMEM, "fields");
		goto err_fs;
	}
	default_columns(fs);
	free(b.bi);
	*out = fs;
	return 0;

err_fs:
	free(b.bi);
	fieldset_free(fs);
	return error_prefix(err, "data source %s", ds ? ds : "?");
}

size_t fieldset_event_size(const struct fieldset *fs)
{
	return fs->event_size;
}

/* ---- lookup and selection -------------------------------------------- */

int fieldset_lookup(const struct fieldset *fs, const char *name)
{
	int hit = -1;

	for (size_t i = 0; i < fs->n; i++)
		if (!strcasecmp(fs->f[i].name, name))
			return (int)i;
	for (size_t i = 0; i < fs->n; i++)
		if (fs->f[i].alias && !strcasecmp(fs->f[i].alias, name))
			return (int)i;
	for (size_t i = 0; i < fs->n; i++) {
		if (!fs->f[i].columnable || !fs->f[i].title ||
		    strcasecmp(fs->f[i].title, name))
			continue;
		if (hit >= 0)
			return -2;
		hit = (int)i;
	}
	return hit;
}

static bool cols_has(const struct fieldset *fs, int idx)
{
	for (size_t i = 0; i < fs->n_cols; i++)
		if (fs->cols[i] == idx)
			return true;
	return false;
}

static void cols_add(struct fieldset *fs, int idx, bool natural)
{
	size_t pos = fs->n_cols;

	if (cols_has(fs, idx))
		return;
	if (natural) {
		for (pos = 0;
		     pos < fs->n_cols && col_before(fs, fs->cols[pos], idx);
		     pos++)
			;
		memmove(&fs->cols[pos + 1], &fs->cols[pos],
			(fs->n_cols - pos) * sizeof(*fs->cols));
	}
	fs->cols[pos] = idx;
	fs->n_cols++;
}

static void cols_del(struct fieldset *fs, int idx)
{
	for (size_t i = 0; i < fs->n_cols; i++) {
		if (fs->cols[i] != idx)
			continue;
		memmove(&fs->cols[i], &fs->cols[i + 1],
			(fs->n_cols - i - 1) * sizeof(*fs->cols));
		fs->n_cols--;
		return;
	}
}

static bool is_descendant(const struct fieldset *fs, size_t i, int anc)
{
	for (int p = fs->f[i].parent; p >= 0; p = fs->f[p].parent)
		if (p == anc)
			return true;
	return false;
}

int fieldset_select(struct fieldset *fs, const char *spec, struct error **err)
{
	cleanup_free char *copy = spec ? strdup(spec) : NULL;
	cleanup_free int *saved = NULL;
	size_t saved_n = fs->n_cols;
	bool plain = false, natural;
	char *save = NULL, *tok;

	if (!spec)
		return 0;
	saved = malloc((fs->n ? fs->n : 1) * sizeof(*saved));
	if (!copy || !saved)
		return error_set(err, ENOMEM, "--fields");
	memcpy(saved, fs->cols, fs->n_cols * sizeof(*saved));
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		if (*tok && *tok != '+' && *tok != '-')
			plain = true;
	}
	free(copy);
	copy = strdup(spec);
	if (!copy)
		return error_set(err, ENOMEM, "--fields");
	if (plain)
		fs->n_cols = 0;
	natural = !plain;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char sign = 0, *end;
		int idx;

		while (isspace((unsigned char)*tok))
			tok++;
		end = tok + strlen(tok);
		while (end > tok && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*tok == '+' || *tok == '-')
			sign = *tok++;
		if (!*tok)
			continue;
		idx = fieldset_lookup(fs, tok);
		if (idx < 0) {
			memcpy(fs->cols, saved, saved_n * sizeof(*saved));
			fs->n_cols = saved_n;
			if (idx == -2)
				return error_set(
					err, 0, "--fields: \"%s\" is ambiguous",
					tok);
			return error_set(err, 0,
					 "--fields: unknown field \"%s\"", tok);
		}
		if (fs->f[idx].columnable) {
			if (sign == '-')
				cols_del(fs, idx);
			else
				cols_add(fs, idx, natural);
			continue;
		}
		/* a plain struct stands for its columns */
		for (size_t i = 0; i < fs->n; i++) {
			if (!fs->f[i].columnable || !is_descendant(fs, i, idx))
				continue;
			if (fs->f[i].parent >= 0 &&
			    fs->f[fs->f[i].parent].columnable)
				continue; /* endpoint parts */
			if (sign == '-')
				cols_del(fs, (int)i);
			else
				cols_add(fs, (int)i, natural);
		}
	}
	for (size_t i = 0; i < fs->n; i++)
		fs->f[i].selected = false;
	for (size_t i = 0; i < fs->n_cols; i++)
		fs->f[fs->cols[i]].selected = true;
	fs->explicit_selection = true;
	return 0;
}

void fieldset_describe(const struct fieldset *fs, FILE *out)
{
	for (size_t i = 0; i < fs->n; i++) {
		const struct field *f = &fs->f[i];

		if (!f->columnable)
			continue;
		fprintf(out, "  %-28s %s%s\n", f->name,
			f->description ? f->description : "",
			!default_visible(fs, f) ?
				(f->description ? " (hidden)" : "(hidden)") :
				"");
	}
}

/* ---- values ----------------------------------------------------------- */

static __u64 load_uint(const void *p, __u32 size)
{
	__u8 u8;
	__u16 u16;
	__u32 u32;
	__u64 u64;

	switch (size) {
	case 1:
		memcpy(&u8, p, 1);
		return u8;
	case 2:
		memcpy(&u16, p, 2);
		return u16;
	case 4:
		memcpy(&u32, p, 4);
		return u32;
	case 8:
		memcpy(&u64, p, 8);
		return u64;
	default:
		u64 = 0;
		if (size < 8)
			memcpy(&u64, p, size); /* little-endian hosts */
		return u64;
	}
}

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
		return v;
	}
	v = load_uint(p, f->size);
	if (f->is_signed && f->size < 8 && f->size > 0 &&
	    (v >> (8 * f->size - 1)) & 1)
		v |= ~0ULL << (8 * f->size);
	return v;
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
	    c->kind == FK_L3EP_LIST || c->container)
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

static size_t fmt_duration(char *buf, __u64 d)
{
	size_t n = 0;

	if (d == 0)
		return put(buf, "0s", 2);
	if (d < 1000ULL) {
		n = fmt_u64(buf, d);
		return n + put(buf + n, "ns", 2);
	}
	if (d < 1000000ULL) {
		n = fmt_frac(buf, d, 1000ULL, 3);
		return n + put(buf + n, "\xc2\xb5s", 3);
	}
	if (d < 1000000000ULL) {
		n = fmt_frac(buf, d, 1000000ULL, 6);
		return n + put(buf + n, "ms", 2);
	}
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

/* RFC 3339 local time with nanoseconds; the second's text is cached. */
static size_t fmt_timestamp(struct render_ctx *rc, char *buf, __u64 boot_ns)
{
	__s64 ns = (__s64)(boot_ns + (__u64)rc->fs->boot_to_real_ns);
	long long sec = ns / 1000000000LL;
	long nsec = ns % 1000000000LL;
	size_t n;

	if (nsec < 0) {
		nsec += 1000000000L;
		sec--;
	}
	if (sec != rc->ts_sec || !rc->ts_prefix_len) {
		time_t t = (time_t)sec;
		struct tm tm;
		long off;

		if (!localtime_r(&t, &tm))
			memset(&tm, 0, sizeof(tm));
		rc->ts_prefix_len = strftime(rc->ts_prefix,
					     sizeof(rc->ts_prefix),
					     "%Y-%m-%dT%H:%M:%S", &tm);
		off = tm.tm_gmtoff;
		if (!off) {
			rc->ts_zone[0] = 'Z';
			rc->ts_zone_len = 1;
		} else {
			char sign = off < 0 ? '-' : '+';

			if (off < 0)
				off = -off;
			rc->ts_zone[0] = sign;
			rc->ts_zone[1] = '0' + off / 36000 % 10;
			rc->ts_zone[2] = '0' + off / 3600 % 10;
			rc->ts_zone[3] = ':';
			rc->ts_zone[4] = '0' + off % 3600 / 600;
			rc->ts_zone[5] = '0' + off % 3600 / 60 % 10;
			rc->ts_zone_len = 6;
		}
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
	if (version == 4) {
		size_t n = 0;

		for (int i = 0; i < 4; i++) {
			if (i)
				buf[n++] = '.';
			n += fmt_u64(buf + n, addr[i]);
		}
		return n;
	}
	if (version == 6) {
		char tmp[INET6_ADDRSTRLEN];

		if (!inet_ntop(AF_INET6, addr, tmp, sizeof(tmp)))
			return 0;
		return put_str(buf, tmp);
	}
	return 0;
}

static const char *proto_name(__u64 p)
{
	switch (p) {
	case 1:
		return "ICMP";
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 58:
		return "ICMPv6";
	case 132:
		return "SCTP";
	case 136:
		return "UDPLite";
	default:
		return NULL;
	}
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

static size_t fmt_string(char *buf, const char *s, size_t max)
{
	static const char hx[] = "0123456789abcdef";
	size_t n = 0;

	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = s[i];

		if (c < 0x20 || c == 0x7f) {
			buf[n++] = '\\';
			buf[n++] = 'x';
			buf[n++] = hx[c >> 4];
			buf[n++] = hx[c & 15];
		} else {
			buf[n++] = c;
		}
	}
	return n;
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
		{ FASYNC, "O_ASYNC" },
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

size_t field_text(struct render_ctx *rc, const struct field *f, const void *ev,
		  char *buf)
{
	const __u8 *p = (const __u8 *)ev + f->off;
	const char *s;
	size_t n = 0;
	__u64 v;

	switch (f->kind) {
	case FK_CONTAINER:
		break;
	case FK_UINT:
	case FK_SINT:
		n = fmt_number(f, buf, field_u64(f, ev));
		break;
	case FK_BOOL:
		n = field_u64(f, ev) ? put(buf, "true", 4) :
				       put(buf, "false", 5);
		break;
	case FK_FLOAT:
		if (f->size == 4) {
			float x;

			memcpy(&x, p, 4);
			n = snprintf(buf, 40, "%g", (double)x);
		} else {
			double x;

			memcpy(&x, p, 8);
			n = snprintf(buf, 40, "%g", x);
		}
		break;
	case FK_HEX:
		v = field_u64(f, ev);
		if (f->bit_size)
			n = fmt_hex(buf, v, (f->bit_size + 3) / 4);
		else
			n = fmt_hex(buf, v, 2 * (f->size > 8 ? 8 : f->size));
		break;
	case FK_STRING:
		n = fmt_string(buf, (const char *)p, f->size);
		break;
	case FK_BYTES:
		for (__u32 i = 0; i < f->size; i++)
			n += fmt_hex(buf + n, p[i], 2);
		break;
	case FK_INTARRAY:
		for (__u32 i = 0; i < f->count; i++) {
			struct field e = *f;

			e.off = f->off + i * f->size;
			if (i)
				buf[n++] = ',';
			n += fmt_number(f, buf + n, field_u64(&e, ev));
		}
		break;
	case FK_ENUM:
		if (!field_shown(rc->fs, f, ev))
			break;
		v = field_u64(f, ev);
		s = enum_name(f, (__s64)v);
		n = s ? put_str(buf, s) : fmt_number(f, buf, v);
		break;
	case FK_ONEOF:
		if (!field_shown(rc->fs, f, ev))
			break;
		v = field_u64(f, ev);
		if (v < f->n_one_of)
			n = put_str(buf, f->one_of[v]);
		else
			n = fmt_number(f, buf, v);
		break;
	case FK_TIMESTAMP:
		if (!field_shown(rc->fs, f, ev))
			break;
		n = fmt_timestamp(rc, buf, field_u64(f, ev));
		break;
	case FK_DURATION:
		if (!field_shown(rc->fs, f, ev))
			break;
		n = fmt_duration(buf, field_u64(f, ev));
		break;
	case FK_IPADDR:
	case FK_L3EP:
		n = fmt_ip(buf, (const __u8 *)ev + f->addr_off,
			   load_uint((const __u8 *)ev + f->ver_off,
				     f->ver_size));
		break;
	case FK_PROTO:
		if (!field_shown(rc->fs, f, ev))
			break;
		v = field_u64(f, ev);
		s = proto_name(v);
		n = s ? put_str(buf, s) : fmt_u64(buf, v);
		break;
	case FK_L4EP: {
		__u64 ver =
			load_uint((const __u8 *)ev + f->ver_off, f->ver_size);
		__u64 port =
			load_uint((const __u8 *)ev + f->port_off, f->port_size);

		if (ver != 4 && ver != 6)
			break;
		if (ver == 6)
			buf[n++] = '[';
		n += fmt_ip(buf + n, (const __u8 *)ev + f->addr_off, ver);
		if (ver == 6)
			buf[n++] = ']';
		buf[n++] = ':';
		n += fmt_u64(buf + n, port);
		break;
	}
	case FK_L3EP_LIST:
		for (__u32 i = 0; i < f->count; i++) {
			const __u8 *e = p + (size_t)i * f->size;
			__u64 ver = load_uint(e + f->ver_off, f->ver_size);
			size_t m;

			if (ver != 4 && ver != 6)
				continue;
			if (n)
				buf[n++] = ',';
			m = fmt_ip(buf + n, e + f->addr_off, ver);
			n += m;
		}
		break;
	case FK_USER:
	case FK_GROUP: {
		struct idcache *c = f->kind == FK_USER ? rc->users : rc->groups;
		size_t len;

		v = field_u64(f, ev);
		if (!c) {
			n = fmt_u64(buf, v);
			break;
		}
		s = idcache_name(c, (__u32)v, &len);
		if (len > f->max_text)
			len = f->max_text;
		n = put(buf, s, len);
		break;
	}
	case FK_SIGNAL:
		if (!field_shown(rc->fs, f, ev))
			break;
		v = field_u64(f, ev);
		s = (__s64)v > 0 && (__s64)v < NSIG ? sigabbrev_np((int)v) :
						      NULL;
		if (s) {
			n = put(buf, "SIG", 3);
			n += put_str(buf + n, s);
		} else {
			n = fmt_number(f, buf, v);
		}
		break;
	case FK_ERRNO:
		if (!field_shown(rc->fs, f, ev))
			break;
		v = field_u64(f, ev);
		{
			__s64 e = (__s64)v < 0 ? -(__s64)v : (__s64)v;

			s = e > 0 && e < 4096 ? strerrorname_np((int)e) : NULL;
		}
		n = s ? put_str(buf, s) : fmt_number(f, buf, v);
		break;
	case FK_FILE_MODE:
		if (field_shown(rc->fs, f, ev))
			n = fmt_file_mode(buf, field_u64(f, ev));
		break;
	case FK_FILE_FLAGS:
		if (field_shown(rc->fs, f, ev))
			n = fmt_file_flags(buf, field_u64(f, ev));
		break;
	case FK_RUNTIME: {
		const struct container_info *ci =
			rc->fs->containers ?
				containers_lookup(rc->fs->containers,
						  field_u64(f, ev)) :
				NULL;

		if (!ci)
			break;
		s = f->info == RT_NAME	  ? ci->name :
		    f->info == RT_ID	  ? ci->id :
		    f->info == RT_RUNTIME ? ci->runtime :
					    ci->image;
		n = put(buf, s, strnlen(s, f->max_text));
		break;
	}
	}
	buf[n] = '\0';
	return n;
}

void render_ctx_init(struct render_ctx *rc, const struct fieldset *fs)
{
	bool users = false, groups = false;

	memset(rc, 0, sizeof(*rc));
	rc->fs = fs;
	for (size_t i = 0; i < fs->n; i++) {
		users |= fs->f[i].kind == FK_USER;
		groups |= fs->f[i].kind == FK_GROUP;
	}
	/* without a cache, names fall back to numbers */
	rc->users = users ? idcache_new(false) : NULL;
	rc->groups = groups ? idcache_new(true) : NULL;
}

void render_ctx_fini(struct render_ctx *rc)
{
	idcache_free(rc->users);
	idcache_free(rc->groups);
	rc->users = rc->groups = NULL;
}
