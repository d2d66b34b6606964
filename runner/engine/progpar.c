// SPDX-License-Identifier: Apache-2.0
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "common/thread.h"
#include "runner/engine/loaded.h"
#include "runner/engine/log.h"
#include "runner/engine/progpar.h"

#define MAX_JOBS 64
#define MAX_BINDS 8
#define LOG_SIZE (16u << 20)

typedef int (*load_fn)(enum bpf_prog_type, const char *, const char *,
		       const struct bpf_insn *, size_t,
		       const struct bpf_prog_load_opts *);
typedef int (*bind_fn)(int, int, const struct bpf_prog_bind_opts *);

/* One program's load, with copies of what libbpf passed. */
struct job {
	enum bpf_prog_type type;
	char *name, *license;
	struct bpf_insn *insns;
	size_t n_insns;
	struct bpf_prog_load_opts opts; /* fds dup'ed, arrays copied */
	int placeholder; /* the fd libbpf got */
	int fd; /* the program, once loaded; -1: not (yet), or failed */
	int err; /* errno of a failed load */
	bool loaded; /* tried: fd or err is final */
	int binds[MAX_BINDS]; /* maps to bind once loaded (dup'ed) */
	size_t n_binds;
};

struct progpar {
	char names[MAX_JOBS][BPF_OBJ_NAME_LEN * 4]; /* handed over */
	size_t n_names;
	struct job jobs[MAX_JOBS];
	size_t n_jobs; /* queued */
	size_t next; /* the thread's next job */
	bool closed; /* no more jobs: the thread ends when done */
	pthread_mutex_t lock;
	pthread_cond_t more;
	pthread_t thread;
	bool running;
};

/* The progpar of this thread's bpf_object__load(), while armed. */
static __thread struct progpar *armed;

static void *real(void **slot, const char *name)
{
	void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (!f) {
		/* the next definition after the runner's own: libbpf's */
		f = dlsym(RTLD_NEXT, name);
		if (f)
			__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	}
	return f;
}

static int real_load(enum bpf_prog_type type, const char *name,
		     const char *license, const struct bpf_insn *insns,
		     size_t n, const struct bpf_prog_load_opts *opts)
{
	static void *slot;
	load_fn f = (load_fn)real(&slot, "bpf_prog_load");

	if (!f) {
		errno = ENOSYS;
		return -ENOSYS;
	}
	return f(type, name, license, insns, n, opts);
}

static int real_bind(int prog_fd, int map_fd,
		     const struct bpf_prog_bind_opts *opts)
{
	static void *slot;
	bind_fn f = (bind_fn)real(&slot, "bpf_prog_bind_map");

	if (!f) {
		errno = ENOSYS;
		return -ENOSYS;
	}
	return f(prog_fd, map_fd, opts);
}

static void bind_all(struct job *j, const int *binds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* as libbpf: a map not bound is no failure */
		if (j->fd >= 0 && real_bind(j->fd, binds[i], NULL))
			engine_log(ENGINE_LOG_INFO,
				   "prog '%s': failed to bind map: %s", j->name,
				   strerror(errno));
		close(binds[i]);
	}
}

static void *worker(void *arg)
{
	struct progpar *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct job *j;
		int binds[MAX_BINDS], fd, err;
		size_t n;

		while (p->next == p->n_jobs && !p->closed)
			pthread_cond_wait(&p->more, &p->lock);
		if (p->next == p->n_jobs)
			break;
		j = &p->jobs[p->next++];
		pthread_mutex_unlock(&p->lock);
		fd = real_load(j->type, j->name, j->license, j->insns,
			       j->n_insns, &j->opts);
		err = errno;
		pthread_mutex_lock(&p->lock);
		j->fd = fd < 0 ? -1 : fd;
		j->err = fd < 0 ? err : 0;
		j->loaded = true;
		n = j->n_binds;
		memcpy(binds, j->binds, n * sizeof(binds[0]));
		j->n_binds = 0;
		pthread_mutex_unlock(&p->lock);
		bind_all(j, binds, n);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct progpar *progpar_arm(struct bpf_object *obj)
{
	struct bpf_program *prog, *largest = NULL;
	struct bpf_map *m;
	struct progpar *p;
	size_t n = 0;

	bpf_object__for_each_map (m, obj)
		if (bpf_map__type(m) == BPF_MAP_TYPE_PROG_ARRAY)
			return NULL;
	for_each_loaded_program (prog, obj) {
		n++;
		if (!largest || bpf_program__insn_cnt(prog) >=
					bpf_program__insn_cnt(largest))
			largest = prog;
	}
	if (n < 2 || n > MAX_JOBS)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	for_each_loaded_program (prog, obj) {
		const char *name = bpf_program__name(prog);

		if (prog == largest || strlen(name) >= sizeof(p->names[0]))
			continue;
		strcpy(p->names[p->n_names++], name);
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->more, NULL);
	if (thread_start(&p->thread, worker, p)) {
		pthread_cond_destroy(&p->more);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return NULL;
	}
	p->running = true;
	armed = p;
	return p;
}

static bool handed_over(const struct progpar *p, const char *name)
{
	for (size_t i = 0; name && i < p->n_names; i++)
		if (!strcmp(p->names[i], name))
			return true;
	return false;
}

static void *copy(const void *src, size_t size)
{
	void *dst = size ? malloc(size) : NULL;

	if (dst)
		memcpy(dst, src, size);
	return dst;
}

/* fd dup'ed (CLOEXEC), or fd itself when not an fd (0: none). */
static int dup_fd(int fd, bool *ok)
{
	int d;

	if (fd <= 0)
		return fd;
	d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (d < 0)
		*ok = false;
	return d < 0 ? 0 : d;
}

static void job_free(struct job *j)
{
	if (j->opts.prog_btf_fd > 0)
		close(j->opts.prog_btf_fd);
	if (j->opts.attach_btf_obj_fd > 0)
		close(j->opts.attach_btf_obj_fd);
	free((void *)j->opts.func_info);
	free((void *)j->opts.line_info);
	free(j->insns);
	free(j->name);
	free(j->license);
	for (size_t i = 0; i < j->n_binds; i++)
		close(j->binds[i]);
}

/* A copy of the call in j; false when it can not be made. */
static bool job_make(struct job *j, enum bpf_prog_type type, const char *name,
		     const char *license, const struct bpf_insn *insns,
		     size_t n, const struct bpf_prog_load_opts *opts)
{
	const struct bpf_prog_load_opts *o = opts;
	size_t fi = (size_t)o->func_info_cnt * o->func_info_rec_size,
	       li = (size_t)o->line_info_cnt * o->line_info_rec_size;
	bool ok = true;

	memset(j, 0, sizeof(*j));
	memcpy(&j->opts, o, o->sz < sizeof(j->opts) ? o->sz : sizeof(j->opts));
	j->opts.sz = sizeof(j->opts);
	j->opts.prog_btf_fd = dup_fd(o->prog_btf_fd, &ok);
	j->opts.attach_btf_obj_fd = dup_fd(o->attach_btf_obj_fd, &ok);
	j->opts.func_info = fi ? copy(o->func_info, fi) : NULL;
	j->opts.line_info = li ? copy(o->line_info, li) : NULL;
	j->type = type;
	j->name = strdup(name);
	j->license = strdup(license ? license : "");
	j->insns = copy(insns, n * sizeof(*insns));
	j->n_insns = n;
	j->fd = -1;
	j->placeholder = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (!ok || (fi && !j->opts.func_info) || (li && !j->opts.line_info) ||
	    !j->name || !j->license || !j->insns || j->placeholder < 0) {
		if (j->placeholder >= 0)
			close(j->placeholder);
		job_free(j);
		return false;
	}
	return true;
}

/* The runner's: libbpf's, or handed to the thread while armed (above). */
int bpf_prog_load(enum bpf_prog_type type, const char *name,
		  const char *license, const struct bpf_insn *insns, size_t n,
		  const struct bpf_prog_load_opts *opts)
{
	struct progpar *p = armed;
	struct job *j;
	int fd;

	/* opts of another libbpf than the one built against: as it is */
	if (!p || !opts || opts->sz != sizeof(*opts) || !handed_over(p, name) ||
	    opts->log_level || opts->log_buf || opts->fd_array ||
	    opts->attach_prog_fd || p->n_jobs == MAX_JOBS)
		return real_load(type, name, license, insns, n, opts);
	/* only this thread adds jobs: n_jobs is its own until published */
	j = &p->jobs[p->n_jobs];
	if (!job_make(j, type, name, license, insns, n, opts))
		return real_load(type, name, license, insns, n, opts);
	fd = j->placeholder;
	pthread_mutex_lock(&p->lock);
	p->n_jobs++;
	pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->lock);
	return fd;
}

/* The runner's: libbpf's, or once the placeholder's program is loaded. */
int bpf_prog_bind_map(int prog_fd, int map_fd,
		      const struct bpf_prog_bind_opts *opts)
{
	struct progpar *p = armed;
	int fd;

	for (size_t i = 0; p && !opts && i < p->n_jobs; i++) {
		struct job *j = &p->jobs[i];

		if (j->placeholder != prog_fd)
			continue;
		pthread_mutex_lock(&p->lock);
		if (!j->loaded && j->n_binds < MAX_BINDS) {
			fd = fcntl(map_fd, F_DUPFD_CLOEXEC, 3);
			if (fd >= 0)
				j->binds[j->n_binds++] = fd;
			pthread_mutex_unlock(&p->lock);
			return fd < 0 ? -errno : 0;
		}
		fd = j->fd;
		pthread_mutex_unlock(&p->lock);
		/* a failed load: progpar_finish() says so */
		return fd < 0 ? 0 : real_bind(fd, map_fd, NULL);
	}
	return real_bind(prog_fd, map_fd, opts);
}

size_t progpar_count(const struct progpar *p)
{
	return p ? p->n_jobs : 0;
}

/* The verifier's log of a failed job, to the engine log as libbpf's. */
static void log_failure(struct job *j)
{
	char *log = malloc(LOG_SIZE);
	int fd;

	engine_log(ENGINE_LOG_INFO, "prog '%s': BPF program load failed: %s",
		   j->name, strerror(j->err));
	if (!log)
		return;
	log[0] = '\0';
	j->opts.log_level = 1;
	j->opts.log_buf = log;
	j->opts.log_size = LOG_SIZE;
	fd = real_load(j->type, j->name, j->license, j->insns, j->n_insns,
		       &j->opts);
	if (fd >= 0)
		close(fd);
	engine_log(ENGINE_LOG_INFO, "prog '%s': -- BEGIN PROG LOAD LOG --",
		   j->name);
	for (char *line = log, *nl; *line; line = nl + 1) {
		nl = strchrnul(line, '\n');
		engine_log(ENGINE_LOG_INFO, "%.*s", (int)(nl - line), line);
		if (!*nl)
			break;
	}
	engine_log(ENGINE_LOG_INFO, "-- END PROG LOAD LOG --");
	free(log);
}

int progpar_finish(struct progpar *p, int load_rc, struct error **err)
{
	int rc = load_rc;

	if (!p)
		return load_rc;
	armed = NULL;
	pthread_mutex_lock(&p->lock);
	p->closed = true;
	pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->lock);
	thread_join_once(p->thread, &p->running);
	for (size_t i = 0; i < p->n_jobs; i++) {
		struct job *j = &p->jobs[i];

		if (j->fd < 0 && rc == 0) {
			log_failure(j);
			rc = error_set(err, j->err, "load program %s", j->name);
		}
		/* libbpf's fd for it is the program now (a failed load
		 * leaves libbpf to close the placeholder) */
		if (j->fd >= 0 && load_rc == 0 &&
		    dup3(j->fd, j->placeholder, O_CLOEXEC) < 0 && rc == 0)
			rc = error_set(err, errno, "program %s's fd", j->name);
		if (j->fd >= 0)
			close(j->fd);
		job_free(j);
	}
	pthread_cond_destroy(&p->more);
	pthread_mutex_destroy(&p->lock);
	free(p);
	return rc;
}
