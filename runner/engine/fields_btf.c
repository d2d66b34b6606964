// SPDX-License-Identifier: Apache-2.0
/*
 * The field list of a data source from the event struct's BTF: nested
 * members flatten to dotted names; typedef names of the gadget API
 * (gadget_api.h), the endpoint and process struct names and BTF kinds
 * (enums, bools, char arrays) decide how a value renders, and a field
 * X_raw gets a formatted sibling X.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "common/cleanup.h"
#include "common/grow.h"
#include "metadata/metadata.h"
#include "runner/engine/btf_name.h"
#include "runner/engine/fields_build.h"
#include "runner/engine/gadget_api.h"

#define MAX_DEPTH 16
/* Structs walked at once (named or anonymous), and members in all. */
#define MAX_NESTING 32
#define MAX_MEMBERS 65536
/* While building: no format applies (a value member is never a struct). */
#define FK_NONE FK_STRUCT

int build_add_field(struct build *b, const char *prefix, const char *key,
		    int parent, int depth, enum field_kind kind)
{
	struct field *f;

	if (grow_array((void **)&b->f, &b->cap, b->n + 1, sizeof(*b->f), 32) ||
	    grow_array((void **)&b->bi, &b->cap_bi, b->n + 1, sizeof(*b->bi),
		       32))
		return error_set(b->err, ENOMEM, "fields");
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
__u32 build_resolve(const struct btf *btf, __u32 id, const char **gname)
{
	const struct btf_type *t;

	for (int i = 0; i < 32; i++) {
		t = btf__type_by_id(btf, id);
		if (!t)
			return 0;
		switch (btf_kind(t)) {
		case BTF_KIND_TYPEDEF: {
			const char *n = btf_name(btf, t->name_off);

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
	return btf_name(btf, t->name_off);
}

static bool is_char_type(const struct btf *btf, __u32 id)
{
	const char *g = NULL;
	const struct btf_type *t;
	const char *n;

	id = build_resolve(btf, id, &g);
	t = btf__type_by_id(btf, id);
	if (!t || !btf_is_int(t) || t->size != 1)
		return false;
	if (g && !strcmp(g, "gadget_comm"))
		return true;
	n = type_name(btf, t);
	return (btf_int_encoding(t) & BTF_INT_CHAR) || !strcmp(n, "char") ||
	       !strcmp(n, "signed char");
}

/* Does struct type t have a member called name? */
static bool struct_has_member(const struct btf *btf, const struct btf_type *t,
			      const char *name)
{
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf_name(btf, m[i].name_off), name))
			return true;
	return false;
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
			e->name = btf_name(b->btf, be->name_off);
		} else {
			const struct btf_enum64 *be = btf_enum64(t) + i;

			e->value = (__s64)btf_enum64_value(be);
			e->name = btf_name(b->btf, be->name_off);
		}
	}
	f->n_enums = n;
	if (build_has_suffix(type_name(b->btf, t), "_set")) {
		const char *sep = build_ann_lookup(
			b, f->name, "ebpf.formatter.bitfield.separator");

		f->enum_sep = strdup(sep && *sep ? sep : "|");
		if (!f->enum_sep)
			return error_set(b->err, ENOMEM, "fields");
		return 0; /* declaration order: names join in it */
	}
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

/* Locate member name of struct t: absolute offset and size in bytes. */
static bool find_member(const struct btf *btf, const struct btf_type *t,
			__u32 base, const char *name, __u32 *off, __u32 *size)
{
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++) {
		__s64 sz;

		if (strcmp(btf_name(btf, m[i].name_off), name))
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
	int i = build_add_field(b, prefix, key, parent, depth, kind);

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

	i = build_add_field(b, prefix, key, parent, depth,
			    l4 ? FK_L4EP : FK_L3EP);
	if (i < 0)
		return -1;
	f = &b->f[i];
	if (endpoint_layout(b, t, base, l4, f->name, &l) < 0)
		return -1;
	f->is_struct = true;
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

/* A struct member on its way into fields. */
struct member {
	const struct btf_type *st; /* the enclosing struct */
	const char *name;
	const char *g; /* its outermost gadget_* typedef, or NULL */
	const struct gadget_api_type *api; /* what g means, or NULL */
	const struct btf_type *t; /* its type, typedefs resolved */
	__u32 id; /* and that type's id */
	__u32 bits, bf; /* bit offset in the event, bitfield width */
	const char *prefix; /* dotted name of the enclosing field */
	int parent, depth;
	int proc_level; /* 1 inside struct gadget_process, 2 below, else 0 */
};

static bool is_int_kind(enum field_kind k)
{
	return k == FK_UINT || k == FK_SINT || k == FK_BOOL;
}

/*
 * ig's ustack operator: a struct gadget_user_stack gets the string members
 * addresses, buildid and symbols (hidden from the default columns).
 */
static int add_ustack_fields(struct build *b, int st, int depth)
{
	static const char *const parts[] = { "addresses", "buildid",
					     "symbols" };
	static const char *const members[] = { "stack_id", "tgid_level0",
					       "base_addr_hash", "inode" };
	__u32 offs[4] = { 0 };
	bool have[4] = { false };

	for (size_t i = (size_t)st + 1; i < b->n; i++) {
		if (b->f[i].parent != st)
			continue;
		for (size_t j = 0; j < 4; j++) {
			if (!strcmp(b->f[i].key, members[j])) {
				offs[j] = b->f[i].off;
				have[j] = true;
			}
		}
	}
	for (size_t j = 0; j < 4; j++)
		if (!have[j])
			return 0; /* not ig's layout: left raw */
	for (size_t j = 0; j < 3; j++) {
		int d = build_add_field(b, b->f[st].name, parts[j], st, depth,
					FK_USTACK);

		if (d < 0)
			return -1;
		b->f[d].off = b->f[st].off;
		b->f[d].info = (__u8)j;
		b->f[d].stack_off = offs[0];
		b->f[d].pid_off = offs[1];
		b->f[d].hash_off = offs[2];
		b->f[d].ino_off = offs[3];
		b->bi[d].type_hidden = true;
	}
	return 0;
}

/* A nested struct: an endpoint, or an object with its members below. */
static int add_struct_member(struct build *b, const struct member *mb)
{
	const char *sn = type_name(b->btf, mb->t);
	int i;

	if (mb->bits % 8)
		return error_set(b->err, 0, "BTF: unaligned member %s",
				 mb->name);
	if (!strcmp(sn, GADGET_API_L4ENDPOINT) ||
	    !strcmp(sn, GADGET_API_L3ENDPOINT)) {
		i = (int)b->n;
		if (add_endpoint(b, mb->prefix, mb->name, mb->parent, mb->depth,
				 mb->t, mb->bits / 8,
				 !strcmp(sn, GADGET_API_L4ENDPOINT)) < 0)
			return -1;
		if (mb->proc_level)
			b->bi[i].type_hidden = true;
		return 0;
	}
	i = build_add_field(b, mb->prefix, mb->name, mb->parent, mb->depth,
			    FK_STRUCT);
	if (i < 0)
		return -1;
	b->f[i].is_struct = true;
	b->f[i].off = mb->bits / 8;
	b->f[i].size = mb->t->size;
	if (!strcmp(sn, GADGET_API_PROCESS))
		return build_walk_struct(b, mb->id, mb->bits, b->f[i].name, i,
					 mb->depth + 1, 1);
	if (!strcmp(sn, "gadget_user_stack")) {
		if (build_walk_struct(b, mb->id, mb->bits, b->f[i].name, i,
				      mb->depth + 1,
				      mb->proc_level ? mb->proc_level + 1 : 0))
			return -1;
		return add_ustack_fields(b, i, mb->depth + 1);
	}
	return build_walk_struct(b, mb->id, mb->bits, b->f[i].name, i,
				 mb->depth + 1,
				 mb->proc_level ? mb->proc_level + 1 : 0);
}

/* An array member: a string, endpoints, integers or bytes. */
static int array_kind(struct build *b, const struct member *mb, int i,
		      enum field_kind *kind)
{
	const struct btf_array *a = btf_array(mb->t);
	const char *eg = NULL;
	__u32 eid = build_resolve(b->btf, a->type, &eg);
	const struct btf_type *et = btf__type_by_id(b->btf, eid);
	__s64 esz = btf__resolve_size(b->btf, a->type);
	struct field *f = &b->f[i];

	if (!et || esz <= 0)
		return error_set(b->err, 0, "BTF: bad array %s", f->name);
	if (eg && !f->gtype && !(f->gtype = strdup(eg)))
		return error_set(b->err, ENOMEM, "fields");
	if (is_char_type(b->btf, a->type)) {
		const struct gadget_api_type *api = gadget_api_type(eg);

		*kind = FK_STRING;
		f->size = a->nelems;
		if (!b->bi[i].tmpl && api)
			b->bi[i].tmpl = api->tmpl;
	} else if (btf_is_struct(et) &&
		   !strcmp(type_name(b->btf, et), GADGET_API_L3ENDPOINT)) {
		struct endpoint_layout l;

		if (endpoint_layout(b, et, 0, false, f->name, &l) < 0)
			return -1;
		*kind = FK_L3EP_LIST;
		f->size = esz;
		f->count = a->nelems;
		f->addr_off = l.addr_off;
		f->ver_off = l.ver_off;
		f->ver_size = l.ver_size;
	} else if (btf_is_int(et) && esz > 1 && esz <= 8 && a->nelems > 0) {
		*kind = FK_INTARRAY;
		f->size = esz;
		f->count = a->nelems;
		f->is_signed = btf_int_encoding(et) & BTF_INT_SIGNED;
	} else {
		*kind = FK_BYTES;
		f->size = esz * a->nelems;
	}
	return 0;
}

/* A bitfield member of an integer or enum type: its place in 64 bits. */
static int set_bitfield(struct build *b, const struct member *mb,
			struct field *f, const struct btf_type *t)
{
	if (mb->bf > 64 || t->size > 8)
		return error_set(b->err, 0, "BTF: bitfield %s too wide",
				 f->name);
	f->bit_off = mb->bits % 8;
	f->bit_size = mb->bf;
	return 0;
}

/*
 * The kind of value member field i holds, from its BTF type; *fmt is
 * FK_ENUM for an enum (formatted by name), else left alone.
 */
static int value_kind(struct build *b, const struct member *mb, int i,
		      enum field_kind *kind, enum field_kind *fmt)
{
	const struct btf_type *t = mb->t;
	struct field *f = &b->f[i];
	__u8 enc;

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		enc = btf_int_encoding(t);
		f->size = t->size;
		f->is_signed = enc & BTF_INT_SIGNED;
		if (t->size > 8 && !mb->bf)
			*kind = FK_BYTES;
		else if ((enc & BTF_INT_BOOL) ||
			 !strcmp(type_name(b->btf, t), "_Bool") ||
			 !strcmp(type_name(b->btf, t), "bool"))
			*kind = FK_BOOL;
		else
			*kind = f->is_signed ? FK_SINT : FK_UINT;
		return mb->bf ? set_bitfield(b, mb, f, t) : 0;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		f->size = t->size;
		f->is_signed = btf_kflag(t);
		*kind = f->is_signed ? FK_SINT : FK_UINT;
		*fmt = FK_ENUM;
		if (mb->bf && set_bitfield(b, mb, f, t) < 0)
			return -1;
		return load_enum(b, f, t);
	case BTF_KIND_FLOAT:
		f->size = t->size;
		*kind = t->size == 4 || t->size == 8 ? FK_FLOAT : FK_BYTES;
		return 0;
	case BTF_KIND_PTR:
		f->size = 8;
		*kind = FK_HEX;
		return 0;
	case BTF_KIND_ARRAY:
		return array_kind(b, mb, i, kind);
	default: /* unions and the rest: their bytes */
		*kind = FK_BYTES;
		f->size = btf__resolve_size(b->btf, mb->id) > 0 ?
				  btf__resolve_size(b->btf, mb->id) :
				  0;
		return 0;
	}
}

/* The field kind that formats a gadget typedef's values, or FK_NONE. */
static enum field_kind typedef_format(const struct gadget_api_type *api)
{
	switch (api ? api->format : GADGET_FMT_NONE) {
	case GADGET_FMT_TIMESTAMP:
		return FK_TIMESTAMP;
	case GADGET_FMT_DURATION:
		return FK_DURATION;
	case GADGET_FMT_SIGNAL:
		return FK_SIGNAL;
	case GADGET_FMT_ERRNO:
		return FK_ERRNO;
	case GADGET_FMT_FILE_MODE:
		return FK_FILE_MODE;
	case GADGET_FMT_FILE_FLAGS:
		return FK_FILE_FLAGS;
	case GADGET_FMT_KSTACK:
		return FK_KSTACK;
	case GADGET_FMT_BYTES:
		return FK_SIZE;
	case GADGET_FMT_SYSCALL:
		return FK_SYSCALL;
	default:
		return FK_NONE;
	}
}

/*
 * Field i (X_raw, or named by a target annotation) with format fmt: xname,
 * formatted, takes slot i and field i moves after it, unless the struct
 * has an xname of its own or nothing formats it (no fmt, no
 * value.one-of).  Returns field i's new index.
 */
static int add_raw_pair(struct build *b, const struct member *mb, int i,
			enum field_kind kind, enum field_kind fmt,
			const char *xname)
{
	char full[512];
	const char *oneof;
	struct field raw;
	struct build_info rbi;
	int x;

	if (mb->prefix && *mb->prefix)
		snprintf(full, sizeof(full), "%s.%s", mb->prefix, xname);
	else
		snprintf(full, sizeof(full), "%s", xname);
	oneof = build_ann_lookup(b, full, "value.one-of");
	if (!oneof)
		oneof = build_ann_lookup(b, b->f[i].name, "value.one-of");
	if (fmt == FK_NONE && oneof)
		fmt = FK_ONEOF;
	if (fmt == FK_NONE || struct_has_member(b->btf, mb->st, xname))
		return i;

	raw = b->f[i];
	rbi = b->bi[i];
	b->n--; /* raw keeps the name */
	x = build_add_field(b, mb->prefix, xname, mb->parent, mb->depth, fmt);
	if (x < 0) {
		free(raw.name);
		free(raw.enums);
		free(raw.enum_sep);
		return -1;
	}
	b->f[x].off = raw.off;
	b->f[x].size = raw.size;
	b->f[x].bit_off = raw.bit_off;
	b->f[x].bit_size = raw.bit_size;
	b->f[x].is_signed = raw.is_signed;
	b->f[x].enums = raw.enums;
	b->f[x].n_enums = raw.n_enums;
	b->f[x].enum_sep = raw.enum_sep;
	b->bi[x] = rbi;
	raw.enums = NULL;
	raw.n_enums = 0;
	raw.enum_sep = NULL;
	if (fmt == FK_ONEOF && parse_one_of(b, &b->f[x], oneof) < 0) {
		free(raw.name);
		return -1;
	}
	if (build_add_field(b, NULL, "", mb->parent, mb->depth, kind) < 0) {
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
	return x + 1;
}

/* The annotation that names the formatted field of format fmt, as ig's
 * formatters and ebpf operator read it. */
static const char *target_annotation(enum field_kind fmt)
{
	switch (fmt) {
	case FK_TIMESTAMP:
		return "formatters.timestamp.target";
	case FK_SYSCALL:
		return "formatters.syscall.target";
	case FK_SIGNAL:
		return "formatters.signal.target";
	case FK_ERRNO:
		return "formatters.errno.target";
	case FK_SIZE:
		return "formatters.bytes.target";
	case FK_DURATION:
		return "formatters.duration.target";
	case FK_FILE_MODE:
		return "formatters.file_mode.target";
	case FK_FILE_FLAGS:
		return "formatters.file_flags.target";
	case FK_KSTACK:
		return "ebpf.formatter.kstack";
	case FK_ENUM:
		return "ebpf.formatter.enum";
	default:
		return NULL;
	}
}

/*
 * How field i renders: X_raw, or a field whose target annotation names
 * another, gets a formatted sibling (add_raw_pair), a format (typedef or
 * enum) applies in place, an integer with value.one-of shows the entry it
 * indexes.  Returns the member's index.
 */
static int add_format(struct build *b, const struct member *mb, int i,
		      enum field_kind kind, enum field_kind fmt)
{
	const char *oneof, *key = target_annotation(fmt), *target;
	char xname[256];

	target = key && is_int_kind(kind) ?
			 build_ann_lookup(b, b->f[i].name, key) :
			 NULL;
	if (target && *target)
		return add_raw_pair(b, mb, i, kind, fmt, target);
	if (build_has_suffix(mb->name, "_raw") && is_int_kind(kind)) {
		snprintf(xname, sizeof(xname), "%.*s",
			 (int)(strlen(mb->name) - strlen("_raw")), mb->name);
		return add_raw_pair(b, mb, i, kind, fmt, xname);
	}
	/* as ig: for an X_raw only */
	if (fmt == FK_KSTACK || fmt == FK_SIZE || fmt == FK_SYSCALL)
		return i;
	if (fmt != FK_NONE) {
		b->f[i].kind = fmt;
		return i;
	}
	if (!is_int_kind(kind))
		return i;
	oneof = build_ann_lookup(b, b->f[i].name, "value.one-of");
	if (oneof) {
		b->f[i].kind = FK_ONEOF;
		if (parse_one_of(b, &b->f[i], oneof) < 0)
			return -1;
	}
	return i;
}

/*
 * uid and gid fields get their names as derived siblings, named as ig's
 * uidgidresolver names them: X for X_raw, else the field's
 * uidgidresolver.target, else user (group) for uid (gid); any other
 * name gets _user (_group) added, where ig would use user (group) again.
 * The id is hidden from the default columns then, as in ig.
 */
static int add_name_sibling(struct build *b, const struct member *mb, int i,
			    enum field_kind kind)
{
	const char *key = b->f[i].key, *target;
	bool grp;
	char dname[256];
	int d;

	if (!mb->api || mb->api->derived == GADGET_NAME_NONE || mb->bf ||
	    (kind != FK_UINT && kind != FK_SINT))
		return 0;
	grp = mb->api->derived == GADGET_NAME_GROUP;
	target = build_ann_lookup(b, b->f[i].name, "uidgidresolver.target");
	if (target && *target)
		snprintf(dname, sizeof(dname), "%s", target);
	else if (build_has_suffix(key, "_raw"))
		snprintf(dname, sizeof(dname), "%.*s",
			 (int)(strlen(key) - strlen("_raw")), key);
	else if (!strcmp(key, grp ? "gid" : "uid"))
		snprintf(dname, sizeof(dname), "%s", grp ? "group" : "user");
	else
		snprintf(dname, sizeof(dname), "%s_%s", key,
			 grp ? "group" : "user");
	if (struct_has_member(b->btf, mb->st, dname))
		return 0;
	d = build_add_field(b, mb->prefix, dname, mb->parent, mb->depth,
			    grp ? FK_GROUP : FK_USER);
	if (d < 0)
		return -1;
	b->f[d].off = b->f[i].off;
	b->f[d].size = b->f[i].size;
	b->bi[d].tmpl = grp ? "group" : "user";
	b->bi[d].type_hidden = true;
	b->bi[i].type_hidden = true;
	return 0;
}

/* A member that is a value (not a struct): its field and siblings. */
static int add_value_member(struct build *b, const struct member *mb)
{
	enum field_kind kind = FK_UINT, fmt = FK_NONE;
	int i;

	i = build_add_field(b, mb->prefix, mb->name, mb->parent, mb->depth,
			    FK_UINT);
	if (i < 0)
		return -1;
	b->f[i].off = mb->bits / 8;
	b->bi[i].tmpl = mb->api ? mb->api->tmpl : NULL;
	if (mb->g && !(b->f[i].gtype = strdup(mb->g)))
		return error_set(b->err, ENOMEM, "fields");
	if (mb->proc_level > 1 ||
	    (mb->proc_level == 1 && strcmp(mb->name, "comm") &&
	     strcmp(mb->name, "pid")))
		b->bi[i].type_hidden = true;
	if (value_kind(b, mb, i, &kind, &fmt) < 0)
		return -1;
	if (mb->bf && !is_int_kind(kind) && fmt != FK_ENUM)
		return error_set(b->err, 0, "BTF: unsupported bitfield %s",
				 b->f[i].name);
	if (!mb->bf && mb->bits % 8)
		return error_set(b->err, 0, "BTF: unaligned member %s",
				 b->f[i].name);
	b->f[i].kind = kind;
	if (is_int_kind(kind) && typedef_format(mb->api) != FK_NONE)
		fmt = typedef_format(mb->api);
	i = add_format(b, mb, i, kind, fmt);
	if (i < 0)
		return -1;
	return add_name_sibling(b, mb, i, kind);
}

/*
 * One struct member: anonymous structs and unions flatten into this
 * level, structs nest, anything else is a value.
 */
static int add_member(struct build *b, const struct btf_type *st, int mi,
		      __u32 base_bits, const char *prefix, int parent,
		      int depth, int proc_level)
{
	const struct btf_member *m = btf_members(st) + mi;
	struct member mb = {
		.st = st,
		.name = btf_name(b->btf, m->name_off),
		.bits = base_bits + btf_member_bit_offset(st, mi),
		.bf = btf_member_bitfield_size(st, mi),
		.prefix = prefix,
		.parent = parent,
		.depth = depth,
		.proc_level = proc_level,
	};

	if (++b->members > MAX_MEMBERS)
		return error_set(b->err, 0, "BTF: more than %d members",
				 MAX_MEMBERS);
	mb.id = build_resolve(b->btf, m->type, &mb.g);
	mb.api = gadget_api_type(mb.g);
	mb.t = btf__type_by_id(b->btf, mb.id);
	if (!mb.t)
		return error_set(b->err, 0, "BTF: bad type of member %s",
				 mb.name);
	if (mb.name && !strncmp(mb.name, "__", 2))
		return 0; /* as ig: private to the gadget (padding, map keys) */
	if (!mb.name || !*mb.name) {
		if (!btf_is_composite(mb.t))
			return 0;
		return build_walk_struct(b, mb.id, mb.bits, prefix, parent,
					 depth, proc_level);
	}
	if (depth >= MAX_DEPTH)
		return error_set(b->err, 0, "BTF: structs nest too deep at %s",
				 mb.name);
	if (btf_is_struct(mb.t))
		return add_struct_member(b, &mb);
	return add_value_member(b, &mb);
}

int build_check_layout(const struct btf *btf, struct error **err)
{
	__u32 n = btf__type_cnt(btf);

	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_member *m;

		if (!btf_is_composite(t))
			continue;
		m = btf_members(t);
		for (__u16 i = 0; i < btf_vlen(t); i++) {
			__s64 size = btf__resolve_size(btf, m[i].type);
			const struct btf_type *mt = btf__type_by_id(
				btf, btf__resolve_type(btf, m[i].type));
			__u64 end = btf_member_bit_offset(t, i);

			/* an integer bitfield (kind_flag) its width, anything
			 * else its type's size: what a field reads */
			if (btf_member_bitfield_size(t, i) && mt &&
			    (btf_is_int(mt) || btf_is_any_enum(mt)))
				end += btf_member_bitfield_size(t, i);
			else
				end += (__u64)(size < 0 ? 0 : size) * 8;
			if (size < 0 || end > (__u64)t->size * 8)
				return error_set(err, 0,
						 "BTF: member %s of %s lies "
						 "outside its %u bytes",
						 btf_name(btf, m[i].name_off),
						 type_name(btf, t), t->size);
		}
	}
	return 0;
}

int build_walk_struct(struct build *b, __u32 type_id, __u32 base_bits,
		      const char *prefix, int parent, int depth, int proc_level)
{
	const struct btf_type *t = btf__type_by_id(b->btf, type_id);
	cleanup_free char *pfx = prefix ? strdup(prefix) : NULL;
	int r = 0;

	if (!t || !btf_is_composite(t))
		return error_set(b->err, 0, "BTF: type %u is not a struct",
				 type_id);
	if (prefix && !pfx)
		return error_set(b->err, ENOMEM, "fields");
	if (b->nesting == MAX_NESTING)
		return error_set(b->err, 0, "BTF: structs nest too deep in %s",
				 type_name(b->btf, t));
	b->nesting++;
	for (int i = 0; i < btf_vlen(t) && r >= 0; i++)
		r = add_member(b, t, i, base_bits, pfx, parent, depth,
			       proc_level);
	b->nesting--;
	return r < 0 ? -1 : 0;
}
