// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/cleanup.h"
#include "oci/digest.h"
#include "oci/ref.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Normalise s with prefix and compare the formatted result with want. */
static void expect_norm(const char *s, const char *prefix, const char *want)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *got = NULL;

	if (oci_ref_normalize(s, prefix, &got, &err) < 0)
		fail_msg("%s: %s", s, error_msg(err));
	assert_string_equal(got, want);
}

/* Expect s to be rejected with a message containing part. */
static void expect_bad(const char *s, const char *part)
{
	cleanup_error struct error *err = NULL;
	struct oci_ref *ref = NULL;

	assert_int_equal(oci_ref_parse(s, NULL, &ref, &err), -1);
	assert_null(ref);
	assert_non_null(err);
	if (!strstr(error_msg(err), part))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", s,
			 error_msg(err), part);
}

static void parse_ref__bare_name__gets_default_prefix(void **state)
{
	(void)state;
	expect_norm("trace_dns", NULL,
		    "ghcr.io/inspektor-gadget/gadget/trace_dns:latest");
}

static void parse_ref__no_tag__defaults_latest(void **state)
{
	cleanup_error struct error *err = NULL;
	cleanup_ref struct oci_ref *ref = NULL;

	(void)state;
	assert_int_equal(oci_ref_parse("localhost:5000/x/y", NULL, &ref, &err),
			 0);
	assert_string_equal(ref->registry, "localhost:5000");
	assert_string_equal(ref->repository, "x/y");
	assert_string_equal(ref->tag, "latest");
	assert_null(ref->digest);
}

static void parse_ref__registry_detection(void **state)
{
	(void)state;
	expect_norm("localhost/x:v1", NULL, "localhost/x:v1");
	expect_norm("localhost:5000/gadgets/trace_dns:v2", NULL,
		    "localhost:5000/gadgets/trace_dns:v2");
	expect_norm("example.com/a/b:c", NULL, "example.com/a/b:c");
	expect_norm("127.0.0.1:5000/g", NULL, "127.0.0.1:5000/g:latest");
	expect_norm("[::1]:5000/g:v", NULL, "[::1]:5000/g:v");
	/* first component without '.', ':' or localhost: a path */
	expect_norm("myorg/trace_dns:v1", NULL, "ghcr.io/myorg/trace_dns:v1");
	expect_norm("trace_dns:v0.1.0", NULL,
		    "ghcr.io/inspektor-gadget/gadget/trace_dns:v0.1.0");
}

static void parse_ref__docker_hub_single_name__is_library(void **state)
{
	(void)state;
	/* distribution/reference's ParseNormalizedNamed, as docker, ig */
	expect_norm("docker.io/busybox", NULL,
		    "docker.io/library/busybox:latest");
	expect_norm("index.docker.io/busybox:1.36", NULL,
		    "docker.io/library/busybox:1.36");
	expect_norm("index.docker.io/me/x", NULL, "docker.io/me/x:latest");
	expect_norm("docker.io/library/busybox", NULL,
		    "docker.io/library/busybox:latest");
	expect_norm("docker.io/busybox@sha256:" D64, NULL,
		    "docker.io/library/busybox@sha256:" D64);
	/* where Docker Hub is the default registry */
	expect_norm("busybox", "docker.io", "docker.io/library/busybox:latest");
	expect_norm("me/x", "docker.io/", "docker.io/me/x:latest");
	/* only Docker Hub has official images */
	expect_norm("quay.io/busybox", NULL, "quay.io/busybox:latest");
	expect_norm("busybox", "localhost:5000",
		    "localhost:5000/busybox:latest");
}

static void parse_ref__custom_prefix(void **state)
{
	(void)state;
	expect_norm("trace_dns", "localhost:5000/gadgets/",
		    "localhost:5000/gadgets/trace_dns:latest");
	expect_norm("trace_dns", "localhost:5000/gadgets",
		    "localhost:5000/gadgets/trace_dns:latest");
	expect_norm("trace_dns", "localhost:5000",
		    "localhost:5000/trace_dns:latest");
	expect_norm("a/b", "localhost:5000/gadgets/",
		    "localhost:5000/a/b:latest");
	expect_norm("ghcr.io/x/y:1", "localhost:5000/gadgets/",
		    "ghcr.io/x/y:1");
}

static void parse_ref__digest_only__no_tag(void **state)
{
	cleanup_error struct error *err = NULL;
	cleanup_ref struct oci_ref *ref = NULL;

	(void)state;
	assert_int_equal(
		oci_ref_parse("trace_dns@sha256:" D64, NULL, &ref, &err), 0);
	assert_null(ref->tag);
	assert_string_equal(ref->digest, "sha256:" D64);
	expect_norm("trace_dns@sha256:" D64, NULL,
		    "ghcr.io/inspektor-gadget/gadget/trace_dns@sha256:" D64);
	expect_norm("localhost:5000/x:v1@sha256:" D64, NULL,
		    "localhost:5000/x:v1@sha256:" D64);
}

static void parse_ref__invalid__names_bad_part(void **state)
{
	(void)state;
	expect_bad("", "empty");
	expect_bad("Trace_dns", "component \"Trace_dns\"");
	expect_bad("Trace_dns", "lower case");
	expect_bad("x:", "tag \"\" is empty");
	expect_bad("x:-v", "tag \"-v\"");
	expect_bad("x:a+b", "tag \"a+b\" contains an invalid character");
	expect_bad("x@sha256:abc", "not 64 lower-case hex");
	expect_bad("x@md5:abc", "unsupported algorithm");
	expect_bad("localhost:5000/", "component \"\" is empty");
	expect_bad("a//b", "component \"\" is empty");
	expect_bad("localhost:99999/x", "registry \"localhost:99999\"");
	expect_bad("local_host.x:1/x", "host name character");
	expect_bad("a/-b", "must start and end");
	expect_bad("a/b.", "must start and end");
	expect_bad("a/b$c", "invalid character");
	expect_bad("@sha256:" D64, "name is empty");
	/* a URL pasted as a reference: its scheme named, not its "port" */
	expect_bad("https://localhost:5000/x:v1",
		   "a reference has no scheme: drop \"https://\"");
	expect_bad("http://ghcr.io/x", "drop \"http://\"");
	expect_bad("oci://x", "drop \"oci://\"");
}

static void parse_ref__format_round_trip(void **state)
{
	static const char *const refs[] = {
		"ghcr.io/inspektor-gadget/gadget/trace_dns:latest",
		"localhost:5000/a/b-c/d__e:V1.2_x",
		"example.com:443/x@sha256:" D64,
		"example.com/x:t@sha256:" D64,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		cleanup_error struct error *err = NULL;
		cleanup_ref struct oci_ref *a = NULL;
		cleanup_ref struct oci_ref *b = NULL;
		cleanup_free char *s1 = NULL;
		cleanup_free char *s2 = NULL;

		assert_int_equal(oci_ref_parse(refs[i], NULL, &a, &err), 0);
		s1 = oci_ref_format(a);
		assert_string_equal(s1, refs[i]);
		assert_int_equal(oci_ref_parse(s1, "other.io/p/", &b, &err), 0);
		s2 = oci_ref_format(b);
		assert_string_equal(s2, s1);
	}
}

static void parse_ref__name_is_registry_slash_repository(void **state)
{
	cleanup_error struct error *err = NULL;
	cleanup_ref struct oci_ref *ref = NULL;
	cleanup_free char *name = NULL;

	(void)state;
	assert_int_equal(oci_ref_parse("trace_dns:v1", NULL, &ref, &err), 0);
	name = oci_ref_name(ref);
	assert_string_equal(name, "ghcr.io/inspektor-gadget/gadget/trace_dns");
}

static void digest__validation(void **state)
{
	char d[OCI_DIGEST_SIZE];

	(void)state;
	oci_digest_buf("", 0, d);
	assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e"
			       "4649b934ca495991b7852b855");
	assert_true(oci_digest_valid(d));
	assert_false(oci_digest_valid("sha256:" D64 "0"));
	assert_false(oci_digest_valid("sha256:ABCDEF"));
	assert_false(oci_digest_valid("sha512:" D64));
	assert_false(oci_digest_valid(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_ref__bare_name__gets_default_prefix),
		cmocka_unit_test(parse_ref__no_tag__defaults_latest),
		cmocka_unit_test(parse_ref__registry_detection),
		cmocka_unit_test(parse_ref__docker_hub_single_name__is_library),
		cmocka_unit_test(parse_ref__custom_prefix),
		cmocka_unit_test(parse_ref__digest_only__no_tag),
		cmocka_unit_test(parse_ref__invalid__names_bad_part),
		cmocka_unit_test(parse_ref__format_round_trip),
		cmocka_unit_test(parse_ref__name_is_registry_slash_repository),
		cmocka_unit_test(digest__validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
