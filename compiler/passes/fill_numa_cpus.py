"""Pass fill_numa_cpus: vCPUs that no guest NUMA cell lists go to cell 0 (after the
checks libvirt makes before it does the same).

libvirt's post-parse does this for QEMU (qemuDomainDefNumaCPUsRectify): when the
cells' ``cpus`` cover fewer than the maximum vCPU count, cell 0 gets every vCPU
id that no other cell has.  The normalized XML shows the new ``cpus`` of cell 0,
and the cell then counts as one with vCPUs (it can be an HMAT initiator).
"""

from __future__ import annotations

from ..record import evolve

from ..model import Domain
from ..placement.cpuset import CpuSet, parse_cpuset


def _cpus(cell) -> CpuSet:
    return parse_cpuset(cell.cpus, cell.span, what="cpus") if cell.cpus.strip() else CpuSet()


def _check(dom: Domain, cells, sets, diag) -> bool:
    """libvirt's checks of the cells, in its order: numbered 0..N-1, no vCPU in two
    cells, no more vCPUs listed than <vcpu> has, no vCPU id beyond them."""
    ids = [c.id for c in cells]
    if sorted(ids) != list(range(len(cells))):
        diag.error("numa-cells", "guest NUMA cells must be numbered 0..N-1, one <cell> each "
                   f"(got {', '.join(map(str, ids))})", cells[0].span)
        return False
    for i, a in enumerate(sets):
        for j in range(i):
            if a & sets[j]:
                diag.error("numa-cells", f"NUMA cells {cells[i].id} and {cells[j].id} have "
                           f"overlapping vCPU ids ({a & sets[j]})", cells[i].span)
                return False
    listed = sum(len(s) for s in sets)
    if listed > dom.vcpu.count:
        diag.error("numa-cells", f"the NUMA cells list {listed} vCPUs, more than the "
                   f"{dom.vcpu.count} of <vcpu>", dom.cpu.span)
        return False
    # libvirt looks for this after filling, but filling adds no id beyond <vcpu>
    every = CpuSet()
    for one in sets:
        every = every | one
    beyond = every - CpuSet.of(range(dom.vcpu.count))
    if beyond:
        diag.error("numa-cells", f"vCPU ids {beyond} in <numa> are beyond the {dom.vcpu.count} "
                   "vCPUs of <vcpu>", dom.cpu.span)
        return False
    return True


def fill_numa_cpus(dom: Domain, env) -> Domain:
    cells = dom.cpu.numa if dom.cpu else ()
    if not cells:
        return dom
    sets = [_cpus(c) for c in cells]
    if not _check(dom, cells, sets, env.diag):
        return dom
    first = next(i for i, c in enumerate(cells) if c.id == 0)
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
