// SPDX-License-Identifier: Apache-2.0
/*
 * Classic BPF to eBPF.  Registers:
 *
 *   R6 data, R7 data_end, R8 skb, W9 A, W0 X (R0 is only the return
 *   value at exit), R1-R3 temporaries, M[i] at R10 - 64 + 4 * i.
 *
 * Each classic instruction becomes a few eBPF ones; jumps are resolved
 * once every instruction's start is known.  Packet loads check their
 * bounds against data_end the way the verifier accepts for direct packet
 * access (offsets bounded by 0xffff).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>
#include <linux/filter.h>

#include "common/grow.h"
#include "common/strfmt.h"
#include "runner/engine/cbpf.h"

#define R_DATA BPF_REG_6
#define R_END BPF_REG_7
#define R_SKB BPF_REG_8
#define R_A BPF_REG_9
#define R_X BPF_REG_0
#define MEM_OFF (-4 * BPF_MEMWORDS)
#define MAX_PKT_OFF 0xffff
/* jump targets past the program: the shared "reject" exit */
#define T_REJECT ((size_t)-1)

struct fixup {
	size_t at; /* eBPF jump to patch */
	size_t target; /* classic index, or T_REJECT */
};

struct xlate {
	struct bpf_insn *insns;
	size_t n, cap;
	struct fixup *fix;
	size_t n_fix, cap_fix;
	bool nomem;
};

static struct bpf_insn insn(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	struct bpf_insn i = {
		.code = code,
		.dst_reg = dst,
		.src_reg = src,
		.off = off,
		.imm = imm,
	};

	return i;
}

static void emit(struct xlate *x, struct bpf_insn i)
{
	if (grow_array((void **)&x->insns, &x->cap, x->n + 1, sizeof(*x->insns),
		       64)) {
		x->nomem = true;
		return;
	}
	x->insns[x->n++] = i;
}

/* A jump (its offset patched later) to a classic instruction. */
static void emit_jump(struct xlate *x, struct bpf_insn i, size_t target)
{
	if (grow_array((void **)&x->fix, &x->cap_fix, x->n_fix + 1,
		       sizeof(*x->fix), 64)) {
		x->nomem = true;
		return;
	}
	x->fix[x->n_fix].at = x->n;
	x->fix[x->n_fix++].target = target;
	emit(x, i);
}

static void reject_if(struct xlate *x, __u8 op, __u8 dst, __u8 src, __s32 imm)
{
	emit_jump(x,
		  insn(BPF_JMP | op | (src ? BPF_X : BPF_K), dst, src, 0, imm),
		  T_REJECT);
}

/* dst = the big-endian size-byte word at packet offset k (+ X if ind). */
static void load_packet(struct xlate *x, __u8 dst, unsigned size, __u32 k,
			bool ind)
{
	static const __u8 sz[] = { [1] = BPF_B, [2] = BPF_H, [4] = BPF_W };

	if (k > MAX_PKT_OFF - size) { /* never within a packet we see */
		emit_jump(x, insn(BPF_JMP | BPF_JA, 0, 0, 0, 0), T_REJECT);
		return;
	}
	if (ind) {
		/* r1 = X + k without wrapping, bounded for the verifier */
		emit(x, insn(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, R_X, 0, 0));
		emit(x, insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, k));
		reject_if(x, BPF_JGT, BPF_REG_1, 0, MAX_PKT_OFF - size);
		emit(x, insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, R_DATA, 0,
			     0));
		emit(x, insn(BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_2, BPF_REG_1,
			     0, 0));
	} else {
		emit(x, insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, R_DATA, 0,
			     0));
		emit(x, insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, k));
	}
	emit(x, insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0));
	emit(x, insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, size));
	reject_if(x, BPF_JGT, BPF_REG_3, R_END, 0);
	emit(x, insn(BPF_LDX | BPF_MEM | sz[size], dst, BPF_REG_2, 0, 0));
	if (size > 1)
		emit(x,
		     insn(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, size * 8));
}

/* Write the reason into msg (len bytes); -1. */
#define fail(msg, len, ...) (fmt_cut(msg, len, __VA_ARGS__), -1)

/* Is the classic program using scratch memory?  Then zero it first. */
static bool uses_mem(const struct cbpf_insn *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		__u16 c = in[i].code;

		if (BPF_CLASS(c) == BPF_ST || BPF_CLASS(c) == BPF_STX ||
		    ((BPF_CLASS(c) == BPF_LD || BPF_CLASS(c) == BPF_LDX) &&
		     BPF_MODE(c) == BPF_MEM))
			return true;
	}
	return false;
}

static int xlate_alu(struct xlate *x, const struct cbpf_insn *c, char *msg,
		     size_t len)
{
	__u8 op = BPF_OP(c->code);
	bool by_x = BPF_SRC(c->code) == BPF_X;

	switch (op) {
	case BPF_ADD:
	case BPF_SUB:
	case BPF_MUL:
	case BPF_OR:
	case BPF_AND:
	case BPF_XOR:
		break;
	case BPF_DIV:
	case BPF_MOD:
		if (!by_x && !c->k)
			return fail(msg, len, "division by 0");
		if (by_x) /* as libpcap: A / 0 rejects */
			reject_if(x, BPF_JEQ, R_X, 0, 0);
		break;
	case BPF_LSH:
	case BPF_RSH:
		if (!by_x && c->k >= 32)
			return fail(msg, len, "shift by %u", c->k);
		if (by_x) {
			/* as libpcap: a shift by 32 or more gives 0 */
			emit(x,
			     insn(BPF_JMP32 | BPF_JLT | BPF_K, R_X, 0, 2, 32));
			emit(x, insn(BPF_ALU | BPF_MOV | BPF_K, R_A, 0, 0, 0));
			emit(x, insn(BPF_JMP | BPF_JA, 0, 0, 1, 0));
		}
		break;
	case BPF_NEG:
		emit(x, insn(BPF_ALU | BPF_NEG, R_A, 0, 0, 0));
		return 0;
	default:
		return fail(msg, len, "unknown ALU operation 0x%x", c->code);
	}
	emit(x, insn(BPF_ALU | op | (by_x ? BPF_X : BPF_K), R_A, by_x ? R_X : 0,
		     0, by_x ? 0 : (__s32)c->k));
	return 0;
}

static int xlate_jmp(struct xlate *x, const struct cbpf_insn *c, size_t pc,
		     size_t n, char *msg, size_t len)
{
	__u8 op = BPF_OP(c->code);
	bool by_x = BPF_SRC(c->code) == BPF_X;
	size_t t = pc + 1 + c->jt, f = pc + 1 + c->jf;

	if (op == BPF_JA) {
		if (c->k >= n - pc - 1)
			return fail(msg, len, "jump out of the program at %zu",
				    pc);
		emit_jump(x, insn(BPF_JMP | BPF_JA, 0, 0, 0, 0), pc + 1 + c->k);
		return 0;
	}
	if (op != BPF_JEQ && op != BPF_JGT && op != BPF_JGE && op != BPF_JSET)
		return fail(msg, len, "unknown jump 0x%x", c->code);
	if (t >= n || f >= n)
		return fail(msg, len, "jump out of the program at %zu", pc);
	emit_jump(x,
		  insn(BPF_JMP32 | op | (by_x ? BPF_X : BPF_K), R_A,
		       by_x ? R_X : 0, 0, by_x ? 0 : (__s32)c->k),
		  t);
	if (f != pc + 1)
		emit_jump(x, insn(BPF_JMP | BPF_JA, 0, 0, 0, 0), f);
	return 0;
}

/* r0 = (A or k) != 0; exit */
static void emit_ret(struct xlate *x, const struct cbpf_insn *c)
{
	if (BPF_RVAL(c->code) == BPF_K) {
		emit(x, insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0,
			     c->k != 0));
	} else {
		emit(x, insn(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_0, R_A, 0, 0));
		emit(x, insn(BPF_JMP32 | BPF_JEQ | BPF_K, BPF_REG_0, 0, 1, 0));
		emit(x, insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1));
	}
	emit(x, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

static int xlate_one(struct xlate *x, const struct cbpf_insn *c, size_t pc,
		     size_t n, char *msg, size_t len)
{
	static const unsigned sizes[] = { [BPF_W >> 3] = 4,
					  [BPF_H >> 3] = 2,
					  [BPF_B >> 3] = 1 };
	unsigned size =
		BPF_SIZE(c->code) == 0x18 ? 0 : sizes[BPF_SIZE(c->code) >> 3];
	__u8 dst = BPF_CLASS(c->code) == BPF_LD ? R_A : R_X;

	switch (BPF_CLASS(c->code)) {
	case BPF_LD:
	case BPF_LDX:
		switch (BPF_MODE(c->code)) {
		case BPF_IMM:
			emit(x, insn(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0,
				     (__s32)c->k));
			return 0;
		case BPF_LEN: /* skb->len */
			emit(x, insn(BPF_LDX | BPF_MEM | BPF_W, dst, R_SKB,
				     offsetof(struct __sk_buff, len), 0));
			return 0;
		case BPF_MEM:
			if (c->k >= BPF_MEMWORDS)
				return fail(msg, len, "M[%u] at %zu", c->k, pc);
			emit(x, insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_10,
				     MEM_OFF + 4 * c->k, 0));
			return 0;
		case BPF_ABS:
		case BPF_IND:
			if (BPF_CLASS(c->code) != BPF_LD || !size)
				break;
			load_packet(x, R_A, size, c->k,
				    BPF_MODE(c->code) == BPF_IND);
			return 0;
		case BPF_MSH:
			if (BPF_CLASS(c->code) != BPF_LDX ||
			    BPF_SIZE(c->code) != BPF_B)
				break;
			load_packet(x, R_X, 1, c->k, false);
			emit(x,
			     insn(BPF_ALU | BPF_AND | BPF_K, R_X, 0, 0, 0xf));
			emit(x, insn(BPF_ALU | BPF_LSH | BPF_K, R_X, 0, 0, 2));
			return 0;
		}
		return fail(msg, len, "unknown load 0x%x at %zu", c->code, pc);
	case BPF_ST:
	case BPF_STX:
		if (c->k >= BPF_MEMWORDS)
			return fail(msg, len, "M[%u] at %zu", c->k, pc);
		emit(x, insn(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10,
			     BPF_CLASS(c->code) == BPF_ST ? R_A : R_X,
			     MEM_OFF + 4 * c->k, 0));
		return 0;
	case BPF_ALU:
		return xlate_alu(x, c, msg, len);
	case BPF_JMP:
		return xlate_jmp(x, c, pc, n, msg, len);
	case BPF_RET:
		if (BPF_RVAL(c->code) != BPF_K && BPF_RVAL(c->code) != BPF_A)
			break;
		emit_ret(x, c);
		return 0;
	case BPF_MISC:
		if (c->code == (BPF_MISC | BPF_TAX))
			emit(x,
			     insn(BPF_ALU | BPF_MOV | BPF_X, R_X, R_A, 0, 0));
		else if (c->code == (BPF_MISC | BPF_TXA))
			emit(x,
			     insn(BPF_ALU | BPF_MOV | BPF_X, R_A, R_X, 0, 0));
		else
			break;
		return 0;
	}
	return fail(msg, len, "unknown instruction 0x%x at %zu", c->code, pc);
}

/* A packet load at an offset no packet we see reaches: it always rejects
 * (load_packet()), so what follows it is not reached that way. */
static bool far_load(const struct cbpf_insn *c)
{
	static const unsigned sizes[] = { 4, 2, 1, 0 };
	unsigned size = sizes[BPF_SIZE(c->code) >> 3];

	if (BPF_CLASS(c->code) == BPF_LDX && BPF_MODE(c->code) == BPF_MSH)
		size = 1;
	else if (BPF_CLASS(c->code) != BPF_LD ||
		 (BPF_MODE(c->code) != BPF_ABS && BPF_MODE(c->code) != BPF_IND))
		return false;
	return size && c->k > MAX_PKT_OFF - size;
}

/* Which instructions a run can reach (classic jumps only go forward). */
static void mark_reachable(const struct cbpf_insn *in, size_t n, bool *reach)
{
	reach[0] = true;
	for (size_t i = 0; i < n; i++) {
		__u16 c = in[i].code;

		if (!reach[i])
			continue;
		if (BPF_CLASS(c) == BPF_RET || far_load(&in[i]))
			continue;
		if (BPF_CLASS(c) != BPF_JMP) {
			if (i + 1 < n)
				reach[i + 1] = true;
			continue;
		}
		if (BPF_OP(c) == BPF_JA) {
			if (in[i].k < n - i - 1)
				reach[i + 1 + in[i].k] = true;
			continue;
		}
		if (i + 1 + in[i].jt < n)
			reach[i + 1 + in[i].jt] = true;
		if (i + 1 + in[i].jf < n)
			reach[i + 1 + in[i].jf] = true;
	}
}

int cbpf_to_ebpf(const struct cbpf_insn *in, size_t n, struct bpf_insn **out,
		 size_t *n_out, char *msg, size_t len)
{
	struct xlate x = { 0 };
	size_t *start = NULL, i, reject;
	bool *reach = NULL;
	int rc = -1;

	if (!n || n > BPF_MAXINSNS) {
		fmt_cut(msg, len, "%zu classic instructions", n);
		return -1;
	}
	if (BPF_CLASS(in[n - 1].code) != BPF_RET) {
		fmt_cut(msg, len, "the program does not end with a return");
		return -1;
	}
	start = calloc(n, sizeof(*start));
	reach = calloc(n, sizeof(*reach));
	if (!start || !reach) {
		free(start);
		free(reach);
		fmt_cut(msg, len, "%s", strerror(ENOMEM));
		return -1;
	}
	/* data, data_end, skb; A = X = 0; the scratch memory zeroed */
	emit(&x, insn(BPF_ALU64 | BPF_MOV | BPF_X, R_DATA, BPF_REG_4, 0, 0));
	emit(&x, insn(BPF_ALU64 | BPF_MOV | BPF_X, R_END, BPF_REG_5, 0, 0));
	emit(&x, insn(BPF_ALU64 | BPF_MOV | BPF_X, R_SKB, BPF_REG_1, 0, 0));
	emit(&x, insn(BPF_ALU64 | BPF_MOV | BPF_K, R_A, 0, 0, 0));
	emit(&x, insn(BPF_ALU64 | BPF_MOV | BPF_K, R_X, 0, 0, 0));
	if (uses_mem(in, n))
		for (i = 0; i < BPF_MEMWORDS / 2; i++)
			emit(&x, insn(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0,
				      MEM_OFF + 8 * i, 0));
	/* the verifier refuses unreachable code: leave it out */
	mark_reachable(in, n, reach);
	for (i = 0; i < n; i++) {
		start[i] = x.n;
		if (reach[i] && xlate_one(&x, &in[i], i, n, msg, len))
			goto out;
	}
	/* the last classic instruction returns: nothing falls through to
	 * the rejecting exit, there only when something jumps to it */
	reject = x.n;
	for (i = 0; i < x.n_fix; i++) {
		if (x.fix[i].target != T_REJECT)
			continue;
		emit(&x, insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
		emit(&x, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
		break;
	}
	if (x.nomem) {
		fmt_cut(msg, len, "%s", strerror(ENOMEM));
		goto out;
	}
	for (i = 0; i < x.n_fix; i++) {
		size_t to = x.fix[i].target == T_REJECT ?
				    reject :
				    start[x.fix[i].target];
		long off = (long)to - (long)x.fix[i].at - 1;

		if (off < -32768 || off > 32767) {
			fmt_cut(msg, len, "jump too far");
			goto out;
		}
		x.insns[x.fix[i].at].off = (__s16)off;
	}
	*out = x.insns;
	*n_out = x.n;
	x.insns = NULL;
	rc = 0;
out:
	free(x.insns);
	free(x.fix);
	free(start);
	free(reach);
	return rc;
}
