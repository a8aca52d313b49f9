"""The lowest common denominator of several CPUs, as libvirt's virCPUx86Baseline:
intersect what every CPU offers, then describe the result with the named model
that leaves the shortest feature list.

The answer depends on the set of distinct CPUs and on the order they first appear
in (the first one's vendor and the first differing one's line in errors), never on
how often one repeats: a fleet of 100,000 hosts of 30 kinds is a baseline of 30.
"""

from __future__ import annotations

from ..enums import CpuMatch, CpuMode, FeaturePolicy
from .decode import decode
from .errors import fail
from .expand import check_vendor, find_model, offered
from .features import table
from .models import Catalogue
from .xml import CpuDesc, CpuKind, Feat


def baseline(cat: Catalogue, cpus: list[CpuDesc], *, expand: bool = False, migratable: bool = False,
             offers: list[int] | None = None) -> CpuDesc:
    """``offers``: each CPU's :func:`offered` bit set when the caller has them.  CPUs
    of two vendors are an error ``cpu-vendor-mix`` at the first CPU of the second."""
    if not cpus:
        raise fail("cpu-baseline", "no <cpu> elements to compute a baseline of")
    first = cpus[0]
    common = offers[0] if offers is not None else offered(cat, first)
    vendor = check_vendor(cat, first)
    output_vendor = first.vendor is not None
    common_name = first.model
    names_match = True
    for i in range(1, len(cpus)):
        cpu = cpus[i]
        if names_match and cpu.model:
            if common_name is None:
                common_name = cpu.model
            elif common_name != cpu.model:
                common_name, names_match = None, False
        feats = offers[i] if offers is not None else offered(cat, cpu)
        model = find_model(cat, cpu.model, cpu.where) if cpu.model else None
        v = check_vendor(cat, cpu)
        if v and model is not None and model.vendor and v != model.vendor:
            raise fail("cpu-vendor", f"CPU vendor {v} of model {model.name} differs from its vendor {model.vendor}",
                       *cpu.where)
        if v is None:
            output_vendor = False
            v = model.vendor if model is not None else None
        if v is not None:
            if vendor is None:
                vendor = v
            elif vendor != v:
                raise fail("cpu-vendor-mix", f"CPU vendors do not match: {vendor} and {v}; "
                           "a baseline needs CPUs of one vendor", *cpu.where)
        common &= feats
    if not common:
        raise fail("cpu-baseline", "the CPUs have no feature in common", *first.where)
    if migratable:
        common &= ~cat.non_migratable_mask
    named = tuple(dict.fromkeys(c.model for c in cpus if c.model))
    d = decode(cat, common, vendor, None, host=False,
               preferred=(common_name,) if common_name else named, where=first.where)
    features = d.features()
    if expand:
        tab = table()
        full = (d.model.mask | d.require_mask) & ~d.disable_mask
        features = tuple(Feat(n, FeaturePolicy.REQUIRE) for n in sorted(tab.names(full))) + tuple(
            Feat(n, FeaturePolicy.DISABLE) for n in sorted(d.disable))
    return CpuDesc(
        kind=CpuKind.GUEST, mode=CpuMode.CUSTOM, match=CpuMatch.EXACT, model=d.model.name,
        fallback="forbid" if d.model.name == common_name else "allow",
        vendor=vendor if output_vendor else None, features=features,
    )
