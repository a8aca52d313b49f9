"""Test-only stand-in for the core's parser: just the parts placement reads.

The core's ``compiler.parse`` lives on another branch; these tests need a Domain
with <vcpu>, <memory>, <os> and <cpu><numa>, plus the tuning read the way the core
will read it (``tuning_from_xml``).  When ``compiler.api`` exists, prefer it.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from compiler.diagnostics import Span
from compiler.model import Cpu, Domain, Memory, NumaCell, Os, Vcpu
from compiler.env import Env
from compiler.placement.tuning import Placement
from compiler.placement.xml import tuning_from_xml

_UNIT = {"kib": 1, "k": 1, "mib": 1024, "m": 1024, "gib": 1024**2, "g": 1024**2, "b": 1 / 1024, "bytes": 1 / 1024}


def _kib(el) -> int:
    return int(int(el.text.strip() if el.text is not None else el.get("memory")) * _UNIT[(el.get("unit") or "KiB").lower()])


def domain_from_file(path: str | Path) -> Domain:
    path = str(path)
    root = etree.parse(path).getroot()
    v = root.find("vcpu")
    vcpu = Vcpu(
        count=int(v.text),
        current=int(v.get("current")) if v.get("current") else None,
        placement=Placement(v.get("placement") or "static"),
        cpuset=v.get("cpuset"),
        span=Span(path, v.sourceline),
    )
    cells = []
    numa = root.find("cpu/numa")
    for c in numa.findall("cell") if numa is not None else ():
        mem = int(int(c.get("memory")) * _UNIT[(c.get("unit") or "KiB").lower()])
        cells.append(NumaCell(int(c.get("id")), c.get("cpus") or "", mem, c.get("memAccess"), {"yes": True, "no": False}.get(c.get("discard") or ""), span=Span(path, c.sourceline)))
    ty = root.find("os/type")
    return Domain(
        name=root.findtext("name") or "",
        memory=Memory(max_kib=_kib(root.find("memory"))),
        vcpu=vcpu,
        os=Os(machine=ty.get("machine") if ty is not None else None),
        cpu=Cpu(numa=tuple(cells)) if cells else None,
        tuning=tuning_from_xml(root, path),
        file=path,
        span=Span(path, root.sourceline),
    )


def env_for(host_root: str | None) -> Env:
    return Env(profile=None, host_root=host_root)


def placed(path: str | Path, host_root: str | None = None) -> tuple[Domain, Env]:
    """Read ``path`` and run place_vcpus the way pipeline.normalize does (raise after)."""
    from compiler.passes.place_vcpus import place_vcpus

    env = env_for(host_root)
    dom = place_vcpus(domain_from_file(path), env)
    env.diag.raise_if_errors()
    return dom, env
