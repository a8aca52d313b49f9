"""Compare a CPU with a host CPU, as libvirt's virCPUx86Compare: IDENTICAL,
SUPERSET (the host offers more) or INCOMPATIBLE, with the reasons."""

from __future__ import annotations

import enum

from ..enums import CpuMatch, CpuMode, FeaturePolicy
from .errors import fail
from .expand import check_vendor, host_mask, model_mask, policy_mask
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


class Comparison:
    """A verdict with its reasons; ``missing`` is the bit set of required features
    the host lacks (what a migration would be refused for)."""

    __slots__ = ("verdict", "reasons", "missing")

    def __init__(self, verdict: Verdict, reasons: tuple[str, ...] = (), missing: int = 0):
        self.verdict, self.reasons, self.missing = verdict, tuple(reasons), missing

    def __repr__(self):
        return f"Comparison({self.verdict.value}, {self.reasons!r})"


def _names(mask: int) -> str:
    return ", ".join(table().names(mask))


class Needs:
    """What a CPU asks of a host, as bit sets (computed once per distinct CPU)."""

    __slots__ = ("vendor", "arch", "require", "forbid", "ignore", "strict", "passthrough")

    def __init__(self, cat: Catalogue, cpu: CpuDesc):
        # the CPU's own names are checked before any verdict: a bogus one is an error
        self.passthrough = cpu.kind is CpuKind.GUEST and cpu.mode in (
            CpuMode.HOST_PASSTHROUGH, CpuMode.MAXIMUM, CpuMode.HOST_MODEL)
        if self.passthrough:
            self.vendor = self.arch = None
            self.require = self.forbid = self.ignore = 0
            self.strict = False
            return
        force = policy_mask(cpu, FeaturePolicy.FORCE)
        require = model_mask(cat, cpu) | policy_mask(cpu, FeaturePolicy.REQUIRE)
        optional = policy_mask(cpu, FeaturePolicy.OPTIONAL)
        disable = policy_mask(cpu, FeaturePolicy.DISABLE)
        self.forbid = policy_mask(cpu, FeaturePolicy.FORBID)
        self.vendor = check_vendor(cat, cpu)
        self.arch = cpu.arch
        self.require = require & ~(force | optional | disable)
        self.ignore = optional | disable | force  # extra host features that do not count
        self.strict = cpu.kind is CpuKind.GUEST and cpu.match is CpuMatch.STRICT

    @classmethod
    def of(cls, vendor: str | None, require: int) -> "Needs":
        """A CPU that is exactly the features ``require`` of ``vendor`` (a host's own CPU)."""
        n = cls.__new__(cls)
        n.passthrough, n.strict, n.arch = False, False, None
        n.vendor, n.require, n.forbid, n.ignore = vendor, require, 0, 0
        return n


class HostHas:
    """A host CPU as bit sets."""

    __slots__ = ("features", "vendor", "arch")

    def __init__(self, cat: Catalogue, host: CpuDesc):
        if host.model is None:
            raise fail("cpu-host", "the host CPU names no model", *host.where)
        self.features = host_mask(cat, host)
        self.vendor = check_vendor(cat, host)
        self.arch = host.arch or "x86_64"


def compare_sets(have: HostHas, need: Needs, mode: CpuMode | None = None) -> Comparison:
    if need.passthrough:
        return Comparison(Verdict.IDENTICAL, (f"mode {mode.value if mode else 'host'} takes the host CPU as it is",))
    # the missing features are worked out whatever the first reason is: a migration
    # check names them even when the vendors differ too
    missing = need.require & ~have.features
    if need.arch and need.arch != have.arch:
        return Comparison(Verdict.INCOMPATIBLE, (f"CPU arch {need.arch} does not match host arch {have.arch}",),
                          missing)
    if need.vendor and need.vendor != have.vendor:
        return Comparison(Verdict.INCOMPATIBLE, (
            f"host CPU vendor {have.vendor or '(none)'} does not match required CPU vendor {need.vendor}",), missing)
    forbidden = need.forbid & have.features
    if forbidden:
        return Comparison(Verdict.INCOMPATIBLE, (f"host CPU provides forbidden features: {_names(forbidden)}",),
                          missing)
    if missing:
        return Comparison(Verdict.INCOMPATIBLE, (
            f"host CPU does not provide required features: {_names(missing)}",), missing)
    extra = have.features & ~(need.ignore | need.require)
    if not extra:
        return Comparison(Verdict.IDENTICAL)
    if need.strict:
        return Comparison(Verdict.INCOMPATIBLE, (
            f"host CPU does not strictly match guest CPU: extra features: {_names(extra)}",))
    return Comparison(Verdict.SUPERSET, (f"host CPU has features the CPU does not ask for: {_names(extra)}",))


def compare(cat: Catalogue, host: CpuDesc, cpu: CpuDesc) -> Comparison:
    have = HostHas(cat, host)
    return compare_sets(have, Needs(cat, cpu), cpu.mode)
