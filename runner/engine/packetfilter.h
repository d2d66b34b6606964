/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gadget/packetfilter.h's filters, as Inspektor Gadget applies them: each
 * function gadget_pf_<name> of a program is a packet filter whose
 * expression is the gadget param `pf-<name>` (`pf` when the name is
 * empty).  An expression (tcpdump syntax) is compiled by libpcap to
 * classic BPF for Ethernet, translated to eBPF (cbpf.h), and put in
 * place of the function's body at load time: its body becomes a call to
 * the translated function, appended to the program with its BTF function
 * and line records.  Without an expression the stub stays (every packet).
 * "__reject_all__" rejects every packet, as in ig.
 */
#ifndef RUNNER_PACKETFILTER_H
#define RUNNER_PACKETFILTER_H

#include <stddef.h>

#include "common/error.h"
#include "runner/engine/cbpf.h"

struct btf;
struct pf_load;

#define PF_PREFIX "gadget_pf_"
#define PF_PARAM "pf"

/* The classic program libpcap makes of expr (Ethernet link type). */
int pf_compile_cbpf(const char *expr, struct cbpf_insn **out, size_t *n,
		    struct error **err);

/* Call before opening an object whose filters may be replaced: makes
 * libpcap's sections and the others go through pf's load hook (once per
 * process). */
int pf_register(struct error **err);

/*
 * Around bpf_object__load(): the filters (names without the prefix, their
 * expressions, NULL or "" for none) of the object whose BTF is btf.
 * Expressions are compiled here, so errors name their param.
 */
int pf_load_begin(const struct btf *btf, const char *const *names,
		  const char *const *exprs, size_t n, struct pf_load **out,
		  struct error **err);
/* After the load: why the hook failed, if it did (NULL otherwise). */
const char *pf_load_error(const struct pf_load *l);
/* After a load: a filter with an expression that no program calls (or
 * whose function has no BTF record): its name, else NULL. */
const char *pf_load_unapplied(const struct pf_load *l);
void pf_load_end(struct pf_load *l);

#endif
