/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image references, normalised like Inspektor Gadget's `ig`:
 *   trace_dns              -> ghcr.io/inspektor-gadget/gadget/trace_dns:latest
 *   localhost:5000/x/y:v1  -> localhost:5000/x/y:v1
 *   docker.io/busybox      -> docker.io/library/busybox:latest (as docker)
 *   name@sha256:<hex>      -> digest kept, tag may be absent
 */
#ifndef OCI_REF_H
#define OCI_REF_H

#include "common/error.h"

#define OCI_DEFAULT_PREFIX "ghcr.io/inspektor-gadget/gadget/"

struct oci_ref {
	char *registry; /* "ghcr.io", "localhost:5000" */
	char *repository; /* "inspektor-gadget/gadget/trace_dns" */
	char *tag; /* "latest"; NULL when only a digest was given */
	char *digest; /* "sha256:<64 hex>" or NULL */
};

/* Parse and normalise s; default_prefix NULL means OCI_DEFAULT_PREFIX. */
int oci_ref_parse(const char *s, const char *default_prefix,
		  struct oci_ref **out, struct error **err);
/* "registry/repository[:tag][@digest]", malloc'd. */
char *oci_ref_format(const struct oci_ref *ref);
void oci_ref_free(struct oci_ref *ref);

/* "registry/repository", malloc'd. */
char *oci_ref_name(const struct oci_ref *ref);
/* Parse s and format it back: the normalised string, malloc'd in *out. */
int oci_ref_normalize(const char *s, const char *default_prefix, char **out,
		      struct error **err);

static inline void oci_ref_freep(struct oci_ref **ref)
{
	oci_ref_free(*ref);
}

#define cleanup_ref __attribute__((cleanup(oci_ref_freep)))

#endif
