/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The contract between a gadget (gadget/include/gadget/, Inspektor Gadget's
 * conventions) and the runner, written once: the marker symbols a gadget's
 * BTF carries, and what the names of its typedefs and structs mean to the
 * field model.  The runner, the unit tests and the fuzzers read markers
 * through gadget_marker_parse().
 */
#ifndef RUNNER_ENGINE_GADGET_API_H
#define RUNNER_ENGINE_GADGET_API_H

#include <stddef.h>

#include "common/error.h"

/* Marker variables: a prefix, then parts joined by GADGET_API_SEP. */
#define GADGET_API_TRACER "gadget_tracer_" /* <name>___<map>___<struct> */
#define GADGET_API_SNAPSHOTTER "gadget_snapshotter_" /* see below */
#define GADGET_API_ITER "gadget_iter_" /* <name>___<struct>___<prog>... */
#define GADGET_API_PARAM "gadget_param_" /* <var> in .rodata */
#define GADGET_API_MAPITER "gadget_mapiter_" /* <name>___<map> */
/* The iterator program of a map iterator: this prefix, its name, "___" */
#define GADGET_API_ITER_TARGET "gadget_mapelem_iter_target_"
#define GADGET_API_SEP "___"
/* The per-CPU array that gadget/buffer.h counts lost events in. */
#define GADGET_API_LOST_MAP "gadget_lost"
/* Iterator programs of one snapshotter. */
#define GADGET_API_MAX_SNAPSHOT_PROGS 3

/* Struct names with a rendering of their own. */
#define GADGET_API_L4ENDPOINT "gadget_l4endpoint_t"
#define GADGET_API_L3ENDPOINT "gadget_l3endpoint_t"
#define GADGET_API_IP_ADDR "gadget_ip_addr_t"
#define GADGET_API_PROCESS "gadget_process"

enum gadget_marker_kind {
	GADGET_MARKER_TRACER, /* parts: name, map, struct */
	GADGET_MARKER_SNAPSHOTTER, /* parts: name, struct, prog... */
	GADGET_MARKER_PARAM, /* parts: var */
	GADGET_MARKER_MAPITER, /* parts: name, map */
};

struct gadget_marker {
	enum gadget_marker_kind kind;
	char *buf; /* owns the parts */
	const char *part[2 + GADGET_API_MAX_SNAPSHOT_PROGS];
	size_t n_parts;
};

/*
 * If sym (a BTF variable name) is a marker, split it into m and return 1
 * (free with gadget_marker_fini()); 0 if it is no marker; -1 and *err if
 * it is a malformed one.
 */
int gadget_marker_parse(const char *sym, struct gadget_marker *m,
			struct error **err);
void gadget_marker_fini(struct gadget_marker *m);

/* What a typedef name says about a value, beyond its integer type. */
enum gadget_api_format {
	GADGET_FMT_NONE,
	GADGET_FMT_TIMESTAMP, /* boot-time ns -> wall clock */
	GADGET_FMT_DURATION, /* ns -> "1.5ms" */
	GADGET_FMT_SIGNAL, /* -> "SIGKILL" */
	GADGET_FMT_ERRNO, /* -> "ENOENT" */
	GADGET_FMT_FILE_MODE, /* -> "-rwxr-xr-x" */
	GADGET_FMT_FILE_FLAGS, /* -> "O_WRONLY|O_CREAT" */
	GADGET_FMT_KSTACK, /* kernel stack id -> "sym; sym; " (X_raw -> X) */
	GADGET_FMT_BYTES, /* a size -> "1.5 MB" (X_raw -> X) */
	GADGET_FMT_SYSCALL, /* a syscall number -> "SYS_OPENAT" (X_raw -> X) */
};

/* Names derived from an id, as a sibling field. */
enum gadget_api_name {
	GADGET_NAME_NONE,
	GADGET_NAME_USER, /* uid -> user name */
	GADGET_NAME_GROUP, /* gid -> group name */
};

struct gadget_api_type {
	const char *name; /* "gadget_timestamp" */
	const char *tmpl; /* column template, or NULL */
	enum gadget_api_format format;
	enum gadget_api_name derived;
};

/* The meaning of typedef name, or NULL for a name the API lacks. */
const struct gadget_api_type *gadget_api_type(const char *name);

#endif
