// SPDX-License-Identifier: Apache-2.0
/*
 * OCI image-layout tars.  Export streams blobs from the store into a pax
 * archive written to a temporary file that is renamed into place.  Import
 * streams every blob of the archive into a store transaction (each one
 * checked against the digest its file name claims), then checks that the
 * images the archive's index.json names are complete, and only then
 * commits.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/lazy_archive.h"
#include "common/cleanup.h"
#include "common/fileutil.h"
#include "common/json.h"
#include "oci/archive.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/sign.h"
#include "oci/ref.h"
#include "oci/store.h"
#include "oci/store_txn.h"
#include "oci/strmap.h"

#define COPY_CHUNK (64 * 1024)

/*
 * The system's errno behind a's last error, or 0: libarchive's "Write
 * error" and "Error reading" say no why (a full disk, a directory), its own
 * codes for a bad format, a misuse or anything else (ARCHIVE_ERRNO_FILE_FORMAT
 * is EILSEQ, _PROGRAMMER EINVAL, _MISC -1) have no system reason to add.
 */
static int archive_why(struct archive *a)
{
	int e = archive_errno(a);

	return e == EILSEQ || e == EINVAL || e < 0 ? 0 : e;
}

struct blob_list {
	struct oci_descriptor *v; /* media_type, digest, size only */
	size_t n;
};

static bool list_has(const struct blob_list *l, const char *digest)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].digest, digest))
			return true;
	return false;
}

static int list_add(struct blob_list *l, const char *digest, int64_t size,
		    struct error **err)
{
	struct oci_descriptor *v;

	if (list_has(l, digest))
		return 0;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return error_set(err, ENOMEM, "alloc");
	l->v = v;
	memset(&v[l->n], 0, sizeof(v[l->n]));
	v[l->n].digest = strdup(digest);
	v[l->n].size = size;
	if (!v[l->n].digest)
		return error_set(err, ENOMEM, "alloc");
	l->n++;
	return 0;
}

static void list_clear(struct blob_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].digest);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Add digest and everything it references (which must all be stored). */
static int collect(struct oci_store *s, struct blob_list *l, const char *mt,
		   const char *digest, int64_t size, int depth,
		   struct error **err)
{
	cleanup_free char *buf = NULL;
	cleanup_doc struct oci_doc doc = { 0 };
	enum oci_kind kind = oci_media_kind(mt);
	const struct oci_descriptor *c;
	size_t i, len;

	if (list_has(l, digest))
		return 0;
	if (oci_nesting_check(depth, err) < 0)
		return -1;
	if (kind == OCI_KIND_OTHER) {
		struct stat st;
		cleanup_close int fd = oci_store_open_blob(s, digest, err);

		if (fd < 0 || fstat(fd, &st) < 0)
			return error_set(err, errno ? errno : 0,
					 "image is incomplete: blob %s",
					 digest);
		if (size >= 0 && st.st_size != size)
			return error_set(err, 0, "blob %s has the wrong size",
					 digest);
		return list_add(l, digest, st.st_size, err);
	}
	if (oci_store_read_blob(s, digest, size, &buf, &len, err) < 0)
		return error_prefix(err, "image is incomplete");
	if (list_add(l, digest, len, err) < 0 ||
	    oci_doc_parse(mt, buf, len, &doc, err) < 0)
		return -1;
	for (i = 0; (c = oci_doc_child(&doc, i)); i++)
		if (collect(s, l, c->media_type, c->digest, c->size, depth + 1,
			    err) < 0)
			return -1;
	return 0;
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_write_free(*a);
}

static void archive_read_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

static void entry_freep(struct archive_entry **e)
{
	if (*e)
		archive_entry_free(*e);
}

#define cleanup_archive_write __attribute__((cleanup(archive_freep)))
#define cleanup_archive_read __attribute__((cleanup(archive_read_freep)))
#define cleanup_entry __attribute__((cleanup(entry_freep)))

static int write_header(struct archive *a, const char *name, mode_t type,
			int64_t size, struct error **err)
{
	cleanup_entry struct archive_entry *e = archive_entry_new();

	if (!e)
		return error_set(err, ENOMEM, "alloc");
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_size(e, type == AE_IFDIR ? 0 : size);
	archive_entry_set_mtime(e, 0, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return error_set(err, archive_why(a), "write %s: %s", name,
				 archive_error_string(a));
	return 0;
}

static int write_mem(struct archive *a, const char *name, const void *buf,
		     size_t len, struct error **err)
{
	if (write_header(a, name, AE_IFREG, len, err) < 0)
		return -1;
	if (len && archive_write_data(a, buf, len) != (la_ssize_t)len)
		return error_set(err, archive_why(a), "write %s: %s", name,
				 archive_error_string(a));
	return 0;
}

static void sha256_freep(struct oci_sha256 **h)
{
	oci_sha256_free(*h);
}

/*
 * The stored blob d as an archive member, hashed on the way: a blob
 * rotten in the store fails the export (as the store's reads of it do)
 * instead of making an archive that no import takes.
 */
static int write_blob(struct archive *a, struct oci_store *s,
		      const struct oci_descriptor *d, struct error **err)
{
	cleanup_close int fd = oci_store_open_blob(s, d->digest, err);
	__attribute__((cleanup(sha256_freep))) struct oci_sha256 *h =
		oci_sha256_new();
	char name[32 + OCI_DIGEST_SIZE], got[OCI_DIGEST_SIZE];
	char buf[COPY_CHUNK];
	int64_t left = d->size;

	if (fd < 0)
		return -1;
	if (!h)
		return error_set(err, ENOMEM, "alloc");
	snprintf(name, sizeof(name), "blobs/sha256/%s",
		 oci_digest_hex(d->digest));
	if (write_header(a, name, AE_IFREG, d->size, err) < 0)
		return -1;
	while (left > 0) {
		ssize_t n = read(fd, buf,
				 left < (int64_t)sizeof(buf) ? (size_t)left :
							       sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_set(err, n < 0 ? errno : 0, "read blob %s",
					 d->digest);
		oci_sha256_update(h, buf, n);
		if (archive_write_data(a, buf, n) != n)
			return error_set(err, archive_why(a), "write %s: %s",
					 name, archive_error_string(a));
		left -= n;
	}
	oci_sha256_final(h, got);
	if (strcmp(got, d->digest))
		return error_set(err, 0,
				 "blob %s is corrupt: content has digest %s",
				 d->digest, got);
	return 0;
}

static int export_to_fd(struct oci_store *store, const char *const *refs,
			size_t n, int fd, struct error **err)
{
	cleanup_archive_write struct archive *a = archive_write_new();
	cleanup_json json_t *index = NULL;
	cleanup_free char *index_buf = NULL;
	struct blob_list blobs = { 0 };
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	size_t i;
	int ret = -1;

	index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
			  OCI_MT_INDEX, "manifests");
	if (!a || !index)
		return error_set(err, ENOMEM, "alloc");
	for (i = 0; i < n; i++) {
		struct oci_descriptor *d = NULL;
		json_t *e;
		size_t j;

		/* a name given twice is one entry of the archive's index */
		for (j = 0; j < i && strcmp(refs[j], refs[i]); j++)
			;
		if (j < i)
			continue;
		if (oci_store_resolve(store, refs[i], &d, err) < 0)
			goto out;
		if (collect(store, &blobs, d->media_type, d->digest, d->size, 0,
			    err) < 0) {
			error_prefix(err, "%s", refs[i]);
			oci_descriptor_free(d);
			goto out;
		}
		e = json_pack("{s:s, s:s, s:I}", "mediaType", d->media_type,
			      "digest", d->digest, "size", (json_int_t)d->size);
		if (e && !oci_digest_valid(refs[i]))
			json_object_set_new(e, "annotations",
					    json_pack("{s:s}", OCI_ANN_REF_NAME,
						      refs[i]));
		oci_descriptor_free(d);
		if (!e || json_array_append_new(
				  json_object_get(index, "manifests"), e) < 0) {
			error_set(err, ENOMEM, "alloc");
			goto out;
		}
	}
	index_buf = json_dumps(index, JSON_COMPACT);
	if (!index_buf) {
		error_set(err, ENOMEM, "alloc");
		goto out;
	}
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		error_set(err, archive_why(a), "%s", archive_error_string(a));
		goto out;
	}
	if (write_mem(a, "oci-layout", layout, strlen(layout), err) < 0 ||
	    write_mem(a, "index.json", index_buf, strlen(index_buf), err) < 0 ||
	    write_header(a, "blobs/", AE_IFDIR, 0, err) < 0 ||
	    write_header(a, "blobs/sha256/", AE_IFDIR, 0, err) < 0)
		goto out;
	for (i = 0; i < blobs.n; i++)
		if (write_blob(a, store, &blobs.v[i], err) < 0)
			goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		error_set(err, archive_why(a), "%s", archive_error_string(a));
		goto out;
	}
	ret = 0;
out:
	list_clear(&blobs);
	return ret;
}

int oci_export(struct oci_store *store, const char *const *refs, size_t n,
	       const char *path, struct error **err)
{
	struct out_file f;

	if (!strcmp(path, "-")) {
		if (export_to_fd(store, refs, n, STDOUT_FILENO, err) < 0)
			return error_prefix(err, "export");
		return 0;
	}
	if (out_file_open(&f, path, 0644, err))
		return error_prefix(err, "export");
	if (export_to_fd(store, refs, n, f.fd, err) < 0) {
		out_file_abort(&f);
		return error_prefix(err, "export %s", path);
	}
	if (out_file_commit(&f, err))
		return error_prefix(err, "export");
	return 0;
}

/* ---- import ---- */

/*
 * The archive member name without leading "./", or NULL (with an error)
 * when it is absolute or climbs out with "..".
 */
static const char *safe_name(const char *name, struct error **err)
{
	const char *p;

	if (!name || !*name) {
		error_set(err, 0, "entry without a name");
		return NULL;
	}
	if (name[0] == '/') {
		error_set(err, 0, "refusing absolute path \"%.200s\"", name);
		return NULL;
	}
	for (p = name; *p;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == 2 && !strncmp(p, "..", 2)) {
			error_set(err, 0,
				  "refusing path with \"..\": \"%.200s\"",
				  name);
			return NULL;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	while (!strncmp(name, "./", 2)) {
		name += 2;
		while (*name == '/')
			name++;
	}
	return name;
}

static int read_member(struct archive *a, const char *name, int64_t size,
		       char **out, size_t *len, struct error **err)
{
	cleanup_free char *buf = NULL;
	size_t n = 0;

	if (size < 0 || size > OCI_MAX_MANIFEST_SIZE)
		return error_set(err, 0, "%s: too large", name);
	buf = malloc(size + 1);
	if (!buf)
		return error_set(err, ENOMEM, "alloc");
	while (n < (size_t)size) {
		la_ssize_t r = archive_read_data(a, buf + n, size - n);

		if (r < 0)
			return error_set(err, archive_why(a), "read %s: %s",
					 name, archive_error_string(a));
		if (r == 0)
			return error_set(err, 0, "%s: truncated", name);
		n += r;
	}
	buf[n] = '\0';
	*out = steal_ptr(buf);
	*len = n;
	return 0;
}

static int stage_member(struct archive *a, struct oci_txn *txn,
			const char *name, const char *hex, int64_t size,
			struct error **err)
{
	char digest[OCI_DIGEST_SIZE + 8];
	struct oci_blob_writer *w = NULL;
	char buf[COPY_CHUNK];

	snprintf(digest, sizeof(digest), "sha256:%.70s", hex);
	if (!oci_digest_valid(digest))
		return error_set(err, 0, "%s: not a sha256 digest", name);
	/* refused before a byte is written: no media type allows more */
	if (size > OCI_MAX_BLOB_SIZE)
		return error_set(err, 0,
				 "%s: %lld bytes, more than the %lld a blob "
				 "may have",
				 name, (long long)size,
				 (long long)OCI_MAX_BLOB_SIZE);
	if (oci_txn_writer_open(txn, &w, err) < 0)
		return -1;
	for (;;) {
		la_ssize_t r = archive_read_data(a, buf, sizeof(buf));

		if (r < 0) {
			error_set(err, archive_why(a), "read %s: %s", name,
				  archive_error_string(a));
			oci_blob_writer_abort(w);
			return -1;
		}
		if (r == 0)
			break;
		if (oci_blob_writer_write(w, buf, r, err) < 0) {
			oci_blob_writer_abort(w);
			return -1;
		}
	}
	if (oci_blob_writer_finish(w, digest, size, NULL, err) < 0)
		return error_prefix(err, "%s", name);
	return 0;
}

/*
 * Check that what d names is in txn (staged or stored), recursively; each
 * document of docs is read once, its every descriptor checked.
 */
static int verify_graph(struct oci_txn *txn, struct oci_seen *docs,
			const struct oci_descriptor *d, int depth,
			struct error **err)
{
	cleanup_free char *buf = NULL;
	cleanup_doc struct oci_doc doc = { 0 };
	enum oci_kind kind = oci_media_kind(d->media_type);
	const struct oci_descriptor *c;
	int64_t have;
	size_t i, len;
	int seen;

	if (oci_nesting_check(depth, err) < 0)
		return -1;
	if (d->size > oci_media_max_size(d->media_type))
		return error_set(err, 0,
				 "blob %s of %s: %lld bytes, more than the "
				 "%lld allowed",
				 d->digest, d->media_type, (long long)d->size,
				 (long long)oci_media_max_size(d->media_type));
	oci_txn_mark_used(txn, d->digest);
	have = oci_txn_blob_size(txn, d->digest);
	if (have < 0)
		return error_set(err, 0, "blob %s is missing", d->digest);
	if (have != d->size)
		return error_set(err, 0,
				 "blob %s has %lld bytes, its descriptor says "
				 "%lld",
				 d->digest, (long long)have,
				 (long long)d->size);
	/* one the archive lacks is stored: kept for the commit */
	if (oci_txn_keep(txn, d->digest, err) < 0)
		return -1;
	if (kind == OCI_KIND_OTHER)
		return 0;
	seen = oci_seen_add(docs, d->digest, err);
	if (seen)
		return seen < 0 ? -1 : 0;
	if (oci_txn_read_blob(txn, d->digest, d->size, &buf, &len, err) < 0 ||
	    oci_doc_parse(d->media_type, buf, len, &doc, err) < 0)
		return -1;
	for (i = 0; (c = oci_doc_child(&doc, i)); i++)
		if (verify_graph(txn, docs, c, depth + 1, err) < 0)
			return -1;
	return 0;
}

static int read_archive(struct archive *a, struct oci_txn *txn, char **index,
			size_t *index_len, bool *have_layout,
			struct error **err)
{
	struct archive_entry *e;
	int64_t total = 0;
	int r;

	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = safe_name(archive_entry_pathname(e), err);
		mode_t type = archive_entry_filetype(e);
		int64_t size = archive_entry_size(e);

		if (!name)
			return -1;
		/* refused at the header that goes past it, as a blob too
		 * large for any media type */
		if (size > 0 && size <= OCI_MAX_IMPORT_SIZE)
			total += (size + 511) / 512 * 512;
		total += 512;
		if (size > OCI_MAX_IMPORT_SIZE || total > OCI_MAX_IMPORT_SIZE)
			return error_set(err, 0,
					 "%.200s: the archive is larger than "
					 "the %lld bytes an import reads",
					 name, (long long)OCI_MAX_IMPORT_SIZE);
		if (archive_entry_hardlink(e) || archive_entry_symlink(e) ||
		    type == AE_IFLNK)
			return error_set(err, 0, "refusing link \"%.200s\"",
					 name);
		if (type == AE_IFDIR)
			continue;
		if (type != AE_IFREG)
			return error_set(err, 0,
					 "refusing special file \"%.200s\"",
					 name);
		if (!strcmp(name, "index.json")) {
			free(*index);
			*index = NULL;
			if (read_member(a, name, size, index, index_len, err) <
			    0)
				return -1;
		} else if (!strcmp(name, "oci-layout")) {
			cleanup_free char *buf = NULL;
			cleanup_json json_t *j = NULL;
			size_t len;

			if (read_member(a, name, size, &buf, &len, err) < 0)
				return -1;
			j = json_loadb(buf, len, 0, NULL);
			if (!json_is_string(
				    json_object_get(j, "imageLayoutVersion")))
				return error_set(err, 0,
						 "oci-layout: no "
						 "imageLayoutVersion");
			*have_layout = true;
		} else if (!strncmp(name, "blobs/sha256/", 13)) {
			if (stage_member(a, txn, name, name + 13, size, err) <
			    0)
				return -1;
		} else if (!strncmp(name, "blobs/", 6)) {
			return error_set(err, 0,
					 "%.200s: unsupported digest algorithm",
					 name);
		}
		/* anything else is not part of the layout: skipped */
	}
	if (r != ARCHIVE_EOF)
		return error_set(err, archive_why(a), "%s",
				 archive_error_string(a));
	if (!*have_layout)
		return error_set(err, 0,
				 "not an OCI image layout (no "
				 "oci-layout file)");
	if (!*index)
		return error_set(err, 0,
				 "not an OCI image layout (no "
				 "index.json)");
	return 0;
}

/* The reference to store entry d under; NULL with an error if none. */
static char *entry_target(const struct oci_descriptor *d, size_t n_entries,
			  const char *tag, const char *prefix,
			  struct error **err)
{
	const char *name =
		oci_kv_get(d->annotations, d->n_annotations, OCI_ANN_REF_NAME);
	char *out = NULL;

	if (tag) {
		if (n_entries != 1) {
			error_set(err, 0,
				  "the archive holds %zu images; a tag can "
				  "only name one",
				  n_entries);
			return NULL;
		}
		name = tag;
	} else if (!name) {
		error_set(err, 0,
			  "image %s in the archive has no name; name it "
			  "with a tag (--tag REF)",
			  d->digest);
		return NULL;
	} else if (!strchr(name, '/')) {
		error_set(err, 0,
			  "image in the archive is named \"%.100s\", not a "
			  "full reference; name it with a tag (--tag REF)",
			  name);
		return NULL;
	}
	if (oci_ref_normalize(name, prefix, &out, err) < 0)
		return NULL;
	/* "x@sha256:..." names one content: the entry's, or nothing */
	{
		const char *at = strrchr(out, '@');

		if (at && strcmp(at + 1, d->digest)) {
			error_set(err, 0,
				  "image named %.200s in the archive is %s",
				  out, d->digest);
			free(out);
			return NULL;
		}
	}
	return out;
}

/* Whether entry d of an archive's index is a signature (its name's tag is
 * sha256-<hex>.sig or a referrers tag): no image of its own. */
static bool signature_entry(const struct oci_descriptor *d)
{
	const char *name =
		oci_kv_get(d->annotations, d->n_annotations, OCI_ANN_REF_NAME);

	return name && oci_is_signature_ref(name);
}

/*
 * The reference to store signature entry d under: its own full name, or,
 * for a bare tag (ig's export names them "sha256-<hex>.sig"), that tag in
 * the repository of the image it signs, the first of names[] with a tag
 * whose entry has that digest (tagged: digest -> its index in names[]);
 * bare when the archive has no such image.
 */
static char *signature_target(const struct oci_descriptor *d,
			      const struct strmap *tagged, char *const *names,
			      const char *prefix, struct error **err)
{
	const char *name =
		oci_kv_get(d->annotations, d->n_annotations, OCI_ANN_REF_NAME);
	const char *hex = oci_stored_tag(name) + 7;
	char digest[OCI_DIGEST_SIZE];
	char *out = NULL;
	size_t k;

	if (strchr(name, '/'))
		return entry_target(d, 1, NULL, prefix, err);
	snprintf(digest, sizeof(digest), "sha256:%.64s", hex);
	if (strmap_get(tagged, digest, &k)) {
		const char *t = oci_stored_tag(names[k]);

		if (asprintf(&out, "%.*s:%s", (int)(t - 1 - names[k]), names[k],
			     name) < 0)
			out = NULL;
	} else {
		out = strdup(name);
	}
	if (!out)
		error_set(err, ENOMEM, "alloc");
	return out;
}

/*
 * 1 when names[n] (entry d's) was among names[0..n-1] (named: name -> its
 * entry's digest in idx, of[]), else 0: an archive may name one content
 * twice (stored once), never two contents alike (-1: which one to store
 * would be a guess).
 */
static int named_before(const struct oci_index *idx, char *const *names,
			const size_t *of, const struct strmap *named, size_t n,
			const struct oci_descriptor *d, struct error **err)
{
	const char *was;
	size_t k;

	if (!strmap_get(named, names[n], &k))
		return 0;
	was = idx->manifests[of[k]].digest;
	if (strcmp(was, d->digest))
		return error_set(err, 0,
				 "the archive names %.200s twice, as %s and "
				 "as %s",
				 names[n], was, d->digest);
	return 1;
}

int oci_import(struct oci_store *store, const char *path, const char *tag,
	       const char *default_prefix, char ***refs, size_t *n_refs,
	       struct error **err)
{
	cleanup_archive_read struct archive *a = archive_read_new();
	cleanup_txn struct oci_txn *txn = NULL;
	cleanup_free char *index_buf = NULL;
	cleanup_index struct oci_index *idx = NULL;
	cleanup_seen struct oci_seen docs = { 0 };
	cleanup_free size_t *of = NULL; /* names[k] is manifests[of[k]]'s */
	/* name -> k; a tagged entry's digest -> its first k (hashed: an
	 * archive may name thousands) */
	cleanup_strmap struct strmap named = { 0 }, tagged = { 0 };
	char **names = NULL;
	size_t index_len = 0, i, n = 0, n_img = 0;
	bool have_layout = false;
	int r, pass;

	if (refs)
		*refs = NULL;
	if (n_refs)
		*n_refs = 0;
	if (!a)
		return error_set(err, ENOMEM, "import %s", path);
	/* libarchive reads stdin for "": only "-" means it */
	if (!*path)
		return error_set(err, 0,
				 "import: an empty path names no "
				 "archive");
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (!strcmp(path, "-"))
		r = archive_read_open_fd(a, STDIN_FILENO, COPY_CHUNK);
	else
		r = archive_read_open_filename(a, path, COPY_CHUNK);
	if (r != ARCHIVE_OK)
		return error_set(err, archive_why(a), "import %s: %s", path,
				 archive_error_string(a));
	if (oci_txn_begin(store, &txn, err) < 0 ||
	    read_archive(a, txn, &index_buf, &index_len, &have_layout, err) <
		    0 ||
	    oci_index_parse(index_buf, index_len, &idx, err) < 0)
		return error_prefix(err, "import %s", path);
	if (idx->n_manifests == 0)
		return error_set(err, 0,
				 "import %s: the archive holds no image", path);
	names = calloc(idx->n_manifests, sizeof(*names));
	of = calloc(idx->n_manifests, sizeof(*of));
	if (!names || !of) {
		free(names);
		return error_set(err, ENOMEM, "import %s", path);
	}
	/* images first, then the signatures, named after what they sign */
	for (i = 0; i < idx->n_manifests; i++)
		n_img += !signature_entry(&idx->manifests[i]);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < idx->n_manifests; i++) {
			const struct oci_descriptor *d = &idx->manifests[i];

			if (signature_entry(d) != (pass == 1))
				continue;
			if (oci_media_kind(d->media_type) == OCI_KIND_OTHER) {
				error_set(err, 0, "unsupported media type %s",
					  d->media_type);
				goto fail;
			}
			names[n] = pass ? signature_target(d, &tagged, names,
							   default_prefix,
							   err) :
					  entry_target(d, n_img, tag,
						       default_prefix, err);
			if (!names[n])
				goto fail;
			r = named_before(idx, names, of, &named, n, d, err);
			if (r) {
				free(names[n]);
				names[n] = NULL;
				if (r < 0)
					goto fail;
				continue;
			}
			if (strmap_add(&named, names[n], n) < 0 ||
			    (oci_stored_tag(names[n]) &&
			     strmap_add(&tagged, d->digest, n) < 0)) {
				free(names[n]);
				names[n] = NULL;
				error_set(err, ENOMEM, "alloc");
				goto fail;
			}
			of[n++] = i;
			if (verify_graph(txn, &docs, d, 0, err) < 0 ||
			    oci_txn_set_ref(txn, names[n - 1], d->media_type,
					    d->digest, d->size, err) < 0)
				goto fail;
		}
	}
	/* blobs of the archive that no image uses stay out of the store */
	oci_txn_drop_unused(txn);
	if (oci_txn_commit(txn, err) < 0)
		goto fail;
	if (refs) {
		*refs = names;
		*n_refs = n;
	} else {
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	return 0;
fail:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return error_prefix(err, "import %s", path);
}
