"""apply_boot_order: <os><boot dev=.../> becomes per-device boot indexes, as libvirt
does for QEMU (the first disk, cdrom, floppy or NIC of each listed kind)."""

from __future__ import annotations

from ..record import evolve

from ..devices.disk import Disk
from ..devices.net import Interface
from ..model import Domain


def _matches(dev, bootdev: str) -> bool:
    if isinstance(dev, Disk):
        return {"hd": "disk", "cdrom": "cdrom", "fd": "floppy"}.get(bootdev) == dev.device or (
            bootdev == "hd" and dev.device == "lun")
    return isinstance(dev, Interface) and bootdev == "network"


def apply_boot_order(dom: Domain, env) -> Domain:
    per_device = [d for d in dom.devices if d.boot_order is not None]
    if per_device and dom.os.boot_devs:
        env.diag.error("boot-order", "per-device <boot order=.../> cannot be used together with "
                       "<os><boot dev=.../>", per_device[0].span)
        return dom
    if per_device:
        seen: dict[int, object] = {}
        for d in per_device:
            if d.boot_order in seen:
                env.diag.error("boot-order", f"boot order {d.boot_order} is used by both "
                               f"{seen[d.boot_order].describe()} and {d.describe()}", d.span)
            seen[d.boot_order] = d
        return dom
    devices = list(dom.devices)
    order = 0
    # with no <boot> at all libvirt boots from the first hard disk
    for bootdev in dom.os.boot_devs or ("hd",):
        for i, d in enumerate(devices):
            if _matches(d, bootdev) and d.boot_order is None:
                order += 1
                devices[i] = evolve(d, boot_order=order)
                break
    return dom.with_devices(devices)
