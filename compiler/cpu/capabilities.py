"""Host capabilities XML: the host CPU, its NUMA cells, and the guest machine
types the emulator profile offers (with their canonical names for aliases)."""

from __future__ import annotations

from ..record import frozen
from xml.sax.saxutils import escape

from .render import attr as quoteattr

from ..profile import Profile
from .render import cpu_xml
from .xml import CpuDesc


@frozen
class NumaCell:
    id: int
    memory_kib: int
    cpus: tuple[int, ...]


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
