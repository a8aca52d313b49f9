"""Guest NUMA cells -> ``-object memory-backend-*`` + ``-numa node`` (libvirt 9.0,
QEMU 7.2), and the memory backend properties the core reuses for ``pc.ram``.

libvirt's rules (qemuBuildNumaCommandLine, qemuBuildMemoryBackendProps):

* each cell's size is rounded up to 1 MiB;
* a cell gets a backend object ``ram-nodeN`` and ``memdev=`` when the machine type
  no longer accepts ``mem=`` (``pc``/``q35`` aliases and versions from 5.1 on) or
  when the cell needs a non-default backend (hugepages, memAccess, file/memfd
  source, preallocation, a ``<memnode>`` binding); otherwise ``mem=SIZE_MiB``;
* the backend object and its host binding follow the rule memory devices use
  too (compiler/devices/memory_backend.py);
* cells come in id order; with HMAT (caches or interconnects) every node gets
  ``initiator=`` and the nodes are followed by ``hmat-lb`` and ``hmat-cache``
  (qemuBuildNumaHMATCommandLine; the choices are in compiler/placement/hmat.py).
"""

from __future__ import annotations

import json
import re

from ..devices.memory_backend import BackendRequest, build_backend
from ..model import CacheAssociativity, CachePolicy, Domain, LinkKind, NumaCell
from ..placement.cpuset import CpuSet, parse_cpuset
from ..placement.hmat import has_hmat, hierarchy, node_initiator

ALIGN_KIB = 1024
# machine types up to this version still accept "-numa node,mem="
_LAST_NUMA_MEM_VERSION = (5, 0)
_MACHINE_VERSION = re.compile(r"-(\d+)\.(\d+)$")


def align_kib(kib: int) -> int:
    return -(-kib // ALIGN_KIB) * ALIGN_KIB


def numa_memory_kib(dom: Domain) -> int:
    """Guest RAM as libvirt sizes ``-m`` for a NUMA guest: the sum of aligned cells."""
    return sum(align_kib(c.memory_kib) for c in _cells(dom))


def machine_accepts_numa_mem(machine: str | None) -> bool:
    m = _MACHINE_VERSION.search(machine or "")
    return bool(m) and (int(m.group(1)), int(m.group(2))) <= _LAST_NUMA_MEM_VERSION


def _cells(dom: Domain) -> tuple[NumaCell, ...]:
    """The guest NUMA cells by id (libvirt keeps them in an array indexed by id)."""
    return tuple(sorted(dom.cpu.numa, key=lambda c: c.id)) if dom.cpu else ()


def memory_backend_props(dom: Domain, alias: str, size_kib: int,
                         cell: NumaCell | None = None) -> tuple[list[dict], bool]:
    """The ``-object`` dicts for the backend of cell ``cell`` (None: ``pc.ram``, all
    guest RAM) and whether the settings need a backend at all."""
    b = build_backend(dom, BackendRequest(alias=alias, size_kib=size_kib,
                                          node=cell.id if cell is not None else None, cell=cell,
                                          system_memory=cell is None))
    return list(b.objects), b.needed


def _object_arg(props: dict) -> str:
    return json.dumps(props, separators=(",", ":"))


def _cpus_opts(cell: NumaCell) -> list[str]:
    if not cell.cpus.strip():
        return []
    cpus: CpuSet = parse_cpuset(cell.cpus, cell.span, what="cpus")
    return [f"cpus={a}" if a == b else f"cpus={a}-{b}" for a, b in cpus.ranges()]


def emit_numa(dom: Domain, env=None) -> list[str]:
    """argv for the guest NUMA cells, in cell order (empty for a non-NUMA guest)."""
    cells = _cells(dom)
    if not cells:
        return []
    built = []
    need_backend = not machine_accepts_numa_mem(dom.os.machine)
    for cell in cells:
        objects, needed = memory_backend_props(dom, f"ram-node{cell.id}", align_kib(cell.memory_kib), cell)
        built.append((cell, objects))
        need_backend = need_backend or needed
    hmat = has_hmat(dom.cpu)
    argv: list[str] = []
    for cell, objects in built:
        opts = [f"node,nodeid={cell.id}", *_cpus_opts(cell)]
        if hmat:
            initiator = node_initiator(dom.cpu, cell.id)
            if initiator is not None:
                opts.append(f"initiator={initiator}")
        if need_backend:
            for obj in objects:
                argv += ["-object", _object_arg(obj)]
            opts.append(f"memdev=ram-node{cell.id}")
        else:
            opts.append(f"mem={align_kib(cell.memory_kib) // 1024}")
        argv += ["-numa", ",".join(opts)]
    for src, dst, val in distance_matrix(cells):
        argv += ["-numa", f"dist,src={src},dst={dst},val={val}"]
    return argv + emit_hmat(dom)


LOCAL_DISTANCE, REMOTE_DISTANCE = 10, 20


def distance_matrix(cells) -> list[tuple[int, int, int]]:
    """Every (src, dst, distance) once any cell gives <distances>, as libvirt completes
    them: what a cell says, else the mirror of what its sibling says, else 10 to itself
    and 20 to the others.  Empty when no cell says anything."""
    if not any(c.distances for c in cells):
        return []
    given: dict[tuple[int, int], int] = {}
    mirrored: dict[tuple[int, int], int] = {}
    for c in cells:
        for sibling, value, _ in c.distances:
            given[(c.id, sibling)] = value
            mirrored.setdefault((sibling, c.id), value)
    ids = sorted(c.id for c in cells)
    return [(a, b, given.get((a, b), mirrored.get((a, b),
                                                  LOCAL_DISTANCE if a == b else REMOTE_DISTANCE)))
            for a in ids for b in ids]


# QEMU's spellings of libvirt's cache attributes
_ASSOCIATIVITY = {CacheAssociativity.NONE: "none", CacheAssociativity.DIRECT: "direct",
                  CacheAssociativity.FULL: "complex"}
_POLICY = {CachePolicy.NONE: "none", CachePolicy.WRITEBACK: "write-back",
           CachePolicy.WRITETHROUGH: "write-through"}


def emit_hmat(dom: Domain) -> list[str]:
    """``-numa hmat-lb`` per interconnect (document order), then ``-numa hmat-cache``
    per cache (cells by id, caches in document order)."""
    cpu = dom.cpu
    if cpu is None:
        return []
    argv: list[str] = []
    for link in cpu.interconnects:
        opts = [f"hmat-lb,initiator={link.initiator}", f"target={link.target}",
                f"hierarchy={hierarchy(link)}",
                f"data-type={link.access.value}-{link.kind.value}"]
        if link.kind is LinkKind.LATENCY:
            opts.append(f"latency={link.value}")
        else:
            opts.append(f"bandwidth={link.value}K")
        argv += ["-numa", ",".join(opts)]
    for cell in sorted(cpu.numa, key=lambda c: c.id):
        for cache in cell.caches:
            opts = [f"hmat-cache,node-id={cell.id}", f"size={cache.size_kib}K",
                    f"level={cache.level}", f"associativity={_ASSOCIATIVITY[cache.associativity]}",
                    f"policy={_POLICY[cache.policy]}"]
            if cache.line_bytes:  # libvirt leaves out a zero line size
                opts.append(f"line={cache.line_bytes}")
            argv += ["-numa", ",".join(opts)]
    return argv
