// SPDX-License-Identifier: Apache-2.0
/*
 * The trace pipe on a thread that waits in poll() on it and on an
 * eventfd that trace_pipe_stop() writes: no cancellation, so the thread
 * never stops while it holds stderr's lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "runner/engine/host.h"
#include "runner/engine/log.h"
#include "runner/engine/trace_pipe.h"

/* A line longer than this is said in pieces of it. */
#define TRACE_LINE_MAX 4096

struct trace_pipe {
	int fd, stop_fd;
	pthread_t thread;
	char line[TRACE_LINE_MAX + 1];
	size_t len;
};

static void say_line(struct trace_pipe *tp)
{
	tp->line[tp->len] = '\0';
	engine_log(ENGINE_LOG_NOTICE, "trace pipe: %s", tp->line);
	tp->len = 0;
}

/* Say every whole line of n more bytes read into the buffer's end. */
static void take(struct trace_pipe *tp, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			say_line(tp);
			continue;
		}
		tp->line[tp->len++] = buf[i];
		if (tp->len == TRACE_LINE_MAX)
			say_line(tp);
	}
}

static void *reader(void *arg)
{
	struct trace_pipe *tp = arg;
	struct pollfd fds[2] = { { .fd = tp->fd, .events = POLLIN },
				 { .fd = tp->stop_fd, .events = POLLIN } };
	char buf[4096];

	for (;;) {
		ssize_t n;

		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		n = read(tp->fd, buf, sizeof(buf));
		if (n > 0)
			take(tp, buf, (size_t)n);
		else if (!n || (errno != EAGAIN && errno != EINTR))
			break;
	}
	if (tp->len)
		say_line(tp);
	return NULL;
}

int trace_pipe_start(struct trace_pipe **out, struct error **err)
{
	struct trace_pipe *tp = calloc(1, sizeof(*tp));
	bool mounted;
	int rc;

	if (!tp)
		return error_set(err, ENOMEM, "--trace-pipe");
	tp->fd = tp->stop_fd = -1;
	if (host_ensure_tracefs(&mounted, err))
		goto fail;
	if (mounted)
		engine_log(ENGINE_LOG_NOTICE,
			   "mounted tracefs on %s (nothing was there)",
			   HOST_TRACEFS);
	tp->fd = open(HOST_TRACEFS "/trace_pipe",
		      O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	/* tracefs may be there only as debugfs's tracing/ */
	if (tp->fd < 0 && errno == ENOENT)
		tp->fd = open("/sys/kernel/debug/tracing/trace_pipe",
			      O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (tp->fd < 0) {
		error_set(err, errno, "--trace-pipe: open %s/trace_pipe",
			  HOST_TRACEFS);
		goto fail;
	}
	tp->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (tp->stop_fd < 0) {
		error_set(err, errno, "--trace-pipe: eventfd");
		goto fail;
	}
	rc = pthread_create(&tp->thread, NULL, reader, tp);
	if (rc) {
		error_set(err, rc, "--trace-pipe: thread");
		goto fail;
	}
	*out = tp;
	return 0;
fail:
	if (tp->fd >= 0)
		close(tp->fd);
	if (tp->stop_fd >= 0)
		close(tp->stop_fd);
	free(tp);
	return -1;
}

void trace_pipe_stop(struct trace_pipe *tp)
{
	uint64_t one = 1;

	if (!tp)
		return;
	/* an eventfd's counter takes it (it fails only near 2^64) */
	if (write(tp->stop_fd, &one, sizeof(one)) < 0)
		engine_log(ENGINE_LOG_NOTICE, "--trace-pipe: stop: %s",
			   strerror(errno));
	pthread_join(tp->thread, NULL);
	close(tp->fd);
	close(tp->stop_fd);
	free(tp);
}
