// SPDX-License-Identifier: Apache-2.0
/* runner/containers.c against a fake /proc and fake runtime state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "common/fileutil.h"
#include "runner/containers.h"

#define PODMAN_ID \
	"3f1a2b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708"
#define DOCKER_ID \
	"aa11bb22cc33dd44ee55ff6600112233445566778899aabbccddeeff00112233"

static char root[] = "/tmp/test-containers-XXXXXX";

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
	    "\"metadata\":\"{\\\"image-name\\\":\\\"localhost/bb:latest\\\"}\"}]");
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
	char runtime[16], id[65];

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scan__podman_cgroup__name_and_image),
		cmocka_unit_test(scan__docker_cgroup__name_without_slash),
		cmocka_unit_test(scan__host_process__no_container),
		cmocka_unit_test(parse_cgroup__short_or_uppercase_id__rejected),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
