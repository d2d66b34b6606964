// SPDX-License-Identifier: Apache-2.0
/* runner/engine/containers.c against a fake /proc and fake runtime state
 * (and a fake containerd, tests/unit/containerd_fx.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cleanup.h"
#include "common/error.h"
#include "common/fileutil.h"
#include "runner/engine/bpf/containers.h"
#include "runner/engine/containers.h"
#include "runner/engine/pod_labels.h"
#include "tests/unit/containerd_fx.h"

#define PODMAN_ID \
	"3f1a2b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708"
#define DOCKER_ID \
	"aa11bb22cc33dd44ee55ff6600112233445566778899aabbccddeeff00112233"
/* containerd's longest id, 76 characters */
#define LONG_ID "ctr-76.a_" PODMAN_ID "abc"
#define TASKS "run/containerd/io.containerd.runtime.v2.task/"
#define PODMAN_ID2 \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char root[] = "/tmp/test-containers-XXXXXX";

#ifndef NS_GET_MNTNS_ID
#define NS_GET_MNTNS_ID _IOR(0xb7, 0x5, __u64)
#endif

/* The kernel's id of every mount namespace file of the fake /proc (as
 * NS_GET_MNTNS_ID tells it, Linux 6.8); 0: the kernel tells none. */
static __u64 fake_mntns_id;

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req != NS_GET_MNTNS_ID)
		return __real_ioctl(fd, req, arg);
	if (!fake_mntns_id) {
		errno = ENOTTY;
		return -1;
	}
	memcpy(arg, &fake_mntns_id, sizeof(fake_mntns_id));
	return 0;
}

static void put(const char *rel, const char *text)
{
	char path[1024], dir[1024];
	char *slash;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	assert_int_equal(mkdir_p(dir, 0755, NULL), 0);
	assert_int_equal(
		write_file_atomic(path, text, strlen(text), 0644, NULL), 0);
}

static __u64 inode_of(const char *rel)
{
	char path[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	put("proc/1/ns/mnt", "");
	put("proc/1/cgroup", "0::/init.scope\n");
	put("proc/100/ns/mnt", "");
	put("proc/100/cgroup",
	    "0::/machine.slice/libpod-" PODMAN_ID ".scope/container\n");
	put("proc/200/ns/mnt", "");
	put("proc/200/cgroup",
	    "12:pids:/system.slice/docker-" DOCKER_ID
	    ".scope\n0::/system.slice/docker-" DOCKER_ID ".scope\n");
	put("var/lib/containers/storage/overlay-containers/containers.json",
	    "[{\"id\":\"" PODMAN_ID "\",\"names\":[\"test-trace-dns\"],"
	    "\"metadata\":\"{\\\"image-name\\\":\\\"localhost/bb:latest\\\"}\"},"
	    "{\"id\":\"" PODMAN_ID2 "\",\"names\":[\"second\"],"
	    "\"metadata\":\"{\\\"image-name\\\":\\\"localhost/bb:2\\\"}\"}]");
	/* their bundles: podman's storage is the folder they are in */
	put("var/lib/containers/storage/overlay-containers/" PODMAN_ID
	    "/userdata/config.json",
	    "{}");
	put("var/lib/containers/storage/overlay-containers/" PODMAN_ID2
	    "/userdata/config.json",
	    "{}");
	put("var/lib/docker/containers/" DOCKER_ID "/config.v2.json",
	    "{\"Name\":\"/web\",\"Config\":{\"Image\":\"busybox\"}}");
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void scan__podman_cgroup__name_and_image(void **state)
{
	struct containers *c = containers_new(root);
	const struct container_info *ci;

	(void)state;
	assert_int_equal(containers_scan(c, NULL), 0);
	ci = containers_lookup(c, inode_of("proc/100/ns/mnt"));
	assert_non_null(ci);
	assert_string_equal(ci->runtime, "podman");
	assert_string_equal(ci->id, PODMAN_ID);
	assert_string_equal(ci->name, "test-trace-dns");
	assert_string_equal(ci->image, "localhost/bb:latest");
	containers_free(c);
}

static void scan__docker_cgroup__name_without_slash(void **state)
{
	struct containers *c = containers_new(root);
	const struct container_info *ci;

	(void)state;
	assert_int_equal(containers_scan(c, NULL), 0);
	ci = containers_lookup(c, inode_of("proc/200/ns/mnt"));
	assert_non_null(ci);
	assert_string_equal(ci->runtime, "docker");
	assert_string_equal(ci->name, "web");
	assert_string_equal(ci->image, "busybox");
	containers_free(c);
}

static void scan__docker_root_set__names_from_there(void **state)
{
	struct containers *c;
	const struct container_info *ci;

	(void)state;
	put("srv/docker2/containers/" DOCKER_ID "/config.v2.json",
	    "{\"Name\":\"/other\",\"Config\":{\"Image\":\"bb:2\"}}");
	c = containers_new(root);
	containers_set_docker_root(c, "/srv/docker2");
	assert_int_equal(containers_scan(c, NULL), 0);
	ci = containers_lookup(c, inode_of("proc/200/ns/mnt"));
	assert_non_null(ci);
	assert_string_equal(ci->runtime, "docker");
	assert_string_equal(ci->name, "other");
	assert_string_equal(ci->image, "bb:2");
	containers_free(c);
}

static void scan_begin__on_a_thread__same_as_scan(void **state)
{
	struct containers *c = containers_new(root);
	const struct container_info *ci;
	struct error *err = NULL;

	(void)state;
	containers_scan_begin(c);
	assert_int_equal(containers_scan_end(c, &err), 0);
	assert_null(err);
	ci = containers_lookup(c, inode_of("proc/200/ns/mnt"));
	assert_non_null(ci);
	assert_string_equal(ci->name, "web");
	containers_free(c);
}

static void scan_begin__no_proc__error_at_end(void **state)
{
	struct containers *c = containers_new("/nonexistent-root-of-test");
	struct error *err = NULL;

	(void)state;
	containers_scan_begin(c);
	assert_int_equal(containers_scan_end(c, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(error_msg(err), "/proc"));
	error_free(err);
	/* told once; a failed scan begun and left is freed with c */
	containers_scan_begin(c);
	containers_free(c);
}

/* No /proc to look in: no container, and no read of the directory entry
 * the search never had (it was left uninitialised). */
static void lookup__no_proc__no_container(void **state)
{
	struct containers *c = containers_new("/nonexistent-root-of-test");

	(void)state;
	assert_null(containers_lookup(c, 12345));
	containers_free(c);
}

static void scan__host_process__no_container(void **state)
{
	struct containers *c = containers_new(root);

	(void)state;
	assert_int_equal(containers_scan(c, NULL), 0);
	assert_null(containers_lookup(c, inode_of("proc/1/ns/mnt")));
	assert_null(containers_lookup(c, 12345));
	containers_free(c);
}

static void parse_cgroup__short_or_uppercase_id__rejected(void **state)
{
	char runtime[16], id[CONTAINERS_ID_MAX + 1];

	(void)state;
	assert_int_equal(containers_parse_cgroup("0::/libpod-abc.scope",
						 runtime, id),
			 -1);
	assert_int_equal(containers_parse_cgroup(
				 "0::/docker-AA11BB22CC33DD44EE55FF66001122334"
				 "45566778899AABBCCDDEEFF00112233.scope",
				 runtime, id),
			 -1);
	assert_int_equal(
		containers_parse_cgroup("0::/kubepods/cri-containerd-" DOCKER_ID
					".scope",
					runtime, id),
		0);
	assert_string_equal(runtime, "containerd");
}

/* containerd in a docker container (kind, k3d), docker in docker: the
 * innermost container is the process's, as the exec hook's short paths
 * tell. */
static void parse_cgroup__nested_runtimes__innermost_container(void **state)
{
	char runtime[16], id[CONTAINERS_ID_MAX + 1];

	(void)state;
	assert_int_equal(
		containers_parse_cgroup(
			"0::/system.slice/docker-" DOCKER_ID ".scope/kubelet."
			"slice/kubelet-kubepods.slice/kubelet-kubepods-"
			"besteffort.slice/kubelet-kubepods-besteffort-pod1.slice"
			"/cri-containerd-" PODMAN_ID ".scope\n",
			runtime, id),
		0);
	assert_string_equal(runtime, "containerd");
	assert_string_equal(id, PODMAN_ID);
	assert_int_equal(containers_parse_cgroup("4:memory:/docker/" DOCKER_ID
						 "/k8s.io/" PODMAN_ID "\n"
						 "0::/docker/" DOCKER_ID
						 "/k8s.io/" PODMAN_ID "\n",
						 runtime, id),
			 0);
	assert_string_equal(runtime, "containerd");
	assert_string_equal(id, PODMAN_ID);
	assert_int_equal(containers_parse_cgroup("0::/docker/" PODMAN_ID
						 "/docker/" DOCKER_ID,
						 runtime, id),
			 0);
	assert_string_equal(runtime, "docker");
	assert_string_equal(id, DOCKER_ID);
}

/* containerd's cgroupfs default, /<namespace>/<id>: any id of
 * containerd's identifiers (`ctr run IMAGE lcfc1`), a whole cgroup name,
 * of at most 76 characters. */
static void parse_cgroup__containerd_any_id(void **state)
{
	static const char *const ok[][2] = {
		{ "0::/k8s.io/lcfc1\n", "lcfc1" },
		{ "0::/k8s.io/a-b.c_d", "a-b.c_d" },
		{ "0::/k8s.io/x1/init\n", "x1" },
		{ "0::/k8s.io/" PODMAN_ID, PODMAN_ID },
		{ "0::/k8s.io/" LONG_ID "\n", LONG_ID },
	};
	static const char *const bad[] = {
		"0::/k8s.io/\n",
		"0::/k8s.io/a..b\n",
		"0::/k8s.io/-a\n",
		"0::/k8s.io/a-\n",
		"0::/k8s.io/a b\n",
		"0::/k8s.io/a:b\n",
		"0::/k8s.io/" LONG_ID "d\n",
	};
	char runtime[16], id[CONTAINERS_ID_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(containers_parse_cgroup(ok[i][0], runtime, id),
				 0);
		assert_string_equal(runtime, "containerd");
		assert_string_equal(id, ok[i][1]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(containers_parse_cgroup(bad[i], runtime, id),
				 -1);
}

/* Any namespace's: a line's whole path /<namespace>/<id>, both of
 * containerd's identifiers; not a systemd slice's unit. */
static void parse_containerd_cgroup__any_namespace(void **state)
{
	static const char *const ok[][3] = {
		{ "0::/default/" LONG_ID "\n", "default", LONG_ID },
		{ "/default/x1", "default", "x1" },
		{ "12:pids:/a/b\n1:name=systemd:/my.ns/c-1\n0::/\n", "a", "b" },
		{ "0::/\n1:name=systemd:/my.ns/c-1\n", "my.ns", "c-1" },
		/* read in a cgroup namespace rooted elsewhere */
		{ "0::/../default/x1\n", "default", "x1" },
		{ "0::/../../../k8s.io/" LONG_ID, "k8s.io", LONG_ID },
		{ "/../my.ns/c-1", "my.ns", "c-1" },
	};
	static const char *const bad[] = {
		"0::/system.slice/cron.service\n",
		"0::/../default/x1/init\n",
		"0::/../default\n",
		"0::/..\n",
		"0::/..default/x1\n",
		"0::/default/../x1\n",
		"0::/default/x1/init\n",
		"0::/default\n",
		"0::/default/\n",
		"0::/k8s..io/x1\n",
		"0::/default/" LONG_ID "d\n",
		"0::default/x1\n",
		"/x/y/z",
	};
	char ns[CONTAINERS_ID_MAX + 1], id[CONTAINERS_ID_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(containers_parse_containerd_cgroup(ok[i][0],
								    ns, id),
				 0);
		assert_string_equal(ns, ok[i][1]);
		assert_string_equal(id, ok[i][2]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
			containers_parse_containerd_cgroup(bad[i], ns, id), -1);
}

/* The kubelet's cgroupfs driver: /kubepods[/<qos>]/pod<uid>/<id>. */
static void parse_cgroup__kubelet_cgroupfs__bare_id(void **state)
{
	char runtime[16], id[CONTAINERS_ID_MAX + 1];

	(void)state;
	assert_int_equal(
		containers_parse_cgroup(
			"0::/kubepods/besteffort/pod0f1e2d3c-0000-4000-"
			"8000-000000000001/" PODMAN_ID "\n",
			runtime, id),
		0);
	assert_string_equal(runtime, "containerd");
	assert_string_equal(id, PODMAN_ID);
	assert_int_equal(containers_parse_cgroup(
				 "4:memory:/kubepods/podu1/" DOCKER_ID "\n"
				 "0::/\n",
				 runtime, id),
			 0);
	assert_string_equal(id, DOCKER_ID);
	/* the pod's own cgroup, an id cut or followed by more */
	assert_int_equal(containers_parse_cgroup("0::/kubepods/besteffort/pod"
						 "u1\n",
						 runtime, id),
			 -1);
	assert_int_equal(containers_parse_cgroup("0::/kubepods/podu1/" DOCKER_ID
						 "x\n",
						 runtime, id),
			 -1);
}

/*
 * Every layout, read in a cgroup namespace whose root is one, two or three
 * levels down elsewhere (/proc/<pid>/cgroup there: "/../<path>"): the
 * container named as from the host's.
 */
static void
parse_cgroup__below_cgroup_namespace_root__same_container(void **state)
{
	static const char *const layouts[][3] = {
		{ "/machine.slice/libpod-" PODMAN_ID ".scope/container",
		  "podman", PODMAN_ID },
		{ "/libpod_parent/libpod-" PODMAN_ID, "podman", PODMAN_ID },
		{ "/system.slice/docker-" DOCKER_ID ".scope", "docker",
		  DOCKER_ID },
		{ "/docker/" DOCKER_ID, "docker", DOCKER_ID },
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-"
		  "besteffort-pod1.slice/cri-containerd-" PODMAN_ID ".scope",
		  "containerd", PODMAN_ID },
		{ "/kubepods.slice/kubepods-pod1.slice/crio-" PODMAN_ID
		  ".scope",
		  "cri-o", PODMAN_ID },
		{ "/kubepods/besteffort/pod1/" PODMAN_ID, "containerd",
		  PODMAN_ID },
		{ "/k8s.io/lcfc1", "containerd", "lcfc1" },
	};
	static const char *const up[] = { "", "/..", "/../..", "/../../.." };
	char runtime[16], id[CONTAINERS_ID_MAX + 1], text[512];
	char ns[CONTAINERS_ID_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		for (size_t j = 0; j < sizeof(up) / sizeof(up[0]); j++) {
			snprintf(text, sizeof(text), "0::%s%s\n", up[j],
				 layouts[i][0]);
			assert_int_equal(
				containers_parse_cgroup(text, runtime, id), 0);
			assert_string_equal(runtime, layouts[i][1]);
			assert_string_equal(id, layouts[i][2]);
		}
	/* containerd's cgroupfs default in any namespace: its bundle tells */
	for (size_t j = 0; j < sizeof(up) / sizeof(up[0]); j++) {
		snprintf(text, sizeof(text),
			 "1:name=systemd:/\n0::%s/default/"
			 "x1\n",
			 up[j]);
		assert_int_equal(
			containers_parse_containerd_cgroup(text, ns, id), 0);
		assert_string_equal(ns, "default");
		assert_string_equal(id, "x1");
	}
}

/* A note of the exec hook: cgroup names from the leaf up, NULL-ended. */
static struct containers_note note(__u64 mntns, __u64 instance, __u64 cgid,
				   __u32 pid, ...)
{
	struct containers_note n = { .mntns = mntns,
				     .mntns_instance = instance,
				     .cgroup_id = cgid,
				     .pid = pid };
	const char *name;
	va_list ap;

	va_start(ap, pid);
	while ((name = va_arg(ap, const char *)) &&
	       n.depth < CONTAINERS_CGROUP_DEPTH)
		snprintf(n.names[n.depth++], CONTAINERS_NAME_LEN, "%s", name);
	va_end(ap);
	return n;
}

static void tell(struct containers *c, struct containers_note n)
{
	assert_int_equal(containers_handle_note(c, &n), 0);
}

/* cri-dockerd's containers on a kubelet with cgroupfs: docker's. */
static void note__kubelet_cgroupfs_docker_id__docker(void **state)
{
	struct containers *c = containers_new(root);
	const struct container_info *ci;

	(void)state;
	tell(c, note(5002, 12, 102, 1, DOCKER_ID, "podu1", "besteffort",
		     "kubepods", NULL));
	tell(c, note(5003, 13, 103, 1, PODMAN_ID2, "podu1", "besteffort",
		     "kubepods", NULL));
	ci = containers_lookup(c, 5002);
	assert_non_null(ci);
	assert_string_equal(ci->runtime, "docker");
	assert_string_equal(ci->name, "web");
	ci = containers_lookup(c, 5003);
	assert_non_null(ci);
	assert_string_equal(ci->runtime, "containerd");
	assert_string_equal(ci->id, PODMAN_ID2);
	containers_free(c);
}

static void note__podman_cgroupfs__name_and_image(void **state)
{
	struct containers *c = containers_new(root);
	const struct container_info *ci;

	(void)state;
	tell(c, note(5000, 10, 100, 1, "libpod-" PODMAN_ID, "libpod_parent", "",
		     NULL));
	ci = containers_lookup(c, 5000);
	assert_non_null(ci);
	assert_string_equal(ci->runtime, "podman");
	assert_string_equal(ci->id, PODMAN_ID);
	assert_string_equal(ci->name, "test-trace-dns");
	assert_string_equal(ci->image, "localhost/bb:latest");
	containers_free(c);
}

static void note__systemd_and_docker_paths__parsed(void **state)
{
	struct containers *c = containers_new(root);
	const struct container_info *ci;

	(void)state;
	tell(c, note(5000, 10, 100, 1, "container",
		     "libpod-" PODMAN_ID ".scope", "machine.slice", "", NULL));
	tell(c, note(5001, 11, 101, 1, DOCKER_ID, "docker", "", NULL));
	ci = containers_lookup(c, 5000);
	assert_non_null(ci);
	assert_string_equal(ci->name, "test-trace-dns");
	ci = containers_lookup(c, 5001);
	assert_non_null(ci);
	assert_string_equal(ci->runtime, "docker");
	assert_string_equal(ci->name, "web");
	containers_free(c);
}

/* The kernel gives the next namespace the number just freed. */
static void note__mntns_number_reused__next_container_named(void **state)
{
	struct containers *c = containers_new(root);
	const struct container_info *ci;

	(void)state;
	tell(c, note(5000, 20, 200, 1, "libpod-" PODMAN_ID, "libpod_parent",
		     NULL));
	tell(c, note(5000, 21, 201, 1, "libpod-" PODMAN_ID2, "libpod_parent",
		     NULL));
	ci = containers_lookup(c, 5000);
	assert_non_null(ci);
	assert_string_equal(ci->id, PODMAN_ID2);
	assert_string_equal(ci->name, "second");
	assert_string_equal(ci->image, "localhost/bb:2");
	/* and then a host process's namespace */
	tell(c, note(5000, 22, 300, 1, "session-1.scope", "user.slice", NULL));
	assert_null(containers_lookup(c, 5000));
	containers_free(c);
}

/* A namespace is what its first note said (the kernel tells an instance
 * again only when its entry was evicted). */
static void note__same_instance_again__first_note_decides(void **state)
{
	struct containers *c = containers_new(root);
	const struct container_info *ci;

	(void)state;
	tell(c, note(5000, 30, 300, 1, "libpod-" PODMAN_ID, NULL));
	tell(c, note(5000, 30, 301, 1, "init.scope", "deep", NULL));
	ci = containers_lookup(c, 5000);
	assert_non_null(ci);
	assert_string_equal(ci->id, PODMAN_ID);
	tell(c, note(5001, 31, 302, 1, "system.slice", "", NULL));
	tell(c, note(5001, 31, 303, 1, "libpod-" PODMAN_ID2, NULL));
	assert_null(containers_lookup(c, 5001));
	containers_free(c);
}

/* runc execs in the host's namespace from the container's cgroup (its
 * copy of itself): the host's namespace, told by /proc, stays the host's. */
static void note__scanned_namespace_alive__stays_as_scanned(void **state)
{
	struct containers *c = containers_new(root);
	__u64 host = inode_of("proc/1/ns/mnt");

	(void)state;
	assert_int_equal(containers_scan(c, NULL), 0);
	tell(c, note(host, 70, 700, 4242, "libpod-" PODMAN_ID, "libpod_parent",
		     "", NULL));
	assert_null(containers_lookup(c, host));
	/* and then its instance is known: another one is a new namespace */
	tell(c, note(host, 71, 701, 4243, "libpod-" PODMAN_ID2, NULL));
	assert_non_null(containers_lookup(c, host));
	containers_free(c);
}

/* The process /proc told a namespace by is gone: its number may be a new
 * namespace's. */
static void note__scanned_process_gone__note_decides(void **state)
{
	struct containers *c = containers_new(root);
	const struct container_info *ci;
	char dir[1024], cmd[1100];
	__u64 mntns;

	(void)state;
	put("proc/300/ns/mnt", "");
	put("proc/300/cgroup", "0::/libpod_parent/libpod-" PODMAN_ID "\n");
	mntns = inode_of("proc/300/ns/mnt");
	assert_int_equal(containers_scan(c, NULL), 0);
	ci = containers_lookup(c, mntns);
	assert_non_null(ci);
	assert_string_equal(ci->id, PODMAN_ID);
	snprintf(dir, sizeof(dir), "%s/proc/300", root);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	tell(c, note(mntns, 80, 800, 4244, "libpod-" PODMAN_ID2, NULL));
	ci = containers_lookup(c, mntns);
	assert_non_null(ci);
	assert_string_equal(ci->name, "second");
	containers_free(c);
}

/* No container in the cgroup v2 path (v1 alone, or a runtime that left
 * v2 to its parent): /proc tells, if the process is still in that
 * namespace. */
static void note__no_container_in_v2_path__read_from_proc(void **state)
{
	struct containers *c = containers_new(root);
	const struct container_info *ci;
	__u64 mntns = inode_of("proc/200/ns/mnt");

	(void)state;
	tell(c, note(mntns, 40, 1, 200, "", NULL));
	ci = containers_lookup(c, mntns);
	assert_non_null(ci);
	assert_string_equal(ci->name, "web");
	tell(c, note(mntns, 41, 2, 200, "containerd.service", "system.slice",
		     "", NULL));
	ci = containers_lookup(c, mntns);
	assert_non_null(ci);
	assert_string_equal(ci->name, "web");
	/* another process now, or gone */
	tell(c, note(mntns + 1, 42, 1, 200, "", NULL));
	assert_null(containers_lookup(c, mntns + 1));
	containers_free(c);
}

/* A note about a namespace the scan saw first. */
static void note__after_scan__same_kept_other_replaced(void **state)
{
	struct containers *c = containers_new(root);
	const struct container_info *ci;
	__u64 mntns = inode_of("proc/100/ns/mnt");

	(void)state;
	assert_int_equal(containers_scan(c, NULL), 0);
	tell(c, note(mntns, 50, 500, 100, "libpod-" PODMAN_ID, NULL));
	ci = containers_lookup(c, mntns);
	assert_non_null(ci);
	assert_string_equal(ci->name, "test-trace-dns");
	tell(c, note(mntns, 51, 501, 100, "libpod-" PODMAN_ID2, NULL));
	ci = containers_lookup(c, mntns);
	assert_non_null(ci);
	assert_string_equal(ci->name, "second");
	containers_free(c);
}

/* What a listener was told last of namespace 5000 (NULL: gone), and how
 * often. */
struct told {
	const struct container_info *last;
	int times;
};

static void on_5000(void *ctx, __u64 mntns, const struct container_info *ci)
{
	struct told *t = ctx;

	if (mntns != 5000)
		return;
	t->last = ci;
	t->times++;
}

static void count(void *ctx, __u64 mntns, const struct container_info *ci)
{
	(void)mntns;
	(void)ci;
	++*(int *)ctx;
}

/* The container of a note is gone from /proc at the next scan, with
 * events that name its namespace to come (a gadget's timeout): told gone
 * one scan later, and named by lookups until the kernel gives its number
 * to another namespace. */
static void scan__told_container_gone__named_until_number_reused(void **state)
{
	struct containers *c = containers_new(root);
	const struct container_info *ci;
	struct told t = { 0 };
	int listed = 0;

	(void)state;
	containers_set_listener(c, on_5000, &t);
	tell(c, note(5000, 60, 600, 1, "libpod-" PODMAN_ID, NULL));
	assert_int_equal(t.times, 1);
	assert_int_equal(containers_scan(c, NULL), 0);
	assert_int_equal(t.times, 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(containers_scan(c, NULL), 0);
	assert_int_equal(t.times, 2);
	assert_null(t.last);
	ci = containers_lookup(c, 5000);
	assert_non_null(ci);
	assert_string_equal(ci->name, "test-trace-dns");
	/* not among the namespaces there are */
	containers_foreach(c, count, &listed);
	containers_foreach(c, on_5000, &t);
	assert_int_equal(t.times, 2);
	assert_true(listed > 0);
	/* the scan's own entries stay while their process does */
	assert_non_null(containers_lookup(c, inode_of("proc/100/ns/mnt")));
	/* the number is another namespace's: the hook tells */
	tell(c, note(5000, 61, 601, 1, "libpod-" PODMAN_ID2, NULL));
	ci = containers_lookup(c, 5000);
	assert_non_null(ci);
	assert_string_equal(ci->name, "second");
	assert_int_equal(t.times, 3);
	assert_ptr_equal(t.last, ci);
	containers_free(c);
}

/*
 * A podman container's process pid (PODMAN_ID) in a new mount namespace
 * whose number stays to be given again (kept, a link to it): the number.
 */
static __u64 container_keeping_number(int pid, char *kept, size_t len)
{
	char rel[64], path[1024];

	snprintf(rel, sizeof(rel), "proc/%d/ns/mnt", pid);
	put(rel, "");
	snprintf(rel, sizeof(rel), "proc/%d/cgroup", pid);
	put(rel, "0::/libpod_parent/libpod-" PODMAN_ID "\n");
	snprintf(path, sizeof(path), "%s/proc/%d/ns/mnt", root, pid);
	snprintf(kept, len, "%s/kept-mnt", root);
	assert_int_equal(link(path, kept), 0);
	snprintf(rel, sizeof(rel), "proc/%d/ns/mnt", pid);
	return inode_of(rel);
}

/* Process pid (of cgroup) gone, and process to in a namespace of its
 * number (kept). */
static void number_given_again(int pid, int to, const char *cgroup,
			       const char *kept)
{
	char rel[64], path[1024], cmd[1100];

	snprintf(cmd, sizeof(cmd), "rm -rf %s/proc/%d", root, pid);
	assert_int_equal(system(cmd), 0);
	snprintf(rel, sizeof(rel), "proc/%d/cgroup", to);
	put(rel, cgroup);
	snprintf(path, sizeof(path), "%s/proc/%d/ns", root, to);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/%d/ns/mnt", root, to);
	assert_int_equal(link(kept, path), 0);
}

/* The namespace of a container /proc showed (from before the runner) is
 * gone from it: still named; a process in a namespace of that number
 * later is in another namespace (the hook told none of them). */
static void scan__scanned_container_gone__named_until_number_seen(void **state)
{
	struct containers *c = containers_new_proc(root);
	const struct container_info *ci;
	char kept[1024], cmd[1100];
	__u64 mntns;

	(void)state;
	mntns = container_keeping_number(300, kept, sizeof(kept));
	assert_int_equal(containers_scan(c, NULL), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s/proc/300", root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(containers_scan(c, NULL), 0);
	assert_int_equal(containers_scan(c, NULL), 0);
	ci = containers_lookup(c, mntns);
	assert_non_null(ci);
	assert_string_equal(ci->name, "test-trace-dns");
	/* another container's process, in a namespace of that number */
	number_given_again(300, 301,
			   "0::/libpod_parent/libpod-" PODMAN_ID2 "\n", kept);
	assert_int_equal(containers_scan(c, NULL), 0);
	ci = containers_lookup(c, mntns);
	assert_non_null(ci);
	assert_string_equal(ci->name, "second");
	snprintf(cmd, sizeof(cmd), "rm -rf %s/proc/301 %s", root, kept);
	assert_int_equal(system(cmd), 0);
	containers_free(c);
}

/*
 * A container /proc showed (from before the runner) ends, and its number
 * goes to a host process's new namespace before the next scan; that scan
 * finds the process behind the number, then the exec hook's note of the
 * new namespace is read.  The namespace's id (Linux 6.8) tells it is
 * another: neither the scan nor the note names the host process after
 * the container.  Without the id the scan took the process for the
 * container's, and so the note for one about the container's namespace.
 */
static void scan__scanned_container_number_given_again__id_tells(void **state)
{
	struct containers *c = containers_new_proc(root);
	const struct container_info *ci;
	char kept[1024], cmd[1100];
	__u64 mntns;

	(void)state;
	fake_mntns_id = 70;
	mntns = container_keeping_number(320, kept, sizeof(kept));
	assert_int_equal(containers_scan(c, NULL), 0);
	ci = containers_lookup(c, mntns);
	assert_non_null(ci);
	assert_string_equal(ci->name, "test-trace-dns");
	/* it ends; a host process's namespace takes the number */
	number_given_again(320, 321, "0::/user.slice/session-1.scope\n", kept);
	fake_mntns_id = 71;
	assert_int_equal(containers_scan(c, NULL), 0);
	tell(c, note(mntns, 71, 9, 321, "session-1.scope", "user.slice", NULL));
	ci = containers_lookup(c, mntns);
	assert_true(!ci || !ci->id[0]);
	fake_mntns_id = 0;
	snprintf(cmd, sizeof(cmd), "rm -rf %s/proc/321 %s", root, kept);
	assert_int_equal(system(cmd), 0);
	containers_free(c);
}

/* Gone containers stay named: the last CONTAINERS_GONE_MAX to go. */
static void scan__many_containers_gone__last_ones_kept(void **state)
{
	struct containers *c = containers_new(root);
	const __u64 first = 10000, n = CONTAINERS_GONE_MAX + 3;
	__u64 named = 0;

	(void)state;
	for (__u64 i = 0; i < n; i++) {
		tell(c, note(first + i, first + i, 1, 1, "libpod-" PODMAN_ID,
			     NULL));
		/* the first two go first, the last one last */
		if (i == 1 || i == n - 2)
			for (int k = 0; k < 3; k++)
				assert_int_equal(containers_scan(c, NULL), 0);
	}
	for (int k = 0; k < 3; k++)
		assert_int_equal(containers_scan(c, NULL), 0);
	assert_null(containers_lookup(c, first));
	assert_null(containers_lookup(c, first + 1));
	assert_non_null(containers_lookup(c, first + n - 1));
	for (__u64 i = 0; i < n; i++)
		named += containers_lookup(c, first + i) != NULL;
	assert_int_equal(named, CONTAINERS_GONE_MAX);
	containers_free(c);
}

/* The container of mntns is id, named name, of runtime runtime. */
static void known_as(struct containers *c, __u64 mntns, const char *id,
		     const char *name, const char *runtime)
{
	const struct container_info *ci = containers_lookup(c, mntns);

	assert_non_null(ci);
	assert_string_equal(ci->id, id);
	assert_string_equal(ci->name, name);
	assert_string_equal(ci->runtime, runtime);
}

/*
 * `ctr -n default run IMAGE <76 characters>`, its bundle in containerd's
 * folder of that namespace: known by its whole id; named as ig's
 * containerd client names it (its id, runtime containerd) only when
 * --containerd-namespace names its namespace, else as ig's runc hook
 * knows it (no name, no runtime), and then so is one of k8s.io's.  A
 * cgroup of that form without a bundle is no container's.
 */
static void note__containerd_namespaces__named_in_the_one_asked(void **state)
{
	struct containers *dflt = containers_new(root),
			  *asked = containers_new(root);
	cleanup_error struct error *err = NULL;
	char cmd[1100];

	(void)state;
	put(TASKS "default/" LONG_ID "/config.json", "{}");
	put(TASKS "k8s.io/lcfc1/config.json", "{}");
	assert_int_equal(containers_set_containerd_ns(asked, "default", &err),
			 0);
	tell(dflt, note(6001, 61, 601, 4301, LONG_ID, "default", "", NULL));
	tell(dflt, note(6002, 62, 602, 4302, "x1", "other", "", NULL));
	tell(dflt, note(6003, 63, 603, 4303, "lcfc1", "k8s.io", "", NULL));
	tell(asked, note(6001, 61, 601, 4301, LONG_ID, "default", "", NULL));
	tell(asked, note(6003, 63, 603, 4303, "lcfc1", "k8s.io", "", NULL));
	known_as(dflt, 6001, LONG_ID, "", "");
	assert_null(containers_lookup(dflt, 6002));
	/* nor one /proc shows (found by a lookup without the hook) */
	put("proc/310/ns/mnt", "");
	put("proc/310/cgroup", "4:memory:/other/x2\n0::/\n");
	assert_null(containers_lookup(dflt, inode_of("proc/310/ns/mnt")));
	snprintf(cmd, sizeof(cmd), "rm -rf %s/proc/310", root);
	assert_int_equal(system(cmd), 0);
	known_as(dflt, 6003, "lcfc1", "lcfc1", "containerd");
	known_as(asked, 6001, LONG_ID, LONG_ID, "containerd");
	known_as(asked, 6003, "lcfc1", "", "");
	/* no runtime for -r to leave out: known whatever it names */
	assert_int_equal(containers_set_runtimes(dflt, "docker", &err), 0);
	assert_non_null(containers_lookup(dflt, 6001));
	assert_null(containers_lookup(dflt, 6003));
	assert_int_equal(containers_set_containerd_ns(dflt, "a/b", &err), -1);
	assert_non_null(strstr(error_msg(err), "not a containerd namespace"));
	containers_free(dflt);
	containers_free(asked);
}

/*
 * One id in two containerd namespaces (k8s.io's folder, a default one,
 * looked in first; and default's): each container's bundle is that of
 * the namespace its cgroup names, whichever folder has the id first, and
 * so is its name (named in the namespace asked only).
 */
static void note__same_id_in_two_namespaces__its_own_bundle(void **state)
{
	struct containers *dflt = containers_new(root),
			  *asked = containers_new(root);
	cleanup_error struct error *err = NULL;
	const struct container_info *ci;
	char want[1024];

	(void)state;
	put(TASKS "k8s.io/dup1/config.json", "{}");
	put(TASKS "default/dup1/config.json", "{}");
	assert_int_equal(containers_set_containerd_ns(asked, "default", &err),
			 0);
	tell(asked, note(6101, 71, 701, 4401, "dup1", "default", "", NULL));
	tell(dflt, note(6101, 71, 701, 4401, "dup1", "default", "", NULL));
	tell(dflt, note(6102, 72, 702, 4402, "dup1", "k8s.io", "", NULL));
	known_as(asked, 6101, "dup1", "dup1", "containerd");
	known_as(dflt, 6101, "dup1", "", "");
	known_as(dflt, 6102, "dup1", "dup1", "containerd");
	snprintf(want, sizeof(want), "/%sdefault/dup1", TASKS);
	ci = containers_lookup(asked, 6101);
	assert_string_equal(ci->bundle, want);
	ci = containers_lookup(dflt, 6101);
	assert_string_equal(ci->bundle, want);
	snprintf(want, sizeof(want), "/%sk8s.io/dup1", TASKS);
	ci = containers_lookup(dflt, 6102);
	assert_string_equal(ci->bundle, want);
	containers_free(dflt);
	containers_free(asked);
}

/* What a listener was told of namespace mntns last, and how often. */
struct told_of {
	__u64 mntns;
	struct told t;
};

static void on_told_of(void *ctx, __u64 mntns, const struct container_info *ci)
{
	struct told_of *o = ctx;

	if (mntns != o->mntns)
		return;
	o->t.last = ci;
	o->t.times++;
}

/*
 * A pod's sandbox found by a scan while containerd is too busy to answer
 * (its first call times out): no labels yet, asked again by a scan once
 * the socket's back-off is over (not by those before), then told again
 * to the listener with its labels and image.
 */
static void scan__containerd_busy__labels_come_with_a_later_scan(void **state)
{
#define SB_ID "cb00000000000000000000000000000000000000000000000000000000000001"
	static const enum fx_conn script[] = { FX_SILENT, FX_ANSWER, FX_ANSWER,
					       FX_ANSWER };
	static const char *const kv[] = { "app", "web" };
	struct containers *c = containers_new_proc(root);
	const struct container_info *ci;
	struct told_of o = { 0 };
	struct fx_containerd *fx;
	char cmd[256];

	(void)state;
	put(TASKS "k8s.io/" SB_ID "/config.json",
	    "{\"annotations\":{"
	    "\"io.kubernetes.cri.container-type\":\"sandbox\","
	    "\"io.kubernetes.cri.sandbox-id\":\"" SB_ID "\","
	    "\"io.kubernetes.cri.sandbox-name\":\"busy\","
	    "\"io.kubernetes.cri.sandbox-namespace\":\"demo\"}}");
	put("proc/710/ns/mnt", "");
	put("proc/710/cgroup", "0::/k8s.io/" SB_ID "\n");
	o.mntns = inode_of("proc/710/ns/mnt");
	fx = fx_at_root(root, CONTAINERD_SOCK, script, 4, kv, 1);
	containers_set_listener(c, on_told_of, &o);
	assert_int_equal(containers_scan(c, NULL), 0);
	ci = containers_lookup(c, o.mntns);
	assert_non_null(ci);
	assert_string_equal(ci->pod.name, "busy");
	assert_string_equal(ci->pod.labels, "");
	assert_int_equal(o.t.times, 1);
	fx_clock_ahead_ms = POD_LABELS_BUSY_MS - 1;
	assert_int_equal(containers_scan(c, NULL), 0);
	assert_string_equal(ci->pod.labels, "");
	assert_int_equal(o.t.times, 1);
	fx_clock_ahead_ms = POD_LABELS_BUSY_MS;
	assert_int_equal(containers_scan(c, NULL), 0);
	assert_string_equal(ci->pod.labels, "app=web");
	assert_string_equal(ci->image, "img");
	assert_int_equal(o.t.times, 2);
	assert_ptr_equal(o.t.last, ci);
	assert_int_equal(containers_scan(c, NULL), 0);
	assert_int_equal(o.t.times, 2);
	fx_stop(fx);
	assert_int_equal(fx->accepted, 4);
	fx_free(fx);
	containers_set_listener(c, NULL, NULL);
	containers_free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s/proc/710", root);
	assert_int_equal(system(cmd), 0);
	fx_clock_ahead_ms = 0;
#undef SB_ID
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scan__podman_cgroup__name_and_image),
		cmocka_unit_test(scan__docker_cgroup__name_without_slash),
		cmocka_unit_test(scan__docker_root_set__names_from_there),
		cmocka_unit_test(scan_begin__on_a_thread__same_as_scan),
		cmocka_unit_test(scan_begin__no_proc__error_at_end),
		cmocka_unit_test(lookup__no_proc__no_container),
		cmocka_unit_test(scan__host_process__no_container),
		cmocka_unit_test(parse_cgroup__short_or_uppercase_id__rejected),
		cmocka_unit_test(
			parse_cgroup__nested_runtimes__innermost_container),
		cmocka_unit_test(parse_cgroup__kubelet_cgroupfs__bare_id),
		cmocka_unit_test(parse_cgroup__containerd_any_id),
		cmocka_unit_test(parse_containerd_cgroup__any_namespace),
		cmocka_unit_test(
			parse_cgroup__below_cgroup_namespace_root__same_container),
		cmocka_unit_test(
			note__containerd_namespaces__named_in_the_one_asked),
		cmocka_unit_test(
			note__same_id_in_two_namespaces__its_own_bundle),
		cmocka_unit_test(note__kubelet_cgroupfs_docker_id__docker),
		cmocka_unit_test(note__podman_cgroupfs__name_and_image),
		cmocka_unit_test(note__systemd_and_docker_paths__parsed),
		cmocka_unit_test(
			note__mntns_number_reused__next_container_named),
		cmocka_unit_test(note__same_instance_again__first_note_decides),
		cmocka_unit_test(
			note__scanned_namespace_alive__stays_as_scanned),
		cmocka_unit_test(note__scanned_process_gone__note_decides),
		cmocka_unit_test(note__no_container_in_v2_path__read_from_proc),
		cmocka_unit_test(note__after_scan__same_kept_other_replaced),
		cmocka_unit_test(
			scan__told_container_gone__named_until_number_reused),
		cmocka_unit_test(
			scan__scanned_container_gone__named_until_number_seen),
		cmocka_unit_test(
			scan__scanned_container_number_given_again__id_tells),
		cmocka_unit_test(scan__many_containers_gone__last_ones_kept),
		cmocka_unit_test_teardown(
			scan__containerd_busy__labels_come_with_a_later_scan,
			fx_teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
