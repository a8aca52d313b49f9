"""Compare a CPU with a host CPU, as libvirt's virCPUx86Compare: IDENTICAL,
SUPERSET (the host offers more) or INCOMPATIBLE, with the reasons."""

from __future__ import annotations

import enum

from ..record import frozen

from ..diagnostics import fail
from ..model import CpuMatch, CpuMode, FeaturePolicy
from .expand import check_vendor, host_features, model_features, with_policy
from .features import table
from .models import Catalogue
from .xml import CpuDesc, CpuKind


class Verdict(enum.Enum):
    IDENTICAL = "IDENTICAL"
    SUPERSET = "SUPERSET"
    INCOMPATIBLE = "INCOMPATIBLE"

    @property
    def compatible(self) -> bool:
        return self is not Verdict.INCOMPATIBLE


@frozen
class Comparison:
    verdict: Verdict
    reasons: tuple[str, ...] = ()


def _names(features) -> str:
    return ", ".join(table().sort(features))


def compare(cat: Catalogue, host: CpuDesc, cpu: CpuDesc) -> Comparison:
    if host.model is None:
        raise fail("cpu-host", "the host CPU names no model", host.span)
    have = host_features(cat, host)
    host_vendor = check_vendor(cat, host)
    if cpu.kind is CpuKind.GUEST and cpu.mode in (CpuMode.HOST_PASSTHROUGH, CpuMode.MAXIMUM, CpuMode.HOST_MODEL):
        return Comparison(Verdict.IDENTICAL, (f"mode {cpu.mode.value} takes the host CPU as it is",))
    # the CPU's own names are checked before any verdict: a bogus one is an error
    force = with_policy(cpu, FeaturePolicy.FORCE)
    require = model_features(cat, cpu) | with_policy(cpu, FeaturePolicy.REQUIRE)
    optional = with_policy(cpu, FeaturePolicy.OPTIONAL)
    disable = with_policy(cpu, FeaturePolicy.DISABLE)
    forbid = with_policy(cpu, FeaturePolicy.FORBID)
    vendor = check_vendor(cat, cpu)

    host_arch = host.arch or "x86_64"
    if cpu.arch and cpu.arch != host_arch:
        return Comparison(Verdict.INCOMPATIBLE, (f"CPU arch {cpu.arch} does not match host arch {host_arch}",))
    if vendor and vendor != host_vendor:
        return Comparison(Verdict.INCOMPATIBLE, (
            f"host CPU vendor {host_vendor or '(none)'} does not match required CPU vendor {vendor}",))
    if forbid & have:
        return Comparison(Verdict.INCOMPATIBLE, (f"host CPU provides forbidden features: {_names(forbid & have)}",))
    require = require - force - optional - disable
    if not require <= have:
        return Comparison(Verdict.INCOMPATIBLE, (
            f"host CPU does not provide required features: {_names(require - have)}",))
    extra = have - optional - require - disable - force
    if not extra:
        return Comparison(Verdict.IDENTICAL)
    if cpu.kind is CpuKind.GUEST and cpu.match is CpuMatch.STRICT:
        return Comparison(Verdict.INCOMPATIBLE, (
            f"host CPU does not strictly match guest CPU: extra features: {_names(extra)}",))
    return Comparison(Verdict.SUPERSET, (f"host CPU has features the CPU does not ask for: {_names(extra)}",))
