/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image signatures in cosign's key-based formats, with libcrypto:
 *
 * - the legacy signature: tag "sha256-<hex>.sig" in the image's
 *   repository names an image manifest whose layers are simple-signing
 *   payloads (application/vnd.dev.cosign.simplesigning.v1+json), each with
 *   its base64 ECDSA P-256/SHA-256 signature (DER) in the layer annotation
 *   dev.cosignproject.cosign/signature;
 * - the same manifest kept as an OCI 1.1 referrer of the image (artifact
 *   type application/vnd.dev.cosign.artifact.sig.v1+json, a subject);
 * - the sigstore bundle (application/vnd.dev.sigstore.bundle.v0.3+json): a
 *   DSSE envelope over an in-toto statement naming the image digest, kept
 *   as an OCI 1.1 referrer of the image.
 *
 * Keys: ECDSA P-256 only.  Private keys are read from PEM as PKCS#8
 * ("PRIVATE KEY"), SEC1 ("EC PRIVATE KEY") and encrypted PKCS#8
 * ("ENCRYPTED PRIVATE KEY", passphrase from the caller).  cosign's own
 * "ENCRYPTED SIGSTORE PRIVATE KEY" (scrypt + NaCl secretbox) is refused
 * with a message saying so: libcrypto has no XSalsa20-Poly1305.  Public
 * keys: PEM "PUBLIC KEY" (SubjectPublicKeyInfo), as cosign writes them.
 */
#ifndef OCI_SIGN_H
#define OCI_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "oci/digest.h"

#define OCI_MT_SIMPLESIGNING "application/vnd.dev.cosign.simplesigning.v1+json"
#define OCI_ANN_COSIGN_SIGNATURE "dev.cosignproject.cosign/signature"
#define OCI_MT_IMAGE_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MT_EMPTY "application/vnd.oci.empty.v1+json"
#define OCI_MT_SIGSTORE_BUNDLE "application/vnd.dev.sigstore.bundle.v0.3+json"
/* The artifact type of a cosign signature kept as an OCI 1.1 referrer
 * (cosign's OCI 1.1 mode): a legacy signature manifest with a subject. */
#define OCI_MT_COSIGN_SIG_ARTIFACT \
	"application/vnd.dev.cosign.artifact.sig.v1+json"
#define OCI_MT_INTOTO "application/vnd.in-toto+json"
#define OCI_COSIGN_TYPE "cosign container image signature"
#define OCI_COSIGN_PREDICATE "https://sigstore.dev/cosign/sign/v1"
/* The predicate type of a bundle, on its referrer manifest (unsigned). */
#define OCI_ANN_BUNDLE_PREDICATE "dev.sigstore.bundle.predicateType"

/* Limits on what a signature manifest may hold. */
#define OCI_MAX_SIGNATURES 64
#define OCI_MAX_PAYLOAD (64 << 10)
#define OCI_MAX_KEYS 64

/* "sha256-<64 hex>.sig" and the referrers tag "sha256-<64 hex>". */
#define OCI_SIG_TAG_SIZE (OCI_DIGEST_LEN + 4 + 1)
void oci_sig_tag(const char *digest, char out[OCI_SIG_TAG_SIZE]);
void oci_referrers_tag(const char *digest, char out[OCI_SIG_TAG_SIZE]);
/* Whether tag is "sha256-<hex>.sig". */
bool oci_is_sig_tag(const char *tag);
/*
 * The tag of a stored reference: after the last ':' past the last '/', or
 * a bare name whole (ig stores its signatures as "sha256-<hex>.sig", with
 * no repository); NULL when there is none.
 */
const char *oci_stored_tag(const char *ref);
/* Whether ref's tag is a legacy signature's or a referrers tag: no image
 * of its own, but what signs one. */
bool oci_is_signature_ref(const char *ref);

struct oci_key;

/*
 * Read an ECDSA P-256 private key from PEM (see above for encodings);
 * passphrase is used for encrypted PKCS#8 only (NULL: none).
 */
int oci_key_load_private(const char *pem, size_t len, const char *passphrase,
			 struct oci_key **out, struct error **err);
/* Read one PEM "PUBLIC KEY" (ECDSA P-256). */
int oci_key_load_public(const char *pem, size_t len, struct oci_key **out,
			struct error **err);
/* The public half as PEM (malloc'd), or NULL. */
char *oci_key_public_pem(const struct oci_key *key);
/* Where the key came from, for messages (set by the caller). */
int oci_key_set_origin(struct oci_key *key, const char *origin);
const char *oci_key_origin(const struct oci_key *key);
void oci_key_free(struct oci_key *key);

/* A set of trusted public keys. */
struct oci_keyset {
	struct oci_key **v;
	size_t n;
};

/*
 * Add every "PUBLIC KEY" block of text (one or more PEM blocks); origin
 * names them in messages.  Fails when text holds none.
 */
int oci_keyset_add_pem(struct oci_keyset *set, const char *text, size_t len,
		       const char *origin, struct error **err);
void oci_keyset_clear(struct oci_keyset *set);

/* Encoding: oci_base64_encode() (oci/auth.h).  Strict decode: only the standard alphabet, padding where it belongs. */
int oci_unbase64(const char *s, unsigned char **out, size_t *len);

/* ECDSA P-256 over SHA-256 of buf; *sig_b64: base64 of the DER signature. */
int oci_sign_bytes(const struct oci_key *key, const void *buf, size_t len,
		   char **sig_b64, struct error **err);
/* 1 when sig_b64 is a valid signature of buf by key, 0 when not, -1 on
 * error (a malformed signature is "not valid"). */
int oci_verify_bytes(const struct oci_key *key, const void *buf, size_t len,
		     const char *sig_b64);

/*
 * The simple-signing payload for image digest, claimed identity
 * docker_ref (a reference without tag or digest):
 * {"critical":{"identity":{"docker-reference":R},"image":
 * {"docker-manifest-digest":D},"type":"cosign container image signature"},
 * "optional":null}, compact, keys sorted.
 */
int oci_payload_make(const char *docker_ref, const char *digest, char **buf,
		     size_t *len, struct error **err);
/*
 * Check a payload (untrusted JSON, duplicate keys refused): its type, and
 * that it names digest.  *signed_digest (if not NULL) receives the digest
 * it names when it names one (malloc'd), also on mismatch.
 */
int oci_payload_check(const void *buf, size_t len, const char *digest,
		      char **signed_digest, struct error **err);

/* Reads a blob by digest and size, checking both (store or transaction). */
typedef int (*oci_blob_read_fn)(void *ctx, const char *digest, int64_t size,
				char **buf, size_t *len, struct error **err);

/* What a successful verification found. */
struct oci_verified {
	bool ok; /* a signature of this form verified */
	size_t key; /* index of the key in the set */
	char payload_digest[OCI_DIGEST_SIZE];
};

/*
 * Verify a legacy signature manifest (untrusted bytes) for image digest:
 * some layer of media type simple-signing whose payload (read through
 * read, digest and size checked) is signed by a key of keys over its exact
 * bytes, and names digest.  Fails with the most telling reason otherwise.
 */
int oci_sig_manifest_verify(const void *manifest, size_t len,
			    const char *digest, const struct oci_keyset *keys,
			    oci_blob_read_fn read, void *ctx,
			    struct oci_verified *out, struct error **err);

/*
 * A signature manifest for payload (digest payload_digest, size
 * payload_len) signed as sig_b64, added to the layers of an existing one
 * (old, may be NULL; layers signed by the same key are replaced, given
 * key).  *manifest and *config are malloc'd JSON; the config blob is
 * cosign's minimal image config.
 */
int oci_sig_manifest_make(const void *old, size_t old_len,
			  const struct oci_key *key, const char *payload_digest,
			  size_t payload_len, const char *sig_b64,
			  oci_blob_read_fn read, void *ctx, char **manifest,
			  size_t *manifest_len, char **config,
			  size_t *config_len, struct error **err);

/*
 * The legacy signature manifest theirs (a registry's, untrusted) with the
 * layers of ours (a stored one) it lacks appended, as cosign adds a
 * signature: a layer is the same when its payload digest and signature
 * are.  *manifest and *config as oci_sig_manifest_make() gives them;
 * *manifest NULL when theirs holds every layer of ours.
 */
int oci_sig_manifest_merge(const void *ours, size_t ours_len,
			   const void *theirs, size_t theirs_len,
			   char **manifest, size_t *manifest_len, char **config,
			   size_t *config_len, struct error **err);

/* DSSE pre-authentication encoding of type and body (malloc'd). */
int oci_dsse_pae(const char *type, const void *body, size_t len, char **out,
		 size_t *out_len);

/*
 * A sigstore bundle v0.3 (JSON, malloc'd): a DSSE envelope signed by key
 * over an in-toto statement whose subject is name with digest.
 */
int oci_bundle_make(const struct oci_key *key, const char *name,
		    const char *digest, char **bundle, size_t *len,
		    struct error **err);
/* Verify a bundle (untrusted JSON) for digest against keys. */
int oci_bundle_verify(const void *bundle, size_t len, const char *digest,
		      const struct oci_keyset *keys, struct oci_verified *out,
		      struct error **err);

/*
 * The referrer manifest holding bundle (digest, size) for the image
 * subject (media type, digest, size); JSON, malloc'd.
 */
int oci_bundle_manifest_make(const char *bundle_digest, size_t bundle_len,
			     const char *subject_mt, const char *subject_digest,
			     int64_t subject_size, char **manifest, size_t *len,
			     struct error **err);

static inline void oci_key_freep(struct oci_key **k)
{
	oci_key_free(*k);
}

#define cleanup_key __attribute__((cleanup(oci_key_freep)))

#endif
