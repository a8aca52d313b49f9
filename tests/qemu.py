"""Booting a compiled argv under the real QEMU, paused, and asking it over QMP.

Every test that proves an argv on QEMU goes through here:

- :func:`bootable` turns a compiled argv into one this machine can start: TCG instead
  of KVM (and its 'max' CPU for the host's), VNC on no socket, every image the guest names replaced by a 1 MiB
  scratch file (so the test needs none of the files the domain names), and every
  secret file by one of the test's (a LUKS image is made encrypted with it);
- :func:`ask_paused` starts it with ``-S`` and a QMP socket served by the test
  (QEMU connects to us, so there is nothing to poll for), runs the caller's queries
  and makes QEMU quit.  QEMU refusing the argv raises :class:`QemuRefused` with its
  message; a slow machine only makes the wait longer, up to ``timeout``.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Awaitable, Callable, TypeVar

from compiler.qmpclient import stop

QEMU = shutil.which("qemu-system-x86_64")
QEMU_IMG = shutil.which("qemu-img")
NO_QEMU = "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"

T = TypeVar("T")

# block drivers that insist on a host device; a scratch file stands in as a plain file
HOST_DRIVERS = ("host_device", "host_cdrom")


class QemuRefused(Exception):
    """QEMU exited before it served QMP: the message is what QEMU printed."""


def bootable(argv: list[str], tmp_path: Path, keep: dict[str, str | None] | None = None,
             keep_secrets: bool = False) -> tuple[list[str], dict[str, str]]:
    """The argv with TCG forced, VNC on no socket and image files replaced by scratch
    files of 1 MiB, one per block node, in the format the argv reads them with.  ``keep`` maps block node
    names to the file to use instead (None: the argv's own file); ``keep_secrets`` keeps
    the argv's secret files.  Returns the argv
    and {original file: its (first) scratch file}."""
    keep = keep or {}
    formats = {}  # storage node name -> the format driver layered on it
    secrets = {}  # secret object id -> the test's file for it
    keys = {}  # storage node name -> the secret id its LUKS layer opens with
    for opt, value in zip(argv, argv[1:]):
        if opt == "-object" and value.startswith("{"):
            obj = json.loads(value)
            if obj.get("qom-type") == "secret" and "file" in obj and not keep_secrets:
                secrets[obj["id"]] = _scratch_secret(obj["id"], tmp_path)
        if opt == "-blockdev":
            node = json.loads(value)
            if isinstance(node.get("file"), str):
                formats[node["file"]] = node["driver"]
                key = node.get("key-secret") or (node.get("encrypt") or {}).get("key-secret")
                if key:
                    keys[node["file"]] = key
    out, images = [QEMU or argv[0]], {}
    args = iter(argv[1:])
    for opt in args:
        if opt == "-object":
            value = next(args)
            obj = json.loads(value) if value.startswith("{") else {}
            if obj.get("id") in secrets:
                value = json.dumps({**obj, "file": secrets[obj["id"]]})
            out += ["-object", value]
        elif opt == "-accel":
            next(args)
            out += ["-accel", "tcg"]
        elif opt == "-cpu":
            model, sep, flags = next(args).partition(",")
            # the host's own CPU exists only under KVM: TCG's closest is 'max'
            out += ["-cpu", ("max" if model == "host" else model) + sep + flags]
        elif opt == "-vnc":
            next(args)
            out += ["-vnc", "none"]
        elif opt == "-blockdev":
            node = json.loads(next(args))
            name = node.get("node-name")
            if name in keep:
                node["filename"] = keep[name] or node["filename"]
            elif "filename" in node:
                fmt = formats.get(name, "raw")
                key = keys.get(name)
                node["filename"] = _scratch(node["filename"], fmt, images, tmp_path,
                                            secrets.get(key) if key else None)
                if node.get("driver") in HOST_DRIVERS:
                    node["driver"] = "file"
            out += ["-blockdev", json.dumps(node)]
        else:
            out.append(opt)
    return out, images


def _scratch(path: str, fmt: str, images: dict[str, str], tmp_path: Path,
             secret: str | None = None) -> str:
    """A new file per block node: two disks on one path would fight over QEMU's image
    lock, and a test must not depend on the host sharing them.  With ``secret`` (the
    file of the key its LUKS layer opens with) the image is encrypted with it."""
    scratch = str(tmp_path / f"img{sum(1 for _ in tmp_path.glob('img*'))}.{fmt}")
    if secret is not None:
        make_luks(scratch, fmt, secret, "1M")
    elif fmt == "raw":
        with open(scratch, "wb") as fh:
            fh.truncate(1 << 20)
    else:
        subprocess.run([QEMU_IMG or "qemu-img", "create", "-q", "-f", fmt, scratch, "1M"], check=True)
    images.setdefault(path, scratch)
    return scratch


def make_luks(image: str, fmt: str, secret: str, size: str) -> None:
    """A LUKS image (``fmt`` 'luks', or 'qcow2' with LUKS inside) whose key is the
    content of the file ``secret``.  qemu-img times its key derivation on this thread's
    CPU clock and gives up ("Unable to get accurate CPU usage") when the first round of
    32768 iterations took under a millisecond of its clock (a quarter of the attempts on
    a fast, busy machine); that says nothing about the image, so it is retried."""
    opts = ("key-secret=sec0,iter-time=200" if fmt == "luks"
            else "encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=200")
    argv = [QEMU_IMG or "qemu-img", "create", "-q", "--object", f"secret,id=sec0,file={secret}",
            "-f", fmt, "-o", opts, image, size]
    for _ in range(40):
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode == 0 or "Unable to get accurate CPU usage" not in done.stderr:
            break
    assert done.returncode == 0, f"qemu-img create failed: {done.stderr.strip()}"


def _scratch_secret(sid: str, tmp_path: Path) -> str:
    path = tmp_path / f"secret-{sid}"
    path.write_text("domc-test-passphrase")
    return str(path)


def ask_paused(argv: list[str], ask: Callable[[object], Awaitable[T]], timeout: float = 120) -> T:
    """Start ``argv`` paused with a QMP socket, return ``await ask(client)``."""
    return asyncio.run(asyncio.wait_for(_session(argv, ask), timeout))


_LIVE: set[subprocess.Popen] = set()


def _reap(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    proc.stderr.close()
    _LIVE.discard(proc)


@atexit.register
def _reap_all() -> None:
    for proc in list(_LIVE):
        _reap(proc)


def _said(proc: subprocess.Popen) -> str:
    return proc.stderr.read().decode(errors="replace").strip()


async def _session(argv: list[str], ask):
    from qemu.qmp import ConnectError, QMPClient

    # a short directory: a unix socket path must fit in 108 bytes
    with tempfile.TemporaryDirectory(prefix="domc-qmp.", dir="/tmp") as tmp:
        sock = str(Path(tmp) / "qmp.sock")
        client = QMPClient("domc-test")
        await client.start_server(sock)
        proc = subprocess.Popen([*argv, "-S", "-qmp", f"unix:{sock}"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _LIVE.add(proc)
        try:
            accept = asyncio.ensure_future(client.accept())
            while not accept.done():
                if proc.poll() is not None:
                    accept.cancel()
                    raise QemuRefused(_said(proc))
                await asyncio.wait({accept}, timeout=0.1)
            try:
                accept.result()
                return await ask(client)
            except (EOFError, ConnectionError, ConnectError):
                # QEMU connects before it builds the machine; failing there it hangs up
                proc.wait(timeout=30)
                raise QemuRefused(_said(proc)) from None
        finally:
            try:
                await stop(client, proc)
            finally:
                # cancelled (timed out) or interrupted half-way through stop(): never
                # leave a QEMU behind to compete with the tests after this one
                _reap(proc)


@contextlib.contextmanager
def compiled_for_boot(xml, host_root: str):
    """Compile an example to boot here: its helpers' sockets and state in a short
    temporary directory (a unix socket path fits 108 bytes; pytest's tmp_path may be
    deeper), skipped when a helper it needs is not installed.  Yields the result; boot
    it inside ``Helpers(result.plan)``."""
    import pytest

    from compiler.api import compile_file, make_env
    from compiler.runtime import HostDirs

    host = tempfile.mkdtemp(prefix="domc-b.", dir="/tmp")
    try:
        result = compile_file(str(xml), make_env(host_root=host_root, dirs=HostDirs(
            f"{host}/run", f"{host}/state")))
        for h in result.plan.helpers:
            if shutil.which(h.argv[0]) is None:
                pytest.skip(f"{h.argv[0]} is not installed (the helper of {h.device})")
        yield result
    finally:
        shutil.rmtree(host, ignore_errors=True)
