// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runner/engine/gadget_api.h"

static const struct gadget_api_type types[] = {
	{ "gadget_comm", "comm", GADGET_FMT_NONE, GADGET_NAME_NONE },
	{ "gadget_pid", "pid", GADGET_FMT_NONE, GADGET_NAME_NONE },
	{ "gadget_pcomm", "pcomm", GADGET_FMT_NONE, GADGET_NAME_NONE },
	{ "gadget_ppid", "ppid", GADGET_FMT_NONE, GADGET_NAME_NONE },
	{ "gadget_tid", "tid", GADGET_FMT_NONE, GADGET_NAME_NONE },
	{ "gadget_ptid", "ptid", GADGET_FMT_NONE, GADGET_NAME_NONE },
	{ "gadget_uid", "uid", GADGET_FMT_NONE, GADGET_NAME_USER },
	{ "gadget_gid", "gid", GADGET_FMT_NONE, GADGET_NAME_GROUP },
	{ "gadget_timestamp", "timestamp", GADGET_FMT_TIMESTAMP,
	  GADGET_NAME_NONE },
	{ "gadget_duration", "duration", GADGET_FMT_DURATION,
	  GADGET_NAME_NONE },
	{ "gadget_mntns_id", "mntns_id", GADGET_FMT_NONE, GADGET_NAME_NONE },
	{ "gadget_netns_id", "netns_id", GADGET_FMT_NONE, GADGET_NAME_NONE },
	{ "gadget_bytes", "bytes", GADGET_FMT_BYTES, GADGET_NAME_NONE },
	{ "gadget_signal", NULL, GADGET_FMT_SIGNAL, GADGET_NAME_NONE },
	{ "gadget_errno", NULL, GADGET_FMT_ERRNO, GADGET_NAME_NONE },
	{ "gadget_file_mode", NULL, GADGET_FMT_FILE_MODE, GADGET_NAME_NONE },
	{ "gadget_file_flags", NULL, GADGET_FMT_FILE_FLAGS, GADGET_NAME_NONE },
	{ "gadget_kernel_stack", NULL, GADGET_FMT_KSTACK, GADGET_NAME_NONE },
	{ "gadget_syscall", NULL, GADGET_FMT_SYSCALL, GADGET_NAME_NONE },
};

const struct gadget_api_type *gadget_api_type(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(types[i].name, name))
			return &types[i];
	return NULL;
}

static const struct {
	const char *prefix, *what;
	enum gadget_marker_kind kind;
	size_t min_parts, max_parts;
} markers[] = {
	{ GADGET_API_TRACER, "tracer", GADGET_MARKER_TRACER, 3, 3 },
	{ GADGET_API_SNAPSHOTTER, "snapshotter", GADGET_MARKER_SNAPSHOTTER, 3,
	  2 + GADGET_API_MAX_SNAPSHOT_PROGS },
	{ GADGET_API_ITER, "snapshotter", GADGET_MARKER_SNAPSHOTTER, 3,
	  2 + GADGET_API_MAX_SNAPSHOT_PROGS },
	{ GADGET_API_PARAM, "param", GADGET_MARKER_PARAM, 1, 1 },
	{ GADGET_API_MAPITER, "map iterator", GADGET_MARKER_MAPITER, 2, 2 },
};

int gadget_marker_parse(const char *sym, struct gadget_marker *m,
			struct error **err)
{
	size_t i, plen, max = 0;
	char *p, *sep;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		plen = strlen(markers[i].prefix);
		if (!strncmp(sym, markers[i].prefix, plen))
			break;
	}
	if (i == sizeof(markers) / sizeof(markers[0]))
		return 0;
	m->kind = markers[i].kind;
	m->buf = strdup(sym + plen);
	if (!m->buf)
		return error_set(err, ENOMEM, "marker %s", sym);
	/* a param's variable may hold "___"; it is one part */
	if (markers[i].max_parts > 1)
		max = markers[i].max_parts;
	for (p = m->buf; p; p = sep) {
		sep = max ? strstr(p, GADGET_API_SEP) : NULL;
		if (sep) {
			*sep = '\0';
			sep += strlen(GADGET_API_SEP);
		}
		if (!*p || (max && m->n_parts == max))
			goto bad;
		m->part[m->n_parts++] = p;
	}
	if (m->n_parts < markers[i].min_parts)
		goto bad;
	return 1;
bad:
	gadget_marker_fini(m);
	return error_set(err, 0, "malformed %s symbol %s", markers[i].what,
			 sym);
}

void gadget_marker_fini(struct gadget_marker *m)
{
	free(m->buf);
	m->buf = NULL;
	m->n_parts = 0;
}
