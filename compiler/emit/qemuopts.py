"""QemuOpts strings: ``key=value,key=value`` where a literal comma is written twice."""

from __future__ import annotations


def escape(value: str) -> str:
    """Make ``value`` one QemuOpts value: QEMU reads ',,' as a literal ','."""
    return value.replace(",", ",,")
