// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/digest.h"

/*
 * SHA-256 (FIPS 180-4), here rather than from libcrypto: a run from the
 * local store checks its blobs' digests and needs nothing else of
 * libcrypto, whose mapping costs ~3 MB of RSS and ~1 ms at every start.
 */
struct oci_sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed */
	unsigned char buf[64];
	size_t n; /* bytes in buf */
};

static const uint32_t k256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_init(struct oci_sha256 *h)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
					0xa54ff53a, 0x510e527f, 0x9b05688c,
					0x1f83d9ab, 0x5be0cd19 };

	memcpy(h->h, iv, sizeof(iv));
	h->len = 0;
	h->n = 0;
}

static void sha256_block(uint32_t st[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 64; i++)
		w[i] = w[i - 16] +
		       (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^
			(w[i - 15] >> 3)) +
		       w[i - 7] +
		       (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^
			(w[i - 2] >> 10));
	a = st[0], b = st[1], c = st[2], d = st[3];
	e = st[4], f = st[5], g = st[6], hh = st[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
		     ((e & f) ^ (~e & g)) + k256[i] + w[i];
		t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		hh = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	st[0] += a, st[1] += b, st[2] += c, st[3] += d;
	st[4] += e, st[5] += f, st[6] += g, st[7] += hh;
}

struct oci_sha256 *oci_sha256_new(void)
{
	struct oci_sha256 *h = malloc(sizeof(*h));

	if (h)
		sha256_init(h);
	return h;
}

void oci_sha256_update(struct oci_sha256 *h, const void *data, size_t len)
{
	const unsigned char *p = data;

	h->len += len;
	if (h->n) {
		size_t take = len < 64 - h->n ? len : 64 - h->n;

		memcpy(h->buf + h->n, p, take);
		h->n += take, p += take, len -= take;
		if (h->n < 64)
			return;
		sha256_block(h->h, h->buf);
		h->n = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		sha256_block(h->h, p);
	memcpy(h->buf, p, len);
	h->n = len;
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
	uint64_t bits = h->len * 8;
	unsigned char md[32];
	int i;

	h->buf[h->n++] = 0x80;
	if (h->n > 56) {
		memset(h->buf + h->n, 0, 64 - h->n);
		sha256_block(h->h, h->buf);
		h->n = 0;
	}
	memset(h->buf + h->n, 0, 56 - h->n);
	for (i = 0; i < 8; i++)
		h->buf[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_block(h->h, h->buf);
	for (i = 0; i < 32; i++)
		md[i] = (unsigned char)(h->h[i / 4] >> (24 - 8 * (i % 4)));
	to_digest(md, out);
}

void oci_sha256_free(struct oci_sha256 *h)
{
	free(h);
}

void oci_digest_buf(const void *buf, size_t len, char out[OCI_DIGEST_SIZE])
{
	struct oci_sha256 h;

	sha256_init(&h);
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
