"""Confinement of a query worker process, applied once at its start (Linux; elsewhere each step reports itself off).

Defence in depth behind the parsed-query checks of kg.sparql.policy: even a SERVICE clause that got past them cannot
open a connection from a worker, because
  1. the worker moves into a new, empty network namespace (no interface is up: every connect fails), where the
     kernel allows it (as root, or through an unprivileged user namespace);
  2. a seccomp filter makes socket() and io_uring_setup() fail with EACCES (needs only no_new_privs);
and a worker's memory is capped (RLIMIT_AS) so one query cannot exhaust the machine: it dies and is replaced.
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import struct

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
EACCES = 13

# machine -> (AUDIT_ARCH value, syscall numbers to refuse: socket, io_uring_setup)
_ARCHES = {
    "x86_64": (0xC000003E, (41, 425)),
    "aarch64": (0xC00000B7, (198, 425)),
}


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def isolate_network() -> str:
    """Enter an empty network namespace. Must run while the process has a single thread."""
    libc = _libc()
    for flags, how in ((CLONE_NEWNET, "network namespace"), (CLONE_NEWUSER | CLONE_NEWNET, "user+network namespace")):
        if libc.unshare(flags) == 0:
            return f"{how}: on"
    return f"network namespace: off ({os.strerror(ctypes.get_errno())})"


def _bpf(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def forbid_sockets() -> str:
    """Install a seccomp filter: socket() and io_uring_setup() fail with EACCES; other ABIs are refused."""
    arch = _ARCHES.get(platform.machine())
    if arch is None:
        return f"seccomp socket filter: off (no syscall table for {platform.machine()})"
    audit_arch, refused = arch
    ld_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    deny = SECCOMP_RET_ERRNO | EACCES
    body = [
        _bpf(ld_abs, 0, 0, 4),  # seccomp_data.arch
        _bpf(jeq, 1, 0, audit_arch),
        _bpf(ret, 0, 0, deny),
        _bpf(ld_abs, 0, 0, 0),  # seccomp_data.nr
        _bpf(jge, len(refused) + 1, 0, 0x40000000),  # x32 syscalls
    ]
    for i, nr in enumerate(refused):
        body.append(_bpf(jeq, len(refused) - i, 0, nr))
    body += [_bpf(ret, 0, 0, SECCOMP_RET_ALLOW), _bpf(ret, 0, 0, deny)]
    program = b"".join(body)
    buffer = ctypes.create_string_buffer(program, len(program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(len(body), ctypes.cast(buffer, ctypes.c_void_p))
    libc = _libc()
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return f"seccomp socket filter: off ({os.strerror(ctypes.get_errno())})"
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        return f"seccomp socket filter: off ({os.strerror(ctypes.get_errno())})"
    return "seccomp socket filter: on"


def limit_memory(extra_bytes: int) -> str:
    """Cap the address space at what the process uses now plus `extra_bytes`; no core files."""
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[0])
        limit = pages * os.sysconf("SC_PAGE_SIZE") + extra_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        return f"memory limit: {limit // 2**20} MiB"
    except (OSError, ValueError) as exc:
        return f"memory limit: off ({exc})"


def confine(*, network: bool, memory_bytes: int) -> list[str]:
    """Everything above that applies; returns what is in force, one line each (for the server log)."""
    if platform.system() != "Linux":
        return ["confinement: off (not Linux)"]
    report = []
    if not network:
        report.append(isolate_network())
        report.append(forbid_sockets())
    report.append(limit_memory(memory_bytes))
    return report
