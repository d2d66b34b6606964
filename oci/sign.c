// SPDX-License-Identifier: Apache-2.0
/*
 * cosign's key-based signature formats (see sign.h), written from the
 * format's description: the simple-signing payload, the ".sig" manifest,
 * the sigstore bundle with its DSSE envelope.  Crypto is libcrypto's EVP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/lazy_crypto.h"
#include "common/cleanup.h"
#include "common/json.h"
#include "oci/auth.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/sign.h"

struct oci_key {
	EVP_PKEY *pkey;
	char *origin;
};

/* libcrypto's last error, for messages. */
static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "unknown libcrypto error";
}

/* s for a message: bytes outside printable ASCII become '?', cut at n-1. */
static const char *printable(const char *s, char *out, size_t n)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
	return out;
}

void oci_sig_tag(const char *digest, char out[OCI_SIG_TAG_SIZE])
{
	snprintf(out, OCI_SIG_TAG_SIZE, "sha256-%s.sig",
		 oci_digest_hex(digest));
}

void oci_referrers_tag(const char *digest, char out[OCI_SIG_TAG_SIZE])
{
	snprintf(out, OCI_SIG_TAG_SIZE, "sha256-%s", oci_digest_hex(digest));
}

/* Whether tag is "sha256-<hex>" then suffix. */
static bool is_digest_tag(const char *tag, const char *suffix)
{
	char d[OCI_DIGEST_SIZE];

	if (strlen(tag) != 7 + 64 + strlen(suffix) ||
	    strncmp(tag, "sha256-", 7) || strcmp(tag + 71, suffix))
		return false;
	snprintf(d, sizeof(d), "sha256:%.64s", tag + 7);
	return oci_digest_valid(d);
}

bool oci_is_sig_tag(const char *tag)
{
	return is_digest_tag(tag, ".sig");
}

const char *oci_stored_tag(const char *ref)
{
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(slash ? slash : ref, ':');

	if (strchr(ref, '@'))
		return NULL;
	if (colon)
		return colon + 1;
	return slash ? NULL : ref;
}

bool oci_is_signature_ref(const char *ref)
{
	const char *tag = oci_stored_tag(ref);

	return tag && (is_digest_tag(tag, ".sig") || is_digest_tag(tag, ""));
}

/* ---- keys ---- */

/* The label of the first PEM block of buf ("PRIVATE KEY"), or "". */
static void pem_label(const char *buf, size_t len, char *out, size_t size)
{
	const char *b = memmem(buf, len, "-----BEGIN ", 11);
	const char *e;

	out[0] = '\0';
	if (!b)
		return;
	b += 11;
	e = memmem(b, len - (b - buf), "-----", 5);
	if (!e || (size_t)(e - b) >= size)
		return;
	memcpy(out, b, e - b);
	out[e - b] = '\0';
}

static int check_p256(EVP_PKEY *pkey, struct error **err)
{
	char group[64] = "";
	size_t n = 0;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
		return error_set(err, 0,
				 "not an ECDSA key (only ECDSA P-256 is "
				 "supported)");
	if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
					    group, sizeof(group), &n) ||
	    (strcmp(group, "prime256v1") && strcmp(group, "P-256")))
		return error_set(err, 0,
				 "ECDSA key on curve %s: only P-256 is "
				 "supported",
				 *group ? group : "unknown");
	return 0;
}

struct pass {
	const char *s;
};

/* PEM password callback: the given passphrase, never a prompt. */
static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	const struct pass *p = u;
	size_t n;

	(void)rwflag;
	if (!p || !p->s)
		return -1;
	n = strlen(p->s);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, p->s, n);
	return (int)n;
}

static int key_new(EVP_PKEY *pkey, struct oci_key **out, struct error **err)
{
	struct oci_key *k;

	if (check_p256(pkey, err) < 0) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pkey);
		return error_set(err, ENOMEM, "alloc");
	}
	k->pkey = pkey;
	*out = k;
	return 0;
}

int oci_key_load_private(const char *pem, size_t len, const char *passphrase,
			 struct oci_key **out, struct error **err)
{
	struct pass p = { passphrase };
	char label[64];
	EVP_PKEY *pkey;
	BIO *bio;

	pem_label(pem, len, label, sizeof(label));
	if (!strcmp(label, "ENCRYPTED SIGSTORE PRIVATE KEY") ||
	    !strcmp(label, "ENCRYPTED COSIGN PRIVATE KEY"))
		return error_set(err, 0,
				 "%s: cosign's encrypted key format (scrypt "
				 "and NaCl secretbox) is not supported; give "
				 "the key as PKCS#8 or SEC1 PEM",
				 label);
	if (strcmp(label, "PRIVATE KEY") && strcmp(label, "EC PRIVATE KEY") &&
	    strcmp(label, "ENCRYPTED PRIVATE KEY"))
		return error_set(err, 0,
				 "no PEM private key (want PRIVATE KEY, EC "
				 "PRIVATE KEY or ENCRYPTED PRIVATE KEY)");
	if (!strcmp(label, "ENCRYPTED PRIVATE KEY") && !passphrase)
		return error_set(err, 0,
				 "the key is encrypted and no passphrase was "
				 "given");
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return error_set(err, ENOMEM, "alloc");
	ERR_clear_error();
	pkey = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, &p);
	BIO_free(bio);
	if (!pkey)
		return error_set(err, 0, "read %s: %s", label, ssl_reason());
	return key_new(pkey, out, err);
}

int oci_key_load_public(const char *pem, size_t len, struct oci_key **out,
			struct error **err)
{
	EVP_PKEY *pkey;
	BIO *bio = BIO_new_mem_buf(pem, (int)len);

	if (!bio)
		return error_set(err, ENOMEM, "alloc");
	ERR_clear_error();
	pkey = PEM_read_bio_PUBKEY(bio, NULL, pass_cb, NULL);
	BIO_free(bio);
	if (!pkey)
		return error_set(err, 0, "read PUBLIC KEY: %s", ssl_reason());
	return key_new(pkey, out, err);
}

char *oci_key_public_pem(const struct oci_key *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (!bio)
		return NULL;
	if (PEM_write_bio_PUBKEY(bio, key->pkey)) {
		n = BIO_get_mem_data(bio, &data);
		if (n > 0)
			out = strndup(data, n);
	}
	BIO_free(bio);
	return out;
}

int oci_key_set_origin(struct oci_key *key, const char *origin)
{
	char *o = strdup(origin);

	if (!o)
		return -1;
	free(key->origin);
	key->origin = o;
	return 0;
}

const char *oci_key_origin(const struct oci_key *key)
{
	return key->origin ? key->origin : "key";
}

void oci_key_free(struct oci_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key->origin);
	free(key);
}

int oci_keyset_add_pem(struct oci_keyset *set, const char *text, size_t len,
		       const char *origin, struct error **err)
{
	static const char begin[] = "-----BEGIN PUBLIC KEY-----";
	static const char end[] = "-----END PUBLIC KEY-----";
	const char *p = text, *stop = text + len;
	size_t found = 0;

	while (p < stop) {
		const char *b = memmem(p, stop - p, begin, strlen(begin));
		const char *e;
		struct oci_key *k = NULL;
		struct oci_key **v;

		if (!b)
			break;
		e = memmem(b, stop - b, end, strlen(end));
		if (!e)
			return error_set(err, 0, "%s: PEM block without end",
					 origin);
		e += strlen(end);
		if (set->n >= OCI_MAX_KEYS)
			return error_set(err, 0, "more than %d public keys",
					 OCI_MAX_KEYS);
		if (oci_key_load_public(b, e - b, &k, err) < 0)
			return error_prefix(err, "%s", origin);
		v = realloc(set->v, (set->n + 1) * sizeof(*v));
		if (!v || oci_key_set_origin(k, origin) < 0) {
			if (v)
				set->v = v;
			oci_key_free(k);
			return error_set(err, ENOMEM, "alloc");
		}
		set->v = v;
		set->v[set->n++] = k;
		found++;
		p = e;
	}
	if (!found)
		return error_set(err, 0, "%s: no PEM PUBLIC KEY", origin);
	return 0;
}

void oci_keyset_clear(struct oci_keyset *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		oci_key_free(set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

/* ---- base64 ---- */

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int oci_unbase64(const char *s, unsigned char **out, size_t *len)
{
	size_t n = strlen(s), pad = 0, i;
	unsigned char *buf;
	int got;

	if (n == 0 || n % 4 || n > (16u << 20))
		return -1;
	if (s[n - 1] == '=')
		pad++;
	if (pad && s[n - 2] == '=')
		pad++;
	for (i = 0; i < n - pad; i++)
		if (!b64_char(s[i]))
			return -1;
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -1;
	got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n);
	if (got < 0 || (size_t)got < pad) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = got - pad;
	return 0;
}

/* ---- signatures ---- */

int oci_sign_bytes(const struct oci_key *key, const void *buf, size_t len,
		   char **sig_b64, struct error **err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t n = 0;
	int ret = -1;

	ERR_clear_error();
	if (!ctx ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &n, buf, len) != 1) {
		error_set(err, 0, "sign: %s", ssl_reason());
		goto out;
	}
	sig = malloc(n);
	if (!sig) {
		error_set(err, ENOMEM, "alloc");
		goto out;
	}
	if (EVP_DigestSign(ctx, sig, &n, buf, len) != 1) {
		error_set(err, 0, "sign: %s", ssl_reason());
		goto out;
	}
	*sig_b64 = oci_base64_encode(sig, n);
	if (!*sig_b64) {
		error_set(err, ENOMEM, "alloc");
		goto out;
	}
	ret = 0;
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return ret;
}

int oci_verify_bytes(const struct oci_key *key, const void *buf, size_t len,
		     const char *sig_b64)
{
	cleanup_free unsigned char *sig = NULL;
	EVP_MD_CTX *ctx;
	size_t n;
	int r;

	if (oci_unbase64(sig_b64, &sig, &n) < 0)
		return 0;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -1;
	r = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key->pkey);
	if (r == 1)
		r = EVP_DigestVerify(ctx, sig, n, buf, len);
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return r == 1 ? 1 : 0;
}

/* ---- the simple-signing payload ---- */

int oci_payload_make(const char *docker_ref, const char *digest, char **buf,
		     size_t *len, struct error **err)
{
	cleanup_json json_t *j = NULL;

	if (oci_digest_check(digest, err) < 0)
		return -1;
	j = json_pack("{s:{s:{s:s}, s:{s:s}, s:s}, s:n}", "critical",
		      "identity", "docker-reference", docker_ref, "image",
		      "docker-manifest-digest", digest, "type", OCI_COSIGN_TYPE,
		      "optional");
	if (!j)
		return error_set(err, ENOMEM, "payload");
	*buf = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (!*buf)
		return error_set(err, ENOMEM, "payload");
	*len = strlen(*buf);
	return 0;
}

int oci_payload_check(const void *buf, size_t len, const char *digest,
		      char **signed_digest, struct error **err)
{
	cleanup_json json_t *j = NULL;
	json_error_t jerr;
	json_t *crit, *image, *ident;
	const char *type, *d;

	if (signed_digest)
		*signed_digest = NULL;
	if (len > OCI_MAX_PAYLOAD)
		return error_set(err, 0, "payload of %zu bytes is too large",
				 len);
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return error_set(err, 0, "payload is not JSON: %s", jerr.text);
	crit = json_object_get(j, "critical");
	type = json_string_value(json_object_get(crit, "type"));
	if (!json_is_object(crit))
		return error_set(err, 0, "payload has no critical section");
	if (!type || strcmp(type, OCI_COSIGN_TYPE))
		return error_set(err, 0,
				 "payload type is not \"" OCI_COSIGN_TYPE "\"");
	ident = json_object_get(crit, "identity");
	if (!json_is_string(json_object_get(ident, "docker-reference")))
		return error_set(err, 0,
				 "payload has no "
				 "critical.identity.docker-reference");
	image = json_object_get(crit, "image");
	d = json_string_value(json_object_get(image, "docker-manifest-digest"));
	if (!d || !oci_digest_valid(d))
		return error_set(err, 0,
				 "payload has no valid "
				 "critical.image.docker-manifest-digest");
	if (signed_digest)
		*signed_digest = strdup(d);
	if (strcmp(d, digest))
		return error_set(err, 0, "the signed payload is for %s", d);
	return 0;
}

/* ---- the legacy signature manifest ---- */

/* Reasons a layer fails, from the least to the most telling. */
enum why {
	WHY_NONE,
	WHY_MEDIA_TYPE,
	WHY_NO_SIGNATURE,
	WHY_PAYLOAD_READ,
	WHY_NO_KEY,
	WHY_PAYLOAD,
};

int oci_sig_manifest_verify(const void *manifest, size_t len,
			    const char *digest, const struct oci_keyset *keys,
			    oci_blob_read_fn read, void *ctx,
			    struct oci_verified *out, struct error **err)
{
	cleanup_manifest struct oci_manifest *m = NULL;
	enum why why = WHY_NONE;
	char reason[512] = "", mt[128];
	size_t i, k;

	if (oci_manifest_parse(manifest, len, &m, err) < 0)
		return error_prefix(err, "signature manifest");
	if (m->media_type && strcmp(m->media_type, OCI_MT_MANIFEST) &&
	    strcmp(m->media_type, OCI_MT_DOCKER_MANIFEST))
		return error_set(err, 0, "signature manifest has media type %s",
				 printable(m->media_type, mt, sizeof(mt)));
	if (m->n_layers == 0)
		return error_set(err, 0, "signature manifest has no layer");
	if (m->n_layers > OCI_MAX_SIGNATURES)
		return error_set(err, 0,
				 "signature manifest has %zu layers (at most "
				 "%d)",
				 m->n_layers, OCI_MAX_SIGNATURES);
	if (keys->n == 0)
		return error_set(err, 0, "no public key to verify with");
	for (i = 0; i < m->n_layers; i++) {
		const struct oci_descriptor *l = &m->layers[i];
		const char *sig = oci_kv_get(l->annotations, l->n_annotations,
					     OCI_ANN_COSIGN_SIGNATURE);
		cleanup_free char *payload = NULL;
		cleanup_free char *signed_digest = NULL;
		struct error *e = NULL;
		size_t plen;

		if (strcmp(l->media_type, OCI_MT_SIMPLESIGNING)) {
			if (why < WHY_MEDIA_TYPE) {
				why = WHY_MEDIA_TYPE;
				snprintf(reason, sizeof(reason),
					 "signature layer has media type %s",
					 printable(l->media_type, mt,
						   sizeof(mt)));
			}
			continue;
		}
		if (!sig) {
			if (why < WHY_NO_SIGNATURE) {
				why = WHY_NO_SIGNATURE;
				snprintf(reason, sizeof(reason),
					 "signature layer %s has no "
					 "annotation " OCI_ANN_COSIGN_SIGNATURE,
					 l->digest);
			}
			continue;
		}
		if (l->size > OCI_MAX_PAYLOAD ||
		    read(ctx, l->digest, l->size, &payload, &plen, &e) < 0) {
			if (why < WHY_PAYLOAD_READ) {
				why = WHY_PAYLOAD_READ;
				snprintf(reason, sizeof(reason),
					 "signed payload %s: %.300s", l->digest,
					 e ? error_msg(e) : "too large");
			}
			error_free(e);
			continue;
		}
		for (k = 0; k < keys->n; k++)
			if (oci_verify_bytes(keys->v[k], payload, plen, sig) ==
			    1)
				break;
		if (k == keys->n) {
			if (why < WHY_NO_KEY) {
				why = WHY_NO_KEY;
				snprintf(reason, sizeof(reason),
					 "signature does not verify with %s%s",
					 keys->n > 1 ?
						 "any of the keys, e.g. " :
						 "",
					 oci_key_origin(keys->v[0]));
			}
			continue;
		}
		if (oci_payload_check(payload, plen, digest, &signed_digest,
				      &e) < 0) {
			if (why < WHY_PAYLOAD) {
				why = WHY_PAYLOAD;
				snprintf(reason, sizeof(reason), "%.400s",
					 error_msg(e));
			}
			error_free(e);
			continue;
		}
		if (out) {
			out->key = k;
			snprintf(out->payload_digest, OCI_DIGEST_SIZE, "%s",
				 l->digest);
		}
		return 0;
	}
	return error_set(err, 0, "%s", reason);
}

/* cosign's minimal image config: rootfs diff_ids = the layer digests. */
static json_t *sig_config(json_t *layers)
{
	json_t *ids = json_array(), *l;
	size_t i;

	if (!ids)
		return NULL;
	json_array_foreach (layers, i, l)
		json_array_append(ids, json_object_get(l, "digest"));
	return json_pack("{s:s, s:s, s:{}, s:{s:s, s:o}}", "architecture", "",
			 "os", "", "config", "rootfs", "type", "layers",
			 "diff_ids", ids);
}

/* The manifest and config (malloc'd JSON) of a signature of layers. */
static int sig_manifest_build(json_t *layers, char **manifest,
			      size_t *manifest_len, char **config,
			      size_t *config_len, struct error **err)
{
	cleanup_json json_t *cfg = sig_config(layers);
	cleanup_json json_t *m = NULL;
	char cfg_digest[OCI_DIGEST_SIZE];

	*config = cfg ? json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!*config)
		return error_set(err, ENOMEM, "alloc");
	*config_len = strlen(*config);
	oci_digest_buf(*config, *config_len, cfg_digest);
	m = json_pack("{s:i, s:s, s:{s:s, s:I, s:s}, s:O}", "schemaVersion", 2,
		      "mediaType", OCI_MT_MANIFEST, "config", "mediaType",
		      OCI_MT_IMAGE_CONFIG, "size", (json_int_t)*config_len,
		      "digest", cfg_digest, "layers", layers);
	*manifest = m ? json_dumps(m, JSON_COMPACT) : NULL;
	if (!*manifest) {
		free(*config);
		*config = NULL;
		return error_set(err, ENOMEM, "alloc");
	}
	*manifest_len = strlen(*manifest);
	return 0;
}

/* The signature annotation of layer l, "" without one. */
static const char *layer_sig(json_t *l)
{
	const char *s = json_string_value(json_object_get(
		json_object_get(l, "annotations"), OCI_ANN_COSIGN_SIGNATURE));

	return s ? s : "";
}

/* Whether layers holds l: the same payload signed the same way. */
static bool has_layer(json_t *layers, json_t *l)
{
	const char *d = json_string_value(json_object_get(l, "digest"));
	json_t *x;
	size_t i;

	json_array_foreach (layers, i, x) {
		const char *xd =
			json_string_value(json_object_get(x, "digest"));

		if (d && xd && !strcmp(d, xd) &&
		    !strcmp(layer_sig(l), layer_sig(x)))
			return true;
	}
	return false;
}

int oci_sig_manifest_merge(const void *ours, size_t ours_len,
			   const void *theirs, size_t theirs_len,
			   char **manifest, size_t *manifest_len, char **config,
			   size_t *config_len, struct error **err)
{
	cleanup_json json_t *o = json_loadb(ours, ours_len, 0, NULL);
	cleanup_json json_t *t = json_loadb(theirs, theirs_len, 0, NULL);
	cleanup_json json_t *layers = NULL;
	json_t *l;
	size_t i, n;

	*manifest = *config = NULL;
	if (!json_is_array(json_object_get(o, "layers")))
		return error_set(err, 0,
				 "the stored signature manifest is "
				 "not a manifest");
	layers = json_deep_copy(json_object_get(t, "layers"));
	if (!json_is_array(layers))
		return error_set(err, 0,
				 "the registry's signature manifest "
				 "is not a manifest");
	n = json_array_size(layers);
	json_array_foreach (layers, i, l)
		if (!json_is_object(l) ||
		    !oci_digest_valid(
			    json_string_value(json_object_get(l, "digest"))))
			return error_set(err, 0,
					 "the registry's signature manifest "
					 "has a layer without a digest");
	json_array_foreach (json_object_get(o, "layers"), i, l)
		if (!has_layer(layers, l) && json_array_append(layers, l) < 0)
			return error_set(err, ENOMEM, "alloc");
	if (json_array_size(layers) == n)
		return 0; /* it has every one of ours */
	if (json_array_size(layers) > OCI_MAX_SIGNATURES)
		return error_set(err, 0,
				 "the registry's signature manifest and ours "
				 "hold more than %d signatures",
				 OCI_MAX_SIGNATURES);
	return sig_manifest_build(layers, manifest, manifest_len, config,
				  config_len, err);
}

int oci_sig_manifest_make(const void *old, size_t old_len,
			  const struct oci_key *key, const char *payload_digest,
			  size_t payload_len, const char *sig_b64,
			  oci_blob_read_fn read, void *ctx, char **manifest,
			  size_t *manifest_len, char **config,
			  size_t *config_len, struct error **err)
{
	cleanup_json json_t *layers = json_array();
	size_t i;

	if (!layers)
		return error_set(err, ENOMEM, "alloc");
	if (old) {
		cleanup_json json_t *o = json_loadb(old, old_len, 0, NULL);
		json_t *l;

		if (!json_is_array(json_object_get(o, "layers")))
			return error_set(err, 0,
					 "the stored signature manifest is "
					 "not a manifest");
		json_array_foreach (json_object_get(o, "layers"), i, l) {
			const char *mt = json_string_value(
				json_object_get(l, "mediaType"));
			const char *d =
				json_string_value(json_object_get(l, "digest"));
			const char *s = json_string_value(json_object_get(
				json_object_get(l, "annotations"),
				OCI_ANN_COSIGN_SIGNATURE));
			json_int_t size =
				json_integer_value(json_object_get(l, "size"));
			cleanup_free char *p = NULL;
			size_t plen;

			if (!mt || !d || !s || strcmp(mt, OCI_MT_SIMPLESIGNING))
				continue;
			/* a new signature by the same key replaces its
			 * old one */
			if (read(ctx, d, size, &p, &plen, NULL) == 0 &&
			    oci_verify_bytes(key, p, plen, s) == 1)
				continue;
			if (json_array_size(layers) >= OCI_MAX_SIGNATURES - 1)
				break;
			json_array_append(layers, l);
		}
	}
	if (json_array_append_new(
		    layers, json_pack("{s:s, s:I, s:s, s:{s:s}}", "mediaType",
				      OCI_MT_SIMPLESIGNING, "size",
				      (json_int_t)payload_len, "digest",
				      payload_digest, "annotations",
				      OCI_ANN_COSIGN_SIGNATURE, sig_b64)) < 0)
		return error_set(err, ENOMEM, "alloc");
	return sig_manifest_build(layers, manifest, manifest_len, config,
				  config_len, err);
}

/* ---- the sigstore bundle ---- */

int oci_dsse_pae(const char *type, const void *body, size_t len, char **out,
		 size_t *out_len)
{
	char head[128];
	int n = snprintf(head, sizeof(head), "DSSEv1 %zu ", strlen(type));
	char mid[32];
	int m = snprintf(mid, sizeof(mid), " %zu ", len);
	size_t tl = strlen(type);
	char *p;

	if (n < 0 || m < 0)
		return -1;
	p = malloc(n + tl + m + len + 1);
	if (!p)
		return -1;
	memcpy(p, head, n);
	memcpy(p + n, type, tl);
	memcpy(p + n + tl, mid, m);
	memcpy(p + n + tl + m, body, len);
	p[n + tl + m + len] = '\0';
	*out = p;
	*out_len = n + tl + m + len;
	return 0;
}

/* base64 of the SHA-256 of the key's DER SubjectPublicKeyInfo. */
static char *key_hint(const struct oci_key *key)
{
	unsigned char *der = NULL;
	unsigned char md[32];
	unsigned int mdlen = 0;
	int n = i2d_PUBKEY(key->pkey, &der);
	char *out = NULL;

	if (n > 0 && EVP_Digest(der, n, md, &mdlen, EVP_sha256(), NULL) == 1)
		out = oci_base64_encode(md, mdlen);
	OPENSSL_free(der);
	return out;
}

int oci_bundle_make(const struct oci_key *key, const char *name,
		    const char *digest, char **bundle, size_t *len,
		    struct error **err)
{
	cleanup_json json_t *st = NULL;
	cleanup_json json_t *b = NULL;
	cleanup_free char *stmt = NULL;
	cleanup_free char *pae = NULL;
	cleanup_free char *sig = NULL;
	cleanup_free char *payload = NULL;
	cleanup_free char *hint = NULL;
	size_t pae_len;

	if (oci_digest_check(digest, err) < 0)
		return -1;
	st = json_pack("{s:s, s:[{s:s, s:{s:s}}], s:s, s:{}}", "_type",
		       "https://in-toto.io/Statement/v1", "subject", "name",
		       name, "digest", "sha256", oci_digest_hex(digest),
		       "predicateType", OCI_COSIGN_PREDICATE, "predicate");
	stmt = st ? json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!stmt ||
	    oci_dsse_pae(OCI_MT_INTOTO, stmt, strlen(stmt), &pae, &pae_len) < 0)
		return error_set(err, ENOMEM, "bundle");
	if (oci_sign_bytes(key, pae, pae_len, &sig, err) < 0)
		return -1;
	payload = oci_base64_encode(stmt, strlen(stmt));
	hint = key_hint(key);
	if (!payload || !hint)
		return error_set(err, ENOMEM, "bundle");
	b = json_pack("{s:s, s:{s:{s:s}, s:[]}, s:{s:s, s:s, s:[{s:s}]}}",
		      "mediaType", OCI_MT_SIGSTORE_BUNDLE,
		      "verificationMaterial", "publicKey", "hint", hint,
		      "tlogEntries", "dsseEnvelope", "payload", payload,
		      "payloadType", OCI_MT_INTOTO, "signatures", "sig", sig);
	*bundle = b ? json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!*bundle)
		return error_set(err, ENOMEM, "bundle");
	*len = strlen(*bundle);
	return 0;
}

/*
 * The in-toto statement is a cosign signature (not an attestation, an SBOM
 * say, which the same key signs in the same kind of bundle) and names
 * digest among its subjects.
 */
static int statement_check(const unsigned char *buf, size_t len,
			   const char *digest, struct error **err)
{
	cleanup_json json_t *st = json_loadb((const char *)buf, len,
					     JSON_REJECT_DUPLICATES, NULL);
	const char *pt;
	char shown[128];
	json_t *s;
	size_t i;

	if (!st)
		return error_set(err, 0, "bundle statement is not JSON");
	pt = json_string_value(json_object_get(st, "predicateType"));
	if (!pt || strcmp(pt, OCI_COSIGN_PREDICATE))
		return error_set(err, 0,
				 "the bundle's statement is not a signature "
				 "(predicate type %s)",
				 pt ? printable(pt, shown, sizeof(shown)) :
				      "none");
	json_array_foreach (json_object_get(st, "subject"), i, s) {
		const char *h = json_string_value(json_object_get(
			json_object_get(s, "digest"), "sha256"));

		if (h && !strcmp(h, oci_digest_hex(digest)))
			return 0;
	}
	return error_set(err, 0, "the bundle's statement does not name %s",
			 digest);
}

int oci_bundle_verify(const void *bundle, size_t len, const char *digest,
		      const struct oci_keyset *keys, struct oci_verified *out,
		      struct error **err)
{
	cleanup_json json_t *b = NULL;
	cleanup_free unsigned char *payload = NULL;
	cleanup_free char *pae = NULL;
	const char *mt, *ptype, *p64;
	json_t *env, *s;
	size_t plen, pae_len, i, k;

	if (len > OCI_MAX_PAYLOAD * 4)
		return error_set(err, 0, "bundle is too large");
	b = json_loadb(bundle, len, JSON_REJECT_DUPLICATES, NULL);
	mt = json_string_value(json_object_get(b, "mediaType"));
	if (!mt || strcmp(mt, OCI_MT_SIGSTORE_BUNDLE))
		return error_set(err, 0, "not a sigstore bundle v0.3");
	env = json_object_get(b, "dsseEnvelope");
	ptype = json_string_value(json_object_get(env, "payloadType"));
	p64 = json_string_value(json_object_get(env, "payload"));
	if (!ptype || strcmp(ptype, OCI_MT_INTOTO) || !p64)
		return error_set(err, 0, "bundle has no in-toto DSSE envelope");
	if (oci_unbase64(p64, &payload, &plen) < 0)
		return error_set(err, 0, "bundle payload is not base64");
	if (oci_dsse_pae(ptype, payload, plen, &pae, &pae_len) < 0)
		return error_set(err, ENOMEM, "alloc");
	json_array_foreach (json_object_get(env, "signatures"), i, s) {
		const char *sig = json_string_value(json_object_get(s, "sig"));

		if (!sig || i >= OCI_MAX_SIGNATURES)
			continue;
		for (k = 0; k < keys->n; k++) {
			if (oci_verify_bytes(keys->v[k], pae, pae_len, sig) !=
			    1)
				continue;
			if (statement_check(payload, plen, digest, err) < 0)
				return -1;
			if (out) {
				out->key = k;
				out->payload_digest[0] = '\0';
			}
			return 0;
		}
	}
	return error_set(err, 0, "bundle signature does not verify with %s",
			 keys->n ? oci_key_origin(keys->v[0]) : "no key");
}

int oci_bundle_manifest_make(const char *bundle_digest, size_t bundle_len,
			     const char *subject_mt, const char *subject_digest,
			     int64_t subject_size, char **manifest, size_t *len,
			     struct error **err)
{
	char empty[OCI_DIGEST_SIZE];
	cleanup_json json_t *m = NULL;

	oci_digest_buf("{}", 2, empty);
	m = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:i}, s:[{s:s, s:s, s:I}],"
		      " s:{s:s, s:s, s:I}, s:{s:s, s:s}}",
		      "schemaVersion", 2, "mediaType", OCI_MT_MANIFEST,
		      "artifactType", OCI_MT_SIGSTORE_BUNDLE, "config",
		      "mediaType", OCI_MT_EMPTY, "digest", empty, "size", 2,
		      "layers", "mediaType", OCI_MT_SIGSTORE_BUNDLE, "digest",
		      bundle_digest, "size", (json_int_t)bundle_len, "subject",
		      "mediaType", subject_mt, "digest", subject_digest, "size",
		      (json_int_t)subject_size, "annotations",
		      "dev.sigstore.bundle.content", "dsse-envelope",
		      OCI_ANN_BUNDLE_PREDICATE, OCI_COSIGN_PREDICATE);
	*manifest = m ? json_dumps(m, JSON_COMPACT) : NULL;
	if (!*manifest)
		return error_set(err, ENOMEM, "alloc");
	*len = strlen(*manifest);
	return 0;
}
