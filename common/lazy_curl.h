/* SPDX-License-Identifier: Apache-2.0 */
/* libcurl, loaded on first use (common/lazylib.h): its functions the
 * project calls.  Include this instead of the library's headers. */
#ifndef COMMON_LAZY_CURL_H
#define COMMON_LAZY_CURL_H

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
/* curl.h's checks of the argument count, as plain calls */
#undef curl_easy_getinfo
#undef curl_easy_setopt

#include "common/lazylib.h"

extern struct lazylib lazy_curl;

#define curl_easy_cleanup LAZYLIB_FN(lazy_curl, curl_easy_cleanup)
#define curl_easy_escape LAZYLIB_FN(lazy_curl, curl_easy_escape)
#define curl_easy_getinfo LAZYLIB_FN(lazy_curl, curl_easy_getinfo)
#define curl_easy_header LAZYLIB_FN(lazy_curl, curl_easy_header)
#define curl_easy_init LAZYLIB_FN(lazy_curl, curl_easy_init)
#define curl_easy_perform LAZYLIB_FN(lazy_curl, curl_easy_perform)
#define curl_easy_reset LAZYLIB_FN(lazy_curl, curl_easy_reset)
#define curl_easy_setopt LAZYLIB_FN(lazy_curl, curl_easy_setopt)
#define curl_easy_strerror LAZYLIB_FN(lazy_curl, curl_easy_strerror)
#define curl_free LAZYLIB_FN(lazy_curl, curl_free)
#define curl_global_init LAZYLIB_FN(lazy_curl, curl_global_init)
#define curl_slist_append LAZYLIB_FN(lazy_curl, curl_slist_append)
#define curl_slist_free_all LAZYLIB_FN(lazy_curl, curl_slist_free_all)
#define curl_url LAZYLIB_FN(lazy_curl, curl_url)
#define curl_url_cleanup LAZYLIB_FN(lazy_curl, curl_url_cleanup)
#define curl_url_get LAZYLIB_FN(lazy_curl, curl_url_get)
#define curl_url_set LAZYLIB_FN(lazy_curl, curl_url_set)
#define curl_version_info LAZYLIB_FN(lazy_curl, curl_version_info)

#endif
