// SPDX-License-Identifier: Apache-2.0
/*
 * runner/cli/manifest.c: which of an instance manifest's paramValues
 * become run flags.  Reading and checking the file, and the run that
 * follows, are covered end to end by tests/e2e/test_manifest.py and by
 * tests/fuzz/fuzz_instance_spec.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner/cli/cli.h"
#include "runner/cli/manifest.h"
#include "tmpdir_fx.h"

static char tmpl[] = "/tmp/test_manifest.XXXXXX";
static char path[sizeof(tmpl) + 16];

/* run's flags as far as these tests need them */
static const struct option flags[] = {
	{ "allowed-gadgets", required_argument, NULL, 1 },
	{ "authfile", required_argument, NULL, 2 },
	{ "disallow-pulling", required_argument, NULL, 3 },
	{ "env-vars", required_argument, NULL, 4 },
	{ "filter", required_argument, NULL, 5 },
	{ "insecure-registries", required_argument, NULL, 6 },
	{ "otel-metrics-listen", required_argument, NULL, 7 },
	{ "otel-metrics-listen-address", required_argument, NULL, 8 },
	{ "public-keys", required_argument, NULL, 9 },
	{ "pull", required_argument, NULL, 10 },
	{ "verify-image", required_argument, NULL, 11 },
	{ 0 },
};

static void write_manifest(const char *yaml)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(yaml, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/*
 * ig hands a manifest's paramValues to the operators' instance params
 * only: the oci handler's verify-image, public-keys, allowed-gadgets,
 * insecure-registries, disallow-pulling and authfile, the env operator's
 * env-vars and otel-metrics' listen keys are global params, set by the
 * configuration or the command line.  A manifest (a URL's too) that
 * names them sets nothing; operator.oci.pull, an instance param, does.
 */
static void manifest__global_params__not_set(void **state)
{
	char a0[] = "runner", a1[] = "-o", a2[] = "json";
	char *argv[] = { a0, a1, a2, NULL };
	struct error *err = NULL;
	char **args = NULL;
	int argc = 0, n_set = 0;

	(void)state;
	write_manifest("apiVersion: 1\n"
		       "kind: instance-spec\n"
		       "image: trace_dns\n"
		       "paramValues:\n"
		       "  operator.oci.verify-image: \"false\"\n"
		       "  operator.oci.public-keys: KEY\n"
		       "  operator.oci.allowed-gadgets: evil\n"
		       "  operator.oci.insecure-registries: evil.example\n"
		       "  operator.oci.disallow-pulling: \"false\"\n"
		       "  operator.oci.authfile: /etc/shadow\n"
		       "  operator.env.env-vars: AWS_SECRET_ACCESS_KEY\n"
		       "  operator.otel-metrics.otel-metrics-listen: \"true\"\n"
		       "  operator.otel-metrics.otel-metrics-listen-address: "
		       "0.0.0.0:1\n"
		       "  operator.oci.pull: never\n"
		       "  operator.filter.filter: name=x\n");
	assert_int_equal(manifest_run_args(path, 3, argv, flags, &argc, &args,
					   &n_set, &err),
			 EXIT_OK);
	assert_null(err);
	assert_int_equal(n_set, 2);
	assert_int_equal(argc, 3 + n_set + 1);
	assert_string_equal(args[1], "--pull=never");
	assert_string_equal(args[2], "--filter=name=x");
	assert_string_equal(args[3], "trace_dns");
	assert_ptr_equal(args[4], a1);
	assert_ptr_equal(args[5], a2);
	assert_null(args[6]);
	manifest_args_free(args, n_set);
}

static int make_dir(void **state)
{
	(void)state;
	if (!tmpdir_fx_make(tmpl))
		return -1;
	snprintf(path, sizeof(path), "%s/m.yaml", tmpl);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(manifest__global_params__not_set),
	};

	return cmocka_run_group_tests(tests, make_dir, NULL);
}
