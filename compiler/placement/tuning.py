"""The tuning model: what <cputune>, <numatune>, <iothreads> and <memoryBacking>
say, as frozen values stored in ``Domain.tuning``, and the host memory policies
they give (:func:`memory_policy`, :func:`cell_policy`).

A model-layer module (compiler/model.py imports it): it imports only diagnostics and
the CPU set values.  Built by :func:`compiler.placement.xml.tuning_from_xml`; the
``place_vcpus`` pass fills in :attr:`Tuning.auto` when placement is automatic.
"""

from __future__ import annotations

import enum

from ..record import frozen

from ..diagnostics import Span, span_field
from .cpuset import CpuSet


class Placement(enum.Enum):
    STATIC = "static"
    AUTO = "auto"


class MemoryMode(enum.Enum):
    STRICT = "strict"
    PREFERRED = "preferred"
    INTERLEAVE = "interleave"
    RESTRICTIVE = "restrictive"

    @property
    def qemu_policy(self) -> str | None:
        """The memory backend ``policy`` value; restrictive binds through cgroups only."""
        return {"strict": "bind", "preferred": "preferred", "interleave": "interleave"}.get(self.value)


class MemorySource(enum.Enum):
    ANONYMOUS = "anonymous"
    FILE = "file"
    MEMFD = "memfd"


class MemoryAccess(enum.Enum):
    SHARED = "shared"
    PRIVATE = "private"


@frozen
class VcpuPin:
    vcpu: int
    cpuset: CpuSet
    span: Span = span_field()


@frozen
class IothreadPin:
    iothread: int
    cpuset: CpuSet
    span: Span = span_field()


@frozen
class NumaMemory:
    """<numatune><memory>: the guest-wide host memory policy."""

    mode: MemoryMode = MemoryMode.STRICT
    nodeset: CpuSet | None = None
    placement: Placement = Placement.STATIC
    span: Span = span_field()


@frozen
class MemNode:
    """<numatune><memnode>: the policy for one guest NUMA cell."""

    cellid: int
    mode: MemoryMode
    nodeset: CpuSet
    span: Span = span_field()


@frozen
class HugePage:
    size_kib: int
    cells: CpuSet | None = None  # guest NUMA cells; None = every cell
    span: Span = span_field()


@frozen
class MemoryBacking:
    hugepages: bool = False
    pages: tuple[HugePage, ...] = ()
    source: MemorySource | None = None
    access: MemoryAccess | None = None
    prealloc: bool = False  # <allocation mode='immediate'>
    prealloc_threads: int | None = None
    discard: bool = False
    locked: bool = False  # <locked/>: guest memory may not be swapped (mem-lock=on)
    span: Span = span_field()


@frozen
class IoThread:
    """One <iothreadids><iothread>: its id and the size of its worker pool."""

    id: int
    pool_min: int | None = None
    pool_max: int | None = None


@frozen
class AutoPlacement:
    """What automatic placement chose (the pass fills it in)."""

    nodes: CpuSet
    cpus: CpuSet


@frozen
class Tuning:
    vcpupins: tuple[VcpuPin, ...] = ()
    emulatorpin: CpuSet | None = None
    iothreadpins: tuple[IothreadPin, ...] = ()
    iothread_ids: tuple[int, ...] = ()  # sorted
    iothreads: tuple[IoThread, ...] = ()  # in the order QEMU creates them
    main_loop_pool: tuple[int | None, int | None] | None = None  # <defaultiothread>
    memory: NumaMemory | None = None
    memnodes: tuple[MemNode, ...] = ()
    backing: MemoryBacking = MemoryBacking()
    # <cputune> children domc reads but cannot apply without cgroups (shares, quota...)
    ignored: tuple[str, ...] = ()
    auto: AutoPlacement | None = None
    span: Span = span_field()

    def vcpupin(self, vcpu: int) -> VcpuPin | None:
        for p in self.vcpupins:
            if p.vcpu == vcpu:
                return p
        return None

    def memnode(self, cell: int) -> MemNode | None:
        for m in self.memnodes:
            if m.cellid == cell:
                return m
        return None


EMPTY = Tuning()


@frozen
class MemoryPolicy:
    """A host memory binding: numatune mode and host NUMA nodes."""

    mode: MemoryMode
    nodes: CpuSet


def memory_policy(tuning: Tuning) -> MemoryPolicy | None:
    """The guest-wide host memory policy, with automatic placement resolved."""
    mem = tuning.memory
    if mem is None:
        return None
    if mem.placement is Placement.AUTO:
        if tuning.auto is None:
            return None  # place_vcpus has not run; nothing to bind to yet
        return MemoryPolicy(mem.mode, tuning.auto.nodes)
    return MemoryPolicy(mem.mode, mem.nodeset) if mem.nodeset is not None else None


def cell_policy(tuning: Tuning, cell: int) -> MemoryPolicy | None:
    """The host memory policy for guest NUMA cell ``cell``."""
    node = tuning.memnode(cell)
    if node is not None:
        return MemoryPolicy(node.mode, node.nodeset)
    return memory_policy(tuning)
