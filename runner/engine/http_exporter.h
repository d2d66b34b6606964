/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A minimal HTTP/1.1 server for GET /metrics, driven from the caller's
 * event loop: every socket is non-blocking and http_exporter_poll() does
 * what is ready without waiting, so a slow scraper never stalls the
 * events.  One response per connection (Connection: close).
 */
#ifndef RUNNER_ENGINE_HTTP_EXPORTER_H
#define RUNNER_ENGINE_HTTP_EXPORTER_H

#include <stdbool.h>

#include "common/error.h"
#include "runner/engine/metrics.h"

struct http_exporter;

/* Append the body of a scrape to b; openmetrics when the client asked. */
typedef void (*http_render_fn)(void *ctx, bool openmetrics, struct mbuf *b);

/*
 * Listen on addr: "HOST:PORT" or "[V6]:PORT"; ":PORT", "0.0.0.0:PORT" and
 * "[::]:PORT" listen on every address of IPv4 and IPv6 (as ig does).
 * Port 0 picks a free one.
 */
int http_exporter_new(const char *addr, http_render_fn fn, void *ctx,
		      struct http_exporter **out, struct error **err);
/* Is addr one http_exporter_new() can listen on (a usage check)? */
int http_addr_check(const char *addr, struct error **err);
void http_exporter_free(struct http_exporter *h);
/* The port it listens on. */
int http_exporter_port(const struct http_exporter *h);
/* Accept, read and answer whatever is ready; never blocks. */
void http_exporter_poll(struct http_exporter *h);
/* The listening socket: readable when a client connects. */
int http_exporter_fd(const struct http_exporter *h);
/* Whether connections are open: to be polled again soon. */
bool http_exporter_busy(const struct http_exporter *h);

/* Does an Accept header prefer OpenMetrics to the text format (q-values
 * honoured, q=0 refused, as RFC 9110 12.5.1 says)? */
bool http_wants_openmetrics(const char *accept);

/* The longest request head read (else 431). */
#define HTTP_MAX_HEAD 8192

/* What a request head (NUL-terminated, untrusted) asks for. */
struct http_request {
	char method[8];
	/* the target's path (origin or absolute form) cleaned of ".", ".."
	 * and empty segments as Go's ServeMux does, then percent-decoded;
	 * if moved, as sent (escapes kept): where to redirect */
	char path[HTTP_MAX_HEAD + 1];
	const char *query; /* in the head, after '?'; query_len bytes */
	size_t query_len;
	bool bad; /* a target Go's server refuses (400) */
	bool moved; /* path is not the target's own: redirect (301) */
	bool head; /* HEAD: no body */
	bool openmetrics; /* Accept prefers application/openmetrics-text */
};
void http_request_parse(const char *head, struct http_request *r);

#endif
