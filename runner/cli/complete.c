// SPDX-License-Identifier: Apache-2.0
/*
 * `runner __complete WORD... CURRENT`, what the bash completion script
 * asks: the candidates for CURRENT after the words typed so far, read
 * from the command tables the CLI itself parses (cli_table.h), the local
 * image store and, after `run IMAGE`, the image's own gadget flags.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "oci/ref.h"
#include "oci/store.h"
#include "runner/cli/cli_table.h"
#include "runner/cli/cmd_run.h"
#include "runner/cli/common.h"

/* What the words typed so far tell. */
struct walk {
	const struct cli_cmd *cmd; /* the innermost command named */
	bool chose_sub; /* a subcommand was named after cmd's parent */
	int operands; /* operands of cmd so far */
	const char *image; /* first operand of an image command */
	const char *store; /* --store value */
	bool value_next; /* the current word is an option's value */
	bool dashdash; /* "--" seen: only operands follow */
};

const struct cli_cmd *cli_find(const struct cli_cmd *subs, const char *name)
{
	for (; subs && subs->name; subs++)
		if (!strcmp(subs->name, name) ||
		    (subs->alias && !strcmp(subs->alias, name)))
			return subs;
	return NULL;
}

/* The option word w names in opts, or NULL ("--x", "--x=v", "-x"). */
static const struct option *find_opt(const struct option *opts, const char *w)
{
	const struct option *o;

	for (o = opts; o && o->name; o++) {
		size_t n = strlen(o->name);

		if (w[1] == '-' ? !strncmp(w + 2, o->name, n) &&
					  (!w[2 + n] || w[2 + n] == '=') :
				  w[1] == o->val && !w[2])
			return o;
	}
	return NULL;
}

static void walk(const struct cli_cmd *root, int n, char **words,
		 struct walk *w)
{
	memset(w, 0, sizeof(*w));
	w->cmd = root;
	for (int i = 0; i < n; i++) {
		const char *word = words[i];
		const struct cli_cmd *sub;
		const struct option *o;

		if (!w->dashdash && !strcmp(word, "--")) {
			w->dashdash = true;
			continue;
		}
		if (!w->dashdash && word[0] == '-' && word[1]) {
			o = find_opt(w->cmd->opts, word);
			if (!o || o->has_arg != required_argument ||
			    strchr(word, '='))
				continue;
			if (i + 1 == n) {
				w->value_next = true;
				return;
			}
			if (!strcmp(o->name, "store"))
				w->store = words[i + 1];
			i++;
			continue;
		}
		sub = w->operands ? NULL : cli_find(w->cmd->subs, word);
		if (sub) {
			w->cmd = sub;
			w->chose_sub = true;
			continue;
		}
		if (!w->operands && w->cmd->operands & CLI_OPERAND_IMAGE)
			w->image = word;
		w->operands++;
	}
}

static void put(const char *cur, const char *s)
{
	if (!strncmp(s, cur, strlen(cur)))
		puts(s);
}

/* "--flag" for each gadget flag that starts like cur (ctx). */
static void put_gadget_flag(void *ctx, const char *flag)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "--%s", flag);
	put(ctx, buf);
}

/* The store the words name, when it exists (never create one here). */
static struct oci_store *open_store(const struct walk *w)
{
	cleanup_error struct error *err = NULL;
	cleanup_free char *index = NULL;
	struct oci_store *s = NULL;
	const char *dir = runner_store_dir(w->store);

	if (asprintf(&index, "%s/index.json", dir) < 0)
		return NULL;
	if (access(index, R_OK) || oci_store_open(dir, &s, &err))
		return NULL;
	return s;
}

/* Image references: full, and short when under the default prefix. */
static void put_images(struct oci_store *store, const char *cur)
{
	cleanup_error struct error *err = NULL;
	const char *prefix = runner_default_prefix();
	struct oci_store_entry *e = NULL;
	size_t n = 0, plen;

	if (!prefix)
		prefix = OCI_DEFAULT_PREFIX;
	plen = strlen(prefix);
	if (!store || oci_store_list(store, &e, &n, &err))
		return;
	for (size_t i = 0; i < n; i++) {
		if (!e[i].ref)
			continue;
		put(cur, e[i].ref);
		if (!strncmp(e[i].ref, prefix, plen) && e[i].ref[plen])
			put(cur, e[i].ref + plen);
	}
	oci_store_entries_free(e, n);
}

int cli_complete(const struct cli_cmd *root, int argc, char **argv)
{
	const char *cur = argc > 0 ? argv[argc - 1] : "";
	struct oci_store *store = NULL;
	const struct cli_cmd *c;
	const struct option *o;
	bool dash, done;
	struct walk w;

	walk(root, argc > 0 ? argc - 1 : 0, argv, &w);
	if (w.value_next) {
		puts(":files");
		return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
	}
	dash = !w.dashdash && cur[0] == '-';
	/* a command of one operand takes only flags once it has it */
	done = w.operands && w.cmd->operands & CLI_OPERAND_ONE;
	if (dash || (done && !w.dashdash)) {
		for (o = w.cmd->opts; o && o->name; o++) {
			char buf[128];

			snprintf(buf, sizeof(buf), "--%s", o->name);
			put(cur, buf);
		}
		if (w.image && (store = open_store(&w))) {
			cleanup_error struct error *err = NULL;

			run_gadget_flags(store, w.image, put_gadget_flag,
					 (void *)cur, &err);
		}
	} else if (w.cmd->subs && !w.operands) {
		for (c = w.cmd->subs; c->name; c++)
			put(cur, c->name);
	} else if (!done) {
		if (w.cmd->operands & CLI_OPERAND_IMAGE) {
			store = open_store(&w);
			put_images(store, cur);
		}
		if (w.cmd->operands & CLI_OPERAND_FILE)
			puts(":files");
	}
	oci_store_free(store);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}
