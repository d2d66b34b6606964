// SPDX-License-Identifier: Apache-2.0
/*
 * What the kernel spends on loading each program of a BPF object.
 *
 * One load (default): the object loaded with the verifier's statistics
 * (log level 4), one line per program: instructions processed
 * (bpf_prog_info verified_insns), verification time, states, stack
 * depth, instructions after the kernel's rewrites (xlated) and JITed
 * bytes; then the whole load's wall time.
 *
 * With -n N: N loads of each object, the objects alternated, with log
 * level 0 as a loader without a log buffer does; per program the median
 * and quartiles of its BPF_PROG_LOAD, from the kernel's load_time stamp
 * of the program (taken as the syscall starts checking) to the next
 * program's, or to the end of the object's load for the last one:
 * verification, rewrites, JIT and the syscall's own cost.
 *
 *   verifcost [-n N] [-p PROG] [-j] [OBJECT...]
 *     (default build/gadget/trace_dns/program.bpf.o)
 *   -p PROG  load only this program (the others' autoload off)
 *   -j       gadget_rest_wanted false, as the runner loads for every
 *            output but pcap-ng (a loader that knows nothing leaves it
 *            true)
 * Needs root; built by `make build/bench/verifcost`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bench/rodata.h"

#define LOG_SIZE (1 << 20)
#define MAX_PROGS 64
#define MAX_OBJS 8

struct opts {
	const char *only; /* -p */
	int rest_unwanted; /* -j */
};

/* One object's load times: ns[prog][run]. */
struct samples {
	int n_progs;
	char names[MAX_PROGS][64];
	double *ns[MAX_PROGS];
};

static long stat_of(const char *log, const char *what)
{
	const char *p = strstr(log, what);

	return p ? strtol(p + strlen(what), NULL, 10) : -1;
}

static int silent(enum libbpf_print_level l, const char *f, va_list a)
{
	(void)l;
	(void)f;
	(void)a;
	return 0;
}

static unsigned long long boot_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_BOOTTIME, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static struct bpf_object *open_obj(const char *path, const struct opts *o)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;

	if (!obj) {
		fprintf(stderr, "%s: cannot open\n", path);
		return NULL;
	}
	if (o->rest_unwanted)
		rodata_set(obj, "gadget_rest_wanted", 0);
	bpf_object__for_each_program (prog, obj)
		if (o->only && strcmp(bpf_program__name(prog), o->only))
			bpf_program__set_autoload(prog, false);
	return obj;
}

static int one(const char *path, const struct opts *o)
{
	struct bpf_object *obj = open_obj(path, o);
	struct bpf_program *prog;
	struct timespec t0, t1;
	int n = 0, err;
	char *logs[MAX_PROGS] = { 0 };

	if (!obj)
		return 1;
	bpf_object__for_each_program (prog, obj) {
		if (n == MAX_PROGS)
			break;
		logs[n] = calloc(1, LOG_SIZE);
		if (!logs[n])
			return 1;
		bpf_program__set_log_level(prog, 4);
		bpf_program__set_log_buf(prog, logs[n], LOG_SIZE);
		n++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = bpf_object__load(obj);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (err) {
		fprintf(stderr, "%s: load failed: %d\n", path, err);
		return 1;
	}
	printf("%s\n%-20s %10s %8s %8s %6s %7s %7s\n", path, "program", "insns",
	       "us", "states", "stack", "xlated", "jited");
	n = 0;
	bpf_object__for_each_program (prog, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		const char *log = logs[n++];

		if (!bpf_program__autoload(prog) ||
		    bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			continue;
		printf("%-20s %10u %8ld %8ld %6ld %7u %7u\n",
		       bpf_program__name(prog), info.verified_insns,
		       stat_of(log, "verification time "),
		       stat_of(log, "total_states "),
		       stat_of(log, "stack depth "), info.xlated_prog_len / 8,
		       info.jited_prog_len);
	}
	printf("load (wall) %.1f ms\n",
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	bpf_object__close(obj);
	for (int i = 0; i < MAX_PROGS; i++)
		free(logs[i]);
	return 0;
}

/* One load of path, its programs' times appended to s at run r. */
static int timed(const char *path, const struct opts *o, struct samples *s,
		 int r)
{
	struct bpf_object *obj = open_obj(path, o);
	struct bpf_program *prog;
	unsigned long long start[MAX_PROGS], end;
	int n = 0;

	if (!obj)
		return 1;
	if (bpf_object__load(obj)) {
		fprintf(stderr, "%s: load failed\n", path);
		return 1;
	}
	end = boot_ns();
	bpf_object__for_each_program (prog, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_program__autoload(prog) || n == MAX_PROGS)
			continue;
		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			return 1;
		snprintf(s->names[n], sizeof(s->names[n]), "%s",
			 bpf_program__name(prog));
		start[n++] = info.load_time;
	}
	s->n_progs = n;
	for (int i = 0; i < n; i++)
		s->ns[i][r] = (i + 1 < n ? start[i + 1] : end) - start[i];
	bpf_object__close(obj);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int repeated(char **paths, int n_objs, int runs, const struct opts *o)
{
	static struct samples s[MAX_OBJS];

	for (int i = 0; i < n_objs; i++)
		for (int p = 0; p < MAX_PROGS; p++)
			if (!(s[i].ns[p] = calloc(runs, sizeof(double))))
				return 1;
	for (int r = 0; r < runs; r++)
		for (int i = 0; i < n_objs; i++)
			if (timed(paths[(i + r) % n_objs], o,
				  &s[(i + r) % n_objs], r))
				return 1;
	for (int i = 0; i < n_objs; i++) {
		double total[runs];

		printf("%s (%d loads, ms: median [quartiles])\n", paths[i],
		       runs);
		for (int r = 0; r < runs; r++) {
			total[r] = 0;
			for (int p = 0; p < s[i].n_progs; p++)
				total[r] += s[i].ns[p][r];
		}
		for (int p = 0; p <= s[i].n_progs; p++) {
			double *v = p < s[i].n_progs ? s[i].ns[p] : total;

			qsort(v, runs, sizeof(double), cmp_double);
			printf("%-20s %7.2f [%.2f %.2f]\n",
			       p < s[i].n_progs ? s[i].names[p] : "all",
			       v[runs / 2] / 1e6, v[runs / 4] / 1e6,
			       v[runs * 3 / 4] / 1e6);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char def_obj[] = "build/gadget/trace_dns/program.bpf.o";
	char *def[] = { def_obj };
	struct opts o = { 0 };
	int err = 0, runs = 0, c;

	while ((c = getopt(argc, argv, "n:p:j")) != -1) {
		switch (c) {
		case 'n':
			runs = atoi(optarg);
			if (runs < 1 || runs > 100000) {
				fprintf(stderr, "verifcost: bad -n %s\n",
					optarg);
				return 2;
			}
			break;
		case 'p':
			o.only = optarg;
			break;
		case 'j':
			o.rest_unwanted = 1;
			break;
		default:
			fprintf(stderr, "usage: verifcost [-n N] [-p PROG] "
					"[-j] [OBJECT...]\n");
			return 2;
		}
	}
	libbpf_set_print(silent);
	if (optind == argc) {
		argv = def;
		argc = 1;
		optind = 0;
	}
	if (argc - optind > MAX_OBJS) {
		fprintf(stderr, "verifcost: at most %d objects\n", MAX_OBJS);
		return 2;
	}
	if (runs)
		return repeated(argv + optind, argc - optind, runs, &o);
	for (int i = optind; i < argc; i++)
		err |= one(argv[i], &o);
	return err;
}
