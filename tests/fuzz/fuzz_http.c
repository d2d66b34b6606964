// SPDX-License-Identifier: Apache-2.0
/*
 * http_request_parse() (runner/engine/http_exporter.c) of hostile request
 * heads: whatever arrives, the method and path come out NUL-terminated
 * within their arrays, a path taken is rooted and clean (no empty, "." or
 * ".." segment: Go's ServeMux's form), its query within the head, and
 * HEAD and the OpenMetrics choice agree with the text.
 */
#include "fuzz.h"
#include "runner/engine/http_exporter.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *head = fuzz_strndup(data, size);
	struct http_request r;

	if (!head)
		return 0;
	http_request_parse(head, &r);
	FUZZ_CHECK(memchr(r.method, '\0', sizeof(r.method)), "method");
	FUZZ_CHECK(memchr(r.path, '\0', sizeof(r.path)), "path");
	FUZZ_CHECK(r.bad || r.path[0] == '/', "path \"%s\"", r.path);
	if (!r.bad && r.moved) {
		size_t n = strlen(r.path);

		FUZZ_CHECK(!strstr(r.path, "//") && !strstr(r.path, "/./") &&
				   !strstr(r.path, "/../") &&
				   !(n >= 2 && !strcmp(r.path + n - 2, "/.")) &&
				   !(n >= 3 && !strcmp(r.path + n - 3, "/..")),
			   "unclean \"%s\"", r.path);
	}
	FUZZ_CHECK(!r.query || (r.query > head &&
				r.query + r.query_len <= head + strlen(head)),
		   "query outside the head");
	FUZZ_CHECK(r.head == !strcmp(r.method, "HEAD"), "HEAD");
	FUZZ_CHECK(!r.openmetrics ||
			   strcasestr(head, "application/openmetrics-text"),
		   "OpenMetrics without asking");
	free(head);
	return 0;
}
