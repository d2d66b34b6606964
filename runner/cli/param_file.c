// SPDX-License-Identifier: Apache-2.0
/* Flag values read from files, as ig's params read "@FILE" (param_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/escape.h"
#include "common/fileutil.h"
#include "runner/cli/cli.h"
#include "runner/cli/manifest.h"
#include "runner/cli/param_file.h"

/* path's content, up to PARAM_FILE_MAX bytes; NULL and *why if not. */
static char *read_value(const char *path, const char **why)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	cleanup_error struct error *e = NULL;
	char *buf = NULL;
	size_t len = 0;

	if (fd < 0 ||
	    read_fd_max(fd, path, PARAM_FILE_MAX + 1, &buf, &len, &e) < 0) {
		*why = strerror(fd < 0 ? errno : error_errnum(e));
		return NULL;
	}
	if (len > PARAM_FILE_MAX)
		*why = "larger than 1 MiB";
	else if (strlen(buf) != len)
		*why = "it holds a NUL byte";
	else
		return buf;
	free(buf);
	return NULL;
}

int param_file(struct param_files *pf, const char *param, const char **val,
	       struct error **err)
{
	const char *why = NULL;
	char *buf, **bufs;

	/* a manifest's value is taken as written, as ig's */
	if (!*val || (*val)[0] != '@' || manifest_value(*val))
		return EXIT_OK;
	buf = read_value(*val + 1, &why);
	if (!buf) {
		cleanup_free char *shown = term_escaped(*val + 1, 0);

		return cli_error(err, EXIT_USAGE,
				 "reading file \"%s\" for parameter \"%s\": %s",
				 shown ? shown : "", param, why);
	}
	bufs = realloc(pf->bufs, (pf->n + 1) * sizeof(*bufs));
	if (!bufs) {
		free(buf);
		return cli_error(err, EXIT_FAIL, "out of memory");
	}
	pf->bufs = bufs;
	pf->bufs[pf->n++] = buf;
	*val = buf;
	return EXIT_OK;
}

bool param_bool_word(struct param_files *pf, const char *arg, const char *name,
		     bool *on, int *rc, struct error **err)
{
	const char *v;

	if (!cli_flag_word(arg, name, &v))
		return false;
	*rc = param_file(pf, name, &v, err);
	if (!*rc)
		*rc = cli_param_bool_flag(name, v, on, err);
	return true;
}

void param_files_free(struct param_files *pf)
{
	while (pf->n)
		free(pf->bufs[--pf->n]);
	free(pf->bufs);
	pf->bufs = NULL;
}
