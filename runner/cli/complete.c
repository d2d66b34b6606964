// SPDX-License-Identifier: Apache-2.0
/*
 * `runner __complete WORD... CURRENT`, what the bash completion script
 * asks: the candidates for CURRENT after the words typed so far, read
 * from the command table the CLI itself dispatches from (cli.h): the
 * subcommands, each leaf's flags (its own and the shared groups), its
 * operands (image names from the local store, file names; none after
 * `run -f FILE`, whose manifest names the image) and, after `run IMAGE`,
 * the image's own gadget flags.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "oci/ref.h"
#include "oci/sign.h"
#include "oci/store.h"
#include "runner/cli/complete.h"

/* What the words typed so far tell. */
struct walk {
	const struct cli_command *cmd; /* the innermost command named */
	int cmd_at; /* the word that named it */
	int operands; /* operands of cmd so far */
	bool gadget; /* an image whose gadget flags follow was named */
	bool or_file; /* CLI_OPERAND_OR_FILE's -f/--file given */
	const char *store; /* --store value */
	bool value_next; /* the current word is an option's value */
	bool dashdash; /* "--" seen: only operands follow */
};

/* The flags a command parses, as cli_dispatch() builds them. */
struct flags {
	struct option o[48];
	size_t n;
};

static void add_flag(struct flags *f, const struct option *o)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->o[i].name, o->name))
			return;
	if (f->n < sizeof(f->o) / sizeof(f->o[0]))
		f->o[f->n++] = *o;
}

static void command_flags(const struct cli_command *c, struct flags *f)
{
	static const struct option registry[] = { CLI_REGISTRY_OPTIONS, { 0 } };
	static const struct option store = { "store", required_argument, NULL,
					     CLI_OPT_STORE };
	static const struct option help = { "help", no_argument, NULL, 'h' };
	static const struct option verbose = { "verbose", optional_argument,
					       NULL, CLI_OPT_VERBOSE };
	const struct option *o;

	f->n = 0;
	for (o = c->options; o && o->name; o++)
		add_flag(f, o);
	if (c->flags & CLI_REGISTRY)
		for (o = registry; o->name; o++)
			add_flag(f, o);
	if (c->flags & CLI_STORE)
		add_flag(f, &store);
	/* a group answers --help, and its subcommands' "--x" aliases */
	if (c->subs)
		for (const struct cli_command *const *s = c->subs; *s; s++)
			if ((*s)->alias && !strncmp((*s)->alias, "--", 2) &&
			    f->n < sizeof(f->o) / sizeof(f->o[0]))
				f->o[f->n++] = (struct option){ (*s)->alias + 2,
								no_argument,
								NULL, 0 };
	add_flag(f, &verbose); /* ig's persistent flag: every command */
	add_flag(f, &help);
}

static const struct cli_command *find_sub(const struct cli_command *c,
					  const char *name)
{
	for (const struct cli_command *const *s = c->subs; s && *s; s++)
		if (!strcmp((*s)->name, name) ||
		    ((*s)->alias && !strcmp((*s)->alias, name)))
			return *s;
	return NULL;
}

/* The option word w names, or NULL ("--x", "--x=v", "-x", "-xv"). */
static const struct option *find_opt(const struct flags *f, const char *w)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct option *o = &f->o[i];
		size_t n = strlen(o->name);

		if (w[1] == '-' ?
			    !strncmp(w + 2, o->name, n) &&
				    (!w[2 + n] || w[2 + n] == '=') :
			    w[1] == o->val &&
				    (!w[2] || o->has_arg == required_argument))
			return o;
	}
	return NULL;
}

/* Does the option word w hold its value ("--x=v", "-xv")? */
static bool value_in_word(const char *w)
{
	return w[1] == '-' ? strchr(w, '=') != NULL : w[2] != '\0';
}

static void walk(const struct cli_command *root, int n, char **words,
		 struct walk *w)
{
	struct flags f;

	memset(w, 0, sizeof(*w));
	w->cmd = root;
	command_flags(root, &f);
	for (int i = 0; i < n; i++) {
		const char *word = words[i];
		const struct cli_command *sub;
		const struct option *o;

		if (!w->dashdash && !strcmp(word, "--")) {
			w->dashdash = true;
			continue;
		}
		if (!w->dashdash && word[0] == '-' && word[1]) {
			o = find_opt(&f, word);
			if (o && w->cmd->operands & CLI_OPERAND_OR_FILE &&
			    !strcmp(o->name, "file"))
				w->or_file = true;
			if (!o || o->has_arg != required_argument ||
			    value_in_word(word))
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
		sub = w->operands ? NULL : find_sub(w->cmd, word);
		if (sub) {
			w->cmd = sub;
			w->cmd_at = i;
			command_flags(sub, &f);
			continue;
		}
		if (!w->operands && w->cmd->operands & CLI_OPERAND_GADGET)
			w->gadget = true;
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

/* Does the store the words name exist?  (Never create one here.) */
static bool store_exists(const struct walk *w)
{
	cleanup_free char *index = NULL;

	return asprintf(&index, "%s/index.json", runner_store_dir(w->store)) >=
		       0 &&
	       !access(index, R_OK);
}

static struct oci_store *open_store(const struct walk *w)
{
	cleanup_error struct error *err = NULL;
	struct oci_store *s = NULL;

	if (!store_exists(w) ||
	    oci_store_open(runner_store_dir(w->store), &s, &err))
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
	if (!store || oci_store_index(store, &e, &n, &err))
		return;
	for (size_t i = 0; i < n; i++) {
		if (!e[i].ref || oci_is_signature_ref(e[i].ref))
			continue;
		put(cur, e[i].ref);
		if (!strncmp(e[i].ref, prefix, plen) && e[i].ref[plen])
			put(cur, e[i].ref + plen);
	}
	oci_store_entries_free(e, n);
}

int cli_complete(const struct cli_command *root, int argc, char **argv)
{
	const char *cur = argc > 0 ? argv[argc - 1] : "";
	struct oci_store *store = NULL;
	const struct cli_command *c;
	bool dash, done;
	struct flags f;
	struct walk w;
	int n;

	n = argc > 0 ? argc - 1 : 0;
	walk(root, n, argv, &w);
	if (w.value_next) {
		puts(":files");
		return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
	}
	c = w.cmd;
	dash = !w.dashdash && cur[0] == '-';
	/* a leaf with all its operands (or -f FILE for them: run's
	 * manifest) takes only flags */
	done = !c->subs && c->max_args >= 0 &&
	       (w.operands >= c->max_args || w.or_file);
	if (dash || (done && !w.dashdash)) {
		command_flags(c, &f);
		for (size_t i = 0; i < f.n; i++) {
			char buf[128];

			snprintf(buf, sizeof(buf), "--%s", f.o[i].name);
			put(cur, buf);
		}
		if (w.gadget && store_exists(&w)) {
			cleanup_error struct error *err = NULL;

			run_gadget_flags(n - w.cmd_at, argv + w.cmd_at,
					 put_gadget_flag, (void *)cur, &err);
		}
	} else if (c->subs) {
		for (const struct cli_command *const *s = c->subs; *s; s++)
			put(cur, (*s)->name);
	} else if (!done) {
		if (c->operands & CLI_OPERAND_IMAGE) {
			store = open_store(&w);
			put_images(store, cur);
		}
		if (c->operands & CLI_OPERAND_FILE)
			puts(":files");
	}
	oci_store_free(store);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}
