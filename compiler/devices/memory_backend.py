"""Memory backend objects (``-object memory-backend-*``): one rule for the guest's
NUMA cells, the ``pc.ram`` backend of a guest without NUMA, and the backends of
``<memory>`` devices (libvirt 9.0's qemuBuildMemoryBackendProps, which serves all
three).

The choice of backend, checked against libvirt 9.0:

* an explicit file (an nvdimm's ``<source><path>``) -> memory-backend-file on it,
  preallocated unless the file is real persistent memory (``<pmem/>``); a
  virtio-pmem file is used as it is (no preallocation or discard of its own);
* a memfd source -> memory-backend-memfd, with ``hugetlb`` when huge pages back it;
* huge pages -> memory-backend-file under the hugetlbfs mount, preallocated;
* a file source or any memory access mode (shared or private) ->
  memory-backend-file under the memory backing directory;
* else memory-backend-ram.

``discard-data`` is given to file backends only; a discard setting alone does not
call for one.  The host binding (``host-nodes`` + ``policy``) comes from an explicit
nodemask, else the cell's ``<memnode>``, else the guest-wide ``<numatune><memory>``,
and never from restrictive mode (cgroups only).  Preallocated memory bound to host
nodes gets a ``thread-context`` object so the preallocation threads run there.
"""

from __future__ import annotations

from ..record import frozen

from ..model import Domain, NumaCell
from ..placement.cpuset import CpuSet
from ..placement.tuning import MemoryAccess, MemorySource, Tuning, cell_policy, memory_policy

DEFAULT_HUGEPAGE_KIB = 2048  # x86_64
SYSTEM_PAGE_KIB = 4
# hugetlbfs mount points by page size; host-independent so a compile is reproducible
HUGEPAGE_DIRS = {2048: "/dev/hugepages", 1048576: "/dev/hugepages1G"}
MEMORY_BACKING_DIR = "/var/lib/domc/ram"
# the page sizes an x86_64 MMU has: no hugetlbfs of any other size can exist
X86_PAGE_KIB = (SYSTEM_PAGE_KIB, DEFAULT_HUGEPAGE_KIB, 1048576)


def page_size_error(kib: int) -> str | None:
    """Why no host can back guest memory with pages of ``kib`` KiB (None: one can)."""
    if kib in X86_PAGE_KIB:
        return None
    return (f"x86_64 has no {kib} KiB pages (its page sizes are 4 KiB and the huge pages "
            "of 2 MiB and 1 GiB), so no hugetlbfs mount can back them")


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


@frozen(kw_only=True)
class BackendRequest:
    """One backend to build.  ``node`` selects the huge page size and the host
    binding (None: the guest-wide ones); ``cell`` is the guest cell whose memAccess
    and discard apply when the request sets none itself.  The other fields are what
    a ``<memory>`` device says for itself."""

    alias: str  # the object id
    size_kib: int
    file_name: str | None = None  # its file under the backing directory (default: alias)
    node: int | None = None
    cell: NumaCell | None = None
    pagesize_kib: int | None = None
    access: MemoryAccess | None = None
    discard: bool | None = None
    path: str | None = None
    pmem: bool = False
    nodemask: CpuSet | None = None
    # virtio-mem: the device preallocates as blocks are plugged; the backend reserves none
    device_prealloc: bool = False
    # virtio-pmem: ``path`` is used as it is, neither preallocated for its own sake nor
    # given the guest-wide discard setting
    plain_file: bool = False
    # the guest's RAM without NUMA (``pc.ram``, the machine's memory-backend)
    system_memory: bool = False


@frozen
class Backend:
    """The ``-object`` dicts (a thread-context, if any, first); whether the settings
    need a backend object at all (libvirt's ``rc == 1``: a cell may otherwise use
    ``-numa node,mem=``); whether the device, not the backend, preallocates."""

    objects: tuple[dict, ...]
    needed: bool
    device_prealloc: bool = False


def _access(t: Tuning, req: BackendRequest) -> MemoryAccess | None:
    if req.access is not None:
        return req.access
    if req.cell is not None and req.cell.memaccess:
        return MemoryAccess(req.cell.memaccess)
    return t.backing.access


def _discard(t: Tuning, req: BackendRequest) -> bool | None:
    if req.discard is not None:
        return req.discard
    if req.cell is not None and req.cell.discard is not None:
        return req.cell.discard
    return t.backing.discard or None


def _binding(t: Tuning, req: BackendRequest) -> tuple[list[int], str] | None:
    """(host nodes, QEMU policy), or None for no binding."""
    if req.nodemask is not None:
        return req.nodemask.to_list(), "bind"
    pol = cell_policy(t, req.node) if req.node is not None else memory_policy(t)
    if pol is None or pol.mode.qemu_policy is None:
        return None
    return pol.nodes.to_list(), pol.mode.qemu_policy


def build_backend(dom: Domain, req: BackendRequest) -> Backend:
    t = dom.tuning
    huge = req.pagesize_kib if req.pagesize_kib is not None else hugepage_kib(t, req.node)
    if huge == SYSTEM_PAGE_KIB:
        huge = None
    access = _access(t, req)
    source = t.backing.source
    prealloc = t.backing.prealloc
    needed = False
    props: dict = {}
    if req.path is not None:
        qom = "memory-backend-file"
        props["mem-path"] = req.path
        prealloc = prealloc or not (req.pmem or req.plain_file)
        needed = True
    elif source is MemorySource.MEMFD:
        qom = "memory-backend-memfd"
        needed = True
        if huge is not None:
            props.update({"hugetlb": True, "hugetlbsize": huge * 1024})
            prealloc = True
    elif huge is not None:
        qom = "memory-backend-file"
        props["mem-path"] = f"{HUGEPAGE_DIRS.get(huge, f'/dev/hugepages{huge}K')}/libvirt/qemu/{dom.name}"
        prealloc = True
        needed = True
    elif source is MemorySource.FILE or access is not None:
        qom = "memory-backend-file"
        props["mem-path"] = f"{MEMORY_BACKING_DIR}/{dom.name}/{req.file_name or req.alias}"
        needed = True
    else:
        qom = "memory-backend-ram"
    if qom == "memory-backend-file" and not req.plain_file:
        discard = _discard(t, req)
        if discard is not None:
            props["discard-data"] = discard
    if access is not None and qom != "memory-backend-ram":
        props["share"] = access is MemoryAccess.SHARED
    if req.system_memory and qom != "memory-backend-ram":
        # the RAM block keeps the id 'pc.ram' (not '/objects/pc.ram'), as in guests
        # started without a backend object: a migration stream names RAM blocks by it
        props["x-use-canonical-path-for-ramblock-id"] = False
    if req.pmem:
        props["pmem"] = True
    device_prealloc = False
    if req.device_prealloc:
        props["reserve"] = False
        device_prealloc, prealloc = prealloc, False
    elif prealloc:
        # <allocation mode='immediate'> alone does not call for a backend: without
        # one the core preallocates globally with -mem-prealloc
        props["prealloc"] = True
        if t.backing.prealloc_threads:
            props["prealloc-threads"] = t.backing.prealloc_threads
    props["size"] = req.size_kib * 1024
    if req.node is not None and t.memnode(req.node) is not None:
        needed = True
    objects = []
    binding = _binding(t, req)
    if binding is not None:
        props["host-nodes"], props["policy"] = binding
        if prealloc:
            tc = f"tc-{req.alias}"
            objects.append({"qom-type": "thread-context", "id": tc, "node-affinity": binding[0]})
            props["prealloc-context"] = tc
    objects.append({"qom-type": qom, "id": req.alias, **props})
    return Backend(tuple(objects), needed, device_prealloc)
