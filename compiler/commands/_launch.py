"""What a launcher does to a compiled command line just before QEMU starts: choose
the ports left to it (SPICE, VNC websocket: QEMU cannot search for a free one) and
put QEMU's environment in front.  ``domc run`` uses this; the ``--format shell``
launcher does the same in shell (compiler.emit.shell)."""

from __future__ import annotations

import errno
import socket

from ..devices.graphics import AutoPort
from ..emit.qemuopts import split_opts


def port_is_free(port: int) -> bool:
    """Nothing listens on ``port`` on any IPv4 or IPv6 address: libvirt's test
    (virPortAllocatorBindToPort binds the wildcard address of both families)."""
    for family, addr in ((socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")):
        try:
            s = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            if exc.errno == errno.EAFNOSUPPORT:
                continue  # no IPv6 on this host
            raise
        with s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                s.bind((addr, port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return False
                if exc.errno != errno.EADDRNOTAVAIL:
                    raise
    return True


def free_port(first: int, last: int, taken: set[int] = frozenset()) -> int:
    for port in range(first, last + 1):
        if port not in taken and port_is_free(port):
            return port
    raise OSError(errno.EADDRINUSE, f"no free TCP port from {first} to {last}")


def set_port(argv: list[str], ap: AutoPort, port: int) -> list[str]:
    """argv with ``key=placeholder`` in ``ap.option``'s argument replaced by ``port``."""
    out = list(argv)
    i = out.index(ap.option) + 1
    parts = split_opts(out[i])
    parts[parts.index(f"{ap.key}={ap.placeholder}")] = f"{ap.key}={port}"
    out[i] = ",".join(parts)
    return out


def choose_ports(argv: list[str], autoports) -> list[str]:
    taken: set[int] = set()
    for ap in autoports:
        port = free_port(ap.first, ap.last, taken | set(ap.avoid))
        taken.add(port)
        argv = set_port(argv, ap, port)
    return argv


def launch_argv(argv, env=(), autoports=()) -> list[str]:
    """The command to exec: ports chosen, and ``env NAME=value ...`` in front when QEMU
    needs variables in its environment."""
    out = choose_ports(list(argv), autoports)
    return ["env", *(f"{k}={v}" for k, v in env), *out] if env else out
