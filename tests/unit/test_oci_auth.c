// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
	unlink(OCI_IG_AUTH_FILE);
	unlink(OCI_IG_AUTH_FILE ".lock");
	rmdir("/var/lib/ig");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/*
 * ig's auth file is at a fixed place (/var/lib/ig/config.json): the
 * tests read and write their own, on a tmpfs over /var/lib in a mount
 * namespace of their own (the machine's is never touched).
 */
static int private_var_lib(void)
{
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/var/lib", "tmpfs", 0, "size=1m,mode=0755") < 0) {
		perror("test_oci_auth: private /var/lib (needs root)");
		return -1;
	}
	return 0;
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
	/* root's: ig's, as ig login writes it */
	assert_string_equal(path, OCI_IG_AUTH_FILE);
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

/*
 * The identity token of the first entry for the registry that has one,
 * unless an entry before it holds "auth" or "username": then the
 * credentials oci_auth_get() finds (maybe in a later file).
 */
static void auth_get_token_or_creds__token_unless_creds_come_first(void **state)
{
	cleanup_error struct error *err = NULL;
	char *tok = NULL, *user = NULL, *pw = NULL;

	(void)state;
	/* docker login's: a user of zeros, no password ("MDAwMDo=": "0000:") */
	write_at(".docker/config.json",
		 "{\"auths\":{\"reg.io\":{\"auth\":\"MDAwMDo=\","
		 "\"identitytoken\":\"rt\"}}}");
	write_at("containers/auth.json", "{\"auths\":{\"reg.io\":{}}}");
	assert_int_equal(oci_auth_get_token_or_creds(NULL, "reg.io", NULL, &tok,
						     &user, &pw, &err),
			 0);
	assert_string_equal(tok, "rt");
	assert_null(user);
	assert_null(pw);
	free(tok);
	/* an empty "auth" before it: no token, the later file's credentials */
	write_at("containers/auth.json",
		 "{\"auths\":{\"reg.io\":{\"auth\":\"\"}}}");
	assert_int_equal(oci_auth_get_token_or_creds(NULL, "reg.io", NULL, &tok,
						     &user, &pw, &err),
			 0);
	assert_null(tok);
	assert_string_equal(user, "0000");
	assert_string_equal(pw, "");
	free(user);
	free(pw);
	assert_int_equal(oci_auth_get_token_or_creds(NULL, "other.io", NULL,
						     &tok, &user, &pw, &err),
			 1);
	assert_null(tok);
	assert_null(user);
	/* a broken entry after an empty one: its error, as oci_auth_get()'s */
	write_at(".docker/config.json",
		 "{\"auths\":{\"reg.io\":{\"auth\":\"bm9jb2xvbg==\","
		 "\"identitytoken\":\"rt\"}}}");
	assert_int_equal(oci_auth_get_token_or_creds(NULL, "reg.io", NULL, &tok,
						     &user, &pw, &err),
			 -1);
	assert_non_null(strstr(error_msg(err), "user:password"));
}

static void auth_get__ig_file_before_containers_and_docker(void **state)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *user = NULL;
	cleanup_free char *pw = NULL;
	cleanup_free char *text = NULL;
	/* as ig login writes it (docker's format: "c:d" in base64) */
	static const char ig[] = "{\"auths\":{\"reg.io\":{\"auth\":\"Yzpk\"}}}";

	(void)state;
	write_at("containers/auth.json",
		 "{\"auths\":{\"reg.io\":{\"auth\":\"YTpi\"}}}");
	assert_int_equal(mkdir("/var/lib/ig", 0700), 0);
	assert_int_equal(write_file_atomic(OCI_IG_AUTH_FILE, ig, strlen(ig),
					   0600, &err),
			 0);
	assert_int_equal(oci_auth_get(NULL, "reg.io", NULL, &user, &pw, &err),
			 0);
	assert_string_equal(user, "c");
	assert_string_equal(pw, "d");
	/* --authfile names one file, and only that one is read */
	free(user);
	free(pw);
	assert_int_equal(oci_auth_get(OCI_IG_AUTH_FILE, "other.io", NULL, &user,
				      &pw, &err),
			 1);
	/* Docker Hub goes under docker's key, which ig and podman read */
	assert_int_equal(oci_auth_set(NULL, "docker.io", "e", "f", &err), 0);
	assert_int_equal(read_file(OCI_IG_AUTH_FILE, &text, NULL, &err), 0);
	assert_non_null(strstr(text, "\"https://index.docker.io/v1/\""));
	assert_non_null(strstr(text, "\"reg.io\""));
	user = pw = NULL;
	assert_int_equal(oci_auth_get(NULL, "docker.io", "library/x", &user,
				      &pw, &err),
			 0);
	assert_string_equal(user, "e");
	free(user);
	free(pw);
	user = pw = NULL;
	/* a reference may name Docker Hub index.docker.io too */
	assert_int_equal(oci_auth_get(NULL, "index.docker.io", "library/x",
				      &user, &pw, &err),
			 0);
	assert_string_equal(user, "e");
	free(user);
	free(pw);
	user = pw = NULL;
	assert_int_equal(oci_auth_delete(NULL, "docker.io", &err), 0);
	assert_int_equal(
		oci_auth_get(NULL, "docker.io", NULL, &user, &pw, &err), 1);
}

static void auth_get__ig_file_of_root_skipped_by_other_users(void **state)
{
	static const char ig[] = "{\"auths\":{\"reg.io\":{\"auth\":\"YTpi\"}}}";
	cleanup_error struct error *err = NULL;
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(mkdir("/var/lib/ig", 0755), 0);
	assert_int_equal(write_file_atomic(OCI_IG_AUTH_FILE, ig, strlen(ig),
					   0600, &err),
			 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *user = NULL, *pw = NULL;

		if (setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(3);
		/* none found (1), not "Permission denied" (-1) */
		_exit(oci_auth_get(NULL, "reg.io", NULL, &user, &pw, NULL) ==
				      1 ?
			      0 :
			      1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void auth_helper_note__cred_helpers_and_store(void **state)
{
	cleanup_error struct error *err = NULL;
	char *user = NULL, *pw = NULL;
	char *note;

	(void)state;
	/* docker login with a credsStore leaves an empty entry */
	write_at(".docker/config.json",
		 "{\"auths\":{\"reg.io\":{}},\"credsStore\":\"desktop\","
		 "\"credHelpers\":{\"https://gcr.io\":\"gcloud\"}}");
	assert_int_equal(oci_auth_get(NULL, "reg.io", NULL, &user, &pw, &err),
			 1);
	note = oci_auth_helper_note(NULL, "reg.io", NULL);
	assert_non_null(note);
	assert_non_null(strstr(note, "docker-credential-desktop (credsStore "
				     "in "));
	assert_non_null(strstr(note, ".docker/config.json"));
	free(note);
	note = oci_auth_helper_note(NULL, "gcr.io", "p/x");
	assert_non_null(note);
	assert_non_null(strstr(note, "docker-credential-gcloud (credHelpers"));
	free(note);
	/* no entry: the store holds nothing for it, anonymous it is */
	assert_null(oci_auth_helper_note(NULL, "other.io", NULL));
	/* inline credentials elsewhere win: no note is asked for then */
	write_at("containers/auth.json",
		 "{\"auths\":{\"reg.io\":{\"auth\":\"YTpi\"}}}");
	assert_int_equal(oci_auth_get(NULL, "reg.io", NULL, &user, &pw, &err),
			 0);
	free(user);
	free(pw);
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
		T(auth_get__ig_file_before_containers_and_docker),
		T(auth_get_token_or_creds__token_unless_creds_come_first),
		T(auth_helper_note__cred_helpers_and_store),
		T(auth_get__ig_file_of_root_skipped_by_other_users),
	};

	if (private_var_lib() < 0)
		return 1;

	return cmocka_run_group_tests(tests, NULL, NULL);
}
