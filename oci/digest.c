// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "oci/digest.h"

/*
 * SHA-256 from nettle, not libcrypto: a run from the local store checks
 * its blobs' digests and needs nothing else of libcrypto, whose mapping
 * costs ~3 MB of RSS and ~1 ms at every start (nettle: ~0.3 MB).
 */
struct oci_sha256 {
	struct sha256_ctx ctx;
};

struct oci_sha256 *oci_sha256_new(void)
{
	struct oci_sha256 *h = malloc(sizeof(*h));

	if (h)
		sha256_init(&h->ctx);
	return h;
}

void oci_sha256_update(struct oci_sha256 *h, const void *data, size_t len)
{
	sha256_update(&h->ctx, len, data);
}

static void to_digest(const unsigned char *md, char out[OCI_DIGEST_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out + strlen(OCI_DIGEST_PREFIX);
	int i;

	memcpy(out, OCI_DIGEST_PREFIX, strlen(OCI_DIGEST_PREFIX));
	for (i = 0; i < 32; i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
}

void oci_sha256_final(struct oci_sha256 *h, char out[OCI_DIGEST_SIZE])
{
	unsigned char md[SHA256_DIGEST_SIZE];

	sha256_digest(&h->ctx, sizeof(md), md);
	to_digest(md, out);
}

void oci_sha256_free(struct oci_sha256 *h)
{
	free(h);
}

void oci_digest_buf(const void *buf, size_t len, char out[OCI_DIGEST_SIZE])
{
	struct oci_sha256 h;

	sha256_init(&h.ctx);
	oci_sha256_update(&h, buf, len);
	oci_sha256_final(&h, out);
}

bool oci_digest_valid(const char *s)
{
	size_t plen = strlen(OCI_DIGEST_PREFIX);
	size_t i;

	if (!s || strncmp(s, OCI_DIGEST_PREFIX, plen) != 0)
		return false;
	for (i = plen; i < OCI_DIGEST_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[OCI_DIGEST_LEN] == '\0';
}

int oci_digest_check(const char *s, struct error **err)
{
	const char *colon;

	if (oci_digest_valid(s))
		return 0;
	if (!s || !*s)
		return error_set(err, 0, "empty digest");
	colon = strchr(s, ':');
	if (!colon)
		return error_set(err, 0,
				 "digest \"%.80s\" lacks an algorithm prefix",
				 s);
	if (strncmp(s, OCI_DIGEST_PREFIX, strlen(OCI_DIGEST_PREFIX)) != 0)
		return error_set(err, 0,
				 "digest \"%.80s\": unsupported algorithm "
				 "\"%.*s\" (only sha256)",
				 s, (int)(colon - s > 20 ? 20 : colon - s), s);
	return error_set(err, 0,
			 "digest \"%.80s\" is not 64 lower-case hex digits", s);
}

const char *oci_digest_hex(const char *digest)
{
	return digest + strlen(OCI_DIGEST_PREFIX);
}
