"""A CPU description as feature bit sets, checked against the model catalogue and
the feature table (libvirt's x86ModelFromCPU).  Unknown names are errors, with the
line of the element that wrote them."""

from __future__ import annotations

from ..enums import FeaturePolicy
from .errors import fail
from .features import table
from .models import Catalogue, X86Model
from .xml import CpuDesc, CpuKind


def find_model(cat: Catalogue, name: str, where: tuple[str, int], *, catalogue_only: bool = True) -> X86Model:
    m = cat.get(name)
    if m is None or (catalogue_only and not m.in_catalogue):
        raise fail("cpu-model", f"unknown CPU model {name!r}", *where)
    return m


def feature_bit(name: str, where: tuple[str, int]) -> int:
    b = table().bit(name)
    if not b:
        raise fail("cpu-feature", f"unknown CPU feature {name!r}", *where)
    return b


def feature_name(name: str, where: tuple[str, int]) -> str:
    canonical = table().canonical(name)
    if canonical is None:
        raise fail("cpu-feature", f"unknown CPU feature {name!r}", *where)
    return canonical


def check_vendor(cat: Catalogue, cpu: CpuDesc) -> str | None:
    if cpu.vendor is None:
        return None
    v = cat.vendor_name(cpu.vendor)
    if v is None:
        raise fail("cpu-vendor", f"unknown CPU vendor {cpu.vendor!r}", *cpu.where)
    return v


def model_mask(cat: Catalogue, cpu: CpuDesc, *, catalogue_only: bool = True) -> int:
    if cpu.model is None:
        return 0
    return find_model(cat, cpu.model, cpu.where, catalogue_only=catalogue_only).mask


def policy_mask(cpu: CpuDesc, policy: FeaturePolicy) -> int:
    """Features the CPU lists with ``policy`` (a host CPU lists only required ones)."""
    if cpu.kind is CpuKind.HOST:
        return 0 if policy is not FeaturePolicy.REQUIRE else listed_mask(cpu)
    m = 0
    for f in cpu.features:
        if f.policy is policy:
            m |= feature_bit(f.name, (cpu.file, f.line))
    return m


def listed_mask(cpu: CpuDesc) -> int:
    m = 0
    for f in cpu.features:
        m |= feature_bit(f.name, (cpu.file, f.line))
    return m


def host_mask(cat: Catalogue, host: CpuDesc) -> int:
    """Everything a host CPU has: its model's features plus the listed ones (a CPU
    given with policies - domain capabilities' host-model CPU - has what it requires
    and not what it disables)."""
    return offered(cat, host)


def offered(cat: Catalogue, cpu: CpuDesc) -> int:
    """Model + required features - disabled ones (a host CPU: model + everything listed)."""
    if cpu.kind is CpuKind.HOST:
        return model_mask(cat, cpu) | listed_mask(cpu)
    return (model_mask(cat, cpu) | policy_mask(cpu, FeaturePolicy.REQUIRE)) & ~policy_mask(
        cpu, FeaturePolicy.DISABLE)


def host_features(cat: Catalogue, host: CpuDesc) -> frozenset[str]:
    return frozenset(table().names(host_mask(cat, host)))
