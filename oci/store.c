// SPDX-License-Identifier: Apache-2.0
/*
 * The local OCI image layout.  Every change goes through a transaction:
 * blobs are written to ingest/ (each temp file flock'ed by its writer so a
 * garbage collection can tell live ones from leftovers of a killed
 * process), verified and fsynced, and only then renamed into
 * blobs/sha256/ together with the index.json update, under an exclusive
 * flock on index.json.lock.  Readers take no lock: every file they read is
 * replaced by rename, never rewritten in place.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "common/fileutil.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/ref.h"
#include "oci/store.h"
#include "oci/store_internal.h"

/* Fill *err with "<what> <name> not found in store <dir>", errnum ENOENT. */
void store_not_found(struct error **err, const char *what, const char *name,
		     const char *dir)
{
	error_set(err, 0, "%s %s not found in store %s", what, name, dir);
	if (err && *err)
		(*err)->errnum = ENOENT;
}

char *store_path(const struct oci_store *s, const char *rel)
{
	char *p;

	if (asprintf(&p, "%s/%s", s->dir, rel) < 0)
		return NULL;
	return p;
}

char *store_blob_path(const struct oci_store *s, const char *digest)
{
	char *p;

	if (asprintf(&p, "%s/blobs/sha256/%s", s->dir, oci_digest_hex(digest)) <
	    0)
		return NULL;
	return p;
}

int store_fsync_dir(const char *dir)
{
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0)
		return -1;
	return 0;
}

/* Take the index lock; returns the fd that holds it (close to release). */
int store_lock(struct oci_store *s, struct error **err)
{
	cleanup_free char *path = store_path(s, "index.json.lock");

	if (!path)
		return error_set(err, ENOMEM, "lock store");
	return file_lock(path, 0644, err);
}

/* Whether r is a Docker Hub name as runners before 8817789 stored it. */
static bool old_hub_name(const char *r)
{
	const char *rest;

	if (!strncmp(r, "docker.io/", 10))
		rest = r + 10;
	else if (!strncmp(r, "index.docker.io/", 16))
		return true;
	else
		return false;
	return !memchr(rest, '/', strcspn(rest, ":@"));
}

/*
 * Of entries that came to share a name, the last one in file order (the
 * one set last) keeps it; an earlier one goes when another entry holds its
 * digest, else it stays untagged, so that nothing it holds is collected.
 */
static int index_drop_renamed_twins(json_t *manifests)
{
	cleanup_json json_t *names = json_object();
	cleanup_json json_t *digests = json_object();
	json_t *e, *n;
	size_t i;

	if (!names || !digests)
		return -1;
	json_array_foreach (manifests, i, e) {
		const char *d = json_string_value(json_object_get(e, "digest"));

		n = d ? json_object_get(digests, d) : NULL;
		if (d && json_object_set_new(
				 digests, d,
				 json_integer(n ? json_integer_value(n) + 1 :
						  1)) < 0)
			return -1;
	}
	for (i = json_array_size(manifests); i-- > 0;) {
		const char *r, *d;

		e = json_array_get(manifests, i);
		r = store_entry_ref(e);
		d = json_string_value(json_object_get(e, "digest"));
		if (!r)
			continue;
		if (!json_object_get(names, r)) {
			if (json_object_set_new(names, r, json_true()) < 0)
				return -1;
			continue;
		}
		n = d ? json_object_get(digests, d) : NULL;
		if (n && json_integer_value(n) > 1) {
			json_integer_set(n, json_integer_value(n) - 1);
			json_array_remove(manifests, i);
		} else {
			json_object_del(json_object_get(e, "annotations"),
					OCI_ANN_REF_NAME);
		}
	}
	return 0;
}

/*
 * Runners before 8817789 stored Docker Hub's official images under one
 * component (docker.io/busybox, index.docker.io/busybox), where the name
 * is now docker.io/library/busybox: such entries are read in today's
 * spelling, so that every lookup finds them, and the next change to the
 * store writes them so (index.json is replaced whole by rename, as ever:
 * a runner killed midway leaves the old or the new file, both valid).
 */
static int index_rename_old_names(json_t *j)
{
	json_t *manifests = json_object_get(j, "manifests");
	bool renamed = false;
	json_t *e;
	size_t i;

	json_array_foreach (manifests, i, e) {
		const char *r = store_entry_ref(e);
		cleanup_free char *now = NULL;

		if (!r || !old_hub_name(r) ||
		    oci_ref_normalize(r, NULL, &now, NULL) < 0 ||
		    !strcmp(now, r))
			continue;
		if (json_object_set_new(json_object_get(e, "annotations"),
					OCI_ANN_REF_NAME, json_string(now)) < 0)
			return -1;
		renamed = true;
	}
	return renamed ? index_drop_renamed_twins(manifests) : 0;
}

/* index.json's text parsed and checked to be an image index. */
static json_t *index_parse(const char *path, const char *buf, size_t len,
			   struct error **err)
{
	json_error_t jerr;
	json_t *j;

	j = json_loadb(buf, len, 0, &jerr);
	if (!j) {
		error_set(err, 0, "%s: line %d: %s", path, jerr.line,
			  jerr.text);
		return NULL;
	}
	if (!json_is_object(j) ||
	    !json_is_array(json_object_get(j, "manifests"))) {
		json_decref(j);
		error_set(err, 0, "%s: not an OCI image index", path);
		return NULL;
	}
	if (index_rename_old_names(j) < 0) {
		json_decref(j);
		error_set(err, ENOMEM, "read %s", path);
		return NULL;
	}
	return j;
}

/*
 * path opened to be read.  In a store another user can write, not through
 * a symlink (root would read, and tell of, any file of the machine) and
 * only a regular file (a FIFO's open would wait for ever): else -1 with
 * errno ELOOP or EINVAL.
 */
static int store_open_read(const struct oci_store *s, const char *path)
{
	struct stat st;
	int fd = open(path,
		      O_RDONLY | O_CLOEXEC |
			      (s->untrusted ? O_NOFOLLOW | O_NONBLOCK : 0));

	if (fd < 0 || !s->untrusted)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

json_t *store_index_load(struct oci_store *s, struct error **err)
{
	cleanup_free char *path = store_path(s, "index.json");
	cleanup_free char *buf = NULL;
	size_t len;

	if (!path) {
		error_set(err, ENOMEM, "read index.json");
		return NULL;
	}
	if (read_file(path, &buf, &len, err) < 0)
		return NULL;
	return index_parse(path, buf, len, err);
}

/* Whether a and b are the same version of a file. */
static bool same_version(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/*
 * index.json is replaced by rename, never written in place by this
 * program (a writer that rewrites it in place changes its size or times):
 * while the path names the version last parsed, held open so that its
 * inode cannot be reused, that parse stands.
 */
json_t *store_index_read(struct oci_store *s, struct error **err)
{
	cleanup_free char *path = store_path(s, "index.json");
	cleanup_free char *buf = NULL;
	cleanup_close int fd = -1;
	struct stat st;
	size_t len;
	json_t *j;

	if (!path) {
		error_set(err, ENOMEM, "read index.json");
		return NULL;
	}
	if (s->index && stat(path, &st) == 0 && same_version(&st, &s->index_st))
		return json_incref(s->index);
	fd = store_open_read(s, path);
	if (fd < 0) {
		error_set(err, errno, "open %s", path);
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		error_set(err, errno, "stat %s", path);
		return NULL;
	}
	if (read_fd(fd, path, &buf, &len, err) < 0)
		return NULL;
	j = index_parse(path, buf, len, err);
	if (!j)
		return NULL;
	json_decref(s->index);
	if (s->index_fd >= 0)
		close(s->index_fd);
	s->index = json_incref(j);
	s->index_fd = steal_fd(fd);
	s->index_st = st;
	return j;
}

json_t *store_index_load_locked(struct oci_store *s, int *lock,
				struct error **err)
{
	json_t *idx;

	*lock = store_lock(s, err);
	if (*lock < 0)
		return NULL;
	idx = store_index_load(s, err);
	if (!idx) {
		close(*lock);
		*lock = -1;
	}
	return idx;
}

void store_reserve_keep(struct oci_store *s)
{
	cleanup_free char *path = store_path(s, STORE_RESERVE_FILE);
	cleanup_free char *index = store_path(s, "index.json");
	cleanup_free char *tmp = NULL;
	cleanup_close int fd = -1;
	off_t need = STORE_RESERVE_SLACK / 2;
	struct stat st;

	if (!path || !index)
		return;
	if (stat(index, &st) == 0)
		need += st.st_size;
	if (stat(path, &st) == 0 && st.st_size >= need)
		return;
	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		tmp = NULL;
		return;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return;
	/* blocks allocated, not a sparse file: the room is really held */
	if (posix_fallocate(fd, 0, need + STORE_RESERVE_SLACK / 2) != 0 ||
	    fsync(fd) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return;
	}
	store_fsync_dir(s->dir);
}

int store_write_freeing(struct oci_store *s, const char *path, const void *buf,
			size_t len, struct error **err)
{
	cleanup_free char *reserve = NULL;
	struct error *e = NULL;

	if (write_file_own(path, buf, len, 0644, &e) == 0)
		return 0;
	reserve = store_path(s, STORE_RESERVE_FILE);
	if (!e || (e->errnum != ENOSPC && e->errnum != EDQUOT) || !reserve)
		return error_pass(e, err);
	error_free(e);
	/* and what a remove killed after it gave up the reserve left */
	unlink(reserve);
	store_remove_stale(s);
	return write_file_own(path, buf, len, 0644, err);
}

static int index_save(struct oci_store *s, json_t *j, bool freeing,
		      struct error **err)
{
	cleanup_free char *path = store_path(s, "index.json");
	cleanup_free char *buf = json_dumps(j, JSON_COMPACT);
	int ret;

	if (!path || !buf)
		return error_set(err, ENOMEM, "write index.json");
	ret = freeing ? store_write_freeing(s, path, buf, strlen(buf), err) :
			write_file_own(path, buf, strlen(buf), 0644, err);
	if (ret < 0)
		return -1;
	store_fsync_dir(s->dir);
	if (!freeing)
		store_reserve_keep(s);
	return 0;
}

int store_index_save(struct oci_store *s, json_t *j, struct error **err)
{
	return index_save(s, j, false, err);
}

int store_index_save_freeing(struct oci_store *s, json_t *j, struct error **err)
{
	return index_save(s, j, true, err);
}

static json_t *empty_index(void)
{
	return json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
			 OCI_MT_INDEX, "manifests");
}

/* The layout at dir; made where missing if create, else refused so. */
static int store_open(const char *dir, bool create, struct oci_store **out,
		      struct error **err)
{
	struct oci_store *s = calloc(1, sizeof(*s));
	cleanup_free char *layout = NULL;
	cleanup_free char *index = NULL;
	cleanup_free char *blobs = NULL;
	cleanup_free char *ingest = NULL;
	int lock = -1;

	if (!s)
		return error_set(err, ENOMEM, "open store %s", dir);
	s->index_fd = -1;
	s->dir = strdup(dir);
	if (!s->dir)
		goto nomem;
	while (strlen(s->dir) > 1 && s->dir[strlen(s->dir) - 1] == '/')
		s->dir[strlen(s->dir) - 1] = '\0';
	layout = store_path(s, "oci-layout");
	index = store_path(s, "index.json");
	blobs = store_path(s, "blobs/sha256");
	ingest = store_path(s, "ingest");
	if (!layout || !index || !blobs || !ingest)
		goto nomem;
	if (!create) {
		const char *const need[] = { layout, index, blobs, ingest };

		for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
			if (access(need[i], F_OK) < 0) {
				error_set(err, errno, "%s", need[i]);
				goto fail;
			}
		s->untrusted = true;
		*out = s;
		return 0;
	}
	if (mkdir_p(blobs, 0755, err) < 0 || mkdir_p(ingest, 0700, err) < 0)
		goto fail;
	if (access(layout, F_OK) < 0 || access(index, F_OK) < 0) {
		lock = store_lock(s, err);
		if (lock < 0)
			goto fail;
		if (access(layout, F_OK) < 0) {
			static const char v[] =
				"{\"imageLayoutVersion\":\"1.0.0\"}";

			if (write_file_atomic(layout, v, strlen(v), 0644, err) <
			    0)
				goto fail;
		}
		if (access(index, F_OK) < 0) {
			cleanup_json json_t *j = empty_index();

			if (!j)
				goto nomem;
			if (store_index_save(s, j, err) < 0)
				goto fail;
		}
		close(lock);
		lock = -1;
	}
	*out = s;
	return 0;
nomem:
	error_set(err, ENOMEM, "alloc");
fail:
	if (lock >= 0)
		close(lock);
	oci_store_free(s);
	return error_prefix(err, "open store %s", dir);
}

int oci_store_open(const char *dir, struct oci_store **out, struct error **err)
{
	return store_open(dir, true, out, err);
}

int oci_store_open_existing(const char *dir, struct oci_store **out,
			    struct error **err)
{
	return store_open(dir, false, out, err);
}

void oci_store_free(struct oci_store *store)
{
	if (!store)
		return;
	json_decref(store->index);
	if (store->index_fd >= 0)
		close(store->index_fd);
	free(store->dir);
	free(store);
}

const char *oci_store_dir(const struct oci_store *store)
{
	return store->dir;
}

const char *oci_host_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__arm__)
	return "arm";
#elif defined(__i386__)
	return "386";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "ppc64le";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#else
	return "unknown";
#endif
}

/* ---- blobs ---- */

bool oci_store_has_blob(struct oci_store *store, const char *digest)
{
	cleanup_free char *path = NULL;

	if (!oci_digest_valid(digest))
		return false;
	path = store_blob_path(store, digest);
	return path && access(path, F_OK) == 0;
}

int oci_store_open_blob(struct oci_store *store, const char *digest,
			struct error **err)
{
	cleanup_free char *path = NULL;
	int fd;

	if (oci_digest_check(digest, err) < 0)
		return -1;
	path = store_blob_path(store, digest);
	if (!path)
		return error_set(err, ENOMEM, "open blob");
	fd = store_open_read(store, path);
	if (fd < 0) {
		if (errno == ENOENT) {
			store_not_found(err, "blob", digest, store->dir);
			return -1;
		}
		return error_set(err, errno, "open blob %s", digest);
	}
	return fd;
}

int oci_store_read_blob(struct oci_store *store, const char *digest,
			int64_t size, char **buf, size_t *len,
			struct error **err)
{
	cleanup_close int fd = oci_store_open_blob(store, digest, err);
	cleanup_free char *data = NULL;
	char got[OCI_DIGEST_SIZE];
	struct stat st;
	size_t n = 0;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return error_set(err, errno, "stat blob %s", digest);
	if (size >= 0 && st.st_size != size)
		return error_set(
			err, 0, "blob %s is corrupt: %lld bytes, expected %lld",
			digest, (long long)st.st_size, (long long)size);
	if (st.st_size > MAX_BLOB_IN_MEMORY)
		return error_set(err, 0, "blob %s is too large (%lld bytes)",
				 digest, (long long)st.st_size);
	data = malloc(st.st_size + 1);
	if (!data)
		return error_set(err, ENOMEM, "read blob %s", digest);
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, data + n, st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return error_set(err, errno, "read blob %s", digest);
		if (r == 0)
			return error_set(err, 0, "blob %s is truncated",
					 digest);
		n += r;
	}
	data[n] = '\0';
	oci_digest_buf(data, n, got);
	if (strcmp(got, digest) != 0)
		return error_set(err, 0,
				 "blob %s is corrupt: content has digest %s",
				 digest, got);
	*buf = steal_ptr(data);
	if (len)
		*len = n;
	return 0;
}

/* ---- index.json entries ---- */

const char *store_entry_ref(json_t *e)
{
	return json_string_value(json_object_get(
		json_object_get(e, "annotations"), OCI_ANN_REF_NAME));
}

static int descriptor_from_json(json_t *e, struct oci_descriptor **out,
				struct error **err)
{
	struct oci_descriptor *d = calloc(1, sizeof(*d));
	const char *mt = json_string_value(json_object_get(e, "mediaType"));
	const char *dg = json_string_value(json_object_get(e, "digest"));
	json_t *size = json_object_get(e, "size");

	if (!d)
		return error_set(err, ENOMEM, "alloc");
	if (!mt || !dg || !oci_digest_valid(dg) || !json_is_integer(size) ||
	    json_integer_value(size) < 0) {
		free(d);
		return error_set(err, 0, "index.json: invalid entry");
	}
	d->media_type = strdup(mt);
	d->digest = strdup(dg);
	d->size = json_integer_value(size);
	if (!d->media_type || !d->digest) {
		oci_descriptor_free(d);
		return error_set(err, ENOMEM, "alloc");
	}
	*out = d;
	return 0;
}

/* A stored blob that is an index or a manifest, described. */
static int describe_blob(struct oci_store *s, const char *digest,
			 struct oci_descriptor **out, struct error **err)
{
	cleanup_free char *buf = NULL;
	cleanup_free char *mt = NULL;
	struct oci_descriptor *d;
	size_t len;

	if (oci_store_read_blob(s, digest, -1, &buf, &len, err) < 0)
		return -1;
	if (oci_doc_kind(buf, len, &mt) == OCI_KIND_OTHER || !mt)
		return error_set(err, 0,
				 "%s is neither an image index nor a manifest",
				 digest);
	d = calloc(1, sizeof(*d));
	if (!d)
		return error_set(err, ENOMEM, "alloc");
	d->media_type = steal_ptr(mt);
	d->digest = strdup(digest);
	d->size = len;
	if (!d->digest) {
		oci_descriptor_free(d);
		return error_set(err, ENOMEM, "alloc");
	}
	*out = d;
	return 0;
}

/* The digest a reference pins ("sha256:..." or "name@sha256:..."), or NULL. */
static const char *ref_digest(const char *ref)
{
	if (oci_digest_valid(ref))
		return ref;
	return strchr(ref, '@') ? strchr(ref, '@') + 1 : NULL;
}

int oci_store_resolve(struct oci_store *store, const char *ref,
		      struct oci_descriptor **out, struct error **err)
{
	cleanup_json json_t *idx = store_index_read(store, err);
	const char *digest = NULL;
	json_t *manifests, *e;
	size_t i;

	if (!idx)
		return -1;
	digest = ref_digest(ref);
	manifests = json_object_get(idx, "manifests");
	json_array_foreach (manifests, i, e) {
		const char *r = store_entry_ref(e);
		const char *d = json_string_value(json_object_get(e, "digest"));

		if ((digest && d && !strcmp(d, digest)) ||
		    (!digest && r && !strcmp(r, ref)))
			return descriptor_from_json(e, out, err);
	}
	if (digest && oci_digest_valid(digest) &&
	    oci_store_has_blob(store, digest))
		return describe_blob(store, digest, out, err);
	store_not_found(err, "image", ref, store->dir);
	return -1;
}

int oci_store_explain_gone(struct oci_store *store, const char *ref,
			   const char *digest, struct error **err)
{
	struct oci_descriptor *d = NULL;
	struct error *e = NULL;
	bool gone;

	if (!err || !*err || (*err)->errnum != ENOENT)
		return -1;
	if (oci_store_resolve(store, ref, &d, &e) < 0) {
		gone = e && e->errnum == ENOENT;
		error_free(e);
		return gone ? error_set(err, 0,
					"%s was removed from the store "
					"meanwhile",
					ref) :
			      -1;
	}
	if (!strcmp(d->digest, digest)) {
		oci_descriptor_free(d);
		return -1; /* still there: the store lacks a file of it */
	}
	error_set(err, 0, "%s was moved to image %s meanwhile", ref, d->digest);
	oci_descriptor_free(d);
	return -1;
}

static char *created_of(struct oci_store *s, const char *digest,
			const char *media_type)
{
	cleanup_free char *buf = NULL;
	cleanup_doc struct oci_doc doc = { 0 };
	const struct oci_descriptor *first;
	const char *c;
	size_t len;

	if (oci_store_read_blob(s, digest, -1, &buf, &len, NULL) < 0 ||
	    oci_doc_parse(media_type, buf, len, &doc, NULL) < 0)
		return NULL;
	c = doc.idx ? oci_kv_get(doc.idx->annotations, doc.idx->n_annotations,
				 OCI_ANN_CREATED) :
		      oci_kv_get(doc.m->annotations, doc.m->n_annotations,
				 OCI_ANN_CREATED);
	if (c)
		return strdup(c);
	/* an index without the annotation: its first manifest's */
	first = doc.idx ? oci_doc_child(&doc, 0) : NULL;
	if (first && oci_media_kind(first->media_type) == OCI_KIND_MANIFEST)
		return created_of(s, first->digest, first->media_type);
	return NULL;
}

/* index.json's entries; with created, each image's manifest is read too. */
static int list_entries(struct oci_store *store, bool created,
			struct oci_store_entry **out, size_t *n,
			struct error **err)
{
	cleanup_json json_t *idx = store_index_read(store, err);
	struct oci_store_entry *v = NULL;
	json_t *manifests, *e;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!idx)
		return -1;
	manifests = json_object_get(idx, "manifests");
	if (json_array_size(manifests)) {
		v = calloc(json_array_size(manifests), sizeof(*v));
		if (!v)
			return error_set(err, ENOMEM, "list store");
	}
	json_array_foreach (manifests, i, e) {
		const char *r = store_entry_ref(e);
		const char *d = json_string_value(json_object_get(e, "digest"));
		const char *mt =
			json_string_value(json_object_get(e, "mediaType"));

		v[i].ref = r ? strdup(r) : NULL;
		v[i].digest = strdup(d ? d : "");
		v[i].media_type = strdup(mt ? mt : "");
		if ((r && !v[i].ref) || !v[i].digest || !v[i].media_type) {
			oci_store_entries_free(v, i + 1);
			return error_set(err, ENOMEM, "list store");
		}
		v[i].size = json_integer_value(json_object_get(e, "size"));
		if (created && d && mt && oci_digest_valid(d))
			v[i].created = created_of(store, d, mt);
	}
	*out = v;
	*n = json_array_size(manifests);
	return 0;
}

int oci_store_list(struct oci_store *store, struct oci_store_entry **out,
		   size_t *n, struct error **err)
{
	return list_entries(store, true, out, n, err);
}

int oci_store_index(struct oci_store *store, struct oci_store_entry **out,
		    size_t *n, struct error **err)
{
	return list_entries(store, false, out, n, err);
}

void oci_store_entries_free(struct oci_store_entry *e, size_t n)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < n; i++) {
		free(e[i].ref);
		free(e[i].digest);
		free(e[i].media_type);
		free(e[i].created);
	}
	free(e);
}

/* ---- tags ---- */

/* Whether entry ref r is of the name (and tag, if it has one) pin gives. */
static bool same_name(const struct oci_ref *pin, const char *r)
{
	cleanup_ref struct oci_ref *e = NULL;

	if (!r || oci_ref_parse(r, NULL, &e, NULL) < 0)
		return false;
	return !strcmp(e->registry, pin->registry) &&
	       !strcmp(e->repository, pin->repository) &&
	       (!pin->tag || (e->tag && !strcmp(e->tag, pin->tag)));
}

/* "a, b, c": the tags in gone (a JSON array of strings), cut to fit. */
static void tag_list(json_t *gone, char *buf, size_t size)
{
	size_t i, len = 0;
	json_t *name;

	buf[0] = '\0';
	json_array_foreach (gone, i, name)
		if (len < size - 1)
			len += snprintf(buf + len, size - len, "%s%s",
					len ? ", " : "",
					json_string_value(name));
}

int oci_store_untag(struct oci_store *store, const char *ref, bool all,
		    void (*removed)(const char *name, void *arg), void *arg,
		    struct error **err)
{
	cleanup_close int lock = -1;
	cleanup_json json_t *idx = store_index_load_locked(store, &lock, err);
	cleanup_json json_t *gone = json_array();
	cleanup_ref struct oci_ref *pin = NULL;
	const char *digest = NULL;
	json_t *manifests, *name;
	size_t i = 0, before, tags = 0;
	char names[512];

	if (!idx)
		return error_prefix(err, "remove %s", ref);
	if (!gone)
		return error_set(err, ENOMEM, "untag %s", ref);
	digest = ref_digest(ref);
	/* a bare digest names every tag of its content, "name@digest"
	 * only those of name */
	if (digest && digest != ref && oci_ref_parse(ref, NULL, &pin, err) < 0)
		return -1;
	manifests = json_object_get(idx, "manifests");
	before = json_array_size(manifests);
	while (i < json_array_size(manifests)) {
		json_t *e = json_array_get(manifests, i);
		const char *r = store_entry_ref(e);
		const char *d = json_string_value(json_object_get(e, "digest"));

		if ((digest && d && !strcmp(d, digest) &&
		     (!pin || same_name(pin, r))) ||
		    (!digest && r && !strcmp(r, ref))) {
			tags += r != NULL;
			json_array_append_new(gone, json_string(r ? r : d));
			json_array_remove(manifests, i);
		} else {
			i++;
		}
	}
	if (json_array_size(manifests) == before) {
		store_not_found(err, "image", ref, store->dir);
		return -1;
	}
	/* counted under the lock: a tag added since the user looked is
	 * never removed unasked */
	if (digest == ref && !all && tags > 1) {
		tag_list(gone, names, sizeof(names));
		return error_set(err, 0,
				 "%s is tagged %zu times (%s): name a tag, or "
				 "remove them all with --force",
				 digest, tags, names);
	}
	if (store_index_save_freeing(store, idx, err) < 0)
		return error_prefix(err, "remove %s", ref);
	json_array_foreach (gone, i, name) {
		if (removed && json_string_value(name))
			removed(json_string_value(name), arg);
	}
	return 0;
}

int oci_store_blob_intact(struct oci_store *store, const char *digest,
			  bool *intact, struct error **err)
{
	cleanup_free char *path = NULL;
	cleanup_close int fd = -1;
	struct oci_sha256 *h = NULL;
	char buf[65536], got[OCI_DIGEST_SIZE];
	ssize_t n;

	*intact = false;
	if (!oci_digest_valid(digest))
		return error_set(err, 0, "bad digest");
	path = store_blob_path(store, digest);
	if (!path)
		return error_set(err, ENOMEM, "check blob");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 :
					 error_set(err, errno, "open %s", path);
	h = oci_sha256_new();
	if (!h)
		return error_set(err, ENOMEM, "check blob");
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			oci_sha256_free(h);
			return error_set(err, errno, "read %s", path);
		}
		oci_sha256_update(h, buf, n);
	}
	oci_sha256_final(h, got);
	oci_sha256_free(h);
	*intact = !strcmp(got, digest);
	return 0;
}
