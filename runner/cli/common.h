/* SPDX-License-Identifier: Apache-2.0 */
/* What every runner command shares: store location, messages, exit codes. */
#ifndef RUNNER_COMMON_H
#define RUNNER_COMMON_H

#include <stdbool.h>

#include "common/error.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
};

/* --store flag > $RUNNER_STORE > OCI_STORE_DEFAULT_DIR. */
const char *runner_store_dir(const char *flag_value);
/* $RUNNER_REGISTRY_PREFIX or NULL (the library default). */
const char *runner_default_prefix(void);

/* Print "runner: <msg>" on stderr; return EXIT_FAIL. */
int runner_fail(const struct error *err);
/* Print "runner: <fmt...>" on stderr; return code. */
int runner_msg(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parse an unsigned number in [min, max]; false (and a message) otherwise. */
bool parse_ulong(const char *what, const char *s, unsigned long min,
		 unsigned long max, unsigned long *out);

#endif
