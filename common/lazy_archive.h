/* SPDX-License-Identifier: Apache-2.0 */
/* libarchive, loaded on first use (common/lazylib.h): its functions the
 * project calls.  Include this instead of the library's headers. */
#ifndef COMMON_LAZY_ARCHIVE_H
#define COMMON_LAZY_ARCHIVE_H

#include <archive.h>
#include <archive_entry.h>

#include "common/lazylib.h"

extern struct lazylib lazy_archive;

#define archive_entry_filetype LAZYLIB_FN(lazy_archive, archive_entry_filetype)
#define archive_entry_free LAZYLIB_FN(lazy_archive, archive_entry_free)
#define archive_entry_hardlink LAZYLIB_FN(lazy_archive, archive_entry_hardlink)
#define archive_entry_new LAZYLIB_FN(lazy_archive, archive_entry_new)
#define archive_entry_pathname LAZYLIB_FN(lazy_archive, archive_entry_pathname)
#define archive_entry_set_filetype \
	LAZYLIB_FN(lazy_archive, archive_entry_set_filetype)
#define archive_entry_set_mtime \
	LAZYLIB_FN(lazy_archive, archive_entry_set_mtime)
#define archive_entry_set_pathname \
	LAZYLIB_FN(lazy_archive, archive_entry_set_pathname)
#define archive_entry_set_perm LAZYLIB_FN(lazy_archive, archive_entry_set_perm)
#define archive_entry_set_size LAZYLIB_FN(lazy_archive, archive_entry_set_size)
#define archive_entry_size LAZYLIB_FN(lazy_archive, archive_entry_size)
#define archive_entry_symlink LAZYLIB_FN(lazy_archive, archive_entry_symlink)
#define archive_errno LAZYLIB_FN(lazy_archive, archive_errno)
#define archive_error_string LAZYLIB_FN(lazy_archive, archive_error_string)
#define archive_read_data LAZYLIB_FN(lazy_archive, archive_read_data)
#define archive_read_free LAZYLIB_FN(lazy_archive, archive_read_free)
#define archive_read_new LAZYLIB_FN(lazy_archive, archive_read_new)
#define archive_read_next_header \
	LAZYLIB_FN(lazy_archive, archive_read_next_header)
#define archive_read_open_fd LAZYLIB_FN(lazy_archive, archive_read_open_fd)
#define archive_read_open_filename \
	LAZYLIB_FN(lazy_archive, archive_read_open_filename)
#define archive_read_support_filter_all \
	LAZYLIB_FN(lazy_archive, archive_read_support_filter_all)
#define archive_read_support_format_tar \
	LAZYLIB_FN(lazy_archive, archive_read_support_format_tar)
#define archive_version_details \
	LAZYLIB_FN(lazy_archive, archive_version_details)
#define archive_write_close LAZYLIB_FN(lazy_archive, archive_write_close)
#define archive_write_data LAZYLIB_FN(lazy_archive, archive_write_data)
#define archive_write_free LAZYLIB_FN(lazy_archive, archive_write_free)
#define archive_write_header LAZYLIB_FN(lazy_archive, archive_write_header)
#define archive_write_new LAZYLIB_FN(lazy_archive, archive_write_new)
#define archive_write_open_fd LAZYLIB_FN(lazy_archive, archive_write_open_fd)
#define archive_write_set_format_pax_restricted \
	LAZYLIB_FN(lazy_archive, archive_write_set_format_pax_restricted)

#endif
