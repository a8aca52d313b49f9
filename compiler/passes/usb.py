"""assign_usb_ports: USB devices without an address get a free port, as libvirt 9.0
gives them.

Ports count from 1 on each controller; a hub on port P offers ports P.1 .. P.8.  When
the USB devices (all of them, hubs and devices with a port included) outnumber the
ports the controllers and hubs provide, libvirt adds hubs first
(ceil((devices - ports + 1) / 7) of them), and hubs are placed before the other devices.
Devices get ports kind by kind in libvirt's order (their kind's ``usb_order``), and a
port is searched level by level: the free ports of a controller (or hub) first, then
the ports behind its hubs, in port order.
"""

from __future__ import annotations

from ..record import evolve

from ..devices import kind_of
from ..devices.controller import Controller
from ..devices.hub import HUB_PORTS, Hub
from ..diagnostics import Span
from ..model import Domain, OtherAddr

# ports per USB controller model (libvirt's defaults)
PORTS = {
    "piix3-uhci": 2, "piix4-uhci": 2, "vt82c686b-uhci": 2, "pci-ohci": 3,
    "ehci": 6, "ich9-ehci1": 6, "ich9-uhci1": 0, "ich9-uhci2": 0, "ich9-uhci3": 0,
    "nec-xhci": 4, "qemu-xhci": 4,
}


class _Ports:
    """The port tree: controller index -> {port path: taken}, hubs opening new levels."""

    def __init__(self, controllers, taken: set[tuple[int, str]]):
        self.taken = set(taken)
        self.levels: dict[tuple[int, str], list[str]] = {}  # (bus, parent path) -> ports
        for c in controllers:
            # a USB2 set shares one bus: the master's ports, companions add none
            n = c.ports if c.ports is not None else PORTS.get(c.model or "", 0)
            if n >= len(self.levels.get((c.index, ""), ())):
                self.levels[(c.index, "")] = [str(p) for p in range(1, n + 1)]

    def add_hub(self, bus: int, port: str) -> None:
        self.levels[(bus, port)] = [f"{port}.{p}" for p in range(1, HUB_PORTS + 1)]

    def take(self) -> tuple[int, str] | None:
        for bus in sorted({b for b, parent in self.levels if parent == ""}):
            found = self._search(bus, "")
            if found is not None:
                self.taken.add((bus, found))
                return bus, found
        return None

    def _search(self, bus: int, parent: str) -> str | None:
        ports = self.levels.get((bus, parent), [])
        for p in ports:
            if (bus, p) not in self.taken:
                return p
        for p in ports:
            if (bus, p) in self.levels:
                found = self._search(bus, p)
                if found is not None:
                    return found
        return None


def provided_ports(controllers, devices) -> int:
    """The USB ports of the controllers (a companion adds none to its EHCI's) and of
    every USB hub (virDomainUSBAddressCountAllPorts)."""
    ports = sum(c.ports if c.ports is not None else PORTS.get(c.model or "", 0)
                for c in controllers)
    return ports + HUB_PORTS * sum(isinstance(d, Hub) for d in devices)


def _rank(d) -> int:
    """The device's place in libvirt's order of port assignment (devices.base.UsbOrder)."""
    order = kind_of(d).usb_order
    assert order is not None, f"{d.describe()} wants a USB port but its kind has no usb_order"
    return order.value


def _used(dom: Domain) -> set[tuple[int, str]]:
    used = set()
    for d in dom.devices:
        a = d.address
        if isinstance(a, OtherAddr) and a.type == "usb" and a.get("port"):
            used.add((int(a.get("bus", "0")), a.get("port")))
    return used


def assign_usb_ports(dom: Domain, env) -> Domain:
    controllers = sorted((c for c in dom.devices if isinstance(c, Controller) and c.type == "usb"
                          and c.model != "none"), key=lambda c: c.index)
    tree = _Ports(controllers, _used(dom))
    devices = list(dom.devices)
    for d in devices:  # hubs the user placed open their ports
        if isinstance(d, Hub) and isinstance(d.address, OtherAddr) and d.address.get("port"):
            tree.add_hub(int(d.address.get("bus", "0")), d.address.get("port"))
    usb = [i for i, d in enumerate(devices) if kind_of(d).wants_usb(d, dom)]
    needing = [i for i in usb if devices[i].address is None]
    # libvirt's count (qemuDomainUSBAddressAddHubs): every USB device, placed or not,
    # hubs included, against every port the controllers and the hubs have
    count, free = len(usb), provided_ports(controllers, devices)
    if controllers and count > free:
        hubs = -(-(count - free + 1) // (HUB_PORTS - 1))
        span = dom.span if dom.span is not None else Span(dom.file)
        if env.trace:
            env.trace.note("usb-hubs", None, "assign_usb_ports", hubs=hubs, needing=count,
                           free=free)
        for _ in range(hubs):
            devices.append(Hub(span=span))
        needing += range(len(devices) - hubs, len(devices))
    # hubs first, so that their ports exist for the devices after them
    needing.sort(key=lambda i: (_rank(devices[i]), i))
    for i in needing:
        d = devices[i]
        if not controllers:
            env.diag.error("usb-controller", f"{d.describe()} is a USB device but the domain "
                           "has no USB controller (model='none')", d.span)
            continue
        got = tree.take()
        if got is None:
            env.diag.error("usb-ports-exhausted", f"no free USB port left for {d.describe()} "
                           "(add a USB hub or a controller with more ports)", d.span)
            continue
        bus, port = got
        if env.trace:
            env.trace.note("usb", (bus, port), "assign_usb_ports", device=d.describe(),
                           taken=sorted(tree.taken - {got}))
        devices[i] = evolve(d, address=OtherAddr("usb", (("bus", str(bus)), ("port", port))))
        if isinstance(d, Hub):
            tree.add_hub(bus, port)
    return dom.with_devices(devices)
