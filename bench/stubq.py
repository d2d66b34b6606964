#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A stub resolver's traffic shape: each query from a new unconnected UDP
# socket (sendto, one answer, close), one after another for SECONDS; the
# names of QUERYFILE (dnsperf's format) in turn.  Prints dnsperf's count
# and rate lines, for bench/bpfstats.sh.
#   bench/stubq.py SERVER SECONDS QUERYFILE
import socket
import struct
import sys
import time

srv, secs = sys.argv[1], float(sys.argv[2])
with open(sys.argv[3]) as f:
    names = [line.split()[0].rstrip(".") for line in f if line.strip()]
msgs = []
for i, n in enumerate(names):
    q = struct.pack("!6H", i & 0xFFFF, 0x100, 1, 0, 0, 0)
    for label in n.split("."):
        q += bytes([len(label)]) + label.encode()
    msgs.append(q + b"\x00" + struct.pack("!HH", 1, 1))
done = 0
start = time.monotonic()
end = start + secs
while time.monotonic() < end:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.sendto(msgs[done % len(msgs)], (srv, 53))
    try:
        s.recv(512)
        done += 1
    except socket.timeout:
        pass
    s.close()
took = time.monotonic() - start
print(f"  Queries completed:    {done}")
print(f"  Queries per second:   {done / took:.1f}")
