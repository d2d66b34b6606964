// SPDX-License-Identifier: Apache-2.0
/*
 * runner/cli/manifest.c: how -f FILE is found among run's arguments, as
 * getopt reads them, and which of an instance manifest's paramValues
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

/* run's short flags (getopt's optstring) */
#define SHORTS ":o:F:E:c:r:t:f:hv"

#define MAX_ARGS 8

/*
 * manifest_take_flag() on the arguments in (NULL-ended, copied: it may
 * cut a cluster of short flags), which must find FILE want (NULL: none)
 * and leave the arguments out.
 */
static void take(const char *const *in, const char *want,
		 const char *const *out)
{
	static const struct option longs[] = {
		{ "containername", required_argument, NULL, 'c' },
		{ "file", required_argument, NULL, 'f' },
		{ "filter-expr", required_argument, NULL, 'E' },
		{ "host", optional_argument, NULL, 1 },
		{ 0 },
	};
	char *argv[MAX_ARGS + 1] = { 0 };
	struct error *err = NULL;
	const char *file = NULL;
	int argc = 0, i;

	while (in[argc]) {
		assert_true(argc < MAX_ARGS);
		argv[argc] = strdup(in[argc]);
		assert_non_null(argv[argc++]);
	}
	char *made[MAX_ARGS + 1];

	memcpy(made, argv, sizeof(made));
	assert_int_equal(manifest_take_flag(&argc, argv, SHORTS, longs, &file,
					    &err),
			 EXIT_OK);
	assert_null(err);
	if (want)
		assert_string_equal(file, want);
	else
		assert_null(file);
	for (i = 0; out[i]; i++) {
		assert_true(i < argc);
		assert_string_equal(argv[i], out[i]);
	}
	assert_int_equal(argc, i);
	for (i = 0; made[i]; i++)
		free(made[i]);
}

/* As pflag reads ig's flags: the value of another flag is not -f, a
 * cluster of short flags may end in it, the last -f wins, "--" ends the
 * flags. */
static void take_flag__getopt_reading(void **state)
{
	(void)state;
	take((const char *[]){ "run", "-f", "m.yaml", "-o", "json", NULL },
	     "m.yaml", (const char *[]){ "run", "-o", "json", NULL });
	take((const char *[]){ "run", "-fm.yaml", NULL }, "m.yaml",
	     (const char *[]){ "run", NULL });
	take((const char *[]){ "run", "--file=a", "--file", "b", NULL }, "b",
	     (const char *[]){ "run", NULL });
	take((const char *[]){ "run", "-vf", "m.yaml", "-o", "json", NULL },
	     "m.yaml", (const char *[]){ "run", "-v", "-o", "json", NULL });
	take((const char *[]){ "run", "-hvfm.yaml", NULL }, "m.yaml",
	     (const char *[]){ "run", "-hv", NULL });
	take((const char *[]){ "run", "-ojson", "-f", "m", NULL }, "m",
	     (const char *[]){ "run", "-ojson", NULL });
	/* a value, not the flag */
	take((const char *[]){ "run", "-c", "-f", "img", NULL }, NULL,
	     (const char *[]){ "run", "-c", "-f", "img", NULL });
	take((const char *[]){ "run", "--containername", "-f", "img", NULL },
	     NULL,
	     (const char *[]){ "run", "--containername", "-f", "img", NULL });
	take((const char *[]){ "run", "-E", "-f", "img", NULL }, NULL,
	     (const char *[]){ "run", "-E", "-f", "img", NULL });
	take((const char *[]){ "run", "-cf", "img", NULL }, NULL,
	     (const char *[]){ "run", "-cf", "img", NULL });
	/* a flag whose value is optional, or a gadget's: -f is -f */
	take((const char *[]){ "run", "--host", "-f", "m", NULL }, "m",
	     (const char *[]){ "run", "--host", NULL });
	take((const char *[]){ "run", "--gadget-param", "-f", "m", NULL }, "m",
	     (const char *[]){ "run", "--gadget-param", NULL });
	take((const char *[]){ "run", "--", "-f", "m", NULL }, NULL,
	     (const char *[]){ "run", "--", "-f", "m", NULL });
}

/* -f without its FILE: one line naming the flag, exit 2. */
static void take_flag__no_file__usage_error(void **state)
{
	static const char *const cases[][3] = {
		{ "run", "-f", NULL },
		{ "run", "--file", NULL },
		{ "run", "-vf", NULL },
		{ "run", "--file=", NULL },
	};
	static const struct option longs[] = {
		{ "file", required_argument, NULL, 'f' },
		{ 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char a0[8], a1[16];
		char *argv[] = { a0, a1, NULL };
		struct error *err = NULL;
		const char *file = NULL;
		int argc = 2;

		snprintf(a0, sizeof(a0), "%s", cases[i][0]);
		snprintf(a1, sizeof(a1), "%s", cases[i][1]);
		assert_int_equal(manifest_take_flag(&argc, argv, SHORTS, longs,
						    &file, &err),
				 EXIT_USAGE);
		assert_non_null(err);
		assert_null(strchr(err->msg, '\n'));
		assert_non_null(i == 3 ? strstr(err->msg, "want a FILE") :
					 strstr(err->msg, "flag '-"));
		error_free(err);
	}
}

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

/* ig checks an id or a name only when it is not "", and "" is no image:
 * a null and an empty string are the same to its Go strings. */
static void manifest__empty_strings__as_ig(void **state)
{
	char a0[] = "runner";
	char *argv[] = { a0, NULL };
	struct error *err = NULL;
	char **args = NULL;
	int argc = 0, n_set = 0;

	(void)state;
	write_manifest("apiVersion: 1\n"
		       "kind: instance-spec\n"
		       "id: \"\"\n"
		       "name: ''\n"
		       "image: trace_dns\n");
	assert_int_equal(manifest_run_args(path, 1, argv, flags, &argc, &args,
					   &n_set, &err),
			 EXIT_OK);
	assert_null(err);
	assert_int_equal(argc, 2);
	assert_string_equal(args[1], "trace_dns");
	manifest_args_free(args, n_set);
	write_manifest("apiVersion: 1\n"
		       "kind: instance-spec\n"
		       "image: \"\"\n");
	assert_int_equal(manifest_run_args(path, 1, argv, flags, &argc, &args,
					   &n_set, &err),
			 EXIT_USAGE);
	assert_null(args);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "no image specified in entry 1"));
	error_free(err);
}

/*
 * A YAML syntax error as yaml.v3 words it (its parser.fail()): the line
 * of libyaml's context mark, else of its problem mark, counted from 0 but
 * one more for a scanner's error, and no line for a reader's error.
 */
static void manifest__syntax_errors__yaml_v3_lines(void **state)
{
	static const char *const cases[][2] = {
		/* scanner, context (the quoted scalar's start) on line 2 */
		{ "apiVersion: 1\nkind: instance-spec\nimage: \"x\n",
		  "yaml: line 3: found unexpected end of stream" },
		/* parser, context at 0: the problem's line, from 0 */
		{ "apiVersion: 1\nkind: instance-spec\n- a\n",
		  "yaml: line 2: did not find expected key" },
		/* reader: no line */
		{ "apiVersion: 1\nkind: instance-spec\nimage: \xff\n",
		  "yaml: invalid leading UTF-8 octet" },
	};
	char a0[] = "runner";
	char *argv[] = { a0, NULL };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct error *err = NULL;
		char **args = NULL;
		int argc = 0, n_set = 0;
		const char *m;

		write_manifest(cases[i][0]);
		assert_int_equal(manifest_run_args(path, 1, argv, flags, &argc,
						   &args, &n_set, &err),
				 EXIT_USAGE);
		assert_non_null(err);
		m = strstr(err->msg, "(entry 1): ");
		assert_non_null(m);
		assert_string_equal(m + 11, cases[i][1]);
		error_free(err);
	}
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
		cmocka_unit_test(take_flag__getopt_reading),
		cmocka_unit_test(take_flag__no_file__usage_error),
		cmocka_unit_test(manifest__global_params__not_set),
		cmocka_unit_test(manifest__empty_strings__as_ig),
		cmocka_unit_test(manifest__syntax_errors__yaml_v3_lines),
	};

	return cmocka_run_group_tests(tests, make_dir, NULL);
}
