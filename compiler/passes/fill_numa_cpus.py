"""Pass fill_numa_cpus: vCPUs that no guest NUMA cell lists go to cell 0.

libvirt's post-parse does this for QEMU (qemuDomainDefNumaCPUsRectify): when the
cells' ``cpus`` cover fewer than the maximum vCPU count, cell 0 gets every vCPU
id that no other cell has.  The normalized XML shows the new ``cpus`` of cell 0,
and the cell then counts as one with vCPUs (it can be an HMAT initiator).
"""

from __future__ import annotations

from attrs import evolve

from ..model import Domain
from ..placement.cpuset import CpuSet, parse_cpuset


def _cpus(cell) -> CpuSet:
    return parse_cpuset(cell.cpus, cell.span, what="cpus") if cell.cpus.strip() else CpuSet()


def fill_numa_cpus(dom: Domain, env) -> Domain:
    cells = dom.cpu.numa if dom.cpu else ()
    first = next((i for i, c in enumerate(cells) if c.id == 0), None)
    if first is None:
        return dom
    sets = [_cpus(c) for c in cells]
    if sum(len(s) for s in sets) >= dom.vcpu.count:
        return dom
    others = CpuSet()
    for i, s in enumerate(sets):
        if i != first:
            others = others | s
    filled = CpuSet.of(range(dom.vcpu.count)) - others
    if filled == sets[first]:
        return dom
    new = list(cells)
    new[first] = evolve(cells[first], cpus=str(filled))
    return evolve(dom, cpu=evolve(dom.cpu, numa=tuple(new)))
