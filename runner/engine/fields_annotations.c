// SPDX-License-Identifier: Apache-2.0
/*
 * gadget.yaml annotations on the fields of a data source: templates,
 * column widths and alignment, titles, descriptions, value.one-of,
 * value.shown-if, and which columns show by default.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "common/escape.h"
#include "common/goparse.h"
#include "metadata/metadata.h"
#include "runner/engine/containers.h"
#include "runner/engine/fields_build.h"
#include "runner/engine/stacks.h"
#include "runner/engine/syscall_names.h"
#include "runner/engine/timefmt.h"

/* Templates: annotation sets a field gets from its type or `template:`,
 * with ig's description where ig's template has one (its own wins). */
struct tmpl {
	const char *name;
	int width, minwidth, maxwidth;
	enum field_align align;
	bool hidden;
	const char *description;
};

static const struct tmpl templates[] = {
	{ "comm", 16, 6, 16, ALIGN_LEFT, false, "Process name" },
	{ "pcomm", 16, 6, 16, ALIGN_LEFT, true, "Parent process name" },
	{ "pid", 7, 7, 10, ALIGN_RIGHT, false, "Process ID" },
	{ "ppid", 7, 7, 10, ALIGN_RIGHT, true, "Parent process ID" },
	{ "tid", 7, 7, 10, ALIGN_RIGHT, false, "Thread ID" },
	{ "ptid", 7, 7, 10, ALIGN_RIGHT, true, "Parent thread ID" },
	{ "uid", 8, 4, 10, ALIGN_RIGHT, false, "User ID" },
	{ "gid", 8, 4, 10, ALIGN_RIGHT, false, "Group ID" },
	{ "user", 12, 4, 32, ALIGN_LEFT, false, NULL },
	{ "group", 12, 4, 32, ALIGN_LEFT, false, NULL },
	{ "timestamp", 35, 19, 35, ALIGN_LEFT, false, NULL },
	{ "duration", 12, 6, 20, ALIGN_RIGHT, false, NULL },
	{ "l4endpoint", 24, 22, 53, ALIGN_LEFT, false, NULL },
	{ "l3endpoint", 16, 7, 45, ALIGN_LEFT, false, NULL },
	{ "ns", 12, 10, 20, ALIGN_RIGHT, true, NULL },
	{ "netns_id", 12, 10, 20, ALIGN_RIGHT, true, "Network namespace ID" },
	{ "mntns_id", 12, 10, 20, ALIGN_RIGHT, true, "Mount namespace ID" },
	{ "bytes", 8, 4, 20, ALIGN_RIGHT, false, NULL },
	{ "node", 30, 10, 60, ALIGN_LEFT, false, NULL },
	{ "namespace", 30, 10, 60, ALIGN_LEFT, false, NULL },
	{ "pod", 30, 10, 60, ALIGN_LEFT, false, NULL },
	{ "podname", 30, 10, 60, ALIGN_LEFT, false, NULL },
	{ "container", 30, 10, 60, ALIGN_LEFT, false, NULL },
	{ "containername", 30, 10, 60, ALIGN_LEFT, false, NULL },
	{ "containerimage", 30, 10, 80, ALIGN_LEFT, false, NULL },
	/* the rest of ig's (pkg/metadata/v1), -1 where it sets nothing */
	{ "syscall", 18, -1, 28, ALIGN_LEFT, false, "Syscall" },
	{ "errorString", 12, -1, -1, ALIGN_LEFT, false, NULL },
	{ "user_stack", -1, -1, -1, ALIGN_LEFT, true, "User stack trace" },
	{ "containerImageName", 30, -1, -1, ALIGN_LEFT, false, NULL },
	{ "containerImageDigest", 30, -1, -1, ALIGN_LEFT, false, NULL },
	{ "containerPid", 6, -1, -1, ALIGN_RIGHT, true, NULL },
	{ "containerStartedAt", 35, -1, -1, ALIGN_LEFT, true, NULL },
};

static const struct tmpl *find_template(const char *name)
{
	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++)
		if (!strcmp(templates[i].name, name))
			return &templates[i];
	return NULL;
}

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

/* 0 to 4096, as ig's strconv.Atoi() reads a columns.* number */
static bool parse_int(const char *s, int *out)
{
	long long v;

	if (!go_parse_int(s, 10, &v) || v < 0 || v > 4096)
		return false;
	*out = (int)v;
	return true;
}

/* An annotation of field i: its own, else (formatted X) its raw's. */
static const char *ann(struct build *b, size_t i, const char *key)
{
	const char *v = build_ann_lookup(b, b->f[i].name, key);

	if (v)
		return v;
	if (b->f[i].fmt_of >= 0 && strcmp(key, "columns.hidden") &&
	    strcmp(key, "json.skip"))
		return build_ann_lookup(b, b->f[b->f[i].fmt_of].name, key);
	if (b->f[i].raw_of >= 0 && !strncmp(key, "value.", 6))
		return build_ann_lookup(b, b->f[b->f[i].raw_of].name, key);
	if (b->f[i].raw_of < 0 && build_has_suffix(b->f[i].name, "_raw")) {
		/* X_raw without a formatted X: the metadata may call it X */
		char x[512];

		snprintf(x, sizeof(x), "%.*s", (int)(strlen(b->f[i].name) - 4),
			 b->f[i].name);
		return build_ann_lookup(b, x, key);
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

int build_default_width(const struct field *f)
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
	case FK_SIZE:
		return 8;
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
	case FK_SYSCALL:
		return 16;
	case FK_RUNTIME:
		return f->info == RT_RUNTIME ? 10 : f->info == RT_ID ? 12 : 24;
	case FK_K8S:
		return f->info == K8S_HOSTNETWORK ? 5 : 20;
	case FK_KSTACK:
	case FK_USTACK:
		return 20;
	case FK_REST:
	case FK_ENV:
		return 16; /* ig's default width */
	case FK_STRUCT:
		break;
	}
	return 0;
}

size_t build_max_text(const struct field *f)
{
	switch (f->kind) {
	case FK_STRUCT:
		return 0;
	case FK_UINT:
	case FK_SINT:
		return 21;
	case FK_BOOL:
		return 5;
	case FK_FLOAT: /* DBL_MAX in full: 309 digits, a sign, decimals */
		return 311 + (size_t)f->precision;
	case FK_HEX:
		return 16;
	case FK_STRING:
		return (size_t)f->size * 4;
	case FK_BYTES:
		return (size_t)f->size * 2;
	case FK_INTARRAY:
		return (size_t)f->count * 21;
	case FK_ENUM: {
		size_t w = 21, all = 0;

		for (size_t i = 0; i < f->n_enums; i++) {
			if (strlen(f->enums[i].name) > w)
				w = strlen(f->enums[i].name);
			if (f->enum_sep)
				all += strlen(f->enums[i].name) +
				       (i ? strlen(f->enum_sep) : 0);
		}
		return f->enum_sep ? all : w;
	}
	case FK_ONEOF: {
		size_t w = 21;

		for (size_t i = 0; i < f->n_one_of; i++)
			if (strlen(f->one_of[i]) > w)
				w = strlen(f->one_of[i]);
		return w;
	}
	case FK_TIMESTAMP:
		return f->ts_fmt ? TIMEFMT_TEXT_MAX(timefmt_len(f->ts_fmt)) :
				   48;
	case FK_DURATION:
		return 40;
	case FK_SIZE:
		return 32;
	case FK_IPADDR:
	case FK_L3EP:
		return INET6_ADDRSTRLEN;
	case FK_PROTO:
		return 26; /* "proto#" and a u64 */
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
	case FK_SYSCALL:
		return SYSCALL_NAME_MAX;
	case FK_RUNTIME: /* escaped: up to 4 bytes a byte */
		return ESCAPE_MAX(sizeof(((struct container_info *)0)->image));
	case FK_K8S:
		return ESCAPE_MAX(f->info == K8S_PODLABELS ? POD_LABELS_LEN :
							     256);
	case FK_KSTACK:
	case FK_USTACK:
		return STACK_TEXT_MAX;
	case FK_REST: /* the hex of JSON, longer than "<N bytes>" */
		return 2 * FIELD_REST_MAX;
	case FK_ENV: /* fieldset_new(): its escaped text's */
		return 0;
	}
	return 0;
}

#define BAD(key, val)                                                       \
	error_set(b->err, 0, "field %s: bad value \"%s\" of annotation %s", \
		  f->name, val, key)

/* Field i's boolean annotation key into *out, where it has one (else *out
 * stays): 0, or -1 with b->err for a value that is no boolean. */
static int ann_bool(struct build *b, size_t i, const char *key, bool *out)
{
	const struct field *f = &b->f[i];
	const char *v = ann(b, i, key);

	if (v && !parse_bool(v, out))
		return BAD(key, v);
	return 0;
}

int build_apply_annotations(struct build *b, size_t i)
{
	struct field *f = &b->f[i];
	const struct tmpl *t, *used = NULL;
	const char *v;
	bool flag;

	f->columnable = !f->is_struct || f->kind == FK_L4EP ||
			f->kind == FK_L3EP;
	f->hidden = b->bi[i].type_hidden;
	f->align = ALIGN_LEFT;
	f->ellipsis = ELLIPSIS_END;
	f->width = -1;
	f->precision = 0; /* ig's without columns.precision */
	f->minwidth = -1;
	f->maxwidth = -1;
	if (b->bi[i].tmpl) {
		t = find_template(b->bi[i].tmpl);
		if (t)
			apply_template(f, t);
		used = t;
	}
	if (b->bi[i].tmpl && !strcmp(b->bi[i].tmpl, "timestamp"))
		f->hidden = true;

	v = ann(b, i, "template");
	if (v && *v) {
		t = find_template(v);
		if (!t)
			return error_set(b->err, 0,
					 "field %s: unknown template \"%s\"",
					 f->name, v);
		apply_template(f, t);
		used = t;
	}
	v = ann(b, i, "description");
	if (!v && !f->description && used)
		v = used->description;
	if (v) {
		/* enrichment fields come with a description of their own */
		free(f->description);
		f->description = strdup(v);
		if (!f->description)
			return error_set(b->err, ENOMEM, "fields");
	}
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
	if (ann_bool(b, i, "columns.hidden", &f->hidden) < 0)
		return -1;
	/* the runner's own (ig has none): lets a gadget lay its struct out
	 * for its records (the always-written fields first, then those it
	 * may cut short) and still show columns in the order users know */
	v = ann(b, i, "columns.order");
	if (v && !parse_int(v, &f->order))
		return BAD("columns.order", v);
	if (ann_bool(b, i, "columns.fixed", &f->fixed) < 0)
		return -1;
	if (ann_bool(b, i, "json.skip", &f->json_skip) < 0)
		return -1;
	flag = false;
	if (ann_bool(b, i, "columns.hex", &flag) < 0)
		return -1;
	if (flag && f->kind != FK_UINT && f->kind != FK_SINT &&
	    f->kind != FK_HEX)
		return error_set(b->err, 0,
				 "field %s: columns.hex on a field "
				 "that is not an integer",
				 f->name);
	if (flag)
		f->kind = FK_HEX;
	v = ann(b, i, "columns.precision");
	if (v) {
		if (!parse_int(v, &f->precision) ||
		    f->precision > FLOAT_PRECISION_MAX)
			return BAD("columns.precision", v);
		if (f->kind != FK_FLOAT)
			return error_set(b->err, 0,
					 "field %s: columns.precision on a "
					 "field that is not a float",
					 f->name);
	}
	v = ann(b, i, "formatters.timestamp.format");
	if (v && *v && f->kind == FK_TIMESTAMP) {
		/* printable ASCII: copied as it is to terminals */
		if (strlen(v) > TIMEFMT_LAYOUT_MAX ||
		    strspn(v, TIMEFMT_LAYOUT_CHARS) != strlen(v))
			return BAD("formatters.timestamp.format", v);
		if (!(f->ts_fmt = timefmt_new(v)))
			return error_set(b->err, ENOMEM, "fields");
	}
	v = ann(b, i, "columns.alias");
	if (v && *v && !(f->alias = strdup(v)))
		return error_set(b->err, ENOMEM, "fields");
#undef BAD
	return 0;
}

/* value.shown-if: find the named field next to f or by its full name. */
int build_resolve_shown_if(struct build *b, struct fieldset *fs, size_t i)
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
	if (b->f[t].is_struct)
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
void build_set_titles(struct fieldset *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct field *f = &fs->f[i];
		const char *src = f->alias ? f->alias : f->key;

		if (!f->alias && f->parent >= 0 && fs->f[f->parent].columnable)
			src = f->name +
			      (fs->f[f->parent].key - fs->f[f->parent].name);
		while (!f->alias && src > f->name && title_taken(fs, i, src)) {
			/* past the '.', to the component before (a BTF
			 * name may make it empty: ".x", "a..x") */
			src = src - f->name >= 2 ? src - 2 : f->name;
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

int build_validate_metadata(struct build *b, struct fieldset *fs)
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

/* By full name, then alias, then a unique column title (any case). */
int fieldset_lookup(const struct fieldset *fs, const char *name)
{
	const char *colon = strchr(name, ':');
	int hit = -1;

	/* "ds:field", as ig takes it: a field of that data source */
	if (colon) {
		if (!fs->ds || strncmp(name, fs->ds, colon - name) ||
		    fs->ds[colon - name])
			return -1;
		name = colon + 1;
	}

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

int fieldset_find(const struct fieldset *fs, const char *name,
		  struct error **err)
{
	int idx = fieldset_lookup(fs, name);

	if (idx < 0)
		return error_set(err, 0, "%s field \"%s\"",
				 idx == -2 ? "ambiguous" : "unknown", name);
	return idx;
}
