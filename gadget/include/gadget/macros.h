/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Marker macros.  Each one emits an unused global whose BTF name tells the
 * runner what the object offers; parts of a name are joined by three
 * underscores.  The names follow Inspektor Gadget's conventions so that
 * gadgets written for its API build unchanged.
 */
#ifndef GADGET_MACROS_H
#define GADGET_MACROS_H

#define __gadget_unused __attribute__((unused))

/* Token pasting through one level of expansion (internal). */
#define __GADGET_PASTE(a, b) a##b
#define __GADGET_CAT(a, b) __GADGET_PASTE(a, b)

/* 1, 2 or 3: how many program names follow (internal). */
#define __GADGET_NARGS_PICK(_1, _2, _3, n, ...) n
#define __GADGET_NARGS(...) __GADGET_NARGS_PICK(__VA_ARGS__, 3, 2, 1, 0)

/* prefix<name>___<type>___<p1>[___<p2>[___<p3>]] (internal). */
#define __GADGET_PROGS_1(pfx, name, type, p1) \
	const void *pfx##name##___##type##___##p1 __gadget_unused;
#define __GADGET_PROGS_2(pfx, name, type, p1, p2) \
	const void *pfx##name##___##type##___##p1##___##p2 __gadget_unused;
#define __GADGET_PROGS_3(pfx, name, type, p1, p2, p3)               \
	const void *pfx##name##___##type##___##p1##___##p2##___##p3 \
		__gadget_unused;
#define __GADGET_PROGS(pfx, name, type, ...)                       \
	__GADGET_CAT(__GADGET_PROGS_, __GADGET_NARGS(__VA_ARGS__)) \
	(pfx, name, type, __VA_ARGS__)

/*
 * A tracer: events of type struct event_type are submitted to map_name (a
 * ring buffer).  The typed pointer keeps the struct in the object's BTF.
 */
#define GADGET_TRACER(name, map_name, event_type)                        \
	const void *gadget_tracer_##name##___##map_name##___##event_type \
		__gadget_unused;                                         \
	const struct event_type *__gadget_tracer_type_##name __gadget_unused;

/* A const volatile variable in .rodata that users may set before load. */
#define GADGET_PARAM(name) const void *gadget_param_##name __gadget_unused;

/*
 * An iterator data source: entries of struct type written by one to three
 * iter/ programs, whose outputs are concatenated.
 */
#define GADGET_ITER(name, type, ...)                                   \
	const struct type                                              \
		*__gadget_iter_type_##name##___##type __gadget_unused; \
	__GADGET_PROGS(gadget_iter_, name, type, __VA_ARGS__)

/* The older spelling of an iterator data source ("snapshotter"). */
#define GADGET_SNAPSHOTTER(name, type, ...)                                   \
	const struct type                                                     \
		*__gadget_snapshotter_type_##name##___##type __gadget_unused; \
	__GADGET_PROGS(gadget_snapshotter_, name, type, __VA_ARGS__)

/* A hash map whose entries the runner fetches as a data source. */
#define GADGET_MAPITER(name, map_name) \
	const void *gadget_mapiter_##name##___##map_name __gadget_unused;

/*
 * The map an iter/bpf_map_elem program walks (the kernel wants its fd when
 * the iterator is made): GADGET_ITER_TARGET_MAP(prog, map).
 */
#define GADGET_ITER_TARGET_MAP(prog_name, map_name)                       \
	const void *gadget_mapelem_iter_target_##prog_name##___##map_name \
		__gadget_unused;

/* The sockmap or sockhash an sk_skb or sk_msg program attaches to. */
#define GADGET_SK_TARGET_MAP(prog_name, map_name)                    \
	const void *gadget_sk_prog_target_##prog_name##___##map_name \
		__gadget_unused;

#endif /* GADGET_MACROS_H */
