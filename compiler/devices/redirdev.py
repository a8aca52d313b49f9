"""<redirdev bus='usb'>: usb-redir fed by a character device (charredirN), on a USB port."""

from __future__ import annotations

from ..record import frozen

from ..model import Device
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, UsbOrder, device_arg, read_common, \
    usb_props
from .chardev import CharSource, chardev_value, check_char_source, read_char_source


@frozen(kw_only=True)
class Redirdev(Device):
    tag = "redirdev"

    bus: str = "usb"
    source: CharSource

    def describe(self) -> str:
        return f"redirdev ({self.source.type})"


def from_xml(r: Reader) -> Redirdev:
    return Redirdev(bus=r.attr_choice("bus", ("usb",), "usb"), source=read_char_source(r),
                    **read_common(r))


def validate(d: Redirdev, dom, diag) -> None:
    if d.source.type in ("spiceport", "qemu-vdagent"):
        diag.error("unsupported-device", f"redirdev type '{d.source.type}' cannot carry USB "
                   "redirection", d.span)
    else:
        check_char_source(d.source, d.span, dom, diag)


def emit(d: Redirdev, ctx: EmitCtx) -> list[str]:
    cid = f"char{d.alias}"
    if d.source.type == "spicevmc":
        chardev = f"spicevmc,id={cid},name=usbredir"
    else:
        chardev = chardev_value(cid, d.source, ctx, d.span)
    props = {"chardev": cid, "id": d.alias, "bootindex": d.boot_order, **usb_props(d, ctx)}
    return ["-chardev", chardev] + device_arg("usb-redir", props)


KIND = DeviceKind(tag="redirdev", cls=Redirdev, from_xml=from_xml, emit=emit, validate=validate,
                  alias=lambda d, n, dom: f"redir{n}", wants_usb=lambda d, dom: True,
                  usb_order=UsbOrder.REDIRDEV,
                  pci_group=lambda d: PciGroup.NONE, pci_connect=lambda d: PciConnect.NONE)
