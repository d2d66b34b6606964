/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * trace_dns, loops the verifier checks once: can_loop; and bpf_loop()
 * calls it need not inline: NOT_INLINED.
 * A part of program.bpf.c, included once at its place there.
 *
 * A loop bounded by a constant count (for (i = 0; i < 96; i++)) is
 * verified one iteration after the other: its counter takes part in
 * every comparison, so no two iterations look alike, and 96 iterations
 * of a body with a few branches cost the verifier tens of thousands of
 * instructions.  The may_goto instruction (Linux 6.9) bounds a loop
 * another way: the kernel gives each program a budget of iterations
 * (8M), and may_goto jumps out of the loop once it is spent.  The
 * verifier then checks such a loop like an iterator: once the state at
 * may_goto is within one it has seen there (values the loop's safety
 * does not depend on, such as a cursor that is masked before use, are
 * not compared), the loop is done.  At run time may_goto is a decrement
 * of a counter on the stack and a branch.
 *
 * The loops here still end by their own bounds (the message's length,
 * the name's buffer), long before the budget; may_goto is only the
 * proof of termination the verifier takes cheaply.
 *
 * clang 14 does not know the instruction: it is written as its bytes
 * (opcode BPF_JMP | BPF_JCOND = 0xe5, no registers, the jump offset in
 * instructions, imm 0), with the label of the loop's exit as the target.
 */
#ifndef TRACE_DNS_LOOP_BPF_H
#define TRACE_DNS_LOOP_BPF_H

/* True while the kernel's loop budget lasts: while (cond && can_loop). */
#define can_loop                                                        \
	({                                                              \
		__label__ spent, go_on;                                 \
		bool __ok = true;                                       \
		asm volatile goto(                                      \
			"1: .byte 0xe5, 0\n\t"                          \
			".long ((%l[spent] - 1b - 8) / 8) & 0xffff\n\t" \
			".short 0" ::                                   \
				:                                       \
			: spent);                                       \
		goto go_on;                                             \
spent:                                                                  \
		__ok = false;                                           \
go_on:                                                                  \
		__ok;                                                   \
	})

/*
 * x, as a value the verifier does not know: x plus a zero read from .bss
 * (a map, which user space could write: to the verifier any number).  A
 * loop's cursor started from a constant is a constant in each iteration,
 * different from the one before, and the verifier goes through them one
 * by one; started from OPAQUE(constant) and bounded in the loop's
 * condition, it has the same range in every iteration.  64-bit cursors:
 * a 32-bit one is compared on a zero-extended copy, which leaves the
 * cursor itself unbounded.
 */
static __u64 opaque_zero;
#define OPAQUE(x) ((__u64)(x) + *(volatile __u64 *)&opaque_zero)

/*
 * bpf_loop() flags (0) that the verifier does not know, so that it does
 * not inline the call: for loops that run rarely (escaped name bytes, TCP
 * segments, the once-a-second sweep).  The verifier inlines every
 * bpf_loop() whose flags are a known 0 (a loop of direct calls to the
 * callback instead of the helper's indirect ones: kept for the walkers
 * of every message), before dead code is removed, on the whole program:
 * each call adds 18 instructions, and the kernel's per-instruction data
 * (88 bytes each, ~350 KB here) is reallocated and copied whenever it
 * grows past a page.  On this VM (shadow page tables: fresh pages are
 * dear) the six calls made the filter's load ~3.3 ms longer, these three
 * ~2.5 ms of it (bench/RESULTS.md, verif16).
 */
#define NOT_INLINED OPAQUE(0)

#endif /* TRACE_DNS_LOOP_BPF_H */
