"""<vsock model='virtio'>: vhost-vsock-pci with a guest CID.

libvirt opens /dev/vhost-vsock and passes the fd (vhostfd); without it QEMU opens the
device itself.  With <cid auto='yes'/> and no address libvirt asks the host kernel for
a free CID, which a compile cannot do: domc asks for the address instead.
"""

from __future__ import annotations

from ..record import frozen

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
    auto = c.attr_bool("auto", False) if c is not None else True
    return Vsock(model=r.attr_choice("model", tuple(DRIVERS), "virtio"), cid=cid, auto=auto,
                 **read_common(r))


def validate(v: Vsock, dom, diag) -> None:
    if v.cid is None:
        diag.error("vsock-cid", "vsock with an automatic CID: libvirt asks the host kernel for a "
                   "free one, a compile cannot; give <cid auto='no' address='N'/> (N >= 3)",
                   v.span)


def emit(v: Vsock, ctx: EmitCtx) -> list[str]:
    assert v.cid is not None
    return device_arg(DRIVERS[v.model], {"id": v.alias, "guest-cid": v.cid, **pci_props(v, ctx)})


KIND = DeviceKind(tag="vsock", cls=Vsock, from_xml=from_xml, emit=emit, validate=validate,
                  wants_pci=lambda v, dom: True, pci_group=lambda d: PciGroup.VSOCK,
                  alias=lambda v, n, dom: f"vsock{n}", pci_connect=lambda v: virtio_connect(v.model),
                  argv_position=ArgvPosition.LATE)
