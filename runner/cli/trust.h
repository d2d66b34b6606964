/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Trusted keys and the trust policy of `runner run`: --verify-image,
 * --public-keys, the keys folder, --allowed-gadgets, images built here.
 */
#ifndef RUNNER_CLI_TRUST_H
#define RUNNER_CLI_TRUST_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "oci/sign.h"
#include "runner/cli/param_file.h"

struct oci_store;
struct oci_txn;
struct oci_staged_sigs;

#define RUNNER_KEYS_DIR "/etc/runner/keys"

/* $RUNNER_KEYS_DIR, else RUNNER_KEYS_DIR. */
const char *trust_keys_dir(void);
/* Add the keys of one --public-keys value: PEM contents or files,
 * comma-separated. */
int trust_keys_from_flag(struct oci_keyset *set, const char *value,
			 struct error **err);
/* Add every *.pub and *.pem file of the keys folder (none if absent). */
int trust_keys_from_dir(struct oci_keyset *set, struct error **err);

/* Append the stored signatures of the images refs names (for export). */
int image_sig_refs_append(struct oci_store *store, char ***refs, int *n,
			  struct error **err);

enum {
	RUN_OPT_VERIFY_IMAGE = 0x380,
	RUN_OPT_PUBLIC_KEYS,
	RUN_OPT_ALLOWED_GADGETS,
};
/* clang-format off */
#define RUN_TRUST_OPTIONS						\
	{ "verify-image", optional_argument, NULL, RUN_OPT_VERIFY_IMAGE }, \
	{ "public-keys", required_argument, NULL, RUN_OPT_PUBLIC_KEYS }, \
	{ "allowed-gadgets", required_argument, NULL, RUN_OPT_ALLOWED_GADGETS }
#define RUN_TRUST_HELP							\
	"      --verify-image[=BOOL]\n"					\
	"                       run only images signed by a trusted key (.sig\n" \
	"                       tag, OCI 1.1 referrer or sigstore bundle) or\n" \
	"                       built here (default true)\n"		\
	"      --public-keys KEYS\n"					\
	"                       trusted keys: PEM contents or files, comma-\n" \
	"                       separated (also: " RUNNER_KEYS_DIR "/\n" \
	"                       *.pub, *.pem; $RUNNER_KEYS_DIR)\n"	\
	"      --allowed-gadgets LIST\n"				\
	"                       only these images run: references, digests\n" \
	"                       or prefixes ending in *, comma-separated\n" \
	"                       (empty: every image, as in ig)\n"
/* clang-format on */

struct run_trust {
	bool verify;
	const char *public_keys[16];
	size_t n_public_keys;
	const char *allowed;
	const char *image; /* as given */
	const char *ref; /* normalised */
	struct oci_store *store;
	struct oci_keyset keys;
	bool keys_loaded;
	bool warned;
	/* the store's "built here" marks are not trusted (a user's store
	 * opened by root: --oci-store-user) */
	bool not_built_here;
	/* where the flags' "@FILE" values are kept; argv[1..n_cfg] are ig's
	 * configuration's (config_run_args()) */
	struct param_files *files;
	int n_cfg;
};

/*
 * Read the trust flags from a `runner run` command line (before the
 * image is known to getopt), "@FILE" as ig's params read it; EXIT_USAGE
 * and *err for a bad value or a file that cannot be read.
 */
int run_trust_scan(struct run_trust *t, int argc, char **argv,
		   struct error **err);
/*
 * The check a pull (or a stored image) goes through; ctx: run_trust.
 * Warns once when an image runs unverified (--verify-image=false).
 */
int run_trust_check(void *ctx, struct oci_txn *txn, const char *digest,
		    const struct oci_staged_sigs *staged, struct error **err);
void run_trust_clear(struct run_trust *t);

#endif
