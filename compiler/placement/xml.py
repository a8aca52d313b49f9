"""Read <cputune>, <numatune>, <iothreads>/<iothreadids> and <memoryBacking> from a
``<domain>`` element into a :class:`~compiler.placement.tuning.Tuning`.

Every value is read through :class:`compiler.xmlread.Reader`, so codes and messages
are the ones the rest of domc uses.  Unlike parse.py, which stops at the first bad
value, this reader *collects*: a read that fails adds its diagnostics to a
Collector and reading goes on; all problems are raised together at the end.
"""

from __future__ import annotations

from ..diagnostics import Collector, DomcError
from ..xmlread import Reader
from .cpuset import CpuSet, parse_cpuset
from .tuning import (
    HugePage,
    IoThread,
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


class _Collect:
    """Calls a Reader read; a DomcError it raises becomes collected diagnostics and
    the call returns ``fallback`` instead."""

    def __init__(self) -> None:
        self.diag = Collector()

    def __call__(self, read, *args, fallback=None, **kw):
        try:
            return read(*args, **kw)
        except DomcError as exc:
            self.diag.items.extend(exc.diagnostics)
            return fallback


def _required_int(r: Reader, name: str, lo: int = 0) -> int:
    r.require(name)
    return r.attr_int(name, lo=lo)


def _cpuset(r: Reader, name: str, required: bool = True) -> CpuSet | None:
    raw = r.require(name) if required else r.attr(name)
    return None if raw is None else parse_cpuset(raw, r.span, what=name)


def _page_kib(r: Reader) -> int:
    r.require("size")
    return r.attr_memory_kib("size")


def _iothread_count(r: Reader) -> int:
    if r.text() is None:
        raise r.error("missing-value", "<iothreads> needs a count")
    return r.text_int()


def _unique(c: _Collect, items, key, what: str) -> None:
    seen = set()
    for item in items:
        k = key(item)
        if k in seen:
            c.diag.error("duplicate", f"{what} {k} is given more than once", item.span)
        seen.add(k)


def _read_cputune(c: _Collect, r: Reader) -> tuple[tuple, CpuSet | None, tuple, tuple[str, ...]]:
    vcpupins, iopins, ignored, emulator = [], [], [], None
    for child in r.children():
        tag = child.tag
        if tag == "vcpupin":
            vcpu, cpus = c(_required_int, child, "vcpu"), c(_cpuset, child, "cpuset")
            if vcpu is not None and cpus is not None:
                vcpupins.append(VcpuPin(vcpu, cpus, span=child.span))
        elif tag == "emulatorpin":
            if emulator is not None:
                c.diag.error("duplicate", "<emulatorpin> is given more than once", child.span)
            emulator = c(_cpuset, child, "cpuset")
        elif tag == "iothreadpin":
            tid, cpus = c(_required_int, child, "iothread", lo=1), c(_cpuset, child, "cpuset")
            if tid is not None and cpus is not None:
                iopins.append(IothreadPin(tid, cpus, span=child.span))
        elif tag in CGROUP_KNOBS:
            ignored.append(tag)
        else:
            c.diag.error("unknown-element", f"<cputune> has no child <{tag}>", child.span)
    _unique(c, vcpupins, lambda p: p.vcpu, "vcpupin for vCPU")
    _unique(c, iopins, lambda p: p.iothread, "iothreadpin for iothread")
    return tuple(vcpupins), emulator, tuple(iopins), tuple(sorted(set(ignored)))


def _read_iothreads(c: _Collect, r: Reader) -> tuple[IoThread, ...]:
    """<iothreadids> in document order, then (as libvirt fills them in) the lowest
    unused ids until there are <iothreads> of them."""
    out: list[IoThread] = []
    ids = r.child("iothreadids")
    for i in ids.children("iothread") if ids is not None else ():
        ident = c(_required_int, i, "id", lo=1)
        lo, hi = c(i.attr_int, "thread_pool_min"), c(i.attr_int, "thread_pool_max")
        if ident is None:
            continue
        if any(io.id == ident for io in out):
            c.diag.error("duplicate", f"iothread id {ident} is given twice", i.span)
        elif lo is not None and hi is not None and lo > hi:
            c.diag.error("iothread-pool", f"thread_pool_min ({lo}) of iothread {ident} is above "
                         f"thread_pool_max ({hi})", i.span)
        out.append(IoThread(ident, lo, hi))
    count = r.child("iothreads")
    n = c(_iothread_count, count) if count is not None else None
    free = (k for k in range(1, 1 << 31) if all(io.id != k for io in out))
    while n is not None and len(out) < n:
        out.append(IoThread(next(free)))
    return tuple(out)


def _read_main_loop(c: _Collect, r: Reader) -> tuple[int | None, int | None] | None:
    d = r.child("defaultiothread")
    if d is None:
        return None
    lo, hi = c(d.attr_int, "thread_pool_min"), c(d.attr_int, "thread_pool_max")
    if lo is not None and hi is not None and lo > hi:
        c.diag.error("iothread-pool", f"thread_pool_min ({lo}) of <defaultiothread> is above "
                     f"thread_pool_max ({hi})", d.span)
    return lo, hi


def _read_numatune(c: _Collect, r: Reader, vcpu_auto: bool) -> tuple[NumaMemory | None, tuple[MemNode, ...]]:
    memory = None
    mem = r.child("memory")
    if mem is not None:
        mode = c(mem.attr_enum, "mode", MemoryMode, MemoryMode.STRICT, fallback=MemoryMode.STRICT)
        nodeset = c(_cpuset, mem, "nodeset", required=False)
        has_nodeset = mem.attr("nodeset") is not None
        default = Placement.STATIC if has_nodeset or not vcpu_auto else Placement.AUTO
        placement = c(mem.attr_enum, "placement", Placement, default, fallback=default)
        if placement is Placement.STATIC and not has_nodeset:
            c.diag.error("numatune-nodeset", "<numatune><memory> needs a nodeset unless placement='auto'", mem.span)
        if placement is Placement.AUTO:
            nodeset = None  # libvirt ignores a nodeset given with placement='auto'
        memory = NumaMemory(mode, nodeset, placement, span=mem.span)
    memnodes = []
    for m in r.children("memnode"):
        cell = c(_required_int, m, "cellid")
        mode = c(m.attr_enum, "mode", MemoryMode, MemoryMode.STRICT, fallback=MemoryMode.STRICT)
        nodeset = c(_cpuset, m, "nodeset")
        if cell is not None and nodeset is not None:
            memnodes.append(MemNode(cell, mode, nodeset, span=m.span))
        if mode is MemoryMode.RESTRICTIVE and (memory is None or memory.mode is not MemoryMode.RESTRICTIVE):
            c.diag.error(
                "numatune-restrictive",
                "<memnode mode='restrictive'> needs <memory mode='restrictive'> in <numatune>",
                m.span,
            )
    _unique(c, memnodes, lambda m: m.cellid, "memnode for cell")
    return memory, tuple(sorted(memnodes, key=lambda m: m.cellid))


def _read_backing(c: _Collect, r: Reader) -> MemoryBacking:
    pages, hugepages = [], False
    hp = r.child("hugepages")
    if hp is not None:
        hugepages = True
        for p in hp.children("page"):
            size = c(_page_kib, p)
            cells = c(_cpuset, p, "nodeset", required=False)
            if size is not None:
                pages.append(HugePage(size, cells, span=p.span))
    src = r.child("source")
    access = r.child("access")
    alloc = r.child("allocation")
    prealloc, threads = False, None
    if alloc is not None:
        prealloc = alloc.attr("mode") == "immediate"
        threads = c(alloc.attr_int, "threads", lo=1)
    return MemoryBacking(
        hugepages=hugepages,
        pages=tuple(pages),
        source=None if src is None else c(src.attr_enum, "type", MemorySource),
        access=None if access is None else c(access.attr_enum, "mode", MemoryAccess),
        prealloc=prealloc,
        prealloc_threads=threads,
        discard=r.has("discard"),
        locked=r.has("locked"),
        span=r.span,
    )


def tuning_from_xml(root: Reader, file: str | None = None) -> Tuning:
    """The placement-related parts of ``<domain>``: ``root`` is a Reader on it (or a
    bare element, with the ``file`` it was read from)."""
    r = root if isinstance(root, Reader) else Reader(root, file or "<input>")
    c = _Collect()
    vcpu = r.child("vcpu")
    vcpu_auto = vcpu is not None and vcpu.attr("placement") == "auto"
    vcpupins, emulator, iopins, ignored = (), None, (), ()
    cputune = r.child("cputune")
    if cputune is not None:
        vcpupins, emulator, iopins, ignored = _read_cputune(c, cputune)
    memory, memnodes = None, ()
    numatune = r.child("numatune")
    if numatune is not None:
        memory, memnodes = _read_numatune(c, numatune, vcpu_auto)
    if vcpu_auto and memory is None:
        # libvirt: automatic vCPU placement implies automatic memory placement
        memory = NumaMemory(MemoryMode.STRICT, None, Placement.AUTO, span=vcpu.span)
    backing_r = r.child("memoryBacking")
    backing = MemoryBacking() if backing_r is None else _read_backing(c, backing_r)
    iothreads = _read_iothreads(c, r)
    main_loop = _read_main_loop(c, r)
    c.diag.raise_if_errors()
    return Tuning(
        vcpupins=vcpupins,
        emulatorpin=emulator,
        iothreadpins=iopins,
        iothread_ids=tuple(sorted(io.id for io in iothreads)),
        iothreads=iothreads,
        main_loop_pool=main_loop,
        memory=memory,
        memnodes=memnodes,
        backing=backing,
        ignored=ignored,
        span=(cputune or r).span,
    )
