// SPDX-License-Identifier: Apache-2.0
/*
 * Packet filters (runner/engine/packetfilter_pcap.c, cbpf.c): a pcap
 * expression compiled by libpcap, or classic instructions as they come,
 * translated to eBPF, then both run on a packet.  The first byte picks:
 *   even  the rest up to a NUL is the expression, the bytes after it the
 *         packet; what libpcap compiles must translate
 *   odd   the next byte is the instruction count (1-64), then 8 bytes per
 *         instruction (code, jt, jf, k; little-endian), then the packet
 * A translation is run by a small eBPF interpreter that fails on what the
 * verifier refuses (a register or stack slot read before it is written, a
 * jump out of the program, a memory access outside the packet, the stack
 * or skb->len, an instruction the translator never emits), and its verdict
 * must be that of the classic program run by a reference interpreter
 * (libpcap's semantics: a load past the packet or a division by 0
 * rejects, a shift by 32 or more gives 0).
 */
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/filter.h>

#include "common/cleanup.h"
#include "runner/engine/cbpf.h"
#include "runner/engine/packetfilter.h"
#include "fuzz.h"

#define MAX_EXPR 256
#define MAX_RAW 64
#define STACK 512

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static uint32_t be(const uint8_t *p, unsigned size)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v = v << 8 | p[i];
	return v;
}

/* The classic program's verdict (0: reject) on pkt, as libpcap runs it. */
static uint32_t run_classic(const struct cbpf_insn *in, size_t n,
			    const uint8_t *pkt, uint32_t len)
{
	static const unsigned sizes[] = { 4, 2, 1, 0 };
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };

	for (size_t pc = 0; pc < n; pc++) {
		const struct cbpf_insn *c = &in[pc];
		unsigned size = sizes[BPF_SIZE(c->code) >> 3];
		uint64_t off;
		uint32_t v;

		switch (BPF_CLASS(c->code)) {
		case BPF_LD:
		case BPF_LDX:
			switch (BPF_MODE(c->code)) {
			case BPF_IMM:
				v = c->k;
				break;
			case BPF_LEN:
				v = len;
				break;
			case BPF_MEM:
				v = M[c->k];
				break;
			case BPF_MSH:
				if (c->k >= len)
					return 0;
				X = (pkt[c->k] & 0xf) << 2;
				continue;
			default: /* ABS, IND */
				off = (uint64_t)c->k +
				      (BPF_MODE(c->code) == BPF_IND ? X : 0);
				if (off + size > len)
					return 0;
				v = be(pkt + off, size);
			}
			if (BPF_CLASS(c->code) == BPF_LD)
				A = v;
			else
				X = v;
			break;
		case BPF_ST:
			M[c->k] = A;
			break;
		case BPF_STX:
			M[c->k] = X;
			break;
		case BPF_ALU:
			v = BPF_SRC(c->code) == BPF_X ? X : c->k;
			switch (BPF_OP(c->code)) {
			case BPF_ADD:
				A += v;
				break;
			case BPF_SUB:
				A -= v;
				break;
			case BPF_MUL:
				A *= v;
				break;
			case BPF_DIV:
				if (!v)
					return 0;
				A /= v;
				break;
			case BPF_MOD:
				if (!v)
					return 0;
				A %= v;
				break;
			case BPF_OR:
				A |= v;
				break;
			case BPF_AND:
				A &= v;
				break;
			case BPF_XOR:
				A ^= v;
				break;
			case BPF_LSH:
				A = v < 32 ? A << v : 0;
				break;
			case BPF_RSH:
				A = v < 32 ? A >> v : 0;
				break;
			case BPF_NEG:
				A = -A;
				break;
			}
			break;
		case BPF_JMP:
			v = BPF_SRC(c->code) == BPF_X ? X : c->k;
			switch (BPF_OP(c->code)) {
			case BPF_JA:
				pc += c->k;
				continue;
			case BPF_JEQ:
				pc += A == v ? c->jt : c->jf;
				break;
			case BPF_JGT:
				pc += A > v ? c->jt : c->jf;
				break;
			case BPF_JGE:
				pc += A >= v ? c->jt : c->jf;
				break;
			case BPF_JSET:
				pc += A & v ? c->jt : c->jf;
				break;
			}
			break;
		case BPF_RET:
			return BPF_RVAL(c->code) == BPF_K ? c->k : A;
		case BPF_MISC:
			if (BPF_MISCOP(c->code) == BPF_TAX)
				X = A;
			else
				A = X;
			break;
		}
	}
	FUZZ_CHECK(0, "the classic program ran past its end");
	return 0;
}

struct vm {
	uint64_t r[11];
	uint16_t written; /* registers */
	uint8_t stack[STACK];
	uint8_t stack_set[STACK];
	struct __sk_buff skb;
	const uint8_t *pkt;
	uint32_t len;
};

static uint64_t reg(struct vm *m, unsigned r, size_t pc)
{
	FUZZ_CHECK(r <= 10 && (m->written >> r & 1),
		   "R%u read before it is written at %zu", r, pc);
	return m->r[r];
}

static void set(struct vm *m, unsigned r, uint64_t v, size_t pc)
{
	FUZZ_CHECK(r < 10, "R%u written at %zu", r, pc);
	m->r[r] = v;
	m->written |= 1u << r;
}

/* Where [addr, addr + size) lies: the packet, skb, or the stack. */
static uint8_t *mem(struct vm *m, uint64_t addr, unsigned size, bool write,
		    size_t pc)
{
	uintptr_t a = (uintptr_t)addr;
	uintptr_t p = (uintptr_t)m->pkt, s = (uintptr_t)m->stack;
	uintptr_t k = (uintptr_t)&m->skb;

	if (a >= s && a + size <= s + STACK) {
		for (unsigned i = 0; i < size && !write; i++)
			FUZZ_CHECK(m->stack_set[a - s + i],
				   "stack byte %d read before it is written "
				   "at %zu",
				   (int)(a - s + i) - STACK, pc);
		if (write)
			memset(m->stack_set + (a - s), 1, size);
		return (uint8_t *)a;
	}
	FUZZ_CHECK(!write, "a write outside the stack at %zu", pc);
	if (a >= p && a + size <= p + m->len)
		return (uint8_t *)a;
	FUZZ_CHECK(a == k + offsetof(struct __sk_buff, len) && size == 4,
		   "a %u-byte read outside the packet and skb->len at %zu",
		   size, pc);
	return (uint8_t *)a;
}

static uint64_t alu(uint8_t op, uint64_t d, uint64_t s, bool is64, size_t pc)
{
	unsigned bits = is64 ? 64 : 32;

	switch (op) {
	case BPF_ADD:
		return d + s;
	case BPF_SUB:
		return d - s;
	case BPF_MUL:
		return d * s;
	case BPF_DIV:
		if (!is64)
			return (uint32_t)s ? (uint32_t)d / (uint32_t)s : 0;
		return s ? d / s : 0;
	case BPF_MOD:
		if (!is64)
			return (uint32_t)s ? (uint32_t)d % (uint32_t)s : d;
		return s ? d % s : d;
	case BPF_OR:
		return d | s;
	case BPF_AND:
		return d & s;
	case BPF_XOR:
		return d ^ s;
	case BPF_LSH:
		return d << (s & (bits - 1));
	case BPF_RSH:
		return (is64 ? d : (uint32_t)d) >> (s & (bits - 1));
	case BPF_NEG:
		return -d;
	case BPF_MOV:
		return s;
	}
	FUZZ_CHECK(0, "ALU operation 0x%x at %zu", op, pc);
	return 0;
}

static bool cond(uint8_t op, uint64_t d, uint64_t s, size_t pc)
{
	switch (op) {
	case BPF_JEQ:
		return d == s;
	case BPF_JNE:
		return d != s;
	case BPF_JGT:
		return d > s;
	case BPF_JGE:
		return d >= s;
	case BPF_JLT:
		return d < s;
	case BPF_JLE:
		return d <= s;
	case BPF_JSET:
		return d & s;
	}
	FUZZ_CHECK(0, "jump 0x%x at %zu", op, pc);
	return false;
}

/* The translation's verdict (r0) on pkt, as called by the gadget. */
static uint64_t run_ebpf(const struct bpf_insn *p, size_t n, const uint8_t *pkt,
			 uint32_t len)
{
	static struct vm m;
	size_t pc = 0, steps = 0;

	memset(&m, 0, sizeof(m));
	m.pkt = pkt;
	m.len = len;
	m.skb.len = len;
	/* R1-R3 skb, R4 data, R5 data_end, R10 the frame pointer */
	for (unsigned r = 1; r <= 3; r++)
		set(&m, r, (uintptr_t)&m.skb, 0);
	set(&m, 4, (uintptr_t)pkt, 0);
	set(&m, 5, (uintptr_t)pkt + len, 0);
	m.r[10] = (uintptr_t)m.stack + STACK;
	m.written |= 1u << 10;

	for (;;) {
		const struct bpf_insn *i;
		uint8_t cls, op;
		uint64_t s, d;
		bool is64, taken;

		FUZZ_CHECK(pc < n, "ran out of the program at %zu of %zu", pc,
			   n);
		FUZZ_CHECK(++steps <= n, "more steps than instructions");
		i = &p[pc];
		cls = BPF_CLASS(i->code);
		op = BPF_OP(i->code);
		switch (cls) {
		case BPF_ALU:
		case BPF_ALU64:
			is64 = cls == BPF_ALU64;
			if (op == BPF_END) {
				FUZZ_CHECK(
					!is64 &&
						BPF_SRC(i->code) == BPF_TO_BE &&
						(i->imm == 16 || i->imm == 32),
					"byte swap 0x%x/%d at %zu", i->code,
					i->imm, pc);
				d = reg(&m, i->dst_reg, pc);
				d = i->imm == 16 ? __builtin_bswap16(d) :
						   __builtin_bswap32(d);
				set(&m, i->dst_reg, d, pc);
				break;
			}
			s = BPF_SRC(i->code) == BPF_X ?
				    reg(&m, i->src_reg, pc) :
				    (uint64_t)(int64_t)i->imm;
			d = op == BPF_MOV ? 0 : reg(&m, i->dst_reg, pc);
			d = alu(op, d, s, is64, pc);
			set(&m, i->dst_reg, is64 ? d : (uint32_t)d, pc);
			break;
		case BPF_JMP:
		case BPF_JMP32:
			if (i->code == (BPF_JMP | BPF_EXIT))
				return reg(&m, 0, pc);
			if (i->code == (BPF_JMP | BPF_JA)) {
				pc += 1 + i->off;
				continue;
			}
			d = reg(&m, i->dst_reg, pc);
			s = BPF_SRC(i->code) == BPF_X ?
				    reg(&m, i->src_reg, pc) :
				    (uint64_t)(int64_t)i->imm;
			taken = cls == BPF_JMP32 ?
					cond(op, (uint32_t)d, (uint32_t)s, pc) :
					cond(op, d, s, pc);
			pc += taken ? 1 + i->off : 1;
			continue;
		case BPF_LDX: {
			static const unsigned sz[] = { 4, 2, 1, 8 };
			unsigned size = sz[BPF_SIZE(i->code) >> 3];
			uint8_t *a;

			FUZZ_CHECK(BPF_MODE(i->code) == BPF_MEM,
				   "load 0x%x at %zu", i->code, pc);
			a = mem(&m, reg(&m, i->src_reg, pc) + i->off, size,
				false, pc);
			d = 0;
			memcpy(&d, a, size); /* little-endian host */
			set(&m, i->dst_reg, d, pc);
			break;
		}
		case BPF_ST:
		case BPF_STX: {
			static const unsigned sz[] = { 4, 2, 1, 8 };
			unsigned size = sz[BPF_SIZE(i->code) >> 3];

			FUZZ_CHECK(BPF_MODE(i->code) == BPF_MEM,
				   "store 0x%x at %zu", i->code, pc);
			s = cls == BPF_STX ? reg(&m, i->src_reg, pc) :
					     (uint64_t)(int64_t)i->imm;
			memcpy(mem(&m, reg(&m, i->dst_reg, pc) + i->off, size,
				   true, pc),
			       &s, size);
			break;
		}
		default:
			FUZZ_CHECK(0, "instruction 0x%x at %zu", i->code, pc);
		}
		pc++;
	}
}

static void check(const struct cbpf_insn *in, size_t n, const uint8_t *pkt,
		  size_t len, bool must_translate)
{
	cleanup_free struct bpf_insn *out = NULL;
	size_t n_out = 0;
	char msg[128] = "";
	uint32_t want;
	uint64_t got;

	if (cbpf_to_ebpf(in, n, &out, &n_out, msg, sizeof(msg)) < 0) {
		if (getenv("FUZZ_DEBUG")) /* to check what a seed does */
			fprintf(stderr, "translate: %s\n", msg);
		FUZZ_CHECK(*msg, "failure without a message");
		FUZZ_CHECK(!must_translate,
			   "libpcap's program of %zu "
			   "instructions does not translate: %s",
			   n, msg);
		return;
	}
	FUZZ_CHECK(out && n_out, "an empty translation");
	want = run_classic(in, n, pkt, len);
	got = run_ebpf(out, n_out, pkt, len);
	if (getenv("FUZZ_DEBUG"))
		fprintf(stderr, "%zu -> %zu instructions: %u\n", n, n_out,
			want);
	FUZZ_CHECK(got == (want != 0),
		   "classic verdict %u, eBPF %llu on a %zu-byte packet", want,
		   (unsigned long long)got, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 0xfff0)
		return 0;
	if (!(data[0] & 1)) {
		cleanup_error struct error *err = NULL;
		cleanup_free struct cbpf_insn *in = NULL;
		cleanup_free char *expr = NULL;
		size_t n = strnlen((const char *)data + 1, size - 1);
		size_t n_in = 0;
		const uint8_t *pkt = data + 1 + n + (n < size - 1);

		if (n > MAX_EXPR)
			return 0;
		expr = fuzz_strndup(data + 1, n);
		if (!expr)
			return 0;
		if (pf_compile_cbpf(expr, &in, &n_in, &err) < 0) {
			if (getenv("FUZZ_DEBUG"))
				fprintf(stderr, "compile: %s\n",
					error_msg(err));
			FUZZ_CHECK(err && err->msg,
				   "failure without a message");
			return 0;
		}
		check(in, n_in, pkt, data + size - pkt, true);
	} else {
		struct cbpf_insn in[MAX_RAW];
		size_t n = size > 1 ? data[1] % MAX_RAW + 1 : 1, i;
		const uint8_t *p = data + 2;

		if (size < 2 + 8 * n)
			return 0;
		for (i = 0; i < n; i++, p += 8) {
			in[i].code = p[0] | p[1] << 8;
			in[i].jt = p[2];
			in[i].jf = p[3];
			in[i].k = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
				  (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
		}
		check(in, n, p, data + size - p, false);
	}
	return 0;
}
