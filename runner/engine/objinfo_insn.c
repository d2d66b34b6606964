// SPDX-License-Identifier: Apache-2.0
/*
 * One eBPF instruction as cilium/ebpf's asm package writes it (the text of
 * ig's ebpf.programs): "LdXMemDW dst: r6 src: r1 off: 112 imm: 0",
 * "Call FnGetCurrentPidTgid", "LoadMapPtr dst: r1 fd: 0 <events>".
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <linux/bpf.h>

#include "runner/engine/objinfo_internal.h"

/* The kernel's helper names, by number (linux/bpf.h of the build). */
#define HELPER_NAME(x) #x
static const char *const helpers[] = { __BPF_FUNC_MAPPER(HELPER_NAME) };
#undef HELPER_NAME

static const char *const alu_ops[16] = {
	"Add", "Sub", "Mul", "Div", "Or",   "And",  "LSh", "RSh",
	"Neg", "Mod", "Xor", "Mov", "ArSh", "Swap", NULL,  NULL,
};

static const char *const jump_ops[16] = {
	"Ja",	"JEq",	"JGT", "JGE", "JSet", "JNE",  "JSGT", "JSGE",
	"Call", "Exit", "JLT", "JLE", "JSLT", "JSLE", NULL,   NULL,
};

static const char *const classes[4] = { "Ld", "LdX", "St", "StX" };

static void reg(FILE *f, unsigned int r)
{
	if (r == BPF_REG_10)
		fputs("rfp", f);
	else
		fprintf(f, "r%u", r);
}

void objinfo_helper_name(char *buf, size_t size, long long n)
{
	const char *s;
	size_t k = 2;

	if (n < 0 || n >= (long long)(sizeof(helpers) / sizeof(helpers[0]))) {
		snprintf(buf, size, "BuiltinFunc(%lld)", n);
		return;
	}
	snprintf(buf, size, "Fn");
	for (s = helpers[n]; *s && k + 1 < size; s++) {
		if (*s == '_')
			continue;
		buf[k++] = s == helpers[n] || s[-1] == '_' ? toupper(*s) : *s;
	}
	buf[k] = '\0';
}

static void helper(FILE *f, long long n)
{
	char name[OBJINFO_HELPER_NAME_MAX];

	objinfo_helper_name(name, sizeof(name), n);
	fputs(name, f);
}

/* The opcode's name; false when cilium would have none for it. */
static bool op_name(FILE *f, __u8 op)
{
	unsigned int cls = BPF_CLASS(op);

	if (cls <= BPF_STX) {
		static const char *const sizes[4] = { "W", "H", "B", "DW" };
		const char *mode;

		switch (BPF_MODE(op)) {
		case BPF_IMM:
			mode = "Imm";
			break;
		case BPF_ABS:
			mode = "Abs";
			break;
		case BPF_IND:
			mode = "Ind";
			break;
		case BPF_MEM:
			mode = "Mem";
			break;
		case 0x80: /* BPF_MEMSX */
			mode = "MemSX";
			break;
		case BPF_ATOMIC:
			mode = "XAdd";
			break;
		default:
			return false;
		}
		fprintf(f, "%s%s%s", classes[cls], mode,
			sizes[BPF_SIZE(op) >> 3]);
		return true;
	}
	if (cls == BPF_ALU || cls == BPF_ALU64) {
		const char *name = alu_ops[BPF_OP(op) >> 4];

		if (!name)
			return false;
		if (BPF_OP(op) == BPF_END)
			fprintf(f, "%s%s", name,
				BPF_SRC(op) == BPF_TO_BE ? "BE" : "LE");
		else
			fprintf(f, "%s%s%s", name, cls == BPF_ALU ? "32" : "",
				BPF_SRC(op) == BPF_X ? "Reg" : "Imm");
		return true;
	}
	/* BPF_JMP, BPF_JMP32 */
	if (!jump_ops[BPF_OP(op) >> 4])
		return false;
	fprintf(f, "%s%s", jump_ops[BPF_OP(op) >> 4],
		cls == BPF_JMP32 ? "32" : "");
	if (BPF_OP(op) != BPF_EXIT && BPF_OP(op) != BPF_CALL)
		fputs(BPF_SRC(op) == BPF_X ? "Reg" : "Imm", f);
	return true;
}

void objinfo_insn_format(FILE *f, const struct objinfo_insn *in)
{
	const struct bpf_insn *i = &in->insn;
	__u8 op = i->code;
	unsigned int cls = BPF_CLASS(op);

	if (op == (BPF_LD | BPF_IMM | BPF_DW) &&
	    (i->src_reg == BPF_PSEUDO_MAP_FD ||
	     i->src_reg == BPF_PSEUDO_MAP_VALUE)) {
		fputs(i->src_reg == BPF_PSEUDO_MAP_FD ? "LoadMapPtr dst: " :
							"LoadMapValue dst: ",
		      f);
		reg(f, i->dst_reg);
		fprintf(f,
			i->src_reg == BPF_PSEUDO_MAP_FD ? " fd: %d" :
							  ", fd: %d",
			(int)(__s32)(in->constant & 0xffffffff));
		if (i->src_reg == BPF_PSEUDO_MAP_VALUE)
			fprintf(f, " off: %u",
				(unsigned int)((__u64)in->constant >> 32));
		goto ref;
	}
	if ((cls == BPF_JMP || cls == BPF_JMP32) && BPF_OP(op) == BPF_EXIT) {
		fputs("Exit", f);
		return;
	}
	if (!op_name(f, op)) {
		fprintf(f, "OpCode(%#x)", op);
		return;
	}
	fputc(' ', f);
	if (cls <= BPF_STX) {
		switch (BPF_MODE(op)) {
		case BPF_IMM:
			fputs("dst: ", f);
			reg(f, i->dst_reg);
			fprintf(f, " imm: %lld", in->constant);
			break;
		case BPF_ABS:
			fprintf(f, "imm: %lld", in->constant);
			break;
		case BPF_IND:
		case BPF_MEM:
		case 0x80:
			fputs("dst: ", f);
			reg(f, i->dst_reg);
			fputs(" src: ", f);
			reg(f, i->src_reg);
			if (BPF_MODE(op) != BPF_IND)
				fprintf(f, " off: %d", i->off);
			fprintf(f, " imm: %lld", in->constant);
			break;
		default: /* XAdd */
			fputs("dst: ", f);
			reg(f, i->dst_reg);
			fputs(" src: ", f);
			reg(f, i->src_reg);
			break;
		}
	} else if (cls == BPF_ALU || cls == BPF_ALU64) {
		fputs("dst: ", f);
		reg(f, i->dst_reg);
		if (BPF_OP(op) == BPF_END || BPF_SRC(op) == BPF_K) {
			fprintf(f, " imm: %lld", in->constant);
		} else {
			fputs(" src: ", f);
			reg(f, i->src_reg);
		}
	} else if (BPF_OP(op) == BPF_CALL) {
		if (i->src_reg == BPF_PSEUDO_CALL)
			fprintf(f, "%lld", in->constant);
		else if (i->src_reg == BPF_PSEUDO_KFUNC_CALL)
			fprintf(f, "Kfunc(%lld)", in->constant);
		else
			helper(f, in->constant);
	} else {
		fputs("dst: ", f);
		reg(f, i->dst_reg);
		fprintf(f, " off: %d ", i->off);
		if (BPF_SRC(op) == BPF_K) {
			fprintf(f, "imm: %lld", in->constant);
		} else {
			fputs("src: ", f);
			reg(f, i->src_reg);
		}
	}
ref:
	if (in->ref && *in->ref)
		fprintf(f, " <%s>", in->ref);
}
