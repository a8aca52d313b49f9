"""Small helpers around the QEMU project's QMP library (qemu.qmp)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile


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
    if not kvm_usable():
        return None
    try:
        return asyncio.run(_ask_kvm(emulator, timeout))
    except Exception:  # noqa: BLE001 - no answer is an answer: the caller falls back
        return None


async def _ask_kvm(emulator: str, timeout: float) -> dict | None:
    from qemu.qmp import QMPClient

    with tempfile.TemporaryDirectory(prefix="domc-kvm.") as tmp:
        sock = os.path.join(tmp, "qmp.sock")
        client = QMPClient("domc-kvm-host")
        await client.start_server(sock)
        proc = subprocess.Popen(
            [emulator, "-S", "-nodefaults", "-nographic", "-display", "none", "-machine", "none",
             "-accel", "kvm", "-qmp", f"unix:{sock}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            await _accept(client, proc, timeout)

            async def execute(command: str, arguments: dict | None):
                return await asyncio.wait_for(client.execute(command, arguments), timeout)

            return await expand_accel_cpu(execute, "kvm")
        finally:
            await stop(client, proc)


async def _accept(client, proc: subprocess.Popen, timeout: float) -> None:
    """Wait for QEMU to connect; give up at once when it exits first (no KVM, say)."""
    task = asyncio.ensure_future(client.accept())
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    try:
        while not task.done():
            if proc.poll() is not None or loop.time() > end:
                raise OSError("QEMU did not connect")
            await asyncio.wait({task}, timeout=0.05)
        task.result()
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)  # retrieved: nothing printed
