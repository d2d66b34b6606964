/* SPDX-License-Identifier: Apache-2.0 */
/* libpcre2-8, loaded on first use (common/lazylib.h): its functions the
 * project calls (the regular expressions of -F "field~re" only).  Include
 * this instead of the library's header. */
#ifndef COMMON_LAZY_PCRE2_H
#define COMMON_LAZY_PCRE2_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/lazylib.h"

extern struct lazylib lazy_pcre2;

/* pcre2.h maps pcre2_compile to pcre2_compile_8 and so on */
#define pcre2_code_free_8 LAZYLIB_FN(lazy_pcre2, pcre2_code_free_8)
#define pcre2_compile_8 LAZYLIB_FN(lazy_pcre2, pcre2_compile_8)
#define pcre2_dfa_match_8 LAZYLIB_FN(lazy_pcre2, pcre2_dfa_match_8)
#define pcre2_get_error_message_8 \
	LAZYLIB_FN(lazy_pcre2, pcre2_get_error_message_8)
#define pcre2_jit_compile_8 LAZYLIB_FN(lazy_pcre2, pcre2_jit_compile_8)
#define pcre2_jit_match_8 LAZYLIB_FN(lazy_pcre2, pcre2_jit_match_8)
#define pcre2_match_8 LAZYLIB_FN(lazy_pcre2, pcre2_match_8)
#define pcre2_match_context_create_8 \
	LAZYLIB_FN(lazy_pcre2, pcre2_match_context_create_8)
#define pcre2_match_context_free_8 \
	LAZYLIB_FN(lazy_pcre2, pcre2_match_context_free_8)
#define pcre2_match_data_create_8 \
	LAZYLIB_FN(lazy_pcre2, pcre2_match_data_create_8)
#define pcre2_match_data_free_8 LAZYLIB_FN(lazy_pcre2, pcre2_match_data_free_8)
#define pcre2_set_depth_limit_8 LAZYLIB_FN(lazy_pcre2, pcre2_set_depth_limit_8)
#define pcre2_set_heap_limit_8 LAZYLIB_FN(lazy_pcre2, pcre2_set_heap_limit_8)
#define pcre2_set_match_limit_8 LAZYLIB_FN(lazy_pcre2, pcre2_set_match_limit_8)

#endif
