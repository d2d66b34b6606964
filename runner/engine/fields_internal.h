/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inside of a fieldset, shared by fields.c (which builds it), output.c,
 * filter.c and batch.c (which read events with it).  Not for other modules: they
 * use fields.h.
 *
 * Fields sit in one array in struct order (pre-order: a struct member comes
 * before its members).  Every value is located by byte offset (and bit
 * offset for bitfields) in the event, so rendering needs no BTF.
 */
#ifndef RUNNER_FIELDS_INTERNAL_H
#define RUNNER_FIELDS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

#include "runner/engine/fields.h"

struct timefmt;
struct timefmt_cache;

enum field_kind {
	FK_STRUCT, /* nested struct: a JSON object, no column */
	FK_UINT,
	FK_SINT,
	FK_BOOL,
	FK_FLOAT,
	FK_HEX, /* integer as zero-padded lower-case hex string */
	FK_STRING, /* char array up to NUL */
	FK_BYTES, /* other arrays and unions: hex string */
	FK_INTARRAY, /* array of integers: JSON array, "a,b" in columns */
	FK_ENUM, /* enumerator name */
	FK_ONEOF, /* value.one-of entry at index value */
	FK_TIMESTAMP, /* boot-time ns as local wall clock */
	FK_DURATION, /* ns as "1.5ms" */
	FK_SIZE, /* bytes as "1.5 MB" (SI units, as ig's go-humanize) */
	FK_IPADDR, /* 4 or 16 address bytes chosen by a version field */
	FK_PROTO, /* IP protocol number as "TCP", "UDP", ... */
	FK_L4EP, /* struct gadget_l4endpoint_t: object, column addr:port */
	FK_L3EP, /* struct gadget_l3endpoint_t: object, column addr */
	FK_L3EP_LIST, /* array of gadget_l3endpoint_t: "a,b" */
	FK_USER, /* uid resolved to a user name */
	FK_GROUP, /* gid resolved to a group name */
	FK_SIGNAL, /* signal number as SIGKILL */
	FK_ERRNO, /* errno value as ENOENT */
	FK_FILE_MODE, /* st_mode as -rwxr-xr-x */
	FK_FILE_FLAGS, /* open(2) flags as O_WRONLY|O_CREAT */
	FK_SYSCALL, /* syscall number as SYS_OPENAT */
	FK_RUNTIME, /* container of the event's mount namespace (info) */
	FK_K8S, /* pod of the event's mount (else network) namespace */
	FK_KSTACK, /* gadget_kernel_stack id as "sym; sym; " */
	FK_USTACK, /* gadget_user_stack: addresses, buildid or symbols */
	FK_REST, /* ebpf.rest.name: the bytes after the struct, hex in JSON,
		  * "<N bytes>" in columns (ig's Kind_Bytes) */
	FK_ENV, /* env.fields.NAME: an environment variable's value, read
		 * once (ig's env operator); the same in every event */
};

/* Bytes after the struct that are read as a field (a packet: 64 KiB). */
#define FIELD_REST_MAX 65535

/* What an FK_RUNTIME field shows of the container. */
enum runtime_info {
	RT_NAME,
	RT_ID,
	RT_RUNTIME,
	RT_IMAGE,
};

/* What an FK_K8S field shows of the pod. */
enum k8s_info {
	K8S_NODE,
	K8S_NAMESPACE,
	K8S_PODNAME,
	K8S_CONTAINERNAME,
	K8S_HOSTNETWORK,
	K8S_PODLABELS,
	K8S_PODUID,
};

enum field_align {
	ALIGN_LEFT,
	ALIGN_RIGHT,
};

enum field_ellipsis {
	ELLIPSIS_END,
	ELLIPSIS_START,
	ELLIPSIS_MIDDLE,
	ELLIPSIS_NONE,
};

struct enum_entry {
	__s64 value;
	const char *name;
};

/* The variable of an FK_ENV field (ig's env operator), one block, kept
 * in the fieldset (struct field stays as small as the event path wants
 * it: its size is in every index into fs->f). */
struct field_env {
	const char *var; /* its name */
	const char *value; /* its value when the fieldset was made */
	const char *text; /* that value escaped as columns show it
			   * (field_quote()) */
	size_t len, text_len; /* of value and text */
	char buf[]; /* var, value and text, each NUL-ended */
};

struct field {
	char *name; /* full dotted name */
	const char *key; /* last component, points into name */
	char *title; /* column header */
	char *alias;
	char *description;
	/* FK_TIMESTAMP: formatters.timestamp.format compiled, or NULL */
	struct timefmt *ts_fmt;
	char *gtype; /* gadget_* typedef of the member or its elements */
	int parent; /* index of the enclosing container, -1 at top */
	int depth;
	enum field_kind kind;
	bool is_struct; /* a JSON object with member fields */

	/* Where the value lives. */
	__u32 off; /* bytes from the start of the event */
	__u32 size; /* bytes of the value, or of one element of an array */
	__u32 count; /* elements of an array, 1 otherwise */
	__u8 info; /* FK_RUNTIME: enum runtime_info; FK_ENV: its fs->vars */
	__u8 bit_off; /* bitfields: bits from off, and width */
	__u8 bit_size;
	bool is_signed;

	/* Endpoints: absolute offsets of their parts (relative to one
	 * element for FK_L3EP_LIST). */
	__u32 addr_off, ver_off, port_off;
	__u8 ver_size, port_size;
	/* FK_USTACK (part in info): offsets of the stack's members. */
	__u32 stack_off, pid_off, hash_off, ino_off;
	/* FK_K8S: the event's network namespace id (netns_size 0: none). */
	__u32 netns_off;
	__u8 netns_size;

	/* Value formatting. */
	char **one_of;
	size_t n_one_of;
	struct enum_entry *enums; /* sorted by value, unless enum_sep */
	size_t n_enums;
	/* An enum of bit flags (its name ends in _set, as ig's): the names
	 * of the entries whose bits are set, in declaration order, joined
	 * by this; NULL: the name of the value. */
	char *enum_sep;
	int shown_if; /* field index, -1 when always shown */
	int raw_of; /* for X_raw: index of its formatted sibling X, or -1 */
	/* Added to the value read: for the X_raw of a gadget_timestamp,
	 * boot to wall-clock time, as ig rewrites it (Unix ns). */
	__u64 add;
	int fmt_of; /* for a formatted X: index of X_raw, or -1 */

	/* Columns. */
	int width, minwidth, maxwidth;
	int precision; /* columns.precision: decimals of a float (0) */
#define FLOAT_PRECISION_MAX 17 /* as many as a double has digits */
	enum field_align align;
	enum field_ellipsis ellipsis;
	bool columnable, hidden, fixed, json_skip;
	bool json_string; /* the JSON value is a string */
	int order; /* default columns sort by (order, index), as ig's */
	__u8 envs; /* enrichment: where it is shown by default (bit per
		    * enum fieldset_env); 0: everywhere */
	size_t max_text; /* bytes the shown text can take */
	size_t max_json; /* bytes the JSON value can take */

	/* Selection state. */
	bool selected; /* part of an explicit --fields selection */

	/* pcap-ng (ig's pcap.interface-key: true, pcap.interface-var:
	 * NAME): the value is part of the packet's interface key; NAME=value
	 * is part of the interface's description (NULL: not). */
	bool if_key;
	char *if_var;
};

struct fieldset {
	char *ds; /* the data source's name, NULL if none */
	struct field *f;
	size_t n;
	size_t event_size;
	int *cols; /* visible columns, in display order */
	size_t n_cols;
	bool explicit_selection; /* --fields replaced/changed the default */
	enum fieldset_env env; /* where the runner runs: picks enrichments */
	__s64 boot_to_real_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME */
	struct containers *containers; /* for FK_RUNTIME, may be NULL */
	struct stacks *stacks; /* for FK_KSTACK, FK_USTACK, may be NULL */
	int k8s; /* the first FK_K8S field, -1 if none */
	int pid; /* the first gadget_pid field (4 bytes), -1 if none */
	char **unknown; /* gadget.yaml fields the event lacks */
	struct field_env **vars; /* of the FK_ENV fields, by their info */
	size_t n_vars;
	int rest_len; /* ebpf.rest.len: field with the bytes after the
		       * struct (a packet), -1 if none */
	bool rest_ether; /* the packet is an Ethernet frame (ig's pcap.*
			  * annotations), else it starts at its IP header */
	int wire_len; /* pcap.packet-length: the packet's length before it
		       * was cut, -1 if none */
	char *pcap_ts; /* pcap.timestamp: the packet time's field, NULL */
	size_t n_unknown;
};

/* FK_ENV field f's variable. */
static inline const struct field_env *field_env(const struct fieldset *fs,
						const struct field *f)
{
	return fs->vars[f->info];
}

struct error;
struct idcache;

/* Mutable state a consumer keeps while rendering: caches. */
struct render_ctx {
	const struct fieldset *fs;
	long long ts_sec; /* the second ts_prefix describes */
	char ts_prefix[24]; /* "2006-01-02T15:04:05" */
	char ts_zone[8]; /* "Z" or "+07:00" */
	size_t ts_prefix_len, ts_zone_len;
	struct timefmt_cache *ts_cache; /* formatters.timestamp.format's */
	struct idcache *users, *groups;
	size_t rest_size; /* bytes after the struct in the record rendered */
};

void render_ctx_init(struct render_ctx *rc, const struct fieldset *fs);
void render_ctx_fini(struct render_ctx *rc);

/* The bytes after the struct (FK_REST) of ev, whose record rc tells:
 * as many as the ebpf.rest.len field says, within the record. */
const unsigned char *field_rest(const struct render_ctx *rc, const void *ev,
				size_t *len);
/* Integer value of a scalar field (bitfields, signed sign-extended),
 * plus its add. */
__u64 field_u64(const struct field *f, const void *ev);
/* Bytes a buffer for any field's text takes (field_text()), at least 64. */
size_t fieldset_text_size(const struct fieldset *fs);
/* Value of a float field (4 or 8 bytes). */
double field_double(const struct field *f, const void *ev);
/* Does shown_if of f allow showing the formatted value? */
bool field_shown(const struct fieldset *fs, const struct field *f,
		 const void *ev);

/*
 * The text a column shows for f (no padding).  buf must hold f->max_text
 * + 1 bytes; returns the length.  Strings come escaped as ig's columns
 * escape every text (field_quote()).
 */
size_t field_text(struct render_ctx *rc, const struct field *f, const void *ev,
		  char *buf);
/* The text of FK_STRING, FK_RUNTIME or FK_K8S field f as the event, the
 * runtime or the Kubernetes API gave it, not escaped (*len bytes, as many
 * as field_text() escapes, no NUL among them and none promised after),
 * for writers that escape it their own way (JSON, YAML) and for -F, which
 * compares the value as ig does; NULL for other kinds. */
const char *field_raw_text(struct render_ctx *rc, const struct field *f,
			   const void *ev, size_t *len);
/*
 * The value of field f of ev that a filter compares, NUL-ended in buf (as
 * field_text()'s): a text of its own (a gadget's string, a container's or
 * pod's name), which columns escape for a terminal, as the event or the
 * runtime has it, as ig compares it and JSON writes it; with utf8 (for a
 * regular expression) each byte that is not UTF-8 as U+FFFD, as Go's
 * regexp reads it.  Other fields: the column's text.
 */
const char *field_value_text(struct render_ctx *rc, const struct field *f,
			     const void *ev, char *buf, bool utf8);
/* Is field_text() of f empty?  Kinds whose text is one string escaped
 * tell without writing it (buf: as field_text()'s, for the others). */
bool field_text_empty(struct render_ctx *rc, const struct field *f,
		      const void *ev, char *buf);
/*
 * Escape len bytes of s into out (4 bytes out per byte in at most; no NUL
 * added) as ig's columns do, with Go's strconv.Quote without its quotes:
 * '\\' and '"' behind a backslash, \a \b \f \n \r \t \v, other control
 * bytes and bytes that are not UTF-8 as \xNN, characters Go does not
 * print as \uNNNN or \UNNNNNNNN, the rest as it is: a backslash in the
 * text is "\\\\", so no text reads as another's escape.  Returns the
 * length.
 */
size_t field_quote(char *out, const char *s, size_t len);
/* The text field_quote() wrote as len bytes at s, back into out (len
 * bytes at most), a byte that was not UTF-8 as U+FFFD; returns the
 * length. */
size_t field_unquote(char *out, const char *s, size_t len);
/* Is the text of f one string escaped by field_quote() (every character
 * UTF-8, none a control: each matches a regular expression's ".")? */
bool field_text_escaped(const struct field *f);

/* What ig's expressions (-E) read field i of fs as, by its api.Kind: a
 * bool, an integer, a float, a string (its text), or nothing (a struct
 * of members, the enrichment's parents). */
enum field_vtype { FVT_NONE, FVT_BOOL, FVT_INT, FVT_FLOAT, FVT_STRING };
enum field_vtype fieldset_value_type(const struct fieldset *fs, size_t i);

/* Find a field by full name, alias or unique column title (any case);
 * "ds:name" is name when ds is the data source's name, as in ig. */
int fieldset_lookup(const struct fieldset *fs, const char *name);
/* As fieldset_lookup(); -1 and an error saying "unknown field" or
 * "ambiguous field" when name finds none. */
int fieldset_find(const struct fieldset *fs, const char *name,
		  struct error **err);

/* An unsigned integer of size bytes at p (0 past 8 bytes). */
static inline __u64 field_load_uint(const void *p, __u32 size)
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

/* The mount and network namespaces (0: none) by which fieldset_pod() and
 * fieldset_selected_pod() find the pod of ev (per event: a plain integer
 * read as it is). */
static inline void fieldset_pod_ns(const struct fieldset *fs, const void *ev,
				   __u64 *mntns, __u64 *netns)
{
	const struct field *f = fs->k8s >= 0 ? &fs->f[fs->k8s] : NULL;
	const char *p = (const char *)ev;

	*mntns = *netns = 0;
	if (f && f->size)
		*mntns = f->bit_size || f->is_signed || f->add ?
				 field_u64(f, ev) :
				 field_load_uint(p + f->off, f->size);
	if (f && f->netns_size)
		memcpy(netns, p + f->netns_off, f->netns_size);
}

/* Integer formatters: write digits into buf, return the length. */
size_t fmt_u64(char *buf, __u64 v);
size_t fmt_s64(char *buf, __s64 v);
size_t fmt_hex(char *buf, __u64 v, unsigned int digits);

#endif
