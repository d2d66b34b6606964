/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A trace_dns-like event struct and its BTF, built in code with libbpf's
 * btf__add_*() so that field tests need no kernel and no BPF object.  The
 * BTF offsets come from offsetof() on the C struct, so the two always agree.
 */
#ifndef TESTS_UNIT_FIXTURE_EVENT_H
#define TESTS_UNIT_FIXTURE_EVENT_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/btf.h>
#include <linux/types.h>
#include <bpf/btf.h>

union fx_ip_addr {
	__u8 v6[16];
	__u32 v4;
};

struct fx_l3 {
	union fx_ip_addr addr_raw;
	__u8 version;
};

struct fx_l4 {
	union fx_ip_addr addr_raw;
	__u16 port;
	__u16 proto_raw;
	__u8 version;
};

struct fx_creds {
	__u32 uid;
	__u32 gid;
};

struct fx_parent {
	char comm[16];
	__u32 pid;
};

struct fx_process {
	char comm[16];
	__u32 pid;
	__u32 tid;
	__u64 mntns_id;
	struct fx_creds creds;
	struct fx_parent parent;
};

enum fx_pkt_type {
	FX_HOST,
	FX_BROADCAST,
	FX_MULTICAST,
	FX_OTHERHOST,
	FX_OUTGOING
};

struct fx_event {
	__u64 timestamp_raw;
	__u64 netns_id;
	struct fx_process proc;
	struct fx_l4 src;
	struct fx_l4 dst;
	struct fx_l3 nameserver;
	struct fx_l3 addresses[2];
	__u64 latency_ns_raw;
	__u16 id;
	__u16 qtype_raw;
	__u8 pkt_type_raw;
	bool qr_raw;
	__u8 rcode_raw;
	bool tc;
	char name[32];
	__s32 delta;
	__u32 flags_lo : 3;
	__u32 flags_hi : 5;
	__u32 pad;
};

#define FX_BITS(m) (8 * (__u32)offsetof(struct fx_event, m))

struct fx_types {
	int u8, u16, u32, u64, s32, chr, boolean;
	int ts, netns, mntns, dur, pid, tid, uid, gid, comm;
	int ipaddr, l3, l4, creds, parent, process, pkt;
	int event;
};

static inline int fx_member(struct btf *btf, const char *name, int type,
			    __u32 bits)
{
	return btf__add_field(btf, name, type, bits, 0);
}

static inline int fx_array(struct btf *btf, int elem, __u32 n)
{
	int idx = btf__find_by_name(btf, "unsigned int");

	return btf__add_array(btf, idx, elem, n);
}

/* Build the BTF; returns the event struct's type id, fills *types. */
static inline int fx_build(struct btf *btf, struct fx_types *t)
{
	int a, v6, comm16, name32;

	t->u8 = btf__add_int(btf, "unsigned char", 1, 0);
	t->u16 = btf__add_int(btf, "unsigned short", 2, 0);
	t->u32 = btf__add_int(btf, "unsigned int", 4, 0);
	t->u64 = btf__add_int(btf, "long long unsigned int", 8, 0);
	t->s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	t->chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	t->boolean = btf__add_int(btf, "_Bool", 1, BTF_INT_BOOL);
	t->u8 = btf__add_typedef(btf, "__u8", t->u8);
	t->u16 = btf__add_typedef(btf, "__u16", t->u16);
	t->u32 = btf__add_typedef(btf, "__u32", t->u32);
	t->u64 = btf__add_typedef(btf, "__u64", t->u64);
	t->ts = btf__add_typedef(btf, "gadget_timestamp", t->u64);
	t->netns = btf__add_typedef(btf, "gadget_netns_id", t->u64);
	t->mntns = btf__add_typedef(btf, "gadget_mntns_id", t->u64);
	t->dur = btf__add_typedef(btf, "gadget_duration", t->u64);
	t->pid = btf__add_typedef(btf, "gadget_pid", t->u32);
	t->tid = btf__add_typedef(btf, "gadget_tid", t->u32);
	t->uid = btf__add_typedef(btf, "gadget_uid", t->u32);
	t->gid = btf__add_typedef(btf, "gadget_gid", t->u32);
	t->comm = btf__add_typedef(btf, "gadget_comm", t->chr);

	/* arrays first: btf__add_field() extends the last type added */
	v6 = fx_array(btf, t->u8, 16);
	comm16 = fx_array(btf, t->comm, 16);
	name32 = fx_array(btf, t->chr, 32);

	t->ipaddr = btf__add_union(btf, "gadget_ip_addr_t", 16);
	fx_member(btf, "v6", v6, 0);
	fx_member(btf, "v4", t->u32, 0);

	t->l3 = btf__add_struct(btf, "gadget_l3endpoint_t",
				sizeof(struct fx_l3));
	fx_member(btf, "addr_raw", t->ipaddr, 0);
	fx_member(btf, "version", t->u8, 8 * offsetof(struct fx_l3, version));

	t->l4 = btf__add_struct(btf, "gadget_l4endpoint_t",
				sizeof(struct fx_l4));
	fx_member(btf, "addr_raw", t->ipaddr, 0);
	fx_member(btf, "port", t->u16, 8 * offsetof(struct fx_l4, port));
	fx_member(btf, "proto_raw", t->u16,
		  8 * offsetof(struct fx_l4, proto_raw));
	fx_member(btf, "version", t->u8, 8 * offsetof(struct fx_l4, version));

	t->creds =
		btf__add_struct(btf, "gadget_creds", sizeof(struct fx_creds));
	fx_member(btf, "uid", t->uid, 0);
	fx_member(btf, "gid", t->gid, 32);

	t->parent =
		btf__add_struct(btf, "gadget_parent", sizeof(struct fx_parent));
	fx_member(btf, "comm", comm16, 0);
	fx_member(btf, "pid", t->pid, 8 * offsetof(struct fx_parent, pid));

	t->process = btf__add_struct(btf, "gadget_process",
				     sizeof(struct fx_process));
	fx_member(btf, "comm", comm16, 0);
	fx_member(btf, "pid", t->pid, 8 * offsetof(struct fx_process, pid));
	fx_member(btf, "tid", t->tid, 8 * offsetof(struct fx_process, tid));
	fx_member(btf, "mntns_id", t->mntns,
		  8 * offsetof(struct fx_process, mntns_id));
	fx_member(btf, "creds", t->creds,
		  8 * offsetof(struct fx_process, creds));
	fx_member(btf, "parent", t->parent,
		  8 * offsetof(struct fx_process, parent));

	t->pkt = btf__add_enum(btf, "pkt_type_t", 1);
	btf__add_enum_value(btf, "HOST", 0);
	btf__add_enum_value(btf, "BROADCAST", 1);
	btf__add_enum_value(btf, "MULTICAST", 2);
	btf__add_enum_value(btf, "OTHERHOST", 3);
	btf__add_enum_value(btf, "OUTGOING", 4);

	a = fx_array(btf, t->l3, 2);
	t->event = btf__add_struct(btf, "event_t", sizeof(struct fx_event));
	fx_member(btf, "timestamp_raw", t->ts, FX_BITS(timestamp_raw));
	fx_member(btf, "netns_id", t->netns, FX_BITS(netns_id));
	fx_member(btf, "proc", t->process, FX_BITS(proc));
	fx_member(btf, "src", t->l4, FX_BITS(src));
	fx_member(btf, "dst", t->l4, FX_BITS(dst));
	fx_member(btf, "nameserver", t->l3, FX_BITS(nameserver));
	fx_member(btf, "addresses", a, FX_BITS(addresses));
	fx_member(btf, "latency_ns_raw", t->dur, FX_BITS(latency_ns_raw));
	fx_member(btf, "id", t->u16, FX_BITS(id));
	fx_member(btf, "qtype_raw", t->u16, FX_BITS(qtype_raw));
	fx_member(btf, "pkt_type_raw", t->pkt, FX_BITS(pkt_type_raw));
	fx_member(btf, "qr_raw", t->boolean, FX_BITS(qr_raw));
	fx_member(btf, "rcode_raw", t->u8, FX_BITS(rcode_raw));
	fx_member(btf, "tc", t->boolean, FX_BITS(tc));
	fx_member(btf, "name", name32, FX_BITS(name));
	fx_member(btf, "delta", t->s32, FX_BITS(delta));
	btf__add_field(btf, "flags_lo", t->u32, FX_BITS(delta) + 32, 3);
	btf__add_field(btf, "flags_hi", t->u32, FX_BITS(delta) + 35, 5);
	fx_member(btf, "pad", t->u32, FX_BITS(delta) + 64);
	return t->event;
}

/* The gadget.yaml that goes with it, in the shape ig's trace_dns uses. */
/* The event both the field and the output tests render. */
static inline void fx_fill_event(struct fx_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->timestamp_raw = 3600000000005ULL;
	ev->netns_id = 4026531840ULL;
	strcpy(ev->proc.comm, "nslookup");
	ev->proc.pid = 4242;
	ev->proc.tid = 4243;
	ev->proc.mntns_id = 4026531841ULL;
	strcpy(ev->proc.parent.comm, "sh");
	ev->proc.parent.pid = 1;
	ev->src.version = 4;
	inet_pton(AF_INET, "10.0.0.1", ev->src.addr_raw.v6);
	ev->src.port = 40000;
	ev->src.proto_raw = 17;
	ev->dst.version = 6;
	inet_pton(AF_INET6, "fd00::53", ev->dst.addr_raw.v6);
	ev->dst.port = 53;
	ev->dst.proto_raw = 6;
	ev->nameserver.version = 6;
	inet_pton(AF_INET6, "fd00::53", ev->nameserver.addr_raw.v6);
	ev->addresses[1].version = 4;
	inet_pton(AF_INET, "192.0.2.7", ev->addresses[1].addr_raw.v6);
	ev->latency_ns_raw = 1234567;
	ev->id = 0x0c3b;
	ev->qtype_raw = 2;
	ev->pkt_type_raw = FX_OUTGOING;
	ev->qr_raw = true;
	ev->rcode_raw = 3;
	strcpy(ev->name, "a\x01"
			 "b.");
	ev->delta = -7;
	ev->flags_lo = 5;
	ev->flags_hi = 17;
	ev->pad = 0xffffffff;
}

static const char fx_yaml[] =
	"name: trace dns\n"
	"description: trace dns requests and responses\n"
	"datasources:\n"
	"  dns:\n"
	"    fields:\n"
	"      src:\n"
	"        annotations:\n"
	"          description: Source endpoint\n"
	"          template: l4endpoint\n"
	"      dst:\n"
	"        annotations:\n"
	"          template: l4endpoint\n"
	"      id:\n"
	"        annotations:\n"
	"          columns.hidden: \"true\"\n"
	"          columns.hex: \"true\"\n"
	"      nameserver:\n"
	"        annotations:\n"
	"          columns.hidden: true\n"
	"      latency_ns_raw:\n"
	"        annotations:\n"
	"          columns.hidden: \"true\"\n"
	"          columns.width: \"8\"\n"
	"          description: DNS request latency\n"
	"      name:\n"
	"        annotations:\n"
	"          description: DNS name\n"
	"          columns.width: \"12\"\n"
	"      pkt_type:\n"
	"        annotations:\n"
	"          columns.hidden: \"true\"\n"
	"      qr:\n"
	"        annotations:\n"
	"          value.one-of: \"Q, R\"\n"
	"          columns.minwidth: \"2\"\n"
	"          columns.width: \"2\"\n"
	"      qr_raw:\n"
	"        annotations:\n"
	"          columns.hidden: \"true\"\n"
	"      qtype:\n"
	"        annotations:\n"
	"          value.one-of: \"0, A, NS\"\n"
	"      rcode:\n"
	"        annotations:\n"
	"          value.one-of: \"Success, FormatError, ServerFailure, "
	"NameError\"\n"
	"          value.shown-if: qr_raw\n"
	"          columns.width: \"8\"\n"
	"      tc:\n"
	"        annotations:\n"
	"          columns.hidden: \"true\"\n"
	"      delta:\n"
	"        annotations:\n"
	"          columns.hidden: \"true\"\n"
	"      flags_lo:\n"
	"        annotations:\n"
	"          columns.hidden: \"true\"\n"
	"          json.skip: \"true\"\n"
	"      flags_hi:\n"
	"        annotations:\n"
	"          columns.hidden: \"true\"\n"
	"      pad:\n"
	"        annotations:\n"
	"          columns.hidden: \"true\"\n"
	"          json.skip: \"true\"\n"
	"      addresses:\n"
	"        annotations:\n"
	"          columns.width: \"20\"\n"
	"          columns.ellipsis: middle\n";

#endif
