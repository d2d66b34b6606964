/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strings from images, registries, archives and packets on their way to a
 * terminal: one escaping for all (help texts, error lines, columns, image
 * lists), so that none can move the cursor, clear the screen or retitle
 * the window.  C0 controls, DEL, C1 controls (U+0080..U+009F, which some
 * terminals take as CSI) and bytes that are not UTF-8 become "\xNN";
 * other UTF-8 passes unchanged.  A backslash stays itself: the escaping
 * is for eyes, not to be undone.
 */
#ifndef COMMON_ESCAPE_H
#define COMMON_ESCAPE_H

#include <stdio.h>
#include <stddef.h>

/* Keep '\n' and '\t' (multi-line texts such as a verifier log). */
#define ESCAPE_KEEP_NL 1u

/* Bytes term_escape() may write for len bytes of input. */
#define ESCAPE_MAX(len) (4 * (len))

/* Escape len bytes of s into out (ESCAPE_MAX(len) bytes); returns the
 * length written, no NUL added. */
size_t term_escape(char *out, const char *s, size_t len, unsigned int flags);
/* A malloc'd escaped copy of s (NULL s gives ""); NULL without memory. */
char *term_escaped(const char *s, unsigned int flags);
/* fputs() of s escaped, without allocating; returns EOF on error. */
int term_fputs(const char *s, FILE *f, unsigned int flags);

#endif
