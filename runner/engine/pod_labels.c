// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/grow.h"
#include "runner/engine/boltdb.h"
#include "runner/engine/containerd_api.h"
#include "runner/engine/containers.h"
#include "runner/engine/log.h"
#include "runner/engine/pod_labels.h"

#define CACHE 32
#define LOCK_WAIT_MS 50 /* podman holds its database's lock briefly */
#define PATH_LEN 1024

struct sock {
	char dir[PATH_LEN]; /* the bundles' folder */
	char path[PATH_LEN];
	long long retry_at; /* CLOCK_MONOTONIC ms; 0: reachable so far */
	int busy_ms; /* left alone that long after its last timeout; 0: none */
	int said; /* errno last said in the log; 0: none */
};

struct pod_labels {
	/* one per bundles' folder met, each allocated once (pointers to
	 * it stay); as many as the host has, as pods.c's folders */
	struct sock **socks;
	size_t n_socks, cap_socks;
	struct {
		char id[65];
		json_t *labels;
	} cache[CACHE];
	size_t next; /* the cache slot to reuse */
	int db_said; /* errno of podman's database last said */
};

struct pod_labels *pod_labels_new(void)
{
	return calloc(1, sizeof(struct pod_labels));
}

void pod_labels_free(struct pod_labels *pl)
{
	size_t i;

	if (!pl)
		return;
	for (i = 0; i < CACHE; i++)
		json_decref(pl->cache[i].labels);
	for (i = 0; i < pl->n_socks; i++)
		free(pl->socks[i]);
	free(pl->socks);
	free(pl);
}

static struct sock *sock_of(struct pod_labels *pl, const char *dir)
{
	size_t i;

	for (i = 0; i < pl->n_socks; i++)
		if (!strcmp(pl->socks[i]->dir, dir))
			return pl->socks[i];
	return NULL;
}

void pod_labels_learn_socket(struct pod_labels *pl, const char *dir,
			     const char *sock)
{
	struct sock *s = sock_of(pl, dir);

	if (!s) {
		if (grow_array((void **)&pl->socks, &pl->cap_socks,
			       pl->n_socks + 1, sizeof(*pl->socks), 8) ||
		    !(s = calloc(1, sizeof(*s))))
			return; /* no memory: the default socket's */
		pl->socks[pl->n_socks++] = s;
		snprintf(s->dir, sizeof(s->dir), "%s", dir);
	}
	if (strcmp(s->path, sock)) {
		snprintf(s->path, sizeof(s->path), "%s", sock);
		s->retry_at = 0;
		s->busy_ms = 0;
	}
}

static json_t *cached(struct pod_labels *pl, const char *id)
{
	size_t i;

	for (i = 0; i < CACHE; i++)
		if (pl->cache[i].labels && !strcmp(pl->cache[i].id, id))
			return json_incref(pl->cache[i].labels);
	return NULL;
}

static void keep(struct pod_labels *pl, const char *id, json_t *labels)
{
	size_t i = pl->next++ % CACHE;

	json_decref(pl->cache[i].labels);
	snprintf(pl->cache[i].id, sizeof(pl->cache[i].id), "%s", id);
	pl->cache[i].labels = json_incref(labels);
}

static void add_label(void *ctx, const char *key, const char *value)
{
	json_t *v = json_string(value); /* NULL unless UTF-8 */

	if (v)
		json_object_set_new(ctx, key, v);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Is s left alone now?  Then, if it was busy, *later says so (unless it
 * says a call timed out already). */
static bool left_alone(const struct sock *s, enum pod_labels_later *later)
{
	if (!s->retry_at || now_ms() >= s->retry_at)
		return false;
	if (s->busy_ms && *later == POD_LABELS_FINAL)
		*later = POD_LABELS_SKIPPED;
	return true;
}

/* A containerd whose bundles' folder is not known: the default one. */
static struct sock default_sock = { .path = CONTAINERD_SOCK };

/*
 * The socket of containerd whose bundles lie in dir (.../<namespace>),
 * its host path in path and the namespace in ns; NULL while one that
 * failed is left alone (*later: POD_LABELS_SKIPPED if it was busy), or
 * when dir names no namespace.
 */
static struct sock *containerd_at(struct pod_labels *pl, const char *root,
				  const char *dir, char *path, size_t size,
				  char ns[CONTAINERS_ID_MAX + 1],
				  enum pod_labels_later *later)
{
	const char *slash = strrchr(dir, '/');
	struct sock *s;

	if (!slash || !slash[1] || strlen(slash + 1) > CONTAINERS_ID_MAX)
		return NULL;
	snprintf(ns, CONTAINERS_ID_MAX + 1, "%s", slash + 1);
	s = sock_of(pl, dir);
	if (!s) {
		pod_labels_learn_socket(pl, dir, CONTAINERD_SOCK);
		s = sock_of(pl, dir) ?: &default_sock;
	}
	if (left_alone(s, later))
		return NULL;
	snprintf(path, size, "%s%s", root, s->path);
	return s;
}

/*
 * How a call to containerd at s went (rc, err; what it was for): a failure
 * other than "no such container" leaves the socket alone, said once; one
 * whose error could not be allocated (err NULL) is one too.  A timeout
 * (containerd busy) for POD_LABELS_BUSY_MS, doubled at each one in a row,
 * and *later; any other failure (not there) for POD_LABELS_ABSENT_MS.  An
 * answer, "no such container" too, ends a row.
 */
static void containerd_went(struct sock *s, int rc, const struct error *err,
			    const char *what, enum pod_labels_later *later)
{
	int errnum = error_errnum(err);

	if (!rc || errnum == ESRCH) { /* no such container: the socket works */
		s->retry_at = 0;
		s->busy_ms = 0;
		s->said = 0;
		return;
	}
	if (errnum == ETIMEDOUT) {
		s->busy_ms = !s->busy_ms ? POD_LABELS_BUSY_MS :
			     s->busy_ms < POD_LABELS_ABSENT_MS / 2 ?
					   2 * s->busy_ms :
					   POD_LABELS_ABSENT_MS;
		*later = POD_LABELS_TIMED_OUT;
	} else {
		s->busy_ms = 0;
	}
	s->retry_at = now_ms() + (s->busy_ms ?: POD_LABELS_ABSENT_MS);
	if (s->said != errnum) {
		s->said = errnum;
		engine_log(ENGINE_LOG_NOTICE, "%s %s: %s", what,
			   s->busy_ms ? "asked again later" : "stay empty",
			   err ? error_msg(err) : strerror(errnum));
	}
}

json_t *pod_labels_containerd(struct pod_labels *pl, const char *root,
			      const char *dir, const char *sid,
			      enum pod_labels_later *later)
{
	cleanup_error struct error *err = NULL;
	char path[2 * PATH_LEN], ns[CONTAINERS_ID_MAX + 1];
	struct sock *s;
	json_t *labels;

	*later = POD_LABELS_FINAL;
	if ((labels = cached(pl, sid)))
		return labels;
	s = containerd_at(pl, root, dir, path, sizeof(path), ns, later);
	if (!s || !(labels = json_object()))
		return NULL;
	if (containerd_container_labels(path, ns, sid, CONTAINERD_TIMEOUT_MS,
					add_label, labels, &err)) {
		json_decref(labels);
		containerd_went(s, -1, err,
				"k8s.podLabels of containerd's pods", later);
		return NULL;
	}
	containerd_went(s, 0, NULL, NULL, later);
	keep(pl, sid, labels);
	return labels;
}

/* The image of container id of namespace ns from containerd at s, whose
 * host path is path. */
static int image_at(struct sock *s, const char *path, const char *ns,
		    const char *id, struct containerd_image *out,
		    enum pod_labels_later *later)
{
	cleanup_error struct error *err = NULL;
	int rc;

	rc = containerd_container_image(path, ns, id, out, &err);
	containerd_went(s, rc, err, "images of containerd's containers", later);
	return rc;
}

int pod_labels_containerd_image(struct pod_labels *pl, const char *root,
				const char *dir, const char *id,
				struct containerd_image *out,
				enum pod_labels_later *later)
{
	char path[2 * PATH_LEN], ns[CONTAINERS_ID_MAX + 1];
	struct sock *s;

	*later = POD_LABELS_FINAL;
	memset(out, 0, sizeof(*out));
	s = containerd_at(pl, root, dir, path, sizeof(path), ns, later);
	return s ? image_at(s, path, ns, id, out, later) : -1;
}

int pod_labels_containerd_image_any(struct pod_labels *pl, const char *root,
				    const char *ns, const char *id,
				    struct containerd_image *out,
				    enum pod_labels_later *later)
{
	char path[2 * PATH_LEN];
	size_t i, j, n = pl->n_socks ?: 1;

	*later = POD_LABELS_FINAL;
	for (i = 0; i < n; i++) {
		struct sock *s = pl->n_socks ? pl->socks[i] : &default_sock;

		/* each containerd once (its namespaces' folders share it) */
		for (j = 0; j < i && strcmp(pl->socks[j]->path, s->path); j++)
			;
		if (j < i || left_alone(s, later))
			continue;
		snprintf(path, sizeof(path), "%s%s", root, s->path);
		/* none met: the default one, if there is one (no word of a
		 * containerd that is not there) */
		if (!pl->n_socks && access(path, F_OK))
			break;
		memset(out, 0, sizeof(*out));
		if (!image_at(s, path, ns, id, out, later))
			return 0;
		/* one wait per container at most: the rest later */
		if (*later == POD_LABELS_TIMED_OUT)
			break;
	}
	memset(out, 0, sizeof(*out));
	return -1;
}

/* The JSON document at bucket/id/"config" of podman's database. */
static json_t *db_config(const struct boltdb *db, const char *bucket,
			 const char *id)
{
	struct boltdb_bucket r, b, c;
	const uint8_t *v;
	json_error_t jerr;
	size_t len;

	boltdb_root(db, &r);
	if (boltdb_bucket(db, &r, bucket, strlen(bucket), &b) ||
	    boltdb_bucket(db, &b, id, strlen(id), &c) ||
	    boltdb_get(db, &c, "config", 6, &v, &len))
		return NULL;
	return json_loadb((const char *)v, len, 0, &jerr);
}

json_t *pod_labels_podman(struct pod_labels *pl, const char *root,
			  const char *dir, const char *id)
{
	cleanup_error struct error *err = NULL;
	char path[2 * PATH_LEN];
	const char *slash = strrchr(dir, '/'), *pod;
	json_t *ctr, *cfg, *labels = NULL;
	struct boltdb db;

	if ((labels = cached(pl, id)))
		return labels;
	if (!slash)
		return NULL;
	/* <graph root>/overlay-containers: <graph root>/libpod/ */
	snprintf(path, sizeof(path), "%s%.*s/libpod/bolt_state.db", root,
		 (int)(slash - dir), dir);
	if (boltdb_open(path, LOCK_WAIT_MS, &db, &err)) {
		if (pl->db_said != error_errnum(err)) {
			pl->db_said = error_errnum(err);
			engine_log(ENGINE_LOG_INFO,
				   "k8s.podLabels of podman's pods: %s",
				   error_msg(err));
		}
		return NULL;
	}
	ctr = db_config(&db, "ctr", id);
	pod = json_string_value(json_object_get(ctr, "pod"));
	cfg = pod ? db_config(&db, "pod", pod) : NULL;
	boltdb_close(&db);
	labels = json_incref(json_object_get(cfg, "labels"));
	json_decref(cfg);
	json_decref(ctr);
	if (!json_is_object(labels)) {
		json_decref(labels);
		return NULL;
	}
	keep(pl, id, labels);
	return labels;
}
