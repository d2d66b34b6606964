/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Classic BPF (what libpcap's pcap_compile() emits) translated to an eBPF
 * function, for gadget/packetfilter.h's filters.
 *
 * The function is called as a BPF subprogram with R1 the __sk_buff, R4
 * the packet start (skb->data) and R5 its end (skb->data_end), as
 * gadget_pf_<name>(skb, skb, skb, data, data_end) receives them.  It
 * returns 1 when the classic program accepts the packet (a non-zero
 * return), 0 otherwise.  As in libpcap's interpreter, A and X start at 0,
 * a load past the packet's end or a division by X = 0 rejects the packet,
 * and `len` is the packet's length (skb->len).
 */
#ifndef RUNNER_CBPF_H
#define RUNNER_CBPF_H

#include <stddef.h>
#include <stdint.h>

struct bpf_insn;

/* One classic instruction, laid out as struct sock_filter and libpcap's
 * struct bpf_insn. */
struct cbpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

/*
 * Translate n classic instructions; *out (malloc'ed, *n_out of them) is a
 * self-contained eBPF function.  -1 with a reason in msg (size len) when
 * the program is not valid classic BPF.
 */
int cbpf_to_ebpf(const struct cbpf_insn *in, size_t n, struct bpf_insn **out,
		 size_t *n_out, char *msg, size_t len);

#endif
