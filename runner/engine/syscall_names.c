// SPDX-License-Identifier: Apache-2.0
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lazy_seccomp.h"
#include "runner/engine/syscall_names.h"

static char *names[SYSCALL_NAMES_MAX];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

/* Every name below SYSCALL_NAMES_MAX, "SYS_" and upper case; a number
 * without a name (or one too long to show) stays NULL. */
static void load_names(void)
{
	__u32 arch = seccomp_arch_native();

	for (int nr = 0; nr < SYSCALL_NAMES_MAX; nr++) {
		char *s = seccomp_syscall_resolve_num_arch(arch, nr);
		char *up = NULL;

		if (s && asprintf(&up, "SYS_%s", s) < 0)
			up = NULL;
		free(s);
		if (!up)
			continue;
		if (strlen(up) > SYSCALL_NAME_MAX) {
			free(up);
			continue;
		}
		for (char *p = up; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		names[nr] = up;
	}
}

const char *syscall_name(__u64 nr)
{
	if (nr >= SYSCALL_NAMES_MAX)
		return NULL;
	pthread_once(&names_once, load_names);
	return names[nr];
}
