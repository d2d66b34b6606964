// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/tc.c's tc_container(), as the session calls it when the
 * container tracker tells of a container: the kernel hands a freed
 * namespace number to the next namespace at once, and the tracker tells
 * a mount namespace number given again by a new container (another
 * instance, another network namespace) without telling the old one gone
 * first.  The new container's veth must get the classifiers, and the old
 * one's go.  Two network namespaces of the test's own, each held by a
 * child and joined to the host by a veth pair (ip(8)), which go with the
 * child; the ig_tc
 * fixture's classifiers.  Needs root.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "runner/engine/tc.h"

/* A network namespace held by a child, joined to the host by a veth
 * pair whose host side is host. */
struct ns {
	pid_t pid;
	unsigned long ino;
	char host[16];
};

static void sh(const char *fmt, ...)
{
	char cmd[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd))
		fail_msg("%s failed", cmd);
}

static void ns_make(struct ns *n, char tag)
{
	int ready[2];
	char path[64], c;
	struct stat st;

	assert_int_equal(pipe(ready), 0);
	n->pid = fork();
	assert_true(n->pid >= 0);
	if (!n->pid) {
		/* its namespace, and the veth pair, go with the test */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWNET))
			_exit(1);
		(void)!write(ready[1], "x", 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", n->pid);
	assert_int_equal(stat(path, &st), 0);
	n->ino = st.st_ino;
	snprintf(n->host, sizeof(n->host), "tcu%d%c", getpid() % 100000, tag);
	sh("ip link add %s type veth peer name eth0 netns %d", n->host, n->pid);
	sh("ip link set %s up", n->host);
	sh("nsenter -t %d -n ip link set eth0 up", n->pid);
}

static void ns_free(struct ns *n)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "ip link del %s 2>/dev/null", n->host);
	(void)!system(cmd);
	kill(n->pid, SIGKILL);
	waitpid(n->pid, NULL, 0);
}

/* Does tc show a filter of the runner's dispatcher on n's host side? */
static bool attached(const struct ns *n)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd),
		 "tc filter show dev %s ingress | grep -q netns_disp", n->host);
	return system(cmd) == 0;
}

/* The ig_tc fixture, loaded. */
static struct bpf_object *fixture(void)
{
	cleanup_error struct error *err = NULL;
	const char *build = getenv("BUILD");
	cleanup_free char *elf = NULL;
	struct bpf_object *obj;
	struct bpf_program *p;
	char path[512];
	size_t len;

	snprintf(path, sizeof(path), "%s/tests/fixtures/ig_tc/program.bpf.o",
		 build ? build : "build");
	if (read_file(path, &elf, &len, &err))
		fail_msg("%s (run make first)", error_msg(err));
	obj = bpf_object__open_mem(elf, len, NULL);
	assert_non_null(obj);
	/* as the gadget's loader types ig's "classifier/..." sections */
	bpf_object__for_each_program (p, obj)
		if (tc_section(bpf_program__section_name(p)))
			bpf_program__set_type(p, BPF_PROG_TYPE_SCHED_CLS);
	assert_int_equal(bpf_object__load(obj), 0);
	return obj;
}

static void
container__mntns_number_given_again__new_netns_attached(void **state)
{
	struct bpf_object *obj = fixture();
	struct error *err = NULL;
	struct tc_set *t = NULL;
	struct ns a, b;

	(void)state;
	ns_make(&a, 'a');
	ns_make(&b, 'b');
	assert_int_equal(tc_new(obj, &t, &err), 0);
	assert_int_equal(tc_container(t, 77, a.pid, a.ino, &err), 0);
	assert_true(attached(&a));
	/* a new container behind the same mount namespace number */
	assert_int_equal(tc_container(t, 77, b.pid, b.ino, &err), 0);
	assert_true(attached(&b));
	assert_false(attached(&a));
	tc_free(t);
	assert_false(attached(&b));
	ns_free(&a);
	ns_free(&b);
	bpf_object__close(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			container__mntns_number_given_again__new_netns_attached),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
