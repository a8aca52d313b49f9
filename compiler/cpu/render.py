"""CPU descriptions back to XML, in libvirt's element order; deterministic."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr, escape

from ..model import FeaturePolicy
from .xml import CpuDesc, CpuKind


def cpu_xml(cpu: CpuDesc, indent: str = "") -> str:
    attrs = ""
    if cpu.kind is CpuKind.GUEST:
        attrs = f" mode={quoteattr(cpu.mode.value)}"
        if cpu.match is not None:
            attrs += f" match={quoteattr(cpu.match.value)}"
        if cpu.check is not None:
            attrs += f" check={quoteattr(cpu.check)}"
    lines = [f"{indent}<cpu{attrs}>"]
    inner = indent + "  "
    if cpu.arch:
        lines.append(f"{inner}<arch>{escape(cpu.arch)}</arch>")
    if cpu.model:
        fb = f" fallback={quoteattr(cpu.fallback)}" if cpu.fallback else ""
        lines.append(f"{inner}<model{fb}>{escape(cpu.model)}</model>")
    if cpu.vendor:
        lines.append(f"{inner}<vendor>{escape(cpu.vendor)}</vendor>")
    if cpu.signature is not None and cpu.kind is CpuKind.HOST:
        f, m, s = cpu.signature
        lines.append(f"{inner}<signature family='{f}' model='{m}' stepping='{s}'/>")
    if cpu.topology is not None:
        t = cpu.topology
        lines.append(f"{inner}<topology sockets='{t.sockets}' dies='{t.dies}' cores='{t.cores}' "
                     f"threads='{t.threads}'/>")
    for feat in cpu.features:
        if cpu.kind is CpuKind.HOST and feat.policy is FeaturePolicy.REQUIRE:
            lines.append(f"{inner}<feature name={quoteattr(feat.name)}/>")
        else:
            lines.append(f"{inner}<feature policy={quoteattr(feat.policy.value)} name={quoteattr(feat.name)}/>")
    lines.append(f"{indent}</cpu>")
    return "\n".join(lines)
