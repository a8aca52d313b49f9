"""The host CPU: decoded from CPUID (a dump or this machine), from /proc/cpuinfo,
or read from a ``--host`` file (capabilities XML or a bare host ``<cpu>``)."""

from __future__ import annotations

import os

from ..diagnostics import Span, fail
from ..model import Topology
from .cpuid import load_cpuid_file, read_local_cpuid, read_proc_cpuinfo
from .decode import decode
from .features import CpuidData
from .models import Catalogue, catalogue
from .xml import CpuDesc, CpuKind, load_one_cpu

ARCH = "x86_64"


def describe(cat: Catalogue, features: frozenset[str], vendor_string: str | None,
             signature: tuple[int, int, int] | None, topology: Topology | None = None,
             span: Span = Span()) -> CpuDesc:
    vendor = cat.vendors.get(vendor_string or "")
    if signature is not None and cat.tsx_errata.applies(vendor, signature):
        features = features - set(cat.tsx_errata.features)
    d = decode(cat, features, vendor, signature, host=True, span=span)
    return CpuDesc(kind=CpuKind.HOST, arch=ARCH, model=d.model.name, vendor=vendor, topology=topology,
                   features=d.features(), signature=signature, span=span)


def from_cpuid(data: CpuidData, cat: Catalogue | None = None, topology: Topology | None = None,
               span: Span = Span()) -> CpuDesc:
    cat = cat or catalogue()
    return describe(cat, data.feature_names(), data.vendor_string(), data.signature(), topology, span)


def from_cpuid_file(path: str) -> CpuDesc:
    return from_cpuid(load_cpuid_file(path), span=Span(path))


def local_topology(root: str = "/sys/devices/system/cpu") -> Topology | None:
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
    return Topology(sockets=len(packages), dies=1, cores=max(1, len(cores) // len(packages)), threads=threads)


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
        return from_cpuid(data, cat, topo, Span("/dev/cpu/0/cpuid"))
    info = read_proc_cpuinfo()
    return describe(cat, info.features, info.vendor_string, info.signature, topo, Span("/proc/cpuinfo"))


def load_host(path: str | None) -> CpuDesc:
    """The host CPU from ``--host FILE`` or, without one, this machine."""
    if path is None:
        return from_this_machine()
    cpu = load_one_cpu(path)
    if cpu.kind is not CpuKind.HOST and cpu.model is None:
        raise fail("host-cpu", "the host <cpu> names no model", cpu.span)
    return cpu
