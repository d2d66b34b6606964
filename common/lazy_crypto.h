/* SPDX-License-Identifier: Apache-2.0 */
/* libcrypto, loaded on first use (common/lazylib.h): its functions the
 * project calls.  Include this instead of the library's headers. */
#ifndef COMMON_LAZY_CRYPTO_H
#define COMMON_LAZY_CRYPTO_H

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/lazylib.h"

extern struct lazylib lazy_crypto;

#define BIO_ctrl LAZYLIB_FN(lazy_crypto, BIO_ctrl)
#define BIO_free LAZYLIB_FN(lazy_crypto, BIO_free)
#define BIO_new LAZYLIB_FN(lazy_crypto, BIO_new)
#define BIO_new_mem_buf LAZYLIB_FN(lazy_crypto, BIO_new_mem_buf)
#define BIO_s_mem LAZYLIB_FN(lazy_crypto, BIO_s_mem)
#define CRYPTO_free LAZYLIB_FN(lazy_crypto, CRYPTO_free)
#define ERR_clear_error LAZYLIB_FN(lazy_crypto, ERR_clear_error)
#define ERR_peek_last_error LAZYLIB_FN(lazy_crypto, ERR_peek_last_error)
#define ERR_reason_error_string LAZYLIB_FN(lazy_crypto, ERR_reason_error_string)
#define EVP_DecodeBlock LAZYLIB_FN(lazy_crypto, EVP_DecodeBlock)
#define EVP_Digest LAZYLIB_FN(lazy_crypto, EVP_Digest)
#define EVP_DigestFinal_ex LAZYLIB_FN(lazy_crypto, EVP_DigestFinal_ex)
#define EVP_DigestInit_ex LAZYLIB_FN(lazy_crypto, EVP_DigestInit_ex)
#define EVP_DigestSign LAZYLIB_FN(lazy_crypto, EVP_DigestSign)
#define EVP_DigestSignInit LAZYLIB_FN(lazy_crypto, EVP_DigestSignInit)
#define EVP_DigestUpdate LAZYLIB_FN(lazy_crypto, EVP_DigestUpdate)
#define EVP_DigestVerify LAZYLIB_FN(lazy_crypto, EVP_DigestVerify)
#define EVP_DigestVerifyInit LAZYLIB_FN(lazy_crypto, EVP_DigestVerifyInit)
#define EVP_EncodeBlock LAZYLIB_FN(lazy_crypto, EVP_EncodeBlock)
#define EVP_MD_CTX_free LAZYLIB_FN(lazy_crypto, EVP_MD_CTX_free)
#define EVP_MD_CTX_new LAZYLIB_FN(lazy_crypto, EVP_MD_CTX_new)
#define EVP_PKEY_free LAZYLIB_FN(lazy_crypto, EVP_PKEY_free)
#define EVP_PKEY_get_base_id LAZYLIB_FN(lazy_crypto, EVP_PKEY_get_base_id)
#define EVP_PKEY_get_utf8_string_param \
	LAZYLIB_FN(lazy_crypto, EVP_PKEY_get_utf8_string_param)
#define EVP_sha256 LAZYLIB_FN(lazy_crypto, EVP_sha256)
#define PEM_read_bio_PUBKEY LAZYLIB_FN(lazy_crypto, PEM_read_bio_PUBKEY)
#define PEM_read_bio_PrivateKey LAZYLIB_FN(lazy_crypto, PEM_read_bio_PrivateKey)
#define PEM_write_bio_PUBKEY LAZYLIB_FN(lazy_crypto, PEM_write_bio_PUBKEY)
#define i2d_PUBKEY LAZYLIB_FN(lazy_crypto, i2d_PUBKEY)

#endif
