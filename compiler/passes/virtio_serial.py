"""assign_virtio_serial_ports: virtio channels without an address get the next free
port (from 1) of virtio-serial controller 0, bus 0."""

from __future__ import annotations

from ..record import evolve

from ..devices.chardev import CharDevice
from ..model import Domain, OtherAddr


def _is_virtio_channel(d) -> bool:
    return isinstance(d, CharDevice) and d.element == "channel" and d.target_type == "virtio"


def assign_virtio_serial_ports(dom: Domain, env) -> Domain:
    used = set()
    for d in dom.devices:
        a = d.address
        if isinstance(a, OtherAddr) and a.type == "virtio-serial":
            key = (a.get("controller", "0"), a.get("bus", "0"), a.get("port", "0"))
            if key in used:
                env.diag.error("virtio-serial-conflict", f"{d.describe()}: virtio-serial port "
                               f"{':'.join(key)} is used twice", d.span)
            used.add(key)
    devices = list(dom.devices)
    port = 1
    for i, d in enumerate(devices):
        if not _is_virtio_channel(d) or d.address is not None:
            continue
        while ("0", "0", str(port)) in used:
            port += 1
        used.add(("0", "0", str(port)))
        devices[i] = evolve(d, address=OtherAddr(
            "virtio-serial", (("bus", "0"), ("controller", "0"), ("port", str(port)))))
    return dom.with_devices(devices)
