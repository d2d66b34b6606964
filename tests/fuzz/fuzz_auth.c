// SPDX-License-Identifier: Apache-2.0
/*
 * Registry authentication input (oci/auth.c).  The first byte picks what
 * the rest is:
 *   0  a WWW-Authenticate header value (oci_challenge_parse)
 *   1  base64 text: decode, encode and decode again must agree; and the
 *      raw bytes must survive encode -> decode
 *   2  a docker-format auth file read by oci_auth_get()
 */
#include <fcntl.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "oci/auth.h"
#include "fuzz.h"

static char auth_path[256];

static void remove_auth_file(void)
{
	unlink(auth_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_TMPDIR");
	int fd;

	(void)argc;
	(void)argv;
	snprintf(auth_path, sizeof(auth_path), "%s/fuzz_auth.XXXXXX",
		 dir ? dir : "/tmp");
	fd = mkstemp(auth_path);
	if (fd < 0) {
		perror("mkstemp");
		exit(1);
	}
	close(fd);
	atexit(remove_auth_file);
	return 0;
}

static void fuzz_challenge(const char *s)
{
	cleanup_error struct error *err = NULL;
	struct oci_challenge c;

	if (oci_challenge_parse(s, &c, &err) < 0) {
		FUZZ_CHECK(err && err->msg, "failure without a message");
		FUZZ_CHECK(!c.scheme && !c.realm && !c.service && !c.scope &&
				   !c.error,
			   "failure left fields set for \"%s\"", s);
		return;
	}
	FUZZ_CHECK(c.scheme && *c.scheme, "no scheme for \"%s\"", s);
	FUZZ_CHECK(strcspn(c.scheme, " \t,=\"") == strlen(c.scheme),
		   "scheme \"%s\" from \"%s\"", c.scheme, s);
	FUZZ_CHECK(strstr(s, c.scheme), "scheme \"%s\" not in \"%s\"", c.scheme,
		   s);
	oci_challenge_clear(&c);
	FUZZ_CHECK(!c.scheme && !c.realm, "clear left fields set");
}

static void fuzz_base64(const uint8_t *data, size_t size, const char *s)
{
	cleanup_free char *dec = NULL;
	cleanup_free char *enc = NULL;
	cleanup_free char *dec2 = NULL;
	cleanup_free char *raw_enc = NULL;
	cleanup_free char *raw_dec = NULL;
	size_t len = 0, len2 = 0, raw_len = 0;

	dec = oci_base64_decode(s, &len);
	if (dec) {
		FUZZ_CHECK(len <= strlen(s) / 4 * 3, "%zu bytes from \"%s\"",
			   len, s);
		enc = oci_base64_encode(dec, len);
		FUZZ_CHECK(enc, "encode");
		dec2 = oci_base64_decode(enc, &len2);
		FUZZ_CHECK(dec2 && len2 == len && !memcmp(dec, dec2, len),
			   "\"%s\" -> %zu bytes -> \"%s\" -> %zu bytes", s, len,
			   enc, len2);
	}
	raw_enc = oci_base64_encode(data, size);
	FUZZ_CHECK(raw_enc, "encode");
	raw_dec = oci_base64_decode(raw_enc, &raw_len);
	FUZZ_CHECK(raw_dec && raw_len == size && !memcmp(raw_dec, data, size),
		   "%zu bytes -> \"%s\" -> %zu bytes", size, raw_enc, raw_len);
}

static void fuzz_authfile(const uint8_t *data, size_t size)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *user = NULL;
	cleanup_free char *password = NULL;
	cleanup_close int fd = open(auth_path, O_WRONLY | O_TRUNC);
	int r;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		FUZZ_CHECK(0, "write %s", auth_path);
	r = oci_auth_get(auth_path, "localhost:5000", "gadget/trace_dns", &user,
			 &password, &err);
	FUZZ_CHECK(r >= -1 && r <= 1, "returned %d", r);
	FUZZ_CHECK(r != 0 || (user && password), "success without creds");
	FUZZ_CHECK(r == 0 || (!user && !password), "creds without success");
	FUZZ_CHECK(r != -1 || (err && err->msg), "failure without a message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cleanup_free char *s = NULL;

	if (size < 1)
		return 0;
	s = fuzz_strndup(data + 1, size - 1);
	if (!s)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_challenge(s);
		break;
	case 1:
		fuzz_base64(data + 1, size - 1, s);
		break;
	default:
		fuzz_authfile(data + 1, size - 1);
	}
	return 0;
}
