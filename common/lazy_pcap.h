/* SPDX-License-Identifier: Apache-2.0 */
/* libpcap, loaded on first use (common/lazylib.h): its functions the
 * project calls.  Include this instead of the library's headers. */
#ifndef COMMON_LAZY_PCAP_H
#define COMMON_LAZY_PCAP_H

#include <pcap/pcap.h>

#include "common/lazylib.h"

extern struct lazylib lazy_pcap;

#define pcap_close LAZYLIB_FN(lazy_pcap, pcap_close)
#define pcap_compile LAZYLIB_FN(lazy_pcap, pcap_compile)
#define pcap_freecode LAZYLIB_FN(lazy_pcap, pcap_freecode)
#define pcap_geterr LAZYLIB_FN(lazy_pcap, pcap_geterr)
#define pcap_open_dead LAZYLIB_FN(lazy_pcap, pcap_open_dead)

#endif
