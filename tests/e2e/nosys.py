#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Run a command with some system calls failing ENOSYS, as on a kernel
that does not have them (a seccomp filter: the real kernel's answer to
the calls, not a mock):

    nosys.py 457 458 -- build/runner run ...

prefix(457, 458) gives the words before the command (Runner's prefix)."""
import ctypes
import errno
import os
import platform
import struct
import sys

# struct seccomp_data's arch for this machine's system calls
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
LD_W_ABS, JEQ_K, RET_K = 0x20, 0x15, 0x06
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2


def prefix(*nrs):
    return [sys.executable, os.path.abspath(__file__),
            *(str(n) for n in nrs), "--"]


def insn(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)


def filter_prog(nrs):
    """arch of another ABI: allowed; nr in nrs: ENOSYS; others allowed."""
    n = len(nrs)
    allow, fail = 3 + n, 4 + n
    prog = [insn(LD_W_ABS, 0, 0, 4),
            insn(JEQ_K, 0, allow - 2, AUDIT_ARCH[platform.machine()]),
            insn(LD_W_ABS, 0, 0, 0)]
    prog += [insn(JEQ_K, fail - (4 + i), 0, nr) for i, nr in enumerate(nrs)]
    prog += [insn(RET_K, 0, 0, SECCOMP_RET_ALLOW),
             insn(RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.ENOSYS)]
    return b"".join(prog), len(prog)


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def main(argv):
    sep = argv.index("--")
    code, n = filter_prog([int(a) for a in argv[1:sep]])
    buf = ctypes.create_string_buffer(code, len(code))
    prog = SockFprog(n, ctypes.cast(buf, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if (libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) or
            libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
                       ctypes.byref(prog), 0, 0)):
        sys.exit("nosys: seccomp: " + os.strerror(ctypes.get_errno()))
    os.execvp(argv[sep + 1], argv[sep + 1:])


if __name__ == "__main__":
    main(sys.argv)
