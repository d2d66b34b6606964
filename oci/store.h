/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local image store: a standard OCI image layout (oci-layout,
 * index.json, blobs/sha256/...).  Tags are recorded in index.json as the
 * annotation org.opencontainers.image.ref.name = the full normalised
 * reference.  Writes are atomic and index.json is locked.
 */
#ifndef OCI_STORE_H
#define OCI_STORE_H

#include <stddef.h>

#include "common/error.h"

#define OCI_STORE_DEFAULT_DIR "/var/lib/runner/oci-store"

struct oci_store;

/* Open (and create if missing) the layout at dir. */
int oci_store_open(const char *dir, struct oci_store **out,
		   struct error **err);
void oci_store_free(struct oci_store *store);

/* One eBPF program per architecture ("amd64", "arm64"). */
struct oci_gadget_arch {
	const char *arch;
	const void *program;
	size_t program_len;
};

struct oci_annotation {
	const char *key;
	const char *value;
};

/*
 * Store a gadget image: the gadget.yaml bytes as config, one manifest per
 * architecture, an index over them, tagged as ref (a normalised reference).
 * On success *index_digest (if not NULL) receives "sha256:..." (malloc'd).
 */
int oci_store_add_gadget(struct oci_store *store, const char *ref,
			 const void *config, size_t config_len,
			 const struct oci_gadget_arch *archs, size_t n_archs,
			 const struct oci_annotation *ann, size_t n_ann,
			 char **index_digest, struct error **err);

struct oci_gadget {
	char *ref; /* normalised reference it was found under */
	char *digest; /* digest of the index (or manifest) the ref names */
	char *config; /* gadget.yaml, NUL-terminated */
	size_t config_len;
	void *program; /* the eBPF ELF for the requested architecture */
	size_t program_len;
};

/*
 * Look up ref (normalised) and read the config and the program for arch
 * ("amd64", "arm64"; NULL = this machine's).  Digests are verified.
 */
int oci_store_get_gadget(struct oci_store *store, const char *ref,
			 const char *arch, struct oci_gadget **out,
			 struct error **err);
void oci_gadget_free(struct oci_gadget *gadget);

/* This machine's OCI architecture name ("amd64", "arm64", ...). */
const char *oci_host_arch(void);

#endif
