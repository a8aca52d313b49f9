"""Automatic placement: pick host NUMA node(s) for a guest.

The rule (virt-install ``--cpuset=auto`` and libvirt's numad placement in one):
use as few nodes as possible; among sets of that size, the one with the most free
memory; ties go to the lowest node ids.  A set fits when its free memory covers
the guest's memory and it has at least as many CPUs as the guest has vCPUs.
"""

from __future__ import annotations

import itertools

from ..diagnostics import Span, fail
from .cpuset import CpuSet
from .host import HostNode, HostTopology
from .tuning import AutoPlacement


def _fits(nodes: tuple[HostNode, ...], need_kib: int, need_cpus: int) -> bool:
    return sum(n.free_kib for n in nodes) >= need_kib and sum(len(n.cpus) for n in nodes) >= need_cpus


def choose_nodes(host: HostTopology, need_kib: int, need_cpus: int, span: Span) -> AutoPlacement:
    """The node set for a guest of ``need_kib`` KiB and ``need_cpus`` vCPUs."""
    nodes = tuple(n for n in host.nodes if n.cpus or n.free_kib)
    for size in range(1, len(nodes) + 1):
        fitting = [c for c in itertools.combinations(nodes, size) if _fits(c, need_kib, need_cpus)]
        if fitting:
            best = min(fitting, key=lambda c: (-sum(n.free_kib for n in c), [n.id for n in c]))
            ids = CpuSet.of(n.id for n in best)
            return AutoPlacement(nodes=ids, cpus=host.cpus_of_nodes(ids))
    have = "; ".join(f"node {n.id}: {n.free_kib} KiB free, {len(n.cpus)} CPUs" for n in host.nodes)
    total = sum(n.free_kib for n in host.nodes)
    raise fail(
        "placement-no-fit",
        f"automatic placement needs {need_kib} KiB free and {need_cpus} CPUs; "
        f"no set of host nodes has that ({have}; {total} KiB free in all)",
        span,
    )
