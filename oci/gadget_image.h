/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gadget image format (compatible with Inspektor Gadget) in the local
 * store: an index with a manifest per architecture, gadget.yaml as the
 * config, the eBPF ELF as the layer, annotations from the metadata.
 */
#ifndef OCI_GADGET_IMAGE_H
#define OCI_GADGET_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "oci/store.h"

/* One eBPF program per architecture ("amd64", "arm64"), and a WebAssembly
 * module as a second layer when wasm is not NULL (ig's build gives every
 * architecture the same one). */
struct oci_gadget_arch {
	const char *arch;
	const void *program;
	size_t program_len;
	const void *wasm;
	size_t wasm_len;
};

struct oci_annotation {
	const char *key;
	const char *value;
};

/*
 * Store a gadget image: the gadget.yaml bytes as config, one manifest per
 * architecture, an index over them, tagged as ref (a normalised reference).
 * As ig's build, the annotations go on the index, on each manifest, on its
 * descriptor in the index and on the config's descriptor.  A NULL config
 * (a gadget without gadget.yaml) stores ig's empty one, "{}" as
 * application/vnd.oci.empty.v1+json.  The image is marked built on this
 * machine (oci_store_is_built()) in the same commit.
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
	bool wasm; /* the manifest has a WebAssembly module (not read) */
};

/*
 * Look up ref (normalised) and read the config and the program for arch
 * ("amd64", "arm64"; NULL = this machine's).  Digests are verified.
 */
int oci_store_get_gadget(struct oci_store *store, const char *ref,
			 const char *arch, struct oci_gadget **out,
			 struct error **err);
void oci_gadget_free(struct oci_gadget *gadget);

static inline void oci_gadget_freep(struct oci_gadget **p)
{
	oci_gadget_free(*p);
}

#define cleanup_gadget __attribute__((cleanup(oci_gadget_freep)))

#endif
