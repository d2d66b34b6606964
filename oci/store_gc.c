// SPDX-License-Identifier: Apache-2.0
/*
 * Garbage collection of the store: blobs no index.json entry reaches, and
 * ingest and index temp files that no live process holds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "common/json.h"
#include "common/tmpdir.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/ref.h"
#include "oci/store.h"
#include "oci/store_internal.h"

/*
 * Mark d and what it references.  A missing child is tolerated (images may
 * be stored for one architecture only); a corrupt one is not: without its
 * content we cannot know what it keeps alive.
 */
static int mark(struct oci_store *s, struct oci_seen *set, const char *mt,
		const char *d, int depth, struct error **err)
{
	cleanup_free char *buf = NULL;
	cleanup_doc struct oci_doc doc = { 0 };
	enum oci_kind kind = oci_media_kind(mt);
	const struct oci_descriptor *c;
	size_t i, len;

	if (!oci_digest_valid(d))
		return 0;
	switch (oci_seen_add(set, d, err)) {
	case 1:
		return 0;
	case -1:
		return error_prefix(err, "gc");
	}
	if (kind == OCI_KIND_OTHER)
		return 0;
	if (oci_nesting_check(depth, err) < 0)
		return error_prefix(err, "gc");
	if (!oci_store_has_blob(s, d))
		return 0;
	if (oci_store_read_blob(s, d, -1, &buf, &len, err) < 0)
		return -1;
	if (oci_doc_parse(mt, buf, len, &doc, err) < 0)
		return error_prefix(err, "gc: %s", d);
	/* a manifest's children are blobs: marked, not read */
	for (i = 0; (c = oci_doc_child(&doc, i)); i++) {
		if (doc.kind == OCI_KIND_MANIFEST) {
			if (oci_seen_add(set, c->digest, err) < 0)
				return error_prefix(err, "gc");
		} else if (mark(s, set, c->media_type, c->digest, depth + 1,
				err) < 0) {
			return -1;
		}
	}
	return 0;
}

static void remove_stale_ingest(struct oci_store *s)
{
	cleanup_free char *dir = store_path(s, "ingest");
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;
	time_t now = time(NULL);

	if (!d)
		return;
	while ((de = readdir(d))) {
		cleanup_close int fd = -1;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		fd = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || fstat(fd, &st) < 0 ||
		    st.st_mtime > now - STALE_INGEST_SECONDS)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			dir_empty(fd);
			unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dirfd(d), de->d_name, 0);
		}
	}
	closedir(d);
}

/* Temp files of write_file_atomic() left by a killed writer of the files
 * written under the lock (we hold it, so none is live). */
static void remove_stale_tmp(struct oci_store *s)
{
	static const char *const prefixes[] = {
		"index.json.tmp.",
		STORE_BUILT_FILE ".tmp.",
		"oci-layout.tmp.",
		STORE_RESERVE_FILE ".tmp.",
	};
	DIR *d = opendir(s->dir);
	struct dirent *de;
	size_t i;

	if (!d)
		return;
	while ((de = readdir(d)))
		for (i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
			if (!strncmp(de->d_name, prefixes[i],
				     strlen(prefixes[i])))
				unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

void store_remove_stale(struct oci_store *s)
{
	remove_stale_ingest(s);
	remove_stale_tmp(s);
}

int oci_store_gc(struct oci_store *store, size_t *removed, struct error **err)
{
	cleanup_close int lock = store_lock(store, err);
	cleanup_free char *blobs = store_path(store, "blobs/sha256");
	cleanup_json json_t *idx = NULL;
	cleanup_seen struct oci_seen set = { 0 };
	json_t *manifests, *e;
	struct dirent *de;
	size_t i, n = 0;
	DIR *d;

	if (removed)
		*removed = 0;
	if (lock < 0)
		return -1;
	idx = store_index_load(store, err);
	if (!idx || !blobs)
		return error_prefix(err, "gc");
	manifests = json_object_get(idx, "manifests");
	json_array_foreach (manifests, i, e) {
		const char *mt =
			json_string_value(json_object_get(e, "mediaType"));
		const char *dg =
			json_string_value(json_object_get(e, "digest"));

		if (dg && mark(store, &set, mt, dg, 0, err) < 0)
			return -1;
	}
	d = opendir(blobs);
	if (!d)
		return error_set(err, errno, "gc: open %s", blobs);
	while ((de = readdir(d))) {
		char dg[OCI_DIGEST_SIZE + 1];

		if (de->d_name[0] == '.')
			continue;
		if (strlen(de->d_name) + 7 >= sizeof(dg)) {
			dg[0] = '\0';
		} else {
			memcpy(dg, "sha256:", 7);
			strcpy(dg + 7, de->d_name);
		}
		if (oci_digest_valid(dg) && oci_seen_has(&set, dg))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	store_fsync_dir(blobs);
	remove_stale_ingest(store);
	remove_stale_tmp(store);
	/* what a remove gave up to free space is held again */
	store_reserve_keep(store);
	if (removed)
		*removed = n;
	return 0;
}
