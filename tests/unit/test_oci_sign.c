// SPDX-License-Identifier: Apache-2.0
/* oci/sign.c: keys, signatures, the simple-signing payload, the .sig
 * manifest, DSSE and the sigstore bundle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/cleanup.h"
#include "oci/auth.h"
#include "oci/digest.h"
#include "oci/sign.h"

#define DIGEST_A \
	"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST_B \
	"sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

/* Test keys, made with openssl for these tests only. */
static const char key_a_sec1[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHcCAQEEIOdSzGH9ojpmDMgRdnMK5uoUThyYs4/yMnr9yM/Ua1EnoAoGCCqGSM49\n"
	"AwEHoUQDQgAEaqV/eHTTqoluL2YkW3igQUJsOQXk8Ym7KOuYDlaqVb4zYQG/rKrL\n"
	"stToxjoQ+jZS95tOaCjR34XcV4WOZKd3Xw==\n"
	"-----END EC PRIVATE KEY-----\n";
static const char key_a_pkcs8[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg51LMYf2iOmYMyBF2\n"
	"cwrm6hROHJizj/Iyev3Iz9RrUSehRANCAARqpX94dNOqiW4vZiRbeKBBQmw5BeTx\n"
	"ibso65gOVqpVvjNhAb+sqsuy1OjGOhD6NlL3m05oKNHfhdxXhY5kp3df\n"
	"-----END PRIVATE KEY-----\n";
static const char key_a_enc[] =
	"-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
	"MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAiYlpeyGI/gTgICCAAw\n"
	"DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEEOVZ1Q9IHH/vVAeGH+wMawEgZA5\n"
	"irWTBM/fDxtBXy4D/wP6yHVdIk7jzFQKZMG6UCGrtqtZnyhcTmCrHN3kX5JDNeCW\n"
	"JzxSLIBcle6EZGnOElj83cB/kFZobtc7c+jBV1YvG8BfR+nfILv9wvtFCi2ymcoF\n"
	"e72GC/MdCxhsxEKygq+DN/+btTVSgXozkLpuCjVlaTzYkc4igP+ZL7zbFXntzkE=\n"
	"-----END ENCRYPTED PRIVATE KEY-----\n";
static const char key_a_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEaqV/eHTTqoluL2YkW3igQUJsOQXk\n"
	"8Ym7KOuYDlaqVb4zYQG/rKrLstToxjoQ+jZS95tOaCjR34XcV4WOZKd3Xw==\n"
	"-----END PUBLIC KEY-----\n";
static const char key_b_pkcs8[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg4xXvCjW+a4cdyAJD\n"
	"Ua2b3UpHzgPxSxMA2dLR46yG96yhRANCAAQd3j/W62k1cg1DSnwJuf0yOLWQXVOa\n"
	"I0XqtmdO1WWEvO/JDda8VO/zrRZGifUFXtjagYHeDq/9lVT0UEDAA/qd\n"
	"-----END PRIVATE KEY-----\n";
static const char key_b_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEHd4/1utpNXINQ0p8Cbn9Mji1kF1T\n"
	"miNF6rZnTtVlhLzvyQ3WvFTv860WRon1BV7Y2oGB3g6v/ZVU9FBAwAP6nQ==\n"
	"-----END PUBLIC KEY-----\n";
static const char key_p384[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDDOI10wL9RVSFgA4Jd+\n"
	"vIeJu6JFbdnLwIEXbdPT1Ja4m1desa0bIKX3/Kw7yfNaY0ChZANiAAQf0UIx5giV\n"
	"TA5xOjS+5iC3vYDb/rTGV/mG5eSl+OMnkIvc9OPVBg+1n61TnYaRsJpdISmrTnR2\n"
	"wZnyBsO5PnBb3cg7m0I3l/rXp4CROJZ6WBmJdl/cIkGzItEXCOjhikc=\n"
	"-----END PRIVATE KEY-----\n";

static struct oci_key *priv(const char *pem)
{
	cleanup_error struct error *err = NULL;
	struct oci_key *k = NULL;

	if (oci_key_load_private(pem, strlen(pem), "pw", &k, &err) < 0)
		fail_msg("load: %s", error_msg(err));
	return k;
}

static void keyset(struct oci_keyset *set, const char *pem)
{
	cleanup_error struct error *err = NULL;

	if (oci_keyset_add_pem(set, pem, strlen(pem), "test.pub", &err) < 0)
		fail_msg("keyset: %s", error_msg(err));
}

static void expect_msg(const struct error *err, const char *part)
{
	assert_non_null(err);
	if (!strstr(error_msg(err), part))
		fail_msg("message \"%s\" lacks \"%s\"", error_msg(err), part);
}

static void key_load__pkcs8_sec1_encrypted__same_public_key(void **state)
{
	cleanup_key struct oci_key *a = priv(key_a_pkcs8);
	cleanup_key struct oci_key *b = priv(key_a_sec1);
	cleanup_key struct oci_key *c = priv(key_a_enc);
	cleanup_free char *pa = oci_key_public_pem(a);
	cleanup_free char *pb = oci_key_public_pem(b);
	cleanup_free char *pc = oci_key_public_pem(c);

	(void)state;
	assert_string_equal(pa, key_a_pub);
	assert_string_equal(pb, key_a_pub);
	assert_string_equal(pc, key_a_pub);
}

static void key_load__refused_formats__say_why(void **state)
{
	static const char sigstore[] =
		"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
		"eyJrZGYiOnt9fQ==\n"
		"-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
	struct error *err = NULL;
	struct oci_key *k = NULL;

	(void)state;
	assert_int_equal(oci_key_load_private(sigstore, strlen(sigstore), NULL,
					      &k, &err),
			 -1);
	expect_msg(err, "not supported");
	error_free(err);
	err = NULL;
	assert_int_equal(oci_key_load_private(key_a_enc, strlen(key_a_enc),
					      NULL, &k, &err),
			 -1);
	expect_msg(err, "no passphrase");
	error_free(err);
	err = NULL;
	assert_int_equal(oci_key_load_private(key_a_enc, strlen(key_a_enc),
					      "wrong", &k, &err),
			 -1);
	error_free(err);
	err = NULL;
	assert_int_equal(oci_key_load_private(key_p384, strlen(key_p384), NULL,
					      &k, &err),
			 -1);
	expect_msg(err, "P-256");
	error_free(err);
	err = NULL;
	assert_int_equal(oci_key_load_private(key_a_pub, strlen(key_a_pub),
					      NULL, &k, &err),
			 -1);
	expect_msg(err, "no PEM private key");
	error_free(err);
	assert_null(k);
}

static void keyset__two_blocks__two_keys_and_none_fails(void **state)
{
	struct oci_keyset set = { 0 };
	char both[1024];
	struct error *err = NULL;

	(void)state;
	snprintf(both, sizeof(both), "%s%s", key_a_pub, key_b_pub);
	keyset(&set, both);
	assert_int_equal(set.n, 2);
	assert_string_equal(oci_key_origin(set.v[0]), "test.pub");
	assert_int_equal(oci_keyset_add_pem(&set, "nothing", 7, "x", &err), -1);
	expect_msg(err, "no PEM PUBLIC KEY");
	error_free(err);
	oci_keyset_clear(&set);
}

static void base64__round_trip_and_strict(void **state)
{
	unsigned char *out = NULL;
	size_t len = 0, n;
	char *b;

	(void)state;
	for (n = 1; n < 8; n++) {
		b = oci_base64_encode("abcdefgh", n);
		assert_int_equal(oci_unbase64(b, &out, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, "abcdefgh", n);
		free(out);
		free(b);
	}
	assert_int_equal(oci_unbase64("YWJj\n", &out, &len), -1);
	assert_int_equal(oci_unbase64("YW=j", &out, &len), -1);
	assert_int_equal(oci_unbase64("YWJ", &out, &len), -1);
	assert_int_equal(oci_unbase64("", &out, &len), -1);
}

static void sign_verify__exact_bytes_and_key(void **state)
{
	cleanup_key struct oci_key *a = priv(key_a_pkcs8);
	cleanup_key struct oci_key *b = priv(key_b_pkcs8);
	cleanup_error struct error *err = NULL;
	cleanup_free char *sig = NULL;
	static const char msg[] = "payload bytes";

	(void)state;
	assert_int_equal(oci_sign_bytes(a, msg, strlen(msg), &sig, &err), 0);
	assert_int_equal(oci_verify_bytes(a, msg, strlen(msg), sig), 1);
	assert_int_equal(oci_verify_bytes(b, msg, strlen(msg), sig), 0);
	assert_int_equal(oci_verify_bytes(a, msg, strlen(msg) - 1, sig), 0);
	assert_int_equal(oci_verify_bytes(a, "payload byteS", 13, sig), 0);
	assert_int_equal(oci_verify_bytes(a, msg, strlen(msg), "AAAA"), 0);
	assert_int_equal(oci_verify_bytes(a, msg, strlen(msg), "not b64!"), 0);
}

static void payload__made_checked_and_mismatch_named(void **state)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *p = NULL;
	cleanup_free char *signed_digest = NULL;
	size_t len;

	(void)state;
	assert_int_equal(oci_payload_make("localhost:5000/g/x", DIGEST_A, &p,
					  &len, &err),
			 0);
	assert_string_equal(
		p, "{\"critical\":{\"identity\":{\"docker-reference\":"
		   "\"localhost:5000/g/x\"},\"image\":{\"docker-manifest-"
		   "digest\":\"" DIGEST_A "\"},\"type\":\"cosign container "
		   "image signature\"},\"optional\":null}");
	assert_int_equal(oci_payload_check(p, len, DIGEST_A, NULL, &err), 0);
	assert_int_equal(
		oci_payload_check(p, len, DIGEST_B, &signed_digest, &err), -1);
	expect_msg(err, "the signed payload is for " DIGEST_A);
	assert_string_equal(signed_digest, DIGEST_A);
}

static void payload__bad_shapes_refused(void **state)
{
	static const char *const bad[] = {
		"not json",
		"{\"critical\":{\"type\":\"other\",\"identity\":{\"docker-"
		"reference\":\"x\"},\"image\":{\"docker-manifest-digest\":"
		"\"" DIGEST_A "\"}}}",
		"{\"critical\":{\"type\":\"cosign container image signature\","
		"\"identity\":{\"docker-reference\":\"x\"},\"image\":{}}}",
		"{\"critical\":{\"type\":\"cosign container image signature\","
		"\"image\":{\"docker-manifest-digest\":\"" DIGEST_A "\"}}}",
		/* a second digest key: parsers could disagree on which wins */
		"{\"critical\":{\"type\":\"cosign container image signature\","
		"\"identity\":{\"docker-reference\":\"x\"},\"image\":{\"docker-"
		"manifest-digest\":\"" DIGEST_B "\",\"docker-manifest-digest\":"
		"\"" DIGEST_A "\"}}}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct error *err = NULL;

		if (oci_payload_check(bad[i], strlen(bad[i]), DIGEST_A, NULL,
				      &err) == 0)
			fail_msg("accepted: %s", bad[i]);
		error_free(err);
	}
}

/* ---- the .sig manifest, with blobs in memory ---- */

struct blobs {
	char digest[4][OCI_DIGEST_SIZE];
	char *data[4];
	size_t len[4];
	size_t n;
};

static void blobs_add(struct blobs *b, const char *data, size_t len)
{
	oci_digest_buf(data, len, b->digest[b->n]);
	b->data[b->n] = malloc(len + 1);
	memcpy(b->data[b->n], data, len);
	b->data[b->n][len] = '\0';
	b->len[b->n] = len;
	b->n++;
}

static void blobs_clear(struct blobs *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->data[i]);
	b->n = 0;
}

static int blobs_read(void *ctx, const char *digest, int64_t size, char **buf,
		      size_t *len, struct error **err)
{
	struct blobs *b = ctx;
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (strcmp(b->digest[i], digest))
			continue;
		if (size >= 0 && (size_t)size != b->len[i])
			return error_set(err, 0, "size mismatch");
		*buf = strndup(b->data[i], b->len[i]);
		*len = b->len[i];
		return 0;
	}
	return error_set(err, 0, "blob %s not found", digest);
}

/* A signature manifest for DIGEST_A signed by key (private PEM). */
static void make_sig(struct blobs *b, const char *key_pem, const char *digest,
		     char **manifest, size_t *mlen)
{
	cleanup_key struct oci_key *k = priv(key_pem);
	cleanup_error struct error *err = NULL;
	cleanup_free char *payload = NULL;
	cleanup_free char *sig = NULL;
	cleanup_free char *config = NULL;
	size_t plen, clen;

	assert_int_equal(oci_payload_make("localhost:5000/g/x", digest,
					  &payload, &plen, &err),
			 0);
	assert_int_equal(oci_sign_bytes(k, payload, plen, &sig, &err), 0);
	blobs_add(b, payload, plen);
	assert_int_equal(oci_sig_manifest_make(NULL, 0, k, b->digest[b->n - 1],
					       plen, sig, blobs_read, b,
					       manifest, mlen, &config, &clen,
					       &err),
			 0);
	assert_non_null(strstr(config, b->digest[b->n - 1]));
}

static int verify_with(struct blobs *b, const char *manifest, size_t mlen,
		       const char *pub, const char *digest, struct error **err)
{
	struct oci_keyset set = { 0 };
	struct oci_verified v;
	int r;

	keyset(&set, pub);
	r = oci_sig_manifest_verify(manifest, mlen, digest, &set, blobs_read, b,
				    &v, err);
	if (r == 0)
		assert_string_equal(v.payload_digest, b->digest[0]);
	oci_keyset_clear(&set);
	return r;
}

static void sig_manifest__verifies_and_refuses_each_wrong_thing(void **state)
{
	struct blobs b = { 0 };
	cleanup_free char *m = NULL;
	cleanup_free char *other = NULL;
	struct error *err = NULL;
	size_t mlen;
	char *p;

	(void)state;
	make_sig(&b, key_a_pkcs8, DIGEST_A, &m, &mlen);
	assert_non_null(strstr(m, OCI_MT_SIMPLESIGNING));
	assert_non_null(strstr(m, OCI_ANN_COSIGN_SIGNATURE));
	assert_int_equal(verify_with(&b, m, mlen, key_a_pub, DIGEST_A, &err),
			 0);
	/* another key */
	assert_int_equal(verify_with(&b, m, mlen, key_b_pub, DIGEST_A, &err),
			 -1);
	expect_msg(err, "does not verify with test.pub");
	error_free(err);
	err = NULL;
	/* another image */
	assert_int_equal(verify_with(&b, m, mlen, key_a_pub, DIGEST_B, &err),
			 -1);
	expect_msg(err, "the signed payload is for " DIGEST_A);
	error_free(err);
	err = NULL;
	/* the payload changed: its digest no longer matches */
	b.data[0][10] ^= 1;
	assert_int_equal(verify_with(&b, m, mlen, key_a_pub, DIGEST_A, &err),
			 -1);
	expect_msg(err, "does not verify");
	error_free(err);
	err = NULL;
	b.data[0][10] ^= 1;
	/* the layer's media type */
	other = strdup(m);
	p = strstr(other, "simplesigning");
	memcpy(p, "simplesignin_", 13);
	assert_int_equal(
		verify_with(&b, other, mlen, key_a_pub, DIGEST_A, &err), -1);
	expect_msg(err, "media type");
	error_free(err);
	err = NULL;
	/* no signature annotation */
	strcpy(other, m);
	p = strstr(other, "cosignproject");
	memcpy(p, "cosignprojecX", 13);
	assert_int_equal(
		verify_with(&b, other, mlen, key_a_pub, DIGEST_A, &err), -1);
	expect_msg(err, "no annotation");
	error_free(err);
	blobs_clear(&b);
}

static void sig_manifest__second_key_appends_same_key_replaces(void **state)
{
	struct blobs b = { 0 };
	cleanup_key struct oci_key *kb = priv(key_b_pkcs8);
	cleanup_key struct oci_key *ka = priv(key_a_pkcs8);
	cleanup_error struct error *err = NULL;
	cleanup_free char *m1 = NULL;
	cleanup_free char *m2 = NULL;
	cleanup_free char *m3 = NULL;
	cleanup_free char *cfg = NULL;
	cleanup_free char *cfg3 = NULL;
	cleanup_free char *sig = NULL;
	size_t l1, l2, l3, clen;

	(void)state;
	make_sig(&b, key_a_pkcs8, DIGEST_A, &m1, &l1);
	assert_int_equal(oci_sign_bytes(kb, b.data[0], b.len[0], &sig, &err),
			 0);
	assert_int_equal(oci_sig_manifest_make(m1, l1, kb, b.digest[0],
					       b.len[0], sig, blobs_read, &b,
					       &m2, &l2, &cfg, &clen, &err),
			 0);
	assert_int_equal(verify_with(&b, m2, l2, key_a_pub, DIGEST_A, &err), 0);
	assert_int_equal(verify_with(&b, m2, l2, key_b_pub, DIGEST_A, &err), 0);
	free(sig);
	sig = NULL;
	assert_int_equal(oci_sign_bytes(ka, b.data[0], b.len[0], &sig, &err),
			 0);
	assert_int_equal(oci_sig_manifest_make(m2, l2, ka, b.digest[0],
					       b.len[0], sig, blobs_read, &b,
					       &m3, &l3, &cfg3, &clen, &err),
			 0);
	/* two layers still: a's old signature was replaced */
	assert_non_null(strstr(m3, sig));
	{
		char *p = m3;
		int n = 0;

		while ((p = strstr(p, OCI_ANN_COSIGN_SIGNATURE))) {
			n++;
			p++;
		}
		assert_int_equal(n, 2);
	}
	blobs_clear(&b);
}

/* The layer list of a one-layer manifest, as its JSON text has it. */
static char *layers_text(const char *manifest)
{
	const char *p = strstr(manifest, "\"layers\":[");
	const char *end = p ? strstr(p, "}]") : NULL;

	assert_non_null(end);
	p += strlen("\"layers\":[");
	return strndup(p, end + 1 - p);
}

static void sig_manifest_merge__ours_added_to_theirs_once(void **state)
{
	struct blobs b = { 0 };
	cleanup_free char *ma = NULL;
	cleanup_free char *mb = NULL;
	cleanup_free char *m = NULL;
	cleanup_free char *cfg = NULL;
	char *again = NULL, *cfg2 = NULL;
	struct error *err = NULL;
	size_t la, lb, l, clen;

	(void)state;
	/* the same payload (one repository, one digest) signed by two keys */
	make_sig(&b, key_a_pkcs8, DIGEST_A, &ma, &la);
	make_sig(&b, key_b_pkcs8, DIGEST_A, &mb, &lb);
	assert_int_equal(oci_sig_manifest_merge(ma, la, mb, lb, &m, &l, &cfg,
						&clen, &err),
			 0);
	assert_non_null(m);
	assert_int_equal(verify_with(&b, m, l, key_a_pub, DIGEST_A, &err), 0);
	assert_int_equal(verify_with(&b, m, l, key_b_pub, DIGEST_A, &err), 0);
	/* theirs kept first, ours appended, as cosign adds a signature */
	{
		cleanup_free char *ta = layers_text(ma);
		cleanup_free char *tb = layers_text(mb);
		const char *pa = strstr(m, ta), *pb = strstr(m, tb);

		assert_non_null(pa);
		assert_non_null(pb);
		assert_true(pb < pa);
	}
	/* the config lists both layers (cosign's diff_ids) */
	assert_non_null(strstr(cfg, b.digest[0]));
	/* nothing to add: none made */
	assert_int_equal(oci_sig_manifest_merge(ma, la, m, l, &again, &l, &cfg2,
						&clen, &err),
			 0);
	assert_null(again);
	assert_null(cfg2);
	assert_int_equal(oci_sig_manifest_merge(mb, lb, mb, lb, &again, &l,
						&cfg2, &clen, &err),
			 0);
	assert_null(again);
	/* a registry's answer that is no manifest, or a layer without a
	 * digest: refused, never overwritten blindly */
	assert_int_equal(oci_sig_manifest_merge(ma, la, "{}", 2, &again, &l,
						&cfg2, &clen, &err),
			 -1);
	expect_msg(err, "not a manifest");
	error_free(err);
	err = NULL;
	assert_int_equal(oci_sig_manifest_merge(ma, la, "{\"layers\":[{}]}", 15,
						&again, &l, &cfg2, &clen, &err),
			 -1);
	expect_msg(err, "without a digest");
	error_free(err);
	blobs_clear(&b);
}

static void sig_manifest__too_many_layers_refused(void **state)
{
	struct blobs b = { 0 };
	struct oci_keyset set = { 0 };
	struct error *err = NULL;
	char *m = malloc(200 * (OCI_MAX_SIGNATURES + 2) + 200);
	size_t off, i;

	(void)state;
	keyset(&set, key_a_pub);
	off = sprintf(m,
		      "{\"schemaVersion\":2,\"mediaType\":\"application/"
		      "vnd.oci.image.manifest.v1+json\",\"config\":{"
		      "\"mediaType\":\"x\",\"digest\":\"%s\",\"size\":1},"
		      "\"layers\":[",
		      DIGEST_A);
	for (i = 0; i < OCI_MAX_SIGNATURES + 1; i++)
		off += sprintf(m + off,
			       "%s{\"mediaType\":\"" OCI_MT_SIMPLESIGNING
			       "\",\"digest\":\"%s\",\"size\":1}",
			       i ? "," : "", DIGEST_B);
	strcpy(m + off, "]}");
	assert_int_equal(oci_sig_manifest_verify(m, strlen(m), DIGEST_A, &set,
						 blobs_read, &b, NULL, &err),
			 -1);
	expect_msg(err, "layers (at most");
	error_free(err);
	oci_keyset_clear(&set);
	free(m);
}

static void sig_tag__format(void **state)
{
	char tag[OCI_SIG_TAG_SIZE];

	(void)state;
	oci_sig_tag(DIGEST_A, tag);
	assert_string_equal(tag, "sha256-0123456789abcdef0123456789abcdef"
				 "0123456789abcdef0123456789abcdef.sig");
	assert_true(oci_is_sig_tag(tag));
	assert_false(oci_is_sig_tag("v1"));
	oci_referrers_tag(DIGEST_A, tag);
	assert_string_equal(tag, "sha256-0123456789abcdef0123456789abcdef"
				 "0123456789abcdef0123456789abcdef");
}

static void is_signature_ref__sig_and_referrers_tags_bare_or_not(void **state)
{
	static const char hex[] = "0123456789abcdef0123456789abcdef"
				  "0123456789abcdef0123456789abcdef";
	char ref[256];

	(void)state;
	snprintf(ref, sizeof(ref), "localhost:5000/a/b:sha256-%s.sig", hex);
	assert_true(oci_is_signature_ref(ref));
	snprintf(ref, sizeof(ref), "localhost:5000/a/b:sha256-%s", hex);
	assert_true(oci_is_signature_ref(ref));
	assert_false(oci_is_signature_ref("localhost:5000/a/b:v1"));
	assert_false(oci_is_signature_ref("localhost:5000/a/b"));
	snprintf(ref, sizeof(ref), "localhost:5000/a/b:sha256-%.63s", hex);
	assert_false(oci_is_signature_ref(ref));
	snprintf(ref, sizeof(ref), "localhost:5000/a/b@sha256:%s", hex);
	assert_false(oci_is_signature_ref(ref));
	/* ig's store names them bare */
	snprintf(ref, sizeof(ref), "sha256-%s.sig", hex);
	assert_true(oci_is_signature_ref(ref));
	assert_string_equal(oci_stored_tag(ref), ref);
	assert_string_equal(oci_stored_tag("localhost:5000/a/b:v1"), "v1");
	assert_null(oci_stored_tag("localhost:5000/a/b"));
}

static void dsse_pae__spec_vector(void **state)
{
	cleanup_free char *p = NULL;
	size_t len;

	(void)state;
	assert_int_equal(oci_dsse_pae("http://example.com/HelloWorld",
				      "hello world", 11, &p, &len),
			 0);
	assert_string_equal(
		p, "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
	assert_int_equal(len, strlen(p));
}

static void bundle__verifies_for_its_digest_and_key_only(void **state)
{
	cleanup_key struct oci_key *a = priv(key_a_pkcs8);
	struct oci_keyset ka = { 0 }, kb = { 0 };
	cleanup_free char *bundle = NULL;
	struct error *err = NULL;
	size_t len;
	char *p;

	(void)state;
	keyset(&ka, key_a_pub);
	keyset(&kb, key_b_pub);
	assert_int_equal(oci_bundle_make(a, "localhost:5000/g/x", DIGEST_A,
					 &bundle, &len, &err),
			 0);
	assert_non_null(strstr(bundle, OCI_MT_SIGSTORE_BUNDLE));
	assert_non_null(strstr(bundle, "\"dsseEnvelope\""));
	assert_int_equal(
		oci_bundle_verify(bundle, len, DIGEST_A, &ka, NULL, &err), 0);
	assert_int_equal(
		oci_bundle_verify(bundle, len, DIGEST_B, &ka, NULL, &err), -1);
	expect_msg(err, "does not name");
	error_free(err);
	err = NULL;
	assert_int_equal(
		oci_bundle_verify(bundle, len, DIGEST_A, &kb, NULL, &err), -1);
	error_free(err);
	err = NULL;
	/* the payload type is signed too */
	p = strstr(bundle, "in-toto+json");
	memcpy(p, "in-totO", 7);
	assert_int_equal(
		oci_bundle_verify(bundle, len, DIGEST_A, &ka, NULL, &err), -1);
	error_free(err);
	oci_keyset_clear(&ka);
	oci_keyset_clear(&kb);
}

/* A bundle of statement stmt signed by k, as cosign writes one. */
static char *bundle_of(const struct oci_key *k, const char *stmt)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *pae = NULL;
	cleanup_free char *sig = NULL;
	cleanup_free char *payload = oci_base64_encode(stmt, strlen(stmt));
	char *b = NULL;
	size_t len;

	if (!payload ||
	    oci_dsse_pae(OCI_MT_INTOTO, stmt, strlen(stmt), &pae, &len) < 0 ||
	    oci_sign_bytes(k, pae, len, &sig, &err) < 0 ||
	    asprintf(&b,
		     "{\"mediaType\":\"" OCI_MT_SIGSTORE_BUNDLE "\","
		     "\"dsseEnvelope\":{\"payload\":\"%s\","
		     "\"payloadType\":\"" OCI_MT_INTOTO "\","
		     "\"signatures\":[{\"sig\":\"%s\"}]}}",
		     payload, sig) < 0)
		fail_msg("bundle: %s", err ? error_msg(err) : "alloc");
	return b;
}

/* An attestation (an SBOM) of the image by the same key is no signature. */
static void bundle__attestation_is_not_a_signature(void **state)
{
	static const char stmt[] =
		"{\"_type\":\"https://in-toto.io/Statement/v1\","
		"\"subject\":[{\"name\":\"localhost:5000/g/x\","
		"\"digest\":{\"sha256\":\"%s\"}}],"
		"\"predicateType\":\"%s\",\"predicate\":{}}";
	cleanup_key struct oci_key *a = priv(key_a_pkcs8);
	struct oci_keyset ka = { 0 };
	char text[512];
	char *b;
	struct error *err = NULL;

	(void)state;
	keyset(&ka, key_a_pub);
	snprintf(text, sizeof(text), stmt, oci_digest_hex(DIGEST_A),
		 OCI_COSIGN_PREDICATE);
	b = bundle_of(a, text);
	assert_int_equal(
		oci_bundle_verify(b, strlen(b), DIGEST_A, &ka, NULL, &err), 0);
	free(b);
	snprintf(text, sizeof(text), stmt, oci_digest_hex(DIGEST_A),
		 "https://cyclonedx.org/bom");
	b = bundle_of(a, text);
	assert_int_equal(
		oci_bundle_verify(b, strlen(b), DIGEST_A, &ka, NULL, &err), -1);
	expect_msg(err, "not a signature (predicate type "
			"https://cyclonedx.org/bom)");
	error_free(err);
	free(b);
	oci_keyset_clear(&ka);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			key_load__pkcs8_sec1_encrypted__same_public_key),
		cmocka_unit_test(key_load__refused_formats__say_why),
		cmocka_unit_test(keyset__two_blocks__two_keys_and_none_fails),
		cmocka_unit_test(base64__round_trip_and_strict),
		cmocka_unit_test(sign_verify__exact_bytes_and_key),
		cmocka_unit_test(payload__made_checked_and_mismatch_named),
		cmocka_unit_test(payload__bad_shapes_refused),
		cmocka_unit_test(
			sig_manifest__verifies_and_refuses_each_wrong_thing),
		cmocka_unit_test(
			sig_manifest__second_key_appends_same_key_replaces),
		cmocka_unit_test(sig_manifest_merge__ours_added_to_theirs_once),
		cmocka_unit_test(sig_manifest__too_many_layers_refused),
		cmocka_unit_test(sig_tag__format),
		cmocka_unit_test(
			is_signature_ref__sig_and_referrers_tags_bare_or_not),
		cmocka_unit_test(dsse_pae__spec_vector),
		cmocka_unit_test(bundle__verifies_for_its_digest_and_key_only),
		cmocka_unit_test(bundle__attestation_is_not_a_signature),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
