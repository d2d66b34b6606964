// SPDX-License-Identifier: Apache-2.0
/*
 * pods_identify() (runner/engine/pods.c) of hostile runtime state in a
 * fake tree: whoever makes a container writes its annotations (config.json
 * of the bundle, the CRI-O labels document in one), its name and labels
 * (docker's config.v2.json, podman's containers.json), and its process's
 * /proc/<pid>/stat (the command name).  The input is those files, split at
 * lines "====" in this order:
 *   0 the container's bundle config.json (podman's storage)
 *   1 its pod sandbox's config.json (same folder, id SB)
 *   2 podman's containers.json
 *   3 docker's config.v2.json of the container
 *   4 docker's config.v2.json of the sandbox
 *   5 /proc/7/stat of the container's process
 *   6 /proc/2/cmdline of its parent (conmon or a containerd shim, whose
 *     working directory is the sandbox's bundle)
 * A missing part is a missing file.  Whatever they hold, every name told
 * is NUL-terminated in its field without control bytes, and the labels
 * are key=value pairs sorted by key.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "runner/engine/containers.h"
#include "runner/engine/pods.h"

#define ID "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define PODMAN "/var/lib/containers/storage/overlay-containers"
#define DOCKER "/var/lib/docker/containers"
#define SEP "\n====\n"

static const char *const files[] = {
	PODMAN "/" ID "/userdata/config.json",
	PODMAN "/" SB "/userdata/config.json",
	PODMAN "/containers.json",
	DOCKER "/" ID "/config.v2.json",
	DOCKER "/" SB "/config.v2.json",
	"/proc/7/stat",
	"/proc/2/cmdline",
};
#define N_FILES (sizeof(files) / sizeof(*files))

static char root[256];

static void mkdirs(const char *path)
{
	char buf[1024], *s;

	snprintf(buf, sizeof(buf), "%s", path);
	for (s = strchr(buf + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST) {
			perror(buf);
			exit(1);
		}
		*s = '/';
	}
}

static void remove_tree(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_TMPDIR");
	char path[1024];
	size_t i;

	(void)argc;
	(void)argv;
	snprintf(root, sizeof(root), "%s/fuzz_pods.XXXXXX", dir ? dir : "/tmp");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		exit(1);
	}
	atexit(remove_tree);
	for (i = 0; i < N_FILES; i++) {
		snprintf(path, sizeof(path), "%s%s", root, files[i]);
		mkdirs(path);
	}
	/* a containerd shim runs in its bundle (a host path) */
	snprintf(path, sizeof(path), "%s/proc/2/cwd", root);
	if (symlink(PODMAN "/" SB, path)) {
		perror(path);
		exit(1);
	}
	return 0;
}

static void put(const char *name, const uint8_t *data, size_t size)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s%s", root, name);
	if (!data) {
		unlink(path);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0, "open %s", path);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size, "write %s", path);
	close(fd);
}

/* field holds a NUL within it, and no control byte before */
#define TAME(field) check_tame(#field, field, sizeof(field))
static void check_tame(const char *what, const char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);

	FUZZ_CHECK(end, "%s not terminated", what);
	for (; s < end; s++)
		FUZZ_CHECK((unsigned char)*s >= 0x20 && *s != 0x7f,
			   "%s holds byte 0x%02x", what, (unsigned char)*s);
}

static void check_labels(const char *labels)
{
	char buf[POD_LABELS_LEN], *save = NULL, *pair, prev[POD_LABELS_LEN];

	snprintf(buf, sizeof(buf), "%s", labels);
	prev[0] = '\0';
	for (pair = strtok_r(buf, ",", &save); pair;
	     pair = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(pair, '=');

		FUZZ_CHECK(eq && eq != pair, "labels \"%s\": pair \"%s\"",
			   labels, pair);
		*eq = '\0';
		FUZZ_CHECK(strcmp(prev, pair) < 0,
			   "labels \"%s\": \"%s\" after \"%s\"", labels, pair,
			   prev);
		snprintf(prev, sizeof(prev), "%s", pair);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part = data, *end = data + size;
	struct container_info ci;
	struct pods *p;
	size_t i;

	for (i = 0; i < N_FILES; i++) {
		const uint8_t *next = part ? memmem(part, (size_t)(end - part),
						    SEP, strlen(SEP)) :
					     NULL;

		put(files[i], part, part ? (size_t)((next ?: end) - part) : 0);
		part = next ? next + strlen(SEP) : NULL;
	}
	p = pods_new(root);
	FUZZ_CHECK(p, "pods_new");
	memset(&ci, 0, sizeof(ci));
	snprintf(ci.runtime, sizeof(ci.runtime), "podman");
	snprintf(ci.id, sizeof(ci.id), "%s", ID);
	pods_identify(p, 7, &ci, false);
	if (getenv("FUZZ_DEBUG")) /* to check what a seed does */
		fprintf(stderr,
			"name %s image %s pod %s/%s container %s%s uid %s labels %s\n",
			ci.name, ci.image, ci.pod.namespace, ci.pod.name,
			ci.pod.container, ci.pod.sandbox ? " (sandbox)" : "",
			ci.pod.uid, ci.pod.labels);
	TAME(ci.name);
	TAME(ci.image);
	TAME(ci.pod.name);
	TAME(ci.pod.namespace);
	TAME(ci.pod.container);
	TAME(ci.pod.uid);
	TAME(ci.pod.labels);
	check_labels(ci.pod.labels);
	pods_free(p);
	return 0;
}
