// SPDX-License-Identifier: Apache-2.0
/*
 * A gadget param's value from its text, by the param's BTF type: what
 * `--flag VALUE` and gadget.yaml defaults write into .rodata.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "common/cleanup.h"
#include "common/goparse.h"
#include "runner/engine/btf_name.h"
#include "runner/engine/gadget_api.h"
#include "runner/engine/param_value.h"

static int parse_int(const char *s, const struct btf_type *t, void *dst,
		     const char *var, struct error **err)
{
	bool is_signed = btf_is_int(t) ?
				 (btf_int_encoding(t) & BTF_INT_SIGNED) != 0 :
				 false;
	size_t size = t->size;
	/* decimal, as ig's params (Go's ParseInt and ParseUint in base 10:
	 * "010" is 10, not octal 8; no space, no sign on an unsigned), or
	 * hex after 0x */
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	unsigned long long u = 0;
	long long v = 0;
	bool b, ok;

	if (!size || size > 8) /* a hostile BTF's __int128 or wider */
		return error_set(err, 0, "param %s: unsupported type", var);
	if (btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL)) {
		/* as every ig bool param: ParseBool's spellings, and true
		 * or false in any case; the byte is 1 or 0 whatever the
		 * spelling, as ig writes AsBool()'s bool */
		if (!go_parse_param_bool(s, &b))
			return error_set(err, 0,
					 "param %s: '%s' is not true or false",
					 var, s);
		memcpy(dst, &b, 1);
		return 0;
	}
	if (hex) {
		ok = go_parse_uint(s + 2, 16, &u) &&
		     (!is_signed || u <= (unsigned long long)LLONG_MAX);
		v = (long long)u;
	} else if (is_signed) {
		ok = go_parse_int(s, 10, &v);
		u = (unsigned long long)v;
	} else {
		ok = go_parse_uint(s, 10, &u);
	}
	if (ok && size < 8)
		ok = is_signed ? v >= -(1LL << (size * 8 - 1)) &&
					 v < (1LL << (size * 8 - 1)) :
				 !(u >> (size * 8));
	if (!ok)
		return error_set(
			err, 0,
			"param %s: invalid value '%s' for a %zu-byte %s integer",
			var, s, size, is_signed ? "signed" : "unsigned");
		/* little- and big-endian alike: copy the low bytes */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(dst, &u, size);
#else
	memcpy(dst, (char *)&u + 8 - size, size);
#endif
	return 0;
}

/* Offset of member name in struct/union t, or -1. */
static int member_offset(const struct btf *btf, const struct btf_type *t,
			 const char *name)
{
	const struct btf_member *m = btf_members(t);

	for (__u16 i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf_name(btf, m->name_off), name))
			return btf_member_bit_offset(t, i) / 8;
	return -1;
}

/* union gadget_ip_addr_t or struct gadget_l3endpoint_t from "1.2.3.4"/"::1". */
static int parse_ip_param(const struct btf *btf, const struct btf_type *t,
			  const char *value, char *dst, size_t size,
			  const char *var, struct error **err)
{
	const char *name = btf_name(btf, t->name_off);
	bool ep = !strcmp(name, GADGET_API_L3ENDPOINT);
	int addr_off = ep ? member_offset(btf, t, "addr_raw") : 0;
	int ver_off = ep ? member_offset(btf, t, "version") : -1;
	__u8 buf[16];
	int version;

	if (addr_off < 0 || (ep && (ver_off < 0 || ver_off >= (int)size)) ||
	    addr_off + 16 > (int)size)
		return error_set(err, 0, "param %s: unsupported layout", var);
	if (inet_pton(AF_INET, value, buf) == 1)
		version = 4;
	else if (inet_pton(AF_INET6, value, buf) == 1)
		version = 6;
	else
		return error_set(
			err, 0, "param %s: '%s' is not an IPv4 or IPv6 address",
			var, value);
	memset(dst, 0, size);
	memcpy(dst + addr_off, buf, version == 4 ? 4 : 16);
	if (ep)
		dst[ver_off] = version;
	return 0;
}

bool param_value_is_bool(const struct btf *btf, __u32 type_id)
{
	const struct btf_type *t =
		btf__type_by_id(btf, btf__resolve_type(btf, type_id));

	return t && btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL);
}

bool param_type_named(const struct btf *btf, __u32 type_id, const char *name)
{
	/* a chain longer than this is a loop in a hostile BTF */
	for (int depth = 0; depth < 32; depth++) {
		const struct btf_type *t = btf__type_by_id(btf, type_id);
		const char *n;

		if (!t)
			return false;
		n = btf__name_by_offset(btf, t->name_off);
		if (n && !strcmp(n, name))
			return true;
		if (btf_is_array(t))
			type_id = btf_array(t)->type;
		else if (btf_is_typedef(t) || btf_is_const(t) ||
			 btf_is_volatile(t))
			type_id = t->type;
		else
			return false;
	}
	return false;
}

int param_value_parse(const struct btf *btf, __u32 type_id, const char *var,
		      const char *value, void *out, size_t size,
		      struct error **err)
{
	const struct btf_type *t;
	char *dst = out;

	t = btf__type_by_id(btf, btf__resolve_type(btf, type_id));
	if (!t)
		return error_set(err, 0, "param %s: bad BTF type", var);
	/* the gadget's BTF tells both, and a hostile one may disagree */
	if (btf__resolve_size(btf, type_id) != (__s64)size)
		return error_set(err, 0,
				 "param %s: its type is not of its %zu bytes",
				 var, size);
	if (btf_is_int(t) || btf_is_enum(t))
		return parse_int(value, t, dst, var, err);
	if (btf_is_composite(t)) {
		const char *tn = btf_name(btf, t->name_off);

		if (!strcmp(tn, GADGET_API_IP_ADDR) ||
		    !strcmp(tn, GADGET_API_L3ENDPOINT))
			return parse_ip_param(btf, t, value, dst, size, var,
					      err);
	}
	if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		const struct btf_type *e =
			btf__type_by_id(btf, btf__resolve_type(btf, a->type));
		cleanup_free char *copy = NULL;
		char *tok, *save = NULL;
		size_t n = 0;

		if (!e)
			return error_set(err, 0, "param %s: bad BTF type", var);
		if (btf_is_int(e) && e->size == 1 &&
		    !(btf_int_encoding(e) & BTF_INT_BOOL) &&
		    (btf_int_encoding(e) & BTF_INT_CHAR ||
		     !strcmp(btf_name(btf, e->name_off), "char"))) {
			if (strlen(value) >= a->nelems)
				return error_set(
					err, 0,
					"param %s: longer than %u bytes", var,
					a->nelems - 1);
			memset(dst, 0, a->nelems);
			memcpy(dst, value, strlen(value));
			return 0;
		}
		if (!btf_is_int(e) && !btf_is_enum(e))
			return error_set(err, 0, "param %s: unsupported type",
					 var);
		copy = strdup(value);
		if (!copy)
			return error_set(err, ENOMEM, "param");
		/* zeros fill the unused slots: a list holds no empty item
		 * and no 0, which the program could not tell from them */
		if (!*value)
			return error_set(err, 0, "param %s: no values", var);
		memset(dst, 0, size);
		for (tok = copy; tok; tok = save, n++) {
			save = strchr(tok, ',');
			if (save)
				*save++ = '\0';
			if (n == a->nelems)
				return error_set(
					err, 0, "param %s: more than %u values",
					var, a->nelems);
			if (!*tok)
				return error_set(err, 0,
						 "param %s: an empty value in "
						 "'%s'",
						 var, value);
			if (parse_int(tok, e, dst + n * e->size, var, err))
				return -1;
			if (!memcmp(dst + n * e->size, "\0\0\0\0\0\0\0\0",
				    e->size < 8 ? e->size : 8))
				return error_set(err, 0,
						 "param %s: 0 in '%s': zeros "
						 "mark the unused slots",
						 var, value);
		}
		return 0;
	}
	return error_set(err, 0, "param %s: unsupported type", var);
}
