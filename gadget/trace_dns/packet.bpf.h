/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * trace_dns, link, network and transport headers.
 * A part of program.bpf.c, included once at its place there: it
 * uses the types, maps and params defined before it (one eBPF
 * object is one compilation unit).
 */
#ifndef TRACE_DNS_PACKET_BPF_H
#define TRACE_DNS_PACKET_BPF_H

/*
 * Packet parsing.
 */

struct l4_info {
	struct gadget_l4endpoint_t src, dst;
	__u32 dns_off; /* offset of the DNS message in the packet */
	__u32 dns_len; /* its length as far as this packet carries it */
	__u32 seq; /* TCP: the sequence number of the segment */
	__u8 tcp_flags; /* TCP: its flags (TCP_SYN ...) */
};

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04

/*
 * Where the network header starts in the bytes the filter sees, as the
 * kernel marked it (skb->network_header): after the Ethernet header (on
 * lo too; a VLAN tag is out of the frame, in skb->vlan_tci, but where a
 * device without VLAN offload puts it back on the way out, and then
 * skb->protocol is the tag's: not decoded), or at 0 on devices without a
 * link-layer header (tun, wireguard, ipip).  The bytes alone cannot tell:
 * on those devices bytes 12-13 are the source address's, and a source in
 * 8.0.0.0/16 (2001:db8:86dd::/48 for IPv6) read as an Ethernet header's
 * type.  The packet socket hands the filter its frame from the link-layer
 * header on (packet_rcv()); the IP version is checked where the header
 * is read.
 */
static __always_inline int l3_offset(struct __sk_buff *skb)
{
	struct sk_buff *k = bpf_cast_to_kern_ctx(skb);
	__u64 off = (__u64)k->head + k->network_header - (__u64)k->data;

	return off <= L3_OFFSET_MAX ? off : -1;
}

/*
 * Packets on a DNS port that are not decoded: what the kernel's IP, UDP
 * or TCP receive path would drop (a length past the frame or below the
 * header, a UDP length other than the IP payload's or below 8, a TCP
 * header below 20 bytes, UDP over IPv6 without a checksum; checksum
 * values are not verified), TCP in fragments, and UDP messages shorter
 * than a DNS header.  A packet socket sees each fragment of a datagram,
 * never the datagram: a UDP message in fragments (a response larger than
 * the path's MTU, with EDNS) is decoded from its first fragment, as a
 * message cut at the fragment's end; the later ones carry no ports.
 */
GADGET_COUNTER(undecoded);

/*
 * The parsers return 0 for a packet to decode, -1 for one that is not on
 * a DNS port (or not seen whole enough to know), 1 for one on a DNS port
 * that is not decoded (counted by the caller).
 */
#define UNDECODED 1

/* UDP or TCP at off up to end: ports and the DNS message bounds; bad: the
 * IP layer found the packet not to be decoded; frag: it is the first
 * fragment of a datagram (its UDP length is the whole datagram's). */
static __always_inline int parse_l4(struct __sk_buff *skb, __u8 proto,
				    __u32 off, __u32 end, struct l4_info *l4,
				    bool bad, bool frag)
{
	__u16 hdr[4];

	if (bpf_skb_load_bytes(skb, off, hdr, sizeof(hdr)))
		return -1;
	l4->src.port = bpf_ntohs(hdr[0]);
	l4->dst.port = bpf_ntohs(hdr[1]);
	if (!is_dns_port_pair(l4->src.port, l4->dst.port))
		return -1;
	if (bad || off >= end)
		return UNDECODED;
	l4->src.proto_raw = l4->dst.proto_raw = proto;
	if (proto == IPPROTO_UDP) {
		/* udp_rcv(): a length past the IP payload or below the
		 * header is dropped; below the payload, the rest is cut */
		if (bpf_ntohs(hdr[2]) < 8 ||
		    (bpf_ntohs(hdr[2]) > end - off && !frag))
			return UNDECODED;
		/* udp6_csum_init(): IPv6 requires a checksum */
		if (!hdr[3] && l4->src.version == 6)
			return UNDECODED;
		if (bpf_ntohs(hdr[2]) < end - off)
			end = off + bpf_ntohs(hdr[2]);
		l4->dns_off = off + 8;
		if (l4->dns_off + DNS_HDR_LEN > end)
			return UNDECODED;
	} else {
		struct {
			__u32 seq, ack;
			__u8 doff, flags;
		} __attribute__((packed)) tcp;

		if (bpf_skb_load_bytes(skb, off + 4, &tcp, sizeof(tcp)))
			return -1;
		/* tcp_v4_rcv(): header below 20 bytes; a stream in
		 * fragments is not followed */
		if (tcp.doff < 0x50 || frag)
			return UNDECODED;
		off += (tcp.doff >> 4) * 4;
		/* DNS over TCP is a stream (tcpstream.bpf.h): segments with
		 * payload, and those that open or close a connection; ACKs
		 * alone are skipped */
		if (off > end || (off == end &&
				  !(tcp.flags & (TCP_SYN | TCP_FIN | TCP_RST))))
			return -1;
		l4->dns_off = off;
		l4->dns_len = end - off;
		l4->seq = bpf_ntohl(tcp.seq);
		l4->tcp_flags = tcp.flags;
		return 0;
	}
	if (l4->dns_off + DNS_HDR_LEN > end)
		return -1;
	l4->dns_len = end - l4->dns_off;
	return 0;
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, __u32 off,
				      struct l4_info *l4)
{
	struct iphdr ip;
	__u32 end;

	if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)))
		return -1;
	if (ip.version != 4 || ip.ihl < 5)
		return -1;
	if (ip.protocol != IPPROTO_UDP && ip.protocol != IPPROTO_TCP)
		return -1;
	if (bpf_ntohs(ip.frag_off) & IP_OFFSET) /* not the first fragment */
		return -1;
	/* ip_rcv_core(): a total length past the frame or below the header
	 * is dropped; 0 only leaves (a GSO packet) */
	end = off + bpf_ntohs(ip.tot_len);
	if (!ip.tot_len && skb->pkt_type == OUTGOING)
		end = skb->len;
	l4->src.addr_raw.v4 = ip.saddr;
	l4->dst.addr_raw.v4 = ip.daddr;
	l4->src.version = l4->dst.version = 4;
	return parse_l4(skb, ip.protocol, off + ip.ihl * 4, end, l4,
			end > skb->len, bpf_ntohs(ip.frag_off) & IP_MF);
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, __u32 off,
				      struct l4_info *l4)
{
	struct ipv6hdr ip6;
	__u8 next, ext[2];
	bool bad = false, first = false;
	__u32 end;
	__u16 frag;

	if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)))
		return -1;
	if (ip6.version != 6)
		return -1;
	/* ipv6_rcv(): a payload length past the frame is dropped; 0 only
	 * leaves (a GSO packet) or comes with a jumbo option */
	end = off + 40 + bpf_ntohs(ip6.payload_len);
	if (!ip6.payload_len && (skb->pkt_type == OUTGOING || ip6.nexthdr == 0))
		end = skb->len;
	if (end > skb->len)
		bad = true;
	__builtin_memcpy(l4->src.addr_raw.v6, &ip6.saddr, 16);
	__builtin_memcpy(l4->dst.addr_raw.v6, &ip6.daddr, 16);
	l4->src.version = l4->dst.version = 6;
	next = ip6.nexthdr;
	off += 40;
	/* checked once by the verifier, not once per header (loop.bpf.h) */
	for (__u64 i = OPAQUE(0); i < IPV6_MAX_EXT_HDRS && can_loop; i++) {
		switch (next) {
		case IPPROTO_UDP:
		case IPPROTO_TCP:
			return parse_l4(skb, next, off, end, l4, bad, first);
		case 0: /* hop-by-hop options */
		case 43: /* routing */
		case 60: /* destination options */
			if (bpf_skb_load_bytes(skb, off, ext, 2))
				return -1;
			next = ext[0];
			off += (ext[1] + 1) * 8;
			break;
		case 44: /* fragment: only the first one has the L4 header */
			if (bpf_skb_load_bytes(skb, off, ext, 2) ||
			    bpf_skb_load_bytes(skb, off + 2, &frag, 2))
				return -1;
			if (bpf_ntohs(frag) & 0xFFF8)
				return -1;
			/* a first fragment; an atomic one is whole */
			if (bpf_ntohs(frag) & 1)
				first = true;
			next = ext[0];
			off += 8;
			break;
		case 51: /* authentication header */
			if (bpf_skb_load_bytes(skb, off, ext, 2))
				return -1;
			next = ext[0];
			off += (ext[1] + 2) * 4;
			break;
		default:
			return -1;
		}
	}
	return -1;
}

#endif /* TRACE_DNS_PACKET_BPF_H */
