/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `runner image sign`, `runner image verify`, and the trust policy of
 * `runner run`: --verify-image, --public-keys, the keys folder,
 * --allowed-gadgets, images built here.
 */
#ifndef RUNNER_CMD_SIGN_H
#define RUNNER_CMD_SIGN_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "oci/sign.h"

struct oci_store;
struct oci_txn;

#define RUNNER_KEYS_DIR "/etc/runner/keys"

/* argv[0] == "sign" / "verify" */
int cmd_image_sign(int argc, char **argv);
int cmd_image_verify(int argc, char **argv);

/* Append the stored signatures of the images refs names (for export). */
int image_sig_refs_append(struct oci_store *store, char ***refs, int *n,
			  struct error **err);

enum {
	RUN_OPT_VERIFY_IMAGE = 0x300,
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
	"                       run only images signed by a trusted key or\n" \
	"                       built here (default true)\n"		\
	"      --public-keys KEYS\n"					\
	"                       trusted keys: PEM contents or files, comma-\n" \
	"                       separated (also: " RUNNER_KEYS_DIR "/\n" \
	"                       *.pub, *.pem; $RUNNER_KEYS_DIR)\n"	\
	"      --allowed-gadgets LIST\n"				\
	"                       only these images run: references, digests\n" \
	"                       or prefixes ending in *, comma-separated\n"
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
};

/*
 * Read the trust flags from a `runner run` command line (before the
 * image is known to getopt); false after printing a usage error.
 */
bool run_trust_scan(struct run_trust *t, int argc, char **argv);
/*
 * The check a pull (or a stored image) goes through; ctx: run_trust.
 * Warns once when an image runs unverified (--verify-image=false).
 */
int run_trust_check(void *ctx, struct oci_txn *txn, const char *digest,
		    const char *sig_digest, struct error **err);
void run_trust_clear(struct run_trust *t);

#endif
