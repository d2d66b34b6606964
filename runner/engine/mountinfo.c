// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "runner/engine/mountinfo.h"

bool mountinfo_root_point(char *line, char **root, char **point)
{
	char *field[5], *rest = line;
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	while (n < 5 && rest)
		field[n++] = strsep(&rest, " ");
	if (n < 5 || !field[4][0] || strchr(field[4], '\\'))
		return false;
	*root = field[3];
	*point = field[4];
	return true;
}
