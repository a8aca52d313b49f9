"""<memory model='dimm|nvdimm|virtio-mem'>: hot-pluggable guest memory.

libvirt 9.0 + QEMU 7.2 (qemuBuildMemoryDeviceCommandLine): each device is a memory
backend object ``mem<alias>`` plus a device using it:

  dimm        -device pc-dimm   {"node","memdev","id","slot","addr"}   alias dimmN
  nvdimm      -device nvdimm    {"node","label-size","uuid","unarmed","memdev","id","slot"}
              and ``nvdimm=on`` on -machine                        alias nvdimmN
  virtio-mem  -device virtio-mem-pci {"node","block-size","requested-size","memdev",
              "prealloc","id",bus,addr}; the backend gets reserve=false  alias virtiomemN

The guest needs <maxMemory slots=...> and at least one NUMA cell (libvirt refuses
memory hotplug without them on x86).  The backend is built by the rule NUMA cells
use too (compiler/devices/memory_backend.py).
"""

from __future__ import annotations

from ..record import frozen

from ..model import Device, OtherAddr
from ..xmlread import Reader
from ..placement.cpuset import parse_cpuset
from ..placement.tuning import MemoryAccess
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, device_arg, pci_props, qjson, read_common
from .memory_backend import BackendRequest, build_backend, page_size_error

MODELS = ("dimm", "nvdimm", "virtio-mem")
UNSUPPORTED = ("sgx-epc",)  # virtio-pmem is a kind of its own: virtio_pmem.py
DRIVERS = {"dimm": "pc-dimm", "nvdimm": "nvdimm", "virtio-mem": "virtio-mem-pci"}
ALIAS_PREFIX = {"dimm": "dimm", "nvdimm": "nvdimm", "virtio-mem": "virtiomem"}
# x86: memory device sizes are rounded up to 2 MiB (qemuDomainMemoryDeviceAlignSize)
DIMM_ALIGN_KIB = 2048


@frozen(kw_only=True)
class MemoryDevice(Device):
    tag = "memory"

    model: str
    access: str | None = None
    discard: bool | None = None
    size_kib: int
    node: int | None = None
    source_path: str | None = None
    pagesize_kib: int | None = None
    nodemask: str | None = None
    pmem: bool = False
    label_kib: int | None = None
    readonly: bool = False
    block_kib: int | None = None
    requested_kib: int | None = None
    uuid: str | None = None
    # the memory slot of a dimm/nvdimm (the user's or the first free one), set by
    # passes/memory_slots.py; written nowhere but the argv (slot=) and the alias
    slot: int | None = None

    def describe(self) -> str:
        return f"memory device ({self.model})"


def _size(r: Reader | None, tag: str) -> int | None:
    c = r.child(tag) if r is not None else None
    return c.memory_kib() if c is not None else None


def from_xml(r: Reader) -> MemoryDevice:
    model = r.attr("model")
    if model in UNSUPPORTED:
        raise r.error("unsupported-device", f"memory model '{model}' is not supported by domc "
                      "yet")
    model = r.attr_choice("model", MODELS)
    if model is None:
        raise r.error("missing-attribute", "<memory> needs the attribute 'model' (one of: "
                      f"{', '.join(MODELS)})")
    src = r.child("source")
    tgt = r.child("target")
    size = _size(tgt, "size")
    if size is None:
        raise r.error("memory-size", "a memory device needs <target><size>...</size></target>")
    label = tgt.child("label")
    dev = MemoryDevice(
        model=model,
        access=r.attr_choice("access", ("shared", "private")),
        discard=r.attr_bool("discard"),
        size_kib=-(-size // DIMM_ALIGN_KIB) * DIMM_ALIGN_KIB,
        node=tgt.text_int("node", hi=255),
        source_path=src.text("path") if src is not None else None,
        pagesize_kib=_size(src, "pagesize"),
        nodemask=src.text("nodemask") if src is not None else None,
        pmem=src is not None and src.has("pmem"),
        label_kib=_size(label, "size"),
        readonly=tgt.has("readonly"),
        block_kib=_size(tgt, "block"),
        requested_kib=_size(tgt, "requested"),
        uuid=r.text("uuid"),
        **read_common(r))
    if model == "nvdimm" and dev.source_path is None:
        raise r.error("memory-source", "an nvdimm needs <source><path>FILE</path></source>")
    if model == "virtio-mem" and dev.block_kib is None:
        raise r.error("memory-size", "a virtio-mem device needs <target><block>")
    return dev


def wants_pci(m: MemoryDevice, dom) -> bool:
    return m.model == "virtio-mem"


def backend(m: MemoryDevice, ctx: EmitCtx) -> tuple[list[dict], bool]:
    """The -object dicts for the device's backend (thread-context first) and whether
    the device itself preallocates (virtio-mem)."""
    dom = ctx.dom
    cells = {c.id: c for c in (dom.cpu.numa if dom.cpu else ())}
    nodemask = parse_cpuset(m.nodemask, m.span, what="nodemask") if m.nodemask else None
    b = build_backend(dom, BackendRequest(
        alias=f"mem{m.alias}", file_name=m.alias, size_kib=m.size_kib, node=m.node,
        cell=cells.get(m.node if m.node is not None else 0), pagesize_kib=m.pagesize_kib,
        access=MemoryAccess(m.access) if m.access else None, discard=m.discard,
        path=m.source_path, pmem=m.pmem, nodemask=nodemask,
        device_prealloc=m.model == "virtio-mem"))
    return list(b.objects), b.device_prealloc


def validate(m: MemoryDevice, dom, diag) -> None:
    """What memory hotplug needs from the domain, and the address a DIMM takes.
    The slot itself is assigned by passes/memory_slots.py."""
    if not dom.memory.slots or dom.memory.max_memory_kib is None:
        diag.error("memory-hotplug", f"{m.describe()} needs <maxMemory slots=...> in the "
                   "domain", m.span)
    cells = dom.cpu.numa if dom.cpu else ()
    if not cells:
        diag.error("memory-hotplug", f"{m.describe()}: memory hotplug needs at least one guest "
                   "NUMA cell (<cpu><numa><cell .../></numa></cpu>)", m.span)
    elif m.node is not None and m.node >= len(cells):
        diag.error("memory-hotplug", f"{m.describe()}: target node {m.node} does not exist "
                   f"(the guest has {len(cells)} NUMA cells)", m.span)
    problem = None if m.pagesize_kib is None else page_size_error(m.pagesize_kib)
    if problem is not None:
        diag.error("hugepage-size", f"{m.describe()}: <pagesize> {m.pagesize_kib} KiB: "
                   f"{problem}", m.span)
    a = m.address
    if a is not None and not (isinstance(a, OtherAddr) and a.type == "dimm") \
            and m.model != "virtio-mem":
        diag.error("address-type", f"{m.describe()} takes <address type='dimm' slot=.../>",
                   m.span)


def takes_slot(m: MemoryDevice) -> bool:
    """dimm and nvdimm sit in a memory slot; virtio-mem is a PCI device."""
    return m.model != "virtio-mem"


def lock_key(m: MemoryDevice) -> str | None:
    """A memory device is its slot when the XML names one (<address type='dimm'
    slot=N/>), else its uuid (nvdimm, virtio-mem) when it has one."""
    a = m.address
    if isinstance(a, OtherAddr) and a.type == "dimm" and a.get("slot") is not None:
        return f"slot{a.get('slot')}"
    return m.uuid


def alias(m: MemoryDevice, nth: int, dom) -> str:
    """dimmN/nvdimmN take the slot number; virtiomemN counts its model (qemuAssignDeviceMemoryAlias)."""
    if takes_slot(m):
        assert m.slot is not None, "assign_memory_slots runs before assign_aliases"
        return f"{ALIAS_PREFIX[m.model]}{m.slot}"
    same = [d for d in dom.devices if isinstance(d, MemoryDevice) and d.model == m.model]
    return f"{ALIAS_PREFIX[m.model]}{next(i for i, d in enumerate(same) if d.origin == m.origin)}"


def emit(m: MemoryDevice, ctx: EmitCtx) -> list[str]:
    objects, device_prealloc = backend(m, ctx)
    props: dict = {"node": m.node if m.node is not None else 0}
    if m.model == "nvdimm":
        props["label-size"] = m.label_kib * 1024 if m.label_kib else None
        props["uuid"] = m.uuid
        props["unarmed"] = True if m.readonly else None
    if m.model == "virtio-mem":
        props["block-size"] = m.block_kib * 1024
        props["requested-size"] = (m.requested_kib or 0) * 1024
    props["memdev"] = f"mem{m.alias}"
    props["prealloc"] = True if device_prealloc else None
    props["id"] = m.alias
    if m.model == "virtio-mem":
        props.update(pci_props(m, ctx))
    else:
        assert m.slot is not None
        props["slot"] = m.slot
        base = m.address.get("base") if isinstance(m.address, OtherAddr) else None
        props["addr"] = int(base, 0) if base else None
    argv: list[str] = []
    for obj in objects:
        argv += ["-object", qjson(obj)]
    return argv + device_arg(DRIVERS[m.model], props)


def machine_opts(m: MemoryDevice) -> tuple[str, ...]:
    return ("nvdimm=on",) if m.model == "nvdimm" else ()


KIND = DeviceKind(tag="memory", cls=MemoryDevice, from_xml=from_xml, emit=emit, validate=validate,
                  wants_pci=wants_pci, pci_group=lambda d: PciGroup.IOMMU,
                  alias=alias, machine_opts=machine_opts, pci_connect=lambda m: PciConnect.PCIE,
                  lock_key=lock_key, lock_fields=("size_kib", "slot"))
