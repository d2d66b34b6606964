// SPDX-License-Identifier: Apache-2.0
/*
 * Trust on the command line (see trust.h).  The formats and the crypto
 * are oci/sign.c's; this file reads keys from files and flags, and decides
 * what may run.
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
#include "runner/cli/cli.h"
#include "runner/cli/config.h"
#include "runner/cli/manifest.h"
#include "runner/cli/trust.h"

const char *trust_keys_dir(void)
{
	const char *env = getenv("RUNNER_KEYS_DIR");

	return env && *env ? env : RUNNER_KEYS_DIR;
}

/* One --public-keys value: PEM contents or files, comma-separated. */
int trust_keys_from_flag(struct oci_keyset *set, const char *value,
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
int trust_keys_from_dir(struct oci_keyset *set, struct error **err)
{
	const char *dir = trust_keys_dir();
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

/* ---- export ---- */

int image_sig_refs_append(struct oci_store *store, char ***refs, int *n,
			  struct error **err)
{
	int i, orig = *n;

	for (i = 0; i < orig; i++) {
		cleanup_ref struct oci_ref *r = NULL;
		cleanup_free char *name = NULL;
		cleanup_free char *rref = NULL;
		struct oci_descriptor *d = NULL;
		char **sigs = NULL;
		size_t ns = 0, k;
		char **v;
		int rc;

		if (oci_digest_valid((*refs)[i]) ||
		    oci_ref_parse((*refs)[i], NULL, &r, NULL) < 0 ||
		    !(name = oci_ref_name(r)))
			continue;
		if (oci_store_resolve(store, (*refs)[i], &d, err) < 0)
			return -1;
		rc = oci_store_sig_refs(store, d->digest, &sigs, &ns, err);
		/* the sigstore bundles: the referrers index of the image */
		if (rc == 0)
			rc = oci_store_referrers_of(store, name, d->digest,
						    &rref, NULL, err);
		oci_descriptor_free(d);
		if (rc < 0) {
			oci_strv_free(sigs, ns);
			return -1;
		}
		v = realloc(*refs, (*n + ns + 1) * sizeof(*v));
		if (!v) {
			oci_strv_free(sigs, ns);
			return error_set(err, ENOMEM, "alloc");
		}
		*refs = v;
		/* the image's repository's, or bare ones (ig's store) */
		for (k = 0; k < ns; k++)
			if (oci_ref_in_repo(sigs[k], name) ||
			    !strchr(sigs[k], '/'))
				(*refs)[(*n)++] = steal_ptr(sigs[k]);
		oci_strv_free(sigs, ns);
		if (rref)
			(*refs)[(*n)++] = steal_ptr(rref);
	}
	return 0;
}

/* ---- runner run ---- */

/* Whether argv[*i] is --NAME: its value in *val, "--NAME=VALUE" or the
 * next word (*i moved on to it; NULL: none). */
static bool flag_value(int argc, char **argv, int *i, const char *name,
		       const char **val)
{
	if (!cli_flag_word(argv[*i], name, val))
		return false;
	if (!*val && *i + 1 < argc)
		*val = argv[++*i];
	return true;
}

int run_trust_scan(struct run_trust *t, int argc, char **argv,
		   struct error **err)
{
	bool cfg = false;
	int i, rc = EXIT_OK;

	t->verify = true;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;

		if (!strcmp(a, "--"))
			break;
		cfg = i <= t->n_cfg; /* set by ig's configuration */
		if (param_bool_word(t->files, a, "verify-image", &t->verify,
				    &rc, err)) {
			if (rc)
				break;
			continue;
		}
		if (flag_value(argc, argv, &i, "public-keys", &val)) {
			rc = param_file(t->files, "public-keys", &val, err);
			if (rc)
				break;
			if (val && t->n_public_keys <
					   sizeof(t->public_keys) /
						   sizeof(t->public_keys[0]))
				t->public_keys[t->n_public_keys++] = val;
			continue;
		}
		if (flag_value(argc, argv, &i, "allowed-gadgets", &val)) {
			rc = param_file(t->files, "allowed-gadgets", &val, err);
			if (rc)
				break;
			t->allowed = val;
		}
	}
	if (rc && cfg)
		config_blame(argv[i], err);
	else if (rc && i < argc)
		manifest_blame(argv[i], err);
	return rc;
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

	/* no list, or an empty one: every image (ig reads '' as no list) */
	if (!t->allowed || !*t->allowed)
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
		if (trust_keys_from_flag(&t->keys, t->public_keys[i], err) < 0)
			return -1;
	if (trust_keys_from_dir(&t->keys, err) < 0)
		return -1;
	t->keys_loaded = true;
	return 0;
}

int run_trust_check(void *ctx, struct oci_txn *txn, const char *digest,
		    const struct oci_staged_sigs *staged, struct error **err)
{
	struct run_trust *t = ctx;
	struct oci_verified v[OCI_SIG_NFORMS];

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
	if (!t->not_built_here && oci_store_is_built(t->store, digest))
		return 0;
	if (load_keys(t, err) < 0)
		return error_prefix(err, "image %s (%s)", t->ref, digest);
	if (!t->keys.n)
		return error_set(err, 0,
				 "image %s (%s): no public key to verify its "
				 "signature (--public-keys KEY, or KEY.pub in "
				 "%s; --verify-image=false runs it unverified)",
				 t->ref, digest, trust_keys_dir());
	if (oci_verify_image(t->store, txn, digest, staged, &t->keys, false, v,
			     err) < 0)
		return error_prefix(err, "image %s (%s): not verified", t->ref,
				    digest);
	return 0;
}

void run_trust_clear(struct run_trust *t)
{
	oci_keyset_clear(&t->keys);
}
