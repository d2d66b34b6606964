#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Hand-made DNS messages for test_dns_differential.py: the shapes that
dnsmasq and unbound do not send, written byte by byte.

  dns_shapes.py server ADDR...   answer on port 53 of each ADDR (UDP, TCP)
  dns_shapes.py udp2 SERVER      one query with two questions (QDCOUNT 2)
  dns_shapes.py udpbig SERVER    one query past the MTU (an EDNS option of
                                 3000 bytes): in IP fragments
  dns_shapes.py udpopt SERVER    one query with IP options (IPv4: NOPs) or
                                 IPv6 extension headers (hop-by-hop and
                                 destination options, PadN)
  dns_shapes.py mdns SERVER      an mDNS query to port 5353, asking for a
                                 unicast response (QU)
  dns_shapes.py pipe SERVER NAME...
                                 over TCP, one write of a query per NAME;
                                 prints the responses' ids
  dns_shapes.py tfo SERVER NAME...
                                 the same in the SYN (TCP Fast Open), twice:
                                 the first connection brings the cookie

The server answers by the first question's name (any case):
  ptr2.hand.test   a CNAME chain whose owners and targets are compression
                   pointers to pointers
  types.hand.test  SOA, MX, SRV, PTR, NS, TXT, HTTPS, CAA, then A, AAAA
  nx.hand.test     NXDOMAIN: no answer, an SOA in authority
  esc.hand.test    a CNAME to a name of a dot, a space, a NUL and UTF-8
                   in its labels, then the target's A record
  bigtxt.hand.test 3 A, 30 TXT of 150 bytes, 3 A: past the MTU over UDP
  two.hand.test    every question echoed, an A record for each
  cut.hand.test    over UDP, TC set and cut at 512 bytes, mid-record (as
                   some servers and middleboxes truncate); over TCP whole:
                   8 A with TTLs 9..2 around TXT records
  AXFR of any name over TCP: three messages (RFC 5936), the first with
                   the question, the others without: SOA and A records,
                   A records, the SOA again
  anything else    NOERROR, no answer
On UDP port 5353 (mDNS) the server answers without the question, its
records' class with the cache-flush bit.  The server takes data in a
SYN (TCP_FASTOPEN).  Over TCP the responses
to the queries of one read go out in one write, or, when the first name
starts with "split", 7 bytes at a time, each write acknowledged before
the next (a segment each).
"""
import fcntl
import socket
import struct
import sys
import termios
import threading
import time

A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV, HTTPS, CAA = \
    1, 2, 5, 6, 12, 15, 16, 28, 33, 65, 257


def wire(name):
    """A name's labels, uncompressed (bytes labels kept as they are)."""
    if isinstance(name, str):
        name = [lb.encode() for lb in name.rstrip(".").split(".") if lb]
    return b"".join(bytes([len(lb)]) + lb for lb in name) + b"\0"


def ptr(off):
    return struct.pack("!H", 0xC000 | off)


def rr(owner, rtype, rdata, ttl=300):
    return owner + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def questions(msg):
    """The questions of a query: [(raw name, lowercased text, type)],
    and the offset past them."""
    qd = struct.unpack("!H", msg[4:6])[0]
    pos, out = 12, []
    for _ in range(qd):
        start, lbls = pos, []
        while msg[pos]:
            lbls.append(msg[pos + 1:pos + 1 + msg[pos]])
            pos += 1 + msg[pos]
        pos += 1
        out.append((msg[start:pos + 4],
                    b".".join(lbls).decode("latin-1").lower(),
                    struct.unpack("!H", msg[pos:pos + 2])[0]))
        pos += 4
    return out, pos


def answer(query):
    qs, _ = questions(query)
    qid, flags = struct.unpack("!HH", query[:4])
    name = qs[0][1] if qs else ""
    # QR, the query's opcode and RD, AA, RA
    flags = 0x8000 | (flags & 0x7900) | 0x0400 | 0x0080
    rcode, an, ns = 0, [], []
    msg = b"".join(q[0] for q in qs)
    at = 12 + len(msg)  # where the next record starts
    q0 = ptr(12)
    if name == "ptr2.hand.test":
        # ptr2 CNAME x.ptr2; x.ptr2 CNAME y.ptr2; y.ptr2 A; y.ptr2 A
        r1 = rr(q0, CNAME, b"\x01x" + q0, 61)
        x_at = at + len(r1) - 4  # r1's target: "x" then a pointer
        r2 = rr(ptr(x_at), CNAME, b"\x01y" + ptr(at), 62)  # to r1's owner
        y_at = at + len(r1) + len(r2) - 4  # r2's target
        r3_at = at + len(r1) + len(r2)
        r3 = rr(ptr(y_at), A, bytes([10, 79, 12, 1]), 63)
        # its owner a pointer to r3's owner: a pointer to a pointer to
        # "y" and a pointer to r1's owner, a pointer to the question
        r4 = rr(ptr(r3_at), A, bytes([10, 79, 12, 2]), 64)
        an = [r1, r2, r3, r4]
    elif name == "types.hand.test":
        mail = b"\x04mail" + q0
        an = [
            rr(q0, SOA, b"\x02ns" + q0 + b"\x05admin" + q0 +
               struct.pack("!5I", 2026, 3600, 600, 86400, 30), 90),
            rr(q0, MX, struct.pack("!H", 10) + mail, 91),
            rr(q0, SRV, struct.pack("!3H", 1, 2, 5060) + wire("sip.test"),
               92),
            rr(q0, PTR, wire("host.test"), 93),
            rr(q0, NS, b"\x02ns" + q0, 94),
            rr(q0, TXT, b"\x05hello\x03a.b", 95),
            # HTTPS 1 . alpn=h2 ipv4hint=10.79.12.7 (not an address)
            rr(q0, HTTPS, struct.pack("!H", 1) + b"\0" +
               struct.pack("!HH", 1, 3) + b"\x02h2" +
               struct.pack("!HH", 4, 4) + bytes([10, 79, 12, 7]), 96),
            rr(q0, CAA, b"\x00\x05issueca.test", 97),
            rr(q0, A, bytes([10, 79, 12, 5]), 98),
            rr(q0, AAAA, bytes.fromhex("fd79000000000000000000000000000c"),
               99),
        ]
    elif name == "nx.hand.test":
        rcode = 3
        ns = [rr(wire("hand.test"), SOA,
                 wire("ns.hand.test") + wire("admin.hand.test") +
                 struct.pack("!5I", 7, 3600, 600, 86400, 30), 300)]
    elif name == "esc.hand.test":
        target = wire([b"a.b", b"sp ace", b"z\0z", "caf\u00e9".encode(),
                       b"hand", b"test"])
        an = [rr(q0, CNAME, target, 71),
              rr(ptr(at + 12), A, bytes([10, 79, 12, 9]), 72)]
    elif name == "bigtxt.hand.test":
        an = [rr(q0, A, bytes([10, 79, 12, 20 + i]), 80 + i) for i in range(3)]
        an += [rr(q0, TXT, bytes([150]) + bytes([97 + i % 26]) * 150, 500)
               for i in range(30)]
        an += [rr(q0, A, bytes([10, 79, 12, 30 + i]), 20 + i)
               for i in range(3)]
    elif name == "cut.hand.test":
        an = [rr(q0, A, bytes([10, 79, 12, 50 + i]), 9 - i) for i in range(4)]
        an += [rr(q0, TXT, bytes([99]) + b"t" * 99, 30 + i) for i in range(4)]
        an += [rr(q0, A, bytes([10, 79, 12, 54 + i]), 5 - i)
               for i in range(4)]
    elif qs and qs[0][2] == 252:  # AXFR: the first message
        an = [rr(q0, SOA, b"\x02ns" + q0 + b"\x05admin" + q0 +
                 struct.pack("!5I", 1, 3600, 600, 86400, 30), 70),
              rr(q0, A, bytes([10, 79, 13, 9]), 59)]
    elif name == "two.hand.test":
        off = 12
        for i, q in enumerate(qs):
            an.append(rr(ptr(off), A, bytes([10, 79, 12, 40 + i]), 50 + i))
            off += len(q[0])
    out = struct.pack("!6H", qid, flags | rcode, len(qs), len(an), len(ns),
                      0) + msg
    return out + b"".join(an) + b"".join(ns)


def axfr_rest(query):
    """The messages after the first of an AXFR's response: without the
    question (RFC 5936 2.2), the zone's name written out again."""
    qid = struct.unpack("!H", query[:2])[0]
    zone = wire(questions(query)[0][0][1])
    a = [rr(zone, A, bytes([10, 79, 13, i]), 60 + i) for i in range(3)]
    soa = rr(zone, SOA, b"\x02ns" + zone + b"\x05admin" + zone +
             struct.pack("!5I", 1, 3600, 600, 86400, 30), 70)
    return [struct.pack("!6H", qid, 0x8400, 0, len(m), 0, 0) + b"".join(m)
            for m in (a, [soa])]


def acked(s):
    """Wait until every byte written to s is acknowledged."""
    buf = bytearray(4)
    deadline = time.time() + 60  # only a hang (a loaded machine is slow)
    while time.time() < deadline:
        fcntl.ioctl(s, termios.TIOCOUTQ, buf)
        if not struct.unpack("i", buf)[0]:
            return
        time.sleep(0.001)


def mdns_answer(query):
    qs, _ = questions(query)
    qid = struct.unpack("!H", query[:2])[0]
    an = [struct.pack("!HHIH", A, 0x8001, 120, 4) + bytes([10, 79, 14, 1]),
          struct.pack("!HHIH", AAAA, 0x8001, 110, 16) +
          bytes.fromhex("fd79000000000000000000000000000e")]
    return struct.pack("!6H", qid, 0x8400, 0, len(an), 0, 0) + b"".join(
        qs[0][0][:-4] + r for r in an)


def serve_udp(s):
    mdns = s.getsockname()[1] == 5353
    while True:
        q, peer = s.recvfrom(65535)
        if mdns:
            s.sendto(mdns_answer(q), peer)
            continue
        r = answer(q)
        if questions(q)[0][0][1] == "cut.hand.test":
            r = r[:2] + bytes([r[2] | 2]) + r[3:512]  # TC, cut
        s.sendto(r, peer)


def serve_conn(c):
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    while True:
        data = c.recv(65535)
        if not data:
            break
        buf += data
        out, first = b"", None
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(
                "!H", buf[:2])[0]:
            n = struct.unpack("!H", buf[:2])[0]
            q, buf = buf[2:2 + n], buf[2 + n:]
            r = answer(q)
            out += struct.pack("!H", len(r)) + r
            if first is None:
                first = questions(q)[0]
        if first and first[0][2] == 252:  # AXFR: two messages more
            out += b"".join(struct.pack("!H", len(r)) + r
                            for r in axfr_rest(q))
        if first and first[0][1].startswith("split"):
            for i in range(0, len(out), 7):
                c.sendall(out[i:i + 7])
                acked(c)
        elif out:
            c.sendall(out)
    c.close()


def serve_tcp(s):
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve_conn, args=(c,), daemon=True).start()


def server(addrs):
    threads = []
    for a in addrs:
        fam = socket.AF_INET6 if ":" in a else socket.AF_INET
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.bind((a, 53))
        m = socket.socket(fam, socket.SOCK_DGRAM)
        m.bind((a, 5353))
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
        t.bind((a, 53))
        t.listen(16)
        threads += [threading.Thread(target=serve_udp, args=(u,)),
                    threading.Thread(target=serve_udp, args=(m,)),
                    threading.Thread(target=serve_tcp, args=(t,))]
    for t in threads:
        t.daemon = True
        t.start()
    for t in threads:
        t.join()


def query(qid, *names):
    return struct.pack("!6H", qid, 0x0100, len(names), 0, 0, 0) + b"".join(
        wire(n) + struct.pack("!HH", A, 1) for n in names)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def udp(srv, q, opts=False, port=53):
    s = socket.socket(family(srv), socket.SOCK_DGRAM)
    s.settimeout(3)
    if opts and ":" in srv:
        pad = b"\0\0\x01\x04\0\0\0\0"  # next header, 8 bytes, PadN
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS, pad)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, pad)
    elif opts:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, b"\x01" * 8)
    s.sendto(q, (srv, port))
    r = s.recv(65535)
    print(f"id {struct.unpack('!H', r[:2])[0]:04x}")


def pipe(srv, names, tfo=False):
    data = b""
    for i, n in enumerate(names):
        q = query(0x7300 + i, n)
        data += struct.pack("!H", len(q)) + q
    if tfo:  # the queries in the SYN (TCP Fast Open)
        s = socket.socket(family(srv), socket.SOCK_STREAM)
        s.sendto(data, socket.MSG_FASTOPEN, (srv, 53))
        s.settimeout(5)
    else:
        s = socket.create_connection((srv, 53), timeout=5)
        s.sendall(data)  # one write: one segment
    buf, got = b"", 0
    while got < len(names):
        d = s.recv(65535)
        if not d:
            break
        buf += d
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(
                "!H", buf[:2])[0]:
            n = struct.unpack("!H", buf[:2])[0]
            print(f"id {struct.unpack('!H', buf[2:4])[0]:04x}")
            buf, got = buf[2 + n:], got + 1
    s.close()


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "server":
        server(args)
    elif mode == "udp2":
        udp(args[0], query(0x7202, "two.hand.test", "other.hand.test"))
    elif mode == "mdns":
        q = bytearray(query(0x7205, "printer.local"))
        q[-2] |= 0x80  # QU: class IN, unicast response wanted
        udp(args[0], bytes(q), port=5353)
    elif mode == "udpopt":
        udp(args[0], query(0x7204, "web.hand.test"), True)
    elif mode == "udpbig":
        q = bytearray(query(0x7203, "web.hand.test"))
        q[11] = 1  # ARCOUNT: an OPT record with option 65001
        q += b"\0" + struct.pack("!HHIH", 41, 4096, 0, 3004) + \
            struct.pack("!HH", 65001, 3000) + b"\xab" * 3000
        udp(args[0], bytes(q))
    elif mode == "tfo":  # twice: the first gets a cookie
        pipe(args[0], args[1:], True)
        pipe(args[0], args[1:], True)
    else:
        pipe(args[0], args[1:])
