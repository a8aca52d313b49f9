"""QemuOpts strings: ``key=value,key=value`` where a literal comma is written twice."""

from __future__ import annotations


def escape(value: str) -> str:
    """Make ``value`` one QemuOpts value: QEMU reads ',,' as a literal ','."""
    return value.replace(",", ",,")


def split_opts(value: str) -> list[str]:
    """A QemuOpts value cut at its separating commas (``,,`` is an escaped comma and
    stays in its part, doubled)."""
    parts, cur, i = [], "", 0
    while i < len(value):
        if value[i] == ",":
            if value[i + 1:i + 2] == ",":
                cur += ",,"
                i += 2
                continue
            parts.append(cur)
            cur = ""
        else:
            cur += value[i]
        i += 1
    parts.append(cur)
    return parts
