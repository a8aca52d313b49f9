"""The lowest common denominator of several CPUs, as libvirt's virCPUx86Baseline:
intersect what every CPU offers, then describe the result with the named model
that leaves the shortest feature list."""

from __future__ import annotations

from ..diagnostics import fail
from ..model import CpuFeature, CpuMatch, CpuMode, FeaturePolicy
from .decode import decode
from .expand import all_listed, check_vendor, find_model, model_features, with_policy
from .models import Catalogue
from .xml import CpuDesc, CpuKind


def offered(cat: Catalogue, cpu: CpuDesc) -> frozenset[str]:
    """Model + required features - disabled ones (a host CPU: model + everything listed)."""
    if cpu.kind is CpuKind.HOST:
        return model_features(cat, cpu) | all_listed(cpu)
    return (model_features(cat, cpu) | with_policy(cpu, FeaturePolicy.REQUIRE)) - with_policy(
        cpu, FeaturePolicy.DISABLE)


def baseline(cat: Catalogue, cpus: list[CpuDesc], *, expand: bool = False, migratable: bool = False) -> CpuDesc:
    if not cpus:
        raise fail("cpu-baseline", "no <cpu> elements to compute a baseline of")
    first = cpus[0]
    common = offered(cat, first)
    vendor = check_vendor(cat, first)
    output_vendor = first.vendor is not None
    common_name = first.model
    names_match = True
    for cpu in cpus[1:]:
        if names_match and cpu.model:
            if common_name is None:
                common_name = cpu.model
            elif common_name != cpu.model:
                common_name, names_match = None, False
        feats = offered(cat, cpu)
        model = find_model(cat, cpu.model, cpu.span) if cpu.model else None
        v = check_vendor(cat, cpu)
        if v and model is not None and model.vendor and v != model.vendor:
            raise fail("cpu-vendor", f"CPU vendor {v} of model {model.name} differs from its vendor {model.vendor}",
                       cpu.span)
        if v is None:
            output_vendor = False
            v = model.vendor if model is not None else None
        if v is not None:
            if vendor is None:
                vendor = v
            elif vendor != v:
                raise fail("cpu-vendor-mix", f"CPU vendors do not match: {vendor} and {v}; "
                           "a baseline needs CPUs of one vendor", cpu.span)
        common &= feats
    if not common:
        raise fail("cpu-baseline", "the CPUs have no feature in common", first.span)
    if migratable:
        common -= cat.non_migratable
    named = tuple(dict.fromkeys(c.model for c in cpus if c.model))
    d = decode(cat, common, vendor, None, host=False,
               preferred=(common_name,) if common_name else named, span=first.span)
    features = d.features()
    if expand:
        full = (d.model.features | set(d.require)) - set(d.disable)
        features = tuple(CpuFeature(n, FeaturePolicy.REQUIRE) for n in sorted(full)) + tuple(
            CpuFeature(n, FeaturePolicy.DISABLE) for n in sorted(d.disable))
    return CpuDesc(
        kind=CpuKind.GUEST, mode=CpuMode.CUSTOM, match=CpuMatch.EXACT, model=d.model.name,
        fallback="forbid" if d.model.name == common_name else "allow",
        vendor=vendor if output_vendor else None, features=features,
    )


