"""What a launcher does to a compiled command line just before QEMU starts: choose
the ports left to it (SPICE, VNC websocket: QEMU cannot search for a free one) and the
vsock guest CIDs (<cid auto='yes'>: the host kernel knows which are free), and put
QEMU's environment in front.  ``domc run`` uses this; the ``--format shell``
launcher does the same in shell (compiler.emit.shell)."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import struct

from ..devices.graphics import AutoPort
from ..devices.vsock import AutoCid
from ..diagnostics import fail
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


VHOST_VSOCK = "/dev/vhost-vsock"
VHOST_VSOCK_SET_GUEST_CID = 0x4008AF60  # _IOW(VHOST_VIRTIO, 0x60, __u64)
MAX_CID = 2**32 - 2  # 0xffffffff is VMADDR_CID_ANY


def free_cid(first: int, taken: set[int] = frozenset(), device: str = VHOST_VSOCK) -> int:
    """The first guest CID from ``first``, none of ``taken``, that the host kernel has
    not given to a running guest: libvirt's test (virVsockAcquireGuestCid), setting it
    on a vhost-vsock descriptor of our own, which gives it back when closed."""
    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot open {device} to choose a vsock guest CID: "
                      f"{exc.strerror} (is the vhost_vsock module loaded?)") from None
    try:
        for cid in range(first, MAX_CID + 1):
            if cid in taken:
                continue
            try:
                fcntl.ioctl(fd, VHOST_VSOCK_SET_GUEST_CID, struct.pack("=Q", cid))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    continue
                raise
            return cid
    finally:
        os.close(fd)
    raise OSError(errno.EADDRINUSE, "no free vsock guest CID")


def set_cid(argv: list[str], ac: AutoCid, cid: int) -> list[str]:
    """argv with the guest CID of the -device ``ac.device`` set to ``cid``."""
    out = list(argv)
    for i, word in enumerate(out):
        if i and out[i - 1] == "-device" and word.startswith("{"):
            dev = json.loads(word)
            if dev.get("id") == ac.device:
                old = f'"guest-cid":{ac.placeholder}'
                assert old in word, f"{ac.device}: no {old} in {word}"
                out[i] = word.replace(old, f'"guest-cid":{cid}', 1)
                return out
    raise AssertionError(f"no -device with id {ac.device}")


def choose_cids(argv: list[str], autocids, device: str = VHOST_VSOCK) -> list[str]:
    taken: set[int] = set()
    for ac in autocids:
        try:
            cid = free_cid(ac.first, taken, device)
        except OSError as exc:
            raise fail("vsock-cid", f"{ac.device}: {exc.strerror}", ac.where) from None
        taken.add(cid)
        argv = set_cid(argv, ac, cid)
    return argv


def launch_argv(argv, env=(), autoports=(), autocids=()) -> list[str]:
    """The command to exec: ports and vsock CIDs chosen, and ``env NAME=value ...`` in
    front when QEMU needs variables in its environment."""
    out = choose_cids(choose_ports(list(argv), autoports), autocids)
    return ["env", *(f"{k}={v}" for k, v in env), *out] if env else out
