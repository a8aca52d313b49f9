"""The host CPU: decoded from CPUID (a dump or this machine) or from /proc/cpuinfo.
(Recorded host files - capabilities XML, a bare ``<cpu>``, a CPUID dump - are read
by :mod:`compiler.cpu.documents`.)"""

from __future__ import annotations

import os

from .cpuid import load_cpuid_file, read_local_cpuid, read_proc_cpuinfo
from .decode import decode
from .features import CpuidData, table
from .models import Catalogue, catalogue
from .xml import CpuDesc, CpuKind, Topo

ARCH = "x86_64"


def describe(cat: Catalogue, features: int, vendor_string: str | None,
             signature: tuple[int, int, int] | None, topology: Topo | None = None,
             where: tuple[str, int] = ("<input>", 0)) -> CpuDesc:
    """A host CPU from its feature bit set, CPUID vendor string and signature."""
    vendor = cat.vendors.get(vendor_string or "")
    if signature is not None and cat.tsx_errata.applies(vendor, signature):
        features &= ~cat.tsx_mask
    d = decode(cat, features, vendor, signature, host=True, where=where)
    return CpuDesc(kind=CpuKind.HOST, arch=ARCH, model=d.model.name, vendor=vendor, topology=topology,
                   features=d.features(), signature=signature, file=where[0], line=where[1])


def from_cpuid(data: CpuidData, cat: Catalogue | None = None, topology: Topo | None = None,
               where: tuple[str, int] = ("<input>", 0)) -> CpuDesc:
    cat = cat or catalogue()
    return describe(cat, data.feature_mask(), data.vendor_string(), data.signature(), topology, where)


def from_cpuid_file(path: str) -> CpuDesc:
    return from_cpuid(load_cpuid_file(path), where=(path, 0))


def local_topology(root: str = "/sys/devices/system/cpu") -> Topo | None:
    """sockets/cores/threads from sysfs (cpu0's siblings), None when unavailable."""
    try:
        online = sorted(int(n[3:]) for n in os.listdir(root) if n.startswith("cpu") and n[3:].isdigit())
        packages, cores = set(), set()
        threads = 1
        for n in online:
            topo = os.path.join(root, f"cpu{n}", "topology")
            if not os.path.isdir(topo):
                continue
            with open(os.path.join(topo, "physical_package_id")) as fh:
                pkg = fh.read().strip()
            with open(os.path.join(topo, "core_id")) as fh:
                core = fh.read().strip()
            packages.add(pkg)
            cores.add((pkg, core))
        with open(os.path.join(root, "cpu0", "topology", "thread_siblings_list")) as fh:
            threads = len(_expand_list(fh.read().strip()))
    except (OSError, ValueError):
        return None
    if not packages:
        return None
    return Topo(sockets=len(packages), dies=1, cores=max(1, len(cores) // len(packages)), threads=threads)


def _expand_list(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def from_this_machine() -> CpuDesc:
    cat = catalogue()
    topo = local_topology()
    data = read_local_cpuid()
    if data is not None:
        return from_cpuid(data, cat, topo, ("/dev/cpu/0/cpuid", 0))
    info = read_proc_cpuinfo()
    return describe(cat, table().mask(info.features), info.vendor_string, info.signature, topo,
                    ("/proc/cpuinfo", 0))
