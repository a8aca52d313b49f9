"""<vsock model='virtio'>: vhost-vsock-pci with a guest CID.

libvirt opens /dev/vhost-vsock and passes the fd (vhostfd); without it QEMU opens the
device itself.  With <cid auto='yes'/> (or no <cid>) libvirt takes the first CID from 3
the host kernel has not given out (virVsockAcquireGuestCid, whatever address the XML
names) when the guest starts; a compile cannot ask the kernel, so the argv carries 3
and the launchers choose the CID when they start the guest (:class:`AutoCid`), as they
choose the ports QEMU cannot (devices/graphics.py AutoPort).
"""

from __future__ import annotations

from ..record import frozen

from ..diagnostics import NOWHERE, Span
from ..model import Device
from ..xmlread import Reader
from .base import ArgvPosition, DeviceKind, EmitCtx, PciGroup, device_arg, pci_props, \
    read_common, virtio_connect

DRIVERS = {"virtio": "vhost-vsock-pci", "virtio-transitional": "vhost-vsock-pci-transitional",
           "virtio-non-transitional": "vhost-vsock-pci-non-transitional"}
MIN_CID = 3  # 0-2 are reserved (hypervisor, local, host)


@frozen(kw_only=True)
class Vsock(Device):
    tag = "vsock"

    model: str = "virtio"
    cid: int | None = None
    auto: bool = False

    def describe(self) -> str:
        return "vsock"


def from_xml(r: Reader) -> Vsock:
    c = r.child("cid")
    cid = c.attr_int("address", lo=MIN_CID, hi=2**32 - 2) if c is not None else None
    auto = c.attr_bool("auto") if c is not None else None
    if auto is None:  # libvirt: automatic unless an address is given
        auto = cid is None
    return Vsock(model=r.attr_choice("model", tuple(DRIVERS), "virtio"), cid=cid, auto=auto,
                 **read_common(r))


def validate(v: Vsock, dom, diag) -> None:
    socks = dom.devices_of(Vsock)
    if len(socks) > 1 and socks[1] is v:
        diag.error("vsock-count", f"a second <vsock> (the first is on line "
                   f"{socks[0].span.line}): libvirt gives a guest one vsock device", v.span)
    if v.cid is None and not v.auto:
        diag.error("vsock-cid", "<cid auto='no'> needs the address: <cid auto='no' "
                   "address='N'/> (N >= 3)", v.span)


@frozen
class AutoCid:
    """A guest CID the launcher chooses when the guest starts: the first from ``first``
    that the host kernel has not given to another guest (the launcher asks
    /dev/vhost-vsock, as libvirt does); in the -device whose id is ``device``,
    ``"guest-cid":placeholder`` becomes it."""

    device: str
    placeholder: int = MIN_CID
    first: int = MIN_CID
    where: Span = NOWHERE


def autocids(dom) -> tuple[AutoCid, ...]:
    return tuple(AutoCid(v.alias, where=v.span) for v in dom.devices_of(Vsock) if v.auto)


def emit(v: Vsock, ctx: EmitCtx) -> list[str]:
    cid = MIN_CID if v.auto else v.cid
    assert cid is not None, "checked by validate"
    return device_arg(DRIVERS[v.model], {"id": v.alias, "guest-cid": cid, **pci_props(v, ctx)})


KIND = DeviceKind(tag="vsock", cls=Vsock, from_xml=from_xml, emit=emit, validate=validate,
                  wants_pci=lambda v, dom: True, pci_group=lambda d: PciGroup.VSOCK,
                  alias=lambda v, n, dom: f"vsock{n}", pci_connect=lambda v: virtio_connect(v.model),
                  argv_position=ArgvPosition.LATE)
