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
#include <ctype.h>
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
#include <sys/uio.h>

#include "runner/engine/http_exporter.h"

#define MAX_CONNS 16
#define MAX_REQUEST HTTP_MAX_HEAD
#define IDLE_SEC 10
#define STALL_MS 1000

/*
 * An exposition rendered at one poll (gen), shared by every connection
 * that asks for that format at that poll: the metrics only change between
 * polls, so they all get the same bytes, rendered once.
 */
struct page {
	struct mbuf body;
	unsigned long gen; /* the poll it was rendered at; 0: none */
	unsigned refs; /* connections sending it */
	bool om;
};

struct conn {
	int fd; /* -1: free */
	char req[MAX_REQUEST + 1];
	size_t rlen;
	struct mbuf resp; /* status line, headers, a body of our own */
	struct page *page; /* then this body, if any */
	size_t woff; /* of resp, then of page's body */
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
	/* the other connections hold one each at most, and one of this poll
	 * may be held by none: one more is free for the connection asking */
	struct page pages[MAX_CONNS + 1];
	unsigned long seq;
	unsigned long gen; /* polls so far */
	long long now_ms; /* monotonic, at this poll */
};

/*
 * The exposition in format om as of this poll: the one already rendered
 * at this poll, else one rendered now into a page no connection holds
 * (the one that kept its buffer, if any: a lone scraper reuses it).
 */
static struct page *page_take(struct http_exporter *h, bool om)
{
	struct page *free_page = NULL;

	for (int i = 0; i < MAX_CONNS + 1; i++) {
		struct page *p = &h->pages[i];

		if (p->gen == h->gen && p->om == om) {
			p->refs++;
			return p;
		}
		if (!p->refs && p->gen != h->gen &&
		    (!free_page || (!free_page->body.cap && p->body.cap)))
			free_page = p;
	}
	free_page->body.len = 0;
	free_page->body.oom = false;
	h->fn(h->ctx, om, &free_page->body);
	if (om)
		mbuf_puts(&free_page->body, "# EOF\n");
	free_page->gen = free_page->body.oom ? 0 : h->gen;
	free_page->om = om;
	free_page->refs = 1;
	return free_page;
}

/*
 * A connection is done with p.  One rendered at this poll stays, for
 * those still to ask at this poll; an older one keeps its buffer for the
 * next render unless another free page keeps one already.
 */
static void page_drop(struct http_exporter *h, struct page *p)
{
	if (!p || --p->refs || p->gen == h->gen)
		return;
	for (int i = 0; i < MAX_CONNS + 1; i++) {
		struct page *o = &h->pages[i];

		if (o != p && !o->refs && o->body.cap) {
			mbuf_free(&p->body);
			p->gen = 0;
			return;
		}
	}
}

static void conn_close(struct http_exporter *h, struct conn *c)
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
	page_drop(h, c->page);
	c->page = NULL;
}

void http_exporter_free(struct http_exporter *h)
{
	if (!h)
		return;
	for (int i = 0; i < MAX_CONNS; i++)
		conn_close(h, &h->conns[i]);
	for (int i = 0; i < MAX_CONNS + 1; i++)
		mbuf_free(&h->pages[i].body);
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

/* The q-value at v (RFC 9110 12.4.2) in thousandths; an invalid one is 0,
 * as Prometheus's negotiation (goautoneg) reads it. */
static int qvalue(const char *v, size_t n)
{
	int q = 0, scale = 1000;
	size_t i = 0;

	if (n && (v[0] == '0' || v[0] == '1'))
		q = (v[i++] - '0') * 1000;
	else
		return 0;
	if (i < n && v[i] == '.')
		for (i++; i < n && scale > 1; i++) {
			if (v[i] < '0' || v[i] > '9')
				return 0;
			scale /= 10;
			q += (v[i] - '0') * scale;
		}
	return i == n && q <= 1000 ? q : 0;
}

static bool span_is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && !strncasecmp(s, word, n);
}

static const char *skip_ows(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

static size_t trim_ows(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

/*
 * Which of the two formats an Accept header prefers, as Prometheus's
 * negotiation picks among its own (expfmt): the media range with the
 * highest q-value, then with the most parameters besides q, then the
 * first, that names text/plain (version 0.0.4 or none) or
 * application/openmetrics-text (1.0.0, 0.0.1 or none); one with q=0 is
 * "not acceptable" (RFC 9110 12.5.1), none of them is the text format.
 */
bool http_wants_openmetrics(const char *accept)
{
	int best_q = 0, best_params = -1;
	bool om = false;

	for (const char *s = accept; s && *s;) {
		const char *end = strchr(s, ',');
		const char *p, *semi;
		int q = 1000, params = 0;
		bool is_om, is_text, version_ok = true;
		size_t tlen;

		if (!end)
			end = s + strlen(s);
		s = skip_ows(s, end);
		semi = memchr(s, ';', end - s);
		tlen = trim_ows(s, (semi ? semi : end) - s);
		is_om = span_is(s, tlen, "application/openmetrics-text");
		is_text = span_is(s, tlen, "text/plain");
		for (p = semi; p && p < end; p = semi) {
			const char *name = skip_ows(p + 1, end), *eq, *v;
			size_t vlen;

			semi = memchr(name, ';', end - name);
			eq = memchr(name, '=', (semi ? semi : end) - name);
			if (!eq)
				continue;
			v = skip_ows(eq + 1, end);
			vlen = trim_ows(v, (semi ? semi : end) - v);
			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			if (span_is(name, trim_ows(name, eq - name), "q")) {
				q = qvalue(v, vlen);
				continue;
			}
			params++;
			if (span_is(name, trim_ows(name, eq - name), "version"))
				version_ok =
					is_om ? span_is(v, vlen, "1.0.0") ||
							span_is(v, vlen,
								"0.0.1") :
						span_is(v, vlen, "0.0.4");
		}
		if ((is_om || is_text) && version_ok && q > 0 &&
		    (q > best_q || (q == best_q && params > best_params))) {
			best_q = q;
			best_params = params;
			om = is_om;
		}
		s = *end ? end + 1 : end;
	}
	return om;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Whether the n bytes of a path at s are what Go's url package takes in a
 * request: no control byte, every '%' followed by two hex digits (Go's
 * server answers 400 otherwise); a %00, which a C string cannot hold, is
 * refused too.
 */
static bool path_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c < 0x20 || c == 0x7f)
			return false;
		if (c == '%' && (i + 2 >= n || hexval(s[i + 1]) < 0 ||
				 hexval(s[i + 2]) < 0 ||
				 (s[i + 1] == '0' && s[i + 2] == '0')))
			return false;
	}
	return true;
}

/* Percent-decode a valid path in place. */
static void path_decode(char *p)
{
	char *o = p;

	for (const char *s = p; *s; s++) {
		if (*s == '%') {
			*o++ = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/*
 * Clean a rooted path in place as Go's ServeMux does (cleanPath: path.Clean,
 * a trailing '/' kept): no empty, "." or ".." segments.  Whether it
 * changed: cleaning only takes bytes away.
 */
static bool path_clean(char *p)
{
	size_t n = strlen(p), o = 1, i = 0;
	bool trailing = n > 1 && p[n - 1] == '/';

	while (i < n) {
		size_t seg, len;

		while (i < n && p[i] == '/')
			i++;
		seg = i;
		while (i < n && p[i] != '/')
			i++;
		len = i - seg;
		if (!len || (len == 1 && p[seg] == '.'))
			continue;
		if (len == 2 && p[seg] == '.' && p[seg + 1] == '.') {
			while (o > 1 && p[o - 1] != '/')
				o--;
			if (o > 1)
				o--;
			continue;
		}
		if (o > 1)
			p[o++] = '/';
		memmove(p + o, p + seg, len);
		o += len;
	}
	if (trailing && o > 1)
		p[o++] = '/';
	p[o] = '\0';
	return o != n;
}

/*
 * The request target at t (len bytes) as Go's server and ServeMux (ig's
 * listener, Go 1.26) take it: the origin form "/path?query" or the
 * absolute form "scheme://authority/path?query"; the path as sent is
 * cleaned, a redirect if that changed it, else percent-decoded to be
 * matched (Go's mux unescapes each segment: "/%6detrics" is /metrics,
 * "/%2e%2e/metrics" is no path it serves).
 */
static void parse_target(const char *t, size_t len, struct http_request *r)
{
	const char *q = memchr(t, '?', len), *slash;
	size_t plen = q ? (size_t)(q - t) : len;
	size_t s = 0;
	bool absolute = false;

	if (q) {
		r->query = q + 1;
		r->query_len = len - plen - 1;
	}
	while (s < plen && (isalnum((unsigned char)t[s]) || t[s] == '+' ||
			    t[s] == '-' || t[s] == '.'))
		s++;
	if (s && isalpha((unsigned char)t[0]) && plen - s >= 3 &&
	    !memcmp(t + s, "://", 3)) {
		/* absolute form: the path after the authority, "" if none */
		slash = memchr(t + s + 3, '/', plen - s - 3);
		plen -= slash ? (size_t)(slash - t) : plen;
		t = slash ? slash : t + len;
		absolute = true;
	}
	if ((!absolute && (!plen || t[0] != '/')) || !path_valid(t, plen)) {
		r->bad = true;
		return;
	}
	/* an empty path is "/", a redirect there, as Go's cleanPath */
	r->path[0] = '/';
	memcpy(r->path + !plen, t, plen);
	r->path[plen + !plen] = '\0';
	r->moved = !plen || path_clean(r->path);
	if (!r->moved)
		path_decode(r->path);
}

void http_request_parse(const char *head, struct http_request *r)
{
	char accept[512];
	const char *t, *end;
	size_t mlen = strcspn(head, " \r\n");

	memset(r, 0, sizeof(*r));
	/* a longer method is none of those served: its start will do */
	memcpy(r->method, head,
	       mlen < sizeof(r->method) ? mlen : sizeof(r->method) - 1);
	t = head + mlen;
	if (*t != ' ' || !mlen) {
		r->bad = true;
	} else {
		t++;
		end = t + strcspn(t, " \r\n");
		if (end == t)
			r->bad = true;
		else
			parse_target(t, end - t, r);
	}
	r->head = !strcmp(r->method, "HEAD");
	if (header(head, "Accept", accept, sizeof(accept)))
		r->openmetrics = http_wants_openmetrics(accept);
}

/* A path as sent, its escapes kept, with what a URL cannot hold escaped
 * (what Go's url package escapes in a path, '%' aside). */
static void put_path_escaped(struct mbuf *b, const char *p)
{
	for (; *p; p++) {
		unsigned char ch = *p;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-_.~$&+,/:;=@%", ch))
			mbuf_put(b, p, 1);
		else
			mbuf_printf(b, "%%%02X", ch);
	}
}

/* Go's htmlEscape, for the body of a redirect. */
static void put_html_escaped(struct mbuf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *e = s[i] == '&'  ? "&amp;" :
				s[i] == '<'  ? "&lt;" :
				s[i] == '>'  ? "&gt;" :
				s[i] == '"'  ? "&#34;" :
				s[i] == '\'' ? "&#39;" :
					       NULL;

		if (e)
			mbuf_puts(b, e);
		else
			mbuf_put(b, s + i, 1);
	}
}

static void respond(struct http_exporter *h, struct conn *c)
{
	static const char text_type[] = "text/plain; version=0.0.4; "
					"charset=utf-8";
	static const char om_type[] = "application/openmetrics-text; "
				      "version=1.0.0; charset=utf-8";
	struct mbuf body = { 0 }, location = { 0 };
	const char *status = "200 OK", *type = "text/plain", *extra = "";
	struct http_request r;
	struct page *page = NULL;
	size_t len;
	bool head;

	http_request_parse(c->req, &r);
	head = r.head;
	if (!head_end(c->req)) {
		/* as Go's server (ig's) answers a head past its limit */
		status = "431 Request Header Fields Too Large";
		mbuf_printf(&body, "request head longer than %d bytes\n",
			    MAX_REQUEST);
		head = false;
		c->linger = true;
	} else if (r.bad) {
		status = "400 Bad Request";
		mbuf_puts(&body, "bad request target\n");
	} else if (r.moved) {
		/* Go's ServeMux (ig's) sends any method to the cleaned path */
		status = "301 Moved Permanently";
		type = "text/html; charset=utf-8";
		put_path_escaped(&location, r.path);
		if (r.query_len) {
			mbuf_puts(&location, "?");
			mbuf_put(&location, r.query, r.query_len);
		}
		if (!strcmp(r.method, "GET") || head) {
			/* a HEAD is told its length, not sent it */
			mbuf_puts(&body, "<a href=\"");
			put_html_escaped(&body, location.p, location.len);
			mbuf_puts(&body, "\">Moved Permanently</a>.\n\n");
		}
	} else if (strcmp(r.method, "GET") && !head) {
		status = "405 Method Not Allowed";
		extra = "Allow: GET, HEAD\r\n"; /* RFC 9110 15.5.6 */
		mbuf_puts(&body, "only GET\n");
	} else if (strcmp(r.path, "/metrics")) {
		status = "404 Not Found";
		mbuf_puts(&body, "metrics are at /metrics\n");
	} else {
		page = page_take(h, r.openmetrics);
		type = r.openmetrics ? om_type : text_type;
	}
	if (body.oom || location.oom || (page && page->body.oom)) {
		status = "500 Internal Server Error";
		type = "text/plain";
		mbuf_free(&body);
		mbuf_free(&location);
		page_drop(h, page);
		page = NULL;
	}
	len = page ? page->body.len : body.len;
	mbuf_printf(&c->resp, "HTTP/1.1 %s\r\nContent-Type: %s\r\n%s", status,
		    type, extra);
	if (location.len) {
		mbuf_puts(&c->resp, "Location: ");
		mbuf_put(&c->resp, location.p, location.len);
		mbuf_puts(&c->resp, "\r\n");
	}
	mbuf_printf(&c->resp,
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n", len);
	if (!head && body.len)
		mbuf_put(&c->resp, body.p, body.len);
	if (head)
		page_drop(h, page);
	else
		c->page = page;
	mbuf_free(&body);
	mbuf_free(&location);
	c->answering = true;
	c->woff = 0;
	c->sent_ms = h->now_ms;
}

/*
 * What is left of the answer, in iov (head, then the shared body: one
 * sendmsg() sends both, so that no small second write waits on Nagle);
 * its number of bytes.
 */
static size_t answer_left(const struct conn *c, struct iovec iov[2])
{
	size_t body = c->page ? c->page->body.len : 0, at = c->woff;

	iov[0].iov_base = c->resp.p + (at < c->resp.len ? at : c->resp.len);
	iov[0].iov_len = at < c->resp.len ? c->resp.len - at : 0;
	at = at > c->resp.len ? at - c->resp.len : 0;
	iov[1].iov_base = c->page ? c->page->body.p + at : NULL;
	iov[1].iov_len = body - at;
	return iov[0].iov_len + iov[1].iov_len;
}

/*
 * Read what is there; answer once the head is complete (or the buffer
 * full).  A client whose request was not read whole gets its answer,
 * then has the rest read and dropped until it closes: closing with bytes
 * unread would send a reset, which can destroy the answer on its way.
 */
static void conn_step(struct http_exporter *h, struct conn *c, time_t now)
{
	struct iovec iov[2];

	while (c->draining) {
		char junk[4096];
		ssize_t n = read(c->fd, junk, sizeof(junk));

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			conn_close(h, c);
			return;
		}
	}
	while (!c->answering && !c->draining) {
		ssize_t n =
			read(c->fd, c->req + c->rlen, MAX_REQUEST - c->rlen);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			conn_close(h, c);
			return;
		}
		c->rlen += n;
		c->req[c->rlen] = '\0';
		if (head_end(c->req) || c->rlen == MAX_REQUEST)
			respond(h, c);
	}
	while (c->answering && answer_left(c, iov)) {
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
		ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0 || c->resp.oom) {
			conn_close(h, c);
			return;
		}
		c->woff += n;
		c->sent_ms = h->now_ms;
	}
	if (c->answering && !answer_left(c, iov)) {
		shutdown(c->fd, SHUT_WR);
		if (!c->linger) {
			conn_close(h, c);
			return;
		}
		c->answering = false;
		c->draining = true;
	}
	if (now - c->since > IDLE_SEC)
		conn_close(h, c);
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
	h->gen++; /* a new scrape moment: what was rendered is old */
	for (;;) {
		struct conn *c = slot_for_new(h, before);
		int fd;

		if (!c)
			break; /* the rest waits in the backlog */
		fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		conn_close(h, c); /* the oldest silent client, if not free */
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
			conn_close(h, c);
	}
}
