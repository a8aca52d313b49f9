"""Small helpers around the QEMU project's QMP library (qemu.qmp)."""

from __future__ import annotations

import subprocess


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
