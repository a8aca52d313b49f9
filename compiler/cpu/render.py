"""CPU descriptions back to XML, in libvirt's element order; deterministic."""

from __future__ import annotations

from ..enums import FeaturePolicy
from .xml import CpuDesc, CpuKind


def escape(text: str) -> str:
    """Character data for XML (xml.sax.saxutils.escape without its imports of urllib)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr(value: str) -> str:
    """An attribute value in single quotes, as libvirt writes them."""
    return "'" + escape(value).replace("'", "&apos;").replace('"', "&quot;") + "'"


def cpu_xml(cpu: CpuDesc, indent: str = "") -> str:
    attrs = ""
    if cpu.kind is CpuKind.GUEST:
        attrs = f" mode={attr(cpu.mode.value)}"
        if cpu.match is not None:
            attrs += f" match={attr(cpu.match.value)}"
        if cpu.check is not None:
            attrs += f" check={attr(cpu.check)}"
    lines = [f"{indent}<cpu{attrs}>"]
    inner = indent + "  "
    if cpu.arch:
        lines.append(f"{inner}<arch>{escape(cpu.arch)}</arch>")
    if cpu.model:
        fb = f" fallback={attr(cpu.fallback)}" if cpu.fallback else ""
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
            lines.append(f"{inner}<feature name={attr(feat.name)}/>")
        else:
            lines.append(f"{inner}<feature policy={attr(feat.policy.value)} name={attr(feat.name)}/>")
    lines.append(f"{indent}</cpu>")
    return "\n".join(lines)
