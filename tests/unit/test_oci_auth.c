// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "oci/auth.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_oci_auth.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	setenv("HOME", dir, 1);
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("DOCKER_CONFIG");
	unsetenv("XDG_CONFIG_HOME");
	setenv("XDG_RUNTIME_DIR", dir, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_at(const char *rel, const char *text)
{
	cleanup_error struct error *err = NULL;
	char path[256], parent[256];
	char *slash;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	*slash = '\0';
	assert_int_equal(mkdir_p(parent, 0700, &err), 0);
	assert_int_equal(
		write_file_atomic(path, text, strlen(text), 0600, &err), 0);
}

static void challenge__bearer_with_quoted_params(void **state)
{
	cleanup_error struct error *err = NULL;
	struct oci_challenge c;

	(void)state;
	assert_int_equal(
		oci_challenge_parse(
			"Bearer realm=\"https://auth.example.com/token\","
			"service=\"registry.example.com\",scope=\"repository:a/"
			"b:pull,push\", error=\"invalid_token\"",
			&c, &err),
		0);
	assert_string_equal(c.scheme, "Bearer");
	assert_string_equal(c.realm, "https://auth.example.com/token");
	assert_string_equal(c.service, "registry.example.com");
	assert_string_equal(c.scope, "repository:a/b:pull,push");
	assert_string_equal(c.error, "invalid_token");
	oci_challenge_clear(&c);
}

static void challenge__basic_and_escapes(void **state)
{
	cleanup_error struct error *err = NULL;
	struct oci_challenge c;

	(void)state;
	assert_int_equal(oci_challenge_parse("Basic realm=\"a \\\"q\\\" b\"",
					     &c, &err),
			 0);
	assert_string_equal(c.scheme, "Basic");
	assert_string_equal(c.realm, "a \"q\" b");
	assert_null(c.service);
	oci_challenge_clear(&c);
	assert_int_equal(
		oci_challenge_parse("Bearer realm=tok,service=s", &c, &err), 0);
	assert_string_equal(c.realm, "tok");
	assert_string_equal(c.service, "s");
	oci_challenge_clear(&c);
}

static void challenge__malformed__error(void **state)
{
	cleanup_error struct error *err = NULL;
	struct oci_challenge c;

	(void)state;
	assert_int_equal(oci_challenge_parse("", &c, &err), -1);
	assert_int_equal(oci_challenge_parse("Bearer realm=\"open", &c, &err),
			 -1);
	assert_non_null(strstr(error_msg(err), "unterminated"));
}

static void base64__round_trip(void **state)
{
	static const char *const in[] = { "", "a", "ab", "abc", "user:pw:x" };
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		cleanup_free char *e = oci_base64_encode(in[i], strlen(in[i]));
		cleanup_free char *d = oci_base64_decode(e, &n);

		assert_non_null(d);
		assert_int_equal(n, strlen(in[i]));
		assert_string_equal(d, in[i]);
	}
	assert_null(oci_base64_decode("abc", NULL));
}

static void auth_set_get_delete__round_trip_mode_0600(void **state)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *user = NULL;
	cleanup_free char *pw = NULL;
	cleanup_free char *path = oci_auth_write_path(NULL);
	cleanup_free char *text = NULL;
	struct stat st;

	(void)state;
	assert_non_null(strstr(path, "/containers/auth.json"));
	assert_int_equal(
		oci_auth_set(NULL, "localhost:5000", "bob", "p:w", &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(read_file(path, &text, NULL, &err), 0);
	assert_null(strstr(text, "p:w"));
	assert_int_equal(oci_auth_get(NULL, "localhost:5000", "x/y", &user, &pw,
				      &err),
			 0);
	assert_string_equal(user, "bob");
	assert_string_equal(pw, "p:w");
	assert_int_equal(oci_auth_delete(NULL, "localhost:5000", &err), 0);
	free(user);
	free(pw);
	assert_int_equal(oci_auth_get(NULL, "localhost:5000", NULL, &user, &pw,
				      &err),
			 1);
	assert_int_equal(oci_auth_delete(NULL, "localhost:5000", &err), -1);
	assert_int_equal(err->errnum, ENOENT);
}

static void auth_get__docker_config_scheme_and_repo_prefix(void **state)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *user = NULL;
	cleanup_free char *pw = NULL;

	(void)state;
	/* "a:b" and "c:d" in base64 */
	write_at(".docker/config.json",
		 "{\"auths\":{\"https://reg.io/v2/\":{\"auth\":\"YTpi\"},"
		 "\"reg.io/team\":{\"auth\":\"Yzpk\"}}}");
	assert_int_equal(
		oci_auth_get(NULL, "reg.io", "other/x", &user, &pw, &err), 0);
	assert_string_equal(user, "a");
	free(user);
	free(pw);
	assert_int_equal(
		oci_auth_get(NULL, "reg.io", "team/x", &user, &pw, &err), 0);
	assert_string_equal(user, "c");
	assert_string_equal(pw, "d");
}

static void auth_get__containers_file_wins_over_docker(void **state)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *user = NULL;
	cleanup_free char *pw = NULL;

	(void)state;
	write_at(".docker/config.json",
		 "{\"auths\":{\"reg.io\":{\"auth\":\"YTpi\"}}}");
	write_at("containers/auth.json",
		 "{\"auths\":{\"reg.io\":{\"username\":\"u\","
		 "\"password\":\"p\"}}}");
	assert_int_equal(oci_auth_get(NULL, "reg.io", NULL, &user, &pw, &err),
			 0);
	assert_string_equal(user, "u");
}

static void auth_get__broken_file__error_names_it(void **state)
{
	cleanup_error struct error *err = NULL;
	char *user = NULL, *pw = NULL;

	(void)state;
	write_at("containers/auth.json", "{\"auths\":");
	assert_int_equal(oci_auth_get(NULL, "reg.io", NULL, &user, &pw, &err),
			 -1);
	assert_non_null(strstr(error_msg(err), "containers/auth.json"));
	write_at("containers/auth.json",
		 "{\"auths\":{\"reg.io\":{\"auth\":\"bm9jb2xvbg==\"}}}");
	assert_int_equal(oci_auth_get(NULL, "reg.io", NULL, &user, &pw, &err),
			 -1);
	assert_non_null(strstr(error_msg(err), "user:password"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(challenge__bearer_with_quoted_params),
		cmocka_unit_test(challenge__basic_and_escapes),
		cmocka_unit_test(challenge__malformed__error),
		cmocka_unit_test(base64__round_trip),
		T(auth_set_get_delete__round_trip_mode_0600),
		T(auth_get__docker_config_scheme_and_repo_prefix),
		T(auth_get__containers_file_wins_over_docker),
		T(auth_get__broken_file__error_names_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
