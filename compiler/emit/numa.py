"""Guest NUMA cells -> ``-object memory-backend-*`` + ``-numa node`` (libvirt 9.0,
QEMU 7.2), and the memory backend properties the core reuses for ``pc.ram``.

libvirt's rules (qemuBuildNumaCommandLine, qemuBuildMemoryBackendProps):

* each cell's size is rounded up to 1 MiB;
* a cell gets a backend object ``ram-nodeN`` and ``memdev=`` when the machine type
  no longer accepts ``mem=`` (``pc``/``q35`` aliases and versions from 5.1 on) or
  when the cell needs a non-default backend (hugepages, memAccess, file/memfd
  source, preallocation, a ``<memnode>`` binding); otherwise ``mem=SIZE_MiB``;
* the backend is memory-backend-file for hugepages and shared/file memory,
  -memfd for a memfd source, else -ram; the host binding (``host-nodes`` +
  ``policy``) comes from the cell's ``<memnode>`` or the guest-wide
  ``<numatune><memory>``, except in restrictive mode (cgroups only);
* preallocated memory bound to host nodes gets a ``thread-context`` object so
  the preallocation threads run on those nodes;
* cells come in id order; with HMAT (caches or interconnects) every node gets
  ``initiator=`` and the nodes are followed by ``hmat-lb`` and ``hmat-cache``
  (qemuBuildNumaHMATCommandLine; the choices are in compiler/placement/hmat.py).
"""

from __future__ import annotations

import json
import re

from ..model import CacheAssociativity, CachePolicy, Domain, LinkKind, NumaCell
from ..placement.hmat import has_hmat, hierarchy, node_initiator
from ..placement.cpuset import CpuSet, parse_cpuset
from ..placement.tuning import MemoryAccess, MemorySource, Tuning, cell_policy, memory_policy

ALIGN_KIB = 1024
DEFAULT_HUGEPAGE_KIB = 2048  # x86_64
SYSTEM_PAGE_KIB = 4
# hugetlbfs mount points by page size; host-independent so a compile is reproducible
HUGEPAGE_DIRS = {2048: "/dev/hugepages", 1048576: "/dev/hugepages1G"}
MEMORY_BACKING_DIR = "/var/lib/domc/ram"
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


def hugepage_kib(t: Tuning, cell: int | None) -> int | None:
    """The huge page size backing guest cell ``cell`` (None = not huge pages)."""
    b = t.backing
    if not b.hugepages:
        return None
    size = None
    if not b.pages:
        size = DEFAULT_HUGEPAGE_KIB
    for page in b.pages:
        if page.cells is None or (cell is not None and cell in page.cells):
            size = page.size_kib
            break
    return None if size in (None, SYSTEM_PAGE_KIB) else size


def _access(t: Tuning, cell: NumaCell | None) -> MemoryAccess | None:
    if cell is not None and cell.memaccess:
        return MemoryAccess(cell.memaccess)
    return t.backing.access


def memory_backend_props(
    dom: Domain, alias: str, size_kib: int, cell: NumaCell | None = None
) -> tuple[list[dict], bool]:
    """The ``-object`` property dicts for backend ``alias`` (a thread-context, if any,
    first) and whether the settings need a backend at all (libvirt's ``rc == 1``)."""
    t = dom.tuning
    cell_id = cell.id if cell is not None else None
    huge = hugepage_kib(t, cell_id)
    access = _access(t, cell)
    source = t.backing.source
    needed = False
    props: dict = {}
    if huge is not None:
        needed = True
        if source is MemorySource.MEMFD:
            qom = "memory-backend-memfd"
            props.update({"hugetlb": True, "hugetlbsize": huge * 1024})
        else:
            qom = "memory-backend-file"
            base = HUGEPAGE_DIRS.get(huge, f"/dev/hugepages{huge}K")
            props["mem-path"] = f"{base}/libvirt/qemu/{dom.name}"
    elif source is MemorySource.MEMFD:
        needed = True
        qom = "memory-backend-memfd"
    elif source is MemorySource.FILE or access is MemoryAccess.SHARED:
        needed = True
        qom = "memory-backend-file"
        props["mem-path"] = f"{MEMORY_BACKING_DIR}/{dom.name}/{alias}"
    else:
        qom = "memory-backend-ram"
    if qom == "memory-backend-file":
        discard = cell.discard if cell is not None and cell.discard is not None else t.backing.discard or None
        if discard is not None:
            props["discard-data"] = discard
    if access is not None and qom != "memory-backend-ram":
        needed = True
        props["share"] = access is MemoryAccess.SHARED
    prealloc = t.backing.prealloc or huge is not None
    if prealloc:
        # <allocation mode='immediate'> alone does not call for a backend: without
        # one the core preallocates globally with -mem-prealloc
        props["prealloc"] = True
        if t.backing.prealloc_threads:
            props["prealloc-threads"] = t.backing.prealloc_threads
    props["size"] = size_kib * 1024
    pol = cell_policy(t, cell_id) if cell_id is not None else memory_policy(t)
    if cell_id is not None and t.memnode(cell_id) is not None:
        needed = True
    objects = []
    if pol is not None and pol.mode.qemu_policy is not None:
        props["host-nodes"] = pol.nodes.to_list()
        props["policy"] = pol.mode.qemu_policy
        if prealloc:
            tc = f"tc-{alias}"
            objects.append({"qom-type": "thread-context", "id": tc, "node-affinity": pol.nodes.to_list()})
            props["prealloc-context"] = tc
    objects.append({"qom-type": qom, "id": alias, **props})
    return objects, needed


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
