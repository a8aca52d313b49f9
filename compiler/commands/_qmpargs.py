"""Where a running guest's QMP socket is: ``--qmp SOCK`` or a guest name."""

from __future__ import annotations

import os
import socket
import stat

from ..diagnostics import Span, fail
from ..inputs import IO, require_directory


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
    if not _is_socket(sock):
        raise fail(IO, "not a socket (a guest's QMP socket is)", Span(sock))
    return sock


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def check_new_socket(path: str) -> None:
    """A path QEMU is to listen on.  QEMU deletes whatever is there before it binds, so
    only a stale socket may be there: not a file, not a directory, not the socket of
    a QEMU that still runs (an ``io`` or ``qmp-in-use`` error)."""
    require_directory(os.path.dirname(os.path.abspath(path)))
    if not os.path.lexists(path):
        return
    if not _is_socket(path):
        raise fail(IO, "exists and is not a socket; QEMU would delete it to listen there",
                   Span(path))
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        return  # stale: nothing listens any more
    finally:
        probe.close()
    raise fail("qmp-in-use", "a running QEMU already listens on this QMP socket", Span(path))
