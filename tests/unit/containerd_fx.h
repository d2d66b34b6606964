/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A containerd that a test scripts, connection by connection: a unix
 * socket server on a thread of its own that speaks just enough HTTP/2
 * (prior knowledge, no TLS) for one unary gRPC call.  FX_SILENT reads the
 * call and answers nothing (a busy containerd: the client times out and
 * hangs up), FX_ANSWER answers it with the gRPC message it was given,
 * FX_NOT_FOUND with gRPC's NOT_FOUND (no such container) and no message.
 *
 * fx_get_response() makes a Containers/Get answer (include cmocka.h first).
 * fx_at_root() binds, starts and answers in one: a test's containerd at
 * its fake root's socket.
 *
 * One fixture at a time, in static storage: fx_bind() hands it out and
 * fx_free() ends it, and so do fx_teardown() (as the test's cmocka
 * teardown: an assertion that fails midway jumps past the test's
 * fx_free()) and exit(): no server thread is left serving a test that
 * is gone, and no socket is left behind.
 *
 * And a clock the test moves: link with -Wl,--wrap=clock_gettime, and
 * CLOCK_MONOTONIC stands still at its first reading but for
 * fx_clock_ahead_ms (a back-off passes when the test says, neither sooner
 * on a slow machine nor later).
 */
#ifndef TESTS_UNIT_CONTAINERD_FX_H
#define TESTS_UNIT_CONTAINERD_FX_H

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/fileutil.h"
#include "runner/engine/pbwire.h"

static long long fx_clock_ahead_ms;

int __real_clock_gettime(clockid_t id, struct timespec *ts);
int __wrap_clock_gettime(clockid_t id, struct timespec *ts);

int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
	static struct timespec base;
	long long ns;

	if (id != CLOCK_MONOTONIC)
		return __real_clock_gettime(id, ts);
	if (!base.tv_sec && __real_clock_gettime(id, &base))
		return -1;
	ns = base.tv_nsec + fx_clock_ahead_ms % 1000 * 1000000;
	ts->tv_sec = base.tv_sec + fx_clock_ahead_ms / 1000 + ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
	return 0;
}

/* A gRPC frame of a GetContainerResponse whose container (id "abc",
 * image "img") has labels kv (n key-value pairs). */
static size_t fx_get_response(uint8_t *out, size_t size, const char *const *kv,
			      int n)
{
	uint8_t ctr[4096], ent[512];
	size_t clen = 0, off = 5, elen;

	assert_int_equal(pb_put_len(ctr, sizeof(ctr), &clen, 1, "abc", 3), 0);
	for (int i = 0; i < n; i++) {
		elen = 0;
		assert_int_equal(pb_put_len(ent, sizeof(ent), &elen, 1,
					    kv[2 * i], strlen(kv[2 * i])),
				 0);
		assert_int_equal(pb_put_len(ent, sizeof(ent), &elen, 2,
					    kv[2 * i + 1],
					    strlen(kv[2 * i + 1])),
				 0);
		assert_int_equal(
			pb_put_len(ctr, sizeof(ctr), &clen, 2, ent, elen), 0);
	}
	/* image = 3, a field the labels' reader skips */
	assert_int_equal(pb_put_len(ctr, sizeof(ctr), &clen, 3, "img", 3), 0);
	assert_int_equal(pb_put_len(out, size, &off, 1, ctr, clen), 0);
	out[0] = 0;
	out[1] = out[2] = 0;
	out[3] = (uint8_t)((off - 5) >> 8);
	out[4] = (uint8_t)(off - 5);
	return off;
}

enum fx_conn { FX_SILENT, FX_ANSWER, FX_NOT_FOUND };

#define FX_MAX_CONNS 8

struct fx_containerd {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd; /* the listening socket */
	int stop[2]; /* a pipe: written to stop the thread */
	pthread_t thread;
	bool running;
	enum fx_conn script[FX_MAX_CONNS];
	int n_script;
	int accepted; /* connections taken so far (read it after fx_stop()) */
	const uint8_t *answer; /* a gRPC frame (5-byte prefix, message) */
	size_t answer_len;
	uint8_t answer_buf[1024]; /* fx_at_root()'s answer */
};

static bool fx_read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void fx_frame(int fd, uint8_t type, uint8_t flags, uint32_t stream,
		     const void *payload, size_t len)
{
	uint8_t h[9] = { (uint8_t)(len >> 16),
			 (uint8_t)(len >> 8),
			 (uint8_t)len,
			 type,
			 flags,
			 (uint8_t)(stream >> 24),
			 (uint8_t)(stream >> 16),
			 (uint8_t)(stream >> 8),
			 (uint8_t)stream };

	if (write(fd, h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    (len && write(fd, payload, len) != (ssize_t)len))
		return; /* the client gone: it reads nothing more */
}

/* The client's preface and frames until its request's end of stream: the
 * stream's id, 0 if the client hung up first. */
static uint32_t fx_read_request(int fd)
{
	uint8_t preface[24], h[9], skip[4096];

	if (!fx_read_all(fd, preface, sizeof(preface)))
		return 0;
	for (;;) {
		size_t len;
		uint32_t stream;

		if (!fx_read_all(fd, h, sizeof(h)))
			return 0;
		len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
		stream = ((uint32_t)h[5] << 24 | (uint32_t)h[6] << 16 |
			  (uint32_t)h[7] << 8 | h[8]) &
			 0x7fffffff;
		while (len) {
			size_t n = len < sizeof(skip) ? len : sizeof(skip);

			if (!fx_read_all(fd, skip, n))
				return 0;
			len -= n;
		}
		/* DATA or HEADERS with END_STREAM */
		if ((h[3] == 0 || h[3] == 1) && (h[4] & 1) && stream)
			return stream;
	}
}

/* An answer on stream: status 200, then the gRPC message and grpc-status
 * 0 (found), or grpc-status 5 alone (NOT_FOUND). */
static void fx_answer(const struct fx_containerd *fx, int fd, uint32_t stream,
		      bool found)
{
	/* HPACK: :status 200 indexed (8), the rest literal, not indexed */
	static const uint8_t headers[] = "\x88\x00\x0c"
					 "content-type\x10"
					 "application/grpc";
	uint8_t trailers[] = "\x00\x0bgrpc-status\x01"
			     "0";

	trailers[sizeof(trailers) - 2] = found ? '0' : '5';
	fx_frame(fd, 4, 0, 0, NULL, 0); /* SETTINGS */
	fx_frame(fd, 4, 1, 0, NULL, 0); /* the client's, acknowledged */
	fx_frame(fd, 1, 4, stream, headers, sizeof(headers) - 1);
	if (found)
		fx_frame(fd, 0, 0, stream, fx->answer, fx->answer_len);
	fx_frame(fd, 1, 5, stream, trailers, sizeof(trailers) - 1);
}

static void *fx_serve(void *arg)
{
	struct fx_containerd *fx = arg;
	uint8_t buf[4096];

	while (fx->accepted < fx->n_script) {
		struct pollfd p[2] = { { fx->fd, POLLIN, 0 },
				       { fx->stop[0], POLLIN, 0 } };
		uint32_t stream;
		int c;

		if (poll(p, 2, -1) < 0 || p[1].revents)
			break;
		c = accept4(fx->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		stream = fx_read_request(c);
		if (stream && fx->script[fx->accepted] != FX_SILENT)
			fx_answer(fx, c, stream,
				  fx->script[fx->accepted] == FX_ANSWER);
		fx->accepted++;
		/* until the client hangs up (FX_SILENT: after its timeout) */
		while (read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
	return NULL;
}

static struct fx_containerd fx_the;
static bool fx_bound; /* fx_the is in use: fx_free() it */

static void fx_free(struct fx_containerd *fx);

/* fx_the freed if in use (fx_teardown(), exit()). */
static void fx_release(void)
{
	if (fx_bound)
		fx_free(&fx_the);
}

/* A cmocka teardown for a test that binds the fixture. */
static inline int fx_teardown(void **state)
{
	(void)state;
	fx_release();
	return 0;
}

/* The fixture, its socket at path bound (listen_now: listening too), or
 * NULL; another one in use is freed first. */
static struct fx_containerd *fx_bind(const char *path, bool listen_now)
{
	static bool at_exit;
	struct fx_containerd *fx = &fx_the;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t len = strlen(path);

	fx_release();
	if (!at_exit && atexit(fx_release))
		return NULL;
	at_exit = true;
	memset(fx, 0, sizeof(*fx));
	fx->fd = fx->stop[0] = fx->stop[1] = -1;
	if (len >= sizeof(a.sun_path))
		return NULL;
	memcpy(fx->path, path, len + 1);
	memcpy(a.sun_path, path, len + 1);
	unlink(path);
	fx_bound = true;
	fx->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fx->fd < 0 || bind(fx->fd, (struct sockaddr *)&a, sizeof(a)) ||
	    pipe2(fx->stop, O_CLOEXEC) || (listen_now && listen(fx->fd, 8))) {
		fx_release();
		return NULL;
	}
	return fx;
}

/* Listen (if not yet) and serve the script's connections, answering
 * with answer (len bytes, kept by the caller). */
static int fx_start(struct fx_containerd *fx, const enum fx_conn *script, int n,
		    const uint8_t *answer, size_t len)
{
	if (n > FX_MAX_CONNS || listen(fx->fd, 8))
		return -1;
	memcpy(fx->script, script, (size_t)n * sizeof(*script));
	fx->n_script = n;
	fx->answer = answer;
	fx->answer_len = len;
	fx->running = !pthread_create(&fx->thread, NULL, fx_serve, fx);
	return fx->running ? 0 : -1;
}

/*
 * The fixture at root's sock (an absolute path that root is put before,
 * its folder made), listening and serving the script's n connections,
 * answering with a Containers/Get of the labels kv (n_kv key-value
 * pairs; kv NULL: no answer, for a script of FX_SILENT); the clock at its
 * first reading.  A step that fails fails the test.
 */
static inline struct fx_containerd *
fx_at_root(const char *root, const char *sock, const enum fx_conn *script,
	   int n, const char *const *kv, int n_kv)
{
	char path[sizeof(fx_the.path)], *slash;
	struct fx_containerd *fx;
	size_t len = 0;

	fx_clock_ahead_ms = 0;
	assert_in_range(snprintf(path, sizeof(path), "%s%s", root, sock), 1,
			sizeof(path) - 1);
	slash = strrchr(path, '/');
	*slash = '\0';
	assert_int_equal(mkdir_p(path, 0755, NULL), 0);
	*slash = '/';
	fx = fx_bind(path, true);
	assert_non_null(fx);
	if (kv)
		len = fx_get_response(fx->answer_buf, sizeof(fx->answer_buf),
				      kv, n_kv);
	assert_int_equal(
		fx_start(fx, script, n, kv ? fx->answer_buf : NULL, len), 0);
	return fx;
}

/* Stop serving (the thread joined): fx->accepted may be read. */
static void fx_stop(struct fx_containerd *fx)
{
	if (fx->running) {
		if (write(fx->stop[1], "", 1) != 1)
			return;
		pthread_join(fx->thread, NULL);
		fx->running = false;
	}
}

static void fx_free(struct fx_containerd *fx)
{
	fx_stop(fx);
	if (fx->fd >= 0)
		close(fx->fd);
	if (fx->stop[0] >= 0) {
		close(fx->stop[0]);
		close(fx->stop[1]);
	}
	unlink(fx->path);
	fx->fd = fx->stop[0] = fx->stop[1] = -1;
	fx_bound = false;
}

#endif
