// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

int error_vset(struct error **err, int errnum, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	if (!err)
		return -1;
	error_free(*err);
	*err = NULL;
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		n = 0;
	if (errnum > 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(errnum));
	*err = calloc(1, sizeof(**err));
	if (!*err)
		return -1;
	(*err)->errnum = errnum;
	(*err)->msg = strdup(buf);
	return -1;
}

int error_set(struct error **err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int error_prefix(struct error **err, const char *fmt, ...)
{
	char ctx[512];
	char *msg;
	va_list ap;

	if (!err || !*err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	if (asprintf(&msg, "%s: %s", ctx, error_msg(*err)) < 0)
		return -1;
	free((*err)->msg);
	(*err)->msg = msg;
	return -1;
}

const char *error_msg(const struct error *err)
{
	return err && err->msg ? err->msg : "unknown error";
}

int error_errnum(const struct error *err)
{
	return err ? err->errnum : ENOMEM;
}

void error_free(struct error *err)
{
	if (!err)
		return;
	free(err->msg);
	free(err);
}

int error_pass(struct error *e, struct error **err)
{
	if (err) {
		error_free(*err);
		*err = e;
	} else {
		error_free(e);
	}
	return -1;
}

int error_absent_ok(struct error *e, struct error **err)
{
	if (e && e->errnum == ENOENT) {
		error_free(e);
		return 0;
	}
	return error_pass(e, err);
}
