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
#include <sys/file.h>
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

/* Largest blob read into memory (gadget programs and configs are small). */
#define MAX_BLOB_IN_MEMORY (512L << 20)
/* Ingest files older than this, and not locked, are leftovers. */
#define STALE_INGEST_SECONDS 60

struct oci_store {
	char *dir;
};

struct staged {
	char *path;
	int fd; /* holds the flock that marks the file live */
	char digest[OCI_DIGEST_SIZE];
	int64_t size;
};

struct ref_change {
	char *ref;
	char *media_type;
	char digest[OCI_DIGEST_SIZE];
	int64_t size;
};

struct oci_txn {
	struct oci_store *store;
	struct staged *staged;
	size_t n_staged;
	char (*need)[OCI_DIGEST_SIZE];
	size_t n_need;
	struct ref_change *refs;
	size_t n_refs;
};

struct oci_blob_writer {
	struct oci_txn *txn;
	char *path;
	int fd;
	struct oci_sha256 *hash;
	int64_t size;
};

/* Fill *err with "<what> <name> not found in store <dir>", errnum ENOENT. */
static void set_not_found(struct error **err, const char *what,
			  const char *name, const char *dir)
{
	error_set(err, 0, "%s %s not found in store %s", what, name, dir);
	if (err && *err)
		(*err)->errnum = ENOENT;
}

static char *store_path(const struct oci_store *s, const char *rel)
{
	char *p;

	if (asprintf(&p, "%s/%s", s->dir, rel) < 0)
		return NULL;
	return p;
}

static char *blob_path(const struct oci_store *s, const char *digest)
{
	char *p;

	if (asprintf(&p, "%s/blobs/sha256/%s", s->dir, oci_digest_hex(digest)) <
	    0)
		return NULL;
	return p;
}

static int fsync_dir(const char *dir)
{
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0)
		return -1;
	return 0;
}

/* Take the index lock; returns the fd that holds it (close to release). */
static int store_lock(struct oci_store *s, struct error **err)
{
	cleanup_free char *path = store_path(s, "index.json.lock");
	int fd;

	if (!path)
		return error_set(err, ENOMEM, "lock store");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return error_set(err, errno, "open %s", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			error_set(err, errno, "lock %s", path);
			close(fd);
			return -1;
		}
	}
	return fd;
}

static json_t *index_load(struct oci_store *s, struct error **err)
{
	cleanup_free char *path = store_path(s, "index.json");
	cleanup_free char *buf = NULL;
	json_error_t jerr;
	size_t len;
	json_t *j;

	if (!path) {
		error_set(err, ENOMEM, "read index.json");
		return NULL;
	}
	if (read_file(path, &buf, &len, err) < 0)
		return NULL;
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
	return j;
}

static int index_save(struct oci_store *s, json_t *j, struct error **err)
{
	cleanup_free char *path = store_path(s, "index.json");
	cleanup_free char *buf = json_dumps(j, JSON_COMPACT);

	if (!path || !buf)
		return error_set(err, ENOMEM, "write index.json");
	if (write_file_atomic(path, buf, strlen(buf), 0644, err) < 0)
		return -1;
	fsync_dir(s->dir);
	return 0;
}

static json_t *empty_index(void)
{
	return json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
			 OCI_MT_INDEX, "manifests");
}

int oci_store_open(const char *dir, struct oci_store **out, struct error **err)
{
	struct oci_store *s = calloc(1, sizeof(*s));
	cleanup_free char *layout = NULL;
	cleanup_free char *index = NULL;
	cleanup_free char *blobs = NULL;
	cleanup_free char *ingest = NULL;
	int lock = -1;

	if (!s)
		return error_set(err, ENOMEM, "open store %s", dir);
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
			if (index_save(s, j, err) < 0)
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

void oci_store_free(struct oci_store *store)
{
	if (!store)
		return;
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
	path = blob_path(store, digest);
	return path && access(path, F_OK) == 0;
}

int oci_store_open_blob(struct oci_store *store, const char *digest,
			struct error **err)
{
	cleanup_free char *path = NULL;
	int fd;

	if (oci_digest_check(digest, err) < 0)
		return -1;
	path = blob_path(store, digest);
	if (!path)
		return error_set(err, ENOMEM, "open blob");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			set_not_found(err, "blob", digest, store->dir);
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

static const char *entry_ref(json_t *e)
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

void oci_descriptor_free(struct oci_descriptor *d)
{
	size_t i;

	if (!d)
		return;
	free(d->media_type);
	free(d->digest);
	free(d->artifact_type);
	free(d->arch);
	free(d->os);
	free(d->variant);
	for (i = 0; i < d->n_annotations; i++) {
		free(d->annotations[i].key);
		free(d->annotations[i].value);
	}
	free(d->annotations);
	free(d);
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

int oci_store_resolve(struct oci_store *store, const char *ref,
		      struct oci_descriptor **out, struct error **err)
{
	cleanup_json json_t *idx = index_load(store, err);
	const char *digest = NULL;
	json_t *manifests, *e;
	size_t i;

	if (!idx)
		return -1;
	if (oci_digest_valid(ref))
		digest = ref;
	else if (strchr(ref, '@'))
		digest = strchr(ref, '@') + 1;
	manifests = json_object_get(idx, "manifests");
	json_array_foreach (manifests, i, e) {
		const char *r = entry_ref(e);
		const char *d = json_string_value(json_object_get(e, "digest"));

		if ((digest && d && !strcmp(d, digest)) ||
		    (!digest && r && !strcmp(r, ref)))
			return descriptor_from_json(e, out, err);
	}
	if (digest && oci_digest_valid(digest) &&
	    oci_store_has_blob(store, digest))
		return describe_blob(store, digest, out, err);
	set_not_found(err, "image", ref, store->dir);
	return -1;
}

static char *created_of(struct oci_store *s, const char *digest,
			const char *media_type)
{
	cleanup_free char *buf = NULL;
	const char *c = NULL;
	size_t len;

	if (oci_store_read_blob(s, digest, -1, &buf, &len, NULL) < 0)
		return NULL;
	if (oci_media_kind(media_type) == OCI_KIND_INDEX) {
		cleanup_index struct oci_index *idx = NULL;

		if (oci_index_parse(buf, len, &idx, NULL) < 0)
			return NULL;
		c = oci_kv_get(idx->annotations, idx->n_annotations,
			       OCI_ANN_CREATED);
		if (c)
			return strdup(c);
		if (idx->n_manifests &&
		    oci_media_kind(idx->manifests[0].media_type) ==
			    OCI_KIND_MANIFEST)
			return created_of(s, idx->manifests[0].digest,
					  idx->manifests[0].media_type);
	} else if (oci_media_kind(media_type) == OCI_KIND_MANIFEST) {
		cleanup_manifest struct oci_manifest *m = NULL;

		if (oci_manifest_parse(buf, len, &m, NULL) < 0)
			return NULL;
		c = oci_kv_get(m->annotations, m->n_annotations,
			       OCI_ANN_CREATED);
		if (c)
			return strdup(c);
	}
	return NULL;
}

int oci_store_list(struct oci_store *store, struct oci_store_entry **out,
		   size_t *n, struct error **err)
{
	cleanup_json json_t *idx = index_load(store, err);
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
		const char *r = entry_ref(e);
		const char *d = json_string_value(json_object_get(e, "digest"));
		const char *mt =
			json_string_value(json_object_get(e, "mediaType"));

		v[i].ref = r ? strdup(r) : NULL;
		v[i].digest = strdup(d ? d : "");
		v[i].media_type = strdup(mt ? mt : "");
		v[i].size = json_integer_value(json_object_get(e, "size"));
		if (d && mt && oci_digest_valid(d))
			v[i].created = created_of(store, d, mt);
	}
	*out = v;
	*n = json_array_size(manifests);
	return 0;
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

/* ---- transactions ---- */

int oci_txn_begin(struct oci_store *store, struct oci_txn **out,
		  struct error **err)
{
	struct oci_txn *txn = calloc(1, sizeof(*txn));

	if (!txn)
		return error_set(err, ENOMEM, "begin transaction");
	txn->store = store;
	*out = txn;
	return 0;
}

static void staged_clear(struct staged *st)
{
	if (st->path)
		unlink(st->path);
	if (st->fd >= 0)
		close(st->fd);
	free(st->path);
	st->path = NULL;
	st->fd = -1;
}

void oci_txn_free(struct oci_txn *txn)
{
	size_t i;

	if (!txn)
		return;
	for (i = 0; i < txn->n_staged; i++)
		staged_clear(&txn->staged[i]);
	free(txn->staged);
	free(txn->need);
	for (i = 0; i < txn->n_refs; i++) {
		free(txn->refs[i].ref);
		free(txn->refs[i].media_type);
	}
	free(txn->refs);
	free(txn);
}

int oci_txn_writer_open(struct oci_txn *txn, struct oci_blob_writer **out,
			struct error **err)
{
	struct oci_blob_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return error_set(err, ENOMEM, "stage blob");
	w->txn = txn;
	w->fd = -1;
	w->hash = oci_sha256_new();
	if (!w->hash ||
	    asprintf(&w->path, "%s/ingest/blob-XXXXXX", txn->store->dir) < 0) {
		w->path = NULL;
		oci_blob_writer_abort(w);
		return error_set(err, ENOMEM, "stage blob");
	}
	w->fd = mkostemp(w->path, O_CLOEXEC);
	if (w->fd < 0) {
		error_set(err, errno, "create %s", w->path);
		free(w->path);
		w->path = NULL;
		oci_blob_writer_abort(w);
		return -1;
	}
	/* Live marker for oci_store_gc(); cannot block: the file is new. */
	flock(w->fd, LOCK_EX | LOCK_NB);
	*out = w;
	return 0;
}

int oci_blob_writer_write(struct oci_blob_writer *w, const void *buf,
			  size_t len, struct error **err)
{
	const char *p = buf;
	size_t left = len;

	while (left > 0) {
		ssize_t n = write(w->fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(err, errno, "write %s", w->path);
		p += n;
		left -= n;
	}
	oci_sha256_update(w->hash, buf, len);
	w->size += len;
	return 0;
}

int64_t oci_blob_writer_size(const struct oci_blob_writer *w)
{
	return w->size;
}

int oci_blob_writer_reset(struct oci_blob_writer *w, struct error **err)
{
	struct oci_sha256 *h = oci_sha256_new();

	if (!h)
		return error_set(err, ENOMEM, "reset blob");
	if (ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0) {
		oci_sha256_free(h);
		return error_set(err, errno, "truncate %s", w->path);
	}
	oci_sha256_free(w->hash);
	w->hash = h;
	w->size = 0;
	return 0;
}

void oci_blob_writer_abort(struct oci_blob_writer *w)
{
	if (!w)
		return;
	if (w->path)
		unlink(w->path);
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	oci_sha256_free(w->hash);
	free(w);
}

int oci_blob_writer_finish(struct oci_blob_writer *w, const char *digest,
			   int64_t size, char digest_out[OCI_DIGEST_SIZE],
			   struct error **err)
{
	struct oci_txn *txn = w->txn;
	char got[OCI_DIGEST_SIZE];
	struct staged *v;

	oci_sha256_final(w->hash, got);
	if (size >= 0 && w->size != size) {
		error_set(err, 0,
			  "size mismatch: got %lld bytes, expected %lld",
			  (long long)w->size, (long long)size);
		goto fail;
	}
	if (digest && strcmp(got, digest) != 0) {
		error_set(err, 0, "digest mismatch: expected %s, got %s",
			  digest, got);
		goto fail;
	}
	if (fchmod(w->fd, 0644) < 0 || fsync(w->fd) < 0) {
		error_set(err, errno, "sync %s", w->path);
		goto fail;
	}
	v = realloc(txn->staged, (txn->n_staged + 1) * sizeof(*v));
	if (!v) {
		error_set(err, ENOMEM, "stage blob");
		goto fail;
	}
	txn->staged = v;
	v = &txn->staged[txn->n_staged++];
	v->path = steal_ptr(w->path);
	v->fd = steal_fd(w->fd);
	memcpy(v->digest, got, sizeof(got));
	v->size = w->size;
	if (digest_out)
		memcpy(digest_out, got, sizeof(got));
	oci_blob_writer_abort(w);
	return 0;
fail:
	oci_blob_writer_abort(w);
	return -1;
}

int oci_txn_put(struct oci_txn *txn, const void *buf, size_t len,
		char digest[OCI_DIGEST_SIZE], struct error **err)
{
	struct oci_blob_writer *w;

	if (oci_txn_writer_open(txn, &w, err) < 0)
		return -1;
	if (oci_blob_writer_write(w, buf, len, err) < 0) {
		oci_blob_writer_abort(w);
		return -1;
	}
	return oci_blob_writer_finish(w, NULL, -1, digest, err);
}

int oci_txn_need(struct oci_txn *txn, const char *digest, struct error **err)
{
	char(*v)[OCI_DIGEST_SIZE];

	size_t i;

	if (oci_digest_check(digest, err) < 0)
		return -1;
	for (i = 0; i < txn->n_staged; i++)
		if (!strcmp(txn->staged[i].digest, digest))
			return 0; /* staged: the commit moves it in */
	v = realloc(txn->need, (txn->n_need + 1) * sizeof(*v));
	if (!v)
		return error_set(err, ENOMEM, "alloc");
	txn->need = v;
	memcpy(txn->need[txn->n_need++], digest, OCI_DIGEST_SIZE);
	return 0;
}

bool oci_txn_has_blob(struct oci_txn *txn, const char *digest)
{
	size_t i;

	for (i = 0; i < txn->n_staged; i++)
		if (!strcmp(txn->staged[i].digest, digest))
			return true;
	return oci_store_has_blob(txn->store, digest);
}

int64_t oci_txn_blob_size(struct oci_txn *txn, const char *digest)
{
	cleanup_free char *path = NULL;
	struct stat st;
	size_t i;

	for (i = 0; i < txn->n_staged; i++)
		if (!strcmp(txn->staged[i].digest, digest))
			return txn->staged[i].size;
	if (!oci_digest_valid(digest))
		return -1;
	path = blob_path(txn->store, digest);
	if (!path || stat(path, &st) < 0)
		return -1;
	return st.st_size;
}

int oci_txn_read_blob(struct oci_txn *txn, const char *digest, int64_t size,
		      char **buf, size_t *len, struct error **err)
{
	cleanup_free char *data = NULL;
	char got[OCI_DIGEST_SIZE];
	size_t i, n;

	for (i = 0; i < txn->n_staged; i++) {
		struct staged *st = &txn->staged[i];

		if (strcmp(st->digest, digest) != 0 || !st->path)
			continue;
		if (size >= 0 && st->size != size)
			return error_set(
				err, 0, "blob %s has %lld bytes, expected %lld",
				digest, (long long)st->size, (long long)size);
		if (st->size > MAX_BLOB_IN_MEMORY)
			return error_set(err, 0, "blob %s is too large",
					 digest);
		if (read_file(st->path, &data, &n, err) < 0)
			return -1;
		oci_digest_buf(data, n, got);
		if (strcmp(got, digest) != 0)
			return error_set(err, 0,
					 "blob %s is corrupt: content has "
					 "digest %s",
					 digest, got);
		*buf = steal_ptr(data);
		if (len)
			*len = n;
		return 0;
	}
	return oci_store_read_blob(txn->store, digest, size, buf, len, err);
}

int oci_txn_set_ref(struct oci_txn *txn, const char *ref,
		    const char *media_type, const char *digest, int64_t size,
		    struct error **err)
{
	struct ref_change *v;

	if (oci_digest_check(digest, err) < 0)
		return -1;
	v = realloc(txn->refs, (txn->n_refs + 1) * sizeof(*v));
	if (!v)
		return error_set(err, ENOMEM, "alloc");
	txn->refs = v;
	v = &txn->refs[txn->n_refs];
	v->ref = strdup(ref);
	v->media_type = strdup(media_type);
	memcpy(v->digest, digest, OCI_DIGEST_SIZE);
	v->size = size;
	if (!v->ref || !v->media_type) {
		free(v->ref);
		free(v->media_type);
		return error_set(err, ENOMEM, "alloc");
	}
	txn->n_refs++;
	return 0;
}

/* Drop every entry of manifests tagged ref. */
static void index_drop_ref(json_t *manifests, const char *ref)
{
	size_t i = 0;

	while (i < json_array_size(manifests)) {
		const char *r = entry_ref(json_array_get(manifests, i));

		if (r && !strcmp(r, ref))
			json_array_remove(manifests, i);
		else
			i++;
	}
}

static int index_apply(json_t *idx, const struct ref_change *c,
		       struct error **err)
{
	json_t *manifests = json_object_get(idx, "manifests");
	json_t *e;

	index_drop_ref(manifests, c->ref);
	e = json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", c->media_type,
		      "digest", c->digest, "size", (json_int_t)c->size,
		      "annotations", OCI_ANN_REF_NAME, c->ref);
	if (!e || json_array_append_new(manifests, e) < 0)
		return error_set(err, ENOMEM, "update index.json");
	return 0;
}

int oci_txn_commit(struct oci_txn *txn, struct error **err)
{
	struct oci_store *s = txn->store;
	cleanup_close int lock = store_lock(s, err);
	cleanup_free char *blobs = store_path(s, "blobs/sha256");
	cleanup_json json_t *idx = NULL;
	size_t i;

	if (lock < 0)
		return error_prefix(err, "commit");
	if (!blobs)
		return error_set(err, ENOMEM, "commit");
	for (i = 0; i < txn->n_need; i++)
		if (!oci_store_has_blob(s, txn->need[i]))
			return error_set(err, 0,
					 "commit: blob %s vanished from the "
					 "store (removed concurrently); retry",
					 txn->need[i]);
	for (i = 0; i < txn->n_staged; i++) {
		struct staged *st = &txn->staged[i];
		cleanup_free char *dst = blob_path(s, st->digest);

		if (!dst)
			return error_set(err, ENOMEM, "commit");
		if (access(dst, F_OK) == 0)
			continue; /* same content already there */
		if (rename(st->path, dst) < 0)
			return error_set(err, errno, "commit: rename %s",
					 st->path);
		free(st->path);
		st->path = NULL;
	}
	if (txn->n_staged)
		fsync_dir(blobs);
	if (txn->n_refs) {
		idx = index_load(s, err);
		if (!idx)
			return error_prefix(err, "commit");
		for (i = 0; i < txn->n_refs; i++)
			if (index_apply(idx, &txn->refs[i], err) < 0)
				return -1;
		if (index_save(s, idx, err) < 0)
			return error_prefix(err, "commit");
	}
	/* Leftover staged copies of blobs that were already present. */
	for (i = 0; i < txn->n_staged; i++)
		staged_clear(&txn->staged[i]);
	txn->n_staged = 0;
	return 0;
}

/* ---- tags and garbage collection ---- */

int oci_store_tag(struct oci_store *store, const char *src, const char *dst,
		  struct error **err)
{
	struct oci_descriptor *d = NULL;
	cleanup_txn struct oci_txn *txn = NULL;
	int ret = -1;

	if (oci_store_resolve(store, src, &d, err) < 0)
		return -1;
	if (oci_txn_begin(store, &txn, err) < 0 ||
	    oci_txn_need(txn, d->digest, err) < 0 ||
	    oci_txn_set_ref(txn, dst, d->media_type, d->digest, d->size, err) <
		    0 ||
	    oci_txn_commit(txn, err) < 0)
		goto out;
	ret = 0;
out:
	oci_descriptor_free(d);
	if (ret < 0)
		error_prefix(err, "tag %s as %s", src, dst);
	return ret;
}

int oci_store_untag(struct oci_store *store, const char *ref,
		    struct error **err)
{
	cleanup_close int lock = store_lock(store, err);
	cleanup_json json_t *idx = NULL;
	const char *digest = NULL;
	json_t *manifests;
	size_t i = 0, before;

	if (lock < 0)
		return -1;
	idx = index_load(store, err);
	if (!idx)
		return -1;
	if (oci_digest_valid(ref))
		digest = ref;
	else if (strchr(ref, '@'))
		digest = strchr(ref, '@') + 1;
	manifests = json_object_get(idx, "manifests");
	before = json_array_size(manifests);
	while (i < json_array_size(manifests)) {
		json_t *e = json_array_get(manifests, i);
		const char *r = entry_ref(e);
		const char *d = json_string_value(json_object_get(e, "digest"));

		if ((digest && d && !strcmp(d, digest)) ||
		    (!digest && r && !strcmp(r, ref)))
			json_array_remove(manifests, i);
		else
			i++;
	}
	if (json_array_size(manifests) == before) {
		set_not_found(err, "image", ref, store->dir);
		return -1;
	}
	return index_save(store, idx, err);
}

struct digest_set {
	char (*v)[OCI_DIGEST_SIZE];
	size_t n, cap;
};

static bool set_has(const struct digest_set *set, const char *d)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->v[i], d))
			return true;
	return false;
}

static int set_add(struct digest_set *set, const char *d)
{
	if (set_has(set, d))
		return 0;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		void *v = realloc(set->v, cap * sizeof(*set->v));

		if (!v)
			return -1;
		set->v = v;
		set->cap = cap;
	}
	snprintf(set->v[set->n++], OCI_DIGEST_SIZE, "%s", d);
	return 0;
}

/*
 * Mark d and what it references.  A missing child is tolerated (images may
 * be stored for one architecture only); a corrupt one is not: without its
 * content we cannot know what it keeps alive.
 */
static int mark(struct oci_store *s, struct digest_set *set, const char *mt,
		const char *d, int depth, struct error **err)
{
	cleanup_free char *buf = NULL;
	enum oci_kind kind = oci_media_kind(mt);
	size_t i, len;

	if (!oci_digest_valid(d))
		return 0;
	if (set_has(set, d))
		return 0;
	if (set_add(set, d) < 0)
		return error_set(err, ENOMEM, "gc");
	if (kind == OCI_KIND_OTHER)
		return 0;
	if (depth > 8)
		return error_set(err, 0, "gc: indexes nested too deep");
	if (!oci_store_has_blob(s, d))
		return 0;
	if (oci_store_read_blob(s, d, -1, &buf, &len, err) < 0)
		return -1;
	if (kind == OCI_KIND_INDEX) {
		cleanup_index struct oci_index *idx = NULL;

		if (oci_index_parse(buf, len, &idx, err) < 0)
			return error_prefix(err, "gc: %s", d);
		for (i = 0; i < idx->n_manifests; i++)
			if (mark(s, set, idx->manifests[i].media_type,
				 idx->manifests[i].digest, depth + 1, err) < 0)
				return -1;
	} else {
		cleanup_manifest struct oci_manifest *m = NULL;

		if (oci_manifest_parse(buf, len, &m, err) < 0)
			return error_prefix(err, "gc: %s", d);
		if (set_add(set, m->config.digest) < 0)
			return error_set(err, ENOMEM, "gc");
		for (i = 0; i < m->n_layers; i++)
			if (set_add(set, m->layers[i].digest) < 0)
				return error_set(err, ENOMEM, "gc");
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
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

/* Temp files of write_file_atomic() left by a killed writer (we hold the
 * lock, so none is live). */
static void remove_stale_index_tmp(struct oci_store *s)
{
	DIR *d = opendir(s->dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "index.json.tmp.", 15))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

int oci_store_gc(struct oci_store *store, size_t *removed, struct error **err)
{
	cleanup_close int lock = store_lock(store, err);
	cleanup_free char *blobs = store_path(store, "blobs/sha256");
	cleanup_json json_t *idx = NULL;
	struct digest_set set = { 0 };
	json_t *manifests, *e;
	struct dirent *de;
	size_t i, n = 0;
	DIR *d;
	int ret = -1;

	if (removed)
		*removed = 0;
	if (lock < 0)
		return -1;
	idx = index_load(store, err);
	if (!idx || !blobs)
		return error_prefix(err, "gc");
	manifests = json_object_get(idx, "manifests");
	json_array_foreach (manifests, i, e) {
		const char *mt =
			json_string_value(json_object_get(e, "mediaType"));
		const char *dg =
			json_string_value(json_object_get(e, "digest"));

		if (dg && mark(store, &set, mt, dg, 0, err) < 0)
			goto out;
	}
	d = opendir(blobs);
	if (!d) {
		error_set(err, errno, "gc: open %s", blobs);
		goto out;
	}
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
		if (oci_digest_valid(dg) && set_has(&set, dg))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	fsync_dir(blobs);
	remove_stale_ingest(store);
	remove_stale_index_tmp(store);
	if (removed)
		*removed = n;
	ret = 0;
out:
	free(set.v);
	return ret;
}

/* ---- gadgets ---- */

static json_t *annotations_json(const struct oci_annotation *ann, size_t n,
				const char *created)
{
	json_t *a = json_object();
	size_t i;

	if (!a)
		return NULL;
	for (i = 0; i < n; i++)
		if (ann[i].key && ann[i].value)
			json_object_set_new(a, ann[i].key,
					    json_string(ann[i].value));
	if (!json_object_get(a, OCI_ANN_CREATED))
		json_object_set_new(a, OCI_ANN_CREATED, json_string(created));
	return a;
}

static bool valid_arch(const char *a)
{
	size_t i;

	if (!a || !*a || strlen(a) > 32)
		return false;
	for (i = 0; a[i]; i++)
		if (!((a[i] >= 'a' && a[i] <= 'z') ||
		      (a[i] >= '0' && a[i] <= '9')))
			return false;
	return true;
}

/* Stage the JSON document j as a blob; its digest and size go to d. */
static int put_json(struct oci_txn *txn, json_t *j, char d[OCI_DIGEST_SIZE],
		    size_t *size, struct error **err)
{
	cleanup_free char *buf = json_dumps(j, JSON_COMPACT);

	if (!buf)
		return error_set(err, ENOMEM, "encode JSON");
	*size = strlen(buf);
	return oci_txn_put(txn, buf, *size, d, err);
}

int oci_store_add_gadget(struct oci_store *store, const char *ref,
			 const void *config, size_t config_len,
			 const struct oci_gadget_arch *archs, size_t n_archs,
			 const struct oci_annotation *ann, size_t n_ann,
			 char **index_digest, struct error **err)
{
	cleanup_ref struct oci_ref *r = NULL;
	cleanup_free char *name = NULL;
	cleanup_txn struct oci_txn *txn = NULL;
	cleanup_json json_t *annotations = NULL;
	cleanup_json json_t *index = NULL;
	char config_digest[OCI_DIGEST_SIZE], idx_digest[OCI_DIGEST_SIZE];
	char created[32];
	struct tm tm;
	time_t now = time(NULL);
	size_t i, j, idx_size;

	if (oci_ref_parse(ref, NULL, &r, err) < 0)
		return error_prefix(err, "store gadget");
	if (!r->tag || r->digest)
		return error_set(err, 0,
				 "store gadget: reference %s must have a tag "
				 "and no digest",
				 ref);
	name = oci_ref_format(r);
	if (!name)
		return error_set(err, ENOMEM, "store gadget");
	if (n_archs == 0)
		return error_set(err, 0, "store gadget %s: no program", name);
	for (i = 0; i < n_archs; i++) {
		if (!valid_arch(archs[i].arch))
			return error_set(err, 0,
					 "store gadget %s: invalid "
					 "architecture \"%s\"",
					 name,
					 archs[i].arch ? archs[i].arch : "");
		for (j = 0; j < i; j++)
			if (!strcmp(archs[i].arch, archs[j].arch))
				return error_set(
					err, 0,
					"store gadget %s: architecture "
					"%s given twice",
					name, archs[i].arch);
	}
	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	annotations = annotations_json(ann, n_ann, created);
	index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
			  OCI_MT_INDEX, "manifests");
	if (!annotations || !index)
		return error_set(err, ENOMEM, "store gadget %s", name);

	if (oci_txn_begin(store, &txn, err) < 0 ||
	    oci_txn_put(txn, config, config_len, config_digest, err) < 0)
		return error_prefix(err, "store gadget %s", name);
	for (i = 0; i < n_archs; i++) {
		char layer_digest[OCI_DIGEST_SIZE], m_digest[OCI_DIGEST_SIZE];
		cleanup_json json_t *m = NULL;
		size_t m_size;
		json_t *desc;

		if (oci_txn_put(txn, archs[i].program, archs[i].program_len,
				layer_digest, err) < 0)
			return error_prefix(err, "store gadget %s", name);
		m = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:I}, "
			      "s:[{s:s, s:s, s:I}], s:O}",
			      "schemaVersion", 2, "mediaType", OCI_MT_MANIFEST,
			      "artifactType", OCI_ARTIFACT_GADGET, "config",
			      "mediaType", OCI_MT_GADGET_CONFIG, "digest",
			      config_digest, "size", (json_int_t)config_len,
			      "layers", "mediaType", OCI_MT_GADGET_PROGRAM,
			      "digest", layer_digest, "size",
			      (json_int_t)archs[i].program_len, "annotations",
			      annotations);
		if (!m)
			return error_set(err, ENOMEM, "store gadget %s", name);
		if (put_json(txn, m, m_digest, &m_size, err) < 0)
			return error_prefix(err, "store gadget %s", name);
		desc = json_pack("{s:s, s:s, s:I, s:{s:s, s:s}}", "mediaType",
				 OCI_MT_MANIFEST, "digest", m_digest, "size",
				 (json_int_t)m_size, "platform", "architecture",
				 archs[i].arch, "os", "linux");
		if (!desc ||
		    json_array_append_new(json_object_get(index, "manifests"),
					  desc) < 0)
			return error_set(err, ENOMEM, "store gadget %s", name);
	}
	json_object_set(index, "annotations", annotations);
	if (put_json(txn, index, idx_digest, &idx_size, err) < 0 ||
	    oci_txn_set_ref(txn, name, OCI_MT_INDEX, idx_digest, idx_size,
			    err) < 0 ||
	    oci_txn_commit(txn, err) < 0)
		return error_prefix(err, "store gadget %s", name);
	if (index_digest) {
		*index_digest = strdup(idx_digest);
		if (!*index_digest)
			return error_set(err, ENOMEM, "store gadget %s", name);
	}
	return 0;
}

static bool is_gadget_manifest(const struct oci_manifest *m)
{
	return (m->artifact_type &&
		!strcmp(m->artifact_type, OCI_ARTIFACT_GADGET)) ||
	       !strcmp(m->config.media_type, OCI_MT_GADGET_CONFIG);
}

int oci_store_get_gadget(struct oci_store *store, const char *ref,
			 const char *arch, struct oci_gadget **out,
			 struct error **err)
{
	struct oci_descriptor *top = NULL;
	cleanup_free char *buf = NULL;
	cleanup_manifest struct oci_manifest *m = NULL;
	struct oci_gadget *g = NULL;
	const struct oci_descriptor *layer = NULL;
	size_t len, i;
	int ret = -1;

	if (!arch)
		arch = oci_host_arch();
	if (oci_store_resolve(store, ref, &top, err) < 0)
		return -1;
	if (oci_store_read_blob(store, top->digest, top->size, &buf, &len,
				err) < 0)
		goto out;
	if (oci_media_kind(top->media_type) == OCI_KIND_INDEX) {
		cleanup_index struct oci_index *idx = NULL;
		const struct oci_descriptor *d;

		if (oci_index_parse(buf, len, &idx, err) < 0)
			goto out;
		d = oci_index_find_arch(idx, arch);
		if (!d) {
			cleanup_free char *have = oci_index_archs(idx);

			error_set(err, 0,
				  "no manifest for architecture %s "
				  "(image has: %s)",
				  arch, have && *have ? have : "none");
			goto out;
		}
		free(buf);
		buf = NULL;
		if (oci_store_read_blob(store, d->digest, d->size, &buf, &len,
					err) < 0)
			goto out;
	} else if (oci_media_kind(top->media_type) != OCI_KIND_MANIFEST) {
		error_set(err, 0, "unsupported media type %s", top->media_type);
		goto out;
	}
	if (oci_manifest_parse(buf, len, &m, err) < 0)
		goto out;
	if (!is_gadget_manifest(m)) {
		error_set(err, 0, "not a gadget image (config media type %s)",
			  m->config.media_type);
		goto out;
	}
	for (i = 0; i < m->n_layers && !layer; i++)
		if (!strcmp(m->layers[i].media_type, OCI_MT_GADGET_PROGRAM))
			layer = &m->layers[i];
	if (!layer) {
		error_set(err, 0, "image has no layer of media type %s",
			  OCI_MT_GADGET_PROGRAM);
		goto out;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		error_set(err, ENOMEM, "alloc");
		goto out;
	}
	if (oci_store_read_blob(store, m->config.digest, m->config.size,
				&g->config, &g->config_len, err) < 0 ||
	    oci_store_read_blob(store, layer->digest, layer->size,
				(char **)&g->program, &g->program_len, err) < 0)
		goto out;
	g->ref = strdup(ref);
	g->digest = strdup(top->digest);
	if (!g->ref || !g->digest) {
		error_set(err, ENOMEM, "alloc");
		goto out;
	}
	*out = steal_ptr(g);
	ret = 0;
out:
	if (ret < 0)
		error_prefix(err, "%s", ref);
	oci_gadget_free(g);
	oci_descriptor_free(top);
	return ret;
}

void oci_gadget_free(struct oci_gadget *gadget)
{
	if (!gadget)
		return;
	free(gadget->ref);
	free(gadget->digest);
	free(gadget->config);
	free(gadget->program);
	free(gadget);
}
