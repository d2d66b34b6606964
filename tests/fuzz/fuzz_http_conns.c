// SPDX-License-Identifier: Apache-2.0
/*
 * The metrics listener (runner/engine/http_exporter.c) driven by clients
 * on loopback that the input scripts: they connect, send bytes in pieces
 * (request heads, past its 8 KiB limit too), read or not, shut down their
 * side and close, between polls of the listener, more of them than it has
 * slots.  Whatever they do, an answer is one HTTP/1.1 status line the
 * request asked for (200 only for GET or HEAD /metrics, 431 only past the
 * limit without a head's end), and the listener freed leaves no
 * descriptor open.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/error.h"
#include "runner/engine/http_exporter.h"
#include "runner/engine/metrics.h"
#include "fuzz.h"

#define MAX_CLIENTS 24
#define HEAD_LIMIT 8192 /* http_exporter.c's MAX_REQUEST */
/* past it a script is cut: every input of the corpora is replayed here,
 * and a 300 KB ELF of zeros is 150000 connects (7 s, 12 under load) */
#define MAX_SCRIPT 16384

struct client {
	int fd; /* -1: none */
	char sent[HEAD_LIMIT + 1]; /* the first bytes it sent */
	size_t n_sent;
	char got[64]; /* the start of its answer */
	size_t n_got;
};

static struct client clients[MAX_CLIENTS];

static void render(void *ctx, bool openmetrics, struct mbuf *b)
{
	(void)ctx;
	mbuf_puts(b, openmetrics ? "# TYPE x counter\nx_total 1\n" : "x 1\n");
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	FUZZ_CHECK(d, "/proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void client_connect(struct client *c, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	FUZZ_CHECK(c->fd >= 0, "socket: %s", strerror(errno));
	FUZZ_CHECK(!connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
			   errno == EINPROGRESS,
		   "connect: %s", strerror(errno));
	c->n_sent = 0;
	c->n_got = 0;
}

static void client_send(struct client *c, const void *p, size_t n)
{
	ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (w <= 0)
		return;
	if (c->n_sent < HEAD_LIMIT) {
		size_t keep = HEAD_LIMIT - c->n_sent < (size_t)w ?
				      HEAD_LIMIT - c->n_sent :
				      (size_t)w;

		memcpy(c->sent + c->n_sent, p, keep);
		c->n_sent += keep;
	}
}

/* Whether what it sent has a head's end within the limit, as Go's server
 * reads lines ("\n", or "\r\n"): an empty line. */
static bool head_complete(const struct client *c)
{
	const char *s = c->sent, *end = c->sent + c->n_sent;
	const char *nl = memchr(s, '\n', end - s);

	if (memchr(s, '\0', c->n_sent))
		end = memchr(s, '\0', c->n_sent);
	while (nl && nl < end) {
		const char *next = nl + 1;

		nl = memchr(next, '\n', end - next);
		if (nl && (nl == next || (nl == next + 1 && *next == '\r')))
			return true;
	}
	return false;
}

static void check_answer(const struct client *c)
{
	char line[64];
	int code = 0;

	if (c->n_got < 12)
		return; /* not yet, or cut by the client's own close */
	memcpy(line, c->got, 12);
	line[12] = '\0';
	FUZZ_CHECK(sscanf(line, "HTTP/1.1 %3d ", &code) == 1, "answer \"%s\"",
		   line);
	FUZZ_CHECK(code == 200 || code == 301 || code == 400 || code == 404 ||
			   code == 405 || code == 431 || code == 500,
		   "status %d", code);
	if (code == 431)
		FUZZ_CHECK(c->n_sent >= HEAD_LIMIT && !head_complete(c),
			   "431 after %zu bytes", c->n_sent);
	if (code == 200)
		FUZZ_CHECK((!strncmp(c->sent, "GET ", 4) ||
			    !strncmp(c->sent, "HEAD ", 5)) &&
				   head_complete(c),
			   "200 for \"%.*s\"", (int)c->n_sent, c->sent);
}

static void client_read(struct client *c)
{
	char buf[4096];
	ssize_t r;

	while ((r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		size_t keep = sizeof(c->got) - c->n_got < (size_t)r ?
				      sizeof(c->got) - c->n_got :
				      (size_t)r;

		memcpy(c->got + c->n_got, buf, keep);
		c->n_got += keep;
	}
	check_answer(c);
}

static void client_close(struct client *c)
{
	if (c->fd < 0)
		return;
	client_read(c);
	close(c->fd);
	c->fd = -1;
}

/*
 * The script: one byte of operation, then its arguments.
 *   0 N     connect client N
 *   1 N L   client N sends the next L bytes of the input
 *   2 N K   client N sends K*64 bytes of a header line's text
 *   3 N     client N reads what came
 *   4 N     client N shuts down its sending side
 *   5 N     client N closes
 *   else    the listener polls
 * (the first MAX_SCRIPT bytes)
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char filler[255 * 64];
	cleanup_error struct error *err = NULL;
	struct http_exporter *h = NULL;
	int before = open_fds(), port;
	size_t i = 0;

	if (!filler[0])
		memset(filler, 'a', sizeof(filler));
	if (size > MAX_SCRIPT)
		size = MAX_SCRIPT;
	if (http_exporter_new("127.0.0.1:0", render, NULL, &h, &err)) {
		fprintf(stderr, "listen: %s\n", error_msg(err));
		return 0;
	}
	port = http_exporter_port(h);
	for (int k = 0; k < MAX_CLIENTS; k++)
		clients[k].fd = -1;
	while (i < size) {
		uint8_t op = data[i++];
		struct client *c;
		size_t n;

		if (op > 5 || i >= size) {
			http_exporter_poll(h);
			continue;
		}
		c = &clients[data[i++] % MAX_CLIENTS];
		if (op == 0) {
			client_close(c);
			client_connect(c, port);
			continue;
		}
		if (c->fd < 0)
			continue;
		switch (op) {
		case 1:
			n = i < size ? data[i++] : 0;
			n = n < size - i ? n : size - i;
			client_send(c, data + i, n);
			i += n;
			break;
		case 2:
			n = i < size ? data[i++] : 0;
			client_send(c, filler, n * 64);
			break;
		case 3:
			client_read(c);
			break;
		case 4:
			shutdown(c->fd, SHUT_WR);
			break;
		case 5:
			client_close(c);
			break;
		}
	}
	for (int round = 0; round < 3; round++) {
		http_exporter_poll(h);
		for (int k = 0; k < MAX_CLIENTS; k++)
			if (clients[k].fd >= 0)
				client_read(&clients[k]);
	}
	for (int k = 0; k < MAX_CLIENTS; k++)
		client_close(&clients[k]);
	http_exporter_free(h);
	FUZZ_CHECK(open_fds() == before, "%d descriptors open, %d before",
		   open_fds(), before);
	return 0;
}
