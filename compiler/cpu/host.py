"""The host CPU: this machine's (from CPUID, or /proc/cpuinfo), or a recorded host's
from ``--host FILE`` (any document :mod:`compiler.cpu.documents` reads)."""

from __future__ import annotations

import os

from .cpuid import read_local_cpuid, read_proc_cpuinfo
from .documents import load_one
from .errors import fail
from .features import table
from .hostdecode import ARCH, describe, from_cpuid, from_cpuid_file
from .models import catalogue
from .xml import CpuDesc, CpuKind, Topo

__all__ = ["ARCH", "HostTarget", "describe", "from_cpuid", "from_cpuid_file", "from_this_machine",
           "local_topology", "load_host", "load_target"]

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


class HostTarget:
    """What ``--host FILE`` says of the target host: its CPU and, when the file is a
    domain capabilities document (``virsh domcapabilities``), the virtualization type
    it describes: the CPU is then that type's host-model CPU, not the host's own."""

    __slots__ = ("cpu", "domcaps_virttype")

    def __init__(self, cpu: CpuDesc, domcaps_virttype: str | None = None):
        self.cpu, self.domcaps_virttype = cpu, domcaps_virttype

    @property
    def is_domcaps(self) -> bool:
        return self.domcaps_virttype is not None


def load_target(path: str) -> HostTarget:
    """``--host FILE``, read once (any recorded-host document)."""
    cpu, doc = load_one(path)
    if cpu.kind is not CpuKind.HOST and cpu.model is None:
        raise fail("host-cpu", "the host <cpu> names no model", *cpu.where)
    virttype = (doc.virttype or "kvm") if doc.tag == "domainCapabilities" else None
    return HostTarget(cpu, virttype)


def load_host(path: str | None) -> CpuDesc:
    """The host CPU from ``--host FILE`` (any recorded-host document) or, without
    one, this machine."""
    if path is None:
        return from_this_machine()
    return load_target(path).cpu
