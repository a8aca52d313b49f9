"""A host CPU from its features: decoded as libvirt describes a host (its model and
the features beyond it), from a bit set or from CPUID data (a dump or this machine)."""

from __future__ import annotations

from .cpuid import load_cpuid_file
from .decode import decode
from .features import CpuidData
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
