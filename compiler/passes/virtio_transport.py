"""check_virtio_transport: iommu='on' needs a modern-only virtio device.

A generic virtio PCI device of a legacy-capable type (net, block, console, rng, balloon,
scsi, 9p: the kind's ``virtio_legacy``) on a conventional PCI bus (the i440fx root bus,
a pci-bridge, a pcie-to-pci-bridge) is transitional; QEMU 7.2 refuses
VIRTIO_F_IOMMU_PLATFORM there ("supported by neither legacy nor transitional device")
and would not start.  Devices of model virtio-non-transitional, devices on PCI Express
buses, and the virtio types QEMU makes modern-only on every bus (GPU, input, vsock,
virtio-fs...) take it."""

from __future__ import annotations

from ..devices import kind_of
from ..devices.controller import Controller
from ..model import Domain, PciAddr

CONVENTIONAL_BUSES = ("pci-root", "pci-bridge", "pcie-to-pci-bridge", "pci-expander-bus")


def check_virtio_transport(dom: Domain, env) -> Domain:
    bus_model = {c.index: c.model for c in dom.devices
                 if isinstance(c, Controller) and c.type == "pci"}
    for d in dom.devices:
        if not dict(d.virtio_options).get("iommu_platform") or not kind_of(d).virtio_legacy(d):
            continue
        a = d.address
        model = getattr(d, "model", None)
        if model == "virtio-non-transitional" or not isinstance(a, PciAddr):
            continue
        if model == "virtio-transitional" or bus_model.get(a.bus) in CONVENTIONAL_BUSES:
            env.diag.error("virtio-iommu-transitional", f"{d.describe()}: iommu='on' needs a "
                           "modern-only virtio device, but on a conventional PCI bus this one "
                           "is transitional; use model='virtio-non-transitional' or a PCI "
                           "Express slot (q35)", d.span)
    return dom
