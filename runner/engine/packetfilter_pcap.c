// SPDX-License-Identifier: Apache-2.0
/*
 * libpcap's side of the packet filters, alone in its file: <pcap.h>
 * declares a struct bpf_insn of its own (the classic one).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/lazy_pcap.h"
#include "runner/engine/packetfilter.h"

/* ig's expression for a filter that keeps nothing */
#define REJECT_ALL "__reject_all__"
#define SNAPLEN 262144

int pf_compile_cbpf(const char *expr, struct cbpf_insn **out, size_t *n,
		    struct error **err)
{
	struct bpf_program prog = { 0 };
	pcap_t *p;
	int rc = -1;

	if (!strcmp(expr, REJECT_ALL)) {
		*out = calloc(1, sizeof(**out));
		if (!*out)
			return error_set(err, ENOMEM, "packet filter");
		(*out)->code = BPF_RET | BPF_K;
		*n = 1;
		return 0;
	}
	p = pcap_open_dead(DLT_EN10MB, SNAPLEN);
	if (!p)
		return error_set(err, ENOMEM, "libpcap");
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		error_set(err, 0, "%s", pcap_geterr(p));
		goto out;
	}
	*out = calloc(prog.bf_len, sizeof(**out));
	if (!*out) {
		error_set(err, ENOMEM, "packet filter");
		goto out;
	}
	for (unsigned i = 0; i < prog.bf_len; i++) {
		(*out)[i].code = prog.bf_insns[i].code;
		(*out)[i].jt = prog.bf_insns[i].jt;
		(*out)[i].jf = prog.bf_insns[i].jf;
		(*out)[i].k = prog.bf_insns[i].k;
	}
	*n = prog.bf_len;
	rc = 0;
out:
	pcap_freecode(&prog);
	pcap_close(p);
	return rc;
}
