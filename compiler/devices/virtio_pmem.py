"""<memory model='virtio-pmem'>: a host file shown to the guest as virtio persistent
memory (virtio-pmem-pci).  It is also the worked example of adding a device kind
(README, "Adding a device kind"): this module, one line in DEVICE_KINDS and
fixtures/domains/virtio-pmem.xml.

libvirt 9.0 + QEMU 7.2 (checked with the oracle):

  -object {"qom-type":"memory-backend-file","id":"memvirtiopmemN","mem-path":PATH,
           "share":true,"size":BYTES}
  -device {"driver":"virtio-pmem-pci","memdev":"memvirtiopmemN","id":"virtiopmemN",bus,addr}

* the file is always shared: access='private' is refused, and normalize writes
  access='shared' as libvirt does;
* the size is rounded up to 2 MiB, as for every x86 memory device;
* like every memory device it needs <maxMemory> and a guest NUMA cell; it has no
  target node of its own and takes no memory slot;
* its backend otherwise follows the common rule (guest-wide <numatune> binding,
  <allocation mode='immediate'>), see memory_backend.py;
* it is a PCI device, placed after every other kind (PciGroup.IOMMU), PCI Express
  on q35.
"""

from __future__ import annotations

from ..record import frozen

from ..model import Device, PciAddr
from ..placement.tuning import MemoryAccess
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, device_arg, pci_props, qjson, \
    read_common
from .memory import DIMM_ALIGN_KIB
from .memory_backend import BackendRequest, build_backend


@frozen(kw_only=True)
class VirtioPmem(Device):
    tag = "virtio-pmem"

    path: str
    size_kib: int
    access: str | None = None
    node: int | None = None  # refused: virtio-pmem belongs to no guest NUMA node

    def describe(self) -> str:
        return "memory device (virtio-pmem)"


def from_xml(r: Reader) -> VirtioPmem:
    r.attr("model")  # 'virtio-pmem': it chose this kind
    src = r.child("source")
    path = src.text("path") if src is not None else None
    if not path:
        raise r.error("memory-source", "a virtio-pmem device needs "
                      "<source><path>FILE</path></source>")
    tgt = r.child("target")
    size = tgt.child("size") if tgt is not None else None
    if size is None:
        raise r.error("memory-size", "a memory device needs <target><size>...</size></target>")
    return VirtioPmem(path=path, size_kib=-(-size.memory_kib() // DIMM_ALIGN_KIB) * DIMM_ALIGN_KIB,
                      access=r.attr_choice("access", ("shared", "private")),
                      node=tgt.text_int("node", hi=255), **read_common(r))


def validate(p: VirtioPmem, dom, diag) -> None:
    if dom.memory.max_memory_kib is None:
        diag.error("memory-hotplug", f"{p.describe()} needs <maxMemory> in the domain", p.span)
    if not (dom.cpu and dom.cpu.numa):
        diag.error("memory-hotplug", f"{p.describe()}: memory hotplug needs at least one guest "
                   "NUMA cell (<cpu><numa><cell .../></numa></cpu>)", p.span)
    if p.access == "private":
        diag.error("memory-access", f"{p.describe()} needs shared access: its file is the "
                   "guest's persistent memory", p.span)
    if p.node is not None:
        diag.error("memory-node", f"{p.describe()} belongs to no guest NUMA node; drop "
                   "<target><node>", p.span)
    if p.address is not None and not isinstance(p.address, PciAddr):
        diag.error("address-type", f"{p.describe()} takes a PCI address", p.span)


def emit(p: VirtioPmem, ctx: EmitCtx) -> list[str]:
    backend = build_backend(ctx.dom, BackendRequest(
        alias=f"mem{p.alias}", size_kib=p.size_kib, path=p.path,
        access=MemoryAccess.SHARED, plain_file=True))
    argv: list[str] = []
    for obj in backend.objects:
        argv += ["-object", qjson(obj)]
    return argv + device_arg("virtio-pmem-pci", {"memdev": f"mem{p.alias}", "id": p.alias,
                                                 **pci_props(p, ctx)})


KIND = DeviceKind(tag="virtio-pmem", element="memory", models=("virtio-pmem",), cls=VirtioPmem,
                  from_xml=from_xml, emit=emit, validate=validate,
                  wants_pci=lambda p, dom: True, pci_group=lambda p: PciGroup.IOMMU,
                  pci_connect=lambda p: PciConnect.PCIE,
                  alias=lambda p, nth, dom: f"virtiopmem{nth}",
                  filled_attrs=lambda p: (("access", "shared"),) if p.access is None else ())
