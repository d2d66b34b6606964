// SPDX-License-Identifier: Apache-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <gelf.h>
#include <libelf.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "common/grow.h"
#include "oci/digest.h"
#include "runner/engine/btf_ext.h"
#include "runner/engine/btf_min.h"

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"
#define CACHE_DIR_DEFAULT "/var/cache/runner"
#define MAGIC "runner-btf-min6\n"
/* Far above any cut-down BTF: a bigger file is not ours. */
#define MAX_SIZE (16u << 20)
/* A cache file neither read nor written for this long is removed when
 * another one is made: old kernels' and gadget versions' files do not
 * pile up.  Read: its access time (relatime updates it once a day). */
#define MAX_IDLE_S (30L * 24 * 3600)
/* Longest kernel symbol name (the kernel's KSYM_NAME_LEN is 512). */
#define KSYM_NAME_MAX 512

struct min {
	const struct btf *kern;
	struct btf *out;
	int *ids; /* kern's type id -> out's, 0: not copied yet */
	int void_ptr;
};

static int copy(struct min *m, __u32 kid);

/* What a pointer points to does not take part in matching a field. */
static int pointer(struct min *m, __u32 kid)
{
	const struct btf_type *t = btf__type_by_id(m->kern, kid);
	int fwd;

	while (kid && t && btf_is_mod(t)) {
		kid = t->type;
		t = btf__type_by_id(m->kern, kid);
	}
	if (kid && t && t->name_off && btf_is_composite(t)) {
		fwd = btf__add_fwd(
			m->out, btf__name_by_offset(m->kern, t->name_off),
			btf_is_union(t) ? BTF_FWD_UNION : BTF_FWD_STRUCT);
		return fwd < 0 ? fwd : btf__add_ptr(m->out, fwd);
	}
	if (!m->void_ptr)
		m->void_ptr = btf__add_ptr(m->out, 0);
	return m->void_ptr;
}

static int composite(struct min *m, const struct btf_type *t, const char *name)
{
	const struct btf_member *mb = btf_members(t);
	__u16 i, n = btf_vlen(t);
	int id, rc = 0, *types = calloc(n ? n : 1, sizeof(*types));

	if (!types)
		return -ENOMEM;
	for (i = 0; i < n && rc >= 0; i++)
		rc = types[i] = copy(m, mb[i].type);
	if (rc < 0)
		goto out;
	rc = id = btf_is_struct(t) ? btf__add_struct(m->out, name, t->size) :
				     btf__add_union(m->out, name, t->size);
	for (i = 0; i < n && rc >= 0; i++)
		rc = btf__add_field(
			m->out, btf__name_by_offset(m->kern, mb[i].name_off),
			types[i], btf_member_bit_offset(t, i),
			btf_member_bitfield_size(t, i));
	if (rc >= 0)
		rc = id;
out:
	free(types);
	return rc;
}

static int enumeration(struct min *m, const struct btf_type *t,
		       const char *name)
{
	__u16 i, n = btf_vlen(t);
	int id, rc;

	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);

		rc = id = btf__add_enum(m->out, name, t->size);
		for (i = 0; i < n && rc >= 0; i++)
			rc = btf__add_enum_value(
				m->out,
				btf__name_by_offset(m->kern, e[i].name_off),
				btf_kflag(t) ? (__s64)(__s32)e[i].val :
					       (__s64)(__u32)e[i].val);
	} else {
		const struct btf_enum64 *e = btf_enum64(t);

		rc = id = btf__add_enum64(m->out, name, t->size, btf_kflag(t));
		for (i = 0; i < n && rc >= 0; i++)
			rc = btf__add_enum64_value(
				m->out,
				btf__name_by_offset(m->kern, e[i].name_off),
				btf_enum64_value(&e[i]));
	}
	return rc < 0 ? rc : id;
}

static int array(struct min *m, const struct btf_type *t)
{
	const struct btf_array *a = btf_array(t);
	int elem = copy(m, a->type), index = copy(m, a->index_type);

	if (elem < 0)
		return elem;
	if (index < 0)
		return index;
	return btf__add_array(m->out, index, elem, a->nelems);
}

/* A typedef'd function type, say. */
static int func_proto(struct min *m, const struct btf_type *t)
{
	const struct btf_param *p = btf_params(t);
	__u16 i, n = btf_vlen(t);
	int id, ret, rc, *types = calloc(n ? n : 1, sizeof(*types));

	if (!types)
		return -ENOMEM;
	rc = ret = copy(m, t->type);
	for (i = 0; i < n && rc >= 0; i++)
		rc = types[i] = copy(m, p[i].type);
	if (rc >= 0)
		rc = id = btf__add_func_proto(m->out, ret);
	for (i = 0; i < n && rc >= 0; i++)
		rc = btf__add_func_param(
			m->out, btf__name_by_offset(m->kern, p[i].name_off),
			types[i]);
	free(types);
	return rc < 0 ? rc : id;
}

/* kern's type kid in out: its id there, or a negative errno. */
static int copy(struct min *m, __u32 kid)
{
	const struct btf_type *t;
	const char *name;
	int id, ref;

	if (!kid)
		return 0;
	if (m->ids[kid])
		return m->ids[kid];
	t = btf__type_by_id(m->kern, kid);
	if (!t)
		return -EINVAL;
	name = btf__name_by_offset(m->kern, t->name_off);
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		id = btf__add_int(m->out, name, t->size, btf_int_encoding(t));
		break;
	case BTF_KIND_FLOAT:
		id = btf__add_float(m->out, name, t->size);
		break;
	case BTF_KIND_PTR:
		id = pointer(m, t->type);
		break;
	case BTF_KIND_ARRAY:
		id = array(m, t);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		id = composite(m, t, name);
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		id = enumeration(m, t, name);
		break;
	case BTF_KIND_FWD:
		id = btf__add_fwd(m->out, name,
				  btf_kflag(t) ? BTF_FWD_UNION :
						 BTF_FWD_STRUCT);
		break;
	case BTF_KIND_TYPEDEF:
		ref = copy(m, t->type);
		id = ref < 0 ? ref : btf__add_typedef(m->out, name, ref);
		break;
	case BTF_KIND_FUNC_PROTO:
		id = func_proto(m, t);
		break;
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		id = copy(m, t->type);
		break;
	default: /* functions, variables: never held by value */
		return -EINVAL;
	}
	if (id > 0)
		m->ids[kid] = id;
	return id;
}

static bool root_kind(const struct btf_type *t)
{
	return btf_is_composite(t) || btf_is_any_enum(t) || btf_is_typedef(t) ||
	       btf_is_int(t) || btf_is_float(t);
}

/* Enums of either width are candidates for each other. */
static int kind_class(const struct btf_type *t)
{
	return btf_is_any_enum(t) ? BTF_KIND_ENUM : btf_kind(t);
}

struct root {
	char *name; /* essential: up to "___" */
	int kind; /* kind_class() */
	bool found;
	bool id_target; /* a relocation asks for its kernel type id */
};

static int cmp_root(const void *a, const void *b)
{
	const struct root *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->kind - y->kind;
}

struct ext_relo {
	__u32 insn_off, type_id, access_str_off, kind;
};

#define CORE_TYPE_ID_LOCAL 6 /* needs no kernel type */
/* The kernel's own type id: the cut-down BTF keeps the kernel's ids. */
#define CORE_TYPE_ID_TARGET 7
/* A match through pointers: only the kernel's whole BTF answers it. */
#define CORE_TYPE_MATCHES 12

static int add_root(const struct btf *local, __u32 id, struct root *roots,
		    size_t *n)
{
	const struct btf_type *t = btf__type_by_id(local, id);
	const char *name, *flavor;

	while (t && btf_is_mod(t))
		t = btf__type_by_id(local, t->type);
	if (!t)
		return -EINVAL;
	name = btf__name_by_offset(local, t->name_off);
	if (!name || !*name || !root_kind(t))
		return -EINVAL; /* libbpf would not find it either */
	flavor = strstr(name, "___");
	roots[*n].kind = kind_class(t);
	roots[*n].found = false;
	roots[*n].name =
		strndup(name, flavor ? (size_t)(flavor - name) : strlen(name));
	if (!roots[*n].name)
		return -ENOMEM;
	++*n;
	return 0;
}

static struct root *unique(struct root *roots, size_t *n)
{
	size_t i, j = 0;

	for (i = 0; i < *n; i++) {
		if (j && !cmp_root(&roots[j - 1], &roots[i])) {
			roots[j - 1].id_target |= roots[i].id_target;
			free(roots[i].name);
		} else
			roots[j++] = roots[i];
	}
	*n = j;
	return roots;
}

/* What relo_roots() gathers from the CO-RE part's records. */
struct relos {
	const struct btf *local;
	struct root *roots;
	size_t n, max;
	bool keep_ids;
	int rc; /* why the walk stopped */
};

static bool add_relos(void *ctx, const char *sec, const unsigned char *p,
		      __u32 n, __u32 rec_size)
{
	struct relos *c = ctx;
	__u32 i;

	(void)sec;
	for (i = 0; i < n; i++, p += rec_size) {
		struct ext_relo r;

		memcpy(&r, p, sizeof(r));
		if (r.kind == CORE_TYPE_ID_LOCAL)
			continue;
		if (r.kind == CORE_TYPE_MATCHES) {
			c->rc = -ENOTSUP;
			return false;
		}
		c->keep_ids |= r.kind == CORE_TYPE_ID_TARGET;
		if (c->n == c->max)
			return false;
		c->rc = add_root(c->local, r.type_id, c->roots, &c->n);
		if (c->rc)
			return false;
		c->roots[c->n - 1].id_target = r.kind == CORE_TYPE_ID_TARGET;
		c->rc = -EINVAL;
	}
	return true;
}

/* The root types of ext's CO-RE relocations (local's type ids). */
static struct root *relo_roots(const struct btf *local, const void *ext,
			       size_t ext_len, size_t *n, bool *keep_ids)
{
	struct relos c = { .local = local, .rc = -EINVAL };
	struct btf_ext_header h;
	const unsigned char *p;
	size_t size;

	*n = 0;
	if (!btf_ext_header_read(ext, ext_len, &h, &p, &size) ||
	    !h.core_relo_len)
		goto fail;
	c.max = h.core_relo_len / sizeof(struct ext_relo) + 1;
	c.roots = calloc(c.max, sizeof(*c.roots));
	if (!c.roots) {
		c.rc = -ENOMEM;
		goto fail;
	}
	if (!btf_ext_part_each(local, BTF_EXT_CORE, p, size, h.core_relo_off,
			       h.core_relo_len, add_relos, &c))
		goto fail;
	*keep_ids |= c.keep_ids;
	*n = c.n;
	qsort(c.roots, *n, sizeof(*c.roots), cmp_root);
	return unique(c.roots, n);
fail:
	while (c.roots && c.n)
		free(c.roots[--c.n].name);
	free(c.roots);
	errno = -c.rc;
	return NULL;
}

/* A typedef, modifier, function or variable: t->type is all it refers to,
 * and what it stands for (a pointer's t->type is only what it points to). */
static bool refers_by_type(const struct btf_type *t)
{
	return btf_is_typedef(t) || btf_is_mod(t) || btf_is_func(t) ||
	       btf_is_var(t);
}

/*
 * Mark in keep the types keep_ids_new() copies for id: what CO-RE matches
 * of a root (what it holds by value, not what its pointers point to); or,
 * deep, what libbpf compares a kernel function or variable with
 * (bpf_core_types_are_compat(): through pointers, typedefs, arrays and
 * prototypes down to a scalar or a struct, union or enum, whose members it
 * does not compare).
 */
static int mark(const struct btf *kern, __u32 id, char *keep, bool deep)
{
	const struct btf_type *t = btf__type_by_id(kern, id);
	int rc = 0;
	__u16 i;

	if (!id || keep[id])
		return 0;
	if (!t)
		return -EINVAL;
	keep[id] = 1;
	if (refers_by_type(t))
		return mark(kern, t->type, keep, deep);
	switch (btf_kind(t)) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (i = 0; i < btf_vlen(t) && !rc && !deep; i++)
			rc = mark(kern, btf_members(t)[i].type, keep, deep);
		return rc;
	case BTF_KIND_ARRAY:
		rc = mark(kern, btf_array(t)->type, keep, deep);
		return rc ? rc :
			    mark(kern, btf_array(t)->index_type, keep, deep);
	case BTF_KIND_FUNC_PROTO:
		for (i = 0; i < btf_vlen(t) && !rc; i++)
			rc = mark(kern, btf_params(t)[i].type, keep, deep);
		return rc ? rc : mark(kern, t->type, keep, deep);
	case BTF_KIND_PTR: /* what it points to is not matched by CO-RE */
		return deep ? mark(kern, t->type, keep, deep) : 0;
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FWD:
		return 0;
	default:
		return -EINVAL;
	}
}

struct buf {
	char *p;
	size_t len, cap;
};

static int put(struct buf *b, const void *data, size_t len)
{
	if (grow_array((void **)&b->p, &b->cap, b->len + len, 1, 256))
		return -ENOMEM;
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

/* name's offset in strs ("" at 0) */
static __u32 put_name(struct buf *strs, const struct btf *kern, __u32 off,
		      int *rc)
{
	const char *name = btf__name_by_offset(kern, off);
	__u32 at = strs->len;

	if (!name || !*name)
		return 0;
	if (!*rc)
		*rc = put(strs, name, strlen(name) + 1);
	return at;
}

/* One kept type, names moved to strs. */
static int put_type(struct buf *types, struct buf *strs, const struct btf *kern,
		    const struct btf_type *t)
{
	size_t extra, at = types->len, i, vlen = btf_vlen(t);
	struct btf_type *out;
	int rc = 0;

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		extra = 4;
		break;
	case BTF_KIND_ARRAY:
		extra = sizeof(struct btf_array);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		extra = vlen * sizeof(struct btf_member);
		break;
	case BTF_KIND_ENUM:
		extra = vlen * sizeof(struct btf_enum);
		break;
	case BTF_KIND_ENUM64:
		extra = vlen * sizeof(struct btf_enum64);
		break;
	case BTF_KIND_FUNC_PROTO:
		extra = vlen * sizeof(struct btf_param);
		break;
	case BTF_KIND_VAR:
		extra = sizeof(struct btf_var);
		break;
	default:
		extra = 0;
	}
	rc = put(types, t, sizeof(*t) + extra);
	if (rc)
		return rc;
	out = (struct btf_type *)(types->p + at);
	out->name_off = put_name(strs, kern, t->name_off, &rc);
	for (i = 0; i < vlen && !rc; i++) {
		__u32 *name_off;

		if (btf_is_composite(out))
			name_off = &btf_members(out)[i].name_off;
		else if (btf_is_enum(out))
			name_off = &btf_enum(out)[i].name_off;
		else if (btf_is_enum64(out))
			name_off = &btf_enum64(out)[i].name_off;
		else if (btf_is_func_proto(out))
			name_off = &btf_params(out)[i].name_off;
		else
			break;
		*name_off = put_name(strs, kern, *name_off, &rc);
		out = (struct btf_type *)(types->p + at); /* moved? */
	}
	return rc;
}

/* kern's type id in the cut-down BTF (map: 0 for a type not kept) */
static void remap_one(__u32 *id, const __u32 *map, __u32 cnt, __u32 hole)
{
	if (*id)
		*id = *id < cnt && map[*id] ? map[*id] : hole;
}

/* The types t refers to, as the cut-down BTF numbers them. */
static void remap(struct btf_type *t, const __u32 *map, __u32 cnt, __u32 hole)
{
	__u16 i, n = btf_vlen(t);

	if (btf_is_ptr(t) || refers_by_type(t)) {
		remap_one(&t->type, map, cnt, hole);
		return;
	}
	switch (btf_kind(t)) {
	case BTF_KIND_ARRAY:
		remap_one(&btf_array(t)->type, map, cnt, hole);
		remap_one(&btf_array(t)->index_type, map, cnt, hole);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (i = 0; i < n; i++)
			remap_one(&btf_members(t)[i].type, map, cnt, hole);
		break;
	case BTF_KIND_FUNC_PROTO:
		remap_one(&t->type, map, cnt, hole);
		for (i = 0; i < n; i++)
			remap_one(&btf_params(t)[i].type, map, cnt, hole);
		break;
	}
}

/*
 * kern's types marked in keep, kern's ids kept up to in_place (each type
 * not kept there a hole), those after it next in their order; one hole
 * last, for what a type kept refers to that is not.  CO-RE searches every
 * type for each relocation's candidates: no more ids than asked for.
 */
static struct btf *keep_ids_new(const struct btf *kern, const char *keep,
				__u32 in_place)
{
	struct btf_header h = {
		.magic = BTF_MAGIC,
		.version = BTF_VERSION,
		.hdr_len = sizeof(h),
	};
	const struct btf_type hole = { .info = BTF_KIND_PTR << 24 };
	struct buf types = { 0 }, strs = { 0 }, raw = { 0 };
	__u32 id, next, cnt = btf__type_cnt(kern);
	__u32 *map = calloc(cnt, sizeof(*map));
	struct btf *out = NULL;
	int rc = map ? put(&strs, "", 1) : -ENOMEM;

	for (id = 1, next = 1; id < cnt && map; id++)
		if (id <= in_place || keep[id])
			map[id] = next++;
	for (id = 1; id < cnt && !rc; id++) {
		size_t at = types.len;

		if (!map[id])
			continue;
		if (!keep[id]) {
			rc = put(&types, &hole, sizeof(hole));
			continue;
		}
		rc = put_type(&types, &strs, kern, btf__type_by_id(kern, id));
		if (!rc)
			remap((struct btf_type *)(types.p + at), map, cnt,
			      next);
	}
	if (!rc)
		rc = put(&types, &hole, sizeof(hole));
	h.type_len = types.len;
	h.str_off = types.len;
	h.str_len = strs.len;
	if (!rc)
		rc = put(&raw, &h, sizeof(h));
	if (!rc)
		rc = put(&raw, types.p, types.len);
	if (!rc)
		rc = put(&raw, strs.p, strs.len);
	if (!rc) {
		out = btf__new(raw.p, raw.len);
		if (libbpf_get_error(out)) {
			rc = -EINVAL;
			out = NULL;
		}
	}
	free(map);
	free(types.p);
	free(strs.p);
	free(raw.p);
	if (rc)
		errno = -rc;
	return out;
}

struct btf *btf_min_new(const struct btf *local, const void *ext,
			size_t ext_len, const struct btf *kern)
{
	struct min m = { .kern = kern };
	__u32 id, cnt = btf__type_cnt(kern), in_place = 0;
	size_t i, n;
	bool keep_ids = false;
	struct root *roots = relo_roots(local, ext, ext_len, &n, &keep_ids), *r;
	char *keep = NULL;
	int rc = 0;

	if (!roots)
		return NULL;
	if (keep_ids)
		keep = calloc(cnt, 1);
	else
		m.out = btf__new_empty();
	m.ids = calloc(cnt, sizeof(*m.ids));
	if ((!m.out && !keep) || !m.ids) {
		rc = -ENOMEM;
		goto out;
	}
	for (id = 1; id < cnt && rc >= 0; id++) {
		const struct btf_type *t = btf__type_by_id(kern, id);
		struct root key = {
			.name = (char *)btf__name_by_offset(kern, t->name_off),
			.kind = kind_class(t),
		};

		if (!root_kind(t) || !key.name || !*key.name)
			continue;
		r = bsearch(&key, roots, n, sizeof(*roots), cmp_root);
		if (r) {
			r->found = true;
			rc = keep ? mark(kern, id, keep, false) : copy(&m, id);
			if (r->id_target)
				in_place = id;
		}
	}
	/* Not in vmlinux (a module's?): libbpf looks further itself. */
	for (i = 0; i < n && rc >= 0; i++)
		if (!roots[i].found)
			rc = -ENOENT;
	if (keep && rc >= 0) {
		m.out = keep_ids_new(kern, keep, in_place);
		if (!m.out)
			rc = -errno;
	}
out:
	for (i = 0; i < n; i++)
		free(roots[i].name);
	free(roots);
	free(m.ids);
	free(keep);
	if (rc < 0) {
		btf__free(m.out);
		errno = -rc;
		return NULL;
	}
	return m.out;
}

static int need_kind(char c)
{
	switch (c) {
	case 'T':
		return BTF_KIND_TYPEDEF;
	case 'F':
		return BTF_KIND_FUNC;
	case 'V':
		return BTF_KIND_VAR;
	default:
		return -1;
	}
}

struct btf *btf_min_attach_new(const char *needs, const struct btf *kern)
{
	__u32 cnt = btf__type_cnt(kern);
	char *keep = calloc(cnt, 1), name[KSYM_NAME_MAX];
	const char *p = needs, *nl;
	struct btf *out = NULL;
	int rc = keep ? 0 : -ENOMEM, kind, id, in_place = 0;

	while (!rc && *p) {
		nl = strchr(p, '\n');
		kind = need_kind(*p);
		if (!nl || kind < 0 || p[1] != ' ' || nl - p - 2 <= 0 ||
		    nl - p - 2 >= (long)sizeof(name)) {
			rc = -EINVAL;
			break;
		}
		memcpy(name, p + 2, nl - p - 2);
		name[nl - p - 2] = 0;
		id = btf__find_by_name_kind(kern, name, kind);
		rc = id < 0 ? -ENOENT : mark(kern, id, keep, true);
		in_place = id > in_place ? id : in_place;
		p = nl + 1;
	}
	if (!rc) {
		out = keep_ids_new(kern, keep, in_place);
		if (!out)
			rc = -errno;
	}
	free(keep);
	if (rc)
		errno = -rc;
	return out;
}

/* The object's .BTF and .BTF.ext sections. */
struct sections {
	const void *btf, *ext;
	size_t btf_len, ext_len;
};

static int find_sections(const void *elf, size_t len, struct sections *s)
{
	Elf *e;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	e = elf_memory((char *)elf, len);
	if (!e)
		return -1;
	if (elf_getshdrstrndx(e, &shstrndx))
		goto out;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			goto out;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (!name || (strcmp(name, ".BTF") && strcmp(name, ".BTF.ext")))
			continue;
		/* the bytes in place: valid after elf_end() */
		if (sh.sh_type != SHT_PROGBITS || sh.sh_offset > len ||
		    sh.sh_size > len - sh.sh_offset)
			goto out;
		if (!strcmp(name, ".BTF")) {
			s->btf = (const char *)elf + sh.sh_offset;
			s->btf_len = sh.sh_size;
		} else {
			s->ext = (const char *)elf + sh.sh_offset;
			s->ext_len = sh.sh_size;
		}
	}
	rc = s->btf && s->ext ? 0 : -1;
out:
	elf_end(e);
	return rc;
}

/* The cache file: this header, then the raw BTF. */
struct header {
	char magic[16];
	char key[OCI_DIGEST_SIZE];
	__u32 size;
	__u64 sum; /* checksum() of the BTF */
};

/* One step of a lane: one-to-one in w, so a change within a word shows. */
static inline __u64 mix(__u64 h, __u64 w)
{
	h = (h ^ w) * 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

/*
 * Catches a damaged file (what it is for is in the key, a SHA-256): four
 * lanes, each mix()ing every fourth 8-byte word, then folded together
 * with mix() (one-to-one in each lane): a change within a word always
 * shows.  Independent lanes, not one chain of multiplies: ~4x faster
 * than one chain, over 10x faster than SHA-256.
 */
static __u64 checksum(const void *data, size_t len)
{
	const unsigned char *p = data;
	__u64 a = 0x9e3779b97f4a7c15ULL ^ len, b = 1, c = 2, d = 3, w[4];
	size_t i;

	for (i = 0; i + sizeof(w) <= len; i += sizeof(w)) {
		memcpy(w, p + i, sizeof(w));
		a = mix(a, w[0]);
		b = mix(b, w[1]);
		c = mix(c, w[2]);
		d = mix(d, w[3]);
	}
	memset(w, 0, sizeof(w));
	memcpy(w, p + i, len - i);
	a = mix(mix(mix(mix(a, b), c), d), w[0]);
	a = mix(mix(mix(a, w[1]), w[2]), w[3]) * 0xc4ceb9fe1a85ec53ULL;
	return a ^ (a >> 29);
}

static void hash_file(struct oci_sha256 *h, const char *path)
{
	cleanup_free char *buf = NULL;
	size_t len;

	if (read_file(path, &buf, &len, NULL))
		oci_sha256_update(h, "-", 1);
	else
		oci_sha256_update(h, buf, len);
}

static bool has_relos(const struct sections *sec)
{
	struct btf_ext_header h;
	const unsigned char *p;
	size_t size;

	return btf_ext_header_read(sec->ext, sec->ext_len, &h, &p, &size) &&
	       h.core_relo_len > sizeof(__u32);
}

/* This kernel: its build id, release, version and BTF size, hashed
 * once a process (the exec hook and the gadget each key a file on it). */
static char kernel_key[OCI_DIGEST_SIZE];
static pthread_once_t kernel_once = PTHREAD_ONCE_INIT;

static void kernel_identity(void)
{
	struct oci_sha256 *h = oci_sha256_new();
	struct stat st;
	char size[32];

	if (!h)
		return;
	hash_file(h, "/sys/kernel/notes");
	hash_file(h, "/proc/sys/kernel/osrelease");
	hash_file(h, "/proc/version");
	snprintf(size, sizeof(size), "%lld",
		 stat(KERNEL_BTF, &st) ? -1LL : (long long)st.st_size);
	oci_sha256_update(h, size, strlen(size));
	oci_sha256_final(h, kernel_key);
	oci_sha256_free(h);
}

/* A cache key: this kernel, then what the file is made of (len bytes of
 * each part of parts, as many as n). */
static int cache_key(const void *const *parts, const size_t *lens, size_t n,
		     char key[OCI_DIGEST_SIZE])
{
	struct oci_sha256 *h;
	char size[32];

	pthread_once(&kernel_once, kernel_identity);
	if (!*kernel_key || !(h = oci_sha256_new()))
		return -1;
	oci_sha256_update(h, MAGIC, strlen(MAGIC));
	oci_sha256_update(h, kernel_key, strlen(kernel_key));
	for (size_t i = 0; i < n; i++) {
		snprintf(size, sizeof(size), " %zu ", lens[i]);
		oci_sha256_update(h, size, strlen(size));
		oci_sha256_update(h, parts[i], lens[i]);
	}
	oci_sha256_final(h, key);
	oci_sha256_free(h);
	return 0;
}

int btf_min_memfd(const char *name, const void *raw, size_t size,
		  struct error **err)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return error_set(err, errno, "memfd for BTF");
	if (write(fd, raw, size) != (ssize_t)size) {
		error_set(err, errno ? errno : EIO, "memfd for BTF");
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The cached BTF, in raw (a mapping of the file: its pages mapped at once,
 * not faulted in one by one as a copy's; size 0: cached as not to be
 * cut), or -1 when absent, foreign or damaged.  The runner only ever
 * replaces a cache file (rename), never writes or cuts one short in place:
 * the mapping keeps what was checked.
 */
static int read_cached(const char *path, const char *key,
		       struct btf_min_raw *raw)
{
	struct header h;
	struct stat st;
	void *map = MAP_FAILED;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;

	memset(raw, 0, sizeof(*raw));
	if (fd < 0)
		return -1;
	/* ours only: a file another user could have written is not */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) ||
	    st.st_size < (off_t)sizeof(h) ||
	    st.st_size > (off_t)(sizeof(h) + MAX_SIZE))
		goto out;
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd,
		   0);
	if (map == MAP_FAILED)
		goto out;
	memcpy(&h, map, sizeof(h));
	if (memcmp(h.magic, MAGIC, sizeof(h.magic)) ||
	    strncmp(h.key, key, sizeof(h.key)) || h.size > MAX_SIZE ||
	    st.st_size != (off_t)(sizeof(h) + h.size) ||
	    h.sum != checksum((const char *)map + sizeof(h), h.size))
		goto out;
	raw->map = map;
	raw->map_len = st.st_size;
	raw->data = (const char *)map + sizeof(h);
	raw->size = h.size;
	map = MAP_FAILED;
	rc = 0;
out:
	if (map != MAP_FAILED)
		munmap(map, st.st_size);
	close(fd);
	return rc;
}

void btf_min_raw_release(struct btf_min_raw *raw)
{
	if (raw->map)
		munmap(raw->map, raw->map_len);
	btf__free(raw->btf);
	memset(raw, 0, sizeof(*raw));
}

/* Is the temp file name of dir (btf-HEX.XXXXXX) one no writer holds? */
static bool tmp_stale(int dir, const char *name)
{
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	bool stale = fd >= 0 && !flock(fd, LOCK_EX | LOCK_NB);

	if (fd >= 0)
		close(fd);
	return stale;
}

/*
 * Remove the cache files of dir idle for MAX_IDLE_S, and the temp files of
 * writers killed before their rename (best effort).
 */
static void prune(const char *dir)
{
	time_t now = time(NULL);
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "btf-", 4) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		if ((now - st.st_atime > MAX_IDLE_S &&
		     now - st.st_mtime > MAX_IDLE_S) ||
		    (strchr(e->d_name, '.') && tmp_stale(dirfd(d), e->d_name)))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

/* Best effort: a cache that can not be written is only slower. */
static void write_cached(const char *dir, const char *path, const char *key,
			 const void *raw, __u32 size)
{
	char tmp[PATH_MAX];
	struct header h = { .size = size };
	int fd;

	memcpy(h.magic, MAGIC, sizeof(h.magic));
	snprintf(h.key, sizeof(h.key), "%s", key);
	h.sum = checksum(raw, size);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return;
	/* held until renamed: prune() leaves it (should another's prune()
	 * take it before this lock, the rename fails: no cache this time) */
	flock(fd, LOCK_EX);
	if (write(fd, &h, sizeof(h)) != sizeof(h) ||
	    write(fd, raw, size) != (ssize_t)size || fsync(fd) ||
	    rename(tmp, path))
		unlink(tmp);
	close(fd);
	prune(dir);
}

typedef struct btf *(*cut_fn)(const void *arg, const struct btf *kern);

/*
 * The BTF cut(arg, the kernel's BTF) makes, as raw bytes in raw (release
 * with btf_min_raw_release()), read from the cache file of key or made
 * and stored there; -1 with err.
 */
static int cut_raw(const char *key, cut_fn cut, const void *arg,
		   struct btf_min_raw *raw, struct error **err)
{
	const char *dir = getenv("RUNNER_CACHE_DIR");
	struct btf *kern = NULL, *min = NULL;
	char path[PATH_MAX];
	const void *data;
	__u32 size;
	int e;

	memset(raw, 0, sizeof(*raw));
	if (!dir || !*dir)
		dir = CACHE_DIR_DEFAULT;
	if (snprintf(path, sizeof(path), "%s/btf-%s", dir,
		     oci_digest_hex(key)) >= (int)sizeof(path))
		return error_set(err, ENAMETOOLONG, "BTF cache: %s", dir);
	if (!read_cached(path, key, raw)) {
		if (raw->size)
			return 0;
		btf_min_raw_release(raw);
		return error_set(err, 0, "needs the kernel's whole BTF");
	}
	kern = btf__load_vmlinux_btf();
	if (libbpf_get_error(kern))
		return error_set(err, errno, "load kernel BTF");
	min = cut(arg, kern);
	e = errno;
	data = min ? btf__raw_data(min, &size) : NULL;
	if (data) {
		write_cached(dir, path, key, data, size);
	} else if (e != ENOMEM) {
		/* the same next time: say so (not for want of memory) */
		write_cached(dir, path, key, "", 0);
	}
	btf__free(kern);
	if (!data) {
		btf__free(min);
		return error_set(err, e, "cut down kernel BTF");
	}
	raw->btf = min;
	raw->data = data;
	raw->size = size;
	return 0;
}

static struct btf *core_cut(const void *arg, const struct btf *kern)
{
	const struct sections *sec = arg;
	struct btf *local = btf__new(sec->btf, sec->btf_len), *min;
	int e;

	if (libbpf_get_error(local))
		return NULL;
	min = btf_min_new(local, sec->ext, sec->ext_len, kern);
	e = errno;
	btf__free(local);
	errno = e;
	return min;
}

int btf_min_fd(const void *elf, size_t len, struct error **err)
{
	char key[OCI_DIGEST_SIZE];
	struct sections sec;
	struct btf_min_raw raw;
	int fd;

	if (find_sections(elf, len, &sec) || !has_relos(&sec))
		return error_set(err, 0, "no CO-RE relocations");
	if (cache_key((const void *[]){ sec.btf, sec.ext },
		      (size_t[]){ sec.btf_len, sec.ext_len }, 2, key))
		return error_set(err, ENOMEM, "BTF cache key");
	if (cut_raw(key, core_cut, &sec, &raw, err))
		return -1;
	fd = btf_min_memfd("runner-btf", raw.data, raw.size, err);
	btf_min_raw_release(&raw);
	return fd;
}

static struct btf *attach_cut(const void *arg, const struct btf *kern)
{
	return btf_min_attach_new(arg, kern);
}

int btf_min_attach_raw(const char *needs, struct btf_min_raw *raw,
		       struct error **err)
{
	static const char tag[] = "attach";
	char key[OCI_DIGEST_SIZE];

	if (cache_key((const void *[]){ tag, needs },
		      (size_t[]){ sizeof(tag), strlen(needs) }, 2, key))
		return error_set(err, ENOMEM, "BTF cache key");
	return cut_raw(key, attach_cut, needs, raw, err);
}

void btf_min_open_init(struct btf_min_open *o, const void *elf, size_t len,
		       enum engine_log_level level, const char *what)
{
	struct error *err = NULL;

	memset(o, 0, sizeof(*o));
	o->opts.sz = sizeof(o->opts);
	btf_min_open_fd(o, btf_min_fd(elf, len, &err));
	if (o->fd < 0) {
		engine_log(level, "%s: %s", what, error_msg(err));
		error_free(err);
	}
}

void btf_min_open_fd(struct btf_min_open *o, int fd)
{
	o->fd = fd;
	o->opts.btf_custom_path = NULL;
	if (fd < 0)
		return;
	snprintf(o->path, sizeof(o->path), "/proc/self/fd/%d", fd);
	o->opts.btf_custom_path = o->path;
}

void btf_min_open_done(struct btf_min_open *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
}

struct btf *btf_min_object_btf(const void *elf, size_t len)
{
	struct sections sec;
	struct btf *btf;

	if (find_sections(elf, len, &sec)) {
		errno = ENOENT;
		return NULL;
	}
	btf = btf__new(sec.btf, sec.btf_len);
	return libbpf_get_error(btf) ? NULL : btf;
}
