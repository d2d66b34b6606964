// SPDX-License-Identifier: Apache-2.0
/*
 * Signing and trust on the command line (see cmd_sign.h).  The formats
 * and the crypto are oci/sign.c's; this file reads keys from files and
 * flags, and decides what may run.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "oci/digest.h"
#include "oci/ref.h"
#include "oci/sign.h"
#include "oci/sign_store.h"
#include "oci/store.h"
#include "runner/cmd_sign.h"
#include "runner/common.h"

enum {
	OPT_STORE = 0x100,
	OPT_KEY,
};

/* Parse and normalise a reference given on the command line. */
static char *normalize(const char *s, struct error **err)
{
	char *out = NULL;

	if (oci_digest_valid(s)) {
		out = strdup(s);
		if (!out)
			error_set(err, ENOMEM, "alloc");
		return out;
	}
	if (oci_ref_normalize(s, runner_default_prefix(), &out, err) < 0)
		return NULL;
	return out;
}

static const char *keys_dir(void)
{
	const char *env = getenv("RUNNER_KEYS_DIR");

	return env && *env ? env : RUNNER_KEYS_DIR;
}

/* One --public-keys value: PEM contents or files, comma-separated. */
static int keys_from_flag(struct oci_keyset *set, const char *value,
			  struct error **err)
{
	cleanup_free char *copy = strdup(value);
	char *save = NULL, *item;

	if (!copy)
		return error_set(err, ENOMEM, "alloc");
	for (item = strtok_r(copy, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		cleanup_free char *buf = NULL;
		size_t len;

		while (*item == ' ' || *item == '\n')
			item++;
		if (!*item)
			continue;
		if (strstr(item, "-----BEGIN")) {
			if (oci_keyset_add_pem(set, item, strlen(item),
					       "--public-keys", err) < 0)
				return -1;
			continue;
		}
		if (read_file(item, &buf, &len, err) < 0 ||
		    oci_keyset_add_pem(set, buf, len, item, err) < 0)
			return error_prefix(err, "--public-keys");
	}
	return 0;
}

static bool key_file_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && ((n > 4 && !strcmp(name + n - 4, ".pub")) ||
				  (n > 4 && !strcmp(name + n - 4, ".pem")));
}

/* Every *.pub and *.pem file of the keys folder (none when it is absent). */
static int keys_from_dir(struct oci_keyset *set, struct error **err)
{
	const char *dir = keys_dir();
	struct dirent **names = NULL;
	int n, i, ret = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return errno == ENOENT ?
			       0 :
			       error_set(err, errno, "keys folder %s", dir);
	for (i = 0; i < n; i++) {
		cleanup_free char *path = NULL;
		cleanup_free char *buf = NULL;
		struct stat st;
		size_t len;

		if (ret == 0 && key_file_name(names[i]->d_name) &&
		    asprintf(&path, "%s/%s", dir, names[i]->d_name) >= 0 &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    (read_file(path, &buf, &len, err) < 0 ||
		     oci_keyset_add_pem(set, buf, len, path, err) < 0))
			ret = -1;
		free(names[i]);
	}
	free(names);
	return ret;
}

/* ---- image sign ---- */

static void sign_usage(FILE *f)
{
	fputs("Usage: runner image sign IMAGE --key KEY [flags]\n"
	      "\n"
	      "Sign a stored image with an ECDSA P-256 private key, in\n"
	      "cosign's formats: the signature tag sha256-<digest>.sig\n"
	      "(simple-signing payload) and a sigstore bundle (DSSE) kept as\n"
	      "an OCI referrer.  `runner image push` uploads both.\n"
	      "\n"
	      "KEY is a PEM file: PKCS#8 (PRIVATE KEY), SEC1 (EC PRIVATE\n"
	      "KEY), or encrypted PKCS#8 (ENCRYPTED PRIVATE KEY, passphrase in\n"
	      "$COSIGN_PASSWORD).  cosign's own encrypted format is not\n"
	      "read: convert it to PKCS#8 first.\n"
	      "\n"
	      "FLAGS\n"
	      "      --key FILE     the private key\n"
	      "      --store DIR    image store\n"
	      "\n"
	      "EXAMPLES\n"
	      "  openssl ecparam -name prime256v1 -genkey -noout | "
	      "openssl pkcs8 -topk8 -nocrypt -out my.key\n"
	      "  openssl ec -in my.key -pubout -out my.pub\n"
	      "  runner image sign localhost:5000/gadgets/trace_dns:v1 --key "
	      "my.key\n",
	      f);
}

int cmd_image_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, OPT_KEY },
		{ "store", required_argument, NULL, OPT_STORE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	cleanup_error struct error *err = NULL;
	cleanup_store struct oci_store *store = NULL;
	cleanup_key struct oci_key *key = NULL;
	cleanup_free char *ref = NULL;
	cleanup_free char *pem = NULL;
	cleanup_free char *digest = NULL;
	cleanup_free char *sig_ref = NULL;
	const char *store_flag = NULL, *key_path = NULL;
	size_t len;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_KEY:
			key_path = optarg;
			break;
		case OPT_STORE:
			store_flag = optarg;
			break;
		case 'h':
			sign_usage(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || !key_path)
		return runner_msg(EXIT_USAGE,
				  "image sign: want IMAGE and --key KEY (see "
				  "`runner image sign --help`)");
	ref = normalize(argv[optind], &err);
	if (!ref)
		return runner_fail(err);
	if (oci_digest_valid(ref))
		return runner_msg(EXIT_USAGE,
				  "image sign: '%s' names no repository",
				  argv[optind]);
	if (read_file(key_path, &pem, &len, &err) < 0 ||
	    oci_key_load_private(pem, len, getenv("COSIGN_PASSWORD"), &key,
				 &err) < 0) {
		error_prefix(&err, "image sign: key %s", key_path);
		return runner_fail(err);
	}
	if (oci_store_open(runner_store_dir(store_flag), &store, &err) < 0 ||
	    oci_store_sign(store, ref, key, &digest, &sig_ref, &err) < 0)
		return runner_fail(err);
	printf("%s\n", sig_ref);
	fprintf(stderr, "Signed %s@%s\n", ref, digest);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

/* ---- image verify ---- */

static void verify_usage(FILE *f)
{
	fputs("Usage: runner image verify IMAGE [--public-keys KEYS] [flags]\n"
	      "\n"
	      "Verify a stored image's cosign signature (tag\n"
	      "sha256-<digest>.sig) against public keys, offline; also\n"
	      "its sigstore bundles when the store holds some.\n"
	      "\n"
	      "FLAGS\n"
	      "      --public-keys KEYS  PEM contents or files, comma-"
	      "separated\n"
	      "                          (default: the keys folder " RUNNER_KEYS_DIR
	      ")\n"
	      "      --store DIR         image store\n"
	      "\n"
	      "EXAMPLES\n"
	      "  runner image verify localhost:5000/gadgets/trace_dns:v1 "
	      "--public-keys my.pub\n",
	      f);
}

int cmd_image_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "public-keys", required_argument, NULL, OPT_KEY },
		{ "store", required_argument, NULL, OPT_STORE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	cleanup_error struct error *err = NULL;
	cleanup_store struct oci_store *store = NULL;
	cleanup_free char *ref = NULL;
	cleanup_free char *name = NULL;
	cleanup_ref struct oci_ref *r = NULL;
	struct oci_keyset keys = { 0 };
	struct oci_descriptor *d = NULL;
	struct oci_verified v;
	const char *store_flag = NULL;
	int c, rc = EXIT_FAIL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_KEY:
			if (keys_from_flag(&keys, optarg, &err) < 0) {
				runner_fail(err);
				goto out_usage;
			}
			break;
		case OPT_STORE:
			store_flag = optarg;
			break;
		case 'h':
			verify_usage(stdout);
			rc = EXIT_OK;
			goto out;
		default:
			goto out_usage;
		}
	}
	if (argc - optind != 1) {
		runner_msg(EXIT_USAGE, "image verify: want one IMAGE (see "
				       "`runner image verify --help`)");
		goto out_usage;
	}
	if (!keys.n && keys_from_dir(&keys, &err) < 0)
		goto fail;
	ref = normalize(argv[optind], &err);
	if (!ref)
		goto fail;
	if (oci_store_open(runner_store_dir(store_flag), &store, &err) < 0 ||
	    oci_store_resolve(store, ref, &d, &err) < 0)
		goto fail;
	if (!keys.n) {
		error_set(&err, 0,
			  "%s (%s): no public key (--public-keys, or %s)", ref,
			  d->digest, keys_dir());
		goto fail;
	}
	if (oci_verify_image(store, NULL, d->digest, NULL, &keys, &v, &err) <
	    0) {
		error_prefix(&err, "%s (%s): not verified", ref, d->digest);
		goto fail;
	}
	printf("Verified %s@%s: cosign signature (payload %s) by %s\n", ref,
	       d->digest, v.payload_digest, oci_key_origin(keys.v[v.key]));
	if (!oci_digest_valid(ref) && oci_ref_parse(ref, NULL, &r, NULL) == 0)
		name = oci_ref_name(r);
	if (name) {
		error_free(err);
		err = NULL;
		if (oci_verify_bundles(store, name, d->digest, &keys, &v,
				       &err) == 0)
			printf("Verified %s@%s: sigstore bundle by %s\n", ref,
			       d->digest, oci_key_origin(keys.v[v.key]));
		else if (err && err->errnum != ENOENT) {
			error_prefix(&err, "%s (%s): sigstore bundle", ref,
				     d->digest);
			goto fail;
		}
	}
	rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
	goto out;
fail:
	runner_fail(err);
	rc = EXIT_FAIL;
	goto out;
out_usage:
	rc = EXIT_USAGE;
out:
	oci_descriptor_free(d);
	oci_keyset_clear(&keys);
	return rc;
}

/* ---- export ---- */

/* Whether ref names repository name ("name:tag"). */
static bool same_repo(const char *ref, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(ref, name, n) && ref[n] == ':';
}

int image_sig_refs_append(struct oci_store *store, char ***refs, int *n,
			  struct error **err)
{
	int i, orig = *n;

	for (i = 0; i < orig; i++) {
		cleanup_ref struct oci_ref *r = NULL;
		cleanup_free char *name = NULL;
		struct oci_descriptor *d = NULL;
		char tag[OCI_SIG_TAG_SIZE];
		char **sigs = NULL;
		size_t ns = 0, k;
		char **v;

		if (oci_digest_valid((*refs)[i]) ||
		    oci_ref_parse((*refs)[i], NULL, &r, NULL) < 0 ||
		    !(name = oci_ref_name(r)))
			continue;
		if (oci_store_resolve(store, (*refs)[i], &d, err) < 0)
			return -1;
		oci_referrers_tag(d->digest, tag);
		if (oci_store_sig_refs(store, d->digest, &sigs, &ns, err) < 0) {
			oci_descriptor_free(d);
			return -1;
		}
		oci_descriptor_free(d);
		v = realloc(*refs, (*n + ns + 1) * sizeof(*v));
		if (!v) {
			oci_strv_free(sigs, ns);
			return error_set(err, ENOMEM, "alloc");
		}
		*refs = v;
		for (k = 0; k < ns; k++)
			if (same_repo(sigs[k], name))
				(*refs)[(*n)++] = steal_ptr(sigs[k]);
		oci_strv_free(sigs, ns);
		/* the sigstore bundles: the referrers index of the image */
		if (asprintf(&(*refs)[*n], "%s:%s", name, tag) < 0)
			return error_set(err, ENOMEM, "alloc");
		if (oci_store_resolve(store, (*refs)[*n], &d, NULL) == 0) {
			oci_descriptor_free(d);
			(*n)++;
		} else {
			free((*refs)[*n]);
		}
	}
	return 0;
}

/* ---- runner run ---- */

static bool parse_bool(const char *s, bool *out)
{
	if (!s || !strcmp(s, "true") || !strcmp(s, "1")) {
		*out = true;
		return true;
	}
	if (!strcmp(s, "false") || !strcmp(s, "0")) {
		*out = false;
		return true;
	}
	return false;
}

bool run_trust_scan(struct run_trust *t, int argc, char **argv)
{
	int i;

	t->verify = true;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;

		if (!strcmp(a, "--"))
			break;
		if (!strncmp(a, "--verify-image", 14) &&
		    (!a[14] || a[14] == '=')) {
			if (!parse_bool(a[14] ? a + 15 : NULL, &t->verify)) {
				runner_msg(EXIT_USAGE,
					   "invalid --verify-image '%s': want "
					   "true or false",
					   a + 15);
				return false;
			}
			continue;
		}
		if (!strncmp(a, "--public-keys", 13) &&
		    (!a[13] || a[13] == '=')) {
			val = a[13] ? a + 14 :
				      (i + 1 < argc ? argv[++i] : NULL);
			if (val && t->n_public_keys <
					   sizeof(t->public_keys) /
						   sizeof(t->public_keys[0]))
				t->public_keys[t->n_public_keys++] = val;
			continue;
		}
		if (!strncmp(a, "--allowed-gadgets", 17) &&
		    (!a[17] || a[17] == '=')) {
			val = a[17] ? a + 18 :
				      (i + 1 < argc ? argv[++i] : NULL);
			t->allowed = val;
		}
	}
	return true;
}

/* Whether one --allowed-gadgets entry names the image. */
static bool allowed_one(const struct run_trust *t, const char *e,
			const char *digest)
{
	cleanup_free char *norm = NULL;
	size_t n = strlen(e);
	const char *at;

	if (!n)
		return false;
	if (e[n - 1] == '*')
		return !strncmp(t->ref, e, n - 1) ||
		       (t->image && !strncmp(t->image, e, n - 1));
	if (oci_digest_valid(e))
		return !strcmp(e, digest);
	if (oci_ref_normalize(e, runner_default_prefix(), &norm, NULL) < 0)
		return false;
	at = strchr(norm, '@');
	if (at) {
		/* name@digest: this digest, under this name */
		return !strcmp(at + 1, digest) &&
		       !strncmp(t->ref, norm, at - norm) &&
		       (t->ref[at - norm] == ':' || t->ref[at - norm] == '@' ||
			!t->ref[at - norm]);
	}
	return !strcmp(norm, t->ref);
}

static bool allowed(const struct run_trust *t, const char *digest)
{
	cleanup_free char *copy = NULL;
	char *save = NULL, *e;

	if (!t->allowed)
		return true;
	copy = strdup(t->allowed);
	if (!copy)
		return false;
	for (e = strtok_r(copy, ",", &save); e; e = strtok_r(NULL, ",", &save))
		if (allowed_one(t, e, digest))
			return true;
	return false;
}

static int load_keys(struct run_trust *t, struct error **err)
{
	size_t i;

	if (t->keys_loaded)
		return 0;
	for (i = 0; i < t->n_public_keys; i++)
		if (keys_from_flag(&t->keys, t->public_keys[i], err) < 0)
			return -1;
	if (keys_from_dir(&t->keys, err) < 0)
		return -1;
	t->keys_loaded = true;
	return 0;
}

int run_trust_check(void *ctx, struct oci_txn *txn, const char *digest,
		    const char *sig_digest, struct error **err)
{
	struct run_trust *t = ctx;
	struct oci_verified v;

	if (!allowed(t, digest))
		return error_set(err, 0,
				 "image %s (%s): not in --allowed-gadgets",
				 t->ref, digest);
	if (!t->verify) {
		if (!t->warned)
			runner_msg(0, "warning: --verify-image=false: image "
				      "signatures are not verified");
		t->warned = true;
		return 0;
	}
	if (oci_store_is_built(t->store, digest))
		return 0;
	if (load_keys(t, err) < 0)
		return error_prefix(err, "image %s (%s)", t->ref, digest);
	if (!t->keys.n)
		return error_set(err, 0,
				 "image %s (%s): no public key to verify its "
				 "signature (--public-keys, or %s)",
				 t->ref, digest, keys_dir());
	if (oci_verify_image(t->store, txn, digest, sig_digest, &t->keys, &v,
			     err) < 0)
		return error_prefix(err, "image %s (%s): not verified", t->ref,
				    digest);
	return 0;
}

void run_trust_clear(struct run_trust *t)
{
	oci_keyset_clear(&t->keys);
}
