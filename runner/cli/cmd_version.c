// SPDX-License-Identifier: Apache-2.0
/*
 * `runner version`: the runner's version and the versions of the
 * libraries it runs with (asked at run time, not the headers it was built
 * against), for bug reports.
 */
#include <link.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <jansson.h>
#include <yaml.h>

#include "common/lazy_archive.h"
#include "common/lazy_curl.h"
#include "common/version.h"
#include "runner/cli/commands.h"

struct so_version {
	char version[32]; /* "1.1.2" from "libbpf.so.1.1.2" */
};

/* The file the loaded libbpf.so.* resolves to names its full version. */
static int find_libbpf(struct dl_phdr_info *info, size_t size, void *data)
{
	struct so_version *v = data;
	char real[PATH_MAX];
	const char *base, *ver;

	(void)size;
	if (!info->dlpi_name || !strstr(info->dlpi_name, "/libbpf.so."))
		return 0;
	if (!realpath(info->dlpi_name, real))
		return 0;
	base = strrchr(real, '/');
	ver = strstr(base ? base : real, ".so.");
	if (ver)
		snprintf(v->version, sizeof(v->version), "%s", ver + 4);
	return 1;
}

/* libbpf tells major.minor; the patch level when the file name has it. */
static void libbpf_version(char *buf, size_t len)
{
	struct so_version v = { "" };
	char mm[32];

	snprintf(mm, sizeof(mm), "%u.%u", libbpf_major_version(),
		 libbpf_minor_version());
	dl_iterate_phdr(find_libbpf, &v);
	if (!strncmp(v.version, mm, strlen(mm)) &&
	    (v.version[strlen(mm)] == '.' || !v.version[strlen(mm)]))
		snprintf(buf, len, "%s", v.version);
	else
		snprintf(buf, len, "%s", mm);
}

static int version_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);
	const char *archive = archive_version_details();
	const char *sp = strchr(archive, ' ');
	char bpf[32];

	(void)ctx;
	(void)state;
	(void)err;
	libbpf_version(bpf, sizeof(bpf));
	printf("runner %s\n", RUNNER_VERSION);
	printf("libbpf %s\n", bpf);
	printf("libcurl %s", curl->version);
	if (curl->ssl_version)
		printf(" (%s)", curl->ssl_version);
	putchar('\n');
	/* "libarchive 3.6.2 zlib/1.2.13 liblzma/5.4.1 ..." */
	if (!strncmp(archive, "libarchive ", 11) && sp && strchr(sp + 1, ' '))
		printf("libarchive %.*s (%s)\n",
		       (int)(strchr(sp + 1, ' ') - (sp + 1)), sp + 1,
		       strchr(sp + 1, ' ') + 1);
	else
		printf("%s\n", archive);
	printf("libyaml %s\n", yaml_get_version_string());
	printf("jansson %s\n", jansson_version_str());
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

const struct cli_command cmd_version = {
	.name = "version",
	.alias = "--version",
	.summary = "print the version and the libraries' versions",
	.usage = "Usage: runner version\n"
		 "\n"
		 "Print the runner's version and the versions of the libbpf,\n"
		 "libcurl, libarchive, libyaml and jansson libraries it runs\n"
		 "with.  `runner --version` is the same.\n",
	.run = version_run,
};
