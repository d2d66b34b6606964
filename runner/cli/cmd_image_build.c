// SPDX-License-Identifier: Apache-2.0
/*
 * `runner image build DIR -t REF`: compile DIR/program.bpf.c with clang for
 * each architecture (CO-RE, one object each), strip debug info but keep BTF,
 * and store the image (gadget.yaml as config) in the local store.
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "common/escape.h"
#include "common/tmpdir.h"
#include "metadata/build_file.h"
#include "metadata/metadata.h"
#include "oci/ref.h"
#include "oci/sign_store.h"
#include "oci/gadget_image.h"
#include "oci/store.h"
#include "runner/cli/commands.h"
#include "runner/engine/metrics.h"
#include "runner/engine/objinfo.h"
#include "runner/engine/session.h"

#include "common/version.h"
#define BUILDER_VERSION "runner-" RUNNER_VERSION

extern char **environ;

#if defined(__x86_64__)
#define BUILD_MULTIARCH "x86_64-linux-gnu"
#define BUILD_TARGET "x86"
#elif defined(__aarch64__)
#define BUILD_MULTIARCH "aarch64-linux-gnu"
#define BUILD_TARGET "arm64"
#else
#error "unknown host architecture: name its multiarch include folder"
#endif

static const struct {
	const char *oci; /* OCI platform architecture */
	const char *target; /* bpf_tracing.h __TARGET_ARCH_* */
} archs[] = {
	{ "amd64", "x86" },
	{ "arm64", "arm64" },
};

/* Ctrl-C, SIGTERM or SIGHUP: finish the step under way, then undo what
 * was made. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static int check_interrupted(struct error **err)
{
	if (!interrupted)
		return 0;
	return error_set(err, 0, "interrupted by %s",
			 interrupted == SIGINT ? "SIGINT" :
			 interrupted == SIGHUP ? "SIGHUP" :
						 "SIGTERM");
}

/* Run argv in the folder cwd (NULL: this one) and wait for it. */
static int run_cmd(const char *const argv[], const char *cwd,
		   struct error **err)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;

	rc = posix_spawn_file_actions_init(&fa);
	if (!rc && cwd)
		rc = posix_spawn_file_actions_addchdir_np(&fa, cwd);
	/* posix_spawnp does not write to argv; its type predates const */
	if (!rc)
		rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv,
				  environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return error_set(err, rc, "run %s", argv[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error_set(err, errno, "wait for %s", argv[0]);
	if (check_interrupted(err))
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return error_set(err, 0, "%s failed (status %d)", argv[0],
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

__attribute__((format(printf, 2, 0))) static void
btf_dump_printf(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

/* Write vmlinux.h for the running kernel's BTF (libbpf's btf_dump). */
static int write_vmlinux_h(const char *path, struct error **err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	struct btf_dump *d = NULL;
	struct btf *btf;
	FILE *f;
	__u32 id, n;
	int rc = -1;

	btf = btf__load_vmlinux_btf();
	if (!btf)
		return error_set(err, errno, "load kernel BTF");
	/* in memory, then written by the one rule of files we write */
	f = open_memstream(&text, &len);
	if (!f) {
		error_set(err, errno, "dump kernel BTF");
		goto out_btf;
	}
	d = btf_dump__new(btf, btf_dump_printf, f, NULL);
	if (!d) {
		error_set(err, errno, "dump kernel BTF");
		goto out_file;
	}
	fputs("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n"
	      "#pragma clang attribute push "
	      "(__attribute__((preserve_access_index)), apply_to = record)\n",
	      f);
	n = btf__type_cnt(btf);
	for (id = 1; id < n; id++) {
		if (check_interrupted(err))
			goto out_dump;
		if (btf_dump__dump_type(d, id)) {
			error_set(err, errno, "dump BTF type %u", id);
			goto out_dump;
		}
	}
	fputs("#pragma clang attribute pop\n#endif\n", f);
	rc = 0;
out_dump:
	btf_dump__free(d);
out_file:
	if (fclose(f) && !rc)
		rc = error_set(err, errno, "dump kernel BTF");
	if (!rc)
		rc = write_file_atomic(path, text, len, 0644, err);
out_btf:
	btf__free(btf);
	return rc;
}

/* The folder of this executable, e.g. /work/main/build. */
static void exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	dirname(buf);
}

/* Find gadget/include (gadget API headers) next to the runner binary. */
static int find_api_include(char *out, size_t len, struct error **err)
{
	static const char *const rel[] = { "../gadget/include",
					   "../share/runner/include",
					   "include" };
	const char *env = getenv("RUNNER_GADGET_INCLUDE");
	char dir[PATH_MAX], probe[PATH_MAX + 64];
	size_t i;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return 0;
	}
	exe_dir(dir, sizeof(dir));
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(probe, sizeof(probe), "%s/%s/gadget/macros.h", dir,
			 rel[i]);
		if (access(probe, R_OK) == 0 &&
		    snprintf(out, len, "%s/%s", dir, rel[i]) < (int)len)
			return 0;
	}
	return error_set(err, 0,
			 "gadget API headers not found near %s "
			 "(set RUNNER_GADGET_INCLUDE)",
			 dir);
}

/*
 * vmlinux.h: $RUNNER_VMLINUX_DIR, or <exe dir>/../share/runner/include
 * where `make install` puts one, or <exe dir>/include, made if missing.
 */
static int find_vmlinux_dir(char *out, size_t len, struct error **err)
{
	const char *env = getenv("RUNNER_VMLINUX_DIR");
	char dir[PATH_MAX], path[PATH_MAX + 16];

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return 0;
	}
	exe_dir(dir, sizeof(dir));
	if (snprintf(path, sizeof(path), "%s/../share/runner/include/vmlinux.h",
		     dir) < (int)sizeof(path) &&
	    access(path, R_OK) == 0 &&
	    snprintf(out, len, "%s/../share/runner/include", dir) < (int)len)
		return 0;
	if (snprintf(out, len, "%s/include", dir) >= (int)len ||
	    snprintf(path, sizeof(path), "%s/vmlinux.h", out) >=
		    (int)sizeof(path))
		return error_set(err, ENAMETOOLONG, "%s", dir);
	if (access(path, R_OK) == 0)
		return 0;
	if (mkdir_p(out, 0755, err))
		return -1;
	return write_vmlinux_h(path, err);
}

/* What one build compiles: the source, its folder, build.yaml's cflags. */
struct build_src {
	const char *dir; /* the gadget's folder, on the include path */
	const char *src; /* the eBPF source */
	char **cflags; /* NULL-terminated words, may be NULL */
	size_t n_cflags;
};

/* Compile one architecture's object into tmpdir; return its bytes. */
static int compile_arch(const struct build_src *b, const char *target,
			const char *api_inc, const char *vmlinux_inc,
			const char *tmpdir, char **obj, size_t *obj_len,
			struct error **err)
{
	char out[PATH_MAX], def[64], inc1[PATH_MAX + 2], inc2[PATH_MAX + 2],
		inc3[PATH_MAX + 2];
	/* clang runs in the gadget's folder, as ig's build: build.yaml's
	 * cflags name paths from there (-Iinclude); ours are absolute */
	cleanup_free char *src = realpath(b->src, NULL);
	cleanup_free char *dir = realpath(b->dir, NULL);
	cleanup_free char *api = realpath(api_inc, NULL);
	cleanup_free char *vml = realpath(vmlinux_inc, NULL);
	cleanup_free char *tmp = realpath(tmpdir, NULL);
	/* <linux/types.h> includes <asm/types.h>, which Debian keeps in the
	 * host's multiarch folder; after every other one, as ig's build. */
	const char *multiarch = "/usr/include/" BUILD_MULTIARCH;
	/* vmlinux.h is the host's: for another CPU, a wrapper with that
	 * CPU's registers comes first (gadget/foreign/<target>/vmlinux.h) */
	char foreign[PATH_MAX + 32];

	if (!src || !dir || !api || !vml || !tmp)
		return error_set(err, errno, "compile %s: %s", b->src,
				 !src ? b->src :
				 !dir ? b->dir :
				 !api ? api_inc :
				 !vml ? vmlinux_inc :
					tmpdir);
	snprintf(out, sizeof(out), "%s/%s.bpf.o", tmp, target);
	snprintf(def, sizeof(def), "-D__TARGET_ARCH_%s", target);
	snprintf(inc1, sizeof(inc1), "-I%s", api);
	snprintf(inc2, sizeof(inc2), "-I%s", vml);
	snprintf(inc3, sizeof(inc3), "-I%s", dir);
	if (strcmp(target, BUILD_TARGET))
		snprintf(foreign, sizeof(foreign), "-I%s/gadget/foreign/%s",
			 api, target);
	else
		snprintf(foreign, sizeof(foreign), "-D__GADGET_NATIVE");
	{
		const char *const head[] = {
			"clang",
			"-g",
			"-O2",
			"-target",
			"bpf",
			def,
			foreign,
			inc1,
			inc2,
			inc3,
			"-idirafter",
			multiarch,
			"-Wall",
			/* an undeclared helper would become an unresolved
			 * extern that libbpf cannot open: say so here */
			"-Werror=implicit-function-declaration",
		};
		const size_t n_head = sizeof(head) / sizeof(head[0]);
		const char *const strip[] = { "llvm-strip", "-g", out, NULL };
		/* head, build.yaml's cflags, then what to compile */
		cleanup_free const char **cc =
			calloc(n_head + b->n_cflags + 5, sizeof(*cc));
		size_t n = 0;

		if (!cc)
			return error_set(err, ENOMEM, "compile %s", b->src);
		for (size_t i = 0; i < n_head; i++)
			cc[n++] = head[i];
		for (size_t i = 0; i < b->n_cflags; i++)
			cc[n++] = b->cflags[i];
		cc[n++] = "-c";
		cc[n++] = src;
		cc[n++] = "-o";
		cc[n++] = out;
		if (run_cmd(cc, dir, err) || run_cmd(strip, NULL, err)) {
			unlink(out);
			return error_prefix(err, "compile %s for %s", b->src,
					    target);
		}
	}
	if (read_file(out, obj, obj_len, err)) {
		unlink(out);
		return -1;
	}
	unlink(out);
	return 0;
}

/* The object must load as an ELF with BTF, or the runner cannot describe it. */
/* libbpf's last warning while opening an object: the reason it gives. */
static char open_reason[256];

__attribute__((format(printf, 2, 0))) static int
keep_reason(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	size_t n;

	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(open_reason, sizeof(open_reason), fmt, ap);
	if (!strncmp(open_reason, "libbpf: ", 8))
		memmove(open_reason, open_reason + 8, strlen(open_reason) - 7);
	n = strlen(open_reason);
	while (n && (open_reason[n - 1] == '\n' || open_reason[n - 1] == ' '))
		open_reason[--n] = '\0';
	return 0;
}

static int check_object(const char *arch, const char *obj, size_t len,
			struct error **err)
{
	libbpf_print_fn_t old = libbpf_set_print(keep_reason);
	struct bpf_object *o;
	int rc = 0;

	/* what run refuses before libbpf 1.1 sees it (a crash) */
	if (objinfo_check(obj, len, err)) {
		libbpf_set_print(old);
		return error_prefix(err, "%s", arch);
	}
	open_reason[0] = '\0';
	o = bpf_object__open_mem(obj, len, NULL);
	libbpf_set_print(old);
	if (!o) {
		/* e.g. a call clang left to a function no BPF object has
		 * (memcmp with clang 14): libbpf names it */
		if (open_reason[0])
			return error_set(err, errno,
					 "%s object does not open (libbpf: %s)",
					 arch, open_reason);
		return error_set(err, errno, "%s object does not open", arch);
	}
	if (!bpf_object__btf(o))
		rc = error_set(err, 0, "%s object has no BTF", arch);
	bpf_object__close(o);
	return rc;
}

struct build_state {
	const char *tag; /* -t REF */
	const char *file; /* -f FILE: the build.yaml to read */
	const char *output; /* -o DIR: the objects are kept there, as ig's */
	bool update_md; /* --update-metadata */
};

enum { OPT_LOCAL = CLI_OPT_OWN, OPT_UPDATE_MD };

static int build_option(void *state, int opt, const char *arg,
			struct error **err)
{
	struct build_state *s = state;

	(void)err;
	if (opt == 't')
		s->tag = arg;
	else if (opt == 'f')
		s->file = arg;
	else if (opt == 'o')
		s->output = arg;
	else if (opt == OPT_UPDATE_MD)
		s->update_md = true;
	/* -l, --local: ig's choice of this machine's tools, the only ones */
	return EXIT_OK;
}

static const struct option build_options[] = {
	{ "tag", required_argument, NULL, 't' },
	{ "file", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "local", no_argument, NULL, OPT_LOCAL },
	{ "update-metadata", no_argument, NULL, OPT_UPDATE_MD },
	{ 0 },
};

/* A file that build.yaml names: relative to the gadget's folder, as ig. */
static char *in_dir(const char *dir, const char *path)
{
	char *p = NULL;

	if (path[0] == '/')
		return strdup(path);
	return asprintf(&p, "%s/%s", dir, path) < 0 ? NULL : p;
}

/*
 * path's bytes into *buf; NULL when an optional file is missing: the
 * default build.yaml, and the default gadget.yaml (as ig, the gadget is
 * then built without metadata, its fields from BTF, which ig's
 * hello-world gadget starts with).
 */
static int read_optional(const char *path, bool optional, char **buf,
			 size_t *len, struct error **err)
{
	if (!read_file(path, buf, len, err))
		return 0;
	if (!optional || error_errnum(*err) != ENOENT)
		return -1;
	error_free(*err);
	*err = NULL;
	*buf = NULL;
	*len = 0;
	return 0;
}

/* -f FILE, else DIR/build.yaml when there is one, else every default. */
static int read_build_file(const char *dir, const char *file,
			   struct build_file **out, struct error **err)
{
	cleanup_free char *path = file ? strdup(file) :
					 in_dir(dir, "build.yaml");
	cleanup_free char *buf = NULL;
	size_t len = 0;

	if (!path)
		return error_set(err, ENOMEM, "build.yaml");
	if (read_optional(path, !file, &buf, &len, err))
		return -1;
	return build_file_parse(buf ? buf : "", len, path, out, err);
}

/* build.yaml's cflags as words (split at white space). */
static int split_words(const char *s, char ***out, size_t *n,
		       struct error **err)
{
	cleanup_free char *copy = s ? strdup(s) : NULL;
	char *save = NULL, *w;
	char **v;

	*out = NULL;
	*n = 0;
	if (!s)
		return 0;
	v = calloc(strlen(s) / 2 + 2, sizeof(*v));
	if (!copy || !v) {
		free(v);
		return error_set(err, ENOMEM, "cflags");
	}
	*out = v;
	for (w = strtok_r(copy, " \t\r\n", &save); w;
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		v[*n] = strdup(w);
		if (!v[*n])
			return error_set(err, ENOMEM, "cflags");
		(*n)++;
	}
	return 0;
}

/*
 * build.yaml's wasm: a prebuilt module (*.wasm) goes into the image as
 * ig's build puts it; a source (Go, Rust) needs a WebAssembly toolchain,
 * which this build has not: noted, and the image has no module.
 */
static int read_wasm(const char *dir, const char *wasm, char **buf, size_t *len,
		     struct error **err)
{
	const char *dot = strrchr(wasm, '.');
	cleanup_free char *path = NULL;
	cleanup_free char *shown = term_escaped(wasm, 0);

	if (dot && !strcmp(dot, ".wasm")) {
		path = in_dir(dir, wasm);
		if (!path)
			return error_set(err, ENOMEM, "wasm");
		return read_file(path, buf, len, err);
	}
	if (dot && (!strcmp(dot, ".go") || !strcmp(dot, ".rs"))) {
		runner_msg(0,
			   "note: wasm %s is not built (no WebAssembly "
			   "toolchain here): the image has no wasm module",
			   shown ? shown : "?");
		return 0;
	}
	return error_set(err, 0,
			 "unsupported wasm file type: %s (want *.wasm, *.go "
			 "or *.rs)",
			 shown ? shown : "?");
}

/*
 * The created annotation: $SOURCE_DATE_EPOCH (seconds, for reproducible
 * builds, as ig's build) or now, in RFC 3339.
 */
static int created_date(char out[32], struct error **err)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	time_t t = time(NULL);
	struct tm tm;

	if (sde) {
		unsigned long v;

		/* up to 9999-12-31T23:59:59Z: four digits of year */
		if (parse_ulong("SOURCE_DATE_EPOCH", sde, 10, 0, 253402300799UL,
				&v, err) < 0)
			return -1;
		t = (time_t)v;
	}
	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return error_set(err, 0, "no date for %lld", (long long)t);
	return 0;
}

/*
 * The image's annotations, as ig's build makes them: the metadata's
 * name, description and URLs, the builder, then gadget.yaml's own
 * annotations (which may replace those), and created last.
 */
static struct oci_annotation *
image_annotations(const struct gadget_metadata *md, const char *created,
		  size_t *n)
{
	static const char *const from_md[][2] = {
		{ "org.opencontainers.image.title", "name" },
		{ "org.opencontainers.image.description", "description" },
		{ "org.opencontainers.image.url", "homepageURL" },
		{ "org.opencontainers.image.documentation",
		  "documentationURL" },
		{ "org.opencontainers.image.source", "sourceURL" },
	};
	const size_t n_std = sizeof(from_md) / sizeof(from_md[0]);
	size_t n_md = 0, i;
	const char *k, *v = NULL;
	struct oci_annotation *ann;

	while (metadata_annotation(md, n_md, &v))
		n_md++;
	ann = calloc(n_std + n_md + 2, sizeof(*ann));
	if (!ann)
		return NULL;
	*n = 0;
	for (i = 0; i < n_std; i++)
		if ((v = metadata_get(md, from_md[i][1])))
			ann[(*n)++] =
				(struct oci_annotation){ from_md[i][0], v };
	ann[(*n)++] =
		(struct oci_annotation){ "io.inspektor-gadget.builder.version",
					 BUILDER_VERSION };
	for (i = 0; (k = metadata_annotation(md, i, &v)); i++)
		ann[(*n)++] = (struct oci_annotation){ k, v };
	ann[(*n)++] =
		(struct oci_annotation){ "org.opencontainers.image.created",
					 created };
	return ann;
}

/* -o DIR: the object for arch (ig's name, <arch>.bpf.o), kept as built,
 * before it is checked: one that does not load is there to look at. */
static int keep_object(const char *dir, const char *arch, const char *obj,
		       size_t len, struct error **err)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s.bpf.o", dir, arch) >=
	    (int)sizeof(path))
		return error_set(err, ENAMETOOLONG, "-o %s", dir);
	return write_file_atomic(path, obj, len, 0644, err);
}

/*
 * --update-metadata, as ig's (createOrUpdateMetadataFile): gadget.yaml
 * (*yaml, NULL when there is none), checked first against the program
 * (obj) as run would check it, gets what the program has that it lacks;
 * *yaml and *md become the new ones, which path gets once the build has
 * checked them (write_file_as_before()).
 */
static int update_metadata(const char *path, const char *obj, size_t len,
			   char **yaml, size_t *yaml_len,
			   struct gadget_metadata **md, struct error **err)
{
	struct metadata_doc *doc = NULL;
	struct gadget_metadata *nmd = NULL;
	char *out = NULL;
	size_t out_len = 0;

	if (*yaml && session_validate(obj, len, *md, archs[0].oci, err))
		return error_prefix(err,
				    "--update-metadata: %s is wrong, fix "
				    "it first",
				    path);
	if (metadata_doc_load(*yaml, *yaml_len, path, &doc, err) ||
	    session_populate_metadata(obj, len, archs[0].oci, doc, err) ||
	    metadata_doc_emit(doc, &out, &out_len, err) ||
	    metadata_parse(out, out_len, path, &nmd, err) ||
	    metrics_check_metadata(nmd, err)) {
		metadata_doc_free(doc);
		free(out);
		return error_prefix(err, "--update-metadata");
	}
	metadata_doc_free(doc);
	free(*yaml);
	*yaml = out;
	*yaml_len = out_len;
	metadata_free(*md);
	*md = nmd;
	return 0;
}

static int build_run(struct cli_ctx *ctx, void *state, struct error **err)
{
	struct build_state *s = state;
	const char *tag = s->tag, *dir = ctx->argv[0];
	cleanup_free char *yaml = NULL, *refstr = NULL, *digest = NULL,
			  *src = NULL, *md_path = NULL, *wasm = NULL;
	cleanup_free struct oci_annotation *ann = NULL;
	cleanup_build_file struct build_file *bf = NULL;
	char *objs[2] = { NULL, NULL };
	char **cflags = NULL;
	struct oci_gadget_arch layers[2];
	char api_inc[PATH_MAX], vml_inc[PATH_MAX], tmpdir[PATH_MAX - 64],
		created[32];
	struct gadget_metadata *md = NULL;
	struct oci_store *store = NULL;
	struct oci_ref *ref = NULL;
	size_t yaml_len, wasm_len = 0, n_ann = 0, n_cflags = 0, lens[2], i;
	struct sigaction sa = { .sa_handler = on_signal };
	int rc = EXIT_FAIL, tmpfd = -1;

	if (!tag) {
		/* the folder's own name: "." is the one the shell is in */
		cleanup_free char *real = realpath(dir, NULL);

		if (!real)
			return cli_error(err, EXIT_FAIL, "image build %s: %s",
					 dir, strerror(errno));
		refstr = strdup(basename(real));
		if (!refstr)
			return cli_error(err, EXIT_FAIL, "out of memory");
		if (oci_ref_parse(refstr, runner_default_prefix(), &ref, err)) {
			error_free(*err);
			*err = NULL;
			return cli_usage_error(err, ctx->path,
					       "the folder's name \"%s\" is "
					       "no image name: give one with "
					       "-t REF",
					       refstr);
		}
	} else if (oci_ref_parse(tag, runner_default_prefix(), &ref, err)) {
		return EXIT_USAGE;
	}
	if (ref->digest || !ref->tag) {
		oci_ref_free(ref);
		if (!tag)
			return cli_usage_error(err, ctx->path,
					       "the folder's name \"%s\" names "
					       "a digest: an image is built "
					       "under a tag; give one with -t "
					       "REF",
					       refstr);
		return cli_usage_error(err, ctx->path,
				       "-t %s: an image is built under a "
				       "tag, not a digest",
				       tag);
	}
	free(refstr);
	refstr = oci_ref_format(ref);
	if (created_date(created, err)) {
		oci_ref_free(ref);
		return EXIT_USAGE;
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (s->output) { /* a folder that is there, as ig wants it */
		struct stat st;

		if (stat(s->output, &st) < 0) {
			error_set(err, errno, "-o %s", s->output);
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			error_set(err, ENOTDIR, "-o %s", s->output);
			goto out;
		}
	}
	if (read_build_file(dir, s->file, &bf, err))
		goto out;
	src = in_dir(dir, bf->ebpfsource);
	md_path = in_dir(dir, bf->metadata);
	if (!src || !md_path) {
		error_set(err, ENOMEM, "build.yaml");
		goto out;
	}
	if (access(src, R_OK)) {
		error_set(err, errno, "eBPF source %s", src);
		goto out;
	}
	if (read_optional(md_path,
			  s->update_md || !strcmp(bf->metadata, "gadget.yaml"),
			  &yaml, &yaml_len, err) ||
	    metadata_parse(yaml ? yaml : "{}", yaml ? yaml_len : 2, md_path,
			   &md, err) ||
	    metrics_check_metadata(md, err) ||
	    split_words(bf->cflags, &cflags, &n_cflags, err) ||
	    (bf->wasm && read_wasm(dir, bf->wasm, &wasm, &wasm_len, err)))
		goto out;
	if (find_api_include(api_inc, sizeof(api_inc), err) ||
	    find_vmlinux_dir(vml_inc, sizeof(vml_inc), err))
		goto out;
	/* a killed build's folder goes with the next build */
	tmpfd = tmpdir_make("runner-build-", tmpdir, sizeof(tmpdir), err);
	if (tmpfd < 0)
		goto out;
	for (i = 0; i < 2; i++) {
		const struct build_src b = { dir, src, cflags, n_cflags };

		if (compile_arch(&b, archs[i].target, api_inc, vml_inc, tmpdir,
				 &objs[i], &lens[i], err) ||
		    (s->output && keep_object(s->output, archs[i].oci, objs[i],
					      lens[i], err)) ||
		    check_object(archs[i].oci, objs[i], lens[i], err) ||
		    /* as ig's, from the first architecture's object */
		    (s->update_md && i == 0 &&
		     update_metadata(md_path, objs[0], lens[0], &yaml,
				     &yaml_len, &md, err)) ||
		    session_validate(objs[i], lens[i], md, archs[i].oci, err))
			goto out_tmp;
		layers[i] = (struct oci_gadget_arch){ archs[i].oci, objs[i],
						      lens[i], wasm, wasm_len };
	}
	/* written whole or not at all, the image made after it (as ig's) */
	if (s->update_md &&
	    (check_interrupted(err) ||
	     write_file_as_before(md_path, yaml, yaml_len, err))) {
		error_prefix(err, "--update-metadata");
		goto out_tmp;
	}

	ann = image_annotations(md, created, &n_ann);
	if (!ann) {
		error_set(err, ENOMEM, "annotations");
		goto out_tmp;
	}
	/* after this, the image is stored whole or not at all */
	if (check_interrupted(err) || cli_store_open(ctx, &store, err) ||
	    oci_store_add_gadget(store, refstr, yaml, yaml_len, layers, 2, ann,
				 n_ann, &digest, err))
		goto out_tmp;
	printf("Successfully built %s@%s\n", refstr, digest);
	rc = EXIT_OK;
out_tmp:
	tmpdir_remove(tmpdir, tmpfd);
out:
	if (rc)
		error_prefix(err, "image build %s", dir);
	for (i = 0; i < 2; i++)
		free(objs[i]);
	for (i = 0; i < n_cflags; i++)
		free(cflags[i]);
	free(cflags);
	oci_store_free(store);
	oci_ref_free(ref);
	metadata_free(md);
	return rc;
}

const struct cli_command cmd_image_build = {
	.name = "build",
	.summary = "build a gadget image from a folder",
	.usage =
		"Usage: runner image build DIR [-t REF] [-f FILE] [-o DIR] "
		"[--update-metadata] [--store DIR]\n"
		"\n"
		"Compile DIR/program.bpf.c for amd64 and arm64 (CO-RE) and\n"
		"store an image with DIR/gadget.yaml as its metadata (as\n"
		"ig, a gadget without one gets its fields from BTF).\n"
		"DIR/build.yaml, as ig's, may name other files (ebpfsource,\n"
		"metadata, relative to DIR), add clang flags (cflags) and a\n"
		"prebuilt WebAssembly module (wasm: *.wasm).\n"
		"\n"
		"  -t, --tag REF      image reference (default: DIR's name)\n"
		"  -f, --file FILE    the build.yaml to read (default:\n"
		"                     DIR/build.yaml, if there is one)\n"
		"  -o, --output DIR   keep the objects there too, as ig:\n"
		"                     amd64.bpf.o, arm64.bpf.o (debug info\n"
		"                     stripped, BTF kept), even when they\n"
		"                     fail their checks; DIR must exist\n"
		"  -l, --local        accepted for ig: builds are always local\n"
		"      --update-metadata\n"
		"                     write gadget.yaml from the program, as\n"
		"                     ig: made when missing (TODO placeholders),\n"
		"                     else checked, then completed with the\n"
		"                     data sources, fields and params it lacks;\n"
		"                     the author's entries stay (not comments)\n"
		"      --store DIR    local image store\n"
		"  -h, --help         this help\n"
		"\n"
		"ENVIRONMENT\n"
		"  SOURCE_DATE_EPOCH  the image's created time (seconds since\n"
		"                     1970): the same sources build the same\n"
		"                     digest\n"
		"\n"
		"EXAMPLES\n"
		"  runner image build gadget/trace_dns -t trace_dns:latest\n"
		"  runner image build . -f mybuild.yaml -t localhost:5000/gadgets/mine:v1\n"
		"  runner image build mygadget --update-metadata\n",
	.short_opts = "t:f:o:l",
	.options = build_options,
	.flags = CLI_STORE | CLI_STORE_CREATE,
	.min_args = 1,
	.max_args = 1,
	.want = "want one DIR",
	.operands = CLI_OPERAND_FILE,
	.state_size = sizeof(struct build_state),
	.option = build_option,
	.run = build_run,
};
