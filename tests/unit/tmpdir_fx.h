/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A folder a test makes for itself in /tmp: tmpdir_fx_make(tmpl) is
 * mkdtemp(tmpl), and what the test leaves of the folder (a failed
 * assertion jumps past the test's own cleanup) is removed at exit().
 */
#ifndef TESTS_UNIT_TMPDIR_FX_H
#define TESTS_UNIT_TMPDIR_FX_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TMPDIR_FX_MAX 16

static char tmpdir_fx_paths[TMPDIR_FX_MAX][128];
static int tmpdir_fx_n;

/* Every folder made, with what is in it (gone already: nothing to do),
 * as the group teardowns of the unit tests remove theirs. */
static void tmpdir_fx_clean(void)
{
	char cmd[sizeof(tmpdir_fx_paths[0]) + 16];

	for (int i = 0; i < tmpdir_fx_n; i++) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'",
			 (int)sizeof(tmpdir_fx_paths[0]), tmpdir_fx_paths[i]);
		if (system(cmd))
			fprintf(stderr, "tmpdir_fx: %s failed\n", cmd);
	}
}

/* mkdtemp(tmpl), the folder removed at exit(); NULL on failure. */
static inline char *tmpdir_fx_make(char *tmpl)
{
	static bool at_exit;

	if (tmpdir_fx_n == TMPDIR_FX_MAX ||
	    strlen(tmpl) >= sizeof(tmpdir_fx_paths[0]) ||
	    (!at_exit && atexit(tmpdir_fx_clean)))
		return NULL;
	at_exit = true;
	if (!mkdtemp(tmpl))
		return NULL;
	strcpy(tmpdir_fx_paths[tmpdir_fx_n++], tmpl);
	return tmpl;
}

#endif
