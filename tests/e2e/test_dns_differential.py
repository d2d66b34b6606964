#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""trace_dns against tshark: every field of every event, packet by packet.

A client and a server namespace joined by a veth pair; in the server one
dnsmasq (local records of many types, NXDOMAIN, REFUSED, version.bind,
a CNAME chain, responses past the MTU, a zone it forwards to another
dnsmasq in the client namespace), unbound (many answers, a response
truncated for UDP, SERVFAIL from an upstream without a route, NXDOMAIN
with an SOA, 0x20 random case in what it forwards to that dnsmasq) and
dns_shapes.py, a hand-made server for what those do not send
(compression pointers to pointers, SOA/MX/SRV/PTR/HTTPS/CAA answers, a
CNAME target of escaped bytes, answers after two questions, a UDP
response cut at 512 bytes mid-record, TCP responses several to a
segment or 7 bytes to a segment, a zone transfer of three messages).
dig in the client namespace asks them in many ways (UDP, TCP, several
queries in one TCP connection, IPv6, EDNS buffer sizes, no recursion,
DNSSEC OK, class CH, names with escapes and of the longest length),
dns_shapes.py's clients send two questions in a query, a UDP query in
fragments, several queries in one TCP segment and in a SYN (TCP Fast
Open), and nsupdate sends
UPDATEs, while tcpdump captures every packet in both
namespaces (`-i any`: the packets a packet socket there sees, with their
direction; no loopback traffic, whose outgoing copies libpcap leaves
out, where a packet socket sees them).  Then tshark decodes the
capture, and each DNS message it finds must be one event of the runner
(`-o json`), in the same namespace, direction, endpoints and DNS id, none
missing and none extra, with every field equal to what tshark read from
the packet, except where docs/limits.md and gadget.yaml state a limit
(addresses up to 8, CNAME targets up to 4, names and CNAME lists past 255
characters, a UDP message in IP fragments decoded from its first
fragment, a message from its first 2 KiB): there the stated
behaviour is asserted.  A second runner's `-o pcap-ng` must hold the
same packets, byte for byte, as tcpdump's capture.

Names are compared with the bytes of the name in the packet (tshark's
dns.qry.name_raw) written as dig writes them, since tshark's own text
writes a dot inside a label as a dot (and counts it as a label).
DNSDIFF_KEEP=1 keeps the captures (the tmp folder) to look at.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, RUNNER, WAIT, Netns, Runner, check, eq,  # noqa: E402
                     link, main, sh, stop_procs, test)
from gadget_env import tdns  # noqa: E402

NS = f"ddiff{os.getpid()}"
S4, C4, U4 = "10.79.0.1", "10.79.0.2", "10.79.0.3"
S6, C6, U6 = "fd79::1", "fd79::2", "fd79::3"
# the hand-made server (dns_shapes.py): shapes dnsmasq and unbound
# do not send
P4, P6 = "10.79.0.4", "fd79::4"
# it too on a second link, of jumbo frames (MTU 9000): UDP messages past
# 2 KiB in one packet
J4, J6, JC4, JC6 = "10.80.0.4", "fd80::4", "10.80.0.2", "fd80::2"
HAND = (P4, P6, J4, J6)
SHAPES_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "dns_shapes.py")
# more answers than the 8 addresses an event holds, and a response past
# the MTU over UDP (IP fragments)
FRAG = [f"10.79.8.{i}" for i in range(1, 121)]
# a CNAME chain of 5: one more than the 4 targets an event holds
CHAIN = [f"c{i}.test" for i in range(1, 6)]
# unbound: 20 answers with EDNS; 60, past 512 bytes without it (TC)
UB20 = [f"10.79.9.{i}" for i in range(1, 21)]
UB60 = [f"10.79.10.{i}" for i in range(1, 61)]
LONG = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61]) + "."  # 253
CUT = "\\001" * 63 + "." + "\\001" * 63 + ".cut.test."  # 504 escaped
# escaped, 246 + "." + "uvwxyz" + "." fit in 255 characters, "z." does
# not
CUT2 = "\\001" * 61 + "ab.uvwxyz.z.test."
# CNAME targets of 128 and 125 characters: with the comma between them
# 254 characters, no room for the third
T1 = "a" * 63 + "." + "b" * 58 + ".test"
T2 = "c" * 63 + "." + "d" * 55 + ".test"
T3 = "e" * 63 + ".test"
# a TXT record past 2 KiB: over TCP decoded from its first 2 KiB (stated)
HUGE_TXT = ",".join(chr(ord("a") + i) * 250 for i in range(10))

# the enumerators of program.bpf.c, as the runner names them
RCODES = ["Success", "FormatError", "ServerFailure", "NameError",
          "NotImplemented", "Refused", "YXDomain", "YXRRSet", "NXRRSet",
          "NotAuth", "NotZone"]
OPCODES = {0: "Query", 1: "IQuery", 2: "Status", 4: "Notify", 5: "Update",
           6: "DSO"}
# (ig's names: ALL for the type dig and tshark call ANY)
QTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 11: "WKS", 12: "PTR",
          13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 28: "AAAA", 33: "SRV",
          35: "NAPTR", 41: "OPT", 43: "DS", 46: "RRSIG", 47: "NSEC",
          48: "DNSKEY", 64: "SVCB", 65: "HTTPS", 252: "AXFR", 255: "ALL",
          257: "CAA"}
PKT_TYPES = {0: "HOST", 4: "OUTGOING"}
CLIENT = {"ns": None, "pids": set()}  # its namespace's inode, dig's pids


class Env:
    pass


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="dns-diff-e2e-")
    env.store = os.path.join(env.tmp, "store")
    env.procs, env.nss, env.runner = [], [], None
    try:
        sh(f"{RUNNER} image build {ROOT}/gadget/trace_dns -t trace_dns:latest"
           f" --store {env.store}")
        env.srv, env.cli = Netns(f"{NS}-srv"), Netns(f"{NS}-cli")
        env.nss += [env.srv, env.cli]
        CLIENT["ns"] = env.cli.inode()
        link(env.cli, env.srv, [f"{C4}/24", f"{C6}/64"],
             [f"{S4}/24", f"{S6}/64", f"{U4}/24", f"{U6}/64", f"{P4}/24",
              f"{P6}/64"], name="ddiff")
        link(env.cli, env.srv, [f"{JC4}/24", f"{JC6}/64"],
             [f"{J4}/24", f"{J6}/64"], name="ddiffj")
        env.cli.run("ip link set ddiffja mtu 9000")
        env.srv.run("ip link set ddiffjb mtu 9000")
        chain = CHAIN + ["web2.test"]
        extra = " ".join(
            [f"--cname={a},{b},{60 + i}"
             for i, (a, b) in enumerate(zip(chain, chain[1:]))] +
            [f"--host-record=frag.test,{a}" for a in FRAG] +
            [f"--cname=long.test,{T1}", f"--cname={T1},{T2}",
             f"--cname={T2},{T3}", f"--host-record={T3},10.79.7.1",
             "--txt-record=txt.test,one,two",
             f"--txt-record=huge.test,{HUGE_TXT}",
             "--host-record=anyd.test,10.79.11.2",
             *[f"--txt-record=anyd.test,{i:02d}" for i in range(130)],
             f"--txt-record=huge.test,{HUGE_TXT[:20]}",
             "--mx-host=mx.test,mail.test,10",
             "--srv-host=_sip._udp.srv.test,sip.test,5060,1,2",
             "--ptr-record=5.5.79.10.in-addr.arpa,host.test",
             # forwarded to the client namespace's server: the server
             # namespace sends queries too
             f"--server=/fwd.test/{C4}"])
        env.procs.append(tdns.dnsmasq(env.srv, env.tmp, f"{S4},{S6}",
                                      extra=extra))
        # a server in the client namespace, which the first one asks
        env.procs.append(tdns.dnsmasq(
            env.cli, env.tmp, C4, name="upstream",
            extra="--host-record=a.fwd.test,10.79.6.6"
                  " --host-record=a.caps.test,10.79.6.7"
                  f" --txt-record=big.fwd.test,{HUGE_TXT[:1800]}"))
        server = ('  local-zone: "u.example." static\n'
                  '  local-data: "mx.u.example. 300 IN MX 5 mail.u.example."\n'
                  '  local-data: "v6.u.example. 42 IN AAAA fd79::42"\n'
                  '  local-data: "t.u.example. 7 IN TXT \\"x y\\""\n'
                  "  max-udp-size: 1232\n"
                  # unbound's 0x20 (random case) in what it forwards
                  "  use-caps-for-id: yes\n"
                  '  local-zone: "test." nodefault\n'
                  # NXDOMAIN with this SOA in authority
                  '  local-data: "u.example. 600 IN SOA ns.u.example.'
                  ' admin.u.example. 1 3600 600 86400 30"\n')
        # many small records, then an address: past 128 records in the
        # first 2 KiB of a message (TCP)
        for i in range(140):
            server += f'  local-data: "anyx.u.example. 500 IN TXT \\"{i}\\""\n'
        server += '  local-data: "anyx.u.example. 5 IN A 10.79.11.1"\n'
        for name, addrs in (("many20.u.example.", UB20),
                            ("many60.u.example.", UB60)):
            for i, a in enumerate(addrs):
                server += f'  local-data: "{name} {100 + i} IN A {a}"\n'
        env.procs.append(tdns.unbound(
            env.srv, env.tmp, listen=(U4, U6),
            allow=("10.79.0.0/16", "fd79::/16"), server=server,
            # no route there: SERVFAIL at once, no packet sent
            rest='forward-zone:\n  name: "sf.example."\n'
                 "  forward-addr: 10.200.0.1\n"
                 # to the client namespace's dnsmasq, in random case
                 'forward-zone:\n  name: "caps.test."\n'
                 f"  forward-addr: {C4}\n"))
        # TCP Fast Open, client and server, in these namespaces
        for ns in (env.cli, env.srv):
            ns.run("sysctl -qw net.ipv4.tcp_fastopen=3")
        p = env.srv.popen(f"/usr/bin/python3 {SHAPES_PY} server {P4} {P6}"
                          f" {J4} {J6}",
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env.procs.append(p)
        tdns.wait_port(env.srv, P4, p)
        env.runner = Runner(["run", "trace_dns", "-o", "json",
                             "--store", env.store])
        # the same packets written out (-o pcap-ng): data_len, the
        # bytes the gadget copies
        env.pcapng = Runner(["run", "trace_dns", "-o", "pcap-ng",
                             "--store", env.store])
    except BaseException:
        teardown(env)
        raise
    return env


def teardown(env):
    if env is None:
        return
    for r in (env.runner, getattr(env, "pcapng", None)):
        if r:
            r.stop()
    stop_procs(env.procs)
    for ns in env.nss:
        ns.delete()
    if not os.environ.get("DNSDIFF_KEEP"):
        sh(f"rm -rf {env.tmp}", check_rc=False)


# ---- capture and decode -------------------------------------------------


def tcpdump(ns, path):
    """tcpdump of every interface of ns (direction kept: Linux cooked
    capture), each packet written as it comes; started once it listens.
    Immediate mode gives each packet a slot of the snapshot length: 8 KiB
    (no packet here is longer) and 16 MiB of them, where the default
    262 144 bytes and 2 MiB held 8 and dropped packets of a burst."""
    err = open(path + ".err", "w+")
    p = ns.popen("tcpdump -i any --immediate-mode -s 8192 -B 16384 -U -n"
                 f" -w {path}",
                 stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.time() + WAIT
    while "listening on" not in open(err.name).read():
        check(p.poll() is None and time.time() < deadline,
              f"tcpdump in {ns.name}: {open(err.name).read()}")
        time.sleep(0.05)
    return p, err


def tcpdump_stop(p, err):
    p.send_signal(2)
    p.wait(timeout=10)
    with open(err.name) as f:
        text = f.read()
    err.close()
    check("\n0 packets dropped by kernel" in "\n" + text,
          f"tcpdump: {text}")


def walk(obj, key):
    """Every value under key, at any depth, in document order (tshark's
    --no-duplicate-keys makes repeated keys one list)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key:
                yield from (v if isinstance(v, list) else [v])
            else:
                yield from walk(v, key)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk(v, key)


def first(obj, key, default=None):
    return next(walk(obj, key), default)


def num(v):
    return int(v, 16) if v.startswith("0x") else int(v)


def frame_payloads(path):
    """frame number -> IP payload bytes (fragments: what the first one
    carries), for every IP frame of the file."""
    out = sh(f"tshark -r {path} -T fields -E separator=/t -e frame.number "
             "-e ip.len -e ip.hdr_len -e ipv6.plen 2>/dev/null")
    sizes = {}
    for line in out.splitlines():
        n, ilen, hlen, plen = (line.split("\t") + ["", "", ""])[:4]
        if ilen:
            sizes[int(n)] = int(ilen) - int(hlen)
        elif plen:
            sizes[int(n)] = int(plen) - 8  # the fragment header
    return sizes


def records(dns, section):
    """The records of one section of a decoded message, in order:
    (type, class, ttl, data, end, labels) with end the offset just past
    the record in the message, labels those of a CNAME target's bytes in
    the packet (None when compressed: then its text is lossless here)."""
    start = dns["dns.id_raw"][1]
    out = []
    for sec in walk(dns, section):
        for rr in sec.values():
            for r in (rr if isinstance(rr, list) else [rr]):
                t = num(r["dns.resp.type"])
                data = r.get("dns.a") or r.get("dns.aaaa") or \
                    r.get("dns.cname")
                ln = r["dns.resp.len_raw"]
                end = ln[1] + 2 + num(r["dns.resp.len"]) - start
                raw = r.get("dns.cname_raw")
                out.append((t, num(r.get("dns.resp.class", "0")),
                            num(r.get("dns.resp.ttl", "0")), data, end,
                            wire_labels(raw[0]) if raw else None))
    # in the message's order: records alike are one key of tshark's JSON
    return sorted(out, key=lambda a: a[4])


def decode(path, netns):
    """The DNS messages of a capture as tshark decodes them: one dict per
    message with the event's keys and the fields to compare."""
    sizes = frame_payloads(path)
    text = sh(f"tshark -r {path} -Y 'dns or mdns' -T json -x"
              " --no-duplicate-keys "
              "2>/dev/null")
    msgs = []
    for pkt in json.loads(text or "[]"):
        ly = pkt["_source"]["layers"]
        ip = ly.get("ip") or ly.get("ipv6")
        v6 = "ipv6" in ly
        l4 = ly.get("udp") or ly.get("tcp")
        proto = "UDP" if "udp" in ly else "TCP"
        frame = int(ly["frame"]["frame.number"])
        frags = [int(f) for f in walk(ly, "ip.fragment")] + \
            [int(f) for f in walk(ly, "ipv6.fragment")]
        # mDNS (port 5353): the same fields, as a layer of its own
        dnss = ly.get("dns") or ly["mdns"]
        dnss = dnss if isinstance(dnss, list) else [dnss]
        for dns in dnss:
            flags = num(dns["dns.flags"])
            # an UPDATE's sections have names of their own in tshark:
            # Zone for Queries, Prerequisites for Answers
            upd = "Zone" in dns or "dns.count.zones" in dns
            q = dns.get("Zone" if upd else "Queries")
            q = next(iter(q.values())) if q else {}
            m = {
                "netns": netns, "frame": frame,
                # the frame a packet socket decodes the message from
                "first": min(frags) if frags else frame,
                "time": float(ly["frame"]["frame.time_epoch"]),
                "pkt_type": PKT_TYPES.get(num(first(ly, "sll.pkttype")),
                                          first(ly, "sll.pkttype")),
                "src": (ip["ipv6.src" if v6 else "ip.src"],
                        int(l4[f"{proto.lower()}.srcport"]), proto,
                        6 if v6 else 4),
                "dst": (ip["ipv6.dst" if v6 else "ip.dst"],
                        int(l4[f"{proto.lower()}.dstport"]), proto,
                        6 if v6 else 4),
                "id": num(dns["dns.id"]), "flags": flags,
                "named_flags": dns.get("dns.flags_tree", {}),
                "qdcount": num(dns["dns.count.zones" if upd
                                   else "dns.count.queries"]),
                "ancount": num(dns["dns.count.prerequisites" if upd
                                   else "dns.count.answers"]),
                "nscount": num(dns.get("dns.count.auth_rr", "0")),
                # TCP segments the message came in (its length's too)
                "segments": num(first(ly, "tcp.segment.count", "1")),
                "qname": q.get("dns.qry.name"),
                "qname_len": num(q.get("dns.qry.name.len", "0")),
                "qwire": wire_labels(q.get("dns.qry.name_raw", [""])[0]),
                "qtype": num(q.get("dns.qry.type", "0")),
                # stated: the question's 16 bits, mDNS's "unicast
                # response" bit (QU), which tshark shows apart, too
                "qclass": num(q.get("dns.qry.class", "0")) |
                num(q.get("dns.qry.qu", "0")) << 15,
                "answers": records(dns, "Prerequisites" if upd
                                   else "Answers"),
                "answered": "dns.response_to" in dns,
                # tshark stopped inside it (a message cut mid-record):
                # without its pairing fields
                "malformed": "_ws.malformed" in ly,
                # IPv4 options, IPv6 extension headers but fragments'
                "l3opts": num(ip["ipv6.nxt"]) not in (6, 17, 44) if v6
                else num(ip["ip.hdr_len"]) > 20,
                # EDNS's upper bits of the response code (OPT's TTL)
                "ext_rcode": num(first(dns.get("Additional records", {}),
                                       "dns.resp.ext_rcode", "0")),
                # what the gadget decodes of a message (stated): its
                # first 2048 bytes; of a UDP one in fragments, of those
                # the ones the first fragment holds after UDP's header
                "avail": min(sizes[min(frags)] - 8 if frags else 2048,
                             2048),
            }
            if proto == "TCP":
                m["stream"] = (l4["tcp.stream"], m["src"][1])
                m["dns_len"] = num(dns["dns.length"])
                m["syn"] = first(l4, "tcp.flags.syn") in ("1", "True")
            msgs.append(m)
    tcp_firsts(path, msgs)
    # tshark pairs a response with its query, and every response after
    # it too (a zone transfer's later messages); the gadget the first
    # one only (stated).  A message tshark stopped inside it leaves
    # unpaired.
    waiting = set()
    for m in msgs:
        if not m["flags"] >> 15:
            waiting.add((m["src"], m["dst"], m["id"]))
            continue
        k = (m["dst"], m["src"], m["id"])
        m["answered"] = k in waiting and (m["answered"] or m["malformed"])
        waiting.discard(k)
    return msgs


def tcp_firsts(path, msgs):
    """For a TCP message past 2 KiB (stated: decoded from its first 2
    KiB, once they are in): the frame that brings its 2048th byte.  The
    messages of a direction of a connection follow one another from its
    first byte (relative sequence number 1: tcpdump saw every SYN)."""
    out = sh(f"tshark -r {path} -Y 'tcp.len > 0' -T fields -E separator=/t"
             " -e frame.number -e tcp.stream -e tcp.srcport -e tcp.seq"
             " -e tcp.len 2>/dev/null")
    segs = {}
    for line in out.splitlines():
        n, stream, port, seq, ln = line.split("\t")
        segs.setdefault((stream, int(port)), []).append(
            (int(n), int(seq), int(ln)))
    at = {}
    for m in msgs:  # in frame order, and in a frame in message order
        if "stream" not in m:
            continue
        start = at.get(m["stream"], 1)
        at[m["stream"]] = start + 2 + m["dns_len"]
        if m["dns_len"] > 2048:
            byte = start + 2 + 2048 - 1
            m["first"] = min(n for n, seq, ln in segs[m["stream"]]
                             if seq <= byte < seq + ln)


# ---- names --------------------------------------------------------------


def labels(name):
    """The labels (bytes) of a name as the gadget writes it (dig's
    presentation form), and whether it ends in "..." (cut)."""
    cut = name.endswith("...")
    if cut:
        name = name[:-3]
    out, cur, i = [], bytearray(), 0
    while i < len(name):
        c = name[i]
        if c == "\\":
            if name[i + 1].isdigit():
                cur.append(int(name[i + 1:i + 4]))
                i += 4
            else:
                cur.append(ord(name[i + 1]))
                i += 2
            continue
        if c == ".":
            out.append(bytes(cur))
            cur = bytearray()
        else:
            cur.append(ord(c))
        i += 1
    if cut and cur:  # "label..." : the dot of the last whole label
        out.append(bytes(cur))
        cur = bytearray()
    check(not cur, f"name {name!r} ends in a label without its dot")
    if out == [b""]:  # the root
        out = []
    return out, cut


def tshark_name(lbls):
    """A name as tshark 4.0 shows dns.qry.name: labels joined by '.' as
    they are, C escapes or octal for control bytes, bytes that are not
    UTF-8 as U+FFFD, "<Root>" for the root."""
    if not lbls:
        return "<Root>"
    esc = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f",
           13: "\\r"}
    return "".join(esc.get(ord(c)) or
                   (f"\\{ord(c):03o}" if ord(c) < 0x20 or c == "\x7f"
                    else c)
                   for c in b".".join(lbls).decode("utf-8", "replace"))


def wire_labels(hexa):
    """The labels of a name from its bytes in the packet (tshark's
    dns.qry.name_raw), or None for a name with a compression pointer."""
    b, out, i = bytes.fromhex(hexa), [], 0
    while i < len(b) and b[i]:
        if b[i] & 0xC0:
            return None
        out.append(b[i + 1:i + 1 + b[i]])
        i += 1 + b[i]
    return out


def dig_name(lbls):
    """A name as dig prints it (RFC 1035's presentation form): what the
    gadget's names are stated to be."""
    def byte(c):
        if chr(c) in '"$();@\\.':
            return "\\" + chr(c)
        return chr(c) if 0x20 < c < 0x7f else f"\\{c:03d}"
    return "".join("".join(map(byte, lb)) + "." for lb in lbls) or "."


def cut_form(whole, more, sep, mark, limit=255):
    """The stated form of a list (name labels, or CNAME targets) that
    does not fit in limit characters: the whole items that fit with the
    marker after them ("..." alone when none does); whole is what fits,
    more the item after it (to check that it does not)."""
    mark = mark if whole else "..."
    text = sep.join(whole)
    check(len(text) + len(mark) <= limit, f"{text + mark!r} too long")
    nxt = sep.join(whole + [more])
    check(len(nxt) + len(mark) > limit,
          f"{text + mark!r}: {more!r} would fit too")
    return text + mark


def check_name(got, m, what):
    what += f": name {got!r} vs {m['qname']!r}"
    lbls, cut = labels(got)
    wire = m["qwire"]
    if wire is None:  # compressed: tshark's text and length only
        eq(tshark_name(lbls), m["qname"], f"{what}: name")
        eq(len(b".".join(lbls)), m["qname_len"] if lbls else 0,
           f"{what}: length of the name")
        check(not cut, f"{what}: cut")
        return
    # tshark's text is lossy (a dot in a label is a dot, and its
    # dns.count.labels counts those too): the labels are those of the
    # name's bytes in the packet, in dig's form; tshark's text agrees
    eq(tshark_name(wire), m["qname"], f"{what}: tshark's text")
    if len(dig_name(wire)) <= 255:
        eq(got, dig_name(wire), f"{what}: name")
        return
    # stated: a name whose escaped form does not fit in 255 characters
    # ends in "..." after its last whole label
    k = len(lbls)
    check(cut and lbls == wire[:k], f"{what}: cut name")
    eq(got, cut_form([dig_name([lb])[:-1] for lb in wire[:k]],
                     dig_name([wire[k]])[:-1], ".", "..."),
       f"{what}: cut name")


# ---- comparison ---------------------------------------------------------


def endpoint(ep):
    return (ep["addr"], ep["port"], ep["proto"], ep["version"])


def key(x):
    """What pairs an event with a packet (with their order)."""
    if "frame" in x:
        return (x["netns"], x["pkt_type"], x["src"], x["dst"], x["id"],
                bool(x["flags"] >> 15))
    return (x["netns_id"], x["pkt_type"], endpoint(x["src"]),
            endpoint(x["dst"]), int(x["id"], 16), x["qr_raw"])


def expect(m):
    """The event fields tshark's decode of message m says, with the
    gadget's stated limits applied."""
    f = m["flags"]
    qr = bool(f >> 15)
    # stated: no addresses, CNAMEs or TTL for queries (an UPDATE's
    # prerequisites, a NOTIFY's SOA are no answers)
    # stated: decoded from its first 2 KiB (of a UDP message in
    # fragments, from the first fragment), the records they hold whole;
    # num_answers is the header's
    ans = [a for a in m["answers"] if a[4] <= m["avail"]] if qr else []
    inn = [a for a in ans if a[1] & 0x7FFF == 1]  # class IN (mDNS bit)
    addrs = [a[3] for a in inn if a[0] in (1, 28)][:8]
    return {
        "qr_raw": qr, "qr": "R" if qr else "Q",
        "opcode_raw": f >> 11 & 0xF, "aa": bool(f >> 10 & 1),
        "tc": bool(f >> 9 & 1), "rd": bool(f >> 8 & 1),
        "ra": bool(f >> 7 & 1), "rcode_raw": f & 0xF,
        "num_answers": m["ancount"],
        "qtype_raw": m["qtype"], "qclass": m["qclass"],
        "addresses": ",".join(addrs),
        "ttl": min((a[2] for a in ans), default=0),
        "nameserver": m["dst" if not qr else "src"][0],
    }


def compare(e, m, what):
    want = expect(m)
    eq(e["id"], f"{m['id']:04x}", f"{what}: id")
    for k, v in want.items():
        got = e[k]["addr"] if k == "nameserver" else e[k]
        eq(got, v, f"{what}: {k}")
    # what tshark decodes of the flags (not all of them in a query)
    # agrees with the bits
    for name, k in (("authoritative", "aa"), ("truncated", "tc"),
                    ("recdesired", "rd"), ("recavail", "ra"),
                    ("opcode", "opcode_raw"), ("rcode", "rcode_raw")):
        v = m["named_flags"].get(f"dns.flags.{name}")
        if v is not None:
            eq(int(e[k]), int(v), f"{what}: {k} (tshark's dns.flags.{name})")
    # stated: rcode is the header's 4 bits, an EDNS extended code not
    # combined (BADVERS, 16, shows as Success): rcode_raw above is the
    # header's whatever m["ext_rcode"] says.
    # stated (value.shown-if: qr_raw): the name of a query's rcode is ""
    eq(e["rcode"], RCODES[want["rcode_raw"]] if want["qr_raw"] else "",
       f"{what}: rcode")
    eq(e["opcode"], OPCODES[want["opcode_raw"]], f"{what}: opcode")
    eq(e["qtype"], QTYPES.get(want["qtype_raw"], "UNKNOWN"), f"{what}: qtype")
    eq(e["nameserver"]["version"], m["src"][3], f"{what}: nameserver.version")
    if m["qdcount"]:
        check_name(e["name"], m, what)
    else:
        eq(e["name"], "", f"{what}: name without a question")
    # CNAME targets, written like names, up to 4 (stated); a list past
    # 255 characters ends at its last whole target that fits, then
    # ",..."; each target from its bytes in the packet as dig writes
    # them (tshark's text agrees), or tshark's text when compressed
    inn = [a for a in m["answers"] if a[1] & 0x7FFF == 1 and a[0] == 5
           and want["qr_raw"] and a[4] <= m["avail"]]
    for a in inn:
        if a[5] is not None:
            eq(tshark_name(a[5]), a[3], f"{what}: tshark's text of a target")
    targets = [a[3] + "." if a[5] is None else dig_name(a[5])
               for a in inn][:4]
    if len(",".join(targets)) <= 255:
        eq(e["cnames"], ",".join(targets), f"{what}: cnames")
    else:
        k = 0
        while len(",".join(targets[:k + 1])) + 4 <= 255:
            k += 1
        eq(e["cnames"], cut_form(targets[:k], targets[k], ",", ",..."),
           f"{what}: cnames")
    # stated: 0 for queries; a response has its latency when its query
    # was seen in the same namespace (tshark pairs them alike)
    if not want["qr_raw"]:
        eq(e["latency_ns_raw"], 0, f"{what}: latency of a query")
    else:
        eq(e["latency_ns_raw"] > 0, m["answered"],
           f"{what}: latency {e['latency_ns_raw']} with tshark's pairing")
    eq(e["data_len"], 0, f"{what}: data_len with -o json")
    # not from the packet, but the socket's owner: the server on the
    # address of the local end on port 53, else the client: a dig in
    # the client namespace (its threads have names of their own), the
    # forwarding dnsmasq in the server one
    local = m["src" if m["pkt_type"] == "OUTGOING" else "dst"]
    if local[1] in (53, 5353):
        eq(e["proc"]["comm"], "unbound" if local[0] in (U4, U6)
           else "python3" if local[0] in HAND else "dnsmasq",
           f"{what}: proc.comm")
    elif m["netns"] == CLIENT["ns"]:
        check(e["proc"]["pid"] in CLIENT["pids"],
              f"{what}: proc.pid {e['proc']['pid']} is no dig's")
    else:  # what the servers forward
        eq(e["proc"]["comm"], "unbound" if e["name"].lower().endswith(
            "caps.test.") else "dnsmasq", f"{what}: proc.comm")
    eq(e["unanswered"], False, f"{what}: unanswered")


def shapes(events, msgs):
    """What the compared messages were like: each kind the traffic is
    meant to hold must be there, or the comparison proves less."""
    got = set()
    frames = {}
    for m in msgs:
        frames[(m["netns"], m["frame"])] = frames.get(
            (m["netns"], m["frame"]), 0) + 1
    for m in msgs:
        f = m["flags"]
        types = {a[0] for a in m["answers"]}
        got |= {f"rcode {f & 0xF}", f"opcode {f >> 11 & 0xF}",
                f"class {m['qclass']}", m["src"][2], f"IPv{m['src'][3]}"}
        got |= {k for k, c in (("tc", f >> 9 & 1),
                                ("aa query", f >> 10 & 1 and f >> 15 == 0),
                                ("fragments", m["avail"] != 2048),
                                ("past 2 KiB", m["avail"] == 2048 and
                                 m["src"][2] == "TCP" and m["answers"] and
                                 m["answers"][-1][4] > 2048),
                                ("UDP past 2 KiB", m["avail"] == 2048 and
                                 m["src"][2] == "UDP" and m["answers"] and
                                 m["answers"][-1][4] > 2048),
                                ("> 8 addresses", sum(
                                    a[0] in (1, 28) for a in m["answers"])
                                 > 8),
                                ("> 4 cnames", sum(
                                    a[0] == 5 for a in m["answers"]) > 4),
                                ("root", m["qname"] == "<Root>"),
                                ("no question", not m["qdcount"]),
                                ("answers after 2 questions", f >> 15 and
                                 m["qdcount"] == 2 and m["answers"]),
                                ("NXDOMAIN, SOA in authority",
                                 f & 0xF == 3 and m["nscount"]),
                                ("SOA MX SRV PTR HTTPS answers",
                                 {6, 15, 33, 12, 65} <= types),
                                ("mixed case", m["qname"] and
                                 m["qname"] != m["qname"].lower() and
                                 m["qname"] != m["qname"].upper()),
                                ("TCP messages in one segment",
                                 m["src"][2] == "TCP" and
                                 frames[(m["netns"], m["frame"])] > 1),
                                ("TCP IPv6 message in segments",
                                 m["src"][3] == 6 and m["segments"] > 2),
                                ("IPv6 fragments",
                                 m["src"][3] == 6 and m["first"] !=
                                 m["frame"]),
                                ("IP options, IPv6 extension headers",
                                 m["l3opts"]),
                                ("a second response to a query",
                                 f >> 15 and not m["answered"] and
                                 m["src"][2] == "TCP" and not m["qdcount"]),
                                ("mDNS QU question", m["qclass"] >> 15),
                                ("mDNS answers without a question",
                                 m["src"][1] == 5353 and m["answers"] and
                                 not m["qdcount"]),
                                ("response cut mid-record",
                                 m["malformed"] and f >> 15),
                                ("query in a SYN (TCP Fast Open)",
                                 m.get("syn")),
                                ("TCP past 2 KiB in segments",
                                 m["src"][2] == "TCP" and
                                 m["first"] != m["frame"]),
                                ("query in fragments",
                                 not f >> 15 and m["first"] != m["frame"]),
                                ("extended rcode", m["ext_rcode"]))
                if c}
    got |= {"cut name" for e in events if e["name"].endswith("...")}
    got |= {"escapes" for e in events if "\\" in e["name"]}
    got |= {"cut cnames" for e in events if e["cnames"].endswith("...")}
    got |= {"escaped cnames" for e in events if "\\" in e["cnames"]}
    return got


SHAPES = {"rcode 0", "rcode 2", "rcode 3", "rcode 4", "rcode 5",
          "opcode 0", "opcode 2", "opcode 4", "opcode 5", "class 1",
          "class 3", "UDP", "TCP", "IPv4", "IPv6", "tc", "aa query",
          "fragments", "> 8 addresses", "> 4 cnames", "root", "cut name",
          "escapes", "cut cnames", "past 2 KiB", "no question",
          "extended rcode", "answers after 2 questions",
          "NXDOMAIN, SOA in authority", "SOA MX SRV PTR HTTPS answers",
          "mixed case", "TCP messages in one segment",
          "TCP IPv6 message in segments", "IPv6 fragments",
          "query in fragments", "escaped cnames",
          "TCP past 2 KiB in segments", "query in a SYN (TCP Fast Open)",
          "response cut mid-record", "UDP past 2 KiB",
          "IP options, IPv6 extension headers",
          "a second response to a query", "mDNS QU question",
          "mDNS answers without a question"}


def differential(events, msgs):
    """Pair events with messages key by key, in order; compare each pair.
    Returns the number of pairs."""
    groups = {}
    for m in sorted(msgs, key=lambda m: (m["time"], m["frame"])):
        groups.setdefault(key(m), [[], []])[0].append(m)
    for e in sorted(events, key=lambda e: e["timestamp_raw"]):
        groups.setdefault(key(e), [[], []])[1].append(e)
    bad = [(k, len(ms), len(es)) for k, (ms, es) in groups.items()
           if len(ms) != len(es)]
    check(not bad, f"packets (tshark) vs events per key: {bad[:6]}")
    n = 0
    for k, (ms, es) in groups.items():
        for m, e in zip(ms, es):
            compare(e, m, f"{k} frame {m['frame']}")
            n += 1
    return n


def pcap_frames(path):
    """The frames of a classic pcap file (tcpdump -w), by number from 1,
    without their Linux cooked v2 header (20 bytes): IP packets."""
    with open(path, "rb") as f:
        data = f.read()
    frames, at = {}, 24
    while at + 16 <= len(data):
        cap = int.from_bytes(data[at + 8:at + 12], "little")
        frames[len(frames) + 1] = data[at + 16 + 20:at + 16 + cap]
        at += 16 + cap
    return frames


def packets_written(env, msgs, pcaps):
    """-o pcap-ng wrote, per namespace, the packet of each message (from
    its IP header, cut at 512 bytes, its length kept): the frame a packet
    socket decodes it from (a TCP segment once however many messages it
    ends), as tcpdump captured it."""
    out = sh(f"tshark -r {env.pcapng.out.name} -T json -x 2>/dev/null")
    got = {}
    for pkt in json.loads(out or "[]"):
        ly = pkt["_source"]["layers"]
        ns = first(ly["frame"], "frame.interface_name")
        got.setdefault(ns, []).append(
            (ly["frame_raw"][0], int(ly["frame"]["frame.len"])))
    for ns, path in pcaps.items():
        frames = pcap_frames(path)
        firsts = {m["first"] for m in msgs if m["netns"] == ns.inode()}
        want = sorted((frames[n][:512].hex(), len(frames[n]))
                      for n in firsts)
        eq(sorted(got.get(ns.name, [])), want,
           f"packets written for {ns.name} (bytes, length)")


# ---- the traffic --------------------------------------------------------

# dig in the client namespace: a deterministic mix of servers, transports
# and message shapes
DIGS = [
    f"@{S4} web.test", f"@{S4} AAAA web.test", f"@{S6} web.test",
    f"@{S6} +notcp AAAA web.test", f"@{S4} c1.test", f"@{S4} TXT txt.test",
    f"@{S4} MX mx.test", f"@{S4} SRV _sip._udp.srv.test",
    f"@{S4} -x 10.79.5.5", f"@{S4} nx.test", f"@{S4} other.example",
    f"@{S4} CH TXT version.bind", f"@{S4} +tcp web.test",
    f"@{S6} +tcp AAAA web.test", f"@{S4} +tcp c1.test",
    f"@{S4} +tcp +keepopen web.test alias.test nx.test txt.test",
    f"@{S4} +norec web.test", f"@{S4} +noedns alias.test",
    f"@{S4} +dnssec web.test", f"@{S4} +bufsize=4096 +ignore TXT big.test",
    f"@{S4} +bufsize=4096 frag.test", f"@{S6} +bufsize=4096 frag.test",
    f"@{S4} +bufsize=1232 frag.test", f"@{S4} +noedns +ignore frag.test",
    f"@{S4} 'a\\.b\\032c\\\\d\\001e\\255.test'", f"@{S4} {LONG}",
    f"@{S4} '{CUT}'", f"@{S4} NS .", f"@{S6} +tcp '{CUT}'",
    f"@{U4} many20.u.example", f"@{U4} +noedns many60.u.example",
    f"@{U4} +noedns +ignore many60.u.example",
    f"@{U4} +bufsize=512 +notcp +ignore many60.u.example",
    f"@{U4} a.sf.example", f"@{U6} +dnssec +norec AAAA v6.u.example",
    f"@{U4} MX mx.u.example", f"@{U4} TXT t.u.example",
    f"@{U4} CH TXT version.bind", f"@{U6} +tcp many60.u.example",
    f"@{U4} +tcp +keepopen mx.u.example v6.u.example t.u.example",
    f"@{S4} +opcode=status web.test", f"@{U4} +opcode=notify t.u.example",
    f"@{S4} +aaonly +adflag +cdflag web.test", f"@{S4} '{CUT2}'",
    f"@{S4} long.test", f"@{S4} TYPE999 web.test",
    f"@{S4} TYPE11 web.test", f"@{S4} TYPE14 web.test",
    f"@{S4} +tcp TXT huge.test", f"@{S6} +tcp frag.test",
    f"@{U6} +tcp +keepopen many20.u.example nx.u.example mx.u.example",
    f"@{S4} 'caf\\195\\169.test'", f"@{S4} 'a\\000b\\009c\\127d\\010.test'",
    f"@{S4} a.fwd.test", f"@{S4} +tcp TXT big.fwd.test",
    f"@{S6} AAAA a.fwd.test", f"@{S4} WeB.TeSt",
    f"@{U4} +tcp ANY anyx.u.example", f"@{S4} +tcp ANY anyd.test",
    f"@{S4} +header-only", f"@{U4} +header-only", f"@{U4} +edns=1 t.u.example",
    f"@{S4} +edns=1 web.test",
    f"@{S4} '\\@\\$\\(\\)\\;\\\"!#%&*+-/:<=>?[]^_`{{|}}~.test'",
    # hand-made (dns_shapes.py): compression pointers to pointers, the
    # common record types, NXDOMAIN with an SOA in authority, a CNAME
    # target of escaped bytes, TXT records past the MTU (fragments)
    f"@{P4} ptr2.hand.test", f"@{P6} +tcp ptr2.hand.test",
    f"@{P4} ANY types.hand.test", f"@{P6} +tcp ANY types.hand.test",
    f"@{P4} nx.hand.test", f"@{P4} esc.hand.test", f"@{P6} +tcp esc.hand.test",
    f"@{P4} +bufsize=4096 bigtxt.hand.test",
    f"@{P6} +bufsize=4096 bigtxt.hand.test", f"@{U4} nothere.u.example",
    f"@{P4} cut.hand.test", f"@{P6} +ignore cut.hand.test",
    # a zone transfer: three messages to one query
    f"@{P4} AXFR hand.test", f"@{P6} AXFR hand.test",
    f"@{J4} +bufsize=4096 bigtxt.hand.test",
    f"@{J6} +bufsize=4096 bigtxt.hand.test",
    f"@{S6} +bufsize=4096 ANY anyd.test", f"@{U4} a.caps.test",
    f"@{U6} AAAA a.caps.test",
    # a query past 2 KiB (an EDNS option of 3000 bytes): over TCP
    f"@{P6} +ednsopt=65001:{'ab' * 3000} web.hand.test",
]
# dns_shapes.py's clients: two questions in a query (QDCOUNT 2), a UDP
# query in fragments, one with IPv4 options or IPv6 extension headers,
# an mDNS query to port 5353 (unicast response: QU),
# over TCP several queries in one segment, the responses in one segment
# or in segments of 7 bytes ("split"; one of them past 2 KiB), queries
# in a SYN (TCP Fast Open: the second connection, once the first
# brought a cookie)
SHAPE_CLIENTS = [
    f"udp2 {P4}", f"udp2 {P6}", f"udp2 {S4}", f"udp2 {U4}",
    f"udpbig {P4}", f"udpbig {P6}", f"udpbig {U4}", f"udpopt {P4}",
    f"udpopt {P6}", f"mdns {P4}", f"mdns {P6}",
    f"pipe {P4} web.hand.test two.hand.test ptr2.hand.test",
    f"pipe {P6} split.hand.test esc.hand.test types.hand.test"
    " bigtxt.hand.test",
    f"pipe {U6} mx.u.example t.u.example v6.u.example",
    f"tfo {P4} web.hand.test ptr2.hand.test", f"tfo {P6} esc.hand.test",
]


def dig(env, args):
    pid, out = tdns.run_client(env.cli, f"dig +time=2 +tries=1 {args}")
    check("status:" in out or "XFR size:" in out,
          f"dig {args}: no answer: {out[-300:]}")
    CLIENT["pids"].add(pid)


@test
def every_event_field_agrees_with_tshark(env):
    """Every DNS message tshark finds in both namespaces is one event
    (none missing, none extra) whose fields agree with tshark's decode."""
    pcaps = {ns: os.path.join(env.tmp, f"{ns.name}.pcap")
             for ns in (env.cli, env.srv)}
    dumps = {ns: tcpdump(ns, path) for ns, path in pcaps.items()}
    try:
        for args in DIGS:
            dig(env, args)
        for args in SHAPE_CLIENTS:
            pid, out = tdns.run_client(env.cli,
                                       f"/usr/bin/python3 {SHAPES_PY} {args}")
            check(out.startswith("id "), f"dns_shapes.py {args}: {out}")
            CLIENT["pids"].add(pid)
        # DNS UPDATE (opcode 5, a zone and prerequisites for question
        # and answers), refused
        for i, srv in enumerate((S4, U6)):
            cmds = os.path.join(env.tmp, f"update{i}")
            with open(cmds, "w") as f:
                f.write(f"server {srv}\nzone test.\n"
                        "prereq nxdomain new.test.\n"
                        "prereq yxrrset web.test. A\n"
                        "update add new.test. 60 A 10.79.4.4\nsend\n")
            pid, out = tdns.run_client(env.cli, f"nsupdate -t 2 {cmds}")
            check("update failed" in out, f"nsupdate: {out[-300:]}")
            CLIENT["pids"].add(pid)
        # the marker, asked last: once its response at the client is an
        # event, every event before it is (ring order)
        dig(env, f"@{S4} marker.test")
        tdns.wait_events(env.runner, lambda e: (
            e["netns_id"] == env.cli.inode() and
            e["name"] == "marker.test." and e["qr"] == "R"))
    finally:
        for p, err in dumps.values():
            tcpdump_stop(p, err)
    inodes = {env.cli.inode(), env.srv.inode()}
    events = [e for e in env.runner.events() if e["netns_id"] in inodes]
    msgs = []
    for ns, path in pcaps.items():
        msgs += decode(path, ns.inode())
    eq(SHAPES - shapes(events, msgs), set(), "kinds of messages missing")
    n = differential(events, msgs)
    eq(env.pcapng.stop(), 0, "-o pcap-ng runner's exit code")
    packets_written(env, msgs, pcaps)
    # the digs above, at both ends, and more (TCP retries, the marker)
    check(n >= 4 * len(DIGS), f"only {n} events compared")


if __name__ == "__main__":
    main(setup, teardown)
