"""What ``domc run`` does when the guest powers off, reboots or panics: what
libvirt's daemon does on QEMU's events (<on_poweroff>, <on_reboot>, <on_crash>).

libvirt 9.0 starts QEMU with ``-no-shutdown`` and no lifecycle option: a guest that
powers off leaves QEMU stopped, and the daemon, told by the SHUTDOWN event, destroys
it (or resets it for ``restart``); a guest-initiated reset (RESET) destroys it for
``on_reboot='destroy'``; a panic (GUEST_PANICKED) is handled by ``on_crash``.  Without
a daemon, QEMU would wait forever after the guest powered off: ``domc run`` stays on
the monitor and does the same.
"""

from __future__ import annotations

import json
import socket
import time

# the QMP commands that carry out an action; 'preserve' leaves the guest as it is
ACTIONS = {"destroy": ("quit",), "restart": ("system_reset", "cont"), "preserve": (),
           "coredump-destroy": ("quit",), "coredump-restart": ("system_reset", "cont")}


def commands_for(event: str, data: dict, actions: dict[str, str]) -> tuple[str, ...]:
    """The QMP commands for one QEMU event, given each lifecycle event's action."""
    if event == "SHUTDOWN":
        # the guest powered off (not the host asking QEMU to quit, nor a panic, which
        # GUEST_PANICKED reports)
        if data.get("guest") and data.get("reason") != "guest-panic":
            return ACTIONS[actions["on_poweroff"]]
    elif event == "RESET":
        if data.get("guest") and actions["on_reboot"] == "destroy":
            return ACTIONS["destroy"]
    elif event == "GUEST_PANICKED":
        return ACTIONS[actions["on_crash"]]
    return ()


def watch(sock: str, actions: dict[str, str], connect_timeout: float = 10.0) -> None:
    """Until QEMU closes its monitor (it exited): every event handled by
    :func:`commands_for`.  The monitor takes one client at a time, so this connects
    once the plan's own QMP session has closed."""
    conn = _connect(sock, connect_timeout)
    with conn, conn.makefile("rwb") as f:
        f.readline()  # the greeting
        _send(f, "qmp_capabilities")
        for line in f:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            event = msg.get("event")
            if event is None:
                continue  # the answer to a command of ours
            for command in commands_for(event, msg.get("data") or {}, actions):
                _send(f, command)


def _send(f, command: str) -> None:
    f.write(json.dumps({"execute": command}).encode() + b"\n")
    f.flush()


def _connect(sock: str, timeout: float) -> socket.socket:
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(sock)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
