"""The affinity plan: where the guest's threads run and where its memory lives.

``plan(dom, env)`` reads a Domain that went through ``place_vcpus``.  A CPU set of
``None`` means "not restricted" (any host CPU).  The rules follow libvirt:

* emulator: ``<emulatorpin>``, else ``<vcpu cpuset>``, else the CPUs of the
  automatically chosen nodes; the launcher's ``taskset`` uses this set, so every
  thread starts there (libvirt's qemuProcessInitCpuAffinity).
* vCPU n: its ``<vcpupin>``, else ``<vcpu cpuset>``, else the automatic CPUs.
* iothread n: its ``<iothreadpin>``, else the emulator's set.
* memory: ``<numatune><memory>`` mode and nodeset (automatic: the chosen nodes);
  per guest cell: its ``<memnode>``, else the guest-wide policy.
"""

from __future__ import annotations

from ..record import frozen

from ..diagnostics import NOWHERE as _NOWHERE
from ..model import Domain
from ..placement.cpuset import CpuSet, parse_cpuset
from ..placement.tuning import MemoryMode, MemoryPolicy, Placement, cell_policy, memory_policy

PLAN_VERSION = 1


@frozen
class ThreadAffinity:
    id: int  # vCPU index or iothread id
    cpus: CpuSet | None
    online: bool = True


@frozen
class CellPolicy:
    cell: int
    mode: MemoryMode
    nodes: CpuSet


@frozen
class AffinityPlan:
    placement: Placement
    auto_nodes: CpuSet | None
    emulator: CpuSet | None
    vcpus: tuple[ThreadAffinity, ...]
    iothreads: tuple[ThreadAffinity, ...]
    memory: MemoryPolicy | None
    cells: tuple[CellPolicy, ...]

    @property
    def pins_anything(self) -> bool:
        return self.emulator is not None or any(
            t.cpus is not None for t in self.vcpus + self.iothreads
        )


def plan(dom: Domain, env=None) -> AffinityPlan:
    t = dom.tuning
    placement = dom.vcpu.placement
    auto_cpus = t.auto.cpus if t.auto is not None else None
    if placement is Placement.AUTO or not dom.vcpu.cpuset:
        default = auto_cpus if placement is Placement.AUTO else None
    else:
        default = parse_cpuset(dom.vcpu.cpuset, dom.vcpu.span)
    emulator = t.emulatorpin if t.emulatorpin is not None else default
    vcpus = []
    for n in range(dom.vcpu.count):
        pin = t.vcpupin(n)
        vcpus.append(ThreadAffinity(n, pin.cpuset if pin else default, online=n < dom.vcpu.online))
    iopins = {p.iothread: p.cpuset for p in t.iothreadpins}
    iothreads = tuple(ThreadAffinity(i, iopins.get(i, emulator)) for i in t.iothread_ids)
    cells = []
    for cell in dom.cpu.numa if dom.cpu else ():
        pol = cell_policy(t, cell.id)
        if pol is not None:
            cells.append(CellPolicy(cell.id, pol.mode, pol.nodes))
    return AffinityPlan(
        placement=placement,
        auto_nodes=t.auto.nodes if t.auto is not None else None,
        emulator=emulator,
        vcpus=tuple(vcpus),
        iothreads=iothreads,
        memory=memory_policy(t),
        cells=tuple(cells),
    )


def _set(s: CpuSet | None) -> str | None:
    return None if s is None else str(s)


def plan_json(p: AffinityPlan) -> dict:
    """The plan as ``domc compile --format json`` prints it under ``"plan"``."""
    return {
        "version": PLAN_VERSION,
        "placement": p.placement.value,
        "auto_nodes": _set(p.auto_nodes),
        "emulator": _set(p.emulator),
        "vcpus": [{"vcpu": v.id, "cpus": _set(v.cpus), "online": v.online} for v in p.vcpus],
        "iothreads": [{"iothread": i.id, "cpus": _set(i.cpus)} for i in p.iothreads],
        "memory": None if p.memory is None else {"mode": p.memory.mode.value, "nodes": str(p.memory.nodes)},
        "cells": [{"cell": c.cell, "mode": c.mode.value, "nodes": str(c.nodes)} for c in p.cells],
    }


def plan_from_json(data: dict) -> AffinityPlan:
    """Inverse of :func:`plan_json` (used by ``domc run`` and the tests)."""

    def cs(v):
        return None if v is None else parse_cpuset(v, _NOWHERE) if v else CpuSet()

    return AffinityPlan(
        placement=Placement(data["placement"]),
        auto_nodes=cs(data["auto_nodes"]),
        emulator=cs(data["emulator"]),
        vcpus=tuple(ThreadAffinity(v["vcpu"], cs(v["cpus"]), v["online"]) for v in data["vcpus"]),
        iothreads=tuple(ThreadAffinity(i["iothread"], cs(i["cpus"])) for i in data["iothreads"]),
        memory=None
        if data["memory"] is None
        else MemoryPolicy(MemoryMode(data["memory"]["mode"]), cs(data["memory"]["nodes"])),
        cells=tuple(CellPolicy(c["cell"], MemoryMode(c["mode"]), cs(c["nodes"])) for c in data["cells"]),
    )

