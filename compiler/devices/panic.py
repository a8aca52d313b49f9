"""<panic model='isa|pvpanic|hyperv'>: the guest's crash notifier (pvpanic on ISA or
PCI; hyperv is the hv-crash CPU flag, emitted with -cpu)."""

from __future__ import annotations

from ..record import frozen

from ..model import Device, OtherAddr
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


def _iobase(p: Panic) -> str | None:
    """The iobase of the ISA pvpanic's <address type='isa'> (decimal, see read_address)."""
    a = p.address
    if isinstance(a, OtherAddr) and a.type == "isa" and a.get("iobase"):
        return a.get("iobase")
    return None


def validate(p: Panic, dom, diag) -> None:
    if p.model not in ("isa", "pvpanic", "hyperv"):
        diag.error("unsupported-device", f"panic model '{p.model}' does not exist on x86", p.span)
        return
    iobase = _iobase(p) if p.model == "isa" else None
    # read_address has made the number decimal (or refused it); only the range is left
    if iobase is not None and not 0 <= int(iobase) <= 0xFFFF:
        diag.error("number-range", f"isa iobase {iobase!r} is outside 0-0xffff", p.span)


def emit(p: Panic, ctx: EmitCtx) -> list[str]:
    if p.model == "hyperv":
        return []  # a CPU flag (hv-crash), emitted with -cpu
    if p.model == "pvpanic":
        return device_arg("pvpanic-pci", {"id": p.alias, **pci_props(p, ctx)})
    assert p.model == "isa", p.model
    iobase = _iobase(p)
    return device_arg("pvpanic", {} if iobase is None else {"ioport": int(iobase)})


KIND = DeviceKind(tag="panic", cls=Panic, from_xml=from_xml, emit=emit, validate=validate,
                  wants_pci=lambda p, dom: p.model == "pvpanic",
                  pci_group=lambda d: PciGroup.IOMMU,
                  pci_connect=lambda p: PciConnect.PCI_INTEGRATED if p.model == "pvpanic"
                  else PciConnect.PCI,
                  argv_position=ArgvPosition.LATE,
                  # the Hyper-V crash MSRs are a CPU property, not a device
                  cpu_props=lambda p: ("hv-crash",) if p.model == "hyperv" else ())
