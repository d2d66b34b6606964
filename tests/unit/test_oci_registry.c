// SPDX-License-Identifier: Apache-2.0
/*
 * The distribution API calls of oci/registry.c on answers that the test
 * gives in place of the HTTP layer (registry_http_do() wrapped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/cleanup.h"
#include "oci/registry.h"
#include "oci/registry_internal.h"

#define DIGEST \
	"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* The answer the next request gets. */
static struct {
	long status;
	const char *content_type;
	const char *body;
	size_t len;
} answer;

int __wrap_registry_http_do(struct oci_registry *reg, const struct req *q,
			    struct resp *r, struct error **err);

int __wrap_registry_http_do(struct oci_registry *reg, const struct req *q,
			    struct resp *r, struct error **err)
{
	(void)reg;
	(void)q;
	(void)err;
	registry_resp_clear(r);
	r->status = answer.status;
	r->content_type = strdup(answer.content_type);
	/* as the HTTP layer keeps a body: NUL-terminated after its bytes */
	r->body.data = malloc(answer.len + 1);
	assert_non_null(r->content_type);
	assert_non_null(r->body.data);
	memcpy(r->body.data, answer.body, answer.len);
	r->body.data[answer.len] = '\0';
	r->body.len = answer.len;
	return 0;
}

/* A referrers answer with a NUL in it is given whole, as long as it says
 * (it was cut at the NUL, and its length read past the copy). */
static void referrers__answer_with_a_nul__given_whole(void **state)
{
	static const char body[] = "{\"manifests\":[]}\0 after the NUL";
	cleanup_error struct error *err = NULL;
	struct oci_registry *reg = NULL;
	cleanup_free char *buf = NULL;
	size_t len = 0;
	bool api = false;

	(void)state;
	answer.status = 200;
	answer.content_type = "application/vnd.oci.image.index.v1+json";
	answer.body = body;
	answer.len = sizeof(body) - 1;
	assert_int_equal(oci_registry_new("localhost:5000", NULL, &reg, &err),
			 0);
	assert_int_equal(oci_registry_referrers(reg, "g/x", DIGEST, &api, &buf,
						&len, &err),
			 0);
	oci_registry_free(reg);
	assert_true(api);
	assert_int_equal(len, sizeof(body) - 1);
	assert_memory_equal(buf, body, len);
}

/* A token with a CR LF in it is refused, as Go's net/http refuses such a
 * header value: it would end the Authorization header and start another
 * of the token server's choosing. */
static void token__with_a_cr_lf__refused(void **state)
{
	static const char body[] = "{\"token\":\"abc\\r\\nX-Injected: yes\"}";
	cleanup_error struct error *err = NULL;
	struct oci_registry *reg = NULL;
	struct req q = { .method = "GET", .repo = "g/x", .fd = -1 };
	struct resp r = { .status = 401 };
	int rc;

	(void)state;
	/* no credentials of the user's read */
	setenv("REGISTRY_AUTH_FILE", "/nonexistent/auth.json", 1);
	setenv("DOCKER_CONFIG", "/nonexistent", 1);
	setenv("XDG_RUNTIME_DIR", "/nonexistent", 1);
	setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
	setenv("HOME", "/nonexistent", 1);
	answer.status = 200;
	answer.content_type = "application/json";
	answer.body = body;
	answer.len = sizeof(body) - 1;
	r.www_auth = strdup("Bearer realm=\"http://127.0.0.1:1/token\","
			    "service=\"s\",scope=\"repository:g/x:pull\"");
	assert_non_null(r.www_auth);
	assert_int_equal(oci_registry_new("localhost:5000", NULL, &reg, &err),
			 0);
	rc = registry_answer_challenge(reg, &q, &r, &err);
	oci_registry_free(reg);
	free(r.www_auth);
	assert_int_equal(rc, -1);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "invalid header field value for "
					 "Authorization"));
	assert_null(strchr(err->msg, '\n'));
}

/* Retry-After's delay-seconds, digits only: a date or "1.5" is no number
 * of seconds (atol() read both as a wait of 0 or 1 s) */
static void retry_after__digits_only(void **state)
{
	(void)state;
	assert_int_equal(registry_retry_after(NULL), -1);
	assert_int_equal(registry_retry_after("0"), 0);
	assert_int_equal(registry_retry_after("120"), 120);
	assert_int_equal(registry_retry_after("99999999999999999999"), -1);
	assert_int_equal(registry_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
			 -1);
	assert_int_equal(registry_retry_after("1.5"), -1);
	assert_int_equal(registry_retry_after("-1"), -1);
	assert_int_equal(registry_retry_after("+3"), -1);
	assert_int_equal(registry_retry_after(""), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(referrers__answer_with_a_nul__given_whole),
		cmocka_unit_test(token__with_a_cr_lf__refused),
		cmocka_unit_test(retry_after__digits_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
