/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A few calls of containerd's own API (gRPC: HTTP/2 without TLS over
 * containerd's unix socket, the namespace in the containerd-namespace
 * header): the labels of a container, from
 * containerd.services.containers.v1.Containers/Get (containerd's CRI
 * plugin keeps a pod's labels there, on the pod's sandbox container, and
 * nowhere on disk that is not its own database); the image a container
 * was made from, from Containers/Get, Images/Get and Content/Read.
 */
#ifndef RUNNER_CONTAINERD_API_H
#define RUNNER_CONTAINERD_API_H

#include <stddef.h>

#include "common/error.h"

/* How long one call may take. */
#define CONTAINERD_TIMEOUT_MS 250
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
/* A grpc-status value (len bytes, trimmed): its code, as gRPC writes it
 * in decimal; anything else is UNKNOWN (2), never OK (0). */
int containerd_grpc_status(const char *v, size_t len);
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

/* A container's image as containerd tells it (ig's names). */
struct containerd_image {
	char name[256]; /* the container's image */
	char id[80]; /* its config's digest (the manifest for this machine) */
	char digest[80]; /* the digest the image's name points at */
};

/*
 * Ask containerd at sock, in namespace ns, for the image of container id:
 * each call giving up after CONTAINERD_TIMEOUT_MS: 0 with what it told in
 * *out (an image no longer there: its name only), or -1 with *err as
 * containerd_container_labels() says, and in *out what was told before.
 */
int containerd_container_image(const char *sock, const char *ns, const char *id,
			       struct containerd_image *out,
			       struct error **err);

#endif
