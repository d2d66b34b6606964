// SPDX-License-Identifier: Apache-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stdbool.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "runner/containers.h"

#define NBUCKETS 1024

struct entry {
	__u64 mntns;
	unsigned int gen;
	struct container_info info;
	struct entry *next;
};

struct containers {
	char root[256];
	struct entry *buckets[NBUCKETS];
	unsigned int gen;
};

static const struct {
	const char *marker; /* text right before the id in a cgroup path */
	const char *runtime;
} runtimes[] = {
	{ "libpod-", "podman" },  { "docker-", "docker" },
	{ "/docker/", "docker" }, { "cri-containerd-", "containerd" },
	{ "crio-", "cri-o" },	  { "/libpod_parent/libpod-", "podman" },
};

struct containers *containers_new(const char *root)
{
	struct containers *c = calloc(1, sizeof(*c));

	if (c)
		snprintf(c->root, sizeof(c->root), "%s",
			 root && strcmp(root, "/") ? root : "");
	return c;
}

void containers_free(struct containers *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < NBUCKETS; i++) {
		struct entry *e = c->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(c);
}

static struct entry **slot(const struct containers *c, __u64 mntns)
{
	return (struct entry **)&c
		->buckets[(mntns * 0x9E3779B97F4A7C15ULL) >> 54];
}

static int add(struct containers *c, __u64 mntns, const char *pid);

/* Find the first process in mntns; add what it tells (or a blank entry). */
static const struct entry *resolve(struct containers *c, __u64 mntns)
{
	char path[1024];
	struct dirent *d;
	DIR *dp;

	snprintf(path, sizeof(path), "%s/proc", c->root);
	dp = opendir(path);
	while (dp && (d = readdir(dp))) {
		struct stat st;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/proc/%s/ns/mnt", c->root,
			 d->d_name);
		if (stat(path, &st) == 0 && st.st_ino == mntns)
			break;
	}
	if (add(c, mntns, d ? d->d_name : NULL)) {
		if (dp)
			closedir(dp);
		return NULL;
	}
	if (dp)
		closedir(dp);
	return *slot(c, mntns);
}

const struct container_info *containers_lookup(struct containers *c,
					       __u64 mntns)
{
	const struct entry *e;

	for (e = *slot(c, mntns); e; e = e->next)
		if (e->mntns == mntns)
			return e->info.id[0] ? &e->info : NULL;
	if (!mntns)
		return NULL;
	e = resolve(c, mntns);
	return e && e->info.id[0] ? &e->info : NULL;
}

static bool is_hex64(const char *s)
{
	int i;

	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]) ||
		    isupper((unsigned char)s[i]))
			return false;
	return true;
}

int containers_parse_cgroup(const char *text, char runtime[16], char id[65])
{
	size_t i;

	for (i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
		const char *p = text;
		size_t mlen = strlen(runtimes[i].marker);

		while ((p = strstr(p, runtimes[i].marker))) {
			p += mlen;
			if (strlen(p) >= 64 && is_hex64(p)) {
				snprintf(runtime, 16, "%s",
					 runtimes[i].runtime);
				memcpy(id, p, 64);
				id[64] = '\0';
				return 0;
			}
		}
	}
	return -1;
}

/* podman: overlay-containers/containers.json lists id, names, image. */
static void podman_names(const struct containers *c, struct container_info *ci)
{
	char path[1024];
	json_error_t jerr;
	json_t *arr, *o;
	size_t i;

	snprintf(path, sizeof(path),
		 "%s/var/lib/containers/storage/overlay-containers/"
		 "containers.json",
		 c->root);
	arr = json_load_file(path, 0, &jerr);
	if (!json_is_array(arr))
		goto out;
	json_array_foreach (arr, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));
		json_t *names = json_object_get(o, "names");
		const char *meta;
		json_t *m;

		if (!id || strcmp(id, ci->id))
			continue;
		if (json_is_array(names) && json_array_size(names))
			snprintf(ci->name, sizeof(ci->name), "%s",
				 json_string_value(json_array_get(names, 0)));
		/* "metadata" is a JSON document in a string */
		meta = json_string_value(json_object_get(o, "metadata"));
		m = meta ? json_loads(meta, 0, &jerr) : NULL;
		if (json_string_value(json_object_get(m, "image-name")))
			snprintf(ci->image, sizeof(ci->image), "%s",
				 json_string_value(
					 json_object_get(m, "image-name")));
		json_decref(m);
		break;
	}
out:
	json_decref(arr);
}

/* docker: containers/<id>/config.v2.json has Name ("/x") and Config.Image. */
static void docker_names(const struct containers *c, struct container_info *ci)
{
	char path[1024];
	json_error_t jerr;
	const char *name, *image;
	json_t *o;

	snprintf(path, sizeof(path),
		 "%s/var/lib/docker/containers/%s/config.v2.json", c->root,
		 ci->id);
	o = json_load_file(path, 0, &jerr);
	name = json_string_value(json_object_get(o, "Name"));
	image = json_string_value(
		json_object_get(json_object_get(o, "Config"), "Image"));
	if (name)
		snprintf(ci->name, sizeof(ci->name), "%s",
			 name[0] == '/' ? name + 1 : name);
	if (image)
		snprintf(ci->image, sizeof(ci->image), "%s", image);
	json_decref(o);
}

static int add(struct containers *c, __u64 mntns, const char *pid)
{
	cleanup_free char *cg = NULL;
	struct entry *e, **head = slot(c, mntns);
	char path[1024];

	e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->mntns = mntns;
	e->gen = c->gen;
	if (pid)
		snprintf(path, sizeof(path), "%s/proc/%s/cgroup", c->root, pid);
	if (pid && !read_file(path, &cg, NULL, NULL) &&
	    !containers_parse_cgroup(cg, e->info.runtime, e->info.id)) {
		if (!strcmp(e->info.runtime, "podman"))
			podman_names(c, &e->info);
		else if (!strcmp(e->info.runtime, "docker"))
			docker_names(c, &e->info);
		if (!e->info.name[0])
			snprintf(e->info.name, sizeof(e->info.name), "%.12s",
				 e->info.id);
	}
	e->next = *head;
	*head = e;
	return 0;
}

static void drop_stale(struct containers *c)
{
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		struct entry **pp = &c->buckets[i];

		while (*pp) {
			struct entry *e = *pp;

			if (e->gen != c->gen) {
				*pp = e->next;
				free(e);
			} else {
				pp = &e->next;
			}
		}
	}
}

int containers_scan(struct containers *c, struct error **err)
{
	char path[1024];
	struct dirent *d;
	DIR *dp;

	snprintf(path, sizeof(path), "%s/proc", c->root);
	dp = opendir(path);
	if (!dp)
		return error_set(err, errno, "open %s", path);
	c->gen++;
	while ((d = readdir(dp))) {
		struct stat st;
		struct entry *e;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/proc/%s/ns/mnt", c->root,
			 d->d_name);
		if (stat(path, &st) < 0)
			continue;
		for (e = *slot(c, st.st_ino); e; e = e->next)
			if (e->mntns == st.st_ino)
				break;
		if (e) {
			e->gen = c->gen;
			continue;
		}
		if (add(c, st.st_ino, d->d_name)) {
			closedir(dp);
			return error_set(err, ENOMEM, "containers");
		}
	}
	closedir(dp);
	drop_stale(c);
	return 0;
}
