// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "oci/store.h"
#include "runner/cli/common.h"

const char *runner_store_dir(const char *flag_value)
{
	const char *env;

	if (flag_value && *flag_value)
		return flag_value;
	env = getenv("RUNNER_STORE");
	if (env && *env)
		return env;
	return OCI_STORE_DEFAULT_DIR;
}

const char *runner_default_prefix(void)
{
	const char *env = getenv("RUNNER_REGISTRY_PREFIX");

	return env && *env ? env : NULL;
}

int runner_fail(const struct error *err)
{
	fprintf(stderr, "runner: %s\n", error_msg(err));
	return EXIT_FAIL;
}

int runner_msg(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("runner: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

bool parse_ulong(const char *what, const char *s, unsigned long min,
		 unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (!*s || *end || errno || *s == '-' || v < min || v > max) {
		runner_msg(EXIT_USAGE, "invalid %s '%s': want %lu..%lu", what,
			   s, min, max);
		return false;
	}
	*out = v;
	return true;
}
