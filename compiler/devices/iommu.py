"""<iommu model='intel|virtio'>: intel-iommu (q35 chipset device) or virtio-iommu (PCI).

libvirt 9.0 checks (qemuValidateDomainDeviceDefIOMMU): both need a Q35 machine;
virtio-iommu needs ACPI and sits on the root bus.  intremap='on' needs the split
irqchip, so the machine gets kernel_irqchip=split.
"""

from __future__ import annotations

from ..record import frozen

from ..model import Device, MachineFamily, PciAddr
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, device_arg, pci_props, read_common

ONOFF = {True: "on", False: "off"}


@frozen(kw_only=True)
class Iommu(Device):
    tag = "iommu"

    model: str
    intremap: bool | None = None
    caching_mode: bool | None = None
    eim: bool | None = None
    iotlb: bool | None = None
    aw_bits: int | None = None

    def describe(self) -> str:
        return f"IOMMU ({self.model})"


def from_xml(r: Reader) -> Iommu:
    model = r.attr_choice("model", ("intel", "virtio", "smmuv3"))
    if model is None:
        raise r.error("missing-attribute", "<iommu> needs the attribute 'model' (intel or virtio)")
    d = r.child("driver")
    get = (lambda name: d.attr_bool(name)) if d is not None else (lambda name: None)
    common = read_common(r)
    a = common["address"]
    if model == "virtio" and a is not None and not isinstance(a, PciAddr):
        # checked here: the PCI pass would replace the address with one of its own
        raise r.error("address-type", "IOMMU device 'virtio' needs a PCI address, not "
                      f"type '{a.type}'")
    return Iommu(model=model, intremap=get("intremap"), caching_mode=get("caching_mode"),
                 eim=get("eim"), iotlb=get("iotlb"),
                 aw_bits=d.attr_int("aw_bits", lo=1, hi=64) if d is not None else None,
                 **common)


def validate(i: Iommu, dom, diag) -> None:
    if i.model == "smmuv3":
        diag.error("unsupported-device", "IOMMU model 'smmuv3' exists only on ARM", i.span)
        return
    if dom.os.family is not MachineFamily.Q35:
        diag.error("iommu-machine", f"IOMMU device '{i.model}' needs a Q35 machine", i.span)
    if i.model == "virtio":
        if not dom.features.acpi:
            diag.error("iommu-acpi", "IOMMU device 'virtio' needs ACPI (<features><acpi/>)",
                       i.span)
        a = i.address
        if isinstance(a, PciAddr) and a.bus != 0:
            diag.error("address-type", f"IOMMU device 'virtio' at {a} must be an integrated "
                       "device (bus 0)", i.span)


def emit(i: Iommu, ctx: EmitCtx) -> list[str]:
    if i.model == "intel":
        return device_arg("intel-iommu", {
            "id": i.alias,
            "intremap": None if i.intremap is None else ONOFF[i.intremap],
            "caching-mode": i.caching_mode or None,
            "eim": None if i.eim is None else ONOFF[i.eim],
            "device-iotlb": i.iotlb or None,
            "aw-bits": i.aw_bits})
    assert i.model == "virtio", i.model
    return device_arg("virtio-iommu", {"id": i.alias, **pci_props(i, ctx)})


def machine_opts(i: Iommu) -> tuple[str, ...]:
    return ("kernel_irqchip=split",) if i.model == "intel" and i.intremap else ()


KIND = DeviceKind(tag="iommu", cls=Iommu, from_xml=from_xml, emit=emit, validate=validate,
                  wants_pci=lambda i, dom: i.model == "virtio",
                  pci_group=lambda d: PciGroup.IOMMU, alias=lambda i, n, dom: f"iommu{n}",
                  machine_opts=machine_opts, pci_connect=lambda i: PciConnect.PCIE_INTEGRATED)
