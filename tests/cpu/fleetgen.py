"""Generated fleets: mutations of libvirt's real CPUID dumps (read from the corpus,
never copied).  A mutant is a dump with some feature bits cleared, as firmware
settings, microcode and kernels switch features off on real machines; it is written
as a ``<cpudata>`` document, so the fleet exercises the CPUID-dump host format."""

from __future__ import annotations

import glob
import os
import random
import re

from compiler.cpu.cpuid import load_cpuid_file
from compiler.cpu.features import CpuidData, CpuidLoc, MsrLoc, REGISTERS, table

from .conftest import CORPUS

VENDORS = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD", "HygonGenuine": "Hygon"}


def corpus_dumps() -> dict[str, str]:
    """name -> path of every raw CPUID dump of libvirt's test data."""
    out = {}
    for p in sorted(glob.glob(os.path.join(CORPUS, "x86_64-cpuid-*.xml"))):
        name = os.path.basename(p)[len("x86_64-cpuid-"):-4]
        if re.search(r"-(host|json|guest)$", name) or name.startswith("baseline-"):
            continue
        out[name] = p
    return out


def host_files() -> list[str]:
    """libvirt's host CPU descriptions of its dumps (x86_64-cpuid-*-host.xml)."""
    return sorted(glob.glob(os.path.join(CORPUS, "x86_64-cpuid-*-host.xml")))


def mutate(data: CpuidData, rng: random.Random, clear: int) -> CpuidData:
    """``data`` with ``clear`` of its feature bits cleared (at random), never one of the
    x86-64 base (kvm64's features: no host lacks those, and no model fits a CPU without)."""
    from compiler.cpu.models import catalogue

    base = catalogue().get("kvm64").features
    leaves = {k: list(v) for k, v in data.leaves.items()}
    msrs = dict(data.msrs)
    present = [f for f in table().features if data.has(f.loc) and f.name not in base]
    for f in rng.sample(present, min(clear, len(present))):
        if isinstance(f.loc, MsrLoc):
            msrs[f.loc.index] &= ~(1 << f.loc.bit)
        else:
            assert isinstance(f.loc, CpuidLoc)
            regs = leaves[(f.loc.leaf, f.loc.subleaf)]
            i = REGISTERS.index(f.loc.register)
            regs[i] &= ~(1 << f.loc.bit)
    return CpuidData({k: tuple(v) for k, v in leaves.items()}, msrs)


def cpudata_xml(data: CpuidData) -> str:
    lines = ["<cpudata arch='x86'>"]
    for (leaf, sub), regs in sorted(data.leaves.items()):
        a, b, c, d = regs
        lines.append(f"  <cpuid eax_in='0x{leaf:08x}' ecx_in='0x{sub:02x}' eax='0x{a:08x}' ebx='0x{b:08x}' "
                     f"ecx='0x{c:08x}' edx='0x{d:08x}'/>")
    for index, value in sorted(data.msrs.items()):
        lines.append(f"  <msr index='0x{index:x}' edx='0x{value >> 32:08x}' eax='0x{value & 0xffffffff:08x}'/>")
    lines.append("</cpudata>")
    return "\n".join(lines) + "\n"


def fleet(directory, seed: int, vendor: str = "Intel", size: int = 12, max_clear: int = 6) -> list[str]:
    """Write a fleet of ``size`` mutants of ``vendor``'s dumps into ``directory``; some
    hosts are left identical to others, as in real fleets.  Returns the paths."""
    rng = random.Random(seed)
    dumps = [p for p in corpus_dumps().values() if VENDORS.get(load_cpuid_file(p).vendor_string()) == vendor]
    kinds = []
    for _ in range(max(1, size // 2)):
        base = load_cpuid_file(rng.choice(dumps))
        kinds.append(cpudata_xml(mutate(base, rng, rng.randint(0, max_clear))))
    paths = []
    for i in range(size):
        p = os.path.join(str(directory), f"host{i:03d}.xml")
        with open(p, "w") as fh:
            fh.write(rng.choice(kinds))
        paths.append(p)
    return paths
