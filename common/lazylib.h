/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared libraries loaded on first use (dlopen), so that a run from the
 * local store maps none of what only image and registry commands need:
 * libcurl, libarchive, libcrypto and libpcap bring 40 more libraries and
 * ~9 MB of RSS, and cost ~7 ms to link at every start; libseccomp names
 * syscalls for the gadgets that have a gadget_syscall field; libpcre2-8
 * runs the regular expressions of -F "field~re".
 *
 * A header per library (common/lazy_curl.h, ...) includes the library's
 * own header and defines each function the project calls as LAZYLIB_FN():
 * call sites stay as they were.  LAZYLIB_FN() resolves its function once
 * per call site.  A library or function that cannot be loaded ends the
 * process with a message, as the dynamic loader would at start for a
 * library linked in: the runner was built against it.
 */
#ifndef COMMON_LAZYLIB_H
#define COMMON_LAZYLIB_H

struct lazylib {
	const char *soname;
	void *handle; /* dlopen()'s, under lazylib.c's lock */
};

/* The address of name in lib, loading lib first; never NULL. */
void *lazylib_sym(struct lazylib *lib, const char *name);

/* Function fn of lazylib lib, as a function designator of fn's type.
 * Within a macro named fn, fn is not expanded again (C11 6.10.3.4). */
#define LAZYLIB_FN(lib, fn)                                                \
	(*({                                                               \
		static __typeof__(&fn) lazy_fn_;                           \
		__typeof__(&fn) p_ =                                       \
			__atomic_load_n(&lazy_fn_, __ATOMIC_ACQUIRE);      \
		if (!p_) {                                                 \
			p_ = (__typeof__(&fn))lazylib_sym(&lib, #fn);      \
			__atomic_store_n(&lazy_fn_, p_, __ATOMIC_RELEASE); \
		}                                                          \
		p_;                                                        \
	}))

#endif
