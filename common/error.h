/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One error contract for every library in this tree: a fallible function
 * returns 0 (or a pointer) on success, and a negative value (or NULL) after
 * filling *err.  Callers add context while unwinding with error_prefix(), so
 * the single line the user finally sees reads "what: where: why".
 * Library code never prints and never exits.
 */
#ifndef COMMON_ERROR_H
#define COMMON_ERROR_H

#include <stdarg.h>
#include <stddef.h>

struct error {
	int errnum; /* errno-style status, 0 when none applies */
	char *msg;
};

/* Fill *err (if err is not NULL) and return -1.  errnum > 0 appends strerror. */
int error_set(struct error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like error_set() with a va_list. */
int error_vset(struct error **err, int errnum, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* Prepend "context: " to the message in *err; return -1. */
int error_prefix(struct error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hand e to *err (freed when err is NULL); return -1. */
int error_pass(struct error *e, struct error **err);
/*
 * For a lookup where absent is an answer: 0 (e freed) when e says ENOENT,
 * else -1 with e handed to *err (freed when err is NULL).
 */
int error_absent_ok(struct error *e, struct error **err);
/* The message, or "unknown error". */
const char *error_msg(const struct error *err);
/* Its errno-style status; ENOMEM for none: an error_set() that ran out of
 * memory returns -1 and leaves no error to read. */
int error_errnum(const struct error *err);
void error_free(struct error *err);

static inline void error_freep(struct error **err)
{
	error_free(*err);
	*err = NULL;
}

#define cleanup_error __attribute__((cleanup(error_freep)))

#endif
