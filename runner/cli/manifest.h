/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ig's gadget instance manifests, `runner run -f FILE` as `ig run -f
 * FILE` (pkg/gadget-manifest): YAML documents of apiVersion 1, kind
 * instance-spec, an image, and paramValues keyed by ig's fully qualified
 * param names (operator.filter.filter, operator.cli.fields, ...).  FILE
 * may be "-" (stdin) or an http:// or https:// URL.  Each key becomes the
 * run flag ig would set from it ("--filter=VALUE"), so that every value
 * is read by that flag's own parsing; a key of no flag of the runner's is
 * ignored, as ig ignores a key no operator takes.
 */
#ifndef RUNNER_CLI_MANIFEST_H
#define RUNNER_CLI_MANIFEST_H

#include <getopt.h>
#include <stdbool.h>

#include "common/error.h"

/* The most of a manifest read (file, stdin or URL): metadata's YAML
 * limit (metadata/yaml_limits.h), which it is also checked against. */
#define MANIFEST_MAX_BYTES (1U << 20)

/*
 * Take -f FILE, -fFILE, --file FILE, --file=FILE out of argv (up to
 * "--"), and the f of a cluster of short flags ("-vf FILE"), as getopt
 * would read them with the short flags shorts (getopt's optstring) and
 * the long ones longs: the value of another flag ("-c -f") is left
 * alone.  The last one's FILE into *file (NULL: none given).  EXIT_OK,
 * or EXIT_USAGE and *err for a flag without its FILE.
 */
int manifest_take_flag(int *argc, char **argv, const char *shorts,
		       const struct option *longs, const char **file,
		       struct error **err);

/*
 * Read manifest file and make *out: argv[0], a "--FLAG=VALUE" for each of
 * its n_set params that names a flag of flags (a gadget param,
 * operator.oci.ebpf.KEY, only when KEY is none of them: those are the
 * runner's own), its image, then argv[1..] (whose flags come later, so
 * they win).  EXIT_USAGE and *err, in ig's words, for a file that cannot
 * be read or is not one instance spec; nothing else is done.  Free with
 * manifest_args_free(*out, *n_set).
 */
int manifest_run_args(const char *file, int argc, char **argv,
		      const struct option *flags, int *out_argc, char ***out,
		      int *n_set, struct error **err);
void manifest_args_free(char **args, int n_set);

/* If arg is one manifest_run_args() made: *err prefixed with the file
 * and the key it came from, and 0; else -1. */
int manifest_blame(const char *arg, struct error **err);
/* Whether val points into a value manifest_run_args() made: taken as
 * written, not as "@FILE" (ig reads no file for a manifest's value). */
bool manifest_value(const char *val);

#endif
