"""<hub type='usb'>: a USB hub (usb-hub, 8 ports) on a USB port; the devices behind it
have ports 'P.1' .. 'P.8'.  domc adds hubs as libvirt does when the controllers run
out of ports (passes/usb.py)."""

from __future__ import annotations

from ..record import frozen

from ..model import Device
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, UsbOrder, XNode, device_arg, \
    read_common, usb_props, xnode

HUB_PORTS = 8


@frozen(kw_only=True)
class Hub(Device):
    tag = "hub"

    type: str = "usb"

    def describe(self) -> str:
        return "USB hub"


def from_xml(r: Reader) -> Hub:
    return Hub(type=r.attr_choice("type", ("usb",), "usb"), **read_common(r))


def emit(h: Hub, ctx: EmitCtx) -> list[str]:
    return device_arg("usb-hub", {"id": h.alias, **usb_props(h, ctx)})


def to_xml(h: Hub) -> XNode:
    a = h.address
    return xnode("hub", xnode("address", type="usb", bus=a.get("bus"), port=a.get("port")),
                 type=h.type)


KIND = DeviceKind(tag="hub", cls=Hub, from_xml=from_xml, emit=emit, to_xml=to_xml,
                  alias=lambda h, n, dom: f"hub{n}", wants_usb=lambda h, dom: True,
                  usb_order=UsbOrder.HUB, from_lock=lambda locked, span: Hub(span=span),
                  pci_group=lambda d: PciGroup.NONE, pci_connect=lambda d: PciConnect.NONE)
