// SPDX-License-Identifier: Apache-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "oci/manifest.h"
#include "oci/gadget_image.h"
#include "oci/sign_store.h"
#include "oci/store.h"
#include "oci/store_txn.h"
#include "oci/strmap.h"
#include "tests/unit/alloc_fx.h"

#define REF "ghcr.io/inspektor-gadget/gadget/trace_dns:latest"
#define YAML "name: trace dns\ndescription: trace DNS\n"

struct fixture {
	char dir[64];
	struct oci_store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct error *err = NULL;

	strcpy(f->dir, "/tmp/test_oci_store.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	if (oci_store_open(f->dir, &f->store, &err) < 0) {
		error_free(err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	oci_store_free(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void add(struct fixture *f, const char *ref, const char *program,
		char **digest)
{
	cleanup_error struct error *err = NULL;
	struct oci_gadget_arch archs[] = {
		{ "amd64", program, strlen(program), NULL, 0 },
		{ "arm64", "arm64-elf", 9, NULL, 0 },
	};
	struct oci_annotation ann[] = {
		{ "org.opencontainers.image.title", "trace dns" },
		{ "org.opencontainers.image.description", "trace DNS" },
	};

	if (oci_store_add_gadget(f->store, ref, YAML, strlen(YAML), archs, 2,
				 ann, 2, digest, &err) < 0)
		fail_msg("add: %s", error_msg(err));
}

static size_t count_blobs(struct fixture *f)
{
	char path[128];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/blobs/sha256", f->dir);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void store_open__creates_layout(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	cleanup_free char *layout = NULL;
	cleanup_free char *index = NULL;
	char path[128];

	snprintf(path, sizeof(path), "%s/oci-layout", f->dir);
	assert_int_equal(read_file(path, &layout, NULL, &err), 0);
	assert_non_null(strstr(layout, "\"imageLayoutVersion\":\"1.0.0\""));
	snprintf(path, sizeof(path), "%s/index.json", f->dir);
	assert_int_equal(read_file(path, &index, NULL, &err), 0);
	assert_non_null(strstr(index, "\"manifests\":[]"));
}

static void store_add_get__round_trip(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	cleanup_free char *digest = NULL;
	cleanup_gadget struct oci_gadget *g = NULL;
	cleanup_gadget struct oci_gadget *g2 = NULL;
	cleanup_gadget struct oci_gadget *g3 = NULL;

	add(f, REF, "amd64-elf", &digest);
	assert_true(oci_digest_valid(digest));
	assert_int_equal(oci_store_get_gadget(f->store, REF, "amd64", &g, &err),
			 0);
	assert_string_equal(g->config, YAML);
	assert_int_equal(g->config_len, strlen(YAML));
	assert_int_equal(g->program_len, 9);
	assert_memory_equal(g->program, "amd64-elf", 9);
	assert_string_equal(g->digest, digest);
	assert_string_equal(g->ref, REF);
	assert_int_equal(
		oci_store_get_gadget(f->store, REF, "arm64", &g2, &err), 0);
	assert_memory_equal(g2->program, "arm64-elf", 9);
	/* by digest, bare and with a name */
	assert_int_equal(
		oci_store_get_gadget(f->store, digest, "amd64", &g3, &err), 0);
	assert_memory_equal(g3->program, "amd64-elf", 9);
}

static void store_add__manifests_have_gadget_media_types(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	cleanup_free char *digest = NULL;
	cleanup_free char *buf = NULL;
	cleanup_free char *mbuf = NULL;
	cleanup_index struct oci_index *idx = NULL;
	cleanup_manifest struct oci_manifest *m = NULL;
	const struct oci_descriptor *d;
	size_t len;

	add(f, REF, "amd64-elf", &digest);
	assert_int_equal(
		oci_store_read_blob(f->store, digest, -1, &buf, &len, &err), 0);
	assert_int_equal(oci_index_parse(buf, len, &idx, &err), 0);
	assert_string_equal(idx->media_type, OCI_MT_INDEX);
	assert_int_equal(idx->n_manifests, 2);
	d = oci_index_find_arch(idx, "arm64");
	assert_non_null(d);
	assert_string_equal(d->os, "linux");
	assert_string_equal(d->media_type, OCI_MT_MANIFEST);
	assert_int_equal(oci_store_read_blob(f->store, d->digest, d->size,
					     &mbuf, &len, &err),
			 0);
	assert_int_equal(oci_manifest_parse(mbuf, len, &m, &err), 0);
	assert_string_equal(m->artifact_type, OCI_ARTIFACT_GADGET);
	assert_string_equal(m->config.media_type, OCI_MT_GADGET_CONFIG);
	assert_int_equal(m->n_layers, 1);
	assert_string_equal(m->layers[0].media_type, OCI_MT_GADGET_PROGRAM);
	assert_string_equal(oci_kv_get(m->annotations, m->n_annotations,
				       "org.opencontainers.image.title"),
			    "trace dns");
	assert_non_null(
		oci_kv_get(m->annotations, m->n_annotations, OCI_ANN_CREATED));
}

/* A failed allocation fails the listing (ENOMEM), wherever it falls:
 * never entries with a NULL digest or media type, which every caller
 * compares (a failed copy of a created time only leaves it out). */
static void store_list__failed_allocation__fails_whole(void **state)
{
	struct fixture *f = *state;
	bool listed = false;

	add(f, REF, "amd64-elf", NULL);
	add(f, "localhost:5000/x:v1", "amd64-elf-v2", NULL);
	for (unsigned k = 1; !listed; k++) {
		cleanup_error struct error *err = NULL;
		struct oci_store_entry *e = NULL;
		size_t n = 0;
		int rc;

		assert_true(k < 1000);
		alloc_fail(k);
		rc = oci_store_list(f->store, &e, &n, &err);
		alloc_fail_at = 0;
		if (rc < 0) {
			assert_non_null(err);
			assert_int_equal(err->errnum, ENOMEM);
			assert_null(e);
			continue;
		}
		/* the kth came after the listing's: it is whole */
		listed = alloc_calls < k;
		assert_int_equal(n, 2);
		for (size_t i = 0; i < n; i++) {
			assert_non_null(e[i].ref);
			assert_non_null(e[i].digest);
			assert_non_null(e[i].media_type);
		}
		oci_store_entries_free(e, n);
	}
}

/* Out of memory at any one allocation, adding an image fails or does
 * without (past the last, it stores it): an error set without memory for
 * itself (none to read) is not read as one that has a status. */
static void store_add__failed_allocation__fails_cleanly(void **state)
{
	struct fixture *f = *state;
	struct oci_gadget_arch archs[] = {
		{ "amd64", "amd64-elf", 9, NULL, 0 },
	};
	bool added = false;

	for (unsigned k = 1; !added; k++) {
		cleanup_error struct error *err = NULL;
		cleanup_free char *d = NULL;
		int rc;

		assert_true(k < 10000);
		alloc_fail(k);
		rc = oci_store_add_gadget(f->store, REF, YAML, strlen(YAML),
					  archs, 1, NULL, 0, &d, &err);
		alloc_fail_at = 0;
		added = alloc_calls < k;
		assert_true(rc == 0 || (rc == -1 && !added));
	}
	{
		cleanup_error struct error *err = NULL;
		struct oci_descriptor *d = NULL;

		assert_int_equal(oci_store_resolve(f->store, REF, &d, &err), 0);
		oci_descriptor_free(d);
	}
}

static void store_add__same_ref_replaces_entry(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	cleanup_free char *d1 = NULL;
	cleanup_free char *d2 = NULL;
	struct oci_store_entry *e = NULL;
	size_t n;

	add(f, REF, "amd64-elf", &d1);
	add(f, REF, "amd64-elf-v2", &d2);
	add(f, "localhost:5000/x:v1", "amd64-elf", NULL);
	assert_int_equal(oci_store_list(f->store, &e, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].ref, REF);
	assert_string_equal(e[0].digest, d2);
	assert_non_null(e[0].created);
	assert_string_equal(e[1].ref, "localhost:5000/x:v1");
	oci_store_entries_free(e, n);
}

static void store_get__unnormalised_ref_is_normalised_on_add(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	cleanup_gadget struct oci_gadget *g = NULL;

	add(f, "trace_dns", "amd64-elf", NULL);
	assert_int_equal(oci_store_get_gadget(f->store, REF, NULL, &g, &err),
			 0);
}

static void store_get__missing__enoent(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	struct oci_gadget *g = NULL;

	assert_int_equal(oci_store_get_gadget(f->store, REF, NULL, &g, &err),
			 -1);
	assert_int_equal(err->errnum, ENOENT);
	assert_non_null(strstr(error_msg(err), "not found in store"));
}

static void store_get__unknown_arch__names_it(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	struct oci_gadget *g = NULL;

	add(f, REF, "amd64-elf", NULL);
	assert_int_equal(
		oci_store_get_gadget(f->store, REF, "riscv64", &g, &err), -1);
	assert_non_null(strstr(error_msg(err),
			       "no manifest for architecture riscv64 (image "
			       "has: amd64, arm64)"));
}

static void store_get__corrupt_blob__detected(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	cleanup_gadget struct oci_gadget *g = NULL;
	char path[256];
	char d[OCI_DIGEST_SIZE];
	int fd;

	add(f, REF, "amd64-elf", NULL);
	oci_digest_buf("amd64-elf", 9, d);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", f->dir, d + 7);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "X", 1), 1);
	close(fd);
	assert_int_equal(oci_store_get_gadget(f->store, REF, "amd64", &g, &err),
			 -1);
	assert_non_null(strstr(error_msg(err), "is corrupt"));
	/* cut short: the size in the manifest tells */
	error_free(err);
	err = NULL;
	assert_int_equal(truncate(path, 4), 0);
	assert_int_equal(oci_store_get_gadget(f->store, REF, "amd64", &g, &err),
			 -1);
	assert_non_null(strstr(error_msg(err), "4 bytes, expected 9"));
}

static void store_tag_untag_gc__deletes_only_unreferenced(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	cleanup_gadget struct oci_gadget *g = NULL;
	size_t removed = 0, n_before, n_mid;

	add(f, REF, "amd64-elf", NULL);
	n_before = count_blobs(f); /* config, 2 programs, 2 manifests, index */
	assert_int_equal(n_before, 6);
	assert_int_equal(
		oci_store_tag(f->store, REF, "localhost:5000/a:v1", &err), 0);
	assert_int_equal(
		oci_store_untag(f->store, REF, false, NULL, NULL, &err), 0);
	assert_int_equal(oci_store_gc(f->store, &removed, &err), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(oci_store_get_gadget(f->store, "localhost:5000/a:v1",
					      "amd64", &g, &err),
			 0);
	/* a second image sharing the config and the arm64 program */
	add(f, "localhost:5000/b:v1", "other-elf", NULL);
	n_mid = count_blobs(f);
	/* program, amd64 manifest, index; arm64 manifest unless identical */
	assert_true(n_mid == 6 + 3 || n_mid == 6 + 4);
	assert_int_equal(oci_store_untag(f->store, "localhost:5000/a:v1", false,
					 NULL, NULL, &err),
			 0);
	assert_int_equal(oci_store_gc(f->store, &removed, &err), 0);
	assert_int_equal(removed, n_mid - 6);
	assert_int_equal(count_blobs(f), 6);
	oci_gadget_free(g);
	g = NULL;
	assert_int_equal(oci_store_get_gadget(f->store, "localhost:5000/b:v1",
					      "arm64", &g, &err),
			 0);
	assert_int_equal(oci_store_untag(f->store, "localhost:5000/a:v1", false,
					 NULL, NULL, &err),
			 -1);
	assert_int_equal(err->errnum, ENOENT);
}

/* "name@digest" names that content under name only: other names keep it */
static void store_untag__name_at_digest__keeps_other_names(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	cleanup_gadget struct oci_gadget *g = NULL;
	cleanup_free char *digest = NULL;
	char ref[256];

	add(f, "localhost:5000/a:v1", "amd64-elf", &digest);
	assert_int_equal(oci_store_tag(f->store, "localhost:5000/a:v1",
				       "localhost:5000/a:v2", &err),
			 0);
	assert_int_equal(oci_store_tag(f->store, "localhost:5000/a:v1",
				       "localhost:5000/b:v1", &err),
			 0);
	snprintf(ref, sizeof(ref), "localhost:5000/c@%s", digest);
	assert_int_equal(
		oci_store_untag(f->store, ref, false, NULL, NULL, &err), -1);
	assert_int_equal(err->errnum, ENOENT);
	snprintf(ref, sizeof(ref), "localhost:5000/a:v2@%s", digest);
	assert_int_equal(
		oci_store_untag(f->store, ref, false, NULL, NULL, &err), 0);
	assert_int_equal(oci_store_get_gadget(f->store, "localhost:5000/a:v1",
					      "amd64", &g, &err),
			 0);
	snprintf(ref, sizeof(ref), "localhost:5000/a@%s", digest);
	assert_int_equal(
		oci_store_untag(f->store, ref, false, NULL, NULL, &err), 0);
	assert_int_equal(oci_store_get_gadget(f->store, "localhost:5000/a:v1",
					      "amd64", &g, &err),
			 -1);
	oci_gadget_free(g);
	g = NULL;
	assert_int_equal(oci_store_get_gadget(f->store, "localhost:5000/b:v1",
					      "amd64", &g, &err),
			 0);
}

/* Whether ref resolves in store. */
static bool resolves(struct oci_store *store, const char *ref)
{
	struct oci_descriptor *d = NULL;
	struct error *err = NULL;
	int rc = oci_store_resolve(store, ref, &d, &err);

	oci_descriptor_free(d);
	error_free(err);
	return rc == 0;
}

/*
 * Lookups keep index.json parsed while it is the same file: one changed
 * by another handle (another process) or rewritten in place (as oras-go
 * writes it) after this handle read it is read again.
 */
static void store_resolve__index_changed_elsewhere__seen(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	struct oci_store *other = NULL;
	cleanup_free char *path = NULL;
	cleanup_free char *buf = NULL;
	char *at;
	size_t len;
	FILE *fp;

	add(f, "localhost:5000/a:v1", "amd64-elf", NULL);
	assert_true(resolves(f->store, "localhost:5000/a:v1"));
	assert_false(resolves(f->store, "localhost:5000/b:v1"));
	assert_int_equal(oci_store_open(f->dir, &other, &err), 0);
	assert_int_equal(oci_store_tag(other, "localhost:5000/a:v1",
				       "localhost:5000/b:v1", &err),
			 0);
	oci_store_free(other);
	assert_true(resolves(f->store, "localhost:5000/b:v1"));
	/* the same file rewritten: a:v1 is now aa:v1 */
	assert_true(asprintf(&path, "%s/index.json", f->dir) > 0);
	assert_int_equal(read_file(path, &buf, &len, &err), 0);
	at = strstr(buf, "localhost:5000/a:v1");
	assert_non_null(at);
	fp = fopen(path, "r+");
	assert_non_null(fp);
	fwrite(buf, 1, at - buf + strlen("localhost:5000/"), fp);
	fputc('a', fp);
	fputs(at + strlen("localhost:5000/"), fp);
	assert_int_equal(fclose(fp), 0);
	assert_false(resolves(f->store, "localhost:5000/a:v1"));
	assert_true(resolves(f->store, "localhost:5000/aa:v1"));
	assert_true(resolves(f->store, "localhost:5000/b:v1"));
}

static void store_txn__not_committed__leaves_nothing(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	struct oci_txn *txn = NULL;
	struct oci_blob_writer *w = NULL;
	char d[OCI_DIGEST_SIZE];
	char path[128];
	struct dirent *de;
	DIR *dir;

	assert_int_equal(oci_txn_begin(f->store, &txn, &err), 0);
	assert_int_equal(oci_txn_put(txn, "abc", 3, d, &err), 0);
	assert_int_equal(oci_txn_writer_open(txn, &w, &err), 0);
	assert_int_equal(oci_blob_writer_write(w, "hello", 5, &err), 0);
	/* wrong digest: refused, nothing staged */
	assert_int_equal(oci_blob_writer_finish(w, d, 5, NULL, &err), -1);
	assert_non_null(strstr(error_msg(err), "digest mismatch"));
	oci_txn_free(txn);
	assert_int_equal(count_blobs(f), 0);
	snprintf(path, sizeof(path), "%s/ingest", f->dir);
	dir = opendir(path);
	assert_non_null(dir);
	while ((de = readdir(dir)))
		assert_true(de->d_name[0] == '.');
	closedir(dir);
}

static void store_txn__size_mismatch__refused(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	cleanup_txn struct oci_txn *txn = NULL;
	struct oci_blob_writer *w = NULL;

	assert_int_equal(oci_txn_begin(f->store, &txn, &err), 0);
	assert_int_equal(oci_txn_writer_open(txn, &w, &err), 0);
	assert_int_equal(oci_blob_writer_write(w, "hello", 5, &err), 0);
	assert_int_equal(oci_blob_writer_finish(w, NULL, 6, NULL, &err), -1);
	assert_non_null(strstr(error_msg(err), "size mismatch"));
}

/* Hundreds of blobs staged (past the growths of the table that finds
 * them): each found with its size; the unused dropped and no longer
 * found, the used found at their new places and committed alone. */
static void store_txn__drop_unused__used_found_and_committed(void **state)
{
	enum { N = 300 };
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	struct oci_txn *txn = NULL;
	char d[N][OCI_DIGEST_SIZE], blob[32];
	int i, len[N];

	assert_int_equal(oci_txn_begin(f->store, &txn, &err), 0);
	for (i = 0; i < N; i++) {
		len[i] = snprintf(blob, sizeof(blob), "blob %d", i);
		assert_int_equal(oci_txn_put(txn, blob, len[i], d[i], &err), 0);
	}
	/* the same bytes again: staged once */
	assert_int_equal(oci_txn_put(txn, "blob 7", 6, d[7], &err), 0);
	for (i = 0; i < N; i++) {
		assert_true(oci_txn_has_blob(txn, d[i]));
		assert_int_equal(oci_txn_blob_size(txn, d[i]), len[i]);
		if (i % 3 == 0)
			oci_txn_mark_used(txn, d[i]);
	}
	oci_txn_drop_unused(txn);
	for (i = 0; i < N; i++) {
		assert_int_equal(oci_txn_has_blob(txn, d[i]), i % 3 == 0);
		if (i % 3 == 0)
			assert_int_equal(oci_txn_blob_size(txn, d[i]), len[i]);
	}
	assert_int_equal(oci_txn_commit(txn, &err), 0);
	oci_txn_free(txn);
	assert_int_equal(count_blobs(f), N / 3);
	for (i = 0; i < N; i++)
		assert_int_equal(oci_store_has_blob(f->store, d[i]),
				 i % 3 == 0);
}

/* Replacing a key's value never allocates, even where adding one would
 * grow the table (oci_txn_drop_unused() counts on it). */
static void strmap_set__held_key__no_allocation(void **state)
{
	cleanup_strmap struct strmap m = { 0 };
	char key[16];
	size_t v = 0;
	int i;

	(void)state;
	for (i = 0; i < 32; i++) { /* the next add grows 64 slots */
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(strmap_set(&m, key, (size_t)i), 0);
	}
	alloc_fail(1);
	assert_int_equal(strmap_set(&m, "k5", 99), 1);
	alloc_fail(0);
	assert_true(strmap_get(&m, "k5", &v));
	assert_int_equal(v, 99);
	alloc_fail(1);
	assert_int_equal(strmap_set(&m, "new", 1), -1);
	alloc_fail(0);
	assert_false(strmap_get(&m, "new", NULL));
}

static void store_concurrent_adds__all_kept(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	struct oci_store_entry *e = NULL;
	size_t n;
	int i, status;

	for (i = 0; i < 8; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			struct oci_store *s = NULL;
			char ref[64], prog[32];
			struct oci_gadget_arch a = { "amd64", prog, 0, NULL,
						     0 };
			int j, rc = 0;

			if (oci_store_open(f->dir, &s, NULL) < 0)
				_exit(1);
			for (j = 0; j < 10; j++) {
				snprintf(ref, sizeof(ref),
					 "localhost:5000/g%d:v%d", i, j);
				snprintf(prog, sizeof(prog), "p%d-%d", i, j);
				a.program_len = strlen(prog);
				if (oci_store_add_gadget(s, ref, "c", 1, &a, 1,
							 NULL, 0, NULL,
							 NULL) < 0)
					rc = 1;
			}
			oci_store_free(s);
			_exit(rc);
		}
		assert_true(pid > 0);
	}
	for (i = 0; i < 8; i++) {
		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(oci_store_list(f->store, &e, &n, &err), 0);
	assert_int_equal(n, 80);
	oci_store_entries_free(e, n);
}

static void store_add__invalid_input__refused(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	struct oci_gadget_arch a[] = { { "amd64", "x", 1, NULL, 0 },
				       { "amd64", "y", 1, NULL, 0 } };

	assert_int_equal(oci_store_add_gadget(f->store, "Bad", "c", 1, a, 1,
					      NULL, 0, NULL, &err),
			 -1);
	assert_int_equal(oci_store_add_gadget(f->store, REF, "c", 1, a, 2, NULL,
					      0, NULL, &err),
			 -1);
	assert_non_null(strstr(error_msg(err), "given twice"));
	assert_int_equal(oci_store_add_gadget(f->store, REF, "c", 1, a, 0, NULL,
					      0, NULL, &err),
			 -1);
	assert_int_equal(count_blobs(f), 0);
}

/* The store's references, in the order of its index, joined by spaces. */
static void refs_are(struct fixture *f, const char *want)
{
	cleanup_error struct error *err = NULL;
	struct oci_store_entry *e = NULL;
	char got[2048] = "";
	size_t n = 0, i;

	assert_int_equal(oci_store_list(f->store, &e, &n, &err), 0);
	for (i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
			 i ? " " : "", e[i].ref);
	oci_store_entries_free(e, n);
	assert_string_equal(got, want);
}

/* Tag the image a:v1 as a:sha256-<hex><suffix>. */
static void tag_sig(struct fixture *f, const char *hex, const char *suffix)
{
	cleanup_error struct error *err = NULL;
	char ref[256];

	snprintf(ref, sizeof(ref), "localhost:5000/a:sha256-%s%s", hex, suffix);
	if (oci_store_tag(f->store, "localhost:5000/a:v1", ref, &err) < 0)
		fail_msg("tag: %s", error_msg(err));
}

/*
 * Signatures of the image, or of a manifest its index lists, stay; those
 * of anything else go; none goes while an index cannot be read.
 */
static void
drop_orphan_signatures__held_stay_unreadable_index_keeps_all(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	cleanup_index struct oci_index *idx = NULL;
	cleanup_free char *digest = NULL;
	cleanup_free char *buf = NULL;
	char child[65], other[65], want[2048], path[256];
	size_t len;

	add(f, "localhost:5000/a:v1", "amd64-elf", &digest);
	assert_int_equal(
		oci_store_read_blob(f->store, digest, -1, &buf, &len, &err), 0);
	assert_int_equal(oci_index_parse(buf, len, &idx, &err), 0);
	snprintf(child, sizeof(child), "%s", idx->manifests[1].digest + 7);
	memset(other, 'e', 64);
	other[64] = '\0';
	tag_sig(f, other, ".sig");
	tag_sig(f, digest + 7, ".sig");
	tag_sig(f, other, "");
	tag_sig(f, child, ".sig");
	tag_sig(f, child, "");
	assert_int_equal(oci_store_drop_orphan_signatures(f->store, &err), 0);
	snprintf(want, sizeof(want),
		 "localhost:5000/a:v1 localhost:5000/a:sha256-%s.sig "
		 "localhost:5000/a:sha256-%s.sig localhost:5000/a:sha256-%s",
		 digest + 7, child, child);
	refs_are(f, want);
	/* an index that cannot be read may hold anything */
	tag_sig(f, other, ".sig");
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", f->dir, digest + 7);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(oci_store_drop_orphan_signatures(f->store, &err), 0);
	snprintf(want + strlen(want), sizeof(want) - strlen(want),
		 " localhost:5000/a:sha256-%s.sig", other);
	refs_are(f, want);
}

/* An index.json entry as runners before 8817789 wrote one. */
static void old_entry(FILE *out, bool comma, const char *ref,
		      const char *digest, long long size)
{
	fprintf(out,
		"%s{\"mediaType\":\"%s\",\"digest\":\"%s\","
		"\"size\":%lld,\"annotations\":{\"%s\":\"%s\"}}",
		comma ? "," : "", OCI_MT_INDEX, digest, size, OCI_ANN_REF_NAME,
		ref);
}

/*
 * A store that runners before 8817789 wrote, with Docker Hub names of one
 * component: each is found under today's name; of two that came to share
 * a name the last keeps it, an earlier one goes when another entry holds
 * its digest and else stays untagged, its blobs kept.
 */
static void store_old_docker_hub_names__read_as_library(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	cleanup_free char *a = NULL;
	cleanup_free char *b = NULL;
	struct oci_descriptor *d = NULL;
	struct oci_store_entry *e = NULL;
	int64_t asize, bsize;
	char path[256];
	size_t n = 0, removed = 0;
	FILE *out;

	add(f, "localhost:5000/a:v1", "amd64-elf-a", &a);
	add(f, "localhost:5000/b:v1", "amd64-elf-b", &b);
	assert_int_equal(oci_store_resolve(f->store, a, &d, &err), 0);
	asize = d->size;
	oci_descriptor_free(d);
	assert_int_equal(oci_store_resolve(f->store, b, &d, &err), 0);
	bsize = d->size;
	oci_descriptor_free(d);
	snprintf(path, sizeof(path), "%s/index.json", f->dir);
	out = fopen(path, "w");
	assert_non_null(out);
	fprintf(out,
		"{\"schemaVersion\":2,\"mediaType\":\"%s\","
		"\"manifests\":[",
		OCI_MT_INDEX);
	old_entry(out, false, "docker.io/busybox:latest", a, asize);
	old_entry(out, true, "index.docker.io/busybox:v2", b, bsize);
	old_entry(out, true, "docker.io/library/busybox:latest", b, bsize);
	old_entry(out, true, "docker.io/busybox:v2", b, bsize);
	old_entry(out, true, "index.docker.io/org/x:v1", b, bsize);
	fprintf(out, "]}");
	assert_int_equal(fclose(out), 0);

	assert_int_equal(oci_store_index(f->store, &e, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_null(e[0].ref);
	assert_string_equal(e[0].digest, a);
	assert_string_equal(e[1].ref, "docker.io/library/busybox:latest");
	assert_string_equal(e[1].digest, b);
	assert_string_equal(e[2].ref, "docker.io/library/busybox:v2");
	assert_string_equal(e[3].ref, "docker.io/org/x:v1");
	oci_store_entries_free(e, n);
	assert_int_equal(
		oci_store_resolve(f->store, "docker.io/org/x:v1", &d, &err), 0);
	assert_string_equal(d->digest, b);
	oci_descriptor_free(d);
	/* nothing of a goes, though its name went to b */
	assert_int_equal(oci_store_untag(f->store, "docker.io/org/x:v1", false,
					 NULL, NULL, &err),
			 0);
	assert_int_equal(oci_store_gc(f->store, &removed, &err), 0);
	assert_int_equal(oci_store_resolve(f->store, a, &d, &err), 0);
	oci_descriptor_free(d);
	assert_int_equal(removed, 0);
}

static void set_refs(struct fixture *f, const char *const *refs,
		     char *const *digests, size_t n)
{
	cleanup_error struct error *err = NULL;
	cleanup_txn struct oci_txn *txn = NULL;
	size_t i;

	assert_int_equal(oci_txn_begin(f->store, &txn, &err), 0);
	for (i = 0; i < n; i++) {
		struct oci_descriptor *d = NULL;

		assert_int_equal(
			oci_store_resolve(f->store, digests[i], &d, &err), 0);
		assert_int_equal(oci_txn_need(txn, d->digest, &err), 0);
		assert_int_equal(oci_txn_set_ref(txn, refs[i], d->media_type,
						 d->digest, d->size, &err),
				 0);
		oci_descriptor_free(d);
	}
	assert_int_equal(oci_txn_commit(txn, &err), 0);
}

/* A commit's references: the last change of a reference wins, an entry
 * that stands keeps its place, the others go to the end in order; one
 * where every entry stands writes nothing. */
static void store_txn_refs__last_wins_standing_stay(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *x = NULL, *y = NULL, *path = NULL;
	struct oci_store_entry *e = NULL;
	cleanup_error struct error *err = NULL;
	struct stat before, after;
	size_t n;

	add(f, "localhost:5000/a:v1", "elf-x", &x);
	add(f, "localhost:5000/b:v1", "elf-y", &y);
	add(f, "localhost:5000/c:v1", "elf-x", NULL);
	{
		const char *refs[] = { "localhost:5000/c:v1",
				       "localhost:5000/a:v1",
				       "localhost:5000/c:v1",
				       "localhost:5000/d:v1" };
		char *dg[] = { y, x, x, y };

		set_refs(f, refs, dg, 4);
	}
	assert_int_equal(oci_store_index(f->store, &e, &n, &err), 0);
	assert_int_equal(n, 4);
	/* a stood (first), b untouched, c's last change stood too */
	assert_string_equal(e[0].ref, "localhost:5000/a:v1");
	assert_string_equal(e[0].digest, x);
	assert_string_equal(e[1].ref, "localhost:5000/b:v1");
	assert_string_equal(e[2].ref, "localhost:5000/c:v1");
	assert_string_equal(e[2].digest, x);
	assert_string_equal(e[3].ref, "localhost:5000/d:v1");
	assert_string_equal(e[3].digest, y);
	oci_store_entries_free(e, n);
	{
		const char *refs[] = { "localhost:5000/a:v1",
				       "localhost:5000/d:v1" };
		char *dg[] = { x, y };

		assert_int_not_equal(asprintf(&path, "%s/index.json", f->dir),
				     -1);
		assert_int_equal(stat(path, &before), 0);
		set_refs(f, refs, dg, 2);
		assert_int_equal(stat(path, &after), 0);
		assert_int_equal(before.st_ino, after.st_ino);
	}
	{
		const char *refs[] = { "localhost:5000/a:v1" };
		char *dg[] = { y };

		set_refs(f, refs, dg, 1);
	}
	assert_int_equal(oci_store_index(f->store, &e, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_string_equal(e[0].ref, "localhost:5000/b:v1");
	assert_string_equal(e[3].ref, "localhost:5000/a:v1");
	assert_string_equal(e[3].digest, y);
	oci_store_entries_free(e, n);
}

/* A store another user can write, opened by root: only whole, and
 * nothing made or locked in it (a lock's O_CREAT would follow a symlink
 * put where index.json.lock goes). */
static void store_open_existing__not_whole__refused_nothing_made(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	struct oci_store *s = NULL;
	char index[128], lock[128], target[128];
	struct stat st;

	assert_int_equal(oci_store_open_existing(f->dir, &s, &err), 0);
	oci_store_free(s);
	s = NULL;
	snprintf(index, sizeof(index), "%s/index.json", f->dir);
	snprintf(lock, sizeof(lock), "%s/index.json.lock", f->dir);
	snprintf(target, sizeof(target), "%s/planted", f->dir);
	assert_int_equal(unlink(index), 0);
	unlink(lock);
	assert_int_equal(symlink(target, lock), 0);
	assert_int_equal(oci_store_open_existing(f->dir, &s, &err), -1);
	assert_null(s);
	assert_non_null(err);
	assert_int_equal(err->errnum, ENOENT);
	assert_non_null(strstr(error_msg(err), "index.json"));
	/* nothing made: not the index, not the lock's target */
	assert_int_equal(stat(index, &st), -1);
	assert_int_equal(lstat(target, &st), -1);
}

/* Copy of file from into to, to be linked to. */
static void copy_file(const char *from, const char *to)
{
	cleanup_free char *buf = NULL;
	size_t len;

	assert_int_equal(read_file(from, &buf, &len, NULL), 0);
	assert_int_equal(write_file_atomic(to, buf, len, 0644, NULL), 0);
}

/* In a store another user can write, a blob or the index that is a
 * symlink is not followed (root would read any file and tell of it):
 * ELOOP, even to the very bytes; the store opened as root's own follows. */
static void store_open_existing__symlinks_not_followed(void **state)
{
	struct fixture *f = *state;
	cleanup_error struct error *err = NULL;
	cleanup_gadget struct oci_gadget *g = NULL;
	struct oci_store *s = NULL;
	struct oci_descriptor *d = NULL;
	char blob[256], copy[256], index[128], icopy[128];
	char dg[OCI_DIGEST_SIZE];

	add(f, REF, "amd64-elf", NULL);
	oci_digest_buf("amd64-elf", 9, dg);
	snprintf(blob, sizeof(blob), "%s/blobs/sha256/%s", f->dir, dg + 7);
	snprintf(copy, sizeof(copy), "%s/program-copy", f->dir);
	copy_file(blob, copy);
	assert_int_equal(unlink(blob), 0);
	assert_int_equal(symlink(copy, blob), 0);
	assert_int_equal(oci_store_open_existing(f->dir, &s, &err), 0);
	assert_int_equal(oci_store_get_gadget(s, REF, "amd64", &g, &err), -1);
	assert_int_equal(err->errnum, ELOOP);
	error_free(err);
	err = NULL;
	assert_int_equal(oci_store_get_gadget(f->store, REF, "amd64", &g, &err),
			 0);
	oci_store_free(s);
	s = NULL;

	snprintf(index, sizeof(index), "%s/index.json", f->dir);
	snprintf(icopy, sizeof(icopy), "%s/index-copy", f->dir);
	copy_file(index, icopy);
	assert_int_equal(unlink(index), 0);
	assert_int_equal(symlink(icopy, index), 0);
	assert_int_equal(oci_store_open_existing(f->dir, &s, &err), 0);
	assert_int_equal(oci_store_resolve(s, REF, &d, &err), -1);
	assert_int_equal(err->errnum, ELOOP);
	oci_store_free(s);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(store_open__creates_layout),
		T(store_open_existing__not_whole__refused_nothing_made),
		T(store_open_existing__symlinks_not_followed),
		T(store_add_get__round_trip),
		T(store_add__manifests_have_gadget_media_types),
		T(store_add__failed_allocation__fails_cleanly),
		T(store_add__same_ref_replaces_entry),
		T(store_list__failed_allocation__fails_whole),
		T(store_get__unnormalised_ref_is_normalised_on_add),
		T(store_get__missing__enoent),
		T(store_get__unknown_arch__names_it),
		T(store_get__corrupt_blob__detected),
		T(store_tag_untag_gc__deletes_only_unreferenced),
		T(store_untag__name_at_digest__keeps_other_names),
		T(store_resolve__index_changed_elsewhere__seen),
		T(store_txn__not_committed__leaves_nothing),
		T(store_txn__size_mismatch__refused),
		T(store_txn__drop_unused__used_found_and_committed),
		cmocka_unit_test(strmap_set__held_key__no_allocation),
		T(store_concurrent_adds__all_kept),
		T(store_add__invalid_input__refused),
		T(drop_orphan_signatures__held_stay_unreadable_index_keeps_all),
		T(store_old_docker_hub_names__read_as_library),
		T(store_txn_refs__last_wins_standing_stay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
