/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A line of /proc/PID/mountinfo ("ID PARENT MAJ:MIN ROOT POINT OPTS... -
 * TYPE SOURCE SUPEROPTS") split as the kernel writes it: at single spaces
 * only.  The kernel escapes a space, tab, newline or backslash in a path
 * (\040 for a space), not \f, \v or \r, at which sscanf()'s %s would cut.
 */
#ifndef RUNNER_ENGINE_MOUNTINFO_H
#define RUNNER_ENGINE_MOUNTINFO_H

#include <stdbool.h>

/*
 * Cut line in place (at its '\n' too) and point *root and *point at those
 * fields; false for a line of fewer fields, or whose mount point is empty
 * or has escaped characters (passed over: it is not the path as written).
 */
bool mountinfo_root_point(char *line, char **root, char **point);

#endif
