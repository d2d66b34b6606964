/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCI image indexes, image manifests and descriptors (and their Docker
 * schema 2 equivalents) parsed from untrusted JSON into plain structs.
 */
#ifndef OCI_MANIFEST_H
#define OCI_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "oci/digest.h"
#include "oci/strmap.h"

#define OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_DOCKER_LIST \
	"application/vnd.docker.distribution.manifest.list.v2+json"
#define OCI_MT_DOCKER_MANIFEST \
	"application/vnd.docker.distribution.manifest.v2+json"
#define OCI_MT_GADGET_CONFIG "application/vnd.gadget.config.v1+yaml"
#define OCI_MT_GADGET_PROGRAM "application/vnd.gadget.ebpf.program.v1+binary"
#define OCI_MT_GADGET_WASM "application/vnd.gadget.wasm.program.v1+binary"
#define OCI_ARTIFACT_GADGET "application/vnd.gadget.v1+binary"

#define OCI_ANN_REF_NAME "org.opencontainers.image.ref.name"
#define OCI_ANN_CREATED "org.opencontainers.image.created"

/* Largest index or manifest accepted from a registry or an archive. */
#define OCI_MAX_MANIFEST_SIZE (4 << 20)
/* gadget.yaml: as metadata/ parses it (YAML_MAX_BYTES) */
#define OCI_MAX_CONFIG_SIZE (1 << 20)
/* any other blob: an eBPF object, a signature, a WASM module */
#define OCI_MAX_BLOB_SIZE (64LL << 20)

/*
 * The largest blob of media type mt the runner takes in (pull, import):
 * a descriptor that claims more is refused before a byte is fetched.
 */
int64_t oci_media_max_size(const char *mt);

struct oci_kv {
	char *key;
	char *value;
};

struct oci_descriptor {
	char *media_type;
	char *digest; /* validated "sha256:..." */
	int64_t size; /* >= 0 */
	char *artifact_type; /* NULL when absent */
	char *arch, *os, *variant; /* platform, NULL when absent */
	struct oci_kv *annotations;
	size_t n_annotations;
};

struct oci_manifest {
	char *media_type; /* NULL when the document has none */
	char *artifact_type;
	struct oci_descriptor config;
	struct oci_descriptor *layers;
	size_t n_layers;
	struct oci_kv *annotations;
	size_t n_annotations;
};

struct oci_index {
	char *media_type;
	struct oci_descriptor *manifests;
	size_t n_manifests;
	struct oci_kv *annotations;
	size_t n_annotations;
};

enum oci_kind {
	OCI_KIND_OTHER,
	OCI_KIND_INDEX,
	OCI_KIND_MANIFEST,
};

/* Free a descriptor made alone (oci_store_resolve()); NULL is fine. */
void oci_descriptor_free(struct oci_descriptor *d);

/* What a media type names: an index (or list), a manifest, or a blob. */
enum oci_kind oci_media_kind(const char *media_type);
/*
 * The kind of a JSON document from its mediaType field, or from its shape
 * ("manifests" vs "config") when it has none.  OCI_KIND_OTHER otherwise.
 */
enum oci_kind oci_doc_kind(const void *buf, size_t len, char **media_type);

int oci_index_parse(const void *buf, size_t len, struct oci_index **out,
		    struct error **err);
void oci_index_free(struct oci_index *idx);
int oci_manifest_parse(const void *buf, size_t len, struct oci_manifest **out,
		       struct error **err);
void oci_manifest_free(struct oci_manifest *m);

/* The value for key, or NULL. */
const char *oci_kv_get(const struct oci_kv *kv, size_t n, const char *key);
/* The entry of idx for linux/arch, or NULL. */
const struct oci_descriptor *oci_index_find_arch(const struct oci_index *idx,
						 const char *arch);
/* "amd64, arm64" (malloc'd): the architectures idx offers. */
char *oci_index_archs(const struct oci_index *idx);

static inline void oci_index_freep(struct oci_index **p)
{
	oci_index_free(*p);
}

static inline void oci_manifest_freep(struct oci_manifest **p)
{
	oci_manifest_free(*p);
}

#define cleanup_index __attribute__((cleanup(oci_index_freep)))
#define cleanup_manifest __attribute__((cleanup(oci_manifest_freep)))

/*
 * Walking an image's graph: every walker (pull, push, export, import, gc)
 * parses each index or manifest into an oci_doc, visits its children in
 * one order, and stops at one nesting limit.
 */
#define OCI_MAX_NESTING 8

struct oci_doc {
	enum oci_kind kind; /* OCI_KIND_INDEX or OCI_KIND_MANIFEST */
	struct oci_index *idx;
	struct oci_manifest *m;
};

/* Parse buf as the index or manifest media type mt names. */
int oci_doc_parse(const char *mt, const void *buf, size_t len,
		  struct oci_doc *doc, struct error **err);
void oci_doc_fini(struct oci_doc *doc);
/*
 * Descriptor i of doc: an index's manifests, or a manifest's config and
 * then its layers; NULL past the last.
 */
const struct oci_descriptor *oci_doc_child(const struct oci_doc *doc, size_t i);
/* Fail ("indexes nested too deep") past OCI_MAX_NESTING. */
int oci_nesting_check(int depth, struct error **err);

#define cleanup_doc __attribute__((cleanup(oci_doc_fini)))

/*
 * The documents a walk has visited, so that each is walked once: an image
 * may name one manifest from many places, and indexes nest (an index naming
 * the next N times at each level: N^depth walks otherwise).
 */
/* The digests a walk met, hashed (a store's gc marks thousands). */
struct oci_seen {
	struct strmap map;
};

/* 1: digest was seen before; 0: it was not and now is; -1: no memory. */
int oci_seen_add(struct oci_seen *s, const char *digest, struct error **err);
/* Whether digest was seen. */
bool oci_seen_has(const struct oci_seen *s, const char *digest);
void oci_seen_fini(struct oci_seen *s);

#define cleanup_seen __attribute__((cleanup(oci_seen_fini)))

#endif
