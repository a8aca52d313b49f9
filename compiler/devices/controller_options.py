"""What a <controller> says beyond its type, index and model: the QEMU device a PCI
controller is (<model name=...>), a pci-bridge's chassisNr, an expander bus's bus
number and NUMA node, and virtio-scsi's queue knobs (libvirt 9.0's
qemuBuildControllerPCIDevProps and qemuBuildControllerSCSIDevProps)."""

from __future__ import annotations

from ..record import evolve, frozen

from ..xmlread import Reader

# PCI controller model -> the QEMU devices its <model name=...> may be (the first is
# the default; libvirt's virDomainControllerPCIModelName per model)
PCI_MODEL_NAMES = {
    "pci-bridge": ("pci-bridge",),
    "dmi-to-pci-bridge": ("i82801b11-bridge",),
    "pcie-root-port": ("pcie-root-port", "ioh3420"),
    "pcie-switch-upstream-port": ("x3130-upstream",),
    "pcie-switch-downstream-port": ("xio3130-downstream",),
    "pci-expander-bus": ("pxb",),
    "pcie-expander-bus": ("pxb-pcie",),
    "pcie-to-pci-bridge": ("pcie-pci-bridge",),
}
EXPANDERS = ("pci-expander-bus", "pcie-expander-bus")
SCSI_VIRTIO = (None, "virtio-scsi", "virtio-transitional", "virtio-non-transitional")


@frozen
class ControllerOptions:
    model_name: str | None = None  # <model name=...>
    numa_node: int | None = None  # expander bus: <target><node>N</node></target>
    cmd_per_lun: int | None = None  # virtio-scsi <driver>
    max_sectors: int | None = None
    ioeventfd: bool | None = None


def read_controller_options(r: Reader, ctype: str, model: str | None) -> ControllerOptions:
    m = r.child("model")
    target = r.child("target")
    node = target.child("node") if target is not None and ctype == "pci" else None
    drv = r.child("driver") if ctype == "scsi" and model in SCSI_VIRTIO else None
    return ControllerOptions(
        model_name=m.require("name") if m is not None and ctype == "pci" else None,
        numa_node=node.text_int(hi=255) if node is not None else None,
        cmd_per_lun=drv.attr_int("cmd_per_lun", lo=1, hi=2**32 - 1) if drv else None,
        max_sectors=drv.attr_int("max_sectors", lo=1, hi=2**32 - 1) if drv else None,
        ioeventfd=drv.attr_bool("ioeventfd") if drv else None,
    )


def read_chassis(target: Reader | None, model: str | None) -> int | None:
    """A pci-bridge's chassis number is its target's chassisNr; the root and downstream
    ports' is chassis (libvirt reads each for its models only)."""
    if target is None:
        return None
    if model == "pci-bridge":
        return target.attr_int("chassisNr", lo=1, hi=255)
    return target.attr_int("chassis", hi=255)


def check_controller_options(c, dom, diag) -> None:
    o: ControllerOptions = c.options
    names = PCI_MODEL_NAMES.get(c.model or "")
    if o.model_name is not None and (names is None or o.model_name not in names):
        diag.error("unsupported-controller", f"{c.describe()}: <model name='{o.model_name}'> "
                   f"is not a '{c.model}' (expected: {', '.join(names or ('none',))})", c.span)
    if o.numa_node is not None:
        cells = {cell.id for cell in dom.cpu.numa} if dom.cpu else set()
        if c.model not in EXPANDERS:
            diag.error("unsupported-controller", f"{c.describe()}: only expander buses have a "
                       "NUMA <node>", c.span)
        elif o.numa_node not in cells:
            diag.error("unsupported-controller", f"{c.describe()}: NUMA node {o.numa_node} is "
                       "not a guest NUMA cell (<cpu><numa>)", c.span)


def number_expander_buses(devices: tuple) -> tuple:
    """Expander buses without busNr get one below the lowest bus number in use, two
    apart (one for the expander, one for the bridge inside it): libvirt's
    qemuDomainAddressFindNewBusNr.  The numbers run out below 3."""
    if not any(d.kind_tag == "controller" and d.type == "pci" and d.model in EXPANDERS
               and d.busnr is None for d in devices):
        return tuple(devices)  # the usual case (it is asked three times per compile)
    pci = [d for d in devices if d.kind_tag == "controller" and d.type == "pci"]
    taken = [d.busnr for d in pci if d.busnr is not None]
    out = []
    for d in devices:
        if d.kind_tag == "controller" and d.type == "pci" and d.model in EXPANDERS \
                and d.busnr is None:
            lowest = min(taken, default=256)
            if lowest > 2:
                d = evolve(d, busnr=lowest - 2)
                taken.append(lowest - 2)
        out.append(d)
    return tuple(out)


def check_bus_numbers(c, diag) -> None:
    if c.model in EXPANDERS and c.busnr is None:
        diag.error("pci-bus-number", f"{c.describe()}: no bus number is free below the lowest "
                   "one in use; give <target busNr=.../>", c.span)


def pci_props(c) -> dict:
    """The PCI controller's own properties, in libvirt's order (before id)."""
    if c.model in EXPANDERS:
        return {"bus_nr": c.busnr}
    return {}


def pci_tail_props(c) -> dict:
    """... and after its address."""
    return {"numa_node": c.options.numa_node} if c.model in EXPANDERS else {}


def scsi_props(o: ControllerOptions) -> dict:
    return {"cmd_per_lun": o.cmd_per_lun, "max_sectors": o.max_sectors,
            "ioeventfd": o.ioeventfd}


def pci_driver(c, default: str) -> str:
    return c.options.model_name or default
