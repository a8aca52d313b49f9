"""assign_usb_ports: USB devices without an address get the next free port of the
first USB controller that has one (ports count from 1), as libvirt does."""

from __future__ import annotations

from attrs import evolve

from ..devices import kind_of
from ..devices.controller import Controller
from ..model import Domain, OtherAddr

# ports per USB controller model (libvirt's defaults)
PORTS = {
    "piix3-uhci": 2, "piix4-uhci": 2, "vt82c686b-uhci": 2, "pci-ohci": 3,
    "ehci": 6, "ich9-ehci1": 6, "ich9-uhci1": 0, "ich9-uhci2": 0, "ich9-uhci3": 0,
    "nec-xhci": 4, "qemu-xhci": 15,
}


def _used(dom: Domain) -> set[tuple[int, str]]:
    used = set()
    for d in dom.devices:
        a = d.address
        if isinstance(a, OtherAddr) and a.type == "usb" and a.get("port"):
            used.add((int(a.get("bus", "0")), a.get("port")))
    return used


def assign_usb_ports(dom: Domain, env) -> Domain:
    controllers = [c for c in dom.devices if isinstance(c, Controller) and c.type == "usb"
                   and c.model != "none"]
    free = []
    used = _used(dom)
    for c in sorted(controllers, key=lambda c: c.index):
        n = c.ports if c.ports is not None else PORTS.get(c.model or "", 0)
        free += [(c.index, str(p)) for p in range(1, n + 1) if (c.index, str(p)) not in used]
    devices = list(dom.devices)
    for i, d in enumerate(devices):
        if not kind_of(d).wants_usb(d, dom) or d.address is not None:
            continue
        if not controllers:
            env.diag.error("usb-controller", f"{d.describe()} is a USB device but the domain "
                           "has no USB controller (model='none')", d.span)
            continue
        if not free:
            env.diag.error("usb-ports-exhausted", f"no free USB port left for {d.describe()} "
                           "(add a USB hub or a controller with more ports)", d.span)
            continue
        bus, port = free.pop(0)
        devices[i] = evolve(d, address=OtherAddr("usb", (("bus", str(bus)), ("port", port))))
    return evolve(dom, devices=tuple(devices))
