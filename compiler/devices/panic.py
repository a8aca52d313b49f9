"""<panic model='isa|pvpanic|hyperv'>: the guest's crash notifier (pvpanic on ISA or
PCI; hyperv is the hv-crash CPU flag, emitted with -cpu)."""

from __future__ import annotations

from attrs import frozen

from ..diagnostics import fail
from ..model import Device
from ..xmlread import Reader
from .base import ArgvPosition, DeviceKind, EmitCtx, PciConnect, PciGroup, device_arg, pci_props, \
    read_common


@frozen(kw_only=True)
class Panic(Device):
    tag = "panic"
    model: str = "isa"


def from_xml(r: Reader) -> Panic:
    return Panic(model=r.attr_choice("model", ("isa", "pseries", "hyperv", "s390", "pvpanic"),
                                     "isa"), **read_common(r))


def emit(p: Panic, ctx: EmitCtx) -> list[str]:
    if p.model == "hyperv":
        return []  # a CPU flag (hv-crash), emitted with -cpu
    if p.model == "pvpanic":
        return device_arg("pvpanic-pci", {"id": p.alias, **pci_props(p, ctx)})
    if p.model != "isa":
        raise fail("unsupported-device", f"panic model '{p.model}' does not exist on x86", p.span)
    props = {}
    a = p.address
    if a is not None and getattr(a, "type", None) == "isa" and a.get("iobase"):
        try:
            props["ioport"] = int(a.get("iobase"))
        except ValueError:
            raise fail("bad-number", f"isa iobase {a.get('iobase')!r} is not a hex number",
                       p.span) from None
        if not 0 <= props["ioport"] <= 0xFFFF:
            raise fail("number-range", f"isa iobase {a.get('iobase')!r} is outside 0-0xffff",
                       p.span)
    return device_arg("pvpanic", props)


KIND = DeviceKind(tag="panic", cls=Panic, from_xml=from_xml, emit=emit,
                   wants_pci=lambda p, dom: p.model == "pvpanic",
                   pci_group=lambda d: PciGroup.IOMMU,
                   pci_connect=lambda p: PciConnect.PCI_INTEGRATED if p.model == "pvpanic"
                   else PciConnect.PCI,
                   argv_position=ArgvPosition.LATE)
