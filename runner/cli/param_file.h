/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ig's --PARAM=@FILE (cmd/common/params.go, Param.Set()): the value of a
 * flag that is one of ig's params, when it starts with '@', is the whole
 * of FILE, its bytes as they are (ig's os.ReadFile(): nothing trimmed, a
 * last newline kept).  The values read live in a struct param_files until
 * param_files_free().
 */
#ifndef RUNNER_CLI_PARAM_FILE_H
#define RUNNER_CLI_PARAM_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* The most of FILE taken (ig reads any size): a value, not bulk data. */
#define PARAM_FILE_MAX (1 << 20)

struct param_files {
	char **bufs;
	size_t n;
};

/*
 * When *val starts with '@', point *val at the content of the file named
 * after it; param names the flag in errors.  EXIT_OK, or EXIT_USAGE and
 * *err, in ig's words ("reading file "F" for parameter "P": why"), for a
 * file that cannot be read, is larger than PARAM_FILE_MAX or holds a NUL
 * byte (a C string ends there).
 */
int param_file(struct param_files *pf, const char *param, const char **val,
	       struct error **err);
/* Is arg --<name>[=BOOL], a bool param of ig's?  Then its value (FILE's
 * content for "@FILE") into *on, as cli_param_bool_flag() reads it, and
 * EXIT_OK or the error's code in *rc. */
bool param_bool_word(struct param_files *pf, const char *arg, const char *name,
		     bool *on, int *rc, struct error **err);
void param_files_free(struct param_files *pf);

#endif
