"""Where a running guest's QMP socket is: ``--qmp SOCK`` or a guest name."""

from __future__ import annotations

import os

from ..diagnostics import Span, fail


def runtime_dir() -> str:
    base = os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/domc-{os.getuid()}"
    return os.path.join(base, "domc")


def socket_for(name: str) -> str:
    return os.path.join(runtime_dir(), f"{name}.qmp")


def add_target(parser) -> None:
    parser.add_argument("guest", nargs="?", help=f"guest name (socket {socket_for('NAME')})")
    parser.add_argument("--qmp", metavar="SOCK", help="the guest's QMP unix socket")


def resolve(args) -> str:
    sock = args.qmp or (socket_for(args.guest) if args.guest else None)
    if sock is None:
        raise fail("usage", "name a guest or give --qmp SOCK", Span(args.command))
    if not os.path.exists(sock):
        raise fail("no-guest", f"no QMP socket at {sock}; is the guest running?", Span(args.command))
    return sock
