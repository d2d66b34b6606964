// SPDX-License-Identifier: Apache-2.0
/* oci/digest.c's own SHA-256 against FIPS 180-4's examples and values
 * from sha256sum, in one call and streamed in every split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oci/digest.h"

static const struct {
	size_t n_a; /* that many 'a', when text is NULL */
	const char *text;
	const char *hex;
} vectors[] = {
	{ 0, "",
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ 0, "abc",
	  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ 0, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	/* around the padding's edges: 55/56 bytes left, whole blocks */
	{ 55, NULL,
	  "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
	{ 56, NULL,
	  "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
	{ 63, NULL,
	  "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
	{ 64, NULL,
	  "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
	{ 65, NULL,
	  "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
	{ 119, NULL,
	  "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
	{ 120, NULL,
	  "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
};

static void expect_hex(const char *digest, const char *hex)
{
	assert_true(oci_digest_valid(digest));
	assert_string_equal(oci_digest_hex(digest), hex);
}

static void test_vectors(void **state)
{
	char a[128], got[OCI_DIGEST_SIZE];

	(void)state;
	memset(a, 'a', sizeof(a));
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const char *p = vectors[i].text ? vectors[i].text : a;
		size_t n = vectors[i].text ? strlen(p) : vectors[i].n_a;

		oci_digest_buf(p, n, got);
		expect_hex(got, vectors[i].hex);
		/* streamed: every split into two updates */
		for (size_t cut = 0; cut <= n; cut++) {
			struct oci_sha256 *h = oci_sha256_new();

			assert_non_null(h);
			oci_sha256_update(h, p, cut);
			oci_sha256_update(h, p + cut, n - cut);
			oci_sha256_final(h, got);
			oci_sha256_free(h);
			expect_hex(got, vectors[i].hex);
		}
	}
}

/* FIPS 180-4's million 'a', in uneven pieces */
static void test_million(void **state)
{
	struct oci_sha256 *h = oci_sha256_new();
	char a[1000], got[OCI_DIGEST_SIZE];
	size_t left = 1000000, piece = 1;

	(void)state;
	assert_non_null(h);
	memset(a, 'a', sizeof(a));
	while (left) {
		size_t n = piece < left ? piece : left;

		oci_sha256_update(h, a, n);
		left -= n;
		piece = piece * 7 % 997 + 1;
	}
	oci_sha256_final(h, got);
	oci_sha256_free(h);
	expect_hex(got, "cdc76e5c9914fb9281a1c7e284d73e67"
			"f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_million),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
