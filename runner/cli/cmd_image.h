/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `runner image <build|list|tag|remove|inspect|pull|push|export|import>`.
 */
#ifndef RUNNER_CMD_IMAGE_H
#define RUNNER_CMD_IMAGE_H

#include <getopt.h>
#include <stdbool.h>

struct oci_registry_opts;

/* argv[0] == "image" */
int cmd_image(int argc, char **argv);

/*
 * Registry options for any command that may talk to a registry: the
 * environment's defaults (oci_registry_opts_init) plus a progress line per
 * blob on stderr when stderr is a terminal.
 */
void image_registry_opts_init(struct oci_registry_opts *o);
/* End the progress line, if one was drawn (call after a pull or push). */
void image_progress_end(void);

/*
 * Flags shared by pull, push, login (and run): --authfile FILE,
 * --insecure-registries LIST, --cert-dir DIR.  Put IMAGE_REGISTRY_OPTIONS
 * in the getopt_long table and IMAGE_REGISTRY_HELP in the help text;
 * image_registry_option() applies one and returns true when opt was one.
 */
enum {
	IMAGE_OPT_AUTHFILE = 0x200,
	IMAGE_OPT_INSECURE,
	IMAGE_OPT_CERT_DIR,
};
/* clang-format off */
#define IMAGE_REGISTRY_OPTIONS						\
	{ "authfile", required_argument, NULL, IMAGE_OPT_AUTHFILE },	\
	{ "insecure-registries", required_argument, NULL, IMAGE_OPT_INSECURE }, \
	{ "cert-dir", required_argument, NULL, IMAGE_OPT_CERT_DIR }
#define IMAGE_REGISTRY_HELP						\
	"      --authfile FILE    credentials (default: $REGISTRY_AUTH_FILE,\n" \
	"                         containers auth.json, ~/.docker/config.json)\n" \
	"      --insecure-registries HOST:PORT,...\n"			\
	"                         allow plain HTTP / unverified TLS for these\n" \
	"      --cert-dir DIR     CA certificates in DIR/HOST:PORT/ca.crt\n"
/* clang-format on */
bool image_registry_option(struct oci_registry_opts *o, int opt,
			   const char *arg);

#endif
