"""Read <cputune>, <numatune>, <iothreads>/<iothreadids> and <memoryBacking> from a
``<domain>`` element into a :class:`~compiler.placement.tuning.Tuning`.

Only the ElementTree API is used (``find``, ``get``, ``sourceline``); the caller
owns the XML library.  All problems are collected and raised together.
"""

from __future__ import annotations

import enum

from ..diagnostics import Collector, DomcError, Span
from .cpuset import CpuSet, parse_cpuset
from .tuning import (
    HugePage,
    IothreadPin,
    MemNode,
    MemoryAccess,
    MemoryBacking,
    MemoryMode,
    MemorySource,
    NumaMemory,
    Placement,
    Tuning,
    VcpuPin,
)

# <cputune> children that need cgroups or real-time scheduling; read, reported, not applied
CGROUP_KNOBS = (
    "shares", "period", "quota", "global_period", "global_quota", "emulator_period",
    "emulator_quota", "iothread_period", "iothread_quota", "vcpusched", "iothreadsched",
    "emulatorsched", "cachetune", "memorytune",
)  # fmt: skip

# size units as libvirt's virScaleInteger accepts them, in KiB (bytes handled apart)
_UNIT_KIB = {
    "k": 1, "kib": 1, "kb": 1,
    "m": 1024, "mib": 1024, "mb": 1000 * 1000 / 1024,
    "g": 1024**2, "gib": 1024**2, "gb": 1000**3 / 1024,
    "t": 1024**3, "tib": 1024**3, "tb": 1000**4 / 1024,
}  # fmt: skip


class _Reader:
    def __init__(self, file: str):
        self.file = file
        self.diag = Collector()

    def span(self, el) -> Span:
        return Span(self.file, getattr(el, "sourceline", None) or 0)

    def int_attr(self, el, name: str, required: bool = True, minimum: int = 0) -> int | None:
        raw = el.get(name)
        if raw is None:
            if required:
                self.diag.error("missing-attribute", f"<{el.tag}> needs a '{name}' attribute", self.span(el))
            return None
        try:
            value = int(raw.strip(), 0 if raw.strip().lower().startswith("0x") else 10)
        except ValueError:
            value = None
        if value is None or value < minimum:
            self.diag.error(
                "bad-number", f"<{el.tag} {name}='{raw}'>: expected an integer >= {minimum}", self.span(el)
            )
            return None
        return value

    def enum_attr(self, el, name: str, kind: type[enum.Enum], default):
        raw = el.get(name)
        if raw is None:
            return default
        try:
            return kind(raw)
        except ValueError:
            allowed = ", ".join(m.value for m in kind)
            self.diag.error("bad-value", f"<{el.tag} {name}='{raw}'>: expected one of {allowed}", self.span(el))
            return default

    def set_attr(self, el, name: str, required: bool = True, max_id: int | None = None) -> CpuSet | None:
        raw = el.get(name)
        if raw is None:
            if required:
                self.diag.error("missing-attribute", f"<{el.tag}> needs a '{name}' attribute", self.span(el))
            return None
        try:
            if max_id is None:
                return parse_cpuset(raw, self.span(el), what=name)
            return parse_cpuset(raw, self.span(el), what=name, max_id=max_id)
        except DomcError as exc:
            self.diag.items.extend(exc.diagnostics)
            return None

    def size_kib(self, el, name: str = "size") -> int | None:
        value = self.int_attr(el, name)
        if value is None:
            return None
        unit = (el.get("unit") or "KiB").strip().lower()
        if unit in ("b", "bytes"):
            return -(-value // 1024)
        if unit not in _UNIT_KIB:
            self.diag.error("bad-unit", f"<{el.tag} unit='{el.get('unit')}'>: unknown unit", self.span(el))
            return None
        return int(value * _UNIT_KIB[unit])


def _unique(r: _Reader, items, key, what: str) -> None:
    seen = set()
    for item in items:
        k = key(item)
        if k in seen:
            r.diag.error("duplicate", f"{what} {k} is given more than once", item.span)
        seen.add(k)


def _read_cputune(r: _Reader, el) -> tuple[tuple, CpuSet | None, tuple, tuple[str, ...]]:
    vcpupins, iopins, ignored, emulator = [], [], [], None
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else None
        if tag == "vcpupin":
            vcpu, cpus = r.int_attr(child, "vcpu"), r.set_attr(child, "cpuset")
            if vcpu is not None and cpus is not None:
                vcpupins.append(VcpuPin(vcpu, cpus, span=r.span(child)))
        elif tag == "emulatorpin":
            if emulator is not None:
                r.diag.error("duplicate", "<emulatorpin> is given more than once", r.span(child))
            emulator = r.set_attr(child, "cpuset")
        elif tag == "iothreadpin":
            tid, cpus = r.int_attr(child, "iothread", minimum=1), r.set_attr(child, "cpuset")
            if tid is not None and cpus is not None:
                iopins.append(IothreadPin(tid, cpus, span=r.span(child)))
        elif tag in CGROUP_KNOBS:
            ignored.append(tag)
        elif tag is not None:
            r.diag.error("unknown-element", f"<cputune> has no child <{tag}>", r.span(child))
    _unique(r, vcpupins, lambda p: p.vcpu, "vcpupin for vCPU")
    _unique(r, iopins, lambda p: p.iothread, "iothreadpin for iothread")
    return tuple(vcpupins), emulator, tuple(iopins), tuple(sorted(set(ignored)))


def _read_iothreads(r: _Reader, root) -> tuple[int, ...]:
    ids_el = root.find("iothreadids")
    if ids_el is not None:
        ids = [r.int_attr(i, "id", minimum=1) for i in ids_el.findall("iothread")]
        return tuple(sorted({i for i in ids if i is not None}))
    count_el = root.find("iothreads")
    if count_el is None:
        return ()
    try:
        count = int((count_el.text or "").strip())
    except ValueError:
        r.diag.error("bad-number", f"<iothreads>{count_el.text}</iothreads>: expected a count", r.span(count_el))
        return ()
    return tuple(range(1, count + 1))


def _read_numatune(r: _Reader, el, vcpu_auto: bool) -> tuple[NumaMemory | None, tuple[MemNode, ...]]:
    memory = None
    mem_el = el.find("memory")
    if mem_el is not None:
        mode = r.enum_attr(mem_el, "mode", MemoryMode, MemoryMode.STRICT)
        nodeset = r.set_attr(mem_el, "nodeset", required=False)
        default = Placement.STATIC if mem_el.get("nodeset") is not None or not vcpu_auto else Placement.AUTO
        placement = r.enum_attr(mem_el, "placement", Placement, default)
        if placement is Placement.STATIC and mem_el.get("nodeset") is None:
            r.diag.error(
                "numatune-nodeset", "<numatune><memory> needs a nodeset unless placement='auto'", r.span(mem_el)
            )
        if placement is Placement.AUTO:
            nodeset = None  # libvirt ignores a nodeset given with placement='auto'
        memory = NumaMemory(mode, nodeset, placement, span=r.span(mem_el))
    memnodes = []
    for m in el.findall("memnode"):
        cell = r.int_attr(m, "cellid")
        mode = r.enum_attr(m, "mode", MemoryMode, MemoryMode.STRICT)
        nodeset = r.set_attr(m, "nodeset")
        if cell is not None and nodeset is not None:
            memnodes.append(MemNode(cell, mode, nodeset, span=r.span(m)))
        if mode is MemoryMode.RESTRICTIVE and (memory is None or memory.mode is not MemoryMode.RESTRICTIVE):
            r.diag.error(
                "numatune-restrictive",
                "<memnode mode='restrictive'> needs <memory mode='restrictive'> in <numatune>",
                r.span(m),
            )
    _unique(r, memnodes, lambda m: m.cellid, "memnode for cell")
    return memory, tuple(sorted(memnodes, key=lambda m: m.cellid))


def _read_backing(r: _Reader, el) -> MemoryBacking:
    pages, hugepages = [], False
    hp = el.find("hugepages")
    if hp is not None:
        hugepages = True
        for p in hp.findall("page"):
            size = r.size_kib(p)
            cells = r.set_attr(p, "nodeset", required=False)
            if size is not None:
                pages.append(HugePage(size, cells, span=r.span(p)))
    src = el.find("source")
    access = el.find("access")
    alloc = el.find("allocation")
    prealloc, threads = False, None
    if alloc is not None:
        prealloc = alloc.get("mode") == "immediate"
        threads = r.int_attr(alloc, "threads", required=False, minimum=1)
    return MemoryBacking(
        hugepages=hugepages,
        pages=tuple(pages),
        source=None if src is None else r.enum_attr(src, "type", MemorySource, None),
        access=None if access is None else r.enum_attr(access, "mode", MemoryAccess, None),
        prealloc=prealloc,
        prealloc_threads=threads,
        discard=el.find("discard") is not None,
        span=r.span(el),
    )


def tuning_from_xml(root, file: str) -> Tuning:
    """The placement-related parts of ``<domain>`` element ``root`` read from ``file``."""
    r = _Reader(file)
    vcpu_el = root.find("vcpu")
    vcpu_auto = vcpu_el is not None and vcpu_el.get("placement") == "auto"
    vcpupins, emulator, iopins, ignored = (), None, (), ()
    cputune = root.find("cputune")
    if cputune is not None:
        vcpupins, emulator, iopins, ignored = _read_cputune(r, cputune)
    memory, memnodes = None, ()
    numatune = root.find("numatune")
    if numatune is not None:
        memory, memnodes = _read_numatune(r, numatune, vcpu_auto)
    if vcpu_auto and memory is None:
        # libvirt: automatic vCPU placement implies automatic memory placement
        memory = NumaMemory(MemoryMode.STRICT, None, Placement.AUTO, span=r.span(vcpu_el))
    backing_el = root.find("memoryBacking")
    backing = MemoryBacking() if backing_el is None else _read_backing(r, backing_el)
    r.diag.raise_if_errors()
    return Tuning(
        vcpupins=vcpupins,
        emulatorpin=emulator,
        iothreadpins=iopins,
        iothread_ids=_read_iothreads(r, root),
        memory=memory,
        memnodes=memnodes,
        backing=backing,
        ignored=ignored,
        span=r.span(cputune if cputune is not None else root),
    )
