"""Where CPUID data comes from: libvirt ``<cpudata>`` dumps, ``cpuid -r`` output,
this machine's ``/dev/cpu/0/cpuid`` (Linux cpuid driver), or, failing that,
``/proc/cpuinfo`` flags."""

from __future__ import annotations

import os
import re

from ..xmllight import read_light
from .errors import fail
from .features import CpuidData, CpuidLoc, table

_CPUID_R_LINE = re.compile(
    r"^\s*(0x[0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+):\s*eax=(0x[0-9a-fA-F]+)\s+ebx=(0x[0-9a-fA-F]+)"
    r"\s+ecx=(0x[0-9a-fA-F]+)\s+edx=(0x[0-9a-fA-F]+)\s*$")


def _hex(el, name, path) -> int:
    raw = el.get(name)
    try:
        return int(raw, 16) if raw is not None else 0
    except ValueError:
        raise fail("bad-number", f"invalid {name}={raw!r}: not a hex number", path, el.sourceline or 0) from None


def from_cpudata(root, path: str) -> CpuidData:
    """The CPUID leaves and MSRs of a ``<cpudata>`` element."""
    leaves, msrs = {}, {}
    for el in root.iter("cpuid"):
        key = (_hex(el, "eax_in", path), _hex(el, "ecx_in", path))
        leaves[key] = tuple(_hex(el, r, path) for r in ("eax", "ebx", "ecx", "edx"))
    for el in root.iter("msr"):
        msrs[_hex(el, "index", path)] = _hex(el, "edx", path) << 32 | _hex(el, "eax", path)
    if not leaves:
        raise fail("cpuid-empty", "no <cpuid> entries in <cpudata>", path, root.sourceline or 0)
    return CpuidData(leaves, msrs)


def from_cpuid_r(text: str, path: str) -> CpuidData:
    """The leaves of the first CPU in the output of ``cpuid -r``."""
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
            raise fail("cpuid-syntax", "not a `cpuid -r` line", path, lineno)
    if not leaves:
        raise fail("cpuid-empty", "no CPUID leaves found", path, 1)
    return CpuidData(leaves, {})


def load_cpuid_file(path: str) -> CpuidData:
    """A libvirt ``<cpudata>`` document or the raw output of ``cpuid -r`` (read once)."""
    from ..inputs import read_input_file  # with its diagnostics (the fleet path reads files itself)

    return cpuid_from_bytes(read_input_file(path), path)


def cpuid_from_bytes(data: bytes, path: str) -> CpuidData:
    if looks_like_xml(data):
        root = read_light(data, path)
        if root.tag != "cpudata":
            raise fail("cpuid-format", f"expected <cpudata>, found <{root.tag}>", path, root.sourceline or 0)
        return from_cpudata(root, path)
    return from_cpuid_r(data.decode("utf-8", errors="replace"), path)


def looks_like_cpuid_r(data: bytes) -> bool:
    """The output of ``cpuid -r``: its first line is 'CPU N:' or a leaf line."""
    for line in data.decode("utf-8", errors="replace").splitlines():
        if line.strip():
            return bool(re.match(r"^\s*CPU\s+\d+:\s*$", line) or _CPUID_R_LINE.match(line))
    return False


def looks_like_xml(data: bytes) -> bool:
    """A document (not `cpuid -r` text): '<' first, after white space or a byte order mark."""
    head = data[:4]
    if head[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    elif head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    return data.lstrip().startswith(b"<")


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


class CpuinfoHost:
    __slots__ = ("vendor_string", "signature", "features")

    def __init__(self, vendor_string: str | None, signature: tuple[int, int, int] | None, features: frozenset[str]):
        self.vendor_string, self.signature, self.features = vendor_string, signature, features


def read_proc_cpuinfo(path: str = "/proc/cpuinfo") -> CpuinfoHost:
    """The first processor block's vendor, signature and flags (Linux spellings)."""
    from ..inputs import read_input_text

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
