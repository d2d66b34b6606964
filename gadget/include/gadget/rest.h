/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bytes after the event struct (the data source annotations
 * ebpf.rest.name/ebpf.rest.len, e.g. packet bytes for -o pcap-ng).
 * Copying them costs on every event even when nothing reads them: the
 * runner sets gadget_rest_wanted to false before load when none of its
 * outputs uses them (every output mode but pcap-ng).  A loader that does
 * not know this variable leaves it true.  A gadget that reads it sends
 * records of the struct alone (rest.len 0) when it is false; the verifier
 * drops the branch not taken, as for any const volatile.
 */
#ifndef GADGET_REST_H
#define GADGET_REST_H

const volatile bool gadget_rest_wanted = true;

#endif /* GADGET_REST_H */
