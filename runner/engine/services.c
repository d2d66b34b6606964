// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <linux/perf_event.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/cleanup.h"
#include "runner/engine/btf_min.h"
#include "runner/engine/cgroup2.h"
#include "runner/engine/loaded.h"
#include "runner/engine/services.h"
#include "runner/engine/tc.h"
#include "runner/engine/uprobes.h"

#include "runner/engine/bpf/sockets.h"
#include "sockets.skel.h"

#define SOCKET_MAP "gadget_sockets"
#define SOCKET_VALUE "gadget_socket_value"
#define MAX_PERF_LINKS 1024
#define MAX_INNER 8

struct services {
	struct sockets_bpf *enricher;
	struct bpf_link *perf_links[MAX_PERF_LINKS];
	size_t n_perf;
	struct tc_set *tc;
	int inner_fds[MAX_INNER]; /* templates of inner maps */
	size_t n_inner;
	struct uprobes *uprobes;
	bool selective; /* services_select_containers() */
	bool host; /* and the host's as well */
};

bool services_want_socket_btf(const struct btf *btf)
{
	return btf__find_by_name_kind(btf, SOCKET_VALUE, BTF_KIND_STRUCT) > 0;
}

/* struct gadget_socket_value as the enricher lays it out, added to b. */
static int add_socket_value(struct btf *b)
{
	int u64 = btf__add_int(b, "__gadget_u64", 8, 0);
	int u32 = btf__add_int(b, "__gadget_u32", 4, 0);
	int ch = btf__add_int(b, "__gadget_char", 1, BTF_INT_SIGNED);
	int comm = ch > 0 ? btf__add_array(b, u32, ch, SOCKETS_COMM_LEN) : -1;
	int rc;

	if (u64 < 0 || u32 < 0 || ch < 0 || comm < 0)
		return -1;
	if (btf__add_struct(b, SOCKET_VALUE, sizeof(struct sockets_value)) < 0)
		return -1;
#define F(name, type)                  \
	btf__add_field(b, #name, type, \
		       offsetof(struct sockets_value, name) * 8, 0)
	rc = F(mntns, u64) || F(pid_tgid, u64) || F(uid_gid, u64) ||
	     F(task, comm) || F(ptask, comm) || F(sock, u64) ||
	     F(deletion_timestamp, u64) || F(ppid, u32) || F(ptid, u32) ||
	     F(ipv6only, ch);
#undef F
	return rc ? -1 : 0;
}

int services_socket_btf(struct error **err)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const void *raw;
	__u32 size;
	int fd = -1;

	if (!btf)
		return error_set(err, errno, "load kernel BTF");
	raw = add_socket_value(btf) ? NULL : btf__raw_data(btf, &size);
	if (!raw)
		error_set(err, errno, "BTF of " SOCKET_VALUE);
	else
		fd = btf_min_memfd("runner-btf-sockets", raw, size, err);
	btf__free(btf);
	return fd;
}

static bool is_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

bool services_attaches(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);

	return is_prefix(sec, "perf_event") || tc_section(sec) ||
	       uprobes_by_library(sec);
}

/*
 * The enricher's hooks on bind, on the cgroup v2 root (every socket of the
 * host): they run on a bind only, where syscall tracepoints on bind(2)
 * would put every syscall of the host on the slow path.  The links go
 * with the skeleton.
 */
static int attach_post_bind(struct sockets_bpf *e, struct error **err)
{
	int fd = cgroup2_root_fd(err);

	if (fd < 0)
		return error_prefix(err, "socket enricher");
	e->links.post_bind4 =
		bpf_program__attach_cgroup(e->progs.post_bind4, fd);
	if (!e->links.post_bind4)
		return error_set(err, errno,
				 "socket enricher: attach post_bind4");
	e->links.post_bind6 =
		bpf_program__attach_cgroup(e->progs.post_bind6, fd);
	if (!e->links.post_bind6)
		return error_set(err, errno,
				 "socket enricher: attach post_bind6");
	return 0;
}

/* Start the enricher and have the gadget share its map. */
static int share_sockets(struct services *s, struct bpf_map *m,
			 struct error **err)
{
	struct bpf_link *l;
	char buf[256];
	int fd, rc;
	ssize_t n;

	if (!s->enricher) {
		s->enricher = sockets_bpf__open_and_load();
		if (!s->enricher)
			return error_set(err, errno, "socket enricher: load");
		rc = sockets_bpf__attach(s->enricher);
		if (rc)
			return error_set(err, -rc, "socket enricher: attach");
		if (attach_post_bind(s->enricher, err))
			return -1;
		/* the sockets already open */
		l = bpf_program__attach_iter(s->enricher->progs.seed_sockets,
					     NULL);
		if (!l)
			return error_set(err, errno,
					 "socket enricher: iterator");
		fd = bpf_iter_create(bpf_link__fd(l));
		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			;
		if (fd >= 0)
			close(fd);
		bpf_link__destroy(l);
	}
	rc = bpf_map__reuse_fd(m,
			       bpf_map__fd(s->enricher->maps.gadget_sockets));
	if (rc)
		return error_set(err, -rc, "share " SOCKET_MAP);
	return 0;
}

int services_prepare(struct bpf_object *obj, struct services **out,
		     struct error **err)
{
	struct services *s = calloc(1, sizeof(*s));
	struct bpf_program *p;
	struct bpf_map *m;
	int ncpu = libbpf_num_possible_cpus();

	if (!s)
		return error_set(err, ENOMEM, "services");
	*out = s;
	bpf_object__for_each_program (p, obj) {
		const char *sec = bpf_program__section_name(p);

		/* "socket1", "socket2"...: socket filters, as ig reads them */
		if (is_prefix(sec, "socket") &&
		    bpf_program__type(p) != BPF_PROG_TYPE_SOCKET_FILTER)
			bpf_program__set_type(p, BPF_PROG_TYPE_SOCKET_FILTER);
		/* "perf_event/<name>": named for gadget.yaml's programs */
		if (is_prefix(sec, "perf_event") &&
		    bpf_program__type(p) != BPF_PROG_TYPE_PERF_EVENT)
			bpf_program__set_type(p, BPF_PROG_TYPE_PERF_EVENT);
		/* "classifier/<ingress|egress>/<name>": ig's tc programs */
		if (is_prefix(sec, "classifier") &&
		    bpf_program__type(p) != BPF_PROG_TYPE_SCHED_CLS)
			bpf_program__set_type(p, BPF_PROG_TYPE_SCHED_CLS);
		if (services_attaches(p))
			bpf_program__set_autoattach(p, false);
	}
	bpf_object__for_each_map (m, obj) {
		struct bpf_map *inner = bpf_map__inner_map(m);

		/* one perf buffer slot per CPU, as cilium/ebpf does (libbpf
		 * 1.1 cannot resize an inner map: give it a template map) */
		if (inner &&
		    bpf_map__type(inner) == BPF_MAP_TYPE_PERF_EVENT_ARRAY &&
		    !bpf_map__max_entries(inner) && ncpu > 0 &&
		    s->n_inner < MAX_INNER) {
			int fd = bpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY,
						NULL, 4, 4, ncpu, NULL);

			if (fd < 0)
				return error_set(err, errno, "map %s",
						 bpf_map__name(m));
			s->inner_fds[s->n_inner++] = fd;
			if (bpf_map__set_inner_map_fd(m, fd))
				return error_set(err, errno, "map %s",
						 bpf_map__name(m));
		}
		if (!strcmp(bpf_map__name(m), SOCKET_MAP) &&
		    share_sockets(s, m, err))
			return -1;
	}
	return 0;
}

/* Sample every online CPU with p, as ps says. */
static int attach_perf(struct services *s, struct bpf_program *p,
		       const struct perf_sampling *ps, struct error **err)
{
	int ncpu = libbpf_num_possible_cpus();

	for (int cpu = 0; cpu < ncpu; cpu++) {
		struct perf_event_attr attr = {
			.size = sizeof(attr),
			.type = ps->type,
			.config = ps->config,
			.sample_type = ps->sample_type,
			.freq = 1,
			.sample_freq = ps->freq,
		};
		struct bpf_link *l;
		int fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1,
				 PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			if (errno == ENODEV) /* possible, not present */
				continue;
			return error_set(
				err, errno,
				"%s: perf event on CPU %d, %llu samples "
				"a second%s",
				bpf_program__name(p), cpu,
				(unsigned long long)ps->freq,
				errno == EINVAL ? " (kernel.perf_event_max_"
						  "sample_rate is the most)" :
						  "");
		}
		if (s->n_perf == MAX_PERF_LINKS) {
			close(fd);
			return error_set(err, 0, "too many perf events");
		}
		l = bpf_program__attach_perf_event(p, fd);
		if (!l) {
			close(fd);
			return error_set(err, errno, "attach %s on CPU %d",
					 bpf_program__name(p), cpu);
		}
		s->perf_links[s->n_perf++] = l;
	}
	return 0;
}

/* The sampling of the perf_event program in section sec. */
static const struct perf_sampling *
sampling_of(const char *sec, const char *const *secs,
	    const struct perf_sampling *sampling, size_t n)
{
	static const struct perf_sampling dflt = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_type = PERF_SAMPLE_RAW,
		.freq = SERVICES_PERF_FREQ,
	};

	for (size_t i = 0; i < n; i++)
		if (!strcmp(secs[i], sec))
			return &sampling[i];
	return &dflt;
}

bool services_has_tc(struct bpf_object *obj)
{
	struct bpf_program *p;

	bpf_object__for_each_program (p, obj)
		if (tc_section(bpf_program__section_name(p)))
			return true;
	return false;
}

int services_attach(struct services *s, struct bpf_object *obj,
		    const char *const *secs,
		    const struct perf_sampling *sampling, size_t n,
		    const char *iface, struct error **err)
{
	struct bpf_program *p;

	for_each_loaded_program (p, obj) {
		const char *sec = bpf_program__section_name(p);

		if (is_prefix(sec, "perf_event") &&
		    attach_perf(s, p, sampling_of(sec, secs, sampling, n), err))
			return -1;
	}
	/* tc: all the classifiers at once, on the runner's namespace's
	 * interfaces unless the run selects containers (as ig, which has
	 * only theirs), then on containers' (services_tc()) */
	if (services_has_tc(obj)) {
		if (tc_new(obj, &s->tc, err))
			return -1;
		if (iface && *iface ? tc_attach_own(s->tc, iface, err) :
		    !s->selective || s->host ? tc_attach_own(s->tc, NULL, err) :
					       0)
			return -1;
	}
	return uprobes_new(obj, s->selective, s->host, &s->uprobes, err);
}

void services_select_containers(struct services *s, bool host)
{
	s->selective = true;
	s->host = host;
}

struct tc_set *services_tc(const struct services *s)
{
	return s ? s->tc : NULL;
}

struct uprobes *services_uprobes(const struct services *s)
{
	return s ? s->uprobes : NULL;
}

void services_free(struct services *s)
{
	if (!s)
		return;
	uprobes_free(s->uprobes);
	tc_free(s->tc);
	for (size_t i = s->n_perf; i > 0; i--)
		bpf_link__destroy(s->perf_links[i - 1]);
	sockets_bpf__destroy(s->enricher);
	for (size_t i = 0; i < s->n_inner; i++)
		close(s->inner_fds[i]);
	free(s);
}
