/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Packet filters (tcpdump expressions) for skb programs.
 *
 * GADGET_PF(name) defines a filter as a separate (noinline) BPF function;
 * gadget_pf_matches([name,] skb, data, data_end) calls it.  As compiled,
 * the filter keeps every non-empty packet.  Its three leading skb
 * arguments are the same pointer: they keep R1-R3 for code that replaces
 * the body (a classic BPF filter translated to eBPF, as Inspektor Gadget
 * does for its --pf flag).  The name may be left empty: GADGET_PF().
 */
#ifndef GADGET_PACKETFILTER_H
#define GADGET_PACKETFILTER_H

#define GADGET_PF(name)                                                        \
	static __attribute__((noinline)) bool gadget_pf_##name(                \
		void *__pf_skb1, void *__pf_skb2, void *__pf_skb3,             \
		void *__pf_data, void *__pf_data_end)                          \
	{                                                                      \
		return __pf_data != __pf_data_end && __pf_skb1 == __pf_skb2 && \
		       __pf_skb2 == __pf_skb3;                                 \
	}

#define __GADGET_PF_CALL(name, skb, data, data_end) \
	gadget_pf_##name(skb, skb, skb, data, data_end)

/* gadget_pf_matches(skb, data, data_end) or (name, skb, data, data_end). */
#define __GADGET_PF_PICK(_1, _2, _3, _4, which, ...) which
#define __GADGET_PF_3(skb, data, data_end) \
	__GADGET_PF_CALL(, skb, data, data_end)
#define __GADGET_PF_4(name, skb, data, data_end) \
	__GADGET_PF_CALL(name, skb, data, data_end)
#define __GADGET_PF_BAD(...) \
	_Static_assert(0, "gadget_pf_matches: 3 or 4 arguments")
#define gadget_pf_matches(...)                                              \
	__GADGET_PF_PICK(__VA_ARGS__, __GADGET_PF_4, __GADGET_PF_3,         \
			 __GADGET_PF_BAD, __GADGET_PF_BAD, __GADGET_PF_BAD) \
	(__VA_ARGS__)

#endif /* GADGET_PACKETFILTER_H */
