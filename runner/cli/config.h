/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ig's configuration file and environment, read as ig reads them: a YAML
 * file (--config FILE, else ~/.ig/config.yaml if it exists) and variables
 * INSPEKTOR_GADGET_<KEY> (the key upper-cased, '.' and '-' as '_') whose
 * values give the defaults of the flags they name: flag > environment >
 * file > built-in default.  The runner reads the keys of the ig flags it
 * has (operator.oci.verify-image, ..., and the root flag verbose, which
 * config_init() applies to every command); others are kept and ignored.
 */
#ifndef RUNNER_CLI_CONFIG_H
#define RUNNER_CLI_CONFIG_H

#include "common/error.h"

#define CONFIG_DEFAULT_DIR ".ig" /* under $HOME, as ig's */
#define CONFIG_DEFAULT_NAME "config.yaml"
#define CONFIG_ENV_PREFIX "INSPEKTOR_GADGET_"

/*
 * Take --config FILE (or --config=FILE) out of argv (up to "--") and read
 * that file, or the default one when it exists, and set the root flags it
 * (or the environment) gives and argv does not (verbose); EXIT_USAGE and
 * *err for a file that cannot be read or parsed, or a bad value.
 */
int config_init(int *argc, char **argv, struct error **err);
void config_fini(void);

/*
 * For `runner run`: argv with "--FLAG=VALUE" after argv[0] for each of
 * the *n_set flags the environment or the file sets and argv does not
 * (free with config_args_free(*out, *n_set)).  EXIT_USAGE and *err for a
 * value the flag would not take, naming the variable, or the file and key.
 */
int config_run_args(int argc, char **argv, int *out_argc, char ***out,
		    int *n_set, struct error **err);
void config_args_free(char **args, int n_set);
/*
 * The value the environment or the file gives flag FLAG (its key's), into
 * *out (free it; NULL: none given, or the default); EXIT_USAGE and *err as
 * config_run_args().  For commands that take the key but not the flag
 * (`image inspect` reads operator.env.env-vars, as ig's does).
 */
int config_flag_value(const char *flag, char **out, struct error **err);
/*
 * *err, of the "--FLAG=VALUE" config_run_args() set, prefixed with where
 * the value came from: "environment VAR" or "config FILE: KEY".
 */
int config_blame(const char *arg, struct error **err);

/* `runner config view`: the file's settings, as YAML on stdout. */
int config_print_view(struct error **err);
/* `runner config default`: the keys the runner reads with their
 * defaults, as YAML on stdout. */
int config_print_default(struct error **err);

#endif
