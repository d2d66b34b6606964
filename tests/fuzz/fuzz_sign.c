// SPDX-License-Identifier: Apache-2.0
/*
 * Signatures from untrusted bytes (oci/sign.c): the first byte picks the
 * parser, the rest is its input.  0: a simple-signing payload; 1: a .sig
 * manifest whose every blob reads as the input itself, also merged
 * as a registry's with one of ours; 2: a sigstore
 * bundle; 3: PEM public keys; 4: a PEM private key; 5: an in-toto
 * statement that the harness signs into a bundle with the test key, so
 * that the statement's checks behind the signature are reached.  Nothing
 * random may verify (but a statement naming the digest), and every parser
 * must stay within its limits.
 */
#include <jansson.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "oci/auth.h"
#include "oci/digest.h"
#include "oci/sign.h"
#include "fuzz.h"

#define DIGEST \
	"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEaqV/eHTTqoluL2YkW3igQUJsOQXk\n"
	"8Ym7KOuYDlaqVb4zYQG/rKrLstToxjoQ+jZS95tOaCjR34XcV4WOZKd3Xw==\n"
	"-----END PUBLIC KEY-----\n";

/* the private half of pub, for case 5 */
static const char priv[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHcCAQEEIOdSzGH9ojpmDMgRdnMK5uoUThyYs4/yMnr9yM/Ua1EnoAoGCCqGSM49\n"
	"AwEHoUQDQgAEaqV/eHTTqoluL2YkW3igQUJsOQXk8Ym7KOuYDlaqVb4zYQG/rKrL\n"
	"stToxjoQ+jZS95tOaCjR34XcV4WOZKd3Xw==\n"
	"-----END EC PRIVATE KEY-----\n";

static struct oci_keyset keys;
static struct oci_key *signer;

struct input {
	const uint8_t *data;
	size_t size;
};

static int read_input(void *ctx, const char *digest, int64_t size, char **buf,
		      size_t *len, struct error **err)
{
	const struct input *in = ctx;

	(void)digest;
	if (size >= 0 && (size_t)size != in->size)
		return error_set(err, 0, "size");
	*buf = fuzz_strndup(in->data, in->size);
	if (!*buf)
		return error_set(err, 0, "alloc");
	*len = in->size;
	return 0;
}

/* theirs (the input) merged with a .sig manifest of ours: ours added */
static void merge_check(const char *theirs, size_t len)
{
	static const char ours[] =
		"{\"layers\":[{\"mediaType\":\"" OCI_MT_SIMPLESIGNING
		"\",\"size\":1,\"digest\":\"" DIGEST
		"\",\"annotations\":{\"" OCI_ANN_COSIGN_SIGNATURE
		"\":\"c2ln\"}}]}";
	cleanup_free char *m = NULL;
	cleanup_free char *cfg = NULL;
	struct error *err = NULL;
	size_t mlen = 0, clen = 0;
	int r;

	r = oci_sig_manifest_merge(ours, strlen(ours), theirs, len, &m, &mlen,
				   &cfg, &clen, &err);
	FUZZ_CHECK(r == 0 || err, "merge failed without a message");
	FUZZ_CHECK(r == 0 || !m, "merge failed with a manifest");
	FUZZ_CHECK(!m || (strstr(m, "c2ln") && strstr(cfg, DIGEST)),
		   "our layer missing from the merge");
	error_free(err);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (oci_keyset_add_pem(&keys, pub, strlen(pub), "fuzz.pub", NULL) < 0 ||
	    oci_key_load_private(priv, strlen(priv), NULL, &signer, NULL) < 0)
		abort();
	return 0;
}

/* The statement signed into a bundle by the test key, then verified. */
static int signed_statement(const uint8_t *stmt, size_t len, struct error **err)
{
	cleanup_free char *pae = NULL;
	cleanup_free char *sig = NULL;
	cleanup_free char *payload = oci_base64_encode(stmt, len);
	cleanup_free char *bundle = NULL;
	cleanup_json json_t *b = NULL;
	size_t pae_len;

	if (!payload ||
	    oci_dsse_pae(OCI_MT_INTOTO, stmt, len, &pae, &pae_len) < 0 ||
	    oci_sign_bytes(signer, pae, pae_len, &sig, NULL) < 0)
		abort();
	b = json_pack("{s:s, s:{s:s, s:s, s:[{s:s}]}}", "mediaType",
		      OCI_MT_SIGSTORE_BUNDLE, "dsseEnvelope", "payload",
		      payload, "payloadType", OCI_MT_INTOTO, "signatures",
		      "sig", sig);
	bundle = b ? json_dumps(b, JSON_COMPACT) : NULL;
	if (!bundle)
		abort();
	return oci_bundle_verify(bundle, strlen(bundle), DIGEST, &keys, NULL,
				 err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cleanup_free char *s = NULL;
	struct input in;
	struct error *err = NULL;
	int r = 0;

	if (size < 1)
		return 0;
	in = (struct input){ data + 1, size - 1 };
	s = fuzz_strndup(in.data, in.size);
	if (!s)
		return 0;
	switch (data[0] % 6) {
	case 0: {
		cleanup_free char *signed_digest = NULL;

		r = oci_payload_check(s, in.size, DIGEST, &signed_digest, &err);
		FUZZ_CHECK(!signed_digest || oci_digest_valid(signed_digest),
			   "signed digest \"%s\"", signed_digest);
		FUZZ_CHECK(r < 0 || !strcmp(signed_digest, DIGEST),
			   "accepted another digest");
		break;
	}
	case 1:
		r = oci_sig_manifest_verify(s, in.size, DIGEST, &keys,
					    read_input, &in, NULL, &err);
		/* no valid signature of the test key is in any seed */
		FUZZ_CHECK(r < 0, "a .sig manifest verified");
		merge_check(s, in.size);
		break;
	case 2:
		r = oci_bundle_verify(s, in.size, DIGEST, &keys, NULL, &err);
		FUZZ_CHECK(r < 0, "a bundle verified");
		break;
	case 3: {
		struct oci_keyset set = { 0 };

		r = oci_keyset_add_pem(&set, s, in.size, "fuzz", &err);
		FUZZ_CHECK(set.n <= OCI_MAX_KEYS, "%zu keys", set.n);
		oci_keyset_clear(&set);
		break;
	}
	case 5:
		r = signed_statement(in.data, in.size, &err);
		FUZZ_CHECK(r < 0 || (strstr(s, OCI_COSIGN_PREDICATE) &&
				     strstr(s, oci_digest_hex(DIGEST))),
			   "a statement without the digest verified");
		break;
	default: {
		struct oci_key *k = NULL;

		r = oci_key_load_private(s, in.size, "pw", &k, &err);
		FUZZ_CHECK((r == 0) == (k != NULL), "key and result disagree");
		oci_key_free(k);
		break;
	}
	}
	FUZZ_CHECK(r == 0 || err, "failure without a message");
	error_free(err);
	return 0;
}
