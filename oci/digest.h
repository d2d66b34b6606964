/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Content digests ("sha256:<64 lower-case hex>"), the only algorithm the
 * store and the registry client accept.
 */
#ifndef OCI_DIGEST_H
#define OCI_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define OCI_DIGEST_PREFIX "sha256:"
/* strlen("sha256:") + 64 hex digits */
#define OCI_DIGEST_LEN 71
#define OCI_DIGEST_SIZE (OCI_DIGEST_LEN + 1)

struct oci_sha256;

/* A streaming SHA-256; NULL when out of memory. */
struct oci_sha256 *oci_sha256_new(void);
void oci_sha256_update(struct oci_sha256 *h, const void *data, size_t len);
/* Finish into "sha256:<hex>"; the hasher can not be updated afterwards. */
void oci_sha256_final(struct oci_sha256 *h, char out[OCI_DIGEST_SIZE]);
void oci_sha256_free(struct oci_sha256 *h);

/* Digest of a buffer. */
void oci_digest_buf(const void *buf, size_t len, char out[OCI_DIGEST_SIZE]);

/* True when s is exactly "sha256:" followed by 64 lower-case hex digits. */
bool oci_digest_valid(const char *s);
/* Like oci_digest_valid() with an error naming what is wrong. */
int oci_digest_check(const char *s, struct error **err);
/* The hex part of a valid digest. */
const char *oci_digest_hex(const char *digest);

#endif
