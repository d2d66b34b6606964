// SPDX-License-Identifier: Apache-2.0
/*
 * oci_import() (oci/archive.c) of hostile OCI layout tars.  The store lives
 * four folders deep in a sandbox (on /dev/shm when it exists: imports
 * fsync); after every import nothing but the store and the input tar may
 * exist in the sandbox, the store may hold no link, no special file, no
 * staged leftover, and every blob must hash to its name; a failed import
 * leaves index.json as it was, a successful one names images that resolve.
 *
 * The input is text, so that seeds are readable and mutations keep the
 * structure.  Its first line is "raw", "tar" or "tgz", optionally followed
 * by " <tag>" (the --tag of the import).  After "raw" come the bytes of an
 * archive as is.  Otherwise entries follow, each a header line
 *   <type> <name>[ -> <link target>]      type: f d l h c p
 * (file, directory, symlink, hard link, character device, fifo) and, for
 * files, the content up to a line "%%".  In names and contents {dN} is
 * replaced by the digest of entry N's content (N a digit, an earlier
 * entry), {sN} by its size and {h} (names only) by the hex digest of the
 * entry's own content, so that seeds can describe valid layouts.
 *
 * Every image an import names is then read as `runner run` reads a stored
 * image (oci_store_get_gadget(): index, the amd64 manifest, its config
 * and program layer), and the config it gives is parsed as gadget.yaml.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "oci/archive.h"
#include "metadata/metadata.h"
#include "oci/digest.h"
#include "oci/gadget_image.h"
#include "oci/store.h"
#include "fuzz.h"

#define MAX_ENTRIES 32

struct entry {
	char type;
	char *name;
	char *target;
	char *content;
	size_t len;
	char digest[OCI_DIGEST_SIZE];
};

static char sandbox[128];
static char store_dir[192];
static char tar_path[192];
static struct oci_store *store;

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_sandbox(void)
{
	oci_store_free(store);
	store = NULL;
	nftw(sandbox, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void open_store(void)
{
	cleanup_error struct error *err = NULL;

	if (oci_store_open(store_dir, &store, &err) < 0) {
		fprintf(stderr, "fuzz_archive: %s\n", error_msg(err));
		exit(1);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = getenv("FUZZ_TMPDIR");

	if (!base)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	(void)argc;
	(void)argv;
	snprintf(sandbox, sizeof(sandbox), "%s/fuzz_archive.XXXXXX", base);
	if (!mkdtemp(sandbox)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(store_dir, sizeof(store_dir), "%s/a/b/c/store", sandbox);
	snprintf(tar_path, sizeof(tar_path), "%s/in.tar", sandbox);
	open_store();
	atexit(remove_sandbox);
	return 0;
}

/* Append n bytes to a growing buffer. */
static void put(char **buf, size_t *len, const char *s, size_t n)
{
	char *p = realloc(*buf, *len + n + 1);

	if (!p)
		abort();
	memcpy(p + *len, s, n);
	*len += n;
	p[*len] = '\0';
	*buf = p;
}

/* s[0..n) with {dN}, {sN} and {h} replaced. */
static char *expand(const char *s, size_t n, const struct entry *e,
		    size_t count, const char *own_hex, size_t *out_len)
{
	char *out = NULL;
	size_t len = 0, i = 0;

	put(&out, &len, "", 0);
	while (i < n) {
		if (s[i] == '{' && i + 3 < n && s[i + 3] == '}' &&
		    (s[i + 1] == 'd' || s[i + 1] == 's') && s[i + 2] >= '0' &&
		    s[i + 2] <= '9' && (size_t)(s[i + 2] - '0') < count) {
			const struct entry *r = &e[s[i + 2] - '0'];
			char num[32];

			if (s[i + 1] == 'd') {
				put(&out, &len, r->digest, strlen(r->digest));
			} else {
				snprintf(num, sizeof(num), "%zu", r->len);
				put(&out, &len, num, strlen(num));
			}
			i += 4;
		} else if (own_hex && i + 3 <= n && !memcmp(s + i, "{h}", 3)) {
			put(&out, &len, own_hex, strlen(own_hex));
			i += 3;
		} else {
			put(&out, &len, s + i, 1);
			i++;
		}
	}
	*out_len = len;
	return out;
}

/* The line at *p (without its newline); advances *p past it. */
static const char *next_line(const char **p, const char *end, size_t *n)
{
	const char *s = *p, *nl;

	if (s >= end)
		return NULL;
	nl = memchr(s, '\n', end - s);
	*n = nl ? (size_t)(nl - s) : (size_t)(end - s);
	*p = nl ? nl + 1 : end;
	return s;
}

static size_t parse_entries(const char *p, const char *end, struct entry *e)
{
	size_t count = 0, n, len;
	const char *line;

	while (count < MAX_ENTRIES && (line = next_line(&p, end, &n))) {
		struct entry *x = &e[count];
		const char *name = line + 2, *arrow, *body = p, *stop = NULL;
		size_t name_len;

		if (n < 3 || line[1] != ' ' || !strchr("fdlhcp", line[0]))
			continue;
		x->type = line[0];
		arrow = memmem(name, n - 2, " -> ", 4);
		name_len = arrow ? (size_t)(arrow - name) : n - 2;
		if (arrow)
			x->target = expand(arrow + 4, line + n - arrow - 4, e,
					   count, NULL, &len);
		if (x->type == 'f') {
			/* the content ends before a line "%%", or at the end */
			while ((line = next_line(&p, end, &len))) {
				if (len == 2 && !memcmp(line, "%%", 2)) {
					stop = line;
					break;
				}
			}
			if (!stop)
				stop = end;
			else if (stop > body)
				stop--; /* the newline before "%%" */
			x->content = expand(body, stop - body, e, count, NULL,
					    &x->len);
		} else {
			x->content = expand("", 0, e, count, NULL, &x->len);
		}
		oci_digest_buf(x->content, x->len, x->digest);
		x->name = expand(name, name_len, e, count,
				 oci_digest_hex(x->digest), &len);
		count++;
	}
	return count;
}

static void free_entries(struct entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].target);
		free(e[i].content);
	}
}

static const mode_t types[] = {
	['f'] = AE_IFREG, ['d'] = AE_IFDIR, ['l'] = AE_IFLNK,
	['h'] = AE_IFREG, ['c'] = AE_IFCHR, ['p'] = AE_IFIFO,
};

/* Write the entries as a tar (gzip'ed when gz) at tar_path. */
static void write_tar(const struct entry *e, size_t n, bool gz)
{
	struct archive *a = archive_write_new();

	if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    (gz && archive_write_add_filter_gzip(a) != ARCHIVE_OK) ||
	    archive_write_open_filename(a, tar_path) != ARCHIVE_OK)
		FUZZ_CHECK(0, "write %s: %s", tar_path,
			   a ? archive_error_string(a) : "no memory");
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();

		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_filetype(ae, types[(int)e[i].type]);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_mtime(ae, 1700000000, 0);
		if (e[i].type == 'l')
			archive_entry_set_symlink(
				ae, e[i].target ? e[i].target : "x");
		if (e[i].type == 'h')
			archive_entry_set_hardlink(
				ae, e[i].target ? e[i].target : "x");
		if (e[i].type == 'c')
			archive_entry_set_rdev(ae, makedev(1, 3));
		if (e[i].type == 'f')
			archive_entry_set_size(ae, e[i].len);
		/* a header libarchive refuses (an empty name) is skipped */
		if (archive_write_header(a, ae) == ARCHIVE_OK &&
		    e[i].type == 'f')
			archive_write_data(a, e[i].content, e[i].len);
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static void write_raw(const char *p, size_t n)
{
	cleanup_fclose FILE *f = fopen(tar_path, "w");

	FUZZ_CHECK(f && fwrite(p, 1, n, f) == n, "write %s", tar_path);
}

/* Read an imported image as a run does: index -> manifest -> blobs. */
static void check_gadget(const char *ref)
{
	cleanup_error struct error *err = NULL;
	cleanup_gadget struct oci_gadget *g = NULL;
	struct gadget_metadata *md = NULL;

	if (oci_store_get_gadget(store, ref, "amd64", &g, &err) < 0) {
		FUZZ_CHECK(!g && err && err->msg, "%s: failure", ref);
		return;
	}
	FUZZ_CHECK(g && g->config && g->program && g->digest &&
			   oci_digest_valid(g->digest),
		   "%s: incomplete gadget", ref);
	FUZZ_CHECK(strlen(g->config) <= g->config_len,
		   "%s: config not terminated", ref);
	if (metadata_parse(g->config, g->config_len, "gadget.yaml", &md, &err) <
	    0)
		FUZZ_CHECK(!md && err && err->msg, "%s: metadata failure", ref);
	metadata_free(md);
}

/* What may exist in the sandbox after an import; checks blob contents. */
static int check_path(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	size_t sl = strlen(store_dir);
	const char *rel;

	(void)ftw;
	if (!strcmp(path, sandbox) || !strcmp(path, tar_path))
		return 0;
	if (strncmp(path, store_dir, sl) != 0) {
		/* only the folders that lead to the store */
		FUZZ_CHECK(flag == FTW_D &&
				   !strncmp(store_dir, path, strlen(path)),
			   "import wrote outside the store: %s", path);
		return 0;
	}
	rel = path + sl;
	FUZZ_CHECK(S_ISDIR(st->st_mode) || S_ISREG(st->st_mode),
		   "store holds a link or special file: %s", path);
	if (!strncmp(rel, "/ingest/", 8))
		FUZZ_CHECK(0, "staged file left behind: %s", path);
	if (!strncmp(rel, "/blobs/sha256/", 14)) {
		cleanup_error struct error *err = NULL;
		cleanup_free char *buf = NULL;
		char digest[OCI_DIGEST_SIZE];
		size_t len;

		FUZZ_CHECK(S_ISREG(st->st_mode), "blob folder %s", path);
		if (read_file(path, &buf, &len, &err) < 0)
			FUZZ_CHECK(0, "%s", error_msg(err));
		oci_digest_buf(buf, len, digest);
		FUZZ_CHECK(!strcmp(oci_digest_hex(digest), rel + 14),
			   "blob %s holds %s", path, digest);
		return 0;
	}
	FUZZ_CHECK(!strcmp(rel, "") || !strcmp(rel, "/blobs") ||
			   !strcmp(rel, "/blobs/sha256") ||
			   !strcmp(rel, "/ingest") ||
			   !strcmp(rel, "/oci-layout") ||
			   !strcmp(rel, "/index.json") ||
			   !strcmp(rel, "/index.json.lock") ||
			   !strcmp(rel, "/runner-reserve"),
		   "unexpected file in the store: %s", path);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cleanup_error struct error *err = NULL;
	struct entry e[MAX_ENTRIES] = { 0 };
	const char *p = (const char *)data, *end = p + size, *line;
	cleanup_free char *tag = NULL;
	cleanup_free char *before = NULL;
	cleanup_free char *after = NULL;
	char **refs = NULL, index[256];
	size_t n = 0, count, len, before_len = 0, after_len = 0;
	int r;

	line = next_line(&p, end, &len);
	if (!line || len < 3)
		return 0;
	if (len > 4 && line[3] == ' ')
		tag = fuzz_strndup((const uint8_t *)line + 4, len - 4);
	if (!memcmp(line, "raw", 3)) {
		write_raw(p, end - p);
	} else if (!memcmp(line, "tar", 3) || !memcmp(line, "tgz", 3)) {
		count = parse_entries(p, end, e);
		write_tar(e, count, line[1] == 'g');
		free_entries(e, count);
	} else {
		return 0;
	}

	snprintf(index, sizeof(index), "%s/index.json", store_dir);
	if (read_file(index, &before, &before_len, &err) < 0)
		FUZZ_CHECK(0, "%s", error_msg(err));
	r = oci_import(store, tar_path, tag, NULL, &refs, &n, &err);
	if (r < 0) { /* a failed import changes nothing visible */
		cleanup_error struct error *rerr = NULL;

		if (read_file(index, &after, &after_len, &rerr) < 0)
			FUZZ_CHECK(0, "%s", error_msg(rerr));
		FUZZ_CHECK(before_len == after_len &&
				   !memcmp(before, after, before_len),
			   "a failed import changed index.json");
	}
	FUZZ_CHECK(r == 0 || (err && err->msg), "failure without a message");
	FUZZ_CHECK(r < 0 || n > 0, "success without an image");
	if (getenv("FUZZ_DEBUG")) /* to check what a seed does */
		fprintf(stderr, "import: %s\n", r < 0 ? error_msg(err) : "ok");
	for (size_t i = 0; i < n; i++) {
		cleanup_error struct error *rerr = NULL;
		struct oci_descriptor *d = NULL;

		if (oci_store_resolve(store, refs[i], &d, &rerr) < 0)
			FUZZ_CHECK(0, "imported %s does not resolve: %s",
				   refs[i], error_msg(rerr));
		oci_descriptor_free(d);
		check_gadget(refs[i]);
		free(refs[i]);
	}
	free(refs);
	nftw(sandbox, check_path, 16, FTW_PHYS);
	if (r == 0) { /* start the next input from an empty store */
		remove_sandbox();
		if (mkdir(sandbox, 0700) < 0)
			FUZZ_CHECK(0, "mkdir %s: %s", sandbox, strerror(errno));
		open_store();
	}
	return 0;
}
