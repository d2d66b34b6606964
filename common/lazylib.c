// SPDX-License-Identifier: Apache-2.0
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "common/lazylib.h"

/* What ld.so does at start for a library it cannot find (see lazylib.h). */
static void __attribute__((noreturn)) fail(const char *what)
{
	fprintf(stderr, "runner: %s\n", what ? what : "dlopen failed");
	_exit(127);
}

void *lazylib_sym(struct lazylib *lib, const char *name)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	void *h, *p;

	pthread_mutex_lock(&lock);
	if (!lib->handle)
		lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	h = lib->handle;
	pthread_mutex_unlock(&lock);
	if (!h)
		fail(dlerror());
	p = dlsym(h, name);
	if (!p)
		fail(dlerror());
	return p;
}

/* The sonames the build linked against (Makefile), else Debian 12's. */
#ifndef LAZY_SONAME_CURL
#define LAZY_SONAME_CURL "libcurl.so.4"
#endif
#ifndef LAZY_SONAME_ARCHIVE
#define LAZY_SONAME_ARCHIVE "libarchive.so.13"
#endif
#ifndef LAZY_SONAME_CRYPTO
#define LAZY_SONAME_CRYPTO "libcrypto.so.3"
#endif
#ifndef LAZY_SONAME_PCAP
#define LAZY_SONAME_PCAP "libpcap.so.0.8"
#endif
#ifndef LAZY_SONAME_SECCOMP
#define LAZY_SONAME_SECCOMP "libseccomp.so.2"
#endif
#ifndef LAZY_SONAME_PCRE2
#define LAZY_SONAME_PCRE2 "libpcre2-8.so.0"
#endif

struct lazylib lazy_curl = { LAZY_SONAME_CURL, NULL };
struct lazylib lazy_archive = { LAZY_SONAME_ARCHIVE, NULL };
struct lazylib lazy_crypto = { LAZY_SONAME_CRYPTO, NULL };
struct lazylib lazy_pcap = { LAZY_SONAME_PCAP, NULL };
struct lazylib lazy_seccomp = { LAZY_SONAME_SECCOMP, NULL };
struct lazylib lazy_pcre2 = { LAZY_SONAME_PCRE2, NULL };
