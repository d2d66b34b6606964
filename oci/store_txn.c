// SPDX-License-Identifier: Apache-2.0
/*
 * Store transactions: blobs staged in a folder of ingest/ that the
 * transaction holds flock'ed (one descriptor however many blobs it
 * stages), verified and fsynced, then renamed into blobs/sha256/ together
 * with the index.json update, under the index lock.
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
#include "common/grow.h"
#include "common/json.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/ref.h"
#include "oci/store.h"
#include "oci/store_txn.h"
#include "oci/store_internal.h"
#include "oci/strmap.h"

struct staged {
	char *path;
	char digest[OCI_DIGEST_SIZE];
	int64_t size;
	bool used; /* reached from a ref (oci_txn_mark_used) */
};

struct ref_change {
	char *ref;
	char *media_type;
	char digest[OCI_DIGEST_SIZE];
	int64_t size;
};

struct oci_txn {
	struct oci_store *store;
	char *dir; /* ingest/txn-XXXXXX, made by the first writer */
	int dir_fd; /* holds the flock that marks dir and its files live */
	struct staged *staged;
	size_t n_staged, cap_staged;
	struct strmap staged_at; /* digest -> its index in staged */
	char (*need)[OCI_DIGEST_SIZE];
	size_t n_need;
	struct ref_change *refs;
	size_t n_refs, cap_refs;
	char built[OCI_DIGEST_SIZE]; /* oci_txn_mark_built(); "" if none */
};

struct oci_blob_writer {
	struct oci_txn *txn;
	char *path;
	int fd;
	struct oci_sha256 *hash;
	int64_t size;
};

int oci_txn_begin(struct oci_store *store, struct oci_txn **out,
		  struct error **err)
{
	struct oci_txn *txn = calloc(1, sizeof(*txn));

	if (!txn)
		return error_set(err, ENOMEM, "begin transaction");
	txn->store = store;
	txn->dir_fd = -1;
	*out = txn;
	return 0;
}

static void staged_clear(struct staged *st)
{
	if (st->path)
		unlink(st->path);
	free(st->path);
	st->path = NULL;
}

void oci_txn_free(struct oci_txn *txn)
{
	size_t i;

	if (!txn)
		return;
	for (i = 0; i < txn->n_staged; i++)
		staged_clear(&txn->staged[i]);
	if (txn->dir)
		rmdir(txn->dir);
	if (txn->dir_fd >= 0)
		close(txn->dir_fd);
	free(txn->dir);
	free(txn->staged);
	strmap_fini(&txn->staged_at);
	free(txn->need);
	for (i = 0; i < txn->n_refs; i++) {
		free(txn->refs[i].ref);
		free(txn->refs[i].media_type);
	}
	free(txn->refs);
	free(txn);
}

/* The transaction's own folder in ingest/, made and locked once. */
static int txn_dir(struct oci_txn *txn, struct error **err)
{
	if (txn->dir)
		return 0;
	if (asprintf(&txn->dir, "%s/ingest/txn-XXXXXX", txn->store->dir) < 0) {
		txn->dir = NULL;
		return error_set(err, ENOMEM, "stage blob");
	}
	if (!mkdtemp(txn->dir)) {
		error_set(err, errno, "create %s", txn->dir);
		free(txn->dir);
		txn->dir = NULL;
		return -1;
	}
	txn->dir_fd = open(txn->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (txn->dir_fd < 0)
		return error_set(err, errno, "open %s", txn->dir);
	/* Live marker for oci_store_gc(); cannot block: the folder is new. */
	flock(txn->dir_fd, LOCK_EX | LOCK_NB);
	return 0;
}

int oci_txn_writer_open(struct oci_txn *txn, struct oci_blob_writer **out,
			struct error **err)
{
	struct oci_blob_writer *w;

	if (txn_dir(txn, err) < 0)
		return -1;
	w = calloc(1, sizeof(*w));
	if (!w)
		return error_set(err, ENOMEM, "stage blob");
	w->txn = txn;
	w->fd = -1;
	w->hash = oci_sha256_new();
	if (!w->hash || asprintf(&w->path, "%s/blob-XXXXXX", txn->dir) < 0) {
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

/* The staged blob digest; NULL if it is not staged.  staged_at may
 * still hold a digest oci_txn_drop_unused() dropped: its index then
 * names another blob, or none. */
static struct staged *staged_find(struct oci_txn *txn, const char *digest)
{
	size_t i;

	if (!strmap_get(&txn->staged_at, digest, &i) || i >= txn->n_staged ||
	    strcmp(txn->staged[i].digest, digest))
		return NULL;
	return &txn->staged[i];
}

/* Record the file at path (owned from now on) as staged blob digest;
 * NULL, path not taken, without memory. */
static struct staged *txn_staged_add(struct oci_txn *txn, char *path,
				     const char *digest, int64_t size,
				     bool used)
{
	struct staged *v;

	if (grow_array((void **)&txn->staged, &txn->cap_staged,
		       txn->n_staged + 1, sizeof(*v), 16) ||
	    strmap_set(&txn->staged_at, digest, txn->n_staged) < 0)
		return NULL;
	v = &txn->staged[txn->n_staged++];
	v->path = path;
	snprintf(v->digest, sizeof(v->digest), "%s", digest);
	v->size = size;
	v->used = used;
	return v;
}

int oci_blob_writer_finish(struct oci_blob_writer *w, const char *digest,
			   int64_t size, char digest_out[OCI_DIGEST_SIZE],
			   struct error **err)
{
	struct oci_txn *txn = w->txn;
	char got[OCI_DIGEST_SIZE];

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
	/* staged already: this copy goes (the same bytes) */
	if (!staged_find(txn, got)) {
		if (!txn_staged_add(txn, w->path, got, w->size, false)) {
			error_set(err, ENOMEM, "stage blob");
			goto fail;
		}
		w->path = NULL;
	}
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

/* Record digest (checked, not staged) as needed in the store. */
static int txn_need_add(struct oci_txn *txn, const char *digest,
			struct error **err)
{
	char(*v)[OCI_DIGEST_SIZE];

	v = realloc(txn->need, (txn->n_need + 1) * sizeof(*v));
	if (!v)
		return error_set(err, ENOMEM, "alloc");
	txn->need = v;
	memcpy(txn->need[txn->n_need++], digest, OCI_DIGEST_SIZE);
	return 0;
}

int oci_txn_need(struct oci_txn *txn, const char *digest, struct error **err)
{
	if (oci_digest_check(digest, err) < 0)
		return -1;
	if (staged_find(txn, digest))
		return 0; /* staged: the commit moves it in */
	return txn_need_add(txn, digest, err);
}

int oci_txn_keep(struct oci_txn *txn, const char *digest, struct error **err)
{
	cleanup_free char *src = NULL;
	char *path = NULL;
	struct stat st;

	if (oci_digest_check(digest, err) < 0)
		return -1;
	if (staged_find(txn, digest))
		return 0;
	if (txn_dir(txn, err) < 0)
		return -1;
	src = store_blob_path(txn->store, digest);
	if (!src ||
	    asprintf(&path, "%s/keep-%s", txn->dir, oci_digest_hex(digest)) < 0)
		return error_set(err, ENOMEM, "keep blob");
	if (link(src, path) < 0 || stat(path, &st) < 0) {
		int e = errno;

		unlink(path);
		free(path);
		if (e == ENOENT) {
			store_not_found(err, "blob", digest, txn->store->dir);
			return -1;
		}
		/* no hard link here (another file system under blobs/):
		 * the commit checks that it is still stored */
		return txn_need_add(txn, digest, err);
	}
	if (!txn_staged_add(txn, path, digest, st.st_size, true)) {
		unlink(path);
		free(path);
		return error_set(err, ENOMEM, "keep blob");
	}
	return 0;
}

bool oci_txn_has_blob(struct oci_txn *txn, const char *digest)
{
	return staged_find(txn, digest) ||
	       oci_store_has_blob(txn->store, digest);
}

int64_t oci_txn_blob_size(struct oci_txn *txn, const char *digest)
{
	cleanup_free char *path = NULL;
	struct staged *sb = staged_find(txn, digest);
	struct stat st;

	if (sb)
		return sb->size;
	if (!oci_digest_valid(digest))
		return -1;
	path = store_blob_path(txn->store, digest);
	if (!path || stat(path, &st) < 0)
		return -1;
	return st.st_size;
}

int oci_txn_read_blob(struct oci_txn *txn, const char *digest, int64_t size,
		      char **buf, size_t *len, struct error **err)
{
	cleanup_free char *data = NULL;
	struct staged *st = staged_find(txn, digest);
	char got[OCI_DIGEST_SIZE];
	size_t n;

	if (st && st->path) {
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
	/* doubling: an import sets thousands */
	if (grow_array((void **)&txn->refs, &txn->cap_refs, txn->n_refs + 1,
		       sizeof(*txn->refs), 16) < 0)
		return error_set(err, ENOMEM, "alloc");
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

/* Whether index.json entry e is c's. */
static bool entry_is(json_t *e, const struct ref_change *c)
{
	const char *mt = json_string_value(json_object_get(e, "mediaType"));
	const char *d = json_string_value(json_object_get(e, "digest"));

	return mt && d && !strcmp(mt, c->media_type) && !strcmp(d, c->digest) &&
	       json_integer_value(json_object_get(e, "size")) == c->size;
}

/*
 * The transaction's references set in idx: each reference's entries give
 * way to one of its last change, appended in the order of the changes,
 * unless that entry stands already as the reference's only one (not
 * written again: a pull of an image stored whole writes nothing, on a
 * full disk too).  *changed counts the entries made.  One pass over the
 * entries, the references hashed: an import names thousands.
 */
static int index_apply(json_t *idx, const struct oci_txn *txn, size_t *changed,
		       struct error **err)
{
	json_t *manifests = json_object_get(idx, "manifests");
	cleanup_strmap struct strmap last = { 0 }; /* ref -> its last change */
	cleanup_free size_t *count = calloc(txn->n_refs, sizeof(*count));
	cleanup_free bool *stands = calloc(txn->n_refs, sizeof(*stands));
	cleanup_json json_t *kept = json_array();
	json_t *e;
	size_t i, c;

	*changed = 0;
	if (!count || !stands || !kept)
		return error_set(err, ENOMEM, "update index.json");
	for (i = 0; i < txn->n_refs; i++)
		if (strmap_set(&last, txn->refs[i].ref, i) < 0)
			return error_set(err, ENOMEM, "update index.json");
	json_array_foreach (manifests, i, e) {
		const char *r = store_entry_ref(e);

		if (!r || !strmap_get(&last, r, &c))
			continue;
		count[c]++;
		stands[c] = entry_is(e, &txn->refs[c]);
	}
	for (i = 0; i < txn->n_refs; i++) {
		if (!strmap_get(&last, txn->refs[i].ref, &c) || c != i)
			continue; /* a later change of its reference wins */
		stands[i] = stands[i] && count[i] == 1;
		*changed += !stands[i];
	}
	if (!*changed)
		return 0;
	json_array_foreach (manifests, i, e) {
		const char *r = store_entry_ref(e);

		if (r && strmap_get(&last, r, &c) && !stands[c])
			continue;
		if (json_array_append(kept, e) < 0)
			return error_set(err, ENOMEM, "update index.json");
	}
	for (i = 0; i < txn->n_refs; i++) {
		const struct ref_change *rc = &txn->refs[i];

		if (!strmap_get(&last, rc->ref, &c) || c != i || stands[i])
			continue;
		e = json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType",
			      rc->media_type, "digest", rc->digest, "size",
			      (json_int_t)rc->size, "annotations",
			      OCI_ANN_REF_NAME, rc->ref);
		if (!e || json_array_append_new(kept, e) < 0)
			return error_set(err, ENOMEM, "update index.json");
	}
	if (json_object_set(idx, "manifests", kept) < 0)
		return error_set(err, ENOMEM, "update index.json");
	return 0;
}

void oci_txn_mark_used(struct oci_txn *txn, const char *digest)
{
	struct staged *st = staged_find(txn, digest);

	if (st)
		st->used = true;
}

void oci_txn_mark_built(struct oci_txn *txn, const char *digest)
{
	snprintf(txn->built, sizeof(txn->built), "%s", digest);
}

void oci_txn_drop_unused(struct oci_txn *txn)
{
	size_t i, n = 0;

	for (i = 0; i < txn->n_staged; i++) {
		if (!txn->staged[i].used) {
			staged_clear(&txn->staged[i]);
			continue;
		}
		txn->staged[n] = txn->staged[i];
		/* held already: replaced in place, no allocation */
		strmap_set(&txn->staged_at, txn->staged[n].digest, n);
		n++;
	}
	txn->n_staged = n;
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
	/* under the lock: what killed writers left behind goes */
	store_remove_stale(s);
	for (i = 0; i < txn->n_need; i++) {
		if (oci_store_has_blob(s, txn->need[i]))
			continue;
		store_not_found(err, "blob", txn->need[i], s->dir);
		return error_prefix(err, "commit");
	}
	for (i = 0; i < txn->n_staged; i++) {
		struct staged *st = &txn->staged[i];
		cleanup_free char *dst = store_blob_path(s, st->digest);

		if (!dst)
			return error_set(err, ENOMEM, "commit");
		/* over a stored copy too: the staged one was checked
		 * against its digest, the stored one may have rotted */
		if (rename(st->path, dst) < 0)
			return error_set(err, errno, "commit: rename %s",
					 st->path);
		/* a kept blob still stored is the same file under both
		 * names: rename(2) leaves both */
		unlink(st->path);
		free(st->path);
		st->path = NULL;
	}
	if (txn->n_staged)
		store_fsync_dir(blobs);
	if (*txn->built && store_mark_built(s, txn->built, err) < 0)
		return error_prefix(err, "commit");
	if (txn->n_refs) {
		size_t changed = 0;

		idx = store_index_load(s, err);
		if (!idx)
			return error_prefix(err, "commit");
		if (index_apply(idx, txn, &changed, err) < 0)
			return -1;
		if (changed && store_index_save(s, idx, err) < 0)
			return error_prefix(err, "commit");
	}
	/* Leftover staged copies of blobs that were already present. */
	for (i = 0; i < txn->n_staged; i++)
		staged_clear(&txn->staged[i]);
	txn->n_staged = 0;
	return 0;
}

/* A tag is a transaction: the blob it names is needed, the ref set. */
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
	    oci_txn_commit(txn, err) < 0) {
		oci_store_explain_gone(store, src, d->digest, err);
		goto out;
	}
	ret = 0;
out:
	oci_descriptor_free(d);
	if (ret < 0)
		error_prefix(err, "tag %s as %s", src, dst);
	return ret;
}
