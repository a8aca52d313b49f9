"""Host capabilities XML: the host CPU, its NUMA cells, and the guest machine
types the emulator profile offers (with their canonical names for aliases)."""

from __future__ import annotations

import os
import re

from attrs import frozen
from xml.sax.saxutils import escape

from .render import attr as quoteattr

from ..inputs import require_directory
from ..profile import Profile
from .render import cpu_xml
from .xml import CpuDesc


@frozen
class NumaCell:
    id: int
    memory_kib: int
    cpus: tuple[int, ...]


def _cpulist(text: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in filter(None, text.strip().split(",")):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return tuple(out)


def read_numa(root: str = "/") -> tuple[NumaCell, ...]:
    """NUMA cells from ``ROOT/sys/devices/system/node`` (one cell from /proc/meminfo otherwise).
    ``root`` must be a directory; files missing below it fall back as described."""
    require_directory(root)
    base = os.path.join(root, "sys/devices/system/node")
    cells = []
    try:
        nodes = sorted(int(n[4:]) for n in os.listdir(base) if re.fullmatch(r"node\d+", n))
        for n in nodes:
            with open(os.path.join(base, f"node{n}", "cpulist")) as fh:
                cpus = _cpulist(fh.read())
            with open(os.path.join(base, f"node{n}", "meminfo")) as fh:
                m = re.search(r"MemTotal:\s+(\d+)\s*kB", fh.read())
            cells.append(NumaCell(n, int(m.group(1)) if m else 0, cpus))
    except (OSError, ValueError):
        cells = []
    if cells:
        return tuple(cells)
    mem = 0
    try:
        with open(os.path.join(root, "proc/meminfo")) as fh:
            m = re.search(r"MemTotal:\s+(\d+)\s*kB", fh.read())
            mem = int(m.group(1)) if m else 0
    except OSError:
        pass
    return (NumaCell(0, mem, tuple(range(os.cpu_count() or 1))),)


def capabilities_xml(host: CpuDesc, cells: tuple[NumaCell, ...], profile: Profile, emulator: str,
                     kvm: bool) -> str:
    out = ["<capabilities>", "  <host>", cpu_xml(host, "    "), "    <topology>",
           f"      <cells num='{len(cells)}'>"]
    for c in cells:
        out += [f"        <cell id='{c.id}'>", f"          <memory unit='KiB'>{c.memory_kib}</memory>",
                f"          <cpus num='{len(c.cpus)}'>"]
        out += [f"            <cpu id='{i}'/>" for i in c.cpus]
        out += ["          </cpus>", "        </cell>"]
    out += ["      </cells>", "    </topology>", "  </host>", "", "  <guest>", "    <os_type>hvm</os_type>",
            f"    <arch name={quoteattr(profile.arch)}>", "      <wordsize>64</wordsize>",
            f"      <emulator>{escape(emulator)}</emulator>"]
    for m in sorted(profile.machines, key=lambda m: m.name):
        if m.name == "none":
            continue
        cpus = f" maxCpus='{m.max_cpus}'" if m.max_cpus else ""
        dep = " deprecated='yes'" if m.deprecated else ""
        out.append(f"      <machine{cpus}{dep}>{escape(m.name)}</machine>")
        if m.alias:
            out.append(f"      <machine canonical={quoteattr(m.name)}{cpus}{dep}>{escape(m.alias)}</machine>")
    out.append("      <domain type='qemu'/>")
    if kvm:
        out.append("      <domain type='kvm'/>")
    out += ["    </arch>", "    <features>", "      <acpi default='on' toggle='yes'/>",
            "      <apic default='on' toggle='no'/>", "      <pae/>", "      <nonpae/>", "    </features>",
            "  </guest>", "</capabilities>"]
    return "\n".join(out) + "\n"
