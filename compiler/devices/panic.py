"""<panic model='isa|hyperv'>: the guest's crash notifier (the ISA pvpanic device;
hyperv is the hv-crash CPU flag, emitted with -cpu).  libvirt 9.0 knows no PCI pvpanic
model ("unknown panic model 'pvpanic'") and takes one panic of each model."""

from __future__ import annotations

from ..record import frozen

from ..model import Device, OtherAddr
from ..xmlread import Reader
from .base import ArgvPosition, DeviceKind, EmitCtx, PciConnect, PciGroup, device_arg, \
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
    if p.model == "pvpanic":
        diag.error("unsupported-device", "panic model 'pvpanic' (QEMU's pvpanic-pci) is not "
                   "one libvirt 9.0 knows; x86 has model='isa' and model='hyperv'", p.span)
        return
    if p.model not in ("isa", "hyperv"):
        diag.error("unsupported-device", f"panic model '{p.model}' does not exist on x86", p.span)
        return
    same = [d for d in dom.devices if isinstance(d, Panic) and d.model == p.model]
    if len(same) > 1 and same[1] is p:
        diag.error("panic-count", f"a second panic device of model '{p.model}' (the first is "
                   f"on line {same[0].span.line}); libvirt takes one of each model", p.span)
        return
    iobase = _iobase(p) if p.model == "isa" else None
    # read_address has made the number decimal (or refused it); only the range is left
    if iobase is not None and not 0 <= int(iobase) <= 0xFFFF:
        diag.error("number-range", f"isa iobase {iobase!r} is outside 0-0xffff", p.span)


def emit(p: Panic, ctx: EmitCtx) -> list[str]:
    if p.model == "hyperv":
        return []  # a CPU flag (hv-crash), emitted with -cpu
    assert p.model == "isa", "checked by validate"
    iobase = _iobase(p)
    return device_arg("pvpanic", {} if iobase is None else {"ioport": int(iobase)})


KIND = DeviceKind(tag="panic", cls=Panic, from_xml=from_xml, emit=emit, validate=validate,
                  pci_group=lambda d: PciGroup.NONE,
                  pci_connect=lambda p: PciConnect.NONE,
                  argv_position=ArgvPosition.LATE,
                  # the Hyper-V crash MSRs are a CPU property, not a device
                  cpu_props=lambda p: ("hv-crash",) if p.model == "hyperv" else ())
