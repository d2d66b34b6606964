// SPDX-License-Identifier: Apache-2.0
/*
 * What the kernel's verifier spends on each program of a BPF object:
 * the object loaded with the verifier's statistics (log level 4), one
 * line per program: instructions processed (bpf_prog_info
 * verified_insns), verification time, states, stack depth; then the
 * whole load's wall time.  Needs root.
 *   verifcost [OBJECT...]  (default build/gadget/trace_dns/program.bpf.o);
 *   built by `make build/bench/verifcost`
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define LOG_SIZE (1 << 20)

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

static int one(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	struct timespec t0, t1;
	int n = 0, err;
	char *logs[64];

	if (!obj) {
		fprintf(stderr, "%s: cannot open\n", path);
		return 1;
	}
	bpf_object__for_each_program (prog, obj) {
		if (n == 64)
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
	printf("%s\n%-20s %10s %8s %8s %6s\n", path, "program", "insns", "us",
	       "states", "stack");
	n = 0;
	bpf_object__for_each_program (prog, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		const char *log = logs[n++];

		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			continue;
		printf("%-20s %10u %8ld %8ld %6ld\n", bpf_program__name(prog),
		       info.verified_insns, stat_of(log, "verification time "),
		       stat_of(log, "total_states "),
		       stat_of(log, "stack depth "));
	}
	printf("load (wall) %.1f ms\n",
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	int err = 0;

	libbpf_set_print(silent);
	if (argc < 2)
		return one("build/gadget/trace_dns/program.bpf.o");
	for (int i = 1; i < argc; i++)
		err |= one(argv[i]);
	return err;
}
