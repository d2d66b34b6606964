// SPDX-License-Identifier: Apache-2.0
/*
 * ig's configuration file and environment variables as flag defaults
 * (config.h), and `runner config view|default`, which print YAML laid out
 * as ig prints it (keys sorted and lower-cased, four-space indent, strings
 * that would read as another type quoted).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "common/cleanup.h"
#include "common/escape.h"
#include "common/fileutil.h"
#include "common/goparse.h"
#include "common/utf8.h"
#include "metadata/yaml_limits.h"
#include "runner/cli/cli.h"
#include "runner/cli/config.h"

enum cfg_type {
	CFG_BOOL,
	CFG_STRING,
	CFG_LIST, /* a YAML list, or words; one comma-joined flag value */
	CFG_PULL,
};

/* The ig keys the runner reads: ig's operator params, as `ig run` flags. */
static const struct cfg_key {
	const char *key;
	const char *flag;
	enum cfg_type type;
	const char *def; /* as `config default` shows it; NULL: [] */
} cfg_keys[] = {
	/* ig's env operator's global param */
	{ "operator.env.env-vars", "env-vars", CFG_STRING, "" },
	/* ig's LocalManager operator's global params */
	{ "operator.localmanager.containerd-namespace", "containerd-namespace",
	  CFG_STRING, "k8s.io" },
	{ "operator.localmanager.runtimes", "runtimes", CFG_STRING,
	  "docker,containerd,cri-o,podman" },
	{ "operator.oci.allowed-gadgets", "allowed-gadgets", CFG_LIST, NULL },
	{ "operator.oci.annotate", "annotate", CFG_LIST, NULL },
	{ "operator.oci.authfile", "authfile", CFG_STRING,
	  "/var/lib/ig/config.json" },
	{ "operator.oci.disallow-pulling", "disallow-pulling", CFG_BOOL,
	  "false" },
	{ "operator.oci.insecure-registries", "insecure-registries", CFG_LIST,
	  NULL },
	{ "operator.oci.public-keys", "public-keys", CFG_LIST, NULL },
	{ "operator.oci.pull", "pull", CFG_PULL, "missing" },
	{ "operator.oci.verify-image", "verify-image", CFG_BOOL, "true" },
	{ "operator.otel-metrics.otel-metrics-listen", "otel-metrics-listen",
	  CFG_BOOL, "false" },
	{ "operator.otel-metrics.otel-metrics-listen-address",
	  "otel-metrics-listen-address", CFG_STRING, "0.0.0.0:2224" },
	/* ig's root flags (no '.'): every command's (config_init()) */
	{ "verbose", "verbose", CFG_BOOL, "false" },
};
#define N_CFG_KEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

static struct {
	char *path; /* the file read, for messages */
	bool loaded; /* doc holds it */
	yaml_document_t doc;
} cfg;

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/*
 * The file, read up to one byte past the YAML limit (a FIFO or a device
 * as --config ends there too, and yaml_load_doc() says it is too large).
 */
static int read_bounded(const char *path, char **out, size_t *len,
			struct error **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return error_set(err, errno, "open %s", path);
	return read_fd_max(fd, path, YAML_MAX_BYTES + 1, out, len, err);
}

/* --config FILE out of argv; *path NULL when not given. */
static int take_config_flag(int *argc, char **argv, const char **path,
			    struct error **err)
{
	int i, j, n;

	*path = NULL;
	for (i = 1; i < *argc && strcmp(argv[i], "--");) {
		if (!strncmp(argv[i], "--config=", 9)) {
			*path = argv[i] + 9;
			n = 1;
		} else if (!strcmp(argv[i], "--config")) {
			if (i + 1 >= *argc)
				return cli_error(err, EXIT_USAGE,
						 "--config: want a FILE");
			*path = argv[i + 1];
			n = 2;
		} else {
			i++;
			continue;
		}
		for (j = i; j + n <= *argc; j++)
			argv[j] = argv[j + n];
		*argc -= n;
	}
	if (*path && !**path)
		return cli_error(err, EXIT_USAGE, "--config: want a FILE");
	return EXIT_OK;
}

static int load_file(int *argc, char **argv, struct error **err)
{
	cleanup_free char *buf = NULL;
	const char *given, *home;
	yaml_node_t *root;
	size_t len = 0;
	int rc;

	rc = take_config_flag(argc, argv, &given, err);
	if (rc)
		return rc;
	if (given) {
		cfg.path = strdup(given);
	} else {
		home = getenv("HOME");
		if (!home || !*home)
			return EXIT_OK;
		if (asprintf(&cfg.path,
			     "%s/" CONFIG_DEFAULT_DIR "/" CONFIG_DEFAULT_NAME,
			     home) < 0)
			cfg.path = NULL;
	}
	if (!cfg.path)
		return cli_error(err, EXIT_FAIL, "out of memory");
	/* a default file missing, or one this user may not read (a HOME of
	 * root's under setpriv or sudo -u), is no file, as in ig */
	if (read_bounded(cfg.path, &buf, &len, err)) {
		if (!given && (error_errnum(*err) == ENOENT ||
			       error_errnum(*err) == ENOTDIR ||
			       error_errnum(*err) == EACCES)) {
			error_free(*err);
			*err = NULL;
			return EXIT_OK;
		}
		error_prefix(err, "config");
		return EXIT_USAGE;
	}
	if (yaml_load_doc(buf, len, cfg.path, &cfg.doc, err)) {
		error_prefix(err, "config");
		return EXIT_USAGE;
	}
	cfg.loaded = true;
	root = yaml_document_get_root_node(&cfg.doc);
	if (root && root->type != YAML_MAPPING_NODE && !yaml_node_is_null(root))
		return cli_error(err, EXIT_USAGE,
				 "config %s: want a mapping of keys", cfg.path);
	return EXIT_OK;
}

void config_fini(void)
{
	if (cfg.loaded)
		yaml_document_delete(&cfg.doc);
	cfg.loaded = false;
	free(cfg.path);
	cfg.path = NULL;
}

static yaml_node_t *root_node(void)
{
	return cfg.loaded ? yaml_document_get_root_node(&cfg.doc) : NULL;
}

static yaml_node_t *get(yaml_document_t *doc, int id)
{
	return yaml_document_get_node(doc, id);
}

/* The value node of a dotted key (keys compare without case, as viper's). */
static yaml_node_t *lookup(const char *key)
{
	yaml_node_t *n = root_node();

	while (n && *key) {
		size_t len = strcspn(key, ".");
		yaml_node_pair_t *p;
		yaml_node_t *found = NULL;

		if (n->type != YAML_MAPPING_NODE)
			return NULL;
		for (p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = get(&cfg.doc, p->key);

			if (k && k->type == YAML_SCALAR_NODE &&
			    k->data.scalar.length == len &&
			    !strncasecmp(scalar(k), key, len))
				found = get(&cfg.doc, p->value); /* last wins */
		}
		n = found;
		key += len;
		if (*key == '.')
			key++;
	}
	return n && !yaml_node_is_null(n) ? n : NULL;
}

/* INSPEKTOR_GADGET_OPERATOR_OCI_VERIFY_IMAGE for operator.oci.verify-image */
static char *env_name(const char *key)
{
	char *name = NULL;

	if (asprintf(&name, CONFIG_ENV_PREFIX "%s", key) < 0)
		return NULL;
	for (char *c = name + strlen(CONFIG_ENV_PREFIX); *c; c++)
		*c = *c == '.' || *c == '-' ? '_' : toupper((unsigned char)*c);
	return name;
}

/* Words (blanks or commas between) as one comma-separated value. */
static char *words_joined(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		size_t n;

		s += strspn(s, " \t\r\n\f\v,");
		n = strcspn(s, " \t\r\n\f\v,");
		if (!n)
			break;
		if (o != out)
			*o++ = ',';
		memcpy(o, s, n);
		o += n;
		s += n;
	}
	*o = '\0';
	return out;
}

/* A list from the file: its scalars (or a scalar's words), comma-joined. */
static char *list_value(const yaml_node_t *n, const char **why)
{
	yaml_node_item_t *it;
	size_t len = 1;
	char *out, *o;

	if (n->type == YAML_SCALAR_NODE)
		return words_joined(scalar(n));
	if (n->type != YAML_SEQUENCE_NODE) {
		*why = "want a list";
		return NULL;
	}
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *i = get(&cfg.doc, *it);

		if (!i || i->type != YAML_SCALAR_NODE) {
			*why = "want a list of strings";
			return NULL;
		}
		len += i->data.scalar.length + 1;
	}
	out = o = malloc(len);
	if (!out)
		return NULL;
	*o = '\0';
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *i = get(&cfg.doc, *it);

		if (yaml_node_is_null(i))
			continue;
		o += sprintf(o, "%s%s", o == out ? "" : ",", scalar(i));
	}
	return out;
}

/*
 * A bool key's value as its flag would read it, "true" or "false" (NULL:
 * none): an operator's key (param) is ig's bool param
 * (go_parse_param_bool()), a root key (verbose) its pflag bool (Go's
 * strconv.ParseBool).
 */
static const char *bool_value(const char *s, bool param)
{
	bool b;

	if (!s || !(param ? go_parse_param_bool(s, &b) : cli_parse_bool(s, &b)))
		return NULL;
	return b ? "true" : "false";
}

/* A value of the wrong kind: the error, its text escaped (a quoted
 * scalar may hold a line break: the message stays one line). */
static int bad_value(const char *where, const char *v, const char *want,
		     struct error **err)
{
	cleanup_free char *shown = term_escaped(v, 0);

	if (!shown)
		return cli_error(err, EXIT_FAIL, "out of memory");
	return cli_error(err, EXIT_USAGE, "%s: invalid value '%s': want %s",
			 where, shown, want);
}

/*
 * The flag value a key sets (NULL: none), checked for its type: the
 * environment's, else the file's; an error names the one it came from.
 */
static int key_value(const struct cfg_key *k, char **out, struct error **err)
{
	cleanup_free char *env = env_name(k->key);
	const char *e = env ? getenv(env) : NULL, *why = NULL, *b;
	cleanup_free char *v = NULL, *where = NULL;
	yaml_node_t *n = NULL;

	*out = NULL;
	if (!env)
		return cli_error(err, EXIT_FAIL, "out of memory");
	if (e && *e) {
		v = k->type == CFG_LIST ? words_joined(e) : strdup(e);
		if (asprintf(&where, "environment %s", env) < 0)
			where = NULL;
	} else if ((n = lookup(k->key))) {
		if (k->type == CFG_LIST)
			v = list_value(n, &why);
		else if (n->type == YAML_SCALAR_NODE)
			v = strdup(scalar(n));
		else
			why = "want a value, not a list or mapping";
		if (asprintf(&where, "config %s: %s", cfg.path, k->key) < 0)
			where = NULL;
	} else {
		return EXIT_OK;
	}
	if (!where || (!why && !v))
		return cli_error(err, EXIT_FAIL, "out of memory");
	if (why)
		return cli_error(err, EXIT_USAGE, "%s: %s", where, why);
	/* an operator's key is ig's param, whose "@FILE" the flag reads
	 * (runner/cli/param_file.h) and then checks */
	if (v[0] == '@' && strchr(k->key, '.')) {
		*out = steal_ptr(v);
		return EXIT_OK;
	}
	if (k->type == CFG_BOOL) {
		if (!(b = bool_value(v, strchr(k->key, '.'))))
			return bad_value(where, v, "true or false", err);
		free(v);
		v = strdup(b);
		if (!v)
			return cli_error(err, EXIT_FAIL, "out of memory");
	}
	if (k->type == CFG_PULL && strcmp(v, "always") &&
	    strcmp(v, "missing") && strcmp(v, "never"))
		return bad_value(where, v, "always, missing or never", err);
	/* a default is no setting, as in ig */
	if (k->def && !strcmp(v, k->def))
		return EXIT_OK;
	if (!k->def && !*v)
		return EXIT_OK;
	*out = steal_ptr(v);
	return EXIT_OK;
}

int config_flag_value(const char *flag, char **out, struct error **err)
{
	*out = NULL;
	for (size_t i = 0; i < N_CFG_KEYS; i++)
		if (!strcmp(cfg_keys[i].flag, flag))
			return key_value(&cfg_keys[i], out, err);
	return EXIT_OK;
}

int config_blame(const char *arg, struct error **err)
{
	size_t n;

	if (strncmp(arg, "--", 2))
		return -1;
	arg += 2;
	n = strcspn(arg, "=");
	for (size_t i = 0; i < N_CFG_KEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		cleanup_free char *env = NULL;
		const char *e;

		if (strlen(k->flag) != n || strncmp(k->flag, arg, n))
			continue;
		env = env_name(k->key);
		if (!env)
			return -1;
		e = getenv(env);
		if ((e && *e) || !cfg.path)
			return error_prefix(err, "environment %s", env);
		return error_prefix(err, "config %s: %s", cfg.path, k->key);
	}
	return -1;
}

/* Whether argv (up to "--") sets --flag, or its short form (-r, -rX). */
static bool flag_given(int argc, char **argv, const char *flag)
{
	char short_ = !strcmp(flag, "runtimes") ? 'r' :
		      !strcmp(flag, "verbose")	? 'v' :
						  0;
	size_t n = strlen(flag);

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if ((short_ && argv[i][0] == '-' && argv[i][1] == short_) ||
		    (!strncmp(argv[i], "--", 2) &&
		     !strncmp(argv[i] + 2, flag, n) &&
		     (!argv[i][2 + n] || argv[i][2 + n] == '=')))
			return true;
	return false;
}

/*
 * ig's root flags the runner has (verbose, a key without '.'): set for
 * every command, as ig's InitConfig() sets them, unless the command line
 * gives them.
 */
static int root_flags(int argc, char **argv, struct error **err)
{
	for (size_t i = 0; i < N_CFG_KEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		cleanup_free char *v = NULL;
		int rc;

		if (strchr(k->key, '.') || flag_given(argc, argv, k->flag))
			continue;
		rc = key_value(k, &v, err);
		if (rc)
			return rc;
		if (v && !strcmp(v, "true")) /* verbose, the only one */
			cli_verbose();
	}
	return EXIT_OK;
}

int config_init(int *argc, char **argv, struct error **err)
{
	int rc = load_file(argc, argv, err);

	return rc ? rc : root_flags(*argc, argv, err);
}

void config_args_free(char **args, int n)
{
	if (!args)
		return;
	for (int i = 1; i <= n; i++) /* the settings follow argv[0] */
		free(args[i]);
	free(args);
}

int config_run_args(int argc, char **argv, int *out_argc, char ***out,
		    int *n_set, struct error **err)
{
	char *set[N_CFG_KEYS] = { 0 };
	char **args = NULL;
	size_t i, n = 0;
	int rc = EXIT_OK;

	for (i = 0; i < N_CFG_KEYS && !rc; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		cleanup_free char *v = NULL;

		if (!strchr(k->key, '.') || flag_given(argc, argv, k->flag))
			continue;
		rc = key_value(k, &v, err);
		if (!rc && v && asprintf(&set[n++], "--%s=%s", k->flag, v) < 0)
			rc = cli_error(err, EXIT_FAIL, "out of memory");
	}
	if (!rc && !(args = calloc(argc + n + 1, sizeof(*args))))
		rc = cli_error(err, EXIT_FAIL, "out of memory");
	if (rc) {
		for (i = 0; i < n; i++)
			free(set[i]);
		return rc;
	}
	/* argv[0], the settings, then the command line, which wins */
	args[0] = argv[0];
	memcpy(args + 1, set, n * sizeof(*args));
	memcpy(args + 1 + n, argv + 1, (size_t)(argc - 1) * sizeof(*args));
	*out_argc = argc + (int)n;
	*out = args;
	*n_set = (int)n;
	return EXIT_OK;
}

static bool in_words(const char *s, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, words[i]))
			return true;
	return false;
}

/* A plain scalar that YAML 1.2 (ig's reader) reads as a bool, a null or a
 * number. */
static bool typed(const char *s)
{
	static const char *const words[] = {
		"true",	 "True",  "TRUE", "false", "False", "FALSE", "~",
		"null",	 "Null",  "NULL", ".inf",  ".Inf",  ".INF",  "-.inf",
		"-.Inf", "-.INF", ".nan", ".NaN",  ".NAN",
	};
	char *end;

	if (in_words(s, words, sizeof(words) / sizeof(words[0])))
		return true;
	errno = 0;
	(void)strtod(s, &end);
	if (!*end && end != s)
		return true;
	(void)strtoll(s, &end, 0);
	return !*end && end != s;
}

/* A string ig writes quoted: one that reads as another type, also in
 * YAML 1.1 (yes, on, ...). */
static bool reads_as_other(const char *s)
{
	static const char *const words[] = {
		"y",  "Y",  "yes", "Yes", "YES", "n",	"N",   "no",
		"No", "NO", "on",  "On",  "ON",	 "off", "Off", "OFF",
	};

	return typed(s) || in_words(s, words, sizeof(words) / sizeof(words[0]));
}

/* Whether s can be written plain (libyaml's emitter would not quote it). */
static bool plain_ok(const char *s)
{
	size_t n = strlen(s);

	if (strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0]) &&
	    !((s[0] == '-' || s[0] == '?' || s[0] == ':') && s[1] &&
	      s[1] != ' '))
		return false;
	if (s[n - 1] == ' ' || s[n - 1] == ':' || strstr(s, ": ") ||
	    strstr(s, " #") || strchr(s, '\t'))
		return false;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return false;
	return true;
}

/*
 * The character at s: its length (1 for a byte that is not UTF-8) and code
 * point.  YAML writes as they are only the printable ones, and reads
 * U+0085, U+2028 and U+2029 as line breaks.
 */
static size_t char_at(const unsigned char *s, unsigned int *cp)
{
	size_t len = *s < 0x80 ? 1 : utf8_len(s, strlen((const char *)s));

	*cp = len > 1 ? utf8_cp(s, len) : *s;
	return len ? len : 1;
}

static bool printable_cp(unsigned int cp)
{
	return (cp >= 0x20 && cp < 0x7f) || (cp >= 0xa0 && cp <= 0xd7ff) ||
	       (cp >= 0xe000 && cp <= 0xfffd && cp != 0xfeff) ||
	       (cp >= 0x10000 && cp <= 0x10ffff);
}

static void put_double_quoted(const char *s)
{
	const unsigned char *c = (const unsigned char *)s;

	putchar('"');
	while (*c) {
		unsigned int cp;
		size_t len = char_at(c, &cp);

		if (cp == '"' || cp == '\\')
			printf("\\%c", cp);
		else if (cp == '\n')
			fputs("\\n", stdout);
		else if (cp == '\t')
			fputs("\\t", stdout);
		else if (cp < 0x100 && !printable_cp(cp))
			printf("\\x%02x", cp);
		else if (!printable_cp(cp) || cp == 0x2028 || cp == 0x2029)
			printf("\\u%04x", cp);
		else
			fwrite(c, 1, len, stdout);
		c += len;
	}
	putchar('"');
}

/*
 * Whether s reads back the same as a literal block without an indentation
 * indicator: the first line that is not empty sets the block's indentation,
 * so it must not begin with a space, and there must be one.
 */
static bool literal_ok(const char *s)
{
	s += strspn(s, "\n");
	return *s && *s != ' ';
}

/* A string as ig writes it; a literal block's lines at indent. */
static void put_string(const char *s, int indent)
{
	bool printable = true;

	for (const unsigned char *c = (const unsigned char *)s; *c;) {
		unsigned int cp;

		c += char_at(c, &cp);
		if (cp != '\n' &&
		    (!printable_cp(cp) || cp == 0x2028 || cp == 0x2029))
			printable = false;
	}
	if (!*s || reads_as_other(s) || !printable ||
	    (strchr(s, '\n') && !literal_ok(s))) {
		put_double_quoted(s);
	} else if (strchr(s, '\n')) {
		size_t n = strlen(s);

		/* clip keeps one final line break, keep ("+") them all */
		fputs(s[n - 1] != '\n'		? "|-" :
		      n > 1 && s[n - 2] == '\n' ? "|+" :
						  "|",
		      stdout);
		while (*s) {
			size_t len = strcspn(s, "\n");

			if (len)
				printf("\n%*s%.*s", indent, "", (int)len, s);
			else
				putchar('\n');
			s += len;
			if (*s)
				s++;
		}
	} else if (plain_ok(s)) {
		fputs(s, stdout);
	} else {
		putchar('\'');
		for (; *s; s++)
			fputs(*s == '\'' ? "''" : (char[]){ *s, 0 }, stdout);
		putchar('\'');
	}
}

/* A scalar: a bool or a number of the file as such, a string as one. */
static void put_scalar(const yaml_node_t *n, int indent)
{
	const char *s = scalar(n), *b = bool_value(s, false);

	/* a list's null entry (`-` alone, `~`), as Go writes a nil: not "",
	 * a string a run would take */
	if (yaml_node_is_null(n)) {
		fputs("null", stdout);
		return;
	}
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && typed(s)) {
		/* Go writes its bools as true and false */
		fputs(b && strlen(s) > 1 ? b : s, stdout);
		return;
	}
	put_string(s, indent);
}

/* Keys in order without case, then in the file's order: equal keys stay
 * in the order lookup() takes the last of them in. */
static int cmp_pairs(const void *a, const void *b, void *doc)
{
	const yaml_node_pair_t *pa = a, *pb = b;
	const yaml_node_t *ka = yaml_document_get_node(doc, pa->key);
	const yaml_node_t *kb = yaml_document_get_node(doc, pb->key);
	bool sa = ka && ka->type == YAML_SCALAR_NODE;
	bool sb = kb && kb->type == YAML_SCALAR_NODE;
	int c = sa != sb ? (int)sa - (int)sb :
		sa	 ? strcasecmp(scalar(ka), scalar(kb)) :
			   0;

	return c ? c : pa->key - pb->key;
}

static void put_node(yaml_document_t *doc, yaml_node_t *n, int indent);

/*
 * The value of pairs[i] (sorted by cmp_pairs()) that a view shows, as
 * lookup() reads it: a scalar key's last value (a later one of the same
 * key hides it), not null; NULL when none.
 */
static yaml_node_t *shown_value(yaml_document_t *doc,
				const yaml_node_pair_t *pairs, size_t i,
				size_t count)
{
	yaml_node_t *k = yaml_document_get_node(doc, pairs[i].key);
	yaml_node_t *v = yaml_document_get_node(doc, pairs[i].value);

	if (!k || !v || k->type != YAML_SCALAR_NODE || yaml_node_is_null(v))
		return NULL;
	if (i + 1 < count) {
		yaml_node_t *next =
			yaml_document_get_node(doc, pairs[i + 1].key);

		if (next && next->type == YAML_SCALAR_NODE &&
		    !strcasecmp(scalar(k), scalar(next)))
			return NULL;
	}
	return v;
}

/* The pairs of mapping n sorted by cmp_pairs() (malloc'd), NULL without
 * memory. */
static yaml_node_pair_t *sorted_pairs(yaml_document_t *doc,
				      const yaml_node_t *n, size_t *count)
{
	yaml_node_pair_t *pairs;

	*count = n->data.mapping.pairs.top - n->data.mapping.pairs.start;
	pairs = malloc((*count ? *count : 1) * sizeof(*pairs));
	if (!pairs)
		return NULL;
	memcpy(pairs, n->data.mapping.pairs.start, *count * sizeof(*pairs));
	qsort_r(pairs, *count, sizeof(*pairs), cmp_pairs, doc);
	return pairs;
}

/* Whether put_mapping() writes an entry of mapping n. */
static bool has_entries(yaml_document_t *doc, const yaml_node_t *n)
{
	size_t count;
	cleanup_free yaml_node_pair_t *pairs = sorted_pairs(doc, n, &count);

	for (size_t i = 0; pairs && i < count; i++)
		if (shown_value(doc, pairs, i, count))
			return true;
	return false;
}

/* A key longer than this is written as an explicit one ("? KEY"): YAML
 * takes an implicit key of up to 1024 characters, escapes included. */
#define IMPLICIT_KEY_MAX 250

/* The entries of a mapping at indent, keys sorted and lower-cased, nulls
 * and hidden duplicates left out (as viper's settings leave them); first:
 * the first line is already indented. */
static void put_mapping(yaml_document_t *doc, yaml_node_t *n, int indent,
			bool first)
{
	size_t count;
	cleanup_free yaml_node_pair_t *pairs = sorted_pairs(doc, n, &count);

	for (size_t i = 0; pairs && i < count; i++) {
		yaml_node_t *v = shown_value(doc, pairs, i, count);
		cleanup_free char *key = NULL;
		bool explicit;

		if (!v)
			continue;
		key = strdup(scalar(yaml_document_get_node(doc, pairs[i].key)));
		if (!key)
			return;
		for (char *c = key; *c; c++)
			*c = tolower((unsigned char)*c);
		explicit = strlen(key) > IMPLICIT_KEY_MAX;
		if (!first)
			printf("%*s", indent, "");
		first = false;
		if (explicit)
			fputs("? ", stdout);
		/* a key is on one line */
		if (strchr(key, '\n'))
			put_double_quoted(key);
		else
			put_string(key, indent + 4);
		if (explicit)
			printf("\n%*s", indent, "");
		putchar(':');
		put_node(doc, v, indent + 4);
	}
}

/* A value after "key:" or "-": on this line, or the lines below. */
static void put_node(yaml_document_t *doc, yaml_node_t *n, int indent)
{
	yaml_node_item_t *it;

	if (n->type == YAML_SCALAR_NODE) {
		putchar(' ');
		put_scalar(n, indent);
		putchar('\n');
		return;
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		if (n->data.sequence.items.top ==
		    n->data.sequence.items.start) {
			fputs(" []\n", stdout);
			return;
		}
		putchar('\n');
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			yaml_node_t *i = yaml_document_get_node(doc, *it);

			printf("%*s-", indent, "");
			if (i && i->type == YAML_MAPPING_NODE &&
			    has_entries(doc, i)) {
				putchar(' ');
				put_mapping(doc, i, indent + 2, true);
			} else if (i) {
				put_node(doc, i, indent + 2);
			}
		}
		return;
	}
	if (!has_entries(doc, n)) {
		fputs(" {}\n", stdout);
		return;
	}
	putchar('\n');
	put_mapping(doc, n, indent, false);
}

/* A whole document as ig prints its settings: {} when there are none. */
static void put_document(yaml_document_t *doc)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);

	if (!root || root->type != YAML_MAPPING_NODE || !has_entries(doc, root))
		fputs("{}\n", stdout);
	else
		put_mapping(doc, root, 0, false);
}

int config_print_view(struct error **err)
{
	(void)err;
	if (cfg.loaded)
		put_document(&cfg.doc);
	else
		fputs("{}\n", stdout);
	return EXIT_OK;
}

/* The mapping at a dotted path of doc, made as needed. */
static int mapping_at(yaml_document_t *doc, int map, const char *path)
{
	while (*path) {
		size_t len = strcspn(path, ".");
		yaml_node_t *m = yaml_document_get_node(doc, map);
		yaml_node_pair_t *p;
		int next = 0, key;

		for (p = m->data.mapping.pairs.start;
		     p < m->data.mapping.pairs.top && !next; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);

			if (k->data.scalar.length == len &&
			    !strncmp(scalar(k), path, len))
				next = p->value;
		}
		if (!next) {
			key = yaml_document_add_scalar(doc, NULL,
						       (yaml_char_t *)path,
						       (int)len,
						       YAML_PLAIN_SCALAR_STYLE);
			next = yaml_document_add_mapping(
				doc, NULL, YAML_BLOCK_MAPPING_STYLE);
			if (!key || !next ||
			    !yaml_document_append_mapping_pair(doc, map, key,
							       next))
				return 0;
		}
		map = next;
		path += len;
		if (*path == '.')
			path++;
	}
	return map;
}

int config_print_default(struct error **err)
{
	yaml_document_t doc;
	int root, ok = 1;

	if (!yaml_document_initialize(&doc, NULL, NULL, NULL, 1, 1))
		return cli_error(err, EXIT_FAIL, "out of memory");
	root = yaml_document_add_mapping(&doc, NULL, YAML_BLOCK_MAPPING_STYLE);
	for (size_t i = 0; i < N_CFG_KEYS && ok; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		const char *dot = strrchr(k->key, '.');
		const char *name = dot ? dot + 1 : k->key;
		cleanup_free char *parent =
			dot ? strndup(k->key, (size_t)(dot - k->key)) : NULL;
		int map = !dot	 ? root :
			  parent ? mapping_at(&doc, root, parent) :
				   0;
		int key = yaml_document_add_scalar(&doc, NULL,
						   (yaml_char_t *)name, -1,
						   YAML_PLAIN_SCALAR_STYLE);
		/* a default is a string, as ig's params keep them */
		int val =
			k->def ? yaml_document_add_scalar(
					 &doc, NULL, (yaml_char_t *)k->def, -1,
					 YAML_DOUBLE_QUOTED_SCALAR_STYLE) :
				 yaml_document_add_sequence(
					 &doc, NULL, YAML_BLOCK_SEQUENCE_STYLE);

		ok = map && key && val &&
		     yaml_document_append_mapping_pair(&doc, map, key, val);
	}
	if (ok)
		put_document(&doc);
	yaml_document_delete(&doc);
	return ok ? EXIT_OK : cli_error(err, EXIT_FAIL, "out of memory");
}
