/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One call of containerd's own API: the labels of a container, from
 * containerd.services.containers.v1.Containers/Get (gRPC: HTTP/2 without
 * TLS over containerd's unix socket, the namespace in the
 * containerd-namespace header).  containerd's CRI plugin keeps a pod's
 * labels there, on the pod's sandbox container, and nowhere on disk that
 * is not its own database.
 */
#ifndef RUNNER_CONTAINERD_API_H
#define RUNNER_CONTAINERD_API_H

#include <stddef.h>

#include "common/error.h"

/* The largest response taken (a container's OCI spec travels with it). */
#define CONTAINERD_MAX_RESPONSE (1 << 20)

/* One label; key and value are NUL-terminated, valid during the call. */
typedef void (*containerd_label_fn)(void *ctx, const char *key,
				    const char *value);

/*
 * The labels in the body of a Get response (gRPC length-prefixed
 * messages): fn for each; 0, or -1 if the body is malformed (labels met
 * before the fault were told).
 */
int containerd_parse_get(const void *body, size_t len, containerd_label_fn fn,
			 void *ctx);
/*
 * Ask containerd at socket path sock, in namespace ns, for the labels of
 * container id, giving up after timeout_ms: 0 after fn for each label, or
 * -1 with *err (errnum ESRCH: no such container; the socket's errno when
 * it cannot be reached).
 */
int containerd_container_labels(const char *sock, const char *ns,
				const char *id, long timeout_ms,
				containerd_label_fn fn, void *ctx,
				struct error **err);

#endif
