"""Capture the host files :mod:`compiler.placement.host` reads into a directory.

``python3 -m compiler.placement.capture DEST`` makes a tree usable with
``--host-root DEST`` (as in ``fixtures/topologies``).  It copies file contents
only; nothing else about the machine is recorded.
"""

from __future__ import annotations

import glob
import os
import sys

PATTERNS = (
    "proc/cpuinfo",
    "proc/meminfo",
    "proc/sys/kernel/arch",
    "sys/devices/system/cpu/online",
    "sys/devices/system/cpu/cpu[0-9]*/topology/physical_package_id",
    "sys/devices/system/cpu/cpu[0-9]*/topology/die_id",
    "sys/devices/system/cpu/cpu[0-9]*/topology/core_id",
    "sys/devices/system/node/online",
    "sys/devices/system/node/node[0-9]*/cpulist",
    "sys/devices/system/node/node[0-9]*/meminfo",
)


def capture_host(dest: str, root: str = "/") -> list[str]:
    """Copy the files below ``root`` into ``dest``; returns the relative paths copied."""
    copied = []
    for pattern in PATTERNS:
        for src in sorted(glob.glob(os.path.join(root, pattern))):
            rel = os.path.relpath(src, root)
            try:
                with open(src, encoding="utf-8", errors="replace") as fh:
                    data = fh.read()
            except OSError:
                continue
            out = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "w", encoding="utf-8") as fh:
                fh.write(data)
            copied.append(rel)
    return copied


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python3 -m compiler.placement.capture DEST", file=sys.stderr)
        sys.exit(2)
    capture_host(sys.argv[1])
