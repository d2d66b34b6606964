/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Events as pcap-ng (the format Wireshark and tshark read), for data
 * sources that declare packet bytes the ig way: the datasource annotation
 * ebpf.rest.len names the field that says how many bytes of the record
 * follow the event struct, and those bytes (ebpf.rest.name) are a packet
 * from its IP header on, or an Ethernet frame when the data source has
 * ig's pcap.payload annotation (ig's tcpdump; pcap.packet-length then
 * names the field with the frame's length before it was cut).  The
 * packets' interfaces are ig's when fields are annotated
 * pcap.interface-key: true or pcap.interface-var: NAME (ig's tcpdump): one
 * per value of those fields, named "virtual" and described by the
 * "NAME=value" of the variables joined by ";"; else one per network
 * namespace, named after it.  The runner's own namespace's interface comes
 * first, in the header (readers want one even without packets).  One
 * enhanced packet block per event with its time (pcap.timestamp's field,
 * else the first timestamp), its length (a cut IP packet keeps the one its
 * header says) and a comment naming process, container, pod and
 * namespace.
 */
#ifndef RUNNER_PCAPNG_H
#define RUNNER_PCAPNG_H

#include <stddef.h>

#include "common/error.h"

struct fieldset;
struct render_ctx;
struct pcapng;

/* Fails when fs declares no packet bytes. */
int pcapng_new(const struct fieldset *fs, struct pcapng **out,
	       struct error **err);
void pcapng_free(struct pcapng *p);
/* Bytes pcapng_event() can write at most for one event. */
size_t pcapng_max_event(const struct pcapng *p);
/* The section header block, into out (pcapng_max_event() bytes). */
size_t pcapng_header(struct pcapng *p, char *out);
/* The blocks of one event (record of size bytes, at least the struct). */
size_t pcapng_event(struct pcapng *p, struct render_ctx *rc, const void *ev,
		    size_t size, char *out);

#endif
