"""Where CPUID data comes from: libvirt ``<cpudata>`` dumps, ``cpuid -r`` output,
this machine's ``/dev/cpu/0/cpuid`` (Linux cpuid driver), or, failing that,
``/proc/cpuinfo`` flags."""

from __future__ import annotations

import os
import re

from ..record import frozen

from ..diagnostics import Span, fail
from ..inputs import read_input_file, read_input_text
from ..xmldoc import read_document
from .features import CpuidData, CpuidLoc, table

_CPUID_R_LINE = re.compile(
    r"^\s*(0x[0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+):\s*eax=(0x[0-9a-fA-F]+)\s+ebx=(0x[0-9a-fA-F]+)"
    r"\s+ecx=(0x[0-9a-fA-F]+)\s+edx=(0x[0-9a-fA-F]+)\s*$")


def _hex(el, name, path) -> int:
    raw = el.get(name)
    try:
        return int(raw, 16) if raw is not None else 0
    except ValueError:
        raise fail("bad-number", f"invalid {name}={raw!r}: not a hex number", Span(path, el.sourceline or 0)) from None


def _from_cpudata(root, path: str) -> CpuidData:
    leaves, msrs = {}, {}
    for el in root.iter("cpuid"):
        key = (_hex(el, "eax_in", path), _hex(el, "ecx_in", path))
        leaves[key] = tuple(_hex(el, r, path) for r in ("eax", "ebx", "ecx", "edx"))
    for el in root.iter("msr"):
        msrs[_hex(el, "index", path)] = _hex(el, "edx", path) << 32 | _hex(el, "eax", path)
    if not leaves:
        raise fail("cpuid-empty", "no <cpuid> entries in <cpudata>", Span(path, root.sourceline or 0))
    return CpuidData(leaves, msrs)


def _from_cpuid_r(text: str, path: str) -> CpuidData:
    leaves = {}
    seen_cpu = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        if re.match(r"^\s*CPU\s+\d+:\s*$", line):
            seen_cpu += 1
            if seen_cpu > 1:
                break  # the first CPU describes the package
            continue
        m = _CPUID_R_LINE.match(line)
        if m:
            leaf, sub, *regs = (int(x, 16) for x in m.groups())
            leaves[(leaf, sub)] = tuple(regs)
        elif line.strip():
            raise fail("cpuid-syntax", "not a `cpuid -r` line", Span(path, lineno))
    if not leaves:
        raise fail("cpuid-empty", "no CPUID leaves found", Span(path, 1))
    return CpuidData(leaves, {})


def load_cpuid_file(path: str) -> CpuidData:
    """A libvirt ``<cpudata>`` document or the raw output of ``cpuid -r`` (read once)."""
    data = read_input_file(path)
    if data.lstrip().startswith(b"<"):
        root = read_document(data, path, remove_comments=True)
        if root.tag != "cpudata":
            raise fail("cpuid-format", f"expected <cpudata>, found <{root.tag}>", Span(path, root.sourceline or 0))
        return _from_cpudata(root, path)
    return _from_cpuid_r(data.decode("utf-8", errors="replace"), path)


def _query_leaves() -> list[tuple[int, int]]:
    keys = {(0, 0), (1, 0), (0x80000000, 0)}
    for f in table().features:
        if isinstance(f.loc, CpuidLoc):
            keys.add((f.loc.leaf, f.loc.subleaf))
    return sorted(keys)


def read_local_cpuid(dev: str = "/dev/cpu/0/cpuid") -> CpuidData | None:
    """This machine's CPUID via the Linux cpuid driver, or None when unreadable."""
    try:
        fd = os.open(dev, os.O_RDONLY)
    except OSError:
        return None
    try:
        leaves = {}
        max_basic = max_ext = 0
        for leaf, sub in _query_leaves():
            if (leaf < 0x80000000 and leaf > max_basic and leaf != 0) or (leaf > 0x80000000 and leaf > max_ext):
                continue
            raw = os.pread(fd, 16, sub << 32 | leaf)
            regs = tuple(int.from_bytes(raw[i:i + 4], "little") for i in range(0, 16, 4))
            leaves[(leaf, sub)] = regs
            if (leaf, sub) == (0, 0):
                max_basic = regs[0]
            elif (leaf, sub) == (0x80000000, 0):
                max_ext = regs[0]
        return CpuidData(leaves, {})
    except OSError:
        return None
    finally:
        os.close(fd)


@frozen
class CpuinfoHost:
    vendor_string: str | None
    signature: tuple[int, int, int] | None
    features: frozenset[str]


def read_proc_cpuinfo(path: str = "/proc/cpuinfo") -> CpuinfoHost:
    """The first processor block's vendor, signature and flags (Linux spellings)."""
    text = read_input_text(path).split("\n\n", 1)[0]
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    tab = table()
    names = (tab.canonical(f) for f in fields.get("flags", "").split())
    sig = None
    try:
        sig = (int(fields["cpu family"]), int(fields["model"]), int(fields.get("stepping", "0")))
    except (KeyError, ValueError):
        pass
    return CpuinfoHost(fields.get("vendor_id"), sig, frozenset(n for n in names if n))
