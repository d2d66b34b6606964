/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by objinfo.c (which reads the ELF) and objinfo_insn.c (which
 * writes instructions as cilium/ebpf does); no other module includes it.
 */
#ifndef RUNNER_ENGINE_OBJINFO_INTERNAL_H
#define RUNNER_ENGINE_OBJINFO_INTERNAL_H

#include <stdio.h>

#include <linux/bpf.h>

/* An instruction of a program as cilium's loader leaves it. */
struct objinfo_insn {
	struct bpf_insn insn; /* src_reg as the loader sets it */
	long long constant; /* imm, both halves for ld_imm64 */
	const char *sym; /* a function starts here: its name, else NULL */
	const char *ref; /* what it refers to: map, section, function */
	const char *line; /* source line of BTF.ext starting here, or NULL */
};

/* The instruction (no offset, no symbol, no line) on f. */
void objinfo_insn_format(FILE *f, const struct objinfo_insn *in);

#endif
