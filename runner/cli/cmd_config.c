// SPDX-License-Identifier: Apache-2.0
/*
 * `runner config view|default`: the configuration file's settings, and the
 * keys the runner reads from it with their defaults, as ig's `config`
 * commands print them (YAML; config.h says what is read).
 */
#include "runner/cli/commands.h"
#include "runner/cli/config.h"

static int config_view(struct cli_ctx *ctx, void *state, struct error **err)
{
	(void)ctx;
	(void)state;
	return config_print_view(err);
}

static int config_default(struct cli_ctx *ctx, void *state, struct error **err)
{
	(void)ctx;
	(void)state;
	return config_print_default(err);
}

/* taken out of argv by config_init(): listed for --help and completion */
static const struct option config_opts[] = {
	{ "config", required_argument, NULL, CLI_OPT_OWN },
	{ 0 },
};

#define CONFIG_FILES                                          \
	"The file: --config FILE, else ~/" CONFIG_DEFAULT_DIR \
	"/" CONFIG_DEFAULT_NAME " (ig's), if it exists.\n"

const struct cli_command cmd_config_view = {
	.name = "view",
	.summary = "print the current configuration",
	.usage = "Usage: runner config view [--config FILE]\n"
		 "\n"
		 "Print the configuration file's settings as YAML (keys\n"
		 "sorted, as ig prints them; {} without a file).\n" CONFIG_FILES
		 "\n"
		 "      --config FILE    the file to read\n"
		 "  -h, --help           this help\n"
		 "\n"
		 "EXAMPLES\n"
		 "  runner config view\n"
		 "  runner config view --config ./ig.yaml\n",
	.max_args = 0,
	.want = "no arguments",
	.options = config_opts,
	.run = config_view,
};

const struct cli_command cmd_config_default = {
	.name = "default",
	.summary = "print the default configuration",
	.usage =
		"Usage: runner config default [--config FILE]\n"
		"\n"
		"Print the keys the runner reads from the configuration file\n"
		"with their defaults, as YAML (ig's keys: operator.oci.*, ...).\n"
		"\n"
		"      --config FILE    the file to read (checked)\n"
		"  -h, --help           this help\n"
		"\n"
		"EXAMPLES\n"
		"  mkdir -p ~/.ig && runner config default > ~/.ig/config.yaml\n",
	.max_args = 0,
	.want = "no arguments",
	.options = config_opts,
	.run = config_default,
};

static const struct cli_command *const config_cmds[] = {
	&cmd_config_default,
	&cmd_config_view,
	NULL,
};

const struct cli_command cmd_config = {
	.name = "config",
	.summary = "show the configuration (ig's config file)",
	.usage =
		"Usage: runner config <subcommand>\n"
		"\n"
		"The configuration file gives `runner run` the defaults of\n"
		"ig's flags it names (operator.oci.verify-image, ...);\n"
		"INSPEKTOR_GADGET_<KEY> variables override it, flags both.\n" CONFIG_FILES
		"\n"
		"SUBCOMMANDS\n",
	.subs = config_cmds,
};
