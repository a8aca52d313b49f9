"""Small helpers around the QEMU project's QMP library (qemu.qmp), and the one question
a compile may ask this machine's QEMU (:func:`ask_kvm_host_cpu`), asked over a plain
blocking socket: asyncio and qemu.qmp took 25 ms to import, more than a QEMU answers
in, and a compile asks only three things in turn."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only
    import socket
    import subprocess

# socket, subprocess and tempfile are imported where QEMU is really asked: a compile
# whose answer the host cache holds (compiler.hostcache) imports this module for
# kvm_usable alone, and those three took 12 ms, more than twenty compiles


async def quit_and_disconnect(client) -> None:
    """Ask QEMU to quit and drop the connection.  QEMU may close the socket before or
    after it answers 'quit', and the library then reports EOF from either call;
    either way QEMU is going away, which is all the caller wants."""
    try:
        await client.execute("quit")
    except Exception:  # noqa: BLE001 - EOF or a disconnect race
        pass
    try:
        await client.disconnect()
    except Exception:  # noqa: BLE001 - already gone
        pass


async def stop(client, proc: subprocess.Popen, grace: float = 10) -> None:
    """End a QEMU this process started: quit over QMP, then wait for it, killing it
    when it does not exit within ``grace`` seconds."""
    import subprocess

    await quit_and_disconnect(client)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# Properties of a static CPU expansion that are not CPUID features.
NON_FEATURE_PROPS = ("family", "model", "stepping", "vendor", "model-id", "min-level", "min-xlevel")
# the CPU model that stands for "everything the accelerator can give a guest"
ACCEL_CPU = {"kvm": "host", "tcg": "max"}


async def expand_accel_cpu(execute, accel: str, with_blockers: bool = True) -> dict | None:
    """What the accelerator QEMU runs under can give a guest, asked as libvirt 9.0 asks
    for its host-model CPU: the static expansion of 'host' (KVM) or 'max' (TCG), with
    and without ``migratable``, and which named models it cannot run in full.

    ``execute(command, arguments)`` is an async function returning QEMU's answer (QMP,
    or a recording of it that answers None to a question it did not record: then None).
    Returns {accel, vendor, family, model, stepping, features, non_migratable,
    blockers}: QEMU property names; ``features`` those a migratable guest gets,
    ``non_migratable`` those only a guest that may not migrate gets (invtsc),
    ``blockers`` per model what it lacks here (query-cpu-definitions'
    unavailable-features; left out with ``with_blockers`` false)."""
    name = ACCEL_CPU[accel]
    mig = await execute("query-cpu-model-expansion", {"type": "static", "model": {"name": name}})
    nomig = await execute("query-cpu-model-expansion", {
        "type": "static", "model": {"name": name, "props": {"migratable": False}}})
    if mig is None or nomig is None:
        return None
    props = mig["model"]["props"]
    on = {k for k, v in props.items() if v is True and k not in NON_FEATURE_PROPS}
    also = {k for k, v in nomig["model"]["props"].items()
            if v is True and k not in NON_FEATURE_PROPS} - on
    out = {"accel": accel, "vendor": props.get("vendor"), "family": props.get("family"),
           "model": props.get("model"), "stepping": props.get("stepping"),
           "features": sorted(on), "non_migratable": sorted(also)}
    if with_blockers:
        defs = await execute("query-cpu-definitions", None)
        out["blockers"] = {d["name"]: sorted(d["unavailable-features"]) for d in defs or ()
                           if d.get("unavailable-features")}
    return out


def kvm_usable(device: str = "/dev/kvm") -> bool:
    return os.access(device, os.R_OK | os.W_OK)


def ask_kvm_host_cpu(emulator: str, timeout: float = 30.0) -> dict | None:
    """:func:`expand_accel_cpu` for KVM, from a QEMU started for the question (paused,
    ``-machine none``, no devices) and told to quit; None when /dev/kvm is not usable
    here or QEMU gives no answer."""
    import tempfile

    if not kvm_usable():
        return None
    try:
        with tempfile.TemporaryDirectory(prefix="domc-kvm.") as tmp:
            return _ask_kvm(emulator, os.path.join(tmp, "qmp.sock"), timeout)
    except Exception:  # noqa: BLE001 - no answer is an answer: the caller falls back
        return None


def _ask_kvm(emulator: str, path: str, timeout: float) -> dict | None:
    import socket
    import subprocess

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(path)
        server.listen(1)
        proc = subprocess.Popen(
            [emulator, "-S", "-nodefaults", "-nographic", "-display", "none", "-machine", "none",
             "-accel", "kvm", "-qmp", f"unix:{path}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            conn = _accept(server, proc, timeout)
            with conn:
                qmp = _BlockingQmp(conn, timeout)
                qmp.execute("qmp_capabilities", None)
                try:
                    return _run_blocking(expand_accel_cpu(qmp.coroutine_execute, "kvm"))
                finally:
                    qmp.quit()
        finally:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        server.close()


def _accept(server: socket.socket, proc: subprocess.Popen, timeout: float) -> socket.socket:
    """QEMU's connection; give up at once when it exits first (no KVM, say)."""
    import socket

    server.settimeout(0.05)
    waited = 0.0
    while True:
        try:
            conn, _ = server.accept()
            return conn
        except socket.timeout:
            waited += 0.05
            if proc.poll() is not None or waited > timeout:
                raise OSError("QEMU did not connect") from None


class _BlockingQmp:
    """QMP over a connected socket, one command at a time: the greeting is read first,
    events are passed over, an error answer raises."""

    def __init__(self, conn: socket.socket, timeout: float):
        conn.settimeout(timeout)
        self.conn = conn
        self.lines = conn.makefile("rb")
        self.count = 0
        if "QMP" not in self._message():
            raise OSError("QEMU sent no QMP greeting")

    def _message(self) -> dict:
        line = self.lines.readline()
        if not line:
            raise OSError("QEMU closed the QMP connection")
        return json.loads(line)

    def execute(self, command: str, arguments: dict | None):
        self.count += 1
        request = {"execute": command, "id": self.count}
        if arguments:
            request["arguments"] = arguments
        self.conn.sendall(json.dumps(request).encode() + b"\n")
        while True:
            msg = self._message()
            if msg.get("id") != self.count:
                continue  # an event
            if "error" in msg:
                raise OSError(f"{command}: {msg['error'].get('desc', msg['error'])}")
            return msg["return"]

    async def coroutine_execute(self, command: str, arguments: dict | None):
        """:meth:`execute` as expand_accel_cpu calls it (it awaits its answers)."""
        return self.execute(command, arguments)

    def quit(self) -> None:
        """Ask QEMU to quit; it may close the socket before or after it answers."""
        try:
            self.execute("quit", None)
        except (OSError, ValueError):
            pass
        self.lines.close()


def _run_blocking(coro):
    """The value of a coroutine that never waits: every await in it reaches a blocking
    call that has its answer when it returns (``coroutine_execute``), so it runs to
    its end on its first step, without an event loop."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("the coroutine waited for something")
