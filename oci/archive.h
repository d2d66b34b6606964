/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Offline transport: images as an OCI image-layout tar (what skopeo calls
 * an oci-archive), written and read with libarchive.
 */
#ifndef OCI_ARCHIVE_H
#define OCI_ARCHIVE_H

#include <stddef.h>

#include "common/error.h"

struct oci_store;

/*
 * Write the images refs name (normalised references or digests), with
 * every blob they use, as an OCI layout tar at path ("-": stdout).  Each
 * index.json entry is annotated with its full reference.
 */
int oci_export(struct oci_store *store, const char *const *refs, size_t n,
	       const char *path, struct error **err);

/* Most an import reads: the tar's members, 512 bytes of header each and
 * their data in 512-byte blocks (after decompression). */
#define OCI_MAX_IMPORT_SIZE (1LL << 30)

/*
 * Import an OCI layout tar (ours, or an oci-archive made by skopeo; gzip
 * and other compressions are accepted).  Entries named by a full reference
 * keep it (normalised with default_prefix); tag, when not NULL, names the
 * archive's only image instead.  Absolute paths, "..", links and devices
 * are refused, a blob larger than any media type allows is refused at its
 * header, as is an archive larger than OCI_MAX_IMPORT_SIZE, and every
 * blob is verified before anything is stored.
 * *refs (if not NULL) receives the references stored (*n of them).
 */
int oci_import(struct oci_store *store, const char *path, const char *tag,
	       const char *default_prefix, char ***refs, size_t *n,
	       struct error **err);

#endif
