"""order_devices: libvirt keeps disks and controllers in sorted lists, and that order
decides which disk is "the first hard disk" for <boot dev='hd'/>, which device gets
the next PCI slot, and the argv order.

- disks: grouped by bus, by target index inside a bus (virDomainDiskInsert), rebuilt
  by inserting them in document order, then written back into the positions disks
  occupied, so other devices keep their places;
- controllers: grouped by type, by index inside a type.  libvirt sorts them while it
  parses, before it numbers those written without an index, so the parser does it
  (compiler.devices.controller.number_controllers) and they arrive here in order.
"""

from __future__ import annotations

from ..devices.disk import Disk, disk_name_index
from ..model import Domain


def _disk_insert(ordered: list[Disk], new: Disk) -> None:
    new_idx = disk_name_index(new.target_dev)
    at = None
    for i in range(len(ordered) - 1, -1, -1):
        d = ordered[i]
        if d.target_bus != new.target_bus:
            continue
        if (disk_name_index(d.target_dev) or 0) > (new_idx or 0):
            at = i
        elif at is None:
            at = i + 1
    ordered.insert(len(ordered) if at is None else at, new)


def _reorder(devices: list, cls: type, insert) -> None:
    slots = [i for i, d in enumerate(devices) if isinstance(d, cls)]
    ordered: list = []
    for i in slots:
        insert(ordered, devices[i])
    for i, d in zip(slots, ordered):
        devices[i] = d


def order_devices(dom: Domain, env) -> Domain:
    devices = list(dom.devices)
    _reorder(devices, Disk, _disk_insert)
    return dom.with_devices(devices)
