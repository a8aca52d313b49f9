"""A CPU description as feature sets, checked against the model catalogue and the
feature table (libvirt's x86ModelFromCPU).  Unknown names are errors, with the
line of the element that wrote them."""

from __future__ import annotations

from ..diagnostics import Span, fail
from ..model import FeaturePolicy
from .features import table
from .models import Catalogue, X86Model
from .xml import CpuDesc, CpuKind


def find_model(cat: Catalogue, name: str, span: Span, *, catalogue_only: bool = True) -> X86Model:
    m = cat.get(name)
    if m is None or (catalogue_only and not m.in_catalogue):
        raise fail("cpu-model", f"unknown CPU model {name!r}", span)
    return m


def feature_name(name: str, span: Span) -> str:
    canonical = table().canonical(name)
    if canonical is None:
        raise fail("cpu-feature", f"unknown CPU feature {name!r}", span)
    return canonical


def check_vendor(cat: Catalogue, cpu: CpuDesc) -> str | None:
    if cpu.vendor is None:
        return None
    v = cat.vendor_name(cpu.vendor)
    if v is None:
        raise fail("cpu-vendor", f"unknown CPU vendor {cpu.vendor!r}", cpu.span)
    return v


def model_features(cat: Catalogue, cpu: CpuDesc, *, catalogue_only: bool = True) -> frozenset[str]:
    if cpu.model is None:
        return frozenset()
    return find_model(cat, cpu.model, cpu.span, catalogue_only=catalogue_only).features


def with_policy(cpu: CpuDesc, policy: FeaturePolicy) -> frozenset[str]:
    """Features the CPU lists with ``policy`` (a host CPU lists only required ones)."""
    if cpu.kind is CpuKind.HOST:
        return frozenset() if policy is not FeaturePolicy.REQUIRE else all_listed(cpu)
    return frozenset(feature_name(f.name, f.span) for f in cpu.features if f.policy is policy)


def all_listed(cpu: CpuDesc) -> frozenset[str]:
    return frozenset(feature_name(f.name, f.span) for f in cpu.features)


def host_features(cat: Catalogue, host: CpuDesc) -> frozenset[str]:
    """Everything a host CPU has: its model's features plus the listed ones."""
    return model_features(cat, host) | all_listed(host)
