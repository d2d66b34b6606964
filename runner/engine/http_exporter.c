// SPDX-License-Identifier: Apache-2.0
/*
 * GET /metrics over non-blocking sockets, polled by the runner's event
 * loop (every few milliseconds while connections are open; a quiet loop
 * waits on the listening socket too): no thread, so the metrics are read
 * where they are written and need no lock.  Limits: MAX_CONNS connections
 * at once (a new one takes the place of the oldest still to send its
 * request, else of the one that has taken nothing of its answer for the
 * longest, at least STALL_MS), MAX_REQUEST bytes of request head (else
 * 431), IDLE_SEC seconds for a client to finish.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "runner/engine/http_exporter.h"

#define MAX_CONNS 16
#define MAX_REQUEST 8192
#define IDLE_SEC 10
#define STALL_MS 1000

struct conn {
	int fd; /* -1: free */
	char req[MAX_REQUEST + 1];
	size_t rlen;
	struct mbuf resp;
	size_t woff;
	bool answering;
	bool linger; /* the client sent more than was read: drain it */
	bool draining; /* answered; what else comes is dropped until EOF */
	time_t since;
	unsigned long seq; /* order of acceptance */
	long long sent_ms; /* when it last took some of its answer */
};

struct http_exporter {
	int lfd;
	int port;
	http_render_fn fn;
	void *ctx;
	struct conn conns[MAX_CONNS];
	unsigned long seq;
	long long now_ms; /* monotonic, at this poll */
};

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->rlen = 0;
	c->woff = 0;
	c->answering = false;
	c->linger = false;
	c->draining = false;
	mbuf_free(&c->resp);
}

void http_exporter_free(struct http_exporter *h)
{
	if (!h)
		return;
	for (int i = 0; i < MAX_CONNS; i++)
		conn_close(&h->conns[i]);
	if (h->lfd >= 0)
		close(h->lfd);
	free(h);
}

/* Split "host:port" / "[v6]:port" / ":port" into host (NULL: any). */
static int split_addr(const char *addr, char *host, size_t hlen,
		      const char **port)
{
	const char *colon;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (!end || end[1] != ':' || (size_t)(end - addr) > hlen)
			return -1;
		memcpy(host, addr + 1, end - addr - 1);
		host[end - addr - 1] = '\0';
		*port = end + 2;
		return 0;
	}
	colon = strrchr(addr, ':');
	if (!colon || (size_t)(colon - addr) >= hlen)
		return -1;
	memcpy(host, addr, colon - addr);
	host[colon - addr] = '\0';
	*port = colon + 1;
	return 0;
}

static bool valid_port(const char *s)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	return !*end && !errno && v <= 65535;
}

/* Where to listen; dual: an IPv6 wildcard that takes IPv4 too. */
struct laddr {
	struct sockaddr_storage ss;
	socklen_t len;
	bool dual;
};

static bool unspecified(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	return sa->sa_family == AF_INET6 &&
	       IN6_IS_ADDR_UNSPECIFIED(
		       &((const struct sockaddr_in6 *)sa)->sin6_addr);
}

/* The wildcard address of family at port. */
static void any_addr(struct laddr *l, int family, in_port_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&l->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&l->ss;

	memset(&l->ss, 0, sizeof(l->ss));
	if (family == AF_INET6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = port;
		s6->sin6_addr = in6addr_any;
		l->len = sizeof(*s6);
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = port;
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		l->len = sizeof(*s4);
	}
}

/*
 * Where addr (numeric port) listens, as ig's listener (Go's net.Listen
 * "tcp") takes it: no host, 0.0.0.0 or [::]: every address of both IP
 * versions (an IPv6 socket with IPV6_V6ONLY off); a host name: its first
 * IPv4 address, else its first one ("localhost:2224" listens on
 * 127.0.0.1).
 */
static int resolve(const char *addr, struct laddr *l, struct error **err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	const struct addrinfo *pick;
	const char *port;
	char host[128];
	int r;

	if (split_addr(addr, host, sizeof(host), &port) || !valid_port(port))
		return error_set(err, 0,
				 "listen address \"%s\": want HOST:PORT "
				 "(port 0 to 65535)",
				 addr);
	r = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
	if (r)
		return error_set(err, 0, "listen address \"%s\": %s", addr,
				 gai_strerror(r));
	pick = ai;
	for (const struct addrinfo *a = ai; a; a = a->ai_next) {
		if (a->ai_family == AF_INET) {
			pick = a;
			break;
		}
	}
	l->dual = unspecified(pick->ai_addr);
	if (l->dual) {
		any_addr(l, AF_INET6, htons(atoi(port)));
	} else {
		memcpy(&l->ss, pick->ai_addr, pick->ai_addrlen);
		l->len = pick->ai_addrlen;
	}
	freeaddrinfo(ai);
	return 0;
}

int http_addr_check(const char *addr, struct error **err)
{
	struct laddr l;

	return resolve(addr, &l, err);
}

/* A listening socket on l; a kernel without IPv6 listens on IPv4's
 * wildcard for a dual one. */
static int listen_on(struct laddr *l)
{
	int one = 1, off = 0;
	int fd = socket(l->ss.ss_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 && l->dual && errno == EAFNOSUPPORT) {
		any_addr(l, AF_INET,
			 ((struct sockaddr_in6 *)&l->ss)->sin6_port);
		l->dual = false;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    0);
	}
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (l->dual &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off))) ||
	    bind(fd, (struct sockaddr *)&l->ss, l->len) || listen(fd, 64)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int http_exporter_new(const char *addr, http_render_fn fn, void *ctx,
		      struct http_exporter **out, struct error **err)
{
	struct laddr l;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct http_exporter *h;

	*out = NULL;
	if (resolve(addr, &l, err))
		return -1;
	h = calloc(1, sizeof(*h));
	if (!h)
		return error_set(err, ENOMEM, "http");
	for (int i = 0; i < MAX_CONNS; i++)
		h->conns[i].fd = -1;
	h->fn = fn;
	h->ctx = ctx;
	h->lfd = listen_on(&l);
	if (h->lfd < 0 || getsockname(h->lfd, (struct sockaddr *)&ss, &sl)) {
		error_set(err, errno, "listen on %s", addr);
		http_exporter_free(h);
		return -1;
	}
	h->port = ntohs(ss.ss_family == AF_INET6 ?
				((struct sockaddr_in6 *)&ss)->sin6_port :
				((struct sockaddr_in *)&ss)->sin_port);
	*out = h;
	return 0;
}

int http_exporter_port(const struct http_exporter *h)
{
	return h->port;
}

int http_exporter_fd(const struct http_exporter *h)
{
	return h->lfd;
}

bool http_exporter_busy(const struct http_exporter *h)
{
	for (int i = 0; i < MAX_CONNS; i++)
		if (h->conns[i].fd >= 0)
			return true;
	return false;
}

bool http_wants_openmetrics(const char *accept)
{
	return accept && strstr(accept, "application/openmetrics-text");
}

/*
 * The line after line (which ends in "\n", as "\r\n" or alone, as Go's
 * server reads them), its length without its end in *len; NULL at the end
 * of the text.
 */
static const char *next_line(const char *line, size_t *len)
{
	const char *nl = strchr(line, '\n'), *next;

	if (!nl)
		return NULL;
	next = nl + 1;
	nl = strchr(next, '\n');
	if (!nl)
		return NULL;
	*len = nl - next - (nl > next && nl[-1] == '\r');
	return next;
}

/* Where the head of req ends (after its empty line), or NULL. */
static const char *head_end(const char *req)
{
	const char *line = req;
	size_t len;

	while ((line = next_line(line, &len)))
		if (!len)
			return strchr(line, '\n') + 1;
	return NULL;
}

/* The value of header name in a request head, copied into out. */
static bool header(const char *req, const char *name, char *out, size_t len)
{
	size_t n = strlen(name), ll;
	const char *line = req;

	while ((line = next_line(line, &ll)) && ll) {
		const char *end = line + ll;

		if ((size_t)(end - line) > n && line[n] == ':' &&
		    !strncasecmp(line, name, n)) {
			const char *v = line + n + 1;
			size_t vl;

			while (*v == ' ' || *v == '\t')
				v++;
			vl = end - v < (long)len - 1 ? (size_t)(end - v) :
						       len - 1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return true;
		}
	}
	return false;
}

void http_request_parse(const char *head, struct http_request *r)
{
	char accept[512];
	char *q;

	memset(r, 0, sizeof(*r));
	/* from the request line only: "%s %s" would take a path from the
	 * next line ("HEAD\n /metrics"), or the rest of a long method */
	if (sscanf(head, "%7[^ \t\r\n]%*[ \t]%255[^ \t\r\n]", r->method,
		   r->path) != 2)
		r->path[0] = '\0';
	q = strchr(r->path, '?');
	if (q)
		*q = '\0';
	r->head = !strcmp(r->method, "HEAD");
	if (header(head, "Accept", accept, sizeof(accept)))
		r->openmetrics = http_wants_openmetrics(accept);
}

static void respond(struct http_exporter *h, struct conn *c)
{
	static const char text_type[] = "text/plain; version=0.0.4; "
					"charset=utf-8";
	static const char om_type[] = "application/openmetrics-text; "
				      "version=1.0.0; charset=utf-8";
	struct mbuf body = { 0 };
	const char *status = "200 OK", *type = text_type, *allow = "";
	struct http_request r;
	bool head, om;

	http_request_parse(c->req, &r);
	head = r.head;
	om = r.openmetrics;
	if (!head_end(c->req)) {
		/* as Go's server (ig's) answers a head past its limit */
		status = "431 Request Header Fields Too Large";
		mbuf_printf(&body, "request head longer than %d bytes\n",
			    MAX_REQUEST);
		head = false;
		c->linger = true;
	} else if (strcmp(r.method, "GET") && !head) {
		status = "405 Method Not Allowed";
		allow = "Allow: GET, HEAD\r\n"; /* RFC 9110 15.5.6 */
		mbuf_puts(&body, "only GET\n");
	} else if (strcmp(r.path, "/metrics")) {
		status = "404 Not Found";
		mbuf_puts(&body, "metrics are at /metrics\n");
	} else {
		h->fn(h->ctx, om, &body);
		if (om) {
			mbuf_puts(&body, "# EOF\n");
			type = om_type;
		}
	}
	if (body.oom) {
		status = "500 Internal Server Error";
		mbuf_free(&body);
	}
	mbuf_printf(&c->resp,
		    "HTTP/1.1 %s\r\nContent-Type: %s\r\n%s"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		    status, strcmp(status, "200 OK") ? "text/plain" : type,
		    allow, body.len);
	if (!head && body.len)
		mbuf_put(&c->resp, body.p, body.len);
	mbuf_free(&body);
	c->answering = true;
	c->woff = 0;
	c->sent_ms = h->now_ms;
}

/*
 * Read what is there; answer once the head is complete (or the buffer
 * full).  A client whose request was not read whole gets its answer,
 * then has the rest read and dropped until it closes: closing with bytes
 * unread would send a reset, which can destroy the answer on its way.
 */
static void conn_step(struct http_exporter *h, struct conn *c, time_t now)
{
	while (c->draining) {
		char junk[4096];
		ssize_t n = read(c->fd, junk, sizeof(junk));

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			conn_close(c);
			return;
		}
	}
	while (!c->answering && !c->draining) {
		ssize_t n =
			read(c->fd, c->req + c->rlen, MAX_REQUEST - c->rlen);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->rlen += n;
		c->req[c->rlen] = '\0';
		if (head_end(c->req) || c->rlen == MAX_REQUEST)
			respond(h, c);
	}
	while (c->answering && c->woff < c->resp.len) {
		ssize_t n = send(c->fd, c->resp.p + c->woff,
				 c->resp.len - c->woff, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0 || c->resp.oom) {
			conn_close(c);
			return;
		}
		c->woff += n;
		c->sent_ms = h->now_ms;
	}
	if (c->answering && c->woff == c->resp.len) {
		shutdown(c->fd, SHUT_WR);
		if (!c->linger) {
			conn_close(c);
			return;
		}
		c->answering = false;
		c->draining = true;
	}
	if (now - c->since > IDLE_SEC)
		conn_close(c);
}

/*
 * The slot of a new connection: a free one, else that of the oldest client
 * still to send its request, accepted before this poll (it had its
 * chance), else that of the client being answered that has taken nothing
 * for the longest, STALL_MS at least: clients that connect and stay
 * silent, or ask and do not read, must not keep a scraper out until they
 * time out.  NULL when every client is being answered and taking its
 * answer.
 */
static struct conn *slot_for_new(struct http_exporter *h, unsigned long seq)
{
	struct conn *old = NULL, *stalled = NULL;

	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &h->conns[i];

		if (c->fd < 0)
			return c;
		if (!c->answering && c->seq <= seq &&
		    (!old || c->seq < old->seq))
			old = c;
		if (c->answering && h->now_ms - c->sent_ms >= STALL_MS &&
		    (!stalled || c->sent_ms < stalled->sent_ms))
			stalled = c;
	}
	return old ? old : stalled;
}

void http_exporter_poll(struct http_exporter *h)
{
	time_t now = time(NULL);
	struct pollfd pfd[MAX_CONNS];
	int map[MAX_CONNS], n = 0;
	unsigned long before = h->seq;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	h->now_ms = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
	for (;;) {
		struct conn *c = slot_for_new(h, before);
		int fd;

		if (!c)
			break; /* the rest waits in the backlog */
		fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		conn_close(c); /* the oldest silent client, if not free */
		c->fd = fd;
		c->since = now;
		c->seq = ++h->seq;
	}
	for (int i = 0; i < MAX_CONNS; i++) {
		if (h->conns[i].fd < 0)
			continue;
		pfd[n].fd = h->conns[i].fd;
		pfd[n].events = h->conns[i].answering ? POLLOUT : POLLIN;
		map[n++] = i;
	}
	if (n <= 0 || poll(pfd, n, 0) < 0)
		return;
	for (int i = 0; i < n; i++) {
		struct conn *c = &h->conns[map[i]];

		if (pfd[i].revents)
			conn_step(h, c, now);
		else if (now - c->since > IDLE_SEC)
			conn_close(c);
	}
}
