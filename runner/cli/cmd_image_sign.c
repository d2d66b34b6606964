// SPDX-License-Identifier: Apache-2.0
/*
 * `runner image sign IMAGE --key KEY` and `runner image verify IMAGE`:
 * cosign's key-based signatures of stored images (oci/sign_store.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "oci/ref.h"
#include "oci/sign.h"
#include "oci/sign_store.h"
#include "oci/store.h"
#include "runner/cli/commands.h"
#include "runner/cli/trust.h"

enum {
	OPT_KEY = CLI_OPT_OWN,
	OPT_PUBLIC_KEYS,
};

/* ---- sign ---- */

struct sign_state {
	const char *key;
};

static int sign_option(void *state, int opt, const char *arg,
		       struct error **err)
{
	struct sign_state *s = state;

	(void)opt;
	(void)err;
	s->key = arg;
	return EXIT_OK;
}

static int sign_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	struct sign_state *s = state;
	cleanup_store struct oci_store *store = NULL;
	cleanup_key struct oci_key *key = NULL;
	cleanup_free char *ref = NULL;
	cleanup_free char *pem = NULL;
	cleanup_free char *digest = NULL;
	cleanup_free char *sig_ref = NULL;
	cleanup_free char *at = NULL;
	size_t len;
	int rc;

	if (!s->key)
		return cli_usage_error(err, ctx->path, "%s", "want --key KEY");
	rc = cli_repo_ref(ctx, &ref, err);
	if (rc != EXIT_OK)
		return rc;
	if (read_file(s->key, &pem, &len, err) < 0 ||
	    oci_key_load_private(pem, len, getenv("COSIGN_PASSWORD"), &key,
				 err) < 0) {
		error_prefix(err, "image sign: key %s", s->key);
		return EXIT_FAIL;
	}
	if (cli_store_open(ctx, &store, err) < 0 ||
	    oci_store_sign(store, ref, key, &digest, &sig_ref, err) < 0)
		return EXIT_FAIL;
	at = cli_ref_at(ref, digest);
	printf("%s\n", sig_ref);
	fprintf(stderr, "Signed %s\n", at ? at : ref);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

static const struct option sign_options[] = {
	{ "key", required_argument, NULL, OPT_KEY },
	{ 0 },
};

const struct cli_command cmd_image_sign = {
	.name = "sign",
	.summary = "sign an image with a private key",
	.usage =
		"Usage: runner image sign IMAGE --key KEY [flags]\n"
		"\n"
		"Sign a stored image with an ECDSA P-256 private key, in\n"
		"cosign's formats: the signature tag sha256-<digest>.sig\n"
		"(simple-signing payload) and a sigstore bundle (DSSE) kept\n"
		"as an OCI referrer.  `runner image push` uploads both.\n"
		"Prints the signature's reference.\n"
		"\n"
		"KEY is a PEM file: PKCS#8 (PRIVATE KEY), SEC1 (EC PRIVATE\n"
		"KEY), or encrypted PKCS#8 (ENCRYPTED PRIVATE KEY, passphrase\n"
		"in $COSIGN_PASSWORD).  cosign's own encrypted format is not\n"
		"read: convert the key to PKCS#8 first.\n"
		"\n"
		"FLAGS\n"
		"      --key FILE     the private key\n"
		"      --store DIR    image store\n"
		"\n"
		"EXAMPLES\n"
		"  openssl ecparam -name prime256v1 -genkey -noout | "
		"openssl pkcs8 -topk8 -nocrypt -out my.key\n"
		"  openssl ec -in my.key -pubout -out my.pub\n"
		"  runner image sign localhost:5000/gadgets/trace_dns:v1 "
		"--key my.key\n",
	.options = sign_options,
	.flags = CLI_STORE,
	.min_args = 1,
	.max_args = 1,
	.want = "want one IMAGE",
	.operands = CLI_OPERAND_IMAGE,
	.state_size = sizeof(struct sign_state),
	.option = sign_option,
	.run = sign_run,
};

/* ---- verify ---- */

struct verify_state {
	const char *public_keys[16];
	size_t n;
};

static int verify_option(void *state, int opt, const char *arg,
			 struct error **err)
{
	struct verify_state *s = state;

	(void)opt;
	if (s->n == sizeof(s->public_keys) / sizeof(s->public_keys[0]))
		return cli_error(err, EXIT_USAGE, "too many --public-keys");
	s->public_keys[s->n++] = arg;
	return EXIT_OK;
}

static int verify_image(struct cli_ctx *ctx, struct oci_keyset *keys,
			struct error **err)
{
	cleanup_store struct oci_store *store = NULL;
	cleanup_free char *ref = NULL;
	cleanup_free char *at = NULL;
	struct oci_descriptor *d = NULL;
	struct oci_verified v[OCI_SIG_NFORMS];
	int rc = EXIT_FAIL;
	size_t f;

	if (!keys->n && trust_keys_from_dir(keys, err) < 0)
		return EXIT_FAIL;
	rc = cli_normalize_ref(ctx->argv[0], &ref, err);
	if (rc != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	/* ig's first line, the image as given */
	printf("Verifying image: %s\n", ctx->argv[0]);
	if (cli_store_open(ctx, &store, err) < 0 ||
	    oci_store_resolve(store, ref, &d, err) < 0)
		return EXIT_FAIL;
	if (!keys->n) {
		error_set(err, 0,
			  "%s (%s): no public key (--public-keys, or %s)", ref,
			  d->digest, trust_keys_dir());
		goto out;
	}
	if (oci_verify_image(store, NULL, d->digest, NULL, keys, true, v, err) <
	    0) {
		error_prefix(err, "%s (%s): not verified", ref, d->digest);
		goto out;
	}
	at = cli_ref_at(ref, d->digest);
	/* one line per form that verified */
	for (f = 0; f < OCI_SIG_NFORMS; f++)
		if (v[f].ok)
			printf("Verified %s: %s (%s %s) by %s\n", at ? at : ref,
			       oci_sig_form_name(f),
			       f == OCI_SIG_BUNDLE ? "bundle" : "payload",
			       v[f].payload_digest,
			       oci_key_origin(keys->v[v[f].key]));
	puts("Image verified successfully!"); /* ig's last line */
	rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
out:
	oci_descriptor_free(d);
	return rc;
}

static int verify_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	struct verify_state *s = state;
	struct oci_keyset keys = { 0 };
	size_t i;
	int rc = EXIT_USAGE;

	for (i = 0; i < s->n; i++)
		if (trust_keys_from_flag(&keys, s->public_keys[i], err) < 0)
			goto out;
	rc = verify_image(ctx, &keys, err);
out:
	oci_keyset_clear(&keys);
	return rc;
}

static const struct option verify_options[] = {
	{ "public-keys", required_argument, NULL, OPT_PUBLIC_KEYS },
	{ 0 },
};

const struct cli_command cmd_image_verify = {
	.name = "verify",
	.summary = "verify an image's signature with public keys",
	.usage =
		"Usage: runner image verify IMAGE [--public-keys KEYS] "
		"[flags]\n"
		"\n"
		"Verify a stored image's cosign signatures against public\n"
		"keys, offline, in each form ig verifies: the tag\n"
		"sha256-<digest>.sig, a cosign signature kept as an OCI 1.1\n"
		"referrer, a sigstore bundle kept as one.  Prints ig's lines\n"
		"(\"Verifying image: IMAGE\", then \"Image verified\n"
		"successfully!\") with a line between for each form that\n"
		"verifies; fails when none does.\n"
		"\n"
		"FLAGS\n"
		"      --public-keys KEYS  PEM contents or files, comma-"
		"separated\n"
		"                          (default: the keys folder " RUNNER_KEYS_DIR
		",\n"
		"                          $RUNNER_KEYS_DIR)\n"
		"      --store DIR         image store\n"
		"\n"
		"EXAMPLES\n"
		"  runner image verify localhost:5000/gadgets/trace_dns:v1 "
		"--public-keys my.pub\n",
	.options = verify_options,
	.flags = CLI_STORE,
	.min_args = 1,
	.max_args = 1,
	.want = "want one IMAGE",
	.operands = CLI_OPERAND_IMAGE,
	.state_size = sizeof(struct verify_state),
	.option = verify_option,
	.run = verify_run,
};
